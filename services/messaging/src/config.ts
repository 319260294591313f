import { parseEnv, serviceEnv, z } from '@parley/kit';
import { DEFAULT_SENDER_RATES, parseSenderRates, SENDER_RATES_PATTERN } from './domain/pacing';

const address = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port of a gRPC endpoint');

/** A number from `min` to `max`; a wrong value is named as `what` with its range. */
const number = (what: string, min: number, max: number) =>
  z.coerce
    .number({ error: `must be ${what} from ${min} to ${max}` })
    .min(min, { error: `must be ${what} from ${min} to ${max}` })
    .max(max, { error: `must be ${what} from ${min} to ${max}` });
/** A whole number from `min` to `max`. */
const whole = (min: number, max: number, what = 'a whole number') =>
  number(what, min, max).int({ error: `must be ${what} from ${min} to ${max}` });

/** The shared service variables and the messaging service's own. */
export const configSchema = serviceEnv({
  /**
   * How long a failing webhook delivery is retried (from when it was queued or retried by hand) before it
   * is parked as failed: default 24 hours, at most a week. Fractions are allowed (tests use seconds).
   */
  WEBHOOK_RETRY_HOURS: number('a number of hours', 0.001, 168).default(24),
  /** The delay after a delivery's first failed attempt, doubling after each further one (with jitter). */
  WEBHOOK_RETRY_BASE_SECONDS: number('a number of seconds', 0.1, 3600).default(5),
  /** The longest delay between two attempts. */
  WEBHOOK_RETRY_MAX_SECONDS: number('a number of seconds', 1, 86_400).default(3600),
  /** The deadline of one attempt (connecting and the receiver's answer). */
  WEBHOOK_TIMEOUT_MS: whole(100, 60_000, 'a whole number of milliseconds').default(10_000),
  /**
   * How long a finished delivery (delivered, parked as failed, or disabled) is kept, with its payload, before
   * it is deleted: default 30 days. Pending deliveries are never deleted.
   */
  WEBHOOK_RETENTION_DAYS: whole(1, 3650, 'a whole number of days').default(30),
  /** How many deliveries one replica attempts at once. */
  WEBHOOK_CONCURRENCY: whole(1, 100).default(8),
  /**
   * Allow webhook URLs on loopback, private and link-local addresses. Only for dev mode (`npm start` sets
   * it), where receivers run on the same machine; never in production (server-side request forgery).
   */
  WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  /**
   * The carrier's signed callbacks (call detail records): the secret they are signed with (16+ characters),
   * and the port of the HTTP endpoint they are posted to (POST /carrier/cdrs, on GRPC_HOST). Without a
   * secret the endpoint is not served and no call records arrive.
   */
  CARRIER_CALLBACK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  CARRIER_CALLBACK_PORT: whole(0, 65535, 'a port').default(8090),
  /**
   * The carrier's API, where the recordings and voicemail it holds are deleted when a person is erased
   * (DELETE <url>/v1/recordings/{id}, Authorization: Bearer <key>). Without both, media stay at the carrier
   * (the erasure receipt still removes Parley's references).
   */
  CARRIER_API_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  CARRIER_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** numbering's gRPC endpoint: resolves a sender number to its tenant and capabilities. */
  NUMBERING_ADDR: address,
  /**
   * identity's gRPC endpoint: signs the callbacks posted in Twilio's format (X-Twilio-Signature with the
   * tenant's auth token, which never leaves identity). Without it those deliveries wait, failing as
   * `no_secret`, until it is set; Standard Webhooks deliveries do not need it.
   */
  IDENTITY_ADDR: address.optional(),
  /**
   * billing's gRPC endpoint: authorises each send (a prepaid tenant without balance is refused). Unset:
   * every send is allowed (messaging run without billing); the chart and `npm start` always set it.
   */
  BILLING_ADDR: address.optional(),
  /** The carrier's SMSC (SMPP 3.4): host, port and the ESME account messaging binds as. */
  SMPP_HOST: z.string().min(1, 'must be the SMSC host name or address'),
  SMPP_PORT: whole(1, 65535),
  // SMPP 3.4 limits: system_id at most 15 characters, password at most 8 (section 5.2).
  SMPP_SYSTEM_ID: z.string().min(1).max(15, 'must be at most 15 characters (SMPP 3.4)'),
  SMPP_PASSWORD: z.string().max(8, 'must be at most 8 characters (SMPP 3.4)'),
  /**
   * A failover route: a second SMSC (or a second connection to the same one) used while the first has no
   * bind up. Its account defaults to the first's.
   */
  SMPP_FAILOVER_HOST: z.string().min(1).optional(),
  SMPP_FAILOVER_PORT: whole(1, 65535).optional(),
  SMPP_FAILOVER_SYSTEM_ID: z.string().min(1).max(15, 'must be at most 15 characters (SMPP 3.4)').optional(),
  SMPP_FAILOVER_PASSWORD: z.string().max(8, 'must be at most 8 characters (SMPP 3.4)').optional(),
  /** Unanswered submit_sm at most on the bind: throughput per bind ≈ window ÷ round trip. */
  SMPP_WINDOW: whole(1, 1000).default(10),
  /**
   * deliver_sm (receipts, inbound messages) recorded at once per bind; up to 4× as many wait unanswered and
   * more are answered "temporary error" at once, so a burst from the SMSC cannot take every database
   * connection from the send path and the API, nor pile up work the SMSC stopped waiting for.
   */
  SMPP_DELIVER_CONCURRENCY: whole(1, 1000).default(8),
  /**
   * How long a send whose submit may have reached the carrier before Parley could record it (the process
   * died, or the database went away, between the SMSC's answer and the commit) waits for the carrier's
   * receipt to say so before it is submitted again; 0 submits it again at once (at least once).
   */
  SMPP_IN_DOUBT_SECONDS: whole(0, 86_400).default(120),
  /** Seconds between enquire_link keep-alives on the bind. */
  SMPP_ENQUIRE_LINK_SECONDS: whole(1, 3600).default(30),
  /** How long a submit_sm or enquire_link may stay unanswered before it counts as lost. */
  SMPP_RESPONSE_TIMEOUT_MS: whole(100, 120_000).default(10_000),
  /** Reconnect backoff after the bind is lost: first pause and longest pause (ms, with jitter). */
  SMPP_RECONNECT_MIN_MS: whole(10, 60_000).default(250),
  SMPP_RECONNECT_MAX_MS: whole(100, 600_000).default(30_000),
  /** Messages each replica hands to the carrier at once (send jobs worked concurrently). */
  SEND_CONCURRENCY: whole(1, 1000).default(20),
  /**
   * Send jobs one tenant may have running at once, across every replica: the rest of SEND_CONCURRENCY stays
   * free for other tenants, so one tenant's burst never holds every worker (keep it below SEND_CONCURRENCY).
   */
  SEND_TENANT_CONCURRENCY: whole(1, 1000).default(16),
  /** Segments per second one sender number may send, by throughput class (classes left out keep theirs). */
  SENDER_RATES: z
    .string()
    .regex(SENDER_RATES_PATTERN, 'must be class:rate pairs, e.g. long_code:1,toll_free:3,short_code:100')
    .default(
      Object.entries(DEFAULT_SENDER_RATES)
        .map(([name, rate]) => `${name}:${rate}`)
        .join(','),
    )
    .transform(parseSenderRates)
    .refine((rates) => Object.values(rates).every((rate) => rate > 0), 'every rate must be above 0'),
  /**
   * What Parley answers HELP and INFO with for a tenant that set no help text of its own (at most 1,600
   * characters; one SMS is 160 GSM-7 characters).
   */
  MESSAGING_HELP_TEXT: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(1600, 'must be at most 1600 characters')
    .default(
      'This number sends messages on behalf of its owner. Reply STOP to unsubscribe, START to resubscribe.',
    ),
}).superRefine((value, context) => {
  if (value.SMPP_FAILOVER_HOST && !value.SMPP_FAILOVER_PORT) {
    context.addIssue({
      code: 'custom',
      path: ['SMPP_FAILOVER_PORT'],
      message: 'is required with SMPP_FAILOVER_HOST',
    });
  }
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(configSchema, env);
}
