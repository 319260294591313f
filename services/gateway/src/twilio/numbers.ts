import { setTimeout as sleep } from 'node:timers/promises';
import type { Request } from 'express';
import type { Caller } from '@parley/kit';
import { callbacksV1, type numberingV1 } from '@parley/proto';
import type { Backends } from '../backends';
import { notFound, TwilioError } from './errors';
import { API_VERSION, availableNumberResource, incomingNumberResource, listPage } from './format';
import {
  flag,
  one,
  pageNumberOf,
  pageSizeOf,
  refuseUnoffered,
  type Fields,
  type TwilioOperation,
} from './operation';
import { uuidOf } from './sids';

/** Twilio's number types in the AvailablePhoneNumbers path, as numbering names them. */
const typeByResource: Record<string, string> = { Local: 'local', TollFree: 'toll_free', Mobile: 'mobile' };

/** IncomingPhoneNumber settings Twilio has and Parley's numbers do not. */
const unofferedNumberFields = [
  'StatusCallback',
  'SmsApplicationSid',
  'VoiceApplicationSid',
  'SmsFallbackUrl',
  'VoiceFallbackUrl',
  'TrunkSid',
  'AddressSid',
  'BundleSid',
  'IdentitySid',
  'EmergencyAddressSid',
];

/** The settings a Twilio request changes, as numbering's patch (present fields change; '' clears). */
function patchOf(form: Fields): numberingV1.NumberPatch {
  const friendlyName = one(form, 'FriendlyName');
  const smsUrl = one(form, 'SmsUrl');
  const voiceUrl = one(form, 'VoiceUrl');
  return {
    ...(friendlyName !== undefined ? { friendlyName } : {}),
    // An SmsUrl is posted to as Twilio posts: form-encoded, with X-Twilio-Signature.
    ...(smsUrl !== undefined
      ? {
          messagingWebhookUrl: smsUrl,
          messagingWebhookFormat: callbacksV1.CallbackFormat.CALLBACK_FORMAT_TWILIO,
        }
      : {}),
    ...(voiceUrl !== undefined ? { voiceWebhookUrl: voiceUrl } : {}),
  };
}

const capabilitiesOf = (query: Fields) =>
  (
    [
      ['SmsEnabled', 'sms'],
      ['MmsEnabled', 'mms'],
      ['VoiceEnabled', 'voice'],
    ] as const
  )
    .filter(([name]) => flag(query, name) === true)
    .map(([, capability]) => capability);

/**
 * AvailablePhoneNumbers (search), IncomingPhoneNumbers (list, buy, fetch, update, release): numbering's
 * RPCs, as the native `/v1/available-numbers` and `/v1/numbers` routes call them.
 */
