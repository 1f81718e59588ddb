//! The SQL of two-factor sign-in (routes/two_factor.rs): the encrypted secret, the last time step
//! accepted, recovery-code hashes and the pending sign-in challenges. Every "use once" is a single
//! conditional UPDATE or DELETE whose row count decides, so two racing requests cannot both succeed.

use super::Db;
use super::{
    activity::{record, Event},
    outbox::insert_mails,
    Mail,
};
use crate::clock::Ts;

/// A user's two-factor row: the secrets as stored (encrypted), and the last accepted TOTP step.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TwoFactorRow {
    pub secret: Option<String>,
    pub pending_secret: Option<String>,
    pub last_step: i64,
}

/// A sign-in waiting for its second factor.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MfaChallenge {
    pub user_id: String,
    pub token_version: i32,
    /// What the first step proved with (`password`, `provider`, `email_code`; `None`: a password).
    pub first_factor: Option<String>,
}

/// Deletes every two-factor row of `$user_id` (secret, recovery codes, pending sign-ins) and turns the flag
/// off, inside the transaction `$tx`: turning it off, and a reset that takes back an account whose address was
/// never proved.
macro_rules! clear_two_factor {
    ($tx:expr, $user_id:expr) => {
        for sql in [
            "DELETE FROM user_two_factor WHERE user_id = $1",
            "DELETE FROM recovery_codes WHERE user_id = $1",
            "DELETE FROM mfa_challenges WHERE user_id = $1",
            "UPDATE users SET two_factor_enabled = false WHERE id = $1",
        ] {
            sqlx::query(sql).bind($user_id).execute(&mut *$tx).await?;
        }
    };
}
pub(crate) use clear_two_factor;

