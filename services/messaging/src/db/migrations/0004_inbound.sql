-- Receiving messages and opt-outs (issue 11): inbound messages are rows of `messages` (direction
-- 'inbound', status 'received'); a message can record where it was forwarded, or whose message it forwards,
-- and the opt-out keyword it carried or answers. Parts of concatenated inbound messages wait in
-- inbound_parts until the last one has come; the opt-out list is keyed by a hash of the recipient.

-- inbound: the number it was forwarded to as an SMS from the Parley number (numbering's forwarding target).
alter table messages add column forwarded_to text;
-- outbound: the sender of the inbound message this one forwards (so erasing that sender finds the copy).
alter table messages add column forwarded_from text;
-- inbound: the opt-out keyword it carried (STOP, START, HELP, ...); outbound: the keyword it answers. An
-- answer to a keyword is sent even to a recipient who opted out (the STOP confirmation).
alter table messages add column keyword text;
create index messages_forwarded_from on messages (tenant_id, forwarded_from) where forwarded_from is not null;

-- One row per part of an inbound message, by the tenant owning the destination number. `group_key` is a
-- hash of what identifies the message at the SMSC (from, to, concatenation reference and part count; for
-- a message of one part, its text): a part the SMSC sends again (its deliver_sm was not answered) finds its
-- row and changes nothing. The text is kept only until the message is whole: then `message_id` is set and
-- `text` emptied, and the row stays as the duplicate check until housekeeping removes it.
create table inbound_parts (
  tenant_id text not null,
  group_key text not null,
  seq integer not null check (seq >= 1),
  total integer not null check (total between 1 and 255 and seq <= total),
  from_e164 text not null,
  to_e164 text not null,
  encoding text not null check (encoding in ('GSM-7', 'UCS-2')),
  text text,
  message_id uuid,
  received_at timestamptz not null default now(),
  primary key (tenant_id, group_key, seq)
);
create index inbound_parts_age on inbound_parts (received_at);
create index inbound_parts_from on inbound_parts (tenant_id, from_e164);
alter table inbound_parts enable row level security;
alter table inbound_parts force row level security;
create policy tenant_isolation on inbound_parts
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
-- Housekeeping (daily, across tenants, in a session with no tenant set): rows older than a day (finished
-- groups past the duplicate window, parts that never found their siblings) are visible to it, to delete
-- them. A tenant's session never sees another tenant's rows, stale or not.
create policy inbound_parts_expire_read on inbound_parts for select
  using (coalesce(current_setting('app.tenant_id', true), '') = '' and received_at < now() - interval '1 day');
create policy inbound_parts_expire on inbound_parts for delete
  using (coalesce(current_setting('app.tenant_id', true), '') = '' and received_at < now() - interval '1 day');

-- Who opted out of messages from which of the tenant's numbers. The recipient is kept only as the kit's
-- keyed subject hash (HMAC of tenant, 'phone' and the E.164 number, services/kit/PRIVACY.md): a send is
-- checked by hashing its recipient, and the list survives an erasure of the person without keeping their
-- number. A START keeps the row (opted_out false): the record of consent given back.
create table opt_outs (
  tenant_id text not null,
  number_e164 text not null,
  recipient_hash text not null,
  opted_out boolean not null,
  keyword text not null,
  changed_at timestamptz not null default now(),
  -- The inbound message that carried the keyword; emptied when the person is erased.
  source_message_id uuid,
  anonymised_at timestamptz,
  primary key (tenant_id, number_e164, recipient_hash)
);
create index opt_outs_recipient on opt_outs (tenant_id, recipient_hash);
alter table opt_outs enable row level security;
alter table opt_outs force row level security;
create policy tenant_isolation on opt_outs
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