export function numberOperations(backends: Backends, options: { orderWaitMs: number }): TwilioOperation[] {
  const { numbering } = backends;

  /**
   * Buying is an order that completes when the supplier confirms; Twilio answers with the number, so this
   * waits for the order (bounded). One still pending then answers 503: retried with the same idempotency
   * token, the same order is waited for again (numbering deduplicates it by the forwarded request id).
   */
  const buy = async (caller: Caller, phoneNumber: string): Promise<numberingV1.PhoneNumber | undefined> => {
    let { order } = await backends.as(caller, numbering, numbering.createNumberOrder, {
      phoneNumber,
      accountId: '',
    });
    const deadline = Date.now() + options.orderWaitMs;
    while (order?.status === 'pending' && Date.now() < deadline) {
      await sleep(100);
      ({ order } = await backends.as(caller, numbering, numbering.getNumberOrder, { orderId: order.id }));
    }
    if (order?.status === 'failed')
      throw new TwilioError(400, 21422, `The phone number could not be bought: ${order.failureReason}`);
    if (order?.status !== 'active' || !order.numberId)
      throw new TwilioError(
        503,
        20503,
        'The purchase is still being completed; retry with the same idempotency token',
      );
    return (await backends.as(caller, numbering, numbering.getNumber, { numberId: order.numberId })).number;
  };

  /** The tenant's active number a PN SID names, or 20404 (a released number is gone, as on Twilio). */
  const activeNumber = async (input: {
    caller: Caller;
    params: Record<string, string>;
    request: Request;
  }) => {
    const numberId = uuidOf('PN', input.params.Sid ?? '');
    if (!numberId) throw notFound(input.request);
    const { number } = await backends.as(input.caller, numbering, numbering.getNumber, { numberId });
    if (!number || number.status !== 'active') throw notFound(input.request);
    return number;
  };

  return [
    {
      method: 'get',
      path: '/AvailablePhoneNumbers/:Country/:Type.json',
      scope: 'numbers:read',
      run: async ({ caller, params, query, request }) => {
        const type = typeByResource[params.Type ?? ''];
        if (!type) throw notFound(request);
        refuseUnoffered(query, [
          'NearNumber',
          'NearLatLong',
          'Distance',
          'InPostalCode',
          'InRegion',
          'InLata',
          'InRateCenter',
        ]);
        const { numbers } = await backends.as(caller, numbering, numbering.searchAvailableNumbers, {
          country: (params.Country ?? '').toUpperCase(),
          areaCode: one(query, 'AreaCode') ?? '',
          type,
          capabilities: capabilitiesOf(query),
          contains: one(query, 'Contains') ?? '',
          limit: one(query, 'PageSize') === undefined ? 0 : pageSizeOf(query),
        });
        return {
          status: 200,
          body: {
            available_phone_numbers: numbers.map(availableNumberResource),
            uri: request.originalUrl,
          },
        };
      },
    },
    {
      method: 'get',
      path: '/IncomingPhoneNumbers.json',
      scope: 'numbers:read',
      run: async ({ caller, accountSid, query }) => {
        const pageSize = pageSizeOf(query);
        const page = await backends.as(caller, numbering, numbering.listNumbers, {
          pageSize,
          pageToken: one(query, 'PageToken') ?? '',
          capability: '',
          status: 'active',
          country: '',
          accountId: '',
        });
        const phoneNumber = one(query, 'PhoneNumber');
        const friendlyName = one(query, 'FriendlyName');
        const records = page.numbers.filter(
          (number) =>
            (!phoneNumber || number.e164.includes(phoneNumber)) &&
            (!friendlyName || number.friendlyName === friendlyName),
        );
        const filters: Record<string, string> = {};
        if (phoneNumber !== undefined) filters.PhoneNumber = phoneNumber;
        if (friendlyName !== undefined) filters.FriendlyName = friendlyName;
        return {
          status: 200,
          body: listPage({
            key: 'incoming_phone_numbers',
            records: records.map((number) => incomingNumberResource(number, accountSid)),
            path: `/${API_VERSION}/Accounts/${accountSid}/IncomingPhoneNumbers.json`,
            filters,
            page: pageNumberOf(query),
            pageSize,
            nextPageToken: page.nextPageToken,
          }),
        };
      },
    },
    {
      method: 'post',
      path: '/IncomingPhoneNumbers.json',
      scope: 'numbers:write',
      creates: true,
      run: async ({ caller, accountSid, form }) => {
        refuseUnoffered(form, unofferedNumberFields);
        let phoneNumber = one(form, 'PhoneNumber');
        const areaCode = one(form, 'AreaCode');
        if (!phoneNumber && areaCode) {
          // Twilio buys any number in the area code: the first one a search finds.
          const { numbers } = await backends.as(caller, numbering, numbering.searchAvailableNumbers, {
            country: 'US',
            areaCode,
            type: 'local',
            capabilities: [],
            contains: '',
            limit: 1,
          });
          phoneNumber = numbers[0]?.phoneNumber;
          if (!phoneNumber)
            throw new TwilioError(400, 21452, `No phone numbers found in area code ${areaCode}.`);
        }
        if (!phoneNumber) throw new TwilioError(400, 21450, 'A PhoneNumber or an AreaCode is required.');
        let number = await buy(caller, phoneNumber);
        const patch = patchOf(form);
        if (number && Object.keys(patch).length > 0) {
          ({ number } = await backends.as(caller, numbering, numbering.updateNumber, {
            numberId: number.id,
            patch,
          }));
        }
        return { status: 201, body: incomingNumberResource(number, accountSid) };
      },
    },
    {
      method: 'get',
      path: '/IncomingPhoneNumbers/:Sid.json',
      scope: 'numbers:read',
      run: async (input) => ({
        status: 200,
        body: incomingNumberResource(await activeNumber(input), input.accountSid),
      }),
    },
    {
      method: 'post',
      path: '/IncomingPhoneNumbers/:Sid.json',
      scope: 'numbers:write',
      run: async (input) => {
        refuseUnoffered(input.form, unofferedNumberFields);
        const current = await activeNumber(input);
        const { number } = await backends.as(input.caller, numbering, numbering.updateNumber, {
          numberId: current.id,
          patch: patchOf(input.form),
        });
        return { status: 200, body: incomingNumberResource(number, input.accountSid) };
      },
    },
    {
      method: 'delete',
      path: '/IncomingPhoneNumbers/:Sid.json',
      scope: 'numbers:write',
      run: async (input) => {
        const current = await activeNumber(input);
        await backends.as(input.caller, numbering, numbering.releaseNumber, { numberId: current.id });
        return { status: 204 };
      },
    },
  ];
}
