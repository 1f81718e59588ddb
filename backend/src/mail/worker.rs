//! The delivery worker: one task in every API process. It claims due outbox rows with a lease, sends them, and
//! marks each sent or schedules a retry with exponential backoff; now and then it purges old rows.
//!
//! Across processes each mail is claimed by one worker at a time ([`crate::db::Db::claim_mail`]); a worker that
//! dies mid-delivery leaves its claims to the others (or to itself after a restart) when the lease runs out.
//! The one window in which a mail can go out twice is a crash between the server's acceptance and the row's
//! update, as with any SMTP client.

use std::{path::PathBuf, sync::Arc, time::Duration};

use lettre::{
    message::{header::ContentType, Mailbox, MultiPart, SinglePart},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use secrecy::ExposeSecret;

use crate::{
    clock::Clock,
    config::{smtp_transport_url, MailSettings},
    db::{Db, OutboxRow},
};

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
    pub fn from_settings(settings: &MailSettings) -> Result<Transport, String> {
        match &settings.smtp_url {
            Some(url) => {
                let url = smtp_transport_url(url.expose_secret())?;
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url).map_err(|e| e.to_string())?;
                Ok(Transport::Smtp(builder.timeout(Some(SMTP_TIMEOUT)).build()))
            }
            None => Ok(Transport::Files(settings.folder.clone())),
        }
    }
}

/// The delivery worker of one process: what it needs (the database, the app's clock, the mail settings) and
/// nothing else. [`MailWorker::spawn`] runs it for the life of the process; tests call
/// [`MailWorker::deliver_pending_mail`] to run one pass where they need a mail delivered.
pub struct MailWorker {
    db: Db,
    clock: Arc<Clock>,
    settings: MailSettings,
    transport: Transport,
}

impl MailWorker {
    pub fn new(db: Db, clock: Arc<Clock>, settings: MailSettings) -> Result<MailWorker, String> {
        let transport = Transport::from_settings(&settings)?;
        Ok(MailWorker { db, clock, settings, transport })
    }

    /// One delivery pass: claims the mails due now (a batch at a time) and delivers each, until none is due.
    /// Returns how many it tried. Err: the outbox could not be read (the pool closed, the database away).
    pub async fn deliver_pending_mail(&self) -> Result<usize, sqlx::Error> {
        let mut tried = 0;
        loop {
            let batch = self.db.claim_mail(self.clock.now(), LEASE, BATCH).await?;
            if batch.is_empty() {
                return Ok(tried);
            }
            tried += batch.len();
            for row in batch {
                self.deliver(row).await;
            }
        }
    }

    /// Runs the worker for the life of the process (main starts one; so do tests that need the live worker).
    /// It ends when the pool is closed at shutdown.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        match &self.transport {
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
                    self.purge().await;
                }
                match self.deliver_pending_mail().await {
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

    async fn purge(&self) {
        let now = self.clock.now();
        match self.db.purge_mail(now.minus(self.settings.retention), now).await {
            Ok(n) if n > 0 => tracing::info!(rows = n, "purged old mail and expired links"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "mail purge failed"),
        }
    }

    async fn deliver(&self, row: OutboxRow) {
        let result = self.send(&row).await;
        let now = self.clock.now();
        let outcome = match &result {
            Ok(()) => self.db.mail_sent(&row.id, now).await,
            Err((error, permanent)) => {
                let give_up = *permanent || row.attempts >= MAX_ATTEMPTS;
                let retry_at = (!give_up).then(|| now.plus(backoff(row.attempts)));
                if give_up {
                    tracing::error!(mail_id = %row.id, attempts = row.attempts, %error, "mail given up");
                } else {
                    tracing::warn!(mail_id = %row.id, attempts = row.attempts, %error, "mail not delivered; will retry");
                }
                self.db.mail_failed(&row.id, error, retry_at, now).await
            }
        };
        if let Err(e) = outcome {
            // The lease runs out and the mail is tried again.
            tracing::warn!(mail_id = %row.id, error = %e, "cannot record the delivery of a mail");
        }
    }

    /// Sends one mail. Errors: (what, permanent?).
    async fn send(&self, row: &OutboxRow) -> Result<(), (String, bool)> {
        let message = build(&self.settings.from, row).map_err(|e| (e, true))?;
        match &self.transport {
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
}

/// 5 s, 10 s, 20 s … doubling up to an hour.
fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    Duration::from_secs((5u64 << exp).min(3600))
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
