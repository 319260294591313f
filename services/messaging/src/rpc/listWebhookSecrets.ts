import type { RpcContext } from '@parley/kit';
import type { messagingV1 } from '@parley/proto';
import type { MessagingDeps } from '../deps';
import { secretMessage } from './webhookMappers';

/** The tenant's secrets without their values, newest first (a handful: at most five sign at once). */
export function makeListWebhookSecrets(deps: Pick<MessagingDeps, 'withTenant' | 'webhooks' | 'now'>) {
  return async ({
    request,
    caller,
  }: RpcContext<messagingV1.ListWebhookSecretsRequest>): Promise<messagingV1.ListWebhookSecretsResponse> => {
    const now = deps.now();
    const rows = await deps.withTenant(caller.tenantId, (tx) =>
      deps.webhooks.secrets(tx, now, request.includeExpired),
    );
    return { secrets: rows.map((row) => secretMessage(row, now)) };
  };
}
