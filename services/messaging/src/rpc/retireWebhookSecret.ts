import type { RpcContext } from '@parley/kit';
import type { messagingV1 } from '@parley/proto';
import type { MessagingDeps } from '../deps';
import { webhookRequestInvalid, webhookSecretLast, webhookSecretNotFound } from '../domain/errors';
import { DEFAULT_SECRET_OVERLAP_SECONDS, MAX_SECRET_OVERLAP_SECONDS } from '../domain/webhooks';
import { secretMessage } from './webhookMappers';

/**
 * Retires a secret: it keeps signing for the overlap (default 24 hours) so receivers can move to the new
 * one, then expires. The last current secret cannot be retired (create its successor first). Retiring a
 * retired secret answers it unchanged.
 */
export function makeRetireWebhookSecret(deps: Pick<MessagingDeps, 'withTenant' | 'webhooks' | 'now'>) {
  return async ({
    request,
    caller,
  }: RpcContext<messagingV1.RetireWebhookSecretRequest>): Promise<messagingV1.RetireWebhookSecretResponse> => {
    const overlap = request.overlapSeconds ?? DEFAULT_SECRET_OVERLAP_SECONDS;
    if (!Number.isInteger(overlap) || overlap < 0 || overlap > MAX_SECRET_OVERLAP_SECONDS)
      throw webhookRequestInvalid([
        { field: 'overlapSeconds', description: `whole seconds from 0 to ${MAX_SECRET_OVERLAP_SECONDS}` },
      ]);
    const now = deps.now();
    return deps.withTenant(caller.tenantId, async (tx) => {
      const row = await deps.webhooks.findSecret(tx, request.secretId, true);
      if (!row) throw webhookSecretNotFound();
      if (row.retiredAt) return { secret: secretMessage(row, now) };
      const current = (await deps.webhooks.secrets(tx, now)).filter((secret) => !secret.retiredAt);
      if (current.every((secret) => secret.id === row.id)) throw webhookSecretLast();
      const retired = await deps.webhooks.retireSecret(
        tx,
        row.id,
        now,
        new Date(now.getTime() + overlap * 1000),
      );
      return { secret: secretMessage(retired, now) };
    });
  };
}
