import type { RpcContext } from '@parley/kit';
import { callbacksV1, type numberingV1 } from '@parley/proto';
import type { NumberingDeps } from '../deps';
import { invalidRequest, numberNotFound } from '../domain/errors';
import { isE164 } from '../domain/numbers';
import type { Resolution } from '../domain/resolveCache';

/**
 * Resolves a number to its tenant and routing for other services (messaging, on every message). Answers
 * from the in-process cache; a miss reads the directory (who holds it) and the tenant's row once.
 */
export function makeResolveNumber(deps: Pick<NumberingDeps, 'db' | 'withTenant' | 'numbers' | 'cache'>) {
  return async ({
    request,
  }: RpcContext<numberingV1.ResolveNumberRequest>): Promise<numberingV1.ResolveNumberResponse> => {
    const e164 = request.phoneNumber;
    if (!isE164(e164)) {
      throw invalidRequest([{ field: 'phoneNumber', description: 'an E.164 number, e.g. +14155550123' }]);
    }
    let resolution = deps.cache.get(e164);
    if (resolution === undefined) {
      const generation = deps.cache.mark();
      resolution = await load(e164);
      deps.cache.set(e164, resolution, generation);
    }
    if (!resolution) throw numberNotFound();
    return resolution;
  };

  async function load(e164: string): Promise<Resolution | null> {
    const holder = await deps.numbers.holder(deps.db, e164);
    if (!holder || holder.state !== 'active' || !holder.numberId) return null;
    const row = await deps.withTenant(holder.tenantId, (tx) => deps.numbers.find(tx, holder.numberId!));
    if (!row || row.status !== 'active') return null;
    return {
      numberId: row.id,
      tenantId: row.tenantId,
      accountId: row.accountId ?? '',
      capabilities: row.capabilities,
      forwardingTarget: row.forwardingTarget ?? '',
      throughputClass: row.throughputClass,
      callerId: row.callerId ?? '',
      messagingWebhookUrl: row.messagingWebhookUrl ?? '',
      messagingWebhookFormat:
        row.messagingWebhookFormat === 'twilio'
          ? callbacksV1.CallbackFormat.CALLBACK_FORMAT_TWILIO
          : callbacksV1.CallbackFormat.CALLBACK_FORMAT_STANDARD_WEBHOOKS,
    };
  }
}
