//! The SQL of sign-in with an OpenID Connect provider (migrations/*/0012_oidc.sql): the pending flows between
//! the start and the provider's redirect back (`oidc_flows`), and the identities linked to accounts
//! (`user_identities`, one per (issuer, subject)). Every "once" is one conditional statement whose row count
//! decides; every change that mails a notice writes it in the same transaction.

use super::{
    activity::{record, Event},
    outbox::insert_mails,
    Db, Mail, NewUser, User, USER_COLUMNS,
};
use crate::clock::Ts;

/// A flow as the start stores it (only hashes of the state and of the browser's cookie).
pub struct NewFlow<'a> {
    pub state_hash: &'a str,
    pub browser_hash: &'a str,
    pub provider_id: &'a str,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
    pub next_path: &'a str,
    /// Set for "Link <name>" from /account: the signed-in user.
    pub link_user_id: Option<&'a str>,
    pub now: Ts,
    pub expires_at: Ts,
}

/// What the callback gets back of its flow.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingFlow {
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: Option<String>,
    pub link_user_id: Option<String>,
}

/// An identity as the provider asserted it, to be linked.
pub struct NewIdentity<'a> {
    pub provider_id: &'a str,
    pub issuer: &'a str,
    pub subject: &'a str,
    pub email: Option<&'a str>,
}

/// A linked identity as /account lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdentityRow {
    pub id: String,
    pub provider_id: String,
    pub email: Option<String>,
    pub created_at: Ts,
    pub last_used_at: Ts,
}

/// What linking an identity to an account did.
pub enum Linked {
    Done,
    /// The identity was already linked: to this user (`true`) or to another one.
    Already {
        same_user: bool,
    },
}

/// What an unlink did.
pub enum Unlinked {
    /// The identity is gone (its provider id and asserted email).
    Done { provider_id: String },
    /// No such identity of this user.
    NotFound,
    /// It is the account's last way to sign in: kept.
    LastWay,
}

const INSERT_IDENTITY: &str = "INSERT INTO user_identities \
     (id, user_id, provider_id, issuer, subject, email, created_at, last_used_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";

/// Inserts the identity `$identity` of `$user_id` inside the transaction `$tx`.
macro_rules! insert_identity {
    ($tx:expr, $user_id:expr, $identity:expr, $now:expr) => {{
        let identity: &NewIdentity<'_> = $identity;
        sqlx::query(INSERT_IDENTITY)
            .bind(uuid::Uuid::new_v4().to_string())
            .bind($user_id)
            .bind(identity.provider_id)
            .bind(identity.issuer)
            .bind(identity.subject)
            .bind(identity.email)
            .bind($now)
            .execute(&mut *$tx)
            .await?
    }};
}

