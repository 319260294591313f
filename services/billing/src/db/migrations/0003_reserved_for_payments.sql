-- Placeholder: migration 0003 is the payments work (wip/payments), merged separately. The migration runner
-- refuses gaps, so this empty file holds the number until that branch lands; drop it at merge.
select 1;
