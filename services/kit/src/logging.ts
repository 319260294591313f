import { pino, type Logger, type LoggerOptions } from 'pino';
import { trace, isSpanContextValid } from '@opentelemetry/api';
import { currentContext } from './context';

export type { Logger } from 'pino';

/**
 * Keys whose values are personal data or secrets. pino removes them wherever they appear (top level or
 * one level down), so a careless `log.info({ account })` still leaks nothing.
 */
export const redactedKeys = [
  'phone',
  'e164',
  'from',
  'to',
  'email',
  'fullName',
  'name',
  'address',
  'body',
  'content',
  'text',
  'password',
  'secret',
  'token',
  'apiKey',
  'authorization',
  'cookie',
  'card',
  'cardNumber',
  'ip',
  'userAgent',
];

const redactPaths = redactedKeys
  .flatMap((key) => [key, `*.${key}`])
  .concat(['req.headers.authorization', 'req.headers.cookie']);

const cardLikeDigits = /\b(?:\d[ -]?){13,19}\b/g;
const emailLike = /[\w.+-]+@[\w-]+\.[\w.-]+/g;
const phoneLike = /\+\d{7,15}\b/g;

/** Masks personal data that slipped into a free-text message (card-like digit runs, emails, E.164 numbers). */
export function scrubText(text: string): string {
  return text.replace(cardLikeDigits, '[card?]').replace(emailLike, '[email]').replace(phoneLike, '[phone]');
}

/**
 * Errors as log fields: type, message and code only. Database errors carry the statement's parameters in
 * their message (`params: ...`) and properties — personal data — so those are cut.
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: scrubText(String(error)) };
  const withoutParams = (text: string) => scrubText(text.replace(/\nparams: [\s\S]*$/, ''));
  const { cause, code } = error as { cause?: unknown; code?: unknown };
  return {
    type: error.name,
    message: withoutParams(error.message),
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(cause instanceof Error ? { cause: serializeError(cause) } : {}),
    stack: error.stack ? withoutParams(error.stack).split('\n').slice(0, 6).join('\n') : undefined,
  };
}

export interface LoggerConfig {
  service: string;
  version: string;
  level: string;
  destination?: pino.DestinationStream;
}

/** JSON logs to stdout with service, version, tenant_id, trace_id and span_id on every line. */
export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level,
    base: { service: config.service, version: config.version },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: serializeError },

    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg)) as typeof args;
        method.apply(this, scrubbed);
      },
    },
    mixin() {
      const fields: Record<string, string> = {};
      const { tenantId, requestId } = currentContext();
      if (tenantId) fields.tenant_id = tenantId;
      if (requestId) fields.request_id = requestId;
      const spanContext = trace.getActiveSpan()?.spanContext();
      if (spanContext && isSpanContextValid(spanContext)) {
        fields.trace_id = spanContext.traceId;
        fields.span_id = spanContext.spanId;
      }
      return fields;
    },
  };
  return config.destination ? pino(options, config.destination) : pino(options);
}
