import { currency, type FieldViolation, type RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import type { NumberingDeps } from '../deps';
import { invalidRequest } from '../domain/errors';
import type { Settings } from '../db/settings';
import { settingsMessage } from './getNumberingSettings';

/**
 * Changes the tenant's settings. The billing currency must be one prices can be shown in: the supplier's
 * own, or one the exchange-rate table converts into.
 */
export function makeUpdateNumberingSettings(deps: Pick<NumberingDeps, 'withTenant' | 'settings' | 'rates'>) {
  const priced = new Set(['USD', ...[...deps.rates.keys()].map((pair) => pair.slice(4))]);
  return async ({
    request,
    caller,
  }: RpcContext<numberingV1.UpdateNumberingSettingsRequest>): Promise<numberingV1.UpdateNumberingSettingsResponse> => {
    const violations: FieldViolation[] = [];
    if (request.billingCurrency !== undefined) {
      let code = '';
      try {
        code = currency(request.billingCurrency, 'billingCurrency').code;
      } catch {
        code = '';
      }
      if (!priced.has(code)) {
        violations.push({ field: 'billingCurrency', description: `one of ${[...priced].sort().join(', ')}` });
      }
    }
    if (
      request.quarantineDays !== undefined &&
      (!Number.isInteger(request.quarantineDays) ||
        request.quarantineDays < 0 ||
        request.quarantineDays > 365)
    ) {
      violations.push({ field: 'quarantineDays', description: 'an integer from 0 to 365' });
    }
    if (request.erasurePolicy !== undefined && !['unassign', 'release'].includes(request.erasurePolicy)) {
      violations.push({ field: 'erasurePolicy', description: 'unassign or release' });
    }
    if (violations.length > 0) throw invalidRequest(violations);
    const settings = await deps.withTenant(caller.tenantId, async (tx) => {
      const current = await deps.settings.get(tx);
      return deps.settings.put(tx, caller.tenantId, {
        billingCurrency: request.billingCurrency ?? current.billingCurrency,
        quarantineDays: request.quarantineDays ?? current.quarantineDays,
        erasurePolicy:
          (request.erasurePolicy as Settings['erasurePolicy'] | undefined) ?? current.erasurePolicy,
      });
    });
    return { settings: settingsMessage(settings) };
  };
}
