import { sql } from 'drizzle-orm';
import type { RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import type { NumberingDeps } from '../deps';
import { fromSupplier } from '../domain/errors';
import { priceIn, searchQuery } from '../domain/numbers';

/**
 * Searches the supplier's inventory, hides numbers someone on the platform holds (ordering, active, porting
 * or in quarantine), prices the rest in the tenant's billing currency, and remembers what it showed so the
 * tenant can buy at that price.
 */
export function makeSearchAvailableNumbers(
  deps: Pick<NumberingDeps, 'withTenant' | 'supplier' | 'settings' | 'orders' | 'rates'>,
) {
  return async ({
    request,
    caller,
  }: RpcContext<numberingV1.SearchAvailableNumbersRequest>): Promise<numberingV1.SearchAvailableNumbersResponse> => {
    const query = searchQuery(request);
    const { billingCurrency } = await deps.withTenant(caller.tenantId, (tx) => deps.settings.get(tx));
    const found = await deps.supplier.search(query).catch((error: unknown) => {
      throw fromSupplier(error);
    });
    const priced = found.map((number) => ({
      number,
      setup: priceIn(number.setupPrice, billingCurrency, deps.rates),
      monthly: priceIn(number.monthlyPrice, billingCurrency, deps.rates),
    }));
    const shown = await deps.withTenant(caller.tenantId, async (tx) => {
      const held = new Set(
        (
          await tx.execute<{ e164: string }>(
            // Held by anyone: an order in flight, an active or porting number, or one still in quarantine.
            sqlHeld(priced.map((entry) => entry.number.phoneNumber)),
          )
        ).rows.map((row) => row.e164),
      );
      const visible = priced.filter((entry) => !held.has(entry.number.phoneNumber));
      await deps.orders.recordOffers(
        tx,
        visible.map(({ number, setup, monthly }) => ({
          tenantId: caller.tenantId,
          e164: number.phoneNumber,
          country: number.country,
          locality: number.locality,
          region: number.region,
          areaCode: number.areaCode,
          type: number.type,
          capabilities: number.capabilities,
          currency: setup.currency,
          setupMinor: setup.minorUnits,
          monthlyMinor: monthly.minorUnits,
        })),
      );
      return visible;
    });
    return {
      numbers: shown.map(({ number, setup, monthly }) => ({
        ...number,
        setupPrice: { currency: setup.currency, minorUnits: setup.minorUnits.toString() },
        monthlyPrice: { currency: monthly.currency, minorUnits: monthly.minorUnits.toString() },
      })),
    };
  };
}

function sqlHeld(e164s: string[]) {
  if (e164s.length === 0) return sql`select null::text as e164 where false`;
  return sql`select e164 from number_directory
              where e164 in ${e164s}
                and (state <> 'quarantined' or quarantine_until > now())`;
}
