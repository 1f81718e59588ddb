-- A user's tasks in the list's exact order (created_at DESC, id DESC) straight from the index: with only
-- (user_id, created_at), ties on created_at needed a sort step on every GET /api/tasks (BENCHMARKS.md).
-- The new index serves every query the old one did, so the old one goes.
CREATE INDEX IF NOT EXISTS ix_tasks_user_id_created_at_id ON tasks (user_id, created_at, id);
DROP INDEX IF EXISTS ix_tasks_user_id_created_at;
