import { twilioSignature, type FieldViolation, type RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { twilioAuthTokenMissing, twilioCallbackInvalid } from '../domain/errors';
import type { TwilioAuthTokenRepository } from '../db/twilioAuthTokens';

/**
 * Messaging asks for the X-Twilio-Signature of a callback it is about to post to the caller's tenant in
 * Twilio's format. Signed with the tenant's newest token: during a rotation's overlap the application may
 * already have switched to it, and it is the one that keeps working. The token itself never leaves identity.
 */
export function makeSignTwilioCallback(deps: { twilioTokens: TwilioAuthTokenRepository; now?: () => Date }) {
  return async ({
    request,
    caller,
  }: RpcContext<identityV1.SignTwilioCallbackRequest>): Promise<identityV1.SignTwilioCallbackResponse> => {
    const violations: FieldViolation[] = [];
    if (!/^https?:\/\/\S+$/.test(request.url) || request.url.length > 4096)
      violations.push({ field: 'url', description: 'an http(s) URL of at most 4096 characters' });
    if (Object.keys(request.params).length > 200)
      violations.push({ field: 'params', description: 'at most 200 parameters' });
    if (violations.length > 0) throw twilioCallbackInvalid(violations);
    const token = await deps.twilioTokens.newest(caller.tenantId, deps.now?.() ?? new Date());
    if (!token) throw twilioAuthTokenMissing();
    return { signature: twilioSignature(token, request.url, request.params) };
  };
}
