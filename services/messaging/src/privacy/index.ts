// Messaging as a privacy participant (services/kit/PRIVACY.md), one file per job: categories.ts (what it
// declares), subjects.ts (which rows are a subject's), records.ts (how they read), export.ts, erase.ts,
// purge.ts (retention).
import { receiptLine, type PrivacyParticipant } from '@parley/kit';
import type { MessagingDeps } from '../deps';
import { messagingCategories } from './categories';
import { eraseSubject } from './erase';
import { exportSubject } from './export';
import { purgeCategory } from './purge';
import { counts } from './subjects';

export { messagingCategories } from './categories';

/**
 * Messaging as a privacy participant. Erasure deletes the subject's messages (metadata and content, with
 * their status history and carrier part ids, forwarded copies of theirs included), parts of their inbound
 * messages, where others' messages were forwarded to them, the webhook deliveries naming them, and their
 * call records with their recording references (and asks the carrier to delete the recordings' media): no
 * law obliges messaging to keep any of that (billing's records of the traffic are billing's). The opt-out
 * list is kept: it never held the number (a keyed hash), and it loses its link to their messages. Phone
 * numbers in messages are what was sent: they are not rectified.
 */
export function messagingParticipant(
  deps: Pick<MessagingDeps, 'webhooks' | 'settings' | 'jobs' | 'carrierMedia' | 'subjectHashKeys' | 'now'>,
): PrivacyParticipant {
  return {
    name: 'messaging',
    categories: messagingCategories,
    export: exportSubject,
    erase: (tx, subject, context) => eraseSubject(deps, tx, subject, context),
    async rectify() {
      // The numbers and text of a message are what was sent and received: a record of a past fact, not a
      // description of the person, so there is nothing to correct (the receipt says nothing was).
      return messagingCategories.map((category) => receiptLine(category.id));
    },
    async restrict(tx, subject, _restricted, context) {
      const found = await counts(tx, subject, context.hashes);
      return messagingCategories.map((category) =>
        receiptLine(category.id, { restricted: String(found[category.id as keyof typeof found]) }),
      );
    },
    purge: (tx, category, given) => purgeCategory(deps, tx, category, given),
  };
}
