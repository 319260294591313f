import { describe, expect, it } from '@jest/globals';
import {
  BASIS_GPC,
  BASIS_GPC_WINS,
  BASIS_LATEST,
  BASIS_OPT_IN_AFTER_GPC,
  currentDecisions,
  decide,
  gpcToRecord,
  type ConsentEntry,
} from './consentState';

let clock = Date.parse('2026-01-01T00:00:00Z');
const entry = (granted: boolean, method: string, purpose = 'sale_share'): ConsentEntry => ({
  id: `${purpose}-${method}-${granted}-${clock}`,
  purpose,
  granted,
  method,
  recordedAt: new Date((clock += 1_000)),
});

describe('the consent decision in force', () => {
  it('is the latest entry for a purpose other than sale/share', () => {
    const older = entry(false, 'gpc', 'marketing_email');
    const newer = entry(true, 'banner', 'marketing_email');
    expect(decide([newer, older])).toEqual({ entry: newer, basis: BASIS_LATEST });
  });

  it('is the GPC opt-out over a grant made before the signal', () => {
    const grant = entry(true, 'form');
    const gpc = entry(false, 'gpc');
    expect(decide([grant, gpc])).toEqual({ entry: gpc, basis: BASIS_GPC });
  });

  it('is an explicit opt-in by form or API made after the signal, which says it overrides the signal', () => {
    const gpc = entry(false, 'gpc');
    const optIn = entry(true, 'api');
    expect(decide([gpc, optIn])).toEqual({ entry: optIn, basis: BASIS_OPT_IN_AFTER_GPC });
  });

  it('keeps the GPC opt-out over a later banner or imported grant, naming the grant it wins over', () => {
    const gpc = entry(false, 'gpc');
    const banner = entry(true, 'banner');
    expect(decide([gpc, banner])).toEqual({ entry: gpc, basis: BASIS_GPC_WINS, overrides: banner });
    const imported = entry(true, 'import');
    expect(decide([gpc, banner, imported])).toMatchObject({ entry: gpc, overrides: imported });
  });

  it('orders a GPC entry before the choice recorded in the same instant', () => {
    const at = new Date('2026-02-01T00:00:00Z');
    const optIn = { ...entry(true, 'form'), recordedAt: at };
    const gpc = { ...entry(false, 'gpc'), recordedAt: at };
    expect(decide([optIn, gpc])?.entry).toBe(optIn);
  });

  it('answers one decision per purpose', () => {
    const decisions = currentDecisions([entry(true, 'api', 'marketing_sms'), entry(false, 'gpc')]);
    expect(decisions.map((decision) => decision.entry.purpose).sort()).toEqual([
      'marketing_sms',
      'sale_share',
    ]);
  });
});

describe('recording the Global Privacy Control signal', () => {
  it('records it once: when nothing is recorded, and not while an opt-out is in force', () => {
    expect(gpcToRecord([])).toBe(true);
    expect(gpcToRecord([entry(false, 'gpc')])).toBe(false);
    expect(gpcToRecord([entry(false, 'form')])).toBe(false);
  });

  it('records it over a grant made before any signal', () => {
    expect(gpcToRecord([entry(true, 'form')])).toBe(true);
  });

  it('does not record it again after the subject opted in explicitly since the signal', () => {
    expect(gpcToRecord([entry(false, 'gpc'), entry(true, 'form')])).toBe(false);
  });
});
