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
 * remembers whom it has reported, so a user's every request does not cost a call. A failure to report is
 * logged and retried with the user's next request; it never fails the request itself.
 */
export class GlobalPrivacyControl {
  private readonly reported = new Map<string, true>();

  constructor(
    private readonly backends: Backends,
    private readonly log: Logger,
  ) {}

  /** An authenticated request: reports the signal for its user (API keys and clients are no one's). */
  async seen(caller: Caller, request: Request): Promise<void> {
    if (!carriesGpc(request) || !caller.principal.startsWith('user:')) return;
    const key = `${caller.tenantId}\n${caller.principal}`;
    if (this.reported.has(key)) return;
    await this.report(key, caller.tenantId, async () => {
      const { identity } = this.backends;
      const { account } = await this.backends.as(caller, identity, identity.getAccount, { accountId: 'me' });
      return account?.id;
    });
  }

  /** A sign-up: reports the signal for the account just created. */
  async signedUp(tenantId: string, accountId: string, request: Request): Promise<void> {
    if (!carriesGpc(request)) return;
    await this.report(`${tenantId}\naccount:${accountId}`, tenantId, async () => accountId);
  }

  private async report(key: string, tenantId: string, accountOf: () => Promise<string | undefined>) {
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
