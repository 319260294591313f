import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import {
  call,
  callerMetadata,
  createClient,
  decodeServiceError,
  InternalTokens,
  type Caller,
} from '@parley/kit';
import { identityV1, messagingV1 } from '@parley/proto';

/** How long one seeding call may take (identity and its identity provider). */
const SEED_CALL_TIMEOUT_MS = 60_000;

export interface DevCredentials {
  gatewayUrl: string;
  tenantId: string;
  /** An owner key of the demo tenant. */
  apiKey: string;
  /** A platform-admin key (creates and lists tenants). */
  adminApiKey: string;
  /** The demo tenant's owner, who logs in at tokenUrl (password grant, client parley-cli). */
  owner: { username: string; password: string };
  tokenUrl: string;
  /**
   * A current webhook signing secret of the demo tenant (`whsec_...`): verify its webhooks with any
   * `standardwebhooks` library.
   */
  webhookSecret: string;
  /** Its id (to retire it: DELETE /v1/webhook-secrets/{id}). */
  webhookSecretId: string;
  /** The demo tenant's Account SID in the Twilio-compatible API (`/2010-04-01/Accounts/{sid}/...`). */
  twilioAccountSid: string;
  /** Its auth token (HTTP Basic password, and the key of X-Twilio-Signature on its callbacks). */
  twilioAuthToken: string;
  /**
   * The carrier simulator of this run (its state lives in memory, key fresh per run): scripts read its
   * counters (`GET /smsc/counters`), make a phone text a Parley number (`POST /smsc/inbound`), or make it
   * carry a call (`POST /control/calls` with `callbackUrl` = `cdrUrl`, messaging's CDR endpoint).
   */
  carrierSimulator?: { url: string; apiKey: string; cdrUrl?: string };
  /**
   * The payment simulator of this run: tokenise a card as a browser would (`POST /v1/tokens` with
   * `Authorization: Bearer <publishableKey>`), then add the token with `POST /v1/payment-methods`.
   */
  paymentSimulator?: { url: string; publishableKey: string };
}

export const DEMO_TENANT = 'demo';
const OWNER_EMAIL = 'owner@demo.parley.test';
const launcher: Omit<Caller, 'tenantId'> = {
  principal: 'service:dev-launcher',
  scopes: ['*', 'platform:admin', 'internal'],
};

/**
 * Makes sure the demo tenant, its owner (who can log in) and a platform-admin key exist, and that dev.json
 * holds working credentials for them. Keys and the owner's password from an earlier run are reused while
 * identity still accepts them.
 */
