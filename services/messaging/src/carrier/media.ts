import type { CarrierMedia } from '../deps';

/**
 * The carrier's recording store over its HTTP API (tools/carrier-sim/README.md, "Calls"): a recording is
 * deleted by its carrier id under the configured API URL, never by a URL taken from a CDR.
 */
export function carrierMediaApi(options: { url: string; apiKey: string; timeoutMs?: number }): CarrierMedia {
  const base = options.url.replace(/\/+$/, '');
  return {
    async deleteRecording(carrierRecordingId) {
      const response = await fetch(`${base}/v1/recordings/${encodeURIComponent(carrierRecordingId)}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${options.apiKey}` },
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.arrayBuffer();
      // Gone already (deleted before, or expired at the carrier) is what was asked for.
      if (response.ok || response.status === 404) return;
      throw new Error(`the carrier answered ${response.status} to a recording deletion`);
    },
  };
}
