import { z } from '@parley/kit';
import {
  SupplierError,
  type NumberSupplier,
  type SupplierErrorKind,
  type SupplierNumber,
  type SupplierOrder,
  type SupplierPortIn,
  type SupplierPortInRequest,
  type SupplierReservation,
  type SupplierRouting,
  type SupplierSearch,
} from '../domain/supplier';

export interface CarrierSimSupplierOptions {
  /** Base URL of the simulator's API (`NUMBER_SUPPLIER_URL`). */
  url: string;
  apiKey: string;
  /** Per call (`NUMBER_SUPPLIER_TIMEOUT_MS`); past it the supplier counts as unavailable. */
  timeoutMs: number;
}

const price = z.object({ amount: z.string().regex(/^\d+(\.\d+)?$/), currency: z.string().length(3) });
const capability = z.enum(['sms', 'mms', 'voice']);
const numberSchema = z.object({
  phoneNumber: z.string(),
  country: z.string(),
  locality: z.string(),
  region: z.string(),
  areaCode: z.string(),
  type: z.enum(['local', 'mobile', 'toll_free']),
  capabilities: z.array(capability),
  setupPrice: price,
  monthlyPrice: price,
});
const reservationSchema = z.object({
  id: z.string(),
  phoneNumbers: z.array(z.string()),
  expiresAt: z.iso.datetime(),
});
const orderSchema = z.object({
  id: z.string(),
  status: z.enum(['pending', 'completed', 'failed']),
  phoneNumbers: z.array(z.string()),
  failureReason: z.string().optional(),
});
const portInSchema = z.object({
  id: z.string(),
  status: z.enum(['submitted', 'exception', 'foc_date_confirmed', 'activating', 'ported', 'cancelled']),
  phoneNumbers: z.array(z.string()),
  focDate: z.iso.date().optional(),
  exceptionReason: z.string().optional(),
});
const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string().optional() }),
});

/** The simulator's codes that mean something particular to the domain; other 4xx are `rejected`. */
const kindOfCode: Record<string, SupplierErrorKind> = {
  number_unavailable: 'number_unavailable',
  reservation_expired: 'reservation_expired',
  not_found: 'not_found',
  service_unavailable: 'unavailable',
  timeout: 'unavailable',
  unauthorized: 'unavailable',
};

function kindOfStatus(status: number, code: string): SupplierErrorKind {
  const known = kindOfCode[code];
  if (known) return known;
  if (status === 404) return 'not_found';
  // Our credentials are wrong or the supplier is overloaded: nothing the caller did, try again later.
  if (status === 401 || status === 403 || status === 408 || status === 429 || status >= 500)
    return 'unavailable';
  return 'rejected';
}

/** Retry-After in seconds (delta-seconds or an HTTP date), when the supplier sent one. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * The carrier simulator's adapter (tools/carrier-sim/README.md describes its API). Every call has a
 * deadline; every failure, HTTP or transport, becomes a `SupplierError`, and answers are validated before
 * the domain sees them.
 */
export class CarrierSimSupplier implements NumberSupplier {
  private readonly baseUrl: string;

  constructor(private readonly options: CarrierSimSupplierOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
  }

  async search(query: SupplierSearch): Promise<SupplierNumber[]> {
    const params = new URLSearchParams({ country: query.country, limit: String(query.limit) });
    if (query.areaCode) params.set('areaCode', query.areaCode);
    if (query.type) params.set('type', query.type);
    if (query.capabilities.length > 0) params.set('capabilities', query.capabilities.join(','));
    if (query.contains) params.set('contains', query.contains);
    const body = await this.call('GET', `/v1/available-numbers?${params}`, undefined, z.array(numberSchema));
    return body;
  }

  async reserve(phoneNumbers: string[], ttlSeconds: number, reference: string): Promise<SupplierReservation> {
    const reservation = await this.call(
      'POST',
      '/v1/reservations',
      { phoneNumbers, ttlSeconds, reference },
      reservationSchema,
    );
    return { ...reservation, expiresAt: new Date(reservation.expiresAt) };
  }

