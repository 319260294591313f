-- Counters of the shared rate limiter (rate-limiter-flexible's PostgreSQL store, which is told the table
-- exists so it never issues DDL as the service role). One row per limited key (`<limiter>:<subject>`):
-- points spent in the current window and when the window ends (epoch milliseconds). Keys name tenants,
-- API keys and client addresses only through opaque ids or hashes; the limiter deletes expired rows.

create table kit_rate_limits (
  key varchar(255) primary key,
  points integer not null default 0,
  expire bigint
);

create index kit_rate_limits_expire on kit_rate_limits (expire);
