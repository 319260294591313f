import { randomUUID } from 'node:crypto';
import { and, desc, eq, gt, isNotNull, isNull, or, sql } from 'drizzle-orm';
import { withTenant, type Database, type Sealer } from '@parley/kit';
import { tenants, twilioAccountLookup, twilioAuthTokens } from './schema';
import { twilioAccountSid, tokensMatch } from '../domain/twilio';

/** The Twilio-compatible API's auth tokens, sealed at rest (see migration 0004). */
export class TwilioAuthTokenRepository {
  constructor(
    private readonly db: Database,
    private readonly sealer: Sealer,
  ) {}

  /**
   * Makes `token` the tenant's current auth token: the current one keeps working until `overlapEnds`, any
   * older one still overlapping stops now. Returns when the previous token stops, if there was one.
   */
  async rotate(
    tenantId: string,
    token: string,
    now: Date,
    overlapEnds: Date,
  ): Promise<{ previousExpiresAt?: Date }> {
    return withTenant(this.db, tenantId, async (tx) => {
      // One rotation at a time per tenant, so two at once leave one current token.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${'twilio-auth-token:' + tenantId}))`);
      await tx
        .update(twilioAuthTokens)
        .set({ expiresAt: now })
        .where(and(isNotNull(twilioAuthTokens.expiresAt), gt(twilioAuthTokens.expiresAt, now)));
      const superseded = await tx
        .update(twilioAuthTokens)
        .set({ expiresAt: overlapEnds })
        .where(isNull(twilioAuthTokens.expiresAt))
        .returning({ id: twilioAuthTokens.id });
      await tx.insert(twilioAuthTokens).values({
        id: randomUUID(),
        tenantId,
        sealedToken: this.sealer.seal(Buffer.from(token, 'utf8'), tenantId),
        createdAt: now,
      });
      await tx
        .insert(twilioAccountLookup)
        .values({ accountSid: twilioAccountSid(tenantId), tenantId })
        .onConflictDoNothing();
      return superseded.length > 0 ? { previousExpiresAt: overlapEnds } : {};
    });
  }

  /**
   * The tenant whose Account SID and working auth token (current, or previous within its overlap) these
   * are, with its status; undefined for anything else.
   */
  async authenticate(
    accountSid: string,
    token: string,
    now: Date,
  ): Promise<{ tenantId: string; tenantStatus: string } | undefined> {
    const [entry] = await this.db
      .select()
      .from(twilioAccountLookup)
      .where(eq(twilioAccountLookup.accountSid, accountSid));
    if (!entry) return undefined;
    return withTenant(this.db, entry.tenantId, async (tx) => {
      const rows = await tx
        .select({ sealed: twilioAuthTokens.sealedToken, tenantStatus: tenants.status })
        .from(twilioAuthTokens)
        .leftJoin(tenants, eq(tenants.id, twilioAuthTokens.tenantId))
        .where(or(isNull(twilioAuthTokens.expiresAt), gt(twilioAuthTokens.expiresAt, now)))
        .orderBy(desc(twilioAuthTokens.createdAt));
      const match = rows.find((row) =>
        tokensMatch(token, this.sealer.open(row.sealed, entry.tenantId).toString('utf8')),
      );
      return match ? { tenantId: entry.tenantId, tenantStatus: match.tenantStatus ?? '' } : undefined;
    });
  }

  /** The tenant's newest auth token still working at `now` (the one rotation made last), undefined for none. */
  async newest(tenantId: string, now: Date): Promise<string | undefined> {
    return withTenant(this.db, tenantId, async (tx) => {
      const [row] = await tx
        .select({ sealed: twilioAuthTokens.sealedToken })
        .from(twilioAuthTokens)
        .where(or(isNull(twilioAuthTokens.expiresAt), gt(twilioAuthTokens.expiresAt, now)))
        .orderBy(desc(twilioAuthTokens.createdAt))
        .limit(1);
      return row ? this.sealer.open(row.sealed, tenantId).toString('utf8') : undefined;
    });
  }
}
