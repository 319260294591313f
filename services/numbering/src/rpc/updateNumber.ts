import type { RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import type { NumberingDeps } from '../deps';
import { capabilityMissing, numberNotActive, numberNotFound } from '../domain/errors';
import { applyNumberPatch } from '../domain/numbers';
import { publishConfigured } from '../events/published';
import { numberMessage } from './mappers';

/** Configures an active number; publishes numbering.number.configured naming the fields that changed. */
export function makeUpdateNumber(deps: Pick<NumberingDeps, 'withTenant' | 'numbers' | 'outbox' | 'cache'>) {
  return async ({
    request,
    caller,
  }: RpcContext<numberingV1.UpdateNumberRequest>): Promise<numberingV1.UpdateNumberResponse> => {
    const row = await deps.withTenant(caller.tenantId, async (tx) => {
      const current = await deps.numbers.find(tx, request.numberId, true);
      if (!current || current.status === 'released') throw numberNotFound();
      if (current.status !== 'active') throw numberNotActive();
      const { next, changed, missingCapability } = applyNumberPatch(
        {
          friendlyName: current.friendlyName,
          accountId: current.accountId,
          forwardingTarget: current.forwardingTarget,
          callerId: current.callerId,
          messagingWebhookUrl: current.messagingWebhookUrl,
          messagingWebhookFormat: current.messagingWebhookFormat,
          voiceWebhookUrl: current.voiceWebhookUrl,
          messagingProfile: current.messagingProfile,
          throughputClass: current.throughputClass,
        },
        request.patch ?? {},
        current.capabilities,
      );
      if (missingCapability) throw capabilityMissing(...missingCapability);
      if (changed.length === 0) return current;
      const updated = await deps.numbers.update(tx, current.id, next);
      await publishConfigured(deps.outbox, tx, updated, changed);
      return updated;
    });
    deps.cache.invalidate(row.e164);
    return { number: numberMessage(row) };
  };
}
