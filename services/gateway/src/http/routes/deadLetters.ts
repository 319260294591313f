import { status as grpcStatus } from '@grpc/grpc-js';
import { decodeServiceError, encodePageToken } from '@parley/kit';
import { kitV1 } from '@parley/proto';
import type { Backends } from '../../backends';
import { DEAD_LETTER_NOT_FOUND, VALIDATION_FAILED } from '../../domain/errors';
import { HttpProblem } from '../problem';
import { route } from '../route';
import { z } from '../zod';
import { iso, nextPage, pageQuery, timestamp } from '../schemas';

const deadLetterSchema = z
  .object({
    id: z.string().openapi({
      description: 'The service that holds the entry and its id there: `<service>:<uuid>`',
      example: 'billing:0193a1f2-7c4e-7b6a-9d2e-5f8a1c3b4d5e',
    }),
    service: z.string(),
    source: z.enum(['consumer', 'outbox']).openapi({
      description:
        '`consumer`: a delivered event its consumer could not apply; `outbox`: a row the relay could not publish',
    }),
    consumer: z
      .string()
      .openapi({ description: 'The durable consumer that parked it; empty for outbox entries' }),
    eventId: z.string(),
    eventType: z.string().openapi({ example: 'identity.tenant.created' }),
    tenantId: z.string(),
    aggregateKey: z.string(),
    reason: z.string().openapi({
      description: 'Stable reason code',
      example: 'INVALID_ARGUMENT',
    }),
    error: z.string(),
    attempts: z
      .number()
      .int()
      .openapi({ description: 'Deliveries or publish attempts before it was parked' }),
    parkedAt: timestamp,
    payloadType: z.string().openapi({ example: 'parley.identity.v1.TenantCreated' }),
    payload: z.string().openapi({
      description:
        'The event payload, protobuf-encoded, in base64. It may hold personal data: it is shown to platform operators and never logged.',
      format: 'byte',
    }),
  })
  .openapi('DeadLetter');

type DeadLetterJson = z.infer<typeof deadLetterSchema>;

const sourceNames: Record<number, 'consumer' | 'outbox'> = {
  [kitV1.DeadLetterSource.DEAD_LETTER_SOURCE_CONSUMER]: 'consumer',
  [kitV1.DeadLetterSource.DEAD_LETTER_SOURCE_OUTBOX]: 'outbox',
};

function deadLetterJson(service: string, entry: kitV1.DeadLetter): DeadLetterJson {
  return {
    id: `${service}:${entry.id}`,
    service,
    source: sourceNames[entry.source] ?? 'consumer',
    consumer: entry.consumer,
    eventId: entry.eventId,
    eventType: entry.eventType,
    tenantId: entry.tenantId,
    aggregateKey: entry.aggregateKey,
    reason: entry.reason,
    error: entry.error,
    attempts: entry.attempts,
    parkedAt: iso(entry.parkedAt) ?? '',
    payloadType: entry.payloadType,
    payload: Buffer.from(entry.payload).toString('base64'),
  };
}

/** The listing's page token: each service's own token, or null once that service has no more. */
type FanOutToken = Record<string, string | null>;

function decodeFanOutToken(token: string | undefined, services: string[]): FanOutToken {
  if (!token) return {};
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    for (const [service, value] of Object.entries(parsed)) {
      if (!services.includes(service) || (value !== null && typeof value !== 'string'))
        throw new Error('bad');
    }
    return parsed as FanOutToken;
  } catch {
    throw new HttpProblem(400, VALIDATION_FAILED, 'pageToken is not one this API issued', [
      { field: 'pageToken', description: 'pass the nextPageToken of a previous response unchanged' },
    ]);
  }
}

const idPattern = /^([a-z][a-z0-9-]*):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

const deadLetterParams = z.object({
  id: z.string().min(1).max(120).openapi({ description: 'Id of the entry as listed: `<service>:<uuid>`' }),
});

/**
 * The dead-letter admin API: parked consumer events and parked outbox rows of every service the gateway
 * knows (and of the gateway itself), listed together; replay and discard go to the service that holds one.
 */