/// Takes back an unverified account, inside the transaction `$tx`, for whoever just proved its address (at a
/// provider, or with a code mailed to it): whatever its registrant set or left pending goes — the password
/// (replaced by the marker `$no_password`), every session and token (the token version moves on), two-factor,
/// linked identities, pending provider links, outstanding mailed links and codes — and the address is marked
/// verified. Yields the user as it is now, or `None` when the account is verified by now (or has another
/// address), and nothing changed.
macro_rules! take_back {
    ($tx:expr, $user_id:expr, $email:expr, $no_password:expr, $now:expr) => {{
        let sql = format!(
            "UPDATE users SET hashed_password = $3, token_version = token_version + 1, email_verified_at = $4, \
             updated_at = $4, two_factor_enabled = false \
             WHERE id = $1 AND lower(email) = $2 AND email_verified_at IS NULL RETURNING {}",
            $crate::db::USER_COLUMNS
        );
        let user = sqlx::query_as::<_, $crate::db::User>(&sql)
            .bind($user_id)
            .bind($email)
            .bind($no_password)
            .bind($now)
            .fetch_optional(&mut *$tx)
            .await?;
        if user.is_some() {
            for sql in [
                "DELETE FROM sessions WHERE user_id = $1",
                "DELETE FROM user_two_factor WHERE user_id = $1",
                "DELETE FROM recovery_codes WHERE user_id = $1",
                "DELETE FROM mfa_challenges WHERE user_id = $1",
                "DELETE FROM user_identities WHERE user_id = $1",
                "DELETE FROM oidc_flows WHERE link_user_id = $1",
                "DELETE FROM email_codes WHERE user_id = $1",
                "DELETE FROM passkeys WHERE user_id = $1",
                "DELETE FROM passkey_ceremonies WHERE user_id = $1",
            ] {
                sqlx::query(sql).bind($user_id).execute(&mut *$tx).await?;
            }
            sqlx::query("UPDATE account_tokens SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
                .bind($user_id)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
        }
        user
    }};
}
pub(crate) use take_back;

impl Db {
    pub async fn create_oidc_flow(&self, f: &NewFlow<'_>) -> Result<(), sqlx::Error> {
        const SQL: &str = "INSERT INTO oidc_flows (state_hash, browser_hash, provider_id, nonce, pkce_verifier, \
             next_path, link_user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        on_pool!(self, pool => sqlx::query(SQL)
            .bind(f.state_hash).bind(f.browser_hash).bind(f.provider_id).bind(f.nonce).bind(f.pkce_verifier)
            .bind(f.next_path).bind(f.link_user_id).bind(f.now).bind(f.expires_at)
            .execute(pool).await.map(|_| ()))
    }

    /// Spends the flow of a callback, in one statement: of two callbacks with the same state (a replay, two API
    /// processes) one gets it. Another browser, another provider's callback path, an unknown or expired state
    /// find nothing, and leave the flow as it is.
    pub async fn take_oidc_flow(
        &self,
        state_hash: &str,
        browser_hash: &str,
        provider_id: &str,
        now: Ts,
    ) -> Result<Option<PendingFlow>, sqlx::Error> {
        const SQL: &str = "DELETE FROM oidc_flows \
             WHERE state_hash = $1 AND browser_hash = $2 AND provider_id = $3 AND expires_at > $4 \
             RETURNING nonce, pkce_verifier, next_path, link_user_id";
        on_pool!(self, pool => sqlx::query_as::<_, PendingFlow>(SQL)
            .bind(state_hash).bind(browser_hash).bind(provider_id).bind(now)
            .fetch_optional(pool).await)
    }

    /// Drops flows that expired before `now` (from the periodic purge).
    pub async fn purge_oidc_flows(&self, now: Ts) -> Result<u64, sqlx::Error> {
        on_pool!(self, pool => sqlx::query("DELETE FROM oidc_flows WHERE expires_at < $1").bind(now)
            .execute(pool).await.map(|r| r.rows_affected()))
    }

    /// The user an identity is linked to, noting its use (and the address the provider asserts now).
    pub async fn use_identity(
        &self,
        issuer: &str,
        subject: &str,
        email: Option<&str>,
        now: Ts,
    ) -> Result<Option<String>, sqlx::Error> {
        const SQL: &str = "UPDATE user_identities SET last_used_at = $3, email = COALESCE($4, email) \
             WHERE issuer = $1 AND subject = $2 RETURNING user_id";
        on_pool!(self, pool => sqlx::query_scalar::<_, String>(SQL)
            .bind(issuer).bind(subject).bind(now).bind(email)
            .fetch_optional(pool).await)
    }

    /// A new account for a provider's verified address: no password (`no_password` is the marker), the address
    /// verified, the identity linked — one transaction. `EmailTaken` when an account has the address by then.
    pub async fn create_provider_user(
        &self,
        id: &str,
        email: &str,
        no_password: &str,
        name: Option<&str>,
        identity: &NewIdentity<'_>,
        now: Ts,
    ) -> Result<NewUser, sqlx::Error> {
        let sql = format!(
            "INSERT INTO users (id, email, hashed_password, name, created_at, updated_at, token_version, \
             email_verified_at) SELECT $1, $2, $3, $4, $5, $5, 0, $5 \
             WHERE NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = $2) RETURNING {USER_COLUMNS}"
        );
        let result: Result<Option<User>, sqlx::Error> = async {
            on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                let user = sqlx::query_as::<_, User>(&sql)
                    .bind(id).bind(email).bind(no_password).bind(name).bind(now)
                    .fetch_optional(&mut *tx).await?;
                if user.is_some() {
                    insert_identity!(tx, id, identity, now);
                    tx.commit().await?;
                }
                Ok(user)
            })
        }
        .await;
        NewUser::from_insert(result)
    }

    /// Links an identity to an account, queues `notice` and records `event` on the account's history, in one
    /// transaction.
    pub async fn link_identity(
        &self,
        user_id: &str,
        identity: &NewIdentity<'_>,
        notice: &Mail,
        event: &Event,
        now: Ts,
    ) -> Result<Linked, sqlx::Error> {
        let result: Result<(), sqlx::Error> = async {
            on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                insert_identity!(tx, user_id, identity, now);
                insert_mails!(tx, std::slice::from_ref(notice), now);
                record!(tx, user_id, event);
                tx.commit().await
            })
        }
        .await;
        match result {
            Ok(()) => Ok(Linked::Done),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                const OWNER: &str = "SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2";
                let owner = on_pool!(self, pool => sqlx::query_scalar::<_, String>(OWNER)
                    .bind(identity.issuer).bind(identity.subject).fetch_optional(pool).await)?;
                Ok(Linked::Already { same_user: owner.as_deref() == Some(user_id) })
            }
            Err(e) => Err(e),
        }
    }

    /// Takes back an unverified account for whoever proved its address at a provider, in one transaction:
    /// whatever its registrant set or left pending goes — the password (replaced by the marker `no_password`),
    /// every session and token (the token version moves on), two-factor, passkeys, other linked identities, pending
    /// provider links, outstanding mailed links — then the identity is linked, the address marked verified and
    /// `notice` queued. `None`: the account is verified by now (or changed its address), and nothing changed.
    pub async fn take_back_account(
        &self,
        user_id: &str,
        email: &str,
        no_password: &str,
        identity: &NewIdentity<'_>,
        notice: &Mail,
        now: Ts,
    ) -> Result<Option<User>, sqlx::Error> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let Some(user) = take_back!(tx, user_id, email, no_password, now) else {
                return Ok(None);
            };
            insert_identity!(tx, user_id, identity, now);
            insert_mails!(tx, std::slice::from_ref(notice), now);
            tx.commit().await?;
            Ok(Some(user))
        })
    }

    /// The user's linked identities, oldest first.
    pub async fn list_identities(&self, user_id: &str) -> Result<Vec<IdentityRow>, sqlx::Error> {
        const SQL: &str = "SELECT id, provider_id, email, created_at, last_used_at FROM user_identities \
             WHERE user_id = $1 ORDER BY created_at, id";
        on_pool!(self, pool => sqlx::query_as::<_, IdentityRow>(SQL).bind(user_id).fetch_all(pool).await)
    }

    /// Unlinks one of the user's identities unless it is the last way to sign in: the account keeps a password
    /// (its hash is not `LIKE no_password_like`), another identity or a passkey. The user's row is locked first, so two
    /// unlinks of an account's last two identities cannot both pass. `notice` is queued with it (its recipient
    /// is the account's address).
    pub async fn unlink_identity(
        &self,
        user_id: &str,
        identity_id: &str,
        no_password_like: &str,
        notice: impl FnOnce(&str) -> (Mail, Event),
        now: Ts,
    ) -> Result<Unlinked, sqlx::Error> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1").bind(user_id).execute(&mut *tx).await?;
            let gone = sqlx::query_scalar::<_, String>(
                "DELETE FROM user_identities WHERE id = $2 AND user_id = $1 \
                 AND ((SELECT hashed_password FROM users WHERE id = $1) NOT LIKE $3 \
                      OR (SELECT COUNT(*) FROM user_identities o WHERE o.user_id = $1) > 1 \
                      OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = $1)) \
                 RETURNING provider_id",
            )
            .bind(user_id).bind(identity_id).bind(no_password_like)
            .fetch_optional(&mut *tx).await?;
            let Some(provider_id) = gone else {
                let exists = sqlx::query_scalar::<_, i32>("SELECT 1 FROM user_identities WHERE id = $2 AND user_id = $1")
                    .bind(user_id).bind(identity_id).fetch_optional(&mut *tx).await?;
                return Ok(if exists.is_some() { Unlinked::LastWay } else { Unlinked::NotFound });
            };
            let (mail, event) = notice(&provider_id);
            insert_mails!(tx, [mail], now);
            record!(tx, user_id, &event);
            tx.commit().await?;
            Ok(Unlinked::Done { provider_id })
        })
    }
}
