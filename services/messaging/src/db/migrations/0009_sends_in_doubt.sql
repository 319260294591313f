-- Sends in doubt (src/domain/inDoubt.ts): a submit that may have reached the carrier before Parley could
-- record the carrier's answer is not simply made again; the carrier's receipt is looked for first.

-- When the current attempt to hand the message to the carrier began; null while no attempt is under way
-- (none yet, or the last one was refused as a whole by a busy carrier). A message found `sending` with
-- this set was being submitted when its run ended: in doubt.
alter table messages add column submit_started_at timestamptz;

-- A receipt for a part id Parley does not know yet keeps a keyed hash of what it says of its message
-- (sender, recipient, quoted text; never the values themselves), so a send in doubt can find it.
alter table early_receipts add column echo_hash text;
create index early_receipts_echo on early_receipts (echo_hash, received_at) where echo_hash is not null;
