-- A participant that cannot carry out a task for a permanent reason answers with a failure receipt: the
-- task is then 'failed' (no longer 'pending'), with the participant's error code and reason. The reason
-- names fields, never their values.
alter table request_tasks add column failure_code text;
alter table request_tasks add column failure_reason text;
