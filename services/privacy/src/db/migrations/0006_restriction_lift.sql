-- A restriction can be lifted through a request of its own (restriction_lift), which fans out the
-- protocol's PRIVACY_ACTION_UNRESTRICT.

alter table subject_requests drop constraint subject_requests_type_check;
alter table subject_requests add constraint subject_requests_type_check check (type in (
  'access', 'portability', 'rectification', 'erasure', 'restriction', 'restriction_lift', 'objection',
  'consent_withdrawal', 'opt_out_sale'
));
