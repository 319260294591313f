import type { RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { generateTwilioAuthToken, TWILIO_TOKEN_OVERLAP_MS, twilioAccountSid } from '../domain/twilio';
import type { TwilioAuthTokenRepository } from '../db/twilioAuthTokens';

/**
 * Creates or rotates the caller's tenant's auth token for the Twilio-compatible API. The new token is
 * answered here only (a retry with the same Idempotency-Key gets the gateway's stored answer); the previous
 * one keeps working for TWILIO_TOKEN_OVERLAP_MS.
 */
export function makeRotateTwilioAuthToken(deps: {
  twilioTokens: TwilioAuthTokenRepository;
  now?: () => Date;
}) {
  return async ({
    caller,
  }: RpcContext<identityV1.RotateTwilioAuthTokenRequest>): Promise<identityV1.RotateTwilioAuthTokenResponse> => {
    const now = deps.now?.() ?? new Date();
    const authToken = generateTwilioAuthToken();
    const { previousExpiresAt } = await deps.twilioTokens.rotate(
      caller.tenantId,
      authToken,
      now,
      new Date(now.getTime() + TWILIO_TOKEN_OVERLAP_MS),
    );
    return { accountSid: twilioAccountSid(caller.tenantId), authToken, previousExpiresAt };
  };
}
