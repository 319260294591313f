/** One entry of the consent ledger, as far as deciding the current state needs it. */
export interface ConsentEntry {
  id: string;
  purpose: string;
  granted: boolean;
  method: string;
  recordedAt: Date;
}

/** The entry in force for a purpose, why it is, and the later entry it wins over, if any. */
export interface ConsentDecision<Entry extends ConsentEntry = ConsentEntry> {
  entry: Entry;
  basis: string;
  overrides?: Entry;
}

/** How a Global Privacy Control signal is recorded in the ledger. */
export const GPC_METHOD = 'gpc';

/**
 * The methods by which an opt-in to sale/share made after a Global Privacy Control opt-out wins over it:
 * the subject's own affirmative choice through a form or the API (CCPA regulations section 7025(c)(3):
 * the business may ask the consumer to consent despite the signal, with the consent procedures of
 * section 7004, and opt-ins are two-step under section 7028). A cookie-banner click or an import is kept
 * in the ledger but does not override the signal.
 */
export const OPT_IN_OVER_GPC_METHODS: readonly string[] = ['form', 'api'];

export const BASIS_LATEST = 'the latest decision for this purpose';
export const BASIS_GPC =
  'the Global Privacy Control signal is a valid opt-out of sale/share (CCPA regulations section 7025)';
export const BASIS_GPC_WINS =
  'the Global Privacy Control opt-out wins over a grant made before the signal or by banner or import; only an opt-in by form or API made after the signal overrides it (CCPA regulations sections 7025(c)(3) and 7028)';
export const BASIS_OPT_IN_AFTER_GPC =
  "the subject's explicit opt-in by form or API, made after the Global Privacy Control opt-out, overrides it (CCPA regulations section 7025(c)(3))";

/** Oldest first; entries of one instant in the order GPC first (it is recorded before the choice it came with). */
function chronological<Entry extends ConsentEntry>(entries: readonly Entry[]): Entry[] {
  return [...entries].sort(
    (a, b) =>
      a.recordedAt.getTime() - b.recordedAt.getTime() ||
      Number(b.method === GPC_METHOD) - Number(a.method === GPC_METHOD),
  );
}

/** The decision in force for one purpose, from all of its entries (any order), or undefined if none. */
export function decide<Entry extends ConsentEntry>(
  entries: readonly Entry[],
): ConsentDecision<Entry> | undefined {
  const ordered = chronological(entries);
  const latest = ordered[ordered.length - 1];
  if (!latest) return undefined;
  const lastGpc = [...ordered].reverse().find((entry) => entry.method === GPC_METHOD && !entry.granted);
  if (latest.purpose !== 'sale_share' || !lastGpc) return { entry: latest, basis: BASIS_LATEST };
  if (!latest.granted) return { entry: latest, basis: latest === lastGpc ? BASIS_GPC : BASIS_LATEST };
  // A grant recorded after the signal: it wins only if it is the subject's explicit opt-in.
  if (OPT_IN_OVER_GPC_METHODS.includes(latest.method))
    return { entry: latest, basis: BASIS_OPT_IN_AFTER_GPC };
  return { entry: lastGpc, basis: BASIS_GPC_WINS, overrides: latest };
}

/** The decision in force for each purpose that has entries. */
export function currentDecisions<Entry extends ConsentEntry>(
  history: readonly Entry[],
): ConsentDecision<Entry>[] {
  const byPurpose = new Map<string, Entry[]>();
  for (const entry of history) byPurpose.set(entry.purpose, [...(byPurpose.get(entry.purpose) ?? []), entry]);
  return [...byPurpose.values()].map((entries) => decide(entries)!);
}

/**
 * Whether a Global Privacy Control signal seen now must be recorded, given the subject's sale/share
 * entries: once, when no opt-out is in force — not again while it is, nor after the subject has opted in
 * explicitly since (the signal keeps arriving with every request; recording it again would silently undo
 * the choice they made after it). A grant from before any signal is overridden: the signal is recorded.
 */
export function gpcToRecord(saleShareEntries: readonly ConsentEntry[]): boolean {
  const current = decide(saleShareEntries);
  if (!current) return true;
  if (!current.entry.granted) return false;
  return !saleShareEntries.some((entry) => entry.method === GPC_METHOD && !entry.granted);
}