export async function seedDemoTenant(options: {
  identityAddress: string;
  messagingAddress: string;
  gatewayUrl: string;
  tokenUrl: string;
  devFile: string;
  /** The data folder (PARLEY_HOME) as messages name it. */
  dataFolder: string;
  /** The gateway's internal-token private key: the launcher seeds as the gateway would call. */
  gatewayPrivateKey: string;
  internalTokenPublicKeys: string;
  carrierSimulator?: { url: string; apiKey: string; cdrUrl?: string };
  paymentSimulator?: { url: string; publishableKey: string };
}): Promise<{ credentials: DevCredentials; reused: boolean }> {
  const tokens = new InternalTokens({
    issuer: 'gateway',
    privateKey: options.gatewayPrivateKey,
    publicKeys: options.internalTokenPublicKeys,
  });
  const client = createClient(identityV1.IdentityServiceClient, options.identityAddress, {
    serviceName: 'parley.identity.v1.IdentityService',
    idempotentMethods: ['CreateTenant', 'AuthenticateApiKey', 'AuthenticateTwilio'],
  });
  const messaging = createClient(messagingV1.MessagingServiceClient, options.messagingAddress, {
    serviceName: 'parley.messaging.v1.MessagingService',
  });
  // Creating a tenant or an account writes to the identity provider too: a real Keycloak on a busy
  // machine takes well over the default 5 s deadline, and a seeding that gives up stops the platform.
  const as = async (tenantId: string) => ({
    metadata: await callerMetadata(tokens, { ...launcher, tenantId }),
    timeoutMs: SEED_CALL_TIMEOUT_MS,
  });
  const keyWorks = async (secret: string | undefined, tenantId: string) =>
    Boolean(secret) &&
    (await call(client, client.authenticateApiKey, { secret: secret ?? '' }, await as('')).then(
      (response) => response.apiKey?.tenantId === tenantId,
      () => false,
    ));
  const newKey = async (tenantId: string, name: string, scopes: string[]) =>
    (await call(client, client.createApiKey, { name, scopes }, await as(tenantId))).secret;
  try {
    const previous = existsSync(options.devFile)
      ? (JSON.parse(readFileSync(options.devFile, 'utf8')) as Partial<DevCredentials>)
      : {};
    const created = await call(
      client,
      client.createTenant,
      {
        id: DEMO_TENANT,
        name: 'Demo Tenant',
        tenancyMode: identityV1.TenancyMode.TENANCY_MODE_POOLED,
        jurisdiction: identityV1.Jurisdiction.JURISDICTION_GDPR,
        minimumAge: 0,
      },
      await as(''),
    );
    let reused = true;
    let apiKey = created.ownerApiKey || previous.apiKey;
    if (!(await keyWorks(apiKey, DEMO_TENANT))) {
      apiKey = await newKey(DEMO_TENANT, 'npm start demo key', ['*']);
      reused = false;
    }
    let adminApiKey = previous.adminApiKey;
    if (!(await keyWorks(adminApiKey, 'platform'))) {
      adminApiKey = await newKey('platform', 'npm start platform admin', ['platform:admin']);
      reused = false;
    }
    let owner = previous.owner;
    if (!owner || owner.username !== OWNER_EMAIL) {
      owner = { username: OWNER_EMAIL, password: randomBytes(12).toString('base64url') };
      try {
        await call(
          client,
          client.createAccount,
          {
            profile: { fullName: 'Demo Owner', email: OWNER_EMAIL, ageAttested: true, clearAddress: false },
            password: owner.password,
            roles: ['owner'],
            signupIp: '127.0.0.1',
            signupUserAgent: 'parley dev launcher',
          },
          await as(DEMO_TENANT),
        );
        reused = false;
      } catch (error) {
        // The owner exists but its password is not in dev.json any more: it cannot be shown again.
        if (decodeServiceError(error).reason !== 'ACCOUNT_EMAIL_TAKEN') throw error;
        owner = {
          username: OWNER_EMAIL,
          password: `(unknown: delete ${options.dataFolder} to start afresh)`,
        };
      }
    }
    const webhook = await demoWebhookSecret(
      previous,
      async () =>
        call(messaging, messaging.listWebhookSecrets, { includeExpired: false }, await as(DEMO_TENANT)),
      async () => call(messaging, messaging.createWebhookSecret, {}, await as(DEMO_TENANT)),
      options.dataFolder,
    );
    if (!webhook.reused) reused = false;
    const twilio = await demoTwilioCredentials(
      previous,
      async (accountSid, authToken) =>
        call(client, client.authenticateTwilio, { accountSid, authToken }, await as('')).then(
          (response) => response.tenantId === DEMO_TENANT,
          () => false,
        ),
      async () => call(client, client.rotateTwilioAuthToken, {}, await as(DEMO_TENANT)),
    );
    if (!twilio.reused) reused = false;
    const credentials: DevCredentials = {
      gatewayUrl: options.gatewayUrl,
      tenantId: DEMO_TENANT,
      apiKey: apiKey ?? '',
      adminApiKey: adminApiKey ?? '',
      owner,
      tokenUrl: options.tokenUrl,
      webhookSecret: webhook.value,
      webhookSecretId: webhook.id,
      twilioAccountSid: twilio.accountSid,
      twilioAuthToken: twilio.authToken,
      ...(options.carrierSimulator ? { carrierSimulator: options.carrierSimulator } : {}),
      ...(options.paymentSimulator ? { paymentSimulator: options.paymentSimulator } : {}),
    };
    writeFileSync(options.devFile, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    return { credentials, reused };
  } finally {
    client.close();
    messaging.close();
  }
}

/**
 * The demo tenant's Twilio-compatible credentials: those in dev.json while identity still accepts them,
 * else a freshly rotated auth token (the token cannot be read back, only replaced).
 */
async function demoTwilioCredentials(
  previous: Partial<DevCredentials>,
  works: (accountSid: string, authToken: string) => Promise<boolean>,
  rotate: () => Promise<identityV1.RotateTwilioAuthTokenResponse>,
): Promise<{ accountSid: string; authToken: string; reused: boolean }> {
  if (
    previous.twilioAccountSid &&
    previous.twilioAuthToken &&
    (await works(previous.twilioAccountSid, previous.twilioAuthToken))
  )
    return { accountSid: previous.twilioAccountSid, authToken: previous.twilioAuthToken, reused: true };
  const rotated = await rotate();
  return { accountSid: rotated.accountSid, authToken: rotated.authToken, reused: false };
}

/**
 * The demo tenant's webhook secret: the one in dev.json while it still signs, else a new one. Its value can
 * be read only when it is created, so when dev.json lost it and the tenant already has the most secrets
 * that may sign, dev.json says how to start afresh instead.
 */
async function demoWebhookSecret(
  previous: Partial<DevCredentials>,
  list: () => Promise<messagingV1.ListWebhookSecretsResponse>,
  create: () => Promise<messagingV1.CreateWebhookSecretResponse>,
  dataFolder: string,
): Promise<{ id: string; value: string; reused: boolean }> {
  const { secrets } = await list();
  const kept = secrets.find((secret) => secret.id === previous.webhookSecretId && secret.signing);
  if (kept && previous.webhookSecret?.startsWith('whsec_'))
    return { id: kept.id, value: previous.webhookSecret, reused: true };
  try {
    const created = await create();
    return { id: created.secret!.id, value: created.value, reused: false };
  } catch (error) {
    if (decodeServiceError(error).reason !== 'WEBHOOK_SECRET_LIMIT') throw error;
    return { id: '', value: `(unknown: delete ${dataFolder} to start afresh)`, reused: false };
  }
}