export function deadLetterRoutes(backends: Backends) {
  const services = backends.deadLetterServices;

  function target(id: string): { service: string; entryId: string } {
    const match = idPattern.exec(id);
    if (!match || !services.includes(match[1]!)) {
      // An id that is not well formed names no entry: 404, like every other malformed id.
      throw new HttpProblem(
        404,
        DEAD_LETTER_NOT_FOUND,
        'no such entry; ids are `<service>:<uuid>` as listed',
        [{ field: 'id', description: `one of ${services.join(', ')}, a colon, and the entry's UUID` }],
      );
    }
    return { service: match[1]!, entryId: match[2]!.toLowerCase() };
  }

  const actionProblems = ['DEAD_LETTER_NOT_FOUND'] as const;

  return [
    route({
      method: 'get',
      path: '/v1/admin/dead-letters',
      operationId: 'listDeadLetters',
      summary: 'Parked events and outbox rows, newest first, across services',
      description:
        'Events a consumer parked (a validation failure, an undecodable payload, retries exhausted) and outbox rows a relay could not publish, from every service (or the one named), newest first. Services that do not answer are named in `unreachable`; the rest are listed. Entries are kept `DEAD_LETTER_RETENTION_DAYS` at most and are erased with their data subject.',
      tags: ['Operations'],
      scope: 'platform:admin',
      // The page token holds a cursor per service, so it may be longer than a single list's.
      query: pageQuery.extend({
        service: z
          .enum(services as [string, ...string[]])
          .optional()
          .openapi({ description: 'Only this service' }),
        tenant: z.string().max(63).optional().openapi({ description: 'Only entries of this tenant' }),
        reason: z
          .string()
          .regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'must be an UPPER_SNAKE reason code')
          .optional()
          .openapi({ description: 'Only entries with this reason code', example: 'RETRIES_EXHAUSTED' }),
        pageToken: z.string().max(4_000).optional().openapi({
          description:
            'Opaque cursor: the `nextPageToken` of the previous page, passed back unchanged with the same filters. Do not build, parse or keep it.',
        }),
      }),
      response: {
        status: 200,
        description: 'A page of entries',
        schema: z
          .object({
            deadLetters: z.array(deadLetterSchema),
            nextPageToken: nextPage,
            unreachable: z.array(z.string()).openapi({ description: 'Services that did not answer' }),
          })
          .openapi('DeadLetterPage'),
      },
      handler: async ({ caller, query }) => {
        const size = query.pageSize ?? 50;
        const tokens = decodeFanOutToken(query.pageToken, services);
        const wanted = (query.service ? [query.service] : services).filter(
          (service) => tokens[service] !== null,
        );
        const unreachable: string[] = [];
        const pages = await Promise.all(
          wanted.map(async (service) => {
            const client = backends.deadLetters(service);
            try {
              const page = await backends.as(caller, client, client.listDeadLetters, {
                tenantId: query.tenant ?? '',
                reason: query.reason ?? '',
                pageSize: size,
                pageToken: tokens[service] ?? '',
              });
              return { service, page };
            } catch (error) {
              const code = decodeServiceError(error).code;
              if (code === grpcStatus.UNAVAILABLE || code === grpcStatus.DEADLINE_EXCEEDED) {
                unreachable.push(service);
                return undefined;
              }
              throw error;
            }
          }),
        );
        const merged = pages
          .flatMap((entry) =>
            entry ? entry.page.deadLetters.map((letter) => ({ service: entry.service, letter })) : [],
          )
          .sort(
            (a, b) =>
              (b.letter.parkedAt?.getTime() ?? 0) - (a.letter.parkedAt?.getTime() ?? 0) ||
              (b.letter.id > a.letter.id ? 1 : b.letter.id < a.letter.id ? -1 : 0),
          );
        const shown = merged.slice(0, size);
        // Each service's next token: after the last of its entries shown, or its own next page.
        const next: FanOutToken = { ...tokens };
        for (const entry of pages) {
          if (!entry) continue;
          const mine = shown.filter((item) => item.service === entry.service);
          const last = mine[mine.length - 1];
          if (mine.length < entry.page.deadLetters.length && last) {
            next[entry.service] = encodePageToken({
              at: last.letter.parkedAt ?? new Date(0),
              id: last.letter.id,
            });
          } else if (mine.length === entry.page.deadLetters.length) {
            next[entry.service] = entry.page.nextPageToken || null;
          }
        }
        const more = (query.service ? [query.service] : services).some((service) => next[service] !== null);
        return {
          deadLetters: shown.map((item) => deadLetterJson(item.service, item.letter)),
          nextPageToken: more ? Buffer.from(JSON.stringify(next)).toString('base64url') : '',
          unreachable: unreachable.sort(),
        };
      },
    }),
    route({
      method: 'post',
      path: '/v1/admin/dead-letters/{id}/replay',
      operationId: 'replayDeadLetter',
      summary: 'Replay a parked event or outbox row',
      description:
        'A parked consumer event runs through its consumer again, in the same inbox transaction as any delivery (an event applied meanwhile is not applied twice); a parked outbox row goes back into the outbox to be published. The entry is removed when that succeeds; when the consumer fails again it stays, and the answer is 422.',
      tags: ['Operations'],
      scope: 'platform:admin',
      params: deadLetterParams,
      problems: [...actionProblems, 'REPLAY_FAILED', 'CONSUMER_NOT_RUNNING', 'DEAD_LETTER_UNDECODABLE'],
      response: {
        status: 200,
        description: 'What the replay did',
        schema: z
          .object({
            id: z.string(),
            outcome: z.enum(['applied', 'duplicate', 'requeued']).openapi({
              description:
                '`applied` by the consumer, `duplicate` (it had been applied already) or `requeued` in the outbox',
            }),
          })
          .openapi('DeadLetterReplay'),
      },
      handler: async ({ caller, params }) => {
        const { service, entryId } = target(params.id);
        const client = backends.deadLetters(service);
        const answer = await backends.as(caller, client, client.replayDeadLetter, { id: entryId });
        return { id: params.id, outcome: answer.outcome as 'applied' | 'duplicate' | 'requeued' };
      },
    }),
    route({
      method: 'post',
      path: '/v1/admin/dead-letters/{id}/discard',
      operationId: 'discardDeadLetter',
      summary: 'Discard a parked event or outbox row without applying it',
      tags: ['Operations'],
      scope: 'platform:admin',
      params: deadLetterParams,
      problems: actionProblems,
      response: {
        status: 200,
        description: 'Discarded',
        schema: z.object({ id: z.string(), discarded: z.literal(true) }).openapi('DeadLetterDiscard'),
      },
      handler: async ({ caller, params }) => {
        const { service, entryId } = target(params.id);
        const client = backends.deadLetters(service);
        await backends.as(caller, client, client.discardDeadLetter, { id: entryId });
        return { id: params.id, discarded: true as const };
      },
    }),
  ];
}
