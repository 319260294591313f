import { unauthenticated, type RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { isTwilioAccountSid } from '../domain/twilio';
import type { TwilioAuthTokenRepository } from '../db/twilioAuthTokens';

const rejected = () =>
  unauthenticated('TWILIO_CREDENTIALS_INVALID', 'the Account SID and auth token do not match');

/** The gateway asks whose Account SID and auth token a Twilio-compatible request presents. */
export function makeAuthenticateTwilio(deps: { twilioTokens: TwilioAuthTokenRepository; now?: () => Date }) {
  return async ({
    request,
  }: RpcContext<identityV1.AuthenticateTwilioRequest>): Promise<identityV1.AuthenticateTwilioResponse> => {
    if (!isTwilioAccountSid(request.accountSid) || !/^[0-9a-f]{32}$/.test(request.authToken))
      throw rejected();
    const found = await deps.twilioTokens.authenticate(
      request.accountSid,
      request.authToken,
      deps.now?.() ?? new Date(),
    );
    if (!found) throw rejected();
    if (found.tenantStatus !== 'active')
      throw unauthenticated('TENANT_INACTIVE', `tenant ${found.tenantId} is not active`);
    return { tenantId: found.tenantId };
  };
}
