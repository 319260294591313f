-- A participant that cannot carry out a task for a permanent reason answers with a failure receipt: the
-- task is then 'failed' (no longer 'pending'), with the participant's error code and reason. The reason
-- names fields, never their values.
alter table request_tasks add column failure_code text;
alter table request_tasks add column failure_reason text;
alter table request_tasks drop constraint request_tasks_state_check;
alter table request_tasks add constraint request_tasks_state_check check (state in ('pending', 'done', 'failed'));
alter table request_tasks add constraint request_tasks_failure_check
  check ((state = 'failed') = (failure_code is not null and failure_reason is not null));
