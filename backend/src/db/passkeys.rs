//! The SQL of passkeys (migrations/*/0016_passkeys.sql): the registered credentials (`passkeys`, one row per
//! credential id) and the ceremonies between a start and its finish (`passkey_ceremonies`). A ceremony is
//! spent by the one statement that reads it (`DELETE … RETURNING`): of two finishes of one ceremony — a replay,
//! two API processes — exactly one gets its state. Every change that mails a notice writes it, and the
//! history's event, in the same transaction.

use super::{
    activity::{record, Event},
    outbox::insert_mails,
    Db, Mail,
};
use crate::clock::Ts;

/// A ceremony as a start stores it.
pub struct NewCeremony<'a> {
    pub id_hash: &'a str,
    /// `register` or `login`.
    pub kind: &'a str,
    /// The signed-in user a registration is for.
    pub user_id: Option<&'a str>,
    pub state: &'a str,
    pub now: Ts,
    pub expires_at: Ts,
}

/// A passkey as a registration stores it.
pub struct NewPasskey<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub credential_id: &'a str,
    pub passkey: &'a str,
    pub counter: i64,
    pub transports: Option<&'a str>,
    pub backup_eligible: bool,
    pub backed_up: bool,
    pub name: &'a str,
}

/// A passkey as the account page lists it (never its key).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasskeyRow {
    pub id: String,
    pub name: String,
    pub created_at: Ts,
    pub last_used_at: Option<Ts>,
    pub backed_up: bool,
    pub backup_eligible: bool,
}

/// A credential as a sign-in reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredCredential {
    pub id: String,
    pub user_id: String,
    pub passkey: String,
    pub counter: i64,
}

/// A sign-in's use of a passkey, to record.
pub struct PasskeyUse<'a> {
    pub id: &'a str,
    /// The passkey's new serialized state.
    pub passkey: &'a str,
    /// The counter the sign-in checked against.
    pub previous: i64,
    pub counter: i64,
    pub backed_up: bool,
    pub backup_eligible: bool,
}

/// What registering a passkey did.
pub enum Registered {
    Done,
    /// The credential id is registered already (to this account or another).
    Taken,
    /// The account has its most passkeys already: nothing stored.
    TooMany,
}

/// What a removal did.
pub enum Removed {
    /// Gone: its name.
    Done {
        name: String,
    },
    NotFound,
    /// It is the account's last way to sign in: kept.
    LastWay,
}

const LIST_COLUMNS: &str = "id, name, created_at, last_used_at, backed_up, backup_eligible";

impl Db {
    pub async fn create_passkey_ceremony(&self, c: &NewCeremony<'_>) -> Result<(), sqlx::Error> {
        const SQL: &str = "INSERT INTO passkey_ceremonies (id_hash, kind, user_id, state, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)";
        on_pool!(self, pool => sqlx::query(SQL)
            .bind(c.id_hash).bind(c.kind).bind(c.user_id).bind(c.state).bind(c.now).bind(c.expires_at)
            .execute(pool).await.map(|_| ()))
    }

    /// Spends a ceremony, in one statement: its state, if it exists, is of this kind (and, for a registration,
    /// of this user) and has not expired. Whatever the answer, a ceremony of this id of the right kind and user
    /// is gone afterwards.
    pub async fn take_passkey_ceremony(
        &self,
        id_hash: &str,
        kind: &str,
        user_id: Option<&str>,
        now: Ts,
    ) -> Result<Option<String>, sqlx::Error> {
        const SQL: &str = "DELETE FROM passkey_ceremonies \
             WHERE id_hash = $1 AND kind = $2 AND (user_id = $3 OR (user_id IS NULL AND $3 IS NULL)) \
             RETURNING state, expires_at";
        let row: Option<(String, Ts)> = on_pool!(self, pool => sqlx::query_as(SQL)
            .bind(id_hash).bind(kind).bind(user_id)
            .fetch_optional(pool).await)?;
        Ok(row.filter(|(_, expires_at)| *expires_at > now).map(|(state, _)| state))
    }

    /// Drops ceremonies that expired before `now` (from the periodic purge).
    pub async fn purge_passkey_ceremonies(&self, now: Ts) -> Result<u64, sqlx::Error> {
        on_pool!(self, pool => sqlx::query("DELETE FROM passkey_ceremonies WHERE expires_at < $1").bind(now)
            .execute(pool).await.map(|r| r.rows_affected()))
    }

    /// The account's passkeys, oldest first.
    pub async fn list_passkeys(&self, user_id: &str) -> Result<Vec<PasskeyRow>, sqlx::Error> {
        let sql = format!("SELECT {LIST_COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id");
        on_pool!(self, pool => sqlx::query_as::<_, PasskeyRow>(&sql).bind(user_id).fetch_all(pool).await)
    }

    /// The credential ids of the account's passkeys (base64url), for a registration to exclude.
    pub async fn passkey_credential_ids(&self, user_id: &str) -> Result<Vec<String>, sqlx::Error> {
        on_pool!(self, pool => sqlx::query_scalar::<_, String>("SELECT credential_id FROM passkeys WHERE user_id = $1")
            .bind(user_id).fetch_all(pool).await)
    }

