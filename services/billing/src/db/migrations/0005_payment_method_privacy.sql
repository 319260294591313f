-- Payment methods as personal data (billing's privacy participant, category payment_methods): whose card
-- it is, and erasure that deletes the card while the top-ups charged to it stay as financial records.

-- The identity-provider user who added the card (empty when an API key or a client added it: the card is
-- then the tenant account holder's, found through the tenant's own billing profile).
alter table payment_methods add column added_by text not null default '';

-- A top-up is kept under the financial-records obligation; the card it was charged to is not needed for
-- the books (the processor's charge id is), so erasing the card leaves the top-up without it.
alter table top_ups alter column payment_method_id drop not null;
alter table top_ups drop constraint top_ups_payment_method_id_fkey;
alter table top_ups
  add constraint top_ups_payment_method_id_fkey foreign key (payment_method_id)
  references payment_methods (id) on delete set null;
