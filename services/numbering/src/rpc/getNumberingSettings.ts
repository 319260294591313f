import type { RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import type { NumberingDeps } from '../deps';
import type { Settings } from '../db/settings';

/** The settings as the API shows them. */
export const settingsMessage = (settings: Settings): numberingV1.NumberingSettings => ({ ...settings });

export function makeGetNumberingSettings(deps: Pick<NumberingDeps, 'withTenant' | 'settings'>) {
  return async ({
    caller,
  }: RpcContext<numberingV1.GetNumberingSettingsRequest>): Promise<numberingV1.GetNumberingSettingsResponse> => ({
    settings: settingsMessage(await deps.withTenant(caller.tenantId, (tx) => deps.settings.get(tx))),
  });
}
