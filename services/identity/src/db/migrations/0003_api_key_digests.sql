-- API keys are found by a keyed hash (HMAC-SHA-256 under API_KEY_PEPPER) of the whole presented key, not
-- by their lookup id: one unique-index probe answers both "which key is this" and "is the secret right",
-- so an unknown key and a known one with a wrong secret cost the same. The digest is useless without the
-- pepper, which never reaches the database. Keys issued before this have no digest yet (their row keeps an
-- scrypt hash); identity fills it in the first time such a key is used successfully.
alter table api_key_lookup add column secret_digest bytea check (octet_length(secret_digest) = 32);

create unique index api_key_lookup_secret_digest on api_key_lookup (secret_digest);
