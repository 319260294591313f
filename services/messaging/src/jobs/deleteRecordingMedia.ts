import type { JobContext, Transaction } from '@parley/kit';
import { QUEUES, type MessagingDeps } from '../deps';

export interface DeleteRecordingMedia {
  carrierRecordingId: string;
}

/** Queues the deletion of a recording's media at the carrier in the caller's transaction (an erasure's). */
export async function queueRecordingDeletion(
  deps: Pick<MessagingDeps, 'jobs'>,
  tx: Transaction,
  tenantId: string,
  carrierRecordingId: string,
): Promise<void> {
  await deps.jobs.send<DeleteRecordingMedia>(
    QUEUES.deleteRecordingMedia,
    { carrierRecordingId },
    { tx, tenantId },
  );
}

/** Asks the carrier to delete the media; a failure is retried by the queue (with backoff) until it confirms. */
export function makeDeleteRecordingMedia(deps: Pick<MessagingDeps, 'carrierMedia' | 'log'>) {
  return async (job: JobContext<DeleteRecordingMedia>): Promise<void> => {
    if (!deps.carrierMedia) {
      deps.log.warn('a recording deletion was queued but CARRIER_API_URL / CARRIER_API_KEY are not set');
      return;
    }
    await deps.carrierMedia.deleteRecording(job.data.carrierRecordingId);
    job.log.info('recording media deleted at the carrier');
  };
}
