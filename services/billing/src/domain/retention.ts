// How long the law of a billing country obliges keeping financial records (invoices and the usage they
// bill) after the customer leaves. Each period counts from the end of the calendar year in which the
// customer left, as the codes below count theirs from the end of the year a record belongs to: a record is
// never older than its customer's departure, so this is never shorter than the law asks.

/**
 * Built-in periods in whole years, by ISO 3166-1 alpha-2 billing country; the rest use the default
 * (BILLING_RETENTION_DEFAULT_YEARS), and BILLING_RETENTION_YEARS overrides or adds entries.
 *
 * - AT 7: Bundesabgabenordnung § 132 (1), books, records and their vouchers seven years
 *   (https://www.ris.bka.gv.at, BAO § 132).
 * - DE 10: Abgabenordnung § 147 (1) Nr. 1, (3) and HGB § 257: books and records ten years. Invoices alone
 *   (Buchungsbelege, UStG § 14b) are eight since 2025 (Viertes Bürokratieentlastungsgesetz); billing keeps
 *   invoices with the usage records they are booked from, so the longer period.
 * - FR 10: Code de commerce art. L123-22: "les documents comptables et les pièces justificatives sont
 *   conservés pendant dix ans" (the tax code's six years, LPF L102 B, is shorter).
 * - GB 6: HMRC: VAT records six years (VAT Act 1994 Sch. 11 para. 6) and a company's accounting records
 *   six years from the end of the accounting period (Finance Act 1998 Sch. 18 para. 21).
 * - US 7: no single federal period; the IRS asks for three years in general and seven where a bad-debt or
 *   worthless-securities claim is made ("How long should I keep records?", irs.gov), the common practice.
 */
export const LEGAL_RETENTION_YEARS: Readonly<Record<string, number>> = {
  AT: 7,
  DE: 10,
  FR: 10,
  GB: 6,
  US: 7,
};

/** The default when a country has no entry (or a profile has no country): seven years. */
export const DEFAULT_RETENTION_YEARS = 7;

export interface RetentionPeriods {
  /** Years by billing country (built-in entries merged with the environment's). */
  byCountry: Readonly<Record<string, number>>;
  /** Years for any other country, or none. */
  defaultYears: number;
}

/** The built-in table with `overrides` on top. */
export function retentionPeriods(
  overrides: Readonly<Record<string, number>> = {},
  defaultYears = DEFAULT_RETENTION_YEARS,
): RetentionPeriods {
  return { byCountry: { ...LEGAL_RETENTION_YEARS, ...overrides }, defaultYears };
}

/** The period for a billing country (null or unknown: the default). */
export function retentionYears(periods: RetentionPeriods, country: string | null | undefined): number {
  return (country ? periods.byCountry[country.toUpperCase()] : undefined) ?? periods.defaultYears;
}

/** When records of a customer who left at `closedAt` may go: the end of that year, plus the period. */
export function keptUntil(closedAt: Date, years: number): Date {
  return new Date(Date.UTC(closedAt.getUTCFullYear() + 1 + years, 0, 1));
}
