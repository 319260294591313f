import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from './addresses';

/**
 * Posts a webhook without letting a tenant's URL reach inside the platform (server-side request forgery).
 * The host name is resolved here and only an address that passed the check is connected to (the check runs
 * inside the socket's own lookup, so a second resolution cannot swap the address); an IP literal is checked
 * before connecting; redirects are never followed (a 3xx is a failed attempt); the response body is never
 * read (only its status is kept); and the whole attempt has a deadline.
 */

/** Why an attempt did not end in a 2xx answer; stored with the delivery (never the response body). */
export type WebhookFailure =
  'url_invalid' | 'address_refused' | 'dns' | 'connection' | 'tls' | 'timeout' | 'redirect' | 'http_status';

export interface WebhookPostResult {
  /** True for a 2xx answer. */
  ok: boolean;
  /** The answer's status code, when there was an answer. */
  status?: number;
  failure?: WebhookFailure;
}

export interface WebhookPostOptions {
  /**
   * Allow loopback, private and link-local addresses: for dev mode and tests only, where receivers run on
   * the same machine.
   */
  allowPrivate: boolean;
  /** Deadline of the whole attempt, connection and answer, in milliseconds. */
  timeoutMs: number;
}

/** A webhook URL is http(s), with a host and without credentials; `https` is not required (dev receivers). */
export function webhookUrlProblem(
  raw: string,
  options: Pick<WebhookPostOptions, 'allowPrivate'>,
): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password';
  if (raw.length > 2048) return 'must be at most 2048 characters';
  const literal = hostAddress(url);
  if (literal && !options.allowPrivate && !isPublicAddress(literal))
    return 'must not point at a loopback, private, link-local or other internal address';
  return undefined;
}

/** The host of a URL when it is an IP literal (brackets of an IPv6 literal removed), else undefined. */
function hostAddress(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : undefined;
}

class AddressRefused extends Error {
  readonly code = 'PARLEY_ADDRESS_REFUSED';
}

/** A lookup that answers only addresses that pass the check; none left is an error, so nothing connects. */
function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family, hints: options.hints }, (error, found) => {
      if (error) return callback(error, '', 0);
      const allowed = (found as LookupAddress[]).filter(
        (entry) => allowPrivate || isPublicAddress(entry.address),
      );
      const first = allowed[0];
      if (!first) return callback(new AddressRefused('the host resolves only to refused addresses'), '', 0);
      if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, allowed);
      callback(null, first.address, first.family);
    });
  };
}

function failureOf(error: unknown): WebhookFailure {
  const code = (error as { code?: string }).code ?? '';
  if (error instanceof AddressRefused) return 'address_refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA') return 'dns';
  if (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)
  )
    return 'tls';
  return 'connection';
}

/**
 * Posts `body` (JSON unless `headers` name another lower-case `content-type`) with `headers` to `url` once;
 * never throws, the result says how it went.
 */
export function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: WebhookPostOptions,
): Promise<WebhookPostResult> {
  if (webhookUrlProblem(url, options)) {
    const literal = URL.canParse(url) ? hostAddress(new URL(url)) : undefined;
    return Promise.resolve({ ok: false, failure: literal ? 'address_refused' : 'url_invalid' });
  }
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const settle = (result: WebhookPostResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const request: ClientRequest = transport.request(
      target,
      {
        method: 'POST',
        agent: false,
        signal: deadline,
        lookup: checkedLookup(options.allowPrivate),
        headers: {
          'content-type': 'application/json',
          ...headers,
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Parley-Webhooks/1',
        },
      },
      (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        // Only the status counts; the body is not read, whatever its size.
        response.destroy();
        if (status >= 200 && status < 300) settle({ ok: true, status });
        else
          settle({ ok: false, status, failure: status >= 300 && status < 400 ? 'redirect' : 'http_status' });
      },
    );
    request.on('error', (error) =>
      settle({ ok: false, failure: deadline.aborted ? 'timeout' : failureOf(error) }),
    );
    request.end(body);
  });
}
