-- Placeholder: migration 0002 belongs to plans, rating, usage and wallets (branch wip/billing-rating),
-- built in parallel. The runner wants migrations numbered without gaps, so this branch carries an empty
-- 0002 until the two are merged; at merge, this file is dropped for that branch's 0002.
select 1;
