//! The tasks table. Ownership is part of every query (`WHERE id = $1 AND user_id = $2`).

use sqlx::{Column, FromRow, Row};

use super::{attempts::advisory_lock_id, users::session_check, Db, SessionUser};
use crate::clock::Ts;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Task {
    pub id: String,
    pub user_id: String,
    pub title: String,
    pub description: Option<String>,
    pub is_completed: bool,
    pub created_at: Ts,
    pub updated_at: Ts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskFilter {
    All,
    Pending,
    Completed,
}

impl TaskFilter {
    /// The filter as SQL on the tasks table aliased `t`.
    fn condition(self) -> &'static str {
        match self {
            TaskFilter::All => "",
            TaskFilter::Pending => " AND t.is_completed = false",
            TaskFilter::Completed => " AND t.is_completed = true",
        }
    }
}

/// A task change: `None` leaves a field as it is; `Some(None)` clears the description.
pub struct TaskPatch {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
}

const TASK_COLUMNS: &str = "id, user_id, title, description, is_completed, created_at, updated_at";

impl Db {
    /// The current-user check and the user's tasks (newest first) in one query, for the API's most frequent
    /// request: one round trip instead of two (on PostgreSQL also one connection release, which sqlx follows
    /// with a ping). `None`: no such user. The user's columns are read from the first row only; a user
    /// without (matching) tasks is one row whose task columns are NULL.
    pub async fn session_tasks(
        &self,
        user_id: &str,
        token_id: &str,
        session_id: &str,
        filter: TaskFilter,
        first: i64,
        with_verification: bool,
    ) -> Result<Option<(SessionUser, Vec<Task>)>, sqlx::Error> {
        let (condition, check) = (filter.condition(), session_check(session_id));
        // Read only when REQUIRE_VERIFIED_EMAIL asks for it: every column here is repeated on each task's row.
        let verified = if with_verification { "u.email_verified_at, " } else { "" };
        let sql = format!(
            "SELECT u.id, u.email, u.name, u.created_at, u.token_version, {verified}{check}, \
             t.id AS task_id, t.title, t.description, t.is_completed, t.created_at AS task_created_at, \
             t.updated_at AS task_updated_at \
             FROM users u LEFT JOIN tasks t ON t.user_id = u.id{condition} \
             WHERE u.id = $1 ORDER BY t.created_at DESC, t.id DESC LIMIT $4"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(user_id).bind(token_id).bind(session_id).bind(first).fetch_all(pool).await?;
            let Some(first) = rows.first() else { return Ok(None) };
            let user = SessionUser::from_row(first)?;
            let mut tasks = Vec::with_capacity(rows.len());
            // The task columns by name, looked up once: the list's hot loop reads by the positions found.
            let at = |name: &str| first.try_column(name).map(|c| c.ordinal());
            let (id, title, description) = (at("task_id")?, at("title")?, at("description")?);
            let (is_completed, created_at, updated_at) = (at("is_completed")?, at("task_created_at")?, at("task_updated_at")?);
            for row in &rows {
                let Some(task_id) = row.try_get::<Option<String>, _>(id)? else { continue };
                tasks.push(Task {
                    id: task_id,
                    user_id: user.id.clone(),
                    title: row.try_get(title)?,
                    description: row.try_get(description)?,
                    is_completed: row.try_get(is_completed)?,
                    created_at: row.try_get(created_at)?,
                    updated_at: row.try_get(updated_at)?,
                });
            }
            Ok(Some((user, tasks)))
        })
    }

    /// Up to `limit` of the user's tasks (newest first) that come after `after` (the `(created_at, id)` of
    /// the last task already read: keyset order, so rows created meanwhile never shift what follows) or,
    /// without it, after skipping `offset` tasks.
    pub async fn tasks_page(
        &self,
        user_id: &str,
        filter: TaskFilter,
        after: Option<(Ts, &str)>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Task>, sqlx::Error> {
        let condition = filter.condition();
        let keyset = if after.is_some() { " AND (t.created_at < $4 OR (t.created_at = $4 AND t.id < $5))" } else { "" };
        let sql = format!(
            "SELECT t.id, t.user_id, t.title, t.description, t.is_completed, t.created_at, t.updated_at \
             FROM tasks t WHERE t.user_id = $1{condition}{keyset} \
             ORDER BY t.created_at DESC, t.id DESC LIMIT $2 OFFSET $3"
        );
        on_pool!(self, pool => {
            let mut q = sqlx::query_as::<_, Task>(&sql).bind(user_id).bind(limit).bind(offset);
            if let Some((at, id)) = after {
                q = q.bind(at).bind(id);
            }
            q.fetch_all(pool).await
        })
    }

    /// How many of the user's tasks the filter matches.
    pub async fn count_tasks(&self, user_id: &str, filter: TaskFilter) -> Result<i64, sqlx::Error> {
        let sql = format!("SELECT COUNT(*) FROM tasks t WHERE t.user_id = $1{}", filter.condition());
        on_pool!(self, pool => sqlx::query_scalar::<_, i64>(&sql).bind(user_id).fetch_one(pool).await)
    }

    /// Inserts a task unless the user already has `max` (then `None`), decided atomically: on SQLite the
    /// statement holds the write lock while it counts; on PostgreSQL a transaction-scoped advisory lock
    /// on the user is taken first, so simultaneous creates of one user (from any process) count in turn.
    pub async fn create_task(
        &self,
        id: &str,
        user_id: &str,
        title: &str,
        description: Option<&str>,
        now: Ts,
        max: i64,
    ) -> Result<Option<Task>, sqlx::Error> {
        let sql = format!(
            "INSERT INTO tasks (id, user_id, title, description, is_completed, created_at, updated_at) \
             SELECT $1, $2, $3, $4, false, $5, $5 \
             WHERE (SELECT COUNT(*) FROM tasks WHERE user_id = $2) < $6 RETURNING {TASK_COLUMNS}"
        );
        macro_rules! insert {
            () => {
                sqlx::query_as::<_, Task>(&sql).bind(id).bind(user_id).bind(title).bind(description).bind(now).bind(max)
            };
        }
        match self {
            Db::Sqlite(pool) => insert!().fetch_optional(pool).await,
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let lock = advisory_lock_id(&format!("tasks:{user_id}"));
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(lock).execute(&mut *tx).await?;
                let task = insert!().fetch_optional(&mut *tx).await?;
                tx.commit().await?;
                Ok(task)
            }
        }
    }

    pub async fn get_task(&self, id: &str, user_id: &str) -> Result<Option<Task>, sqlx::Error> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = $1 AND user_id = $2");
        on_pool!(self, pool => sqlx::query_as::<_, Task>(&sql).bind(id).bind(user_id).fetch_optional(pool).await)
    }

    pub async fn update_task(
        &self,
        id: &str,
        user_id: &str,
        patch: &TaskPatch,
        now: Ts,
    ) -> Result<Option<Task>, sqlx::Error> {
        let sql = format!(
            "UPDATE tasks SET title = COALESCE($3, title), \
             description = CASE WHEN $4 THEN $5 ELSE description END, updated_at = $6 \
             WHERE id = $1 AND user_id = $2 RETURNING {TASK_COLUMNS}"
        );
        let set_description = patch.description.is_some();
        let description = patch.description.clone().flatten();
        on_pool!(self, pool => sqlx::query_as::<_, Task>(&sql)
            .bind(id).bind(user_id).bind(patch.title.as_deref()).bind(set_description).bind(description.as_deref()).bind(now)
            .fetch_optional(pool).await)
    }

    pub async fn toggle_task(&self, id: &str, user_id: &str, now: Ts) -> Result<Option<Task>, sqlx::Error> {
        let sql = format!(
            "UPDATE tasks SET is_completed = NOT is_completed, updated_at = $3 \
             WHERE id = $1 AND user_id = $2 RETURNING {TASK_COLUMNS}"
        );
        on_pool!(self, pool => sqlx::query_as::<_, Task>(&sql).bind(id).bind(user_id).bind(now).fetch_optional(pool).await)
    }

    pub async fn delete_task(&self, id: &str, user_id: &str) -> Result<bool, sqlx::Error> {
        const SQL: &str = "DELETE FROM tasks WHERE id = $1 AND user_id = $2";
        on_pool!(self, pool => sqlx::query(SQL).bind(id).bind(user_id).execute(pool).await.map(|r| r.rows_affected() > 0))
    }
}
