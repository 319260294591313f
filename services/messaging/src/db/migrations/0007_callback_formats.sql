-- Callbacks in Twilio's format (issue 12): a message sent through the Twilio-compatible API with a
-- StatusCallback, and a number whose SmsUrl was set there, are posted to as Twilio posts (form-encoded,
-- X-Twilio-Signature). The payload stays in Parley's shape (privacy finds a subject's deliveries by it); the
-- format says how an attempt renders and signs it.
alter table messages
  add column callback_format text not null default 'standard_webhooks'
    check (callback_format in ('standard_webhooks', 'twilio'));

alter table webhook_deliveries
  add column format text not null default 'standard_webhooks'
    check (format in ('standard_webhooks', 'twilio'));
