//! Mail: account links (password reset, email verification and change) and notices, sent through an outbox.
//!
//! A request that causes a mail writes it as a row of `mail_outbox` in the same transaction as the change it
//! reports (`db/outbox.rs`); the [`worker`] of every API process delivers due rows over SMTP with `lettre` (or, without
//! `SMTP_URL`, as .eml files with the link logged), with retries and backoff. The request path never talks to the
//! mail server. Message bodies come from compiled templates ([`templates`]); links are built from `WEB_URL` only.

pub mod templates;
pub mod worker;

pub use templates::Kind;
pub use worker::MailWorker;

use crate::db::Mail;

/// A mail of `kind` to `recipient`, ready for the outbox (its link, if any, kept beside it for the log).
pub fn compose(recipient: &str, kind: &Kind<'_>) -> Mail {
    let rendered = templates::render(kind);
    Mail {
        recipient: recipient.to_owned(),
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        link: kind.link().map(str::to_owned),
        // The goodbye of a deleted account is the one mail whose row must not keep the address once delivered.
        forget_recipient: matches!(kind, Kind::AccountDeleted { .. }),
    }
}