  order(phoneNumbers: string[], reference: string, reservationId?: string): Promise<SupplierOrder> {
    return this.call('POST', '/v1/orders', { phoneNumbers, reference, reservationId }, orderSchema);
  }

  getOrder(orderId: string): Promise<SupplierOrder> {
    return this.call('GET', `/v1/orders/${encodeURIComponent(orderId)}`, undefined, orderSchema);
  }

  async release(phoneNumber: string): Promise<void> {
    await this.call('DELETE', `/v1/numbers/${encodeURIComponent(phoneNumber)}`, undefined, undefined);
  }

  async configureRouting(phoneNumber: string, routing: SupplierRouting): Promise<void> {
    await this.call(
      'PUT',
      `/v1/numbers/${encodeURIComponent(phoneNumber)}/routing`,
      { messagingRoute: routing.messagingRoute, voiceRoute: routing.voiceRoute },
      undefined,
    );
  }

  async submitPortIn(request: SupplierPortInRequest): Promise<SupplierPortIn> {
    const portIn = await this.call(
      'POST',
      '/v1/port-ins',
      { ...request, requestedDate: request.requestedDate.toISOString().slice(0, 10) },
      portInSchema,
    );
    return toPortIn(portIn);
  }

  async getPortIn(portInId: string): Promise<SupplierPortIn> {
    return toPortIn(
      await this.call('GET', `/v1/port-ins/${encodeURIComponent(portInId)}`, undefined, portInSchema),
    );
  }

  async cancelPortIn(portInId: string): Promise<SupplierPortIn> {
    return toPortIn(
      await this.call('POST', `/v1/port-ins/${encodeURIComponent(portInId)}/cancel`, undefined, portInSchema),
    );
  }

  /** One request; `{ data }` validated with `schema` (none: the answer's body is ignored). */
  private async call<T>(
    method: string,
    path: string,
    body: unknown,
    schema: z.ZodType<T> | undefined,
  ): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.apiKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw transportError(error, this.options.timeoutMs);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw transportError(error, this.options.timeoutMs);
    }
    if (!response.ok) throw httpError(response, text);
    if (!schema) return undefined as T;
    const parsed = z.object({ data: schema }).safeParse(safeJson(text));
    if (!parsed.success)
      throw new SupplierError(
        'unavailable',
        'bad_response',
        `the supplier's answer to ${method} was not understood`,
      );
    return parsed.data.data;
  }
}

function toPortIn(portIn: z.infer<typeof portInSchema>): SupplierPortIn {
  return {
    id: portIn.id,
    status: portIn.status,
    phoneNumbers: portIn.phoneNumbers,
    ...(portIn.focDate ? { focDate: new Date(`${portIn.focDate}T00:00:00Z`) } : {}),
    ...(portIn.exceptionReason ? { exceptionReason: portIn.exceptionReason } : {}),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function transportError(error: unknown, timeoutMs: number): SupplierError {
  const name = (error as Error).name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return new SupplierError('unavailable', 'timeout', `the supplier did not answer within ${timeoutMs} ms`);
  // fetch wraps ECONNREFUSED, ECONNRESET, DNS failures ... in a TypeError whose cause has the code.
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  return new SupplierError(
    'unavailable',
    'connection_failed',
    `the supplier could not be reached${cause ? ` (${cause})` : ''}`,
  );
}

function httpError(response: Response, text: string): SupplierError {
  const parsed = errorSchema.safeParse(safeJson(text));
  const code = parsed.success ? parsed.data.error.code : `http_${response.status}`;
  const kind = kindOfStatus(response.status, code);
  // The supplier's message names what it refused; it never carries our customer's data back.
  const message = `supplier answered ${response.status} ${code}`;
  return new SupplierError(kind, code, message, retryAfterSeconds(response.headers.get('retry-after')));
}
