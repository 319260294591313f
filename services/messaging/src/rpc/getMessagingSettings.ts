import type { RpcContext } from '@parley/kit';
import type { messagingV1 } from '@parley/proto';
import type { MessagingDeps } from '../deps';
import { settingsMessage } from './settingsMappers';

/** The tenant's messaging settings: what it set, the defaults for the rest, and the rates in force. */
export function makeGetMessagingSettings(deps: Pick<MessagingDeps, 'withTenant' | 'settings' | 'rates'>) {
  return async ({
    caller,
  }: RpcContext<messagingV1.GetMessagingSettingsRequest>): Promise<messagingV1.GetMessagingSettingsResponse> => {
    const settings = await deps.withTenant(caller.tenantId, (tx) => deps.settings.get(tx));
    return { settings: settingsMessage(settings, deps.rates) };
  };
}