/// Replaces every recovery code of `$user_id` by the hashes `$hashes`, inside the transaction `$tx`.
macro_rules! replace_recovery_codes {
    ($tx:expr, $user_id:expr, $hashes:expr) => {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind($user_id).execute(&mut *$tx).await?;
        for hash in $hashes {
            sqlx::query("INSERT INTO recovery_codes (code_hash, user_id) VALUES ($1, $2)")
                .bind(hash)
                .bind($user_id)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

impl Db {
    pub async fn two_factor_row(&self, user_id: &str) -> Result<Option<TwoFactorRow>, sqlx::Error> {
        const SQL: &str = "SELECT secret, pending_secret, last_step FROM user_two_factor WHERE user_id = $1";
        on_pool!(self, pool => sqlx::query_as::<_, TwoFactorRow>(SQL).bind(user_id).fetch_optional(pool).await)
    }

    /// Keeps a new secret from setup as pending; an active secret is left as it is.
    pub async fn set_pending_two_factor(&self, user_id: &str, pending: &str, now: Ts) -> Result<(), sqlx::Error> {
        const SQL: &str = "INSERT INTO user_two_factor (user_id, pending_secret, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET pending_secret = $2, updated_at = $3";
        on_pool!(self, pool => sqlx::query(SQL).bind(user_id).bind(pending).bind(now).execute(pool).await.map(|_| ()))
    }

    /// Turns two-factor on with the pending secret `pending` (as read when its code was checked; a newer
    /// setup in between makes this fail), records `step` as used, replaces the recovery codes, queues `notice`
    /// and records `event`, in one transaction, at the event's time. `false`: nothing changed.
    pub async fn enable_two_factor(
        &self,
        user_id: &str,
        pending: &str,
        step: i64,
        recovery_hashes: &[String],
        notice: &Mail,
        event: &Event,
    ) -> Result<bool, sqlx::Error> {
        let now = event.origin.at;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let moved = sqlx::query(
                "UPDATE user_two_factor SET secret = pending_secret, pending_secret = NULL, last_step = $3, \
                 updated_at = $4 WHERE user_id = $1 AND pending_secret = $2 AND secret IS NULL",
            )
            .bind(user_id).bind(pending).bind(step).bind(now)
            .execute(&mut *tx).await?;
            if moved.rows_affected() != 1 {
                return Ok(false);
            }
            sqlx::query("UPDATE users SET two_factor_enabled = true WHERE id = $1").bind(user_id).execute(&mut *tx).await?;
            replace_recovery_codes!(tx, user_id, recovery_hashes);
            insert_mails!(tx, std::slice::from_ref(notice), now);
            record!(tx, user_id, event);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Turns two-factor off: secret, recovery codes and pending sign-ins go; `notice` is queued and `event`
    /// recorded with it.
    pub async fn disable_two_factor(
        &self,
        user_id: &str,
        notice: &Mail,
        now: Ts,
        event: &Event,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            clear_two_factor!(tx, user_id);
            insert_mails!(tx, std::slice::from_ref(notice), now);
            record!(tx, user_id, event);
            tx.commit().await
        })
    }

    /// Records `step` as the last one used, unless it (or a later one) already was: `true` exactly once
    /// per step, however many requests race.
    pub async fn use_totp_step(&self, user_id: &str, step: i64) -> Result<bool, sqlx::Error> {
        const SQL: &str = "UPDATE user_two_factor SET last_step = $2 \
             WHERE user_id = $1 AND last_step < $2 AND secret IS NOT NULL";
        on_pool!(self, pool => sqlx::query(SQL).bind(user_id).bind(step).execute(pool).await.map(|r| r.rows_affected() == 1))
    }

    /// Recovery codes of the user not used yet.
    pub async fn recovery_codes_left(&self, user_id: &str) -> Result<i64, sqlx::Error> {
        const SQL: &str = "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL";
        on_pool!(self, pool => sqlx::query_scalar::<_, i64>(SQL).bind(user_id).fetch_one(pool).await)
    }

    /// Replaces every recovery code of a user who has two-factor on by `hashes`, queues `notice` and records
    /// `event`, in one transaction. `false`: two-factor is not on (nothing changed).
    pub async fn replace_recovery_codes(
        &self,
        user_id: &str,
        hashes: &[String],
        notice: &Mail,
        now: Ts,
        event: &Event,
    ) -> Result<bool, sqlx::Error> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let on: Option<bool> = sqlx::query_scalar("SELECT two_factor_enabled FROM users WHERE id = $1")
                .bind(user_id).fetch_optional(&mut *tx).await?;
            if on != Some(true) {
                return Ok(false);
            }
            replace_recovery_codes!(tx, user_id, hashes);
            insert_mails!(tx, std::slice::from_ref(notice), now);
            record!(tx, user_id, event);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Spends a recovery code: `true` exactly once per code, and then `event` is recorded with the number of
    /// codes left as its detail, in the same transaction.
    pub async fn use_recovery_code(
        &self,
        user_id: &str,
        code_hash: &str,
        now: Ts,
        event: &Event,
    ) -> Result<bool, sqlx::Error> {
        const SQL: &str = "UPDATE recovery_codes SET used_at = $3 \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL";
        const LEFT: &str = "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL";
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let used = sqlx::query(SQL).bind(user_id).bind(code_hash).bind(now)
                .execute(&mut *tx).await?.rows_affected() == 1;
            if used {
                let left: i64 = sqlx::query_scalar(LEFT).bind(user_id).fetch_one(&mut *tx).await?;
                let plural = if left == 1 { "" } else { "s" };
                record!(tx, user_id, &event.as_kind(event.kind, Some(format!("{left} recovery code{plural} left"))));
                tx.commit().await?;
            }
            Ok(used)
        })
    }

    /// Writes the active secret again (under the current key), if it is still `old`.
    pub async fn rewrap_two_factor_secret(&self, user_id: &str, old: &str, new: &str) -> Result<(), sqlx::Error> {
        const SQL: &str = "UPDATE user_two_factor SET secret = $3 WHERE user_id = $1 AND secret = $2";
        on_pool!(self, pool => sqlx::query(SQL).bind(user_id).bind(old).bind(new).execute(pool).await.map(|_| ()))
    }

    pub async fn create_mfa_challenge(
        &self,
        token_hash: &str,
        user_id: &str,
        token_version: i32,
        expires_at: Ts,
        first_factor: &str,
    ) -> Result<(), sqlx::Error> {
        const SQL: &str = "INSERT INTO mfa_challenges (token_hash, user_id, token_version, expires_at, first_factor) \
             VALUES ($1, $2, $3, $4, $5)";
        on_pool!(self, pool => sqlx::query(SQL).bind(token_hash).bind(user_id).bind(token_version).bind(expires_at)
            .bind(first_factor).execute(pool).await.map(|_| ()))
    }

    /// The challenge with this token hash, unless it expired (at `now`) or was used.
    pub async fn mfa_challenge(&self, token_hash: &str, now: Ts) -> Result<Option<MfaChallenge>, sqlx::Error> {
        const SQL: &str = "SELECT user_id, token_version, first_factor FROM mfa_challenges \
             WHERE token_hash = $1 AND expires_at > $2";
        on_pool!(self, pool => sqlx::query_as::<_, MfaChallenge>(SQL).bind(token_hash).bind(now).fetch_optional(pool).await)
    }

    /// Uses a challenge up: `true` for exactly one caller.
    pub async fn consume_mfa_challenge(&self, token_hash: &str, now: Ts) -> Result<bool, sqlx::Error> {
        const SQL: &str = "DELETE FROM mfa_challenges WHERE token_hash = $1 AND expires_at > $2";
        on_pool!(self, pool => sqlx::query(SQL).bind(token_hash).bind(now).execute(pool).await.map(|r| r.rows_affected() == 1))
    }

    /// Drops challenges that expired before `now` (from the periodic purge).
    pub async fn purge_mfa_challenges(&self, now: Ts) -> Result<u64, sqlx::Error> {
        on_pool!(self, pool => sqlx::query("DELETE FROM mfa_challenges WHERE expires_at < $1").bind(now)
            .execute(pool).await.map(|r| r.rows_affected()))
    }
}
