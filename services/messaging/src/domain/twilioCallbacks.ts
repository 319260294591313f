// Callbacks in Twilio's format: the parameters Twilio posts for a message's status change (status callback)
// and for a message received on a number (its SmsUrl), rendered from the payload Parley keeps for every
// delivery. Pure; the worker (jobs/deliverWebhook.ts) form-encodes and signs them.
import {
  TWILIO_API_VERSION,
  twilioAccountSid,
  twilioMessageError,
  twilioMessageStatus,
  twilioSid,
} from '@parley/kit';
import type { WebhookPayload } from '../db/schema';

/** The event type of an inbound message's webhook (carrier/inbound.ts). */
export const RECEIVED_TYPE = 'message.received';

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * The POST parameters of one callback, by Twilio's names: a status callback has MessageSid, SmsSid,
 * AccountSid, From, To, MessageStatus, SmsStatus, ApiVersion and, for a failure, ErrorCode; an inbound
 * message has MessageSid, SmsMessageSid, SmsSid, AccountSid, From, To, Body, NumMedia, MediaUrl0..,
 * NumSegments, SmsStatus and ApiVersion.
 */
export function twilioCallbackParams(tenantId: string, payload: WebhookPayload): Record<string, string> {
  const data = payload.data;
  const sid = twilioSid('SM', text(data.id));
  const common = {
    AccountSid: twilioAccountSid(tenantId),
    ApiVersion: TWILIO_API_VERSION,
    From: text(data.from),
    MessageSid: sid,
    SmsSid: sid,
    To: text(data.to),
  };
  if (payload.type === RECEIVED_TYPE) {
    const mediaUrls = Array.isArray(data.mediaUrls) ? data.mediaUrls.map(text) : [];
    const media = Object.fromEntries(mediaUrls.map((url, index) => [`MediaUrl${index}`, url]));
    return {
      ...common,
      Body: text(data.body),
      NumMedia: String(mediaUrls.length),
      NumSegments: String(typeof data.numSegments === 'number' ? data.numSegments : 1),
      SmsMessageSid: sid,
      SmsStatus: 'received',
      ...media,
    };
  }
  const status = twilioMessageStatus(text(data.status));
  const error = twilioMessageError(
    text(data.status),
    typeof data.errorCode === 'string' ? data.errorCode : null,
  );
  return {
    ...common,
    MessageStatus: status,
    SmsStatus: status,
    ...(error ? { ErrorCode: String(error.code) } : {}),
  };
}
