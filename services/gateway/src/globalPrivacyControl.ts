import type { Request } from 'express';
import type { Caller, Logger } from '@parley/kit';
import type { Backends } from './backends';

/** How many users one gateway remembers as already reported; the oldest are forgotten first. */
const REMEMBERED = 10_000;

/** True when the request carries the Global Privacy Control signal (`Sec-GPC: 1`). */
export const carriesGpc = (request: Request) => request.get('sec-gpc')?.trim() === '1';

/**
 * The Global Privacy Control signal (`Sec-GPC: 1`) seen on sign-up and on a user's authenticated
 * requests, reported to privacy's consent ledger as an opt-out of sale/share for that user. Privacy records
 * it once (not again while it is in force, nor over an opt-in the user made after it); this gateway also
 * remembers whom it has reported, so a user's every request does not cost a call. The report runs beside
 * the request, never in its way: privacy slow or down delays and fails no request. A failed report is
 * logged and tried again with the user's next request.
 */
export class GlobalPrivacyControl {
  private readonly reported = new Map<string, true>();
  /** Reports under way, one per user, so that requests arriving together make one. */
  private readonly reporting = new Map<string, Promise<void>>();

  constructor(
    private readonly backends: Backends,
    private readonly log: Logger,
  ) {}

  /** An authenticated request: reports the signal for its user (API keys and clients are no one's). */
  seen(caller: Caller, request: Request): void {
    if (!carriesGpc(request) || !caller.principal.startsWith('user:')) return;
    this.report(`${caller.tenantId}\n${caller.principal}`, caller.tenantId, async () => {
      const { identity } = this.backends;
      const { account } = await this.backends.as(caller, identity, identity.getAccount, { accountId: 'me' });
      return account?.id;
    });
  }

  /** A sign-up: reports the signal for the account just created. */
  signedUp(tenantId: string, accountId: string, request: Request): void {
    if (!carriesGpc(request)) return;
    this.report(`${tenantId}\naccount:${accountId}`, tenantId, async () => accountId);
  }

  /** Waits for the reports under way (a test, or a stop that wants them done). */
  async settled(): Promise<void> {
    await Promise.all(this.reporting.values());
  }

  private report(key: string, tenantId: string, accountOf: () => Promise<string | undefined>): void {
    if (this.reported.has(key) || this.reporting.has(key)) return;
    const running = this.send(key, tenantId, accountOf).finally(() => this.reporting.delete(key));
    this.reporting.set(key, running);
  }

  private async send(key: string, tenantId: string, accountOf: () => Promise<string | undefined>) {
    try {
      const accountId = await accountOf();
      if (!accountId) return;
      const { privacy } = this.backends;
      await this.backends.as(
        { ...this.backends.gatewayCaller, tenantId },
        privacy,
        privacy.recordGlobalPrivacyControl,
        { subject: { accountId, email: '', phone: '' } },
      );
      this.reported.set(key, true);
      if (this.reported.size > REMEMBERED) this.reported.delete(this.reported.keys().next().value!);
    } catch (error) {
      this.log.warn({ err: error }, 'could not record the Global Privacy Control signal; will try again');
    }
  }
}
