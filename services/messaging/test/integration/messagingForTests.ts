// Messaging with what it talks to, for its integration tests: the carrier simulator as its own process
// (number API and SMSC over loopback), numbering in this process buying from it, and messaging bound to
// the simulator's SMSC and resolving senders through numbering over gRPC.
import { call, createClient } from '@parley/kit';
import { messagingV1, numberingV1 } from '@parley/proto';
import { as } from '../../../../tests/support/callers';
import {
  startCarrierSim,
  type CarrierSimHandle,
  type CarrierSimOptions,
} from '../../../../tests/support/carrierSim';
import { eventually } from '../../../../tests/support/grpc';
import { uniquePrefix } from '../../../../tests/support/infra';
import { startService, type RunningService } from '../../../../tests/support/service';
import { buildApp as buildNumbering, type NumberingApp } from '../../../numbering/src/app';
import { loadConfig as numberingConfig } from '../../../numbering/src/config';
import { buildApp, type MessagingApp } from '../../src/app';
import { loadConfig } from '../../src/config';

export interface MessagingUnderTest {
  carrier: CarrierSimHandle;
  numbering: RunningService<NumberingApp>;
  messaging: RunningService<MessagingApp>;
  client: messagingV1.MessagingServiceClient;
  /** Buys an ordinary US number with these capabilities for the tenant and waits until it is active. */
  buyNumber(tenantId: string, capabilities?: string[], areaCode?: string): Promise<string>;
  /** Configures one of the tenant's numbers (numbering's UpdateNumber), e.g. its forwarding target and webhook. */
  configureNumber(tenantId: string, phoneNumber: string, patch: numberingV1.NumberPatch): Promise<void>;
  send(
    tenantId: string,
    request: Partial<messagingV1.SendMessageRequest>,
    requestId?: string,
  ): Promise<messagingV1.MessageRecord>;
  get(tenantId: string, id: string): Promise<messagingV1.GetMessageResponse>;
  /** Changes the tenant's messaging settings named in `updateMask` (UpdateMessagingSettings). */
  updateSettings(
    tenantId: string,
    settings: Partial<messagingV1.MessagingSettings>,
    updateMask: string[],
  ): Promise<messagingV1.MessagingSettings>;
  /** Waits until the message is in `status`. */
  reaches(
    tenantId: string,
    id: string,
    status: string,
    timeoutMs?: number,
  ): Promise<messagingV1.GetMessageResponse>;
  stop(): Promise<void>;
}

