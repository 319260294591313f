import express, { type NextFunction, type Request, type Response } from 'express';
import {
  grants,
  isValidIdempotencyKey,
  runWithContext,
  type Caller,
  type IdempotencyKeys,
  type Logger,
} from '@parley/kit';
import type { ApiKeys } from '../apiKeys';
import type { Backends } from '../backends';
import { runIdempotently, step, type AccessEntry, type Answer } from '../http/server';
import { rateLimitOutcome, type GatewayRateLimits } from '../http/rateLimiting';
import { forwardedRequestIdOf, requestIdentity } from '../http/idempotency';
import { requestIdOfResponse } from '../http/problem';
import { cardNumbersIn } from '../http/cardNumbers';
import { notFound, toTwilioError, twilioErrorBody, TwilioError } from './errors';
import { makeTwilioAuthenticate } from './auth';
import { messageOperations } from './messages';
import { numberOperations } from './numbers';
import { callOperations } from './calls';
import type { Fields, TwilioOperation } from './operation';
import { API_VERSION } from './format';

export interface TwilioDependencies {
  backends: Backends;
  /** API keys as identity authenticates them (an `SK...` user name with its secret). */
  apiKeys: ApiKeys;
  rateLimits?: GatewayRateLimits;
  idempotencyKeys?: IdempotencyKeys;
  recordAccess?: (entry: AccessEntry) => void;
  log: Logger;
  /** How long buying a number waits for its order to complete before answering 503 (default 30 s). */
  orderWaitMs?: number;
}

/** Where the Twilio-compatible API is mounted. */
export const TWILIO_API_PREFIX = `/${API_VERSION}`;

/** The idempotency headers a create honours: Twilio's libraries send the first, other clients the second. */
const idempotencyHeaders = ['I-Twilio-Idempotency-Token', 'Idempotency-Key'];

function idempotencyKeyOf(request: Request): string | undefined {
  for (const header of idempotencyHeaders) {
    const value = request.get(header);
    if (value === undefined) continue;
    if (!isValidIdempotencyKey(value))
      throw new TwilioError(400, 20001, `The ${header} header must be 1 to 255 printable ASCII characters`);
    return value;
  }
  return undefined;
}

function jsonAnswer(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return {
    status,
    contentType: 'application/json',
    body: body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body)),
    headers,
  };
}

function errorAnswer(error: TwilioError): Answer {
  return jsonAnswer(error.status, twilioErrorBody(error), error.headers);
}

/**
 * The Twilio-compatible API (`/2010-04-01/Accounts/{AccountSid}/...`): Twilio's paths, HTTP Basic
 * credentials, form-encoded requests, JSON answers with Twilio's field names and error bodies. It has no
 * logic of its own: every operation calls the same RPCs as the native routes, with the same tenant walls,
 * rate limits (per caller and tenant) and idempotency store, and its requests join the access log.
 */
export function createTwilioRouter(deps: TwilioDependencies): express.Router {
  const router = express.Router();
  const authenticate = makeTwilioAuthenticate(deps.backends, deps.apiKeys);
  const operations: TwilioOperation[] = [
    ...messageOperations(deps.backends),
    ...numberOperations(deps.backends, { orderWaitMs: deps.orderWaitMs ?? 30_000 }),
    ...callOperations(deps.backends),
  ];
  const form = express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 200 });

  const admit = (operation: TwilioOperation) => async (request: Request, response: Response) => {
    const started = process.hrtime.bigint();
    const { caller, accountSid } = await authenticate(request.get('authorization'));
    if (deps.recordAccess) {
      const record = deps.recordAccess;
      response.once('finish', () =>
        record({
          caller,
          method: operation.method.toUpperCase(),
          route: `${TWILIO_API_PREFIX}/Accounts/{AccountSid}${operation.path}`,
          status: response.statusCode,
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
          ip: request.ip ?? '',
          userAgent: request.get('user-agent') ?? '',
        }),
      );
    }
    // Another account's resources are not found, whatever they are (the tenant wall says nothing).
    if (request.params.AccountSid !== accountSid) throw notFound(request);
    if (!grants(caller.scopes, operation.scope))
      throw new TwilioError(403, 20403, `This credential lacks the ${operation.scope} scope`);
    if (deps.rateLimits) {
      const { headers, refusal } = rateLimitOutcome(await deps.rateLimits.countCaller(caller));
      response.set(headers);
      if (refusal) throw new TwilioError(429, 20429, 'Too Many Requests', refusal.headers);
    }
    (response.locals as { twilio?: { caller: Caller; accountSid: string } }).twilio = { caller, accountSid };
  };

  const handle = (operation: TwilioOperation) => async (request: Request, response: Response) => {
    const { caller, accountSid } = (response.locals as { twilio: { caller: Caller; accountSid: string } })
      .twilio;
    // As on the native API: a card number anywhere is refused before anything keeps it; named, not quoted.
    const cards = cardNumbersIn(request, { body: true });
    if (cards.length > 0)
      throw new TwilioError(
        400,
        20001,
        `Parley never takes card numbers; tokenise the card with the payment processor (found in ${cards.map((card) => card.field).join(', ')})`,
      );
    const key = operation.creates && deps.idempotencyKeys ? idempotencyKeyOf(request) : undefined;
    const requestId = forwardedRequestIdOf(requestIdOfResponse(response) ?? '', caller.tenantId, key);
    response.locals.forwardedRequestId = requestId;
    const run = () =>
      runWithContext({ requestId }, async () => {
        const result = await operation.run({
          caller,
          accountSid,
          params: request.params as Record<string, string>,
          query: request.query as Fields,
          form: (request.body ?? {}) as Fields,
          request,
        });
        return jsonAnswer(result.status, result.body);
      });
    const answer =
      key && deps.idempotencyKeys
        ? await runIdempotently(deps.idempotencyKeys, requestIdentity(request, caller, key), run, (error) =>
            errorAnswer(toTwilioError(error, request)),
          )
        : await run();
    response.status(answer.status).type(answer.contentType).set(answer.headers).send(answer.body);
  };

  for (const operation of operations) {
    router[operation.method](
      `/Accounts/:AccountSid${operation.path}`,
      step(admit(operation)),
      form,
      step(handle(operation), true),
    );
  }
  router.use((request, response) => {
    const error = notFound(request);
    response.status(error.status).json(twilioErrorBody(error));
  });
  router.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
    let failure = error;
    const type = (error as { type?: string })?.type;
    if (type === 'entity.too.large')
      failure = new TwilioError(413, 20413, 'The request body is larger than 1 MB');
    else if (typeof type === 'string' && type.startsWith('entity.'))
      failure = new TwilioError(400, 20001, 'The request body is not a valid form');
    const twilioError = toTwilioError(failure, request);
    if (twilioError.status >= 500 && twilioError.status !== 503)
      deps.log.error(
        {
          err: error,
          route: request.path,
          request_id: requestIdOfResponse(response),
          forwarded_request_id: (response.locals as { forwardedRequestId?: string }).forwardedRequestId,
        },
        'request failed',
      );
    response.status(twilioError.status).set(twilioError.headers).json(twilioErrorBody(twilioError));
  });
  return router;
}
