//! The delivery worker: one task in every API process. It claims due outbox rows with a lease, sends them, and
//! marks each sent or schedules a retry with exponential backoff; now and then it purges old rows.
//!
//! Across processes each mail is claimed by one worker at a time ([`crate::db::Db::claim_mail`]); a worker that
//! dies mid-delivery leaves its claims to the others (or to itself after a restart) when the lease runs out.
//! The one window in which a mail can go out twice is a crash between the server's acceptance and the row's
//! update, as with any SMTP client.

use std::{path::PathBuf, time::Duration};

use lettre::{
    message::{header::ContentType, Mailbox, MultiPart, SinglePart},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use secrecy::ExposeSecret;

use crate::{mail::store::OutboxRow, state::AppState};

/// How long a claim lasts: well beyond one delivery's SMTP timeouts.
pub const LEASE: Duration = Duration::from_secs(120);
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
/// How often an idle worker looks for due mail.
const POLL: Duration = Duration::from_millis(500);
const BATCH: i64 = 20;
/// After this many failed attempts (about a day of backoff) a mail is given up.
const MAX_ATTEMPTS: i32 = 15;
const PURGE_EVERY: Duration = Duration::from_secs(300);

/// Where mail goes.
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Local development: one .eml file per mail in this folder, and the link logged.
    Files(PathBuf),
}

impl Transport {
    pub fn from_settings(settings: &crate::config::MailSettings) -> Result<Transport, String> {
        match &settings.smtp_url {
            Some(url) => {
                let url = super::transport_url(url.expose_secret())?;
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url).map_err(|e| e.to_string())?;
                Ok(Transport::Smtp(builder.timeout(Some(SMTP_TIMEOUT)).build()))
            }
            None => Ok(Transport::Files(settings.folder.clone())),
        }
    }
}

/// Starts the worker of this process (main calls it once; tests start it where they need delivery).
pub fn spawn_worker(state: &AppState) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    let transport = match Transport::from_settings(&state.settings.mail) {
        Ok(t) => t,
        Err(e) => {
            // Settings already parsed this URL at start-up, so this cannot happen; stay loud if it does.
            tracing::error!(error = %e, "mail transport unusable: mail stays in the outbox");
            return tokio::spawn(async {});
        }
    };
    match &transport {
        Transport::Smtp(_) => tracing::info!("mail is delivered over SMTP (SMTP_URL)"),
        Transport::Files(dir) => tracing::warn!(
            "SMTP_URL is not set: mail is written as .eml files to {} and each link is logged (local development only)",
            dir.display()
        ),
    }
    tokio::spawn(async move {
        let mut last_purge: Option<std::time::Instant> = None;
        loop {
            if last_purge.is_none_or(|t| t.elapsed() >= PURGE_EVERY) {
                last_purge = Some(std::time::Instant::now());
                let now = state.clock.now();
                match state.db.purge_mail(now.minus(state.settings.mail.retention), now).await {
                    Ok(n) if n > 0 => tracing::info!(rows = n, "purged old mail and expired links"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "mail purge failed"),
                }
            }
            match state.db.claim_mail(state.clock.now(), LEASE, BATCH).await {
                Ok(batch) if !batch.is_empty() => {
                    for row in batch {
                        deliver(&state, &transport, row).await;
                    }
                }
                Ok(_) => tokio::time::sleep(POLL).await,
                // The process is shutting down (main closes the pool after the server has drained).
                Err(sqlx::Error::PoolClosed) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the mail outbox");
                    tokio::time::sleep(POLL * 4).await;
                }
            }
        }
    })
}

/// 5 s, 10 s, 20 s … doubling up to an hour.
fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    Duration::from_secs((5u64 << exp).min(3600))
}

async fn deliver(state: &AppState, transport: &Transport, row: OutboxRow) {
    let result = send(state, transport, &row).await;
    let now = state.clock.now();
    let outcome = match &result {
        Ok(()) => state.db.mail_sent(&row.id, now).await,
        Err((error, permanent)) => {
            let give_up = *permanent || row.attempts >= MAX_ATTEMPTS;
            let retry_at = (!give_up).then(|| now.plus(backoff(row.attempts)));
            if give_up {
                tracing::error!(mail_id = %row.id, attempts = row.attempts, %error, "mail given up");
            } else {
                tracing::warn!(mail_id = %row.id, attempts = row.attempts, %error, "mail not delivered; will retry");
            }
            state.db.mail_failed(&row.id, error, retry_at, now).await
        }
    };
    if let Err(e) = outcome {
        // The lease runs out and the mail is tried again.
        tracing::warn!(mail_id = %row.id, error = %e, "cannot record the delivery of a mail");
    }
}

/// Sends one mail. Errors: (what, permanent?).
async fn send(state: &AppState, transport: &Transport, row: &OutboxRow) -> Result<(), (String, bool)> {
    let message = build(&state.settings.mail.from, row).map_err(|e| (e, true))?;
    match transport {
        Transport::Smtp(smtp) => match smtp.send(message).await {
            Ok(_) => {
                tracing::info!(mail_id = %row.id, "mail delivered over SMTP");
                Ok(())
            }
            Err(e) => Err((e.to_string(), e.is_permanent())),
        },
        Transport::Files(dir) => {
            let path = dir.join(format!("{}.eml", row.id));
            let write = async {
                tokio::fs::create_dir_all(dir).await?;
                tokio::fs::write(&path, message.formatted()).await
            };
            write.await.map_err(|e| (format!("cannot write {}: {e}", path.display()), false))?;
            match &row.link {
                Some(link) => {
                    tracing::info!(to = %row.recipient, file = %path.display(), "mail written (no SMTP_URL); its link: {link}")
                }
                None => tracing::info!(to = %row.recipient, file = %path.display(), "mail written (no SMTP_URL)"),
            }
            Ok(())
        }
    }
}

fn build(from: &Mailbox, row: &OutboxRow) -> Result<Message, String> {
    let to: Mailbox = row.recipient.parse().map_err(|e| format!("bad recipient: {e}"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&row.subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(row.text_body.clone()))
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(row.html_body.clone())),
        )
        .map_err(|e| e.to_string())
}
