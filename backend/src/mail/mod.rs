//! Mail: account links (password reset, email verification and change) and notices, sent through an outbox.
//!
//! A request that causes a mail writes it as a row of `mail_outbox` in the same transaction as the change it
//! reports ([`store`]); the [`worker`] of every API process delivers due rows over SMTP with `lettre` (or, without
//! `SMTP_URL`, as .eml files with the link logged), with retries and backoff. The request path never talks to the
//! mail server. Message bodies come from compiled templates ([`templates`]); links are built from `WEB_URL` only.

pub mod store;
pub mod templates;
pub mod tokens;
pub mod worker;

pub use store::{Mail, TokenMail};
pub use tokens::Purpose;
pub use worker::spawn_worker;

/// `SMTP_URL` as lettre reads it. The contract's `smtp://host:port` means STARTTLS when the server offers it;
/// lettre reads a bare `smtp://` as plain text, so `tls=opportunistic` is added unless the URL says otherwise.
pub fn transport_url(url: &str) -> Result<String, String> {
    let (scheme, _) = url.split_once("://").ok_or("expected smtp://host:port or smtps://host:port")?;
    if scheme == "smtp" && !url.contains("tls=") {
        let sep = if url.contains('?') { '&' } else { '?' };
        return Ok(format!("{url}{sep}tls=opportunistic"));
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::transport_url;

    #[test]
    fn smtp_urls_mean_starttls_when_offered_unless_told() {
        assert_eq!(transport_url("smtp://h:25").unwrap(), "smtp://h:25?tls=opportunistic");
        assert_eq!(transport_url("smtp://u:p@h:587?tls=required").unwrap(), "smtp://u:p@h:587?tls=required");
        assert_eq!(transport_url("smtps://h:465").unwrap(), "smtps://h:465");
        assert!(transport_url("h:25").is_err());
    }
}
