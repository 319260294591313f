import type { JobContext } from '@parley/kit';
import { FOLLOW_SECONDS, QUEUES, type NumberingDeps } from '../deps';
import { countryOf, defaultThroughputClass } from '../domain/numbers';
import { routeToParley } from './followOrder';
import { SupplierError, type SupplierPortIn } from '../domain/supplier';
import { publishAssigned } from '../events/published';
import type { PortInRow } from '../db/schema';

/**
 * Submits a port-in (its id is the supplier's reference, so a repeated attempt is the same request) and
 * follows it every FOLLOW_SECONDS until it is ported, in exception or cancelled. Ported numbers become
 * active numbers of the tenant and publish numbering.number.assigned. The PIN is dropped once submitted.
 */
export function makeFollowPortIn(deps: NumberingDeps) {
  return async (job: JobContext<{ portInId: string }>): Promise<void> => {
    const tenantId = job.tenantId!;
    const row = await deps.withTenant(tenantId, (tx) => deps.portIns.find(tx, job.data.portInId));
    if (!row || ['ported', 'cancelled', 'exception'].includes(row.status)) return;
    let state: SupplierPortIn;
    try {
      state = row.supplierPortInId ? await deps.supplier.getPortIn(row.supplierPortInId) : await submit(row);
    } catch (error) {
      if (error instanceof SupplierError && error.kind !== 'unavailable') {
        await deps.withTenant(tenantId, async (tx) => {
          for (const e164 of row.phoneNumbers) await deps.numbers.unclaim(tx, e164);
          await deps.portIns.update(tx, row.id, {
            status: 'exception',
            exceptionReason: error.code || error.kind,
            pin: null,
          });
        });
        return;
      }
      throw error;
    }
    if (state.status === 'ported') {
      for (const e164 of row.phoneNumbers) await routeToParley(deps, e164);
    }
    const ported = await deps.withTenant(tenantId, async (tx) => {
      const locked = await deps.portIns.find(tx, row.id, true);
      if (!locked || ['ported', 'cancelled', 'exception'].includes(locked.status)) return [];
      const changes = {
        status: state.status,
        supplierPortInId: state.id,
        focDate: state.focDate ?? locked.focDate,
        exceptionReason: state.exceptionReason ?? null,
        pin: null,
      };
      if (state.status === 'exception' || state.status === 'cancelled') {
        for (const e164 of locked.phoneNumbers) await deps.numbers.unclaim(tx, e164);
        await deps.portIns.update(tx, locked.id, { ...changes, completedAt: new Date() });
        return [];
      }
      if (state.status !== 'ported') {
        await deps.portIns.update(tx, locked.id, changes);
        await deps.jobs.send(
          QUEUES.followPortIn,
          { portInId: locked.id },
          { tx, tenantId, startAfter: FOLLOW_SECONDS },
        );
        return [];
      }
      const { billingCurrency } = await deps.settings.get(tx);
      const now = new Date();
      for (const e164 of locked.phoneNumbers) {
        const number = await deps.numbers.insert(tx, {
          tenantId,
          e164,
          country: countryOf(e164) ?? locked.address?.country ?? '',
          type: 'local',
          capabilities: ['sms', 'mms', 'voice'],
          accountId: locked.accountId,
          currency: billingCurrency,
          throughputClass: defaultThroughputClass('local'),
          source: 'port_in',
          sourceId: locked.id,
          assignedAt: now,
        });
        await deps.numbers.setHolder(tx, e164, { state: 'active', numberId: number.id });
        await publishAssigned(deps.outbox, tx, number);
      }
      await deps.portIns.update(tx, locked.id, { ...changes, completedAt: now });
      return locked.phoneNumbers;
    });
    for (const e164 of ported) deps.cache.invalidate(e164);
  };

  async function submit(row: PortInRow): Promise<SupplierPortIn> {
    const address = row.address!;
    const submitted = await deps.supplier.submitPortIn({
      phoneNumbers: row.phoneNumbers,
      losingCarrier: row.losingCarrier,
      accountNumber: row.accountNumber ?? '',
      ...(row.pin ? { pin: row.pin } : {}),
      authorizedName: row.authorizedName ?? '',
      address: {
        line1: address.line1,
        ...(address.line2 ? { line2: address.line2 } : {}),
        city: address.city,
        ...(address.region ? { region: address.region } : {}),
        postalCode: address.postalCode,
        country: address.country,
      },
      requestedDate: row.requestedDate,
      reference: row.id,
    });
    await deps.withTenant(row.tenantId, (tx) =>
      deps.portIns.update(tx, row.id, {
        supplierPortInId: submitted.id,
        status: submitted.status,
        pin: null,
      }),
    );
    return submitted;
  }
}
