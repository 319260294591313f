/** The kinds of data-subject request Parley handles (GDPR and CCPA rights). */
export const privacyRequestTypes = [
  'access',
  'portability',
  'rectification',
  'erasure',
  'restriction',
  'restriction_lift',
  'objection',
  'consent_withdrawal',
  'opt_out_sale',
] as const;
export type PrivacyRequestType = (typeof privacyRequestTypes)[number];

/** The purposes the consent ledger records decisions for. */
export const consentPurposes = [
  'marketing_email',
  'marketing_sms',
  'marketing_calls',
  'cookies_essential',
  'cookies_performance',
  'cookies_marketing',
  'sale_share',
] as const;
export type ConsentPurpose = (typeof consentPurposes)[number];
