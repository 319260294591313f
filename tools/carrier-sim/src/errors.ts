/** An answer the simulator gives instead of a result: its HTTP status and a stable lower_snake code. */
export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The request field that is wrong, when one is. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'SimError';
  }
}

export const badRequest = (message: string, field?: string) =>
  new SimError(400, 'invalid_request', message, field);
export const notFound = (what: string) => new SimError(404, 'not_found', `${what} not found`);
