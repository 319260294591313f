-- Placeholder: version 0002 belongs to the webhooks work (0002_webhooks.sql on wip/webhooks), built at the
-- same time as the send path (0003). The migrator wants versions without gaps; at merge this file is
-- deleted and 0002_webhooks.sql takes its place.
select 1;