    /// The passkey of a credential id, for a sign-in.
    pub async fn passkey_by_credential(&self, credential_id: &str) -> Result<Option<StoredCredential>, sqlx::Error> {
        const SQL: &str = "SELECT id, user_id, passkey, counter FROM passkeys WHERE credential_id = $1";
        on_pool!(self, pool => sqlx::query_as::<_, StoredCredential>(SQL).bind(credential_id).fetch_optional(pool).await)
    }

    /// Stores a new passkey, queues `notice` and records `event`, in one transaction — unless the account has
    /// `max` passkeys already ([`Registered::TooMany`], nothing written). The account's row is locked first (as
    /// for a removal), so of two registrations finishing at once for an account at `max - 1`, one is stored.
    pub async fn add_passkey(
        &self,
        p: &NewPasskey<'_>,
        max: usize,
        notice: &Mail,
        event: &Event,
        now: Ts,
    ) -> Result<Registered, sqlx::Error> {
        const SQL: &str = "INSERT INTO passkeys (id, user_id, credential_id, passkey, counter, transports, \
             backup_eligible, backed_up, name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        let result: Result<Registered, sqlx::Error> = async {
            on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
                    .bind(p.user_id).execute(&mut *tx).await?;
                let count = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM passkeys WHERE user_id = $1")
                    .bind(p.user_id).fetch_one(&mut *tx).await?;
                if count >= max {
                    return Ok(Registered::TooMany); // the transaction is dropped: rolled back
                }
                sqlx::query(SQL)
                    .bind(p.id).bind(p.user_id).bind(p.credential_id).bind(p.passkey).bind(p.counter)
                    .bind(p.transports).bind(p.backup_eligible).bind(p.backed_up).bind(p.name).bind(now)
                    .execute(&mut *tx).await?;
                insert_mails!(tx, std::slice::from_ref(notice), now);
                record!(tx, p.user_id, event);
                tx.commit().await?;
                Ok(Registered::Done)
            })
        }
        .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Registered::Taken),
            other => other,
        }
    }

    /// Records a sign-in with the passkey `id`: its new state, counter and backup state, and when. Only if the
    /// counter moves forward from what the sign-in checked (`u.previous`; an authenticator without a counter
    /// always says 0): of two sign-ins racing with one counter value, one records. `false`: the passkey is
    /// gone, or its counter moved meanwhile.
    pub async fn use_passkey(&self, u: &PasskeyUse<'_>, now: Ts) -> Result<bool, sqlx::Error> {
        const SQL: &str = "UPDATE passkeys SET passkey = $2, counter = $4, backed_up = $5, backup_eligible = $6, \
             last_used_at = $7 WHERE id = $1 AND counter = $3 AND ($4 > $3 OR $4 = 0)";
        on_pool!(self, pool => sqlx::query(SQL)
            .bind(u.id).bind(u.passkey).bind(u.previous).bind(u.counter).bind(u.backed_up).bind(u.backup_eligible)
            .bind(now)
            .execute(pool).await.map(|r| r.rows_affected() == 1))
    }

    /// Renames one of the account's passkeys; `None` when it has no such passkey.
    pub async fn rename_passkey(&self, user_id: &str, id: &str, name: &str) -> Result<Option<PasskeyRow>, sqlx::Error> {
        let sql = format!("UPDATE passkeys SET name = $3 WHERE id = $2 AND user_id = $1 RETURNING {LIST_COLUMNS}");
        on_pool!(self, pool => sqlx::query_as::<_, PasskeyRow>(&sql)
            .bind(user_id).bind(id).bind(name).fetch_optional(pool).await)
    }

    /// Removes one of the account's passkeys unless it is the last way to sign in: the account keeps a
    /// password (its hash is not `LIKE no_password_like`), a linked identity or another passkey. The user's row
    /// is locked first, so two removals (or a removal and an unlink) of the last two ways cannot both pass.
    /// `notice` (given the passkey's name) is queued with it.
    pub async fn remove_passkey(
        &self,
        user_id: &str,
        id: &str,
        no_password_like: &str,
        notice: impl FnOnce(&str) -> (Mail, Event),
        now: Ts,
    ) -> Result<Removed, sqlx::Error> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1").bind(user_id).execute(&mut *tx).await?;
            let gone = sqlx::query_scalar::<_, String>(
                "DELETE FROM passkeys WHERE id = $2 AND user_id = $1 \
                 AND ((SELECT hashed_password FROM users WHERE id = $1) NOT LIKE $3 \
                      OR EXISTS (SELECT 1 FROM user_identities i WHERE i.user_id = $1) \
                      OR (SELECT COUNT(*) FROM passkeys o WHERE o.user_id = $1) > 1) \
                 RETURNING name",
            )
            .bind(user_id).bind(id).bind(no_password_like)
            .fetch_optional(&mut *tx).await?;
            let Some(name) = gone else {
                let exists = sqlx::query_scalar::<_, i32>("SELECT 1 FROM passkeys WHERE id = $2 AND user_id = $1")
                    .bind(user_id).bind(id).fetch_optional(&mut *tx).await?;
                return Ok(if exists.is_some() { Removed::LastWay } else { Removed::NotFound });
            };
            let (mail, event) = notice(&name);
            insert_mails!(tx, [mail], now);
            record!(tx, user_id, &event);
            tx.commit().await?;
            Ok(Removed::Done { name })
        })
    }
}
