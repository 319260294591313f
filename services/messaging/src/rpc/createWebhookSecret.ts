import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { generateWebhookSecret, onceForRequest, type RpcContext } from '@parley/kit';
import type { messagingV1 } from '@parley/proto';
import type { MessagingDeps } from '../deps';
import { webhookSecretLimit, webhookSecretNotFound } from '../domain/errors';
import { MAX_SIGNING_SECRETS } from '../domain/webhooks';
import { secretMessage } from './webhookMappers';

/**
 * Creates a signing secret; webhooks are signed with it from now on. Its value is answered by this call only
 * (a retry of the same request, same Idempotency-Key, answers the same secret; only its id is remembered for
 * that, never the value).
 */
export function makeCreateWebhookSecret(deps: Pick<MessagingDeps, 'withTenant' | 'webhooks' | 'now'>) {
  return async ({
    caller,
    requestId,
  }: RpcContext<messagingV1.CreateWebhookSecretRequest>): Promise<messagingV1.CreateWebhookSecretResponse> => {
    const now = deps.now();
    return deps.withTenant(caller.tenantId, async (tx) => {
      const { result } = await onceForRequest(
        tx,
        { requestId, operation: 'CreateWebhookSecret' },
        async () => {
          // One creation at a time per tenant, so two at once cannot both pass the limit.
          await tx.execute(
            sql`select pg_advisory_xact_lock(hashtext(${'webhook-secrets:' + caller.tenantId}))`,
          );
          const signing = await deps.webhooks.secrets(tx, now);
          if (signing.length >= MAX_SIGNING_SECRETS) throw webhookSecretLimit(MAX_SIGNING_SECRETS);
          const row = await deps.webhooks.insertSecret(tx, {
            id: randomUUID(),
            tenantId: caller.tenantId,
            secret: generateWebhookSecret(),
            createdAt: now,
          });
          return { id: row.id };
        },
      );
      const row = await deps.webhooks.findSecret(tx, result.id);
      if (!row) throw webhookSecretNotFound();
      return { secret: secretMessage(row, now), value: row.secret };
    });
  };
}
