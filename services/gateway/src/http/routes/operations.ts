import type { Backends } from '../../backends';
import { readiness } from '../../domain/readiness';
import { route } from '../route';
import { z } from '../zod';

const readinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    services: z.record(
      z.string(),
      z.enum(['SERVING', 'NOT_SERVING', 'UNKNOWN', 'SERVICE_UNKNOWN', 'UNREACHABLE']),
    ),
  })
  .openapi('Readiness');

export function operationRoutes(backends: Backends) {
  return [
    route({
      method: 'get',
      path: '/healthz',
      operationId: 'getHealth',
      summary: 'Liveness: the gateway process is up',
      tags: ['Operations'],
      response: { status: 200, description: 'Alive', schema: z.object({ status: z.literal('ok') }) },
      handler: async () => ({ status: 'ok' as const }),
    }),
    route({
      method: 'get',
      path: '/readyz',
      operationId: 'getReadiness',
      summary: 'Readiness: every backing service answers its gRPC health check',
      description: 'Answers 503 with the same body, naming the services that are not SERVING.',
      tags: ['Operations'],
      response: { status: 200, description: 'Every service is SERVING', schema: readinessSchema },
      alternateStatuses: { 503: 'At least one service is not SERVING; `services` says which' },
      statusFor: (result) => (result.status === 'ready' ? 200 : 503),
      handler: async () => readiness(await backends.health()),
    }),
  ];
}
