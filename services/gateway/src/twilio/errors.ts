import type { Request } from 'express';
import { cardFreePath, toProblem } from '../http/problem';

/**
 * An error answered the way Twilio answers one: its HTTP status and a body with Twilio's error `code`,
 * `message`, `more_info` (the code's page) and `status`. The official libraries turn it into RestException.
 */
export class TwilioError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'TwilioError';
  }
}

export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export function twilioErrorBody(error: TwilioError): TwilioErrorBody {
  return {
    code: error.code,
    message: error.message,
    more_info: `https://www.twilio.com/docs/errors/${error.code}`,
    status: error.status,
  };
}

export const notFound = (request: Request) =>
  new TwilioError(
    404,
    20404,
    `The requested resource ${cardFreePath(request.originalUrl.split('?')[0] ?? '')} was not found`,
  );

/** Twilio's code for a field of the native request that failed validation, by the field's name. */
const codeByField: Record<string, { code: number; message: (detail: string) => string }> = {
  to: { code: 21211, message: () => "The 'To' number is not a valid phone number." },
  from: { code: 21212, message: () => "The 'From' number is not a valid phone number." },
  body: { code: 21617, message: (detail) => `The 'Body' is not valid: ${detail}` },
  mediaUrls: { code: 21620, message: (detail) => `Invalid media URL(s): ${detail}` },
  statusCallback: { code: 21609, message: () => "Invalid 'StatusCallback'" },
};

/** Twilio's code for Parley's stable problem codes where one exists (answered with HTTP 400, as Twilio does). */
const codeByProblem: Record<string, { code: number; message: string }> = {
  RECIPIENT_OPTED_OUT: { code: 21610, message: 'Attempt to send to unsubscribed recipient' },
  SENDER_NOT_FOUND: {
    code: 21606,
    message: "The 'From' phone number is not a valid, SMS-capable inbound phone number for your account.",
  },
  SENDER_CAPABILITY_MISSING: {
    code: 21606,
    message: "The 'From' phone number does not have the capability needed to send this message.",
  },
  NUMBER_NOT_AVAILABLE: { code: 21422, message: 'The phone number is not available.' },
  NUMBER_ALREADY_OWNED: { code: 21422, message: 'The phone number is already in this account.' },
  NUMBER_IN_QUARANTINE: { code: 21422, message: 'The phone number is not available (recently released).' },
  NUMBER_NOT_SEARCHED: {
    code: 21422,
    message: 'The phone number is not available: search AvailablePhoneNumbers for it first.',
  },
  COUNTRY_UNKNOWN: { code: 21452, message: 'No phone numbers are offered in this country.' },
  // Twilio's error dictionary has no code for one message the balance cannot cover: an account out of funds
  // is "not active" (20005, "potentially because you ran out of funds"), which is what a prepaid tenant with
  // no balance left is for sending until it tops up.
  INSUFFICIENT_BALANCE: {
    code: 20005,
    message: 'Account not active: the balance does not cover this message; top up to send again.',
  },
};

/**
 * Twilio's codes named after HTTP statuses (20003 is Twilio's "Authenticate", 20404 "not found", 20429
 * "too many requests"); a failure with no Twilio equivalent answers `20000 + status` with Parley's own
 * explanation, so a client still learns what is wrong.
 */
const codeByStatus: Record<number, number> = { 401: 20003, 403: 20403, 404: 20404, 405: 20004 };

/**
 * Turns anything thrown while serving a Twilio-compatible request into a TwilioError: the native API's
 * problems (one vocabulary underneath) mapped to Twilio's codes where they exist.
 */
export function toTwilioError(error: unknown, request: Request): TwilioError {
  if (error instanceof TwilioError) return error;
  const { problem, headers } = toProblem(error, request.path);
  const field = problem.errors?.map((violation) => codeByField[violation.field.split('.')[0] ?? ''])[0];
  if (problem.status === 400 && field) return new TwilioError(400, field.code, field.message(problem.detail));
  const mapped = codeByProblem[problem.code];
  if (mapped) return new TwilioError(400, mapped.code, mapped.message);
  if (problem.status === 404) return notFound(request);
  const code = codeByStatus[problem.status] ?? 20000 + problem.status;
  const message = problem.status >= 500 && problem.status !== 503 ? 'Internal Server Error' : problem.detail;
  return new TwilioError(problem.status, code, message, headers);
}
