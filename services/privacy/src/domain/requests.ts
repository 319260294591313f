import {
  PrivacyAction,
  checkRectification,
  consentPurposes,
  invalidArgument,
  privacyRequestTypes,
  type ConsentPurpose,
  type FieldViolation,
  type PrivacyRequestType,
} from '@parley/kit';
import type { Jurisdiction } from './clock';

export const requestTypes = privacyRequestTypes;
export type RequestType = PrivacyRequestType;
export { consentPurposes, type ConsentPurpose };

/**
 * The participant action a request type fans out. An objection, a consent withdrawal and an opt-out of
 * sale/share are written to the consent ledger and also go to every participant as PRIVACY_ACTION_OBJECT
 * (see `consentsWithdrawnBy` for the purposes), whose receipts say what stopped.
 */
export function actionFor(type: RequestType): number {
  switch (type) {
    case 'access':
    case 'portability':
      return PrivacyAction.PRIVACY_ACTION_EXPORT;
    case 'erasure':
      return PrivacyAction.PRIVACY_ACTION_ERASE;
    case 'rectification':
      return PrivacyAction.PRIVACY_ACTION_RECTIFY;
    case 'restriction':
      return PrivacyAction.PRIVACY_ACTION_RESTRICT;
    case 'restriction_lift':
      return PrivacyAction.PRIVACY_ACTION_UNRESTRICT;
    case 'objection':
    case 'consent_withdrawal':
    case 'opt_out_sale':
      return PrivacyAction.PRIVACY_ACTION_OBJECT;
  }
}

/**
 * The consent entries (and the purposes of the objection task) a request writes: an objection stops marketing, a withdrawal withdraws
 * every consent that is not strictly necessary, an opt-out of sale/share records exactly that.
 */
export function consentsWithdrawnBy(type: RequestType): ConsentPurpose[] {
  switch (type) {
    case 'objection':
      return ['marketing_email', 'marketing_sms', 'marketing_calls'];
    case 'consent_withdrawal':
      return consentPurposes.filter((purpose) => purpose !== 'cookies_essential');
    case 'opt_out_sale':
      return ['sale_share'];
    default:
      return [];
  }
}

export interface SubjectRef {
  accountId?: string;
  email?: string;
  phone?: string;
}

/** The identifiers given (empty ones dropped), normalised: email lower-cased, everything trimmed. */
export function readSubject(
  ref: { accountId: string; email: string; phone: string } | undefined,
): SubjectRef {
  const subject: SubjectRef = {};
  if (ref?.accountId) subject.accountId = ref.accountId;
  if (ref?.email) subject.email = ref.email.trim().toLowerCase();
  if (ref?.phone) subject.phone = ref.phone.trim();
  return subject;
}

export interface Submission {
  type: RequestType;
  subject: SubjectRef;
  jurisdiction?: Jurisdiction;
  changes?: Record<string, unknown>;
}

/**
 * Checks a submission and names every bad field. A rectification's `changes` are checked as the account
 * API checks a profile change (the kit's profile rules), so a value the holder would refuse is refused
 * here, before anything is stored or sent to a participant.
 */
export function parseSubmission(
  input: {
    type: string;
    subject?: { accountId: string; email: string; phone: string };
    jurisdiction: string;
    changesJson: string;
  },
  today: Date = new Date(),
): Submission {
  const violations: FieldViolation[] = [];
  if (!(requestTypes as readonly string[]).includes(input.type)) {
    violations.push({ field: 'type', description: `one of ${requestTypes.join(', ')}` });
  }
  const subject = readSubject(input.subject);
  if (Object.keys(subject).length !== 1) {
    violations.push({ field: 'subject', description: 'exactly one of accountId, email or phone' });
  }
  if (subject.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(subject.email)) {
    violations.push({ field: 'subject.email', description: 'a valid email address' });
  }
  if (subject.phone && !/^\+[1-9]\d{6,14}$/.test(subject.phone)) {
    violations.push({ field: 'subject.phone', description: 'E.164, e.g. +447911123456' });
  }
  let jurisdiction: Jurisdiction | undefined;
  if (input.jurisdiction) {
    if (!['gdpr', 'uk_gdpr', 'ccpa', 'other'].includes(input.jurisdiction)) {
      violations.push({ field: 'jurisdiction', description: 'gdpr, uk_gdpr, ccpa or other' });
    } else jurisdiction = input.jurisdiction as Jurisdiction;
  }
  let changes: Record<string, unknown> | undefined;
  if (input.type === 'rectification') {
    let given: unknown;
    try {
      given = JSON.parse(input.changesJson || '{}');
    } catch {
      violations.push({ field: 'changes', description: 'a JSON object of corrected profile fields' });
    }
    if (given !== undefined) {
      const checked = checkRectification(given, today);
      violations.push(...checked.violations);
      changes = checked.changes as Record<string, unknown>;
    }
  } else if (input.changesJson && input.changesJson !== '{}') {
    violations.push({ field: 'changes', description: 'only rectification requests carry changes' });
  }
  if (violations.length > 0) {
    throw invalidArgument(
      'PRIVACY_REQUEST_INVALID',
      violations.map((v) => `${v.field}: ${v.description}`).join('; '),
      violations,
    );
  }
  return { type: input.type as RequestType, subject, jurisdiction, changes };
}

/** States a request may still act in. */
export const openStates = ['received', 'verifying', 'verified', 'in_progress'];
