//! Throttling's attempts (`auth_attempts`) and the purge of old attempts and revocations.

use super::Db;
use crate::clock::Ts;

/// One key's events in a window ([`Db::attempt_counts`]).
#[derive(Debug, sqlx::FromRow)]
pub struct AttemptCount {
    pub key: String,
    pub events: i64,
    pub oldest: Ts,
}

/// A row [`Db::reserve_attempts`] made.
#[derive(sqlx::FromRow)]
struct Reserved {
    id: i64,
    key: String,
}

impl Db {
    /// For each key with events since `since`: how many, and the oldest of them.
    pub async fn attempt_counts(&self, keys: &[String], since: Ts) -> Result<Vec<AttemptCount>, sqlx::Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (2..keys.len() + 2).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT key, COUNT(*) AS events, MIN(at) AS oldest FROM auth_attempts WHERE at > $1 AND key IN ({}) GROUP BY key",
            placeholders.join(", ")
        );
        on_pool!(self, pool => {
            let mut q = sqlx::query_as::<_, AttemptCount>(&sql).bind(since);
            for k in keys {
                q = q.bind(k);
            }
            q.fetch_all(pool).await
        })
    }

    /// Counts one event under each `(key, max)` only if every key has fewer than `max` events since
    /// `since`, atomically: `Some(ids)` of the rows made (in the order of `keys`), or `None` when a key is
    /// full (and nothing was written).
    ///
    /// SQLite: one `INSERT … SELECT` statement, which takes the database's write lock before it counts,
    /// so no other connection or process can insert in between. PostgreSQL: the same statement in a
    /// transaction that first takes a transaction-scoped advisory lock per key (in a fixed order, so two
    /// attempts never wait on each other crosswise); the statement's snapshot is taken after the locks,
    /// so it sees every event committed by the previous holder, whichever API process that was.
    pub async fn reserve_attempts(
        &self,
        keys: &[(String, i64)],
        since: Ts,
        at: Ts,
    ) -> Result<Option<Vec<i64>>, sqlx::Error> {
        if keys.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let values: Vec<String> = (0..keys.len()).map(|i| format!("(${}, ${})", 2 * i + 3, 2 * i + 4)).collect();
        let sql = format!(
            "WITH l(key, lim) AS (VALUES {}) \
             INSERT INTO auth_attempts (key, at) SELECT l.key, $1 FROM l \
             WHERE NOT EXISTS (SELECT 1 FROM l AS b WHERE \
             (SELECT COUNT(*) FROM auth_attempts a WHERE a.key = b.key AND a.at > $2) >= b.lim) \
             RETURNING id, key",
            values.join(", ")
        );
        macro_rules! insert {
            () => {{
                let mut q = sqlx::query_as::<_, Reserved>(&sql).bind(at).bind(since);
                for (key, max) in keys {
                    q = q.bind(key).bind(*max);
                }
                q
            }};
        }
        let rows = match self {
            Db::Sqlite(pool) => insert!().fetch_all(pool).await?,
            Db::Postgres(pool) => {
                let mut locks: Vec<i64> = keys.iter().map(|(k, _)| advisory_lock_id(k)).collect();
                locks.sort_unstable();
                locks.dedup();
                let mut tx = pool.begin().await?;
                for lock in locks {
                    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(lock).execute(&mut *tx).await?;
                }
                let rows = insert!().fetch_all(&mut *tx).await?;
                tx.commit().await?;
                rows
            }
        };
        if rows.is_empty() {
            return Ok(None);
        }
        let mut rows: Vec<Option<Reserved>> = rows.into_iter().map(Some).collect();
        let ids = keys
            .iter()
            .map(|(key, _)| {
                let slot = rows.iter_mut().find(|r| r.as_ref().is_some_and(|r| &r.key == key));
                slot.and_then(Option::take).map(|r| r.id).ok_or_else(|| sqlx::Error::RowNotFound)
            })
            .collect::<Result<Vec<i64>, _>>()?;
        Ok(Some(ids))
    }

    /// Removes the events `ids` and every event of `keys` (a success undoing its failure reservations).
    /// Run again when PostgreSQL ends it in a deadlock with an account's deletion, which removes the same rows
    /// one key at a time (a delete removes nothing twice; three tries at most).
    pub async fn release_attempts(&self, ids: &[i64], keys: &[String]) -> Result<(), sqlx::Error> {
        let mut tries = 1;
        loop {
            match self.release_attempts_once(ids, keys).await {
                Err(e) if super::is_deadlock(&e) && tries < 3 => tries += 1,
                done => return done,
            }
        }
    }

    async fn release_attempts_once(&self, ids: &[i64], keys: &[String]) -> Result<(), sqlx::Error> {
        if ids.is_empty() && keys.is_empty() {
            return Ok(());
        }
        let id_params: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let key_params: Vec<String> = (ids.len() + 1..=ids.len() + keys.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "DELETE FROM auth_attempts WHERE id IN ({}) OR key IN ({})",
            if id_params.is_empty() { "NULL".to_string() } else { id_params.join(", ") },
            if key_params.is_empty() { "NULL".to_string() } else { key_params.join(", ") },
        );
        on_pool!(self, pool => {
            let mut q = sqlx::query(&sql);
            for id in ids {
                q = q.bind(*id);
            }
            for key in keys {
                q = q.bind(key);
            }
            q.execute(pool).await.map(|_| ())
        })
    }

    /// Rows in `auth_attempts` (for the brute-force test and the scale benchmark).
    pub async fn count_attempts(&self) -> Result<i64, sqlx::Error> {
        on_pool!(self, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM auth_attempts").fetch_one(pool).await)
    }

    /// Drops throttle events older than `before`, revocations of tokens that have expired anyway, and
    /// sessions that expired or were ended by a newer token version.
    pub async fn purge(&self, attempts_before: Ts, now: Ts) -> Result<u64, sqlx::Error> {
        let sessions = self.purge_sessions(now).await?;
        on_pool!(self, pool => {
            let a = sqlx::query("DELETE FROM auth_attempts WHERE at < $1").bind(attempts_before).execute(pool).await?;
            let r = sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < $1").bind(now).execute(pool).await?;
            Ok(a.rows_affected() + r.rows_affected() + sessions)
        })
    }
}

/// A stable 64-bit advisory-lock id for a throttle key (the first 8 bytes of its SHA-256).
pub(super) fn advisory_lock_id(key: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(key.as_bytes());
    i64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8]))
}
