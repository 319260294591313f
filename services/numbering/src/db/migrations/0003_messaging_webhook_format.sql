-- How a number's messaging webhook is posted to: Parley's Standard Webhooks, or Twilio's format when the URL
-- was set through the Twilio-compatible API (SmsUrl), so applications written for Twilio keep working.
alter table numbers
  add column messaging_webhook_format text not null default 'standard_webhooks'
    check (messaging_webhook_format in ('standard_webhooks', 'twilio'));
