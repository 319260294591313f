import { status as grpcStatus } from '@grpc/grpc-js';
import type { Response } from 'express';
import { trace } from '@opentelemetry/api';
import {
  AppError,
  containsCardNumber,
  decodeServiceError,
  maskCardNumbers,
  type FieldViolation,
} from '@parley/kit';
import { INTERNAL, UPSTREAM_UNAVAILABLE } from '../domain/errors';

/** An RFC 9457 problem document, with Parley's stable `code` and per-field `errors`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: FieldViolation[];
  traceId?: string;
  /** The request's X-Request-Id: quote it when asking about this answer. */
  requestId?: string;
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors: FieldViolation[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const httpByGrpc: Partial<Record<grpcStatus, number>> = {
  [grpcStatus.INVALID_ARGUMENT]: 400,
  [grpcStatus.OUT_OF_RANGE]: 400,
  [grpcStatus.UNAUTHENTICATED]: 401,
  [grpcStatus.PERMISSION_DENIED]: 403,
  [grpcStatus.NOT_FOUND]: 404,
  [grpcStatus.ALREADY_EXISTS]: 409,
  [grpcStatus.ABORTED]: 409,
  [grpcStatus.FAILED_PRECONDITION]: 422,
  [grpcStatus.RESOURCE_EXHAUSTED]: 429,
  [grpcStatus.UNAVAILABLE]: 503,
  [grpcStatus.DEADLINE_EXCEEDED]: 504,
};

const httpByKind: Record<AppError['kind'], number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 422,
  resource_exhausted: 429,
  unavailable: 503,
};

export function problemTitle(status: number): string {
  return titles[status] ?? 'Error';
}

export function problemType(code: string): string {
  return `urn:parley:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

/** Turns anything thrown while serving a request into a problem; unknown errors say nothing about internals. */
/** The path as sent, unless it holds a card number (refused, and never echoed): then with it masked. */
export function cardFreePath(path: string): string {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // not percent-encoded text: checked as it is
  }
  return containsCardNumber(decoded) ? maskCardNumbers(decoded) : path;
}

export function toProblem(
  error: unknown,
  instance: string,
): { problem: Problem; headers: Record<string, string> } {
  let status = 500;
  let code = INTERNAL;
  let detail = 'internal error';
  let errors: FieldViolation[] = [];
  let headers: Record<string, string> = {};
  if (error instanceof HttpProblem) {
    ({ status, code, detail, errors, headers } = error);
  } else if (error instanceof AppError) {
    status = httpByKind[error.kind];
    code = error.reason;
    detail = error.message;
    errors = error.fieldViolations;
    if (error.retryAfterSeconds !== undefined) headers = { 'Retry-After': String(error.retryAfterSeconds) };
  } else if (
    typeof (error as { code?: unknown })?.code === 'number' &&
    (error as { metadata?: unknown }).metadata
  ) {
    const decoded = decodeServiceError(error);
    status = httpByGrpc[decoded.code as grpcStatus] ?? 500;
    if (status === 500) {
      code = INTERNAL;
    } else if (decoded.code === grpcStatus.UNAVAILABLE && decoded.retryAfterSeconds !== undefined) {
      // A service that reached us and says one of its own dependencies is down (SUPPLIER_UNAVAILABLE):
      // its stable code, and when to come back.
      code = decoded.reason;
      detail = decoded.message;
      headers = { 'Retry-After': String(decoded.retryAfterSeconds) };
    } else if (decoded.code === grpcStatus.UNAVAILABLE || decoded.code === grpcStatus.DEADLINE_EXCEEDED) {
      code = UPSTREAM_UNAVAILABLE;
      detail = 'a backing service did not answer in time; retry later';
    } else {
      code = decoded.reason;
      detail = decoded.message;
      errors = decoded.fieldViolations;
    }
  }
  const traceId = trace.getActiveSpan()?.spanContext().traceId;
  return {
    problem: {
      type: problemType(code),
      title: problemTitle(status),
      status,
      detail,
      code,
      instance: cardFreePath(instance),
      ...(errors.length > 0 ? { errors } : {}),
      ...(traceId && !/^0+$/.test(traceId) ? { traceId } : {}),
    },
    headers,
  };
}

/** The request id the gateway gave this request (set first thing, see server.ts). */
export function requestIdOfResponse(res: Response): string | undefined {
  return (res.locals as { requestId?: string }).requestId;
}

/** The problem as sent: with the request's id, so a partner can quote it. */
export function problemBody(res: Response, problem: Problem): Buffer {
  const requestId = requestIdOfResponse(res);
  return Buffer.from(JSON.stringify(requestId ? { ...problem, requestId } : problem));
}

export function sendProblem(res: Response, problem: Problem, headers: Record<string, string> = {}): void {
  res.status(problem.status).set(headers).type('application/problem+json').send(problemBody(res, problem));
}
