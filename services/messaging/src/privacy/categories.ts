import type { DataCategory } from '@parley/kit';

/**
 * Why the opt-out list outlives an erasure: an opt-out must be honoured for as long as it stands, and a
 * sender must be able to show it was (no second message to someone who said STOP).
 */
export const OPT_OUT_LAW =
  'Opt-outs must be honoured and their record kept: US TCPA (47 U.S.C. 227, 47 CFR 64.1200) and the CTIA Messaging Principles; EU ePrivacy Directive art. 13 and UK PECR reg. 22 (the right to refuse further messages)';

/** What messaging holds about people. */
export const messagingCategories: DataCategory[] = [
  {
    id: 'message_metadata',
    description:
      'Messages sent to and received from a person: from and to numbers, time, direction, encoding, segments, status and its history, error codes',
    subjects: [
      'people who send messages to or receive messages from a Parley number',
      'account holders whose numbers send and receive them',
    ],
    purpose: 'Send and receive messages, report their delivery, answer for the traffic to the tenant',
    legalBasis: 'contract',
    retention:
      "twelve months after the message was created, or the tenant's metadataRetentionDays (messaging settings)",
    legalObligation: '',
    defaultRetentionDays: 365,
    consentPurposes: [],
  },
  {
    id: 'message_content',
    description:
      'The text of messages sent and received, and the URLs of their media (the media themselves are not stored); parts of inbound messages until the message is whole',
    subjects: [
      'people who send messages to or receive messages from a Parley number',
      'account holders whose numbers send and receive them',
    ],
    purpose: 'Deliver the message; show it to the tenant in the message log',
    legalBasis: 'contract',
    // jobs/retention.ts empties body and media URLs when the message reaches its final status, or the
    // tenant's contentRetentionDays after it (messaging settings); the metadata stays. Received messages have
    // no final delivery status: their content goes with their metadata. The privacy service's retention run
    // (defaultRetentionDays after creation) is the backstop for content nothing else removed.
    retention:
      "removed when the message reaches its final status (delivered, undelivered, failed, expired), or the tenant's contentRetentionDays after it; received messages' content is kept with their metadata",
    legalObligation: '',
    defaultRetentionDays: 365,
    consentPurposes: [],
  },
  {
    id: 'message_forwarding',
    description:
      "Where an inbound message was forwarded (the number's forwarding target) and, on the forwarded copy, whose message it carries",
    subjects: [
      'people who send messages to a Parley number',
      'the people whose phones a number forwards its messages to',
    ],
    purpose: 'Forward inbound messages to the phone the tenant chose, and show where they went',
    legalBasis: 'contract',
    retention: "with the message's metadata, twelve months after it was created",
    legalObligation: '',
    defaultRetentionDays: 365,
    consentPurposes: [],
  },
  {
    id: 'opt_outs',
    description:
      'Who opted out of (STOP) or back in to (START) messages from a number: a keyed hash of their phone number, never the number, with the keyword, when, and the message that carried it',
    subjects: ['people who send STOP or START to a Parley number'],
    purpose: 'Honour opt-outs: send nothing more to a person who asked for no more messages from a number',
    legalBasis: 'legal obligation',
    retention:
      'as long as the opt-out stands and the law asks for proof of it, also after the person is erased (then unlinked from their messages)',
    legalObligation: OPT_OUT_LAW,
    defaultRetentionDays: 0,
    consentPurposes: [],
  },
  {
    id: 'webhook_deliveries',
    description:
      "Webhooks sent to the tenant's endpoints (status callbacks, inbound messages): payloads naming the message's from and to numbers, and each attempt's outcome",
    subjects: ['people who send messages to or receive messages from a Parley number'],
    purpose: 'Tell the tenant of message events; let it list and replay deliveries that failed',
    legalBasis: 'contract',
    retention: 'thirty days after the delivery finished (WEBHOOK_RETENTION_DAYS)',
    legalObligation: '',
    defaultRetentionDays: 30,
    consentPurposes: [],
  },
  {
    id: 'call_records',
    description:
      "Records of the calls a Parley number carried, as the carrier reported them: when the call started, was answered and ended, its duration, from and to numbers, the number it was forwarded to, the caller ID presented and the external caller ID, its disposition, and the client's IP address for calls placed from the app",
    subjects: [
      'people who call or are called by a Parley number',
      'the people whose phones a number forwards its calls to',
      'account holders whose numbers carry the calls',
    ],
    purpose:
      "Keep the record of the calls a number carried for the tenant; rate their minutes (billing); where the tenant's law obliges it, keep traffic data for the authorities",
    legalBasis:
      "contract; legal obligation where the tenant's country obliges keeping traffic data (the tenant names the law: trafficDataRetention, messaging settings)",
    // The obligation is the tenant's, not every tenant's: legalObligation stays empty, and erasure without one
    // deletes. With one, an erased person's records within its period are anonymised and kept (privacy/callRecords.ts).
    retention:
      "twelve months after the call started, or the tenant's metadataRetentionDays (messaging settings); where the tenant's trafficDataRetention names a law obliging it to keep traffic data, every record at least the law's days after the call, whatever the metadata retention. On erasure, where the tenant's trafficDataRetention names a law obliging it to keep traffic data, the person's records within the law's period after the call are anonymised (their numbers, account and client IP replaced by keyed hashes; times, duration, disposition and the tenant's number stay) and kept until that period ends, then deleted; older ones are deleted",
    legalObligation: '',
    defaultRetentionDays: 365,
    consentPurposes: [],
  },
  {
    id: 'call_recordings',
    description:
      "References to recordings and voicemail the carrier holds for a call: the carrier's URL and id, kind, duration, channels and whether the carrier recorded consent (the media stay at the carrier)",
    subjects: [
      'people who call or are called by a Parley number',
      'account holders whose numbers carry the calls',
    ],
    purpose: "Let the tenant find a call's recording or voicemail",
    legalBasis:
      "consent (kept only when the tenant allows recordings and, unless it says otherwise, the carrier recorded the parties' consent)",
    retention:
      "twelve months after the call started, or the tenant's metadataRetentionDays (messaging settings); not kept longer under a traffic-data obligation (a reference to the media is not traffic data), so never longer than its call's record",
    legalObligation: '',
    defaultRetentionDays: 365,
    consentPurposes: [],
  },
];
