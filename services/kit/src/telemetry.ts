import { NodeSDK } from '@opentelemetry/sdk-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
} from '@opentelemetry/semantic-conventions';
import { AlwaysOffSampler, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { context, propagation, metrics, type Attributes, type Meter } from '@opentelemetry/api';
import { containsCardNumber, maskCardNumbers } from './cardNumbers';

/**
 * Registers the tracer provider when no collector is configured, so trace ids stay alive (for logs and
 * propagation); with the always-off sampler no span reaches it.
 */
class DiscardingSpanProcessor implements SpanProcessor {
  onStart(): void {}
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The span attributes of an incoming request's URL with any card number masked: the instrumentation records
 * the path and query before any handler can refuse the request.
 */
export function cardFreeUrlAttributes(request: { url?: string }): Attributes {
  const url = request.url ?? '';
  if (!containsCardNumber(safeDecode(url))) return {};
  const [path = '', query] = url.split(/\?(.*)/s, 2);
  const attributes: Attributes = { [ATTR_URL_PATH]: maskCardNumbers(safeDecode(path)) };
  if (query !== undefined) attributes[ATTR_URL_QUERY] = maskCardNumbers(safeDecode(query));
  return attributes;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

export interface TelemetryOptions {
  service: string;
  version: string;
  /** OTLP/HTTP collector base URL; traces and metrics are exported there when set, nowhere when not. */
  otlpEndpoint?: string;
  /** Port for the Prometheus scrape endpoint (`/metrics`); 0 disables it. */
  metricsPort: number;
  metricsHost?: string;
}

export interface Telemetry {
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK. Call it before anything imports http, express, grpc-js or pg (each
 * service's `instrumentation.ts`, imported first by `main.ts`), so their instrumentation can hook in.
 * W3C trace context is the propagator: it rides HTTP headers and gRPC metadata through the
 * instrumentations, and NATS headers through the kit's events module.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  // The SDK otherwise defaults to exporting logs to a local collector; Parley's logs go to stdout.
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const endpoint = options.otlpEndpoint?.replace(/\/$/, '');
  const metricReaders: IMetricReader[] = [];
  if (options.metricsPort > 0) {
    metricReaders.push(
      new PrometheusExporter({ port: options.metricsPort, host: options.metricsHost ?? '0.0.0.0' }),
    );
  }
  if (endpoint) {
    metricReaders.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }),
      }),
    );
  }
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.service,
      [ATTR_SERVICE_VERSION]: options.version,
    }),
    // Without a collector no span is recorded: each is a non-recording span that still carries its trace
    // and span ids (for the logs and for propagation), so the instrumentations cost next to nothing. With
    // one, spans are exported and OTEL_TRACES_SAMPLER decides (default: parent-based, always on).
    ...(endpoint
      ? { spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }))] }
      : { spanProcessors: [new DiscardingSpanProcessor()], sampler: new AlwaysOffSampler() }),
    metricReaders,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => request.url === '/metrics',
        // A card number sent in a URL (which the gateway refuses) must not reach a span either.
        startIncomingSpanHook: cardFreeUrlAttributes,
      }),
      new ExpressInstrumentation(),
      new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch'] }),
      // Statement parameters carry personal data: they are never put on spans.
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

export function meter(service: string): Meter {
  return metrics.getMeter(service);
}

/** Writes the active trace context into a carrier (NATS headers, outbox rows). */
export function injectTraceContext(carrier: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** Runs `work` inside the trace context found in a carrier. */
export function withExtractedTraceContext<T>(carrier: Record<string, string>, work: () => T): T {
  return context.with(propagation.extract(context.active(), carrier), work);
}

/**
 * Entry for a service's `instrumentation.ts`: reads only the telemetry variables (the rest of the
 * configuration is validated later by the service) and starts the SDK.
 */
export function startTelemetryFromEnv(
  service: string,
  version: string,
  env: Record<string, string | undefined>,
): Telemetry {
  const metricsPort = Number(env.METRICS_PORT ?? 9464);
  return startTelemetry({
    service,
    version,
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
    metricsPort: Number.isInteger(metricsPort) && metricsPort >= 0 ? metricsPort : 9464,
    metricsHost: env.METRICS_HOST || undefined,
  });
}
