import { call, createClient, type Caller } from '@parley/kit';
import { billingV1 } from '@parley/proto';
import type { Metadata } from '@grpc/grpc-js';
import type { Authorisation } from './domain/authorisation';
import { billingUnavailable } from './domain/errors';

/**
 * The authorisation port answered by billing's Authorise RPC (from billing's memory). Billing down is not
 * an allowance: the send is refused as unavailable and the caller retries, so a prepaid tenant cannot send
 * past its balance while billing is away.
 */
export function billingAuthorisation(
  address: string,
  metadataFor: (caller: Caller) => Promise<Metadata>,
): Authorisation & { close(): void } {
  const billing = createClient(billingV1.BillingServiceClient, address, {
    serviceName: 'parley.billing.v1.BillingService',
    idempotentMethods: ['ReleaseReservation'],
  });
  const as = async (tenantId: string) => ({
    metadata: await metadataFor({ tenantId, principal: 'service:messaging', scopes: ['internal'] }),
  });
  return {
    async authorise(request) {
      let answer: billingV1.AuthoriseResponse;
      try {
        answer = await call(
          billing,
          billing.authorise,
          {
            kind: request.kind,
            segments: request.segments,
            destinationCountry: request.destinationCountry,
            reference: request.reference,
          },
          await as(request.tenantId),
        );
      } catch {
        throw billingUnavailable();
      }
      if (answer.allowed) return { allowed: true, reservationId: answer.reservationId };
      if (answer.reason === 'INSUFFICIENT_BALANCE') {
        return {
          allowed: false,
          reason: 'INSUFFICIENT_BALANCE',
          message: 'the prepaid balance does not cover this send; top up to continue',
        };
      }
      // No billing account or plan for the tenant yet (BILLING_ACCOUNT_NOT_FOUND, BILLING_PLAN_MISSING).
      return {
        allowed: false,
        reason: 'BILLING_NOT_READY',
        message: 'billing has no account or plan for the tenant yet',
      };
    },
    async release(tenantId, reservationId) {
      if (!reservationId) return;
      // Best effort: an unreleased reservation expires on its own.
      await call(billing, billing.releaseReservation, { reservationId }, await as(tenantId)).catch(
        () => undefined,
      );
    },
    close: () => billing.close(),
  };
}