export async function startMessaging(
  options: { sim?: CarrierSimOptions; env?: Record<string, string>; failoverToSimulator?: boolean } = {},
): Promise<MessagingUnderTest> {
  const carrier = await startCarrierSim(options.sim);
  const NATS_PREFIX = uniquePrefix('messaging');
  const numbering = await startService('numbering', (env) => buildNumbering(numberingConfig(env)), {
    NATS_PREFIX,
    ...carrier.env,
  });
  const messaging = await startService('messaging', (env) => buildApp(loadConfig(env)), {
    NATS_PREFIX,
    NUMBERING_ADDR: numbering.address,
    ...carrier.messagingEnv,
    SMPP_RECONNECT_MIN_MS: '50',
    SMPP_RECONNECT_MAX_MS: '500',
    // Fast senders, so suites of many messages from one number are not paced at a segment a second.
    SENDER_RATES: 'long_code:1000,toll_free:1000,short_code:1000',
    ...(options.failoverToSimulator
      ? {
          SMPP_FAILOVER_HOST: carrier.messagingEnv.SMPP_HOST!,
          SMPP_FAILOVER_PORT: carrier.messagingEnv.SMPP_PORT!,
        }
      : {}),
    ...options.env,
  });
  const client = createClient(messagingV1.MessagingServiceClient, messaging.address, {
    serviceName: 'parley.messaging.v1.MessagingService',
  });
  const numberingClient = createClient(numberingV1.NumberingServiceClient, numbering.address, {
    serviceName: 'parley.numbering.v1.NumberingService',
  });
  const taken = new Set<string>();

  const withRequestId = async (tenantId: string, requestId?: string) => {
    const callOptions = await as(tenantId);
    if (requestId) callOptions.metadata.set('parley-request-id', requestId);
    return callOptions;
  };

  const get = async (tenantId: string, id: string) =>
    call(client, client.getMessage, { id }, await as(tenantId));

  return {
    carrier,
    numbering,
    messaging,
    client,
    buyNumber: (tenantId, capabilities, areaCode) =>
      buyNumber(numberingClient, tenantId, capabilities, areaCode, taken),
    async send(tenantId, request, requestId) {
      const { message } = await call(
        client,
        client.sendMessage,
        {
          from: '',
          to: '',
          body: '',
          mediaUrls: [],
          statusCallback: '',
          validityPeriodSeconds: 0,
          ...request,
        },
        await withRequestId(tenantId, requestId),
      );
      return message!;
    },
    async configureNumber(tenantId, phoneNumber, patch) {
      const { numbers } = await call(
        numberingClient,
        numberingClient.listNumbers,
        { pageSize: 100, pageToken: '', capability: '', status: 'active', country: '', accountId: '' },
        await as(tenantId),
      );
      const found = numbers.find((number) => number.e164 === phoneNumber);
      if (!found) throw new Error(`${phoneNumber} is not an active number of ${tenantId}`);
      await call(
        numberingClient,
        numberingClient.updateNumber,
        { numberId: found.id, patch },
        await as(tenantId),
      );
    },
    get,
    async updateSettings(tenantId, settings, updateMask) {
      const updated = await call(
        client,
        client.updateMessagingSettings,
        {
          settings: {
            metadataRetentionDays: 0,
            recordingsAllowed: false,
            recordingConsentRequired: true,
            ...settings,
          },
          updateMask,
        },
        await as(tenantId),
      );
      return updated.settings!;
    },
    reaches: (tenantId, id, status, timeoutMs = 20_000) =>
      eventually(
        `message ${id} to reach ${status}`,
        async () => {
          const found = await get(tenantId, id);
          if (found.message!.status !== status) throw new Error(`still ${found.message!.status}`);
          return found;
        },
        timeoutMs,
      ),
    async stop() {
      client.close();
      numberingClient.close();
      await messaging.stop();
      await numbering.stop();
      await carrier.stop();
    },
  };
}

/** Peers that are not there: for tests of messaging alone (health, listing), which call neither. */
export const ABSENT_PEERS = {
  NUMBERING_ADDR: '127.0.0.1:9',
  SMPP_HOST: '127.0.0.1',
  SMPP_PORT: '9',
  SMPP_SYSTEM_ID: 'absent',
  SMPP_PASSWORD: 'absent',
  SMPP_RECONNECT_MIN_MS: '1000',
};

/** Buys an ordinary US number (none of the simulator's magic endings, none in `taken`) and waits until it is active. */
export async function buyNumber(
  numbering: numberingV1.NumberingServiceClient,
  tenantId: string,
  capabilities = ['sms', 'mms'],
  areaCode = '415',
  taken = new Set<string>(),
): Promise<string> {
  const { numbers } = await call(
    numbering,
    numbering.searchAvailableNumbers,
    { country: 'US', areaCode, type: 'local', capabilities, contains: '', limit: 100 },
    await as(tenantId),
  );
  const found = numbers.find(
    (number) =>
      !/99[89]\d$/.test(number.phoneNumber) &&
      !taken.has(number.phoneNumber) &&
      capabilities.every((capability) => number.capabilities.includes(capability)),
  );
  if (!found) throw new Error('no ordinary number found');
  taken.add(found.phoneNumber);
  const { order } = await call(
    numbering,
    numbering.createNumberOrder,
    { phoneNumber: found.phoneNumber, accountId: '' },
    { ...(await as(tenantId)), timeoutMs: 10_000 },
  );
  await eventually('the number to become active', async () => {
    const current = await call(
      numbering,
      numbering.getNumberOrder,
      { orderId: order!.id },
      await as(tenantId),
    );
    if (current.order!.status !== 'active') throw new Error(`order ${current.order!.status}`);
  });
  return found.phoneNumber;
}
