//! What each mail says, as a plain-text and an HTML part from two compiled templates (askama checks them at
//! build time). Every mail names the product, says what happened, and says what to do if it wasn't you; a link
//! mail also says how long the link works. No tracking and no remote images: the HTML has inline styles only.

use std::time::Duration;

use askama::Template;

pub const PRODUCT: &str = "Todo";

/// The words of one mail, which both parts show.
struct Message<'a> {
    product: &'a str,
    heading: &'a str,
    what: &'a str,
    action: &'a str,
    link: Option<&'a str>,
    /// A one-time code to type in (instead of a link).
    code: Option<&'a str>,
    validity: &'a str,
    not_you: &'a str,
}

#[derive(Template)]
#[template(path = "mail/message.txt")]
struct Text<'a> {
    m: &'a Message<'a>,
}

#[derive(Template)]
#[template(path = "mail/message.html")]
struct Html<'a> {
    m: &'a Message<'a>,
}

/// A rendered mail: subject and both parts.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The mails the API sends.
pub enum Kind<'a> {
    /// After registration: confirm the address.
    Verify {
        email: &'a str,
        link: &'a str,
        valid_for: Duration,
    },
    /// To the new address of an email change.
    ChangeEmail {
        new_email: &'a str,
        link: &'a str,
        valid_for: Duration,
    },
    /// To the old address of an email change.
    ChangeNotice {
        old_email: &'a str,
        new_email: &'a str,
    },
    ResetPassword {
        email: &'a str,
        link: &'a str,
        valid_for: Duration,
    },
    PasswordChanged {
        email: &'a str,
    },
    /// Two-factor sign-in was turned on (`true`) or off.
    TwoFactor {
        email: &'a str,
        enabled: bool,
    },
    /// An identity at a provider was linked to the account; `took_back`: the account had never confirmed its
    /// address, and was cleared of its password and sessions first.
    ProviderLinked {
        email: &'a str,
        provider: &'a str,
        took_back: bool,
    },
    /// An identity at a provider was unlinked from the account.
    ProviderUnlinked {
        email: &'a str,
        provider: &'a str,
    },
    /// A passkey was added to the account (`true`) or removed; `name`: the passkey's name.
    Passkey {
        email: &'a str,
        name: &'a str,
        added: bool,
    },
    /// New recovery codes were made; the old ones no longer work.
    RecoveryCodes {
        email: &'a str,
    },
    /// A sign-in from a device (browser family and network) the account has not used lately; `link` is the
    /// account page, where the sign-in and "This was not me" are.
    NewSignIn {
        email: &'a str,
        /// When, as the mail says it (UTC).
        when: &'a str,
        ip: &'a str,
        browser: &'a str,
        link: &'a str,
    },
    /// The account was deleted, with everything in it.
    AccountDeleted {
        email: &'a str,
    },
    /// A one-time code that signs in to the account (`POST /api/auth/email-code`).
    SignInCode {
        email: &'a str,
        code: &'a str,
        valid_for: Duration,
    },
}

impl Kind<'_> {
    /// The link the mail carries, if any.
    pub fn link(&self) -> Option<&str> {
        match self {
            Kind::Verify { link, .. }
            | Kind::ChangeEmail { link, .. }
            | Kind::ResetPassword { link, .. }
            | Kind::NewSignIn { link, .. } => Some(link),
            Kind::ChangeNotice { .. }
            | Kind::PasswordChanged { .. }
            | Kind::TwoFactor { .. }
            | Kind::ProviderLinked { .. }
            | Kind::ProviderUnlinked { .. }
            | Kind::Passkey { .. }
            | Kind::RecoveryCodes { .. }
            | Kind::AccountDeleted { .. }
            | Kind::SignInCode { .. } => None,
        }
    }
}

fn human(d: Duration) -> String {
    let mins = d.as_secs() / 60;
    let plural = |n: u64, unit: &str| if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
    if mins.is_multiple_of(60 * 24) && mins >= 60 * 24 {
        plural(mins / (60 * 24), "day")
    } else if mins.is_multiple_of(60) && mins >= 60 {
        plural(mins / 60, "hour")
    } else {
        plural(mins, "minute")
    }
}

pub fn render(kind: &Kind<'_>) -> Rendered {
    let p = PRODUCT;
    let code = match kind {
        Kind::SignInCode { code, .. } => Some(*code),
        _ => None,
    };
    let (subject, heading, what, action, link, validity, not_you) = match kind {
        Kind::Verify { email, link, valid_for } => (
            format!("Confirm your email address for {p}"),
            "Confirm your email address",
            format!("A {p} account was created with the address {email}. Confirm that it is yours."),
            "Confirm my email address",
            Some(*link),
            format!("This link works once, for {}.", human(*valid_for)),
            format!("If this wasn't you, ignore this mail: without the confirmation nothing else happens with {p}."),
        ),
        Kind::ChangeEmail { new_email, link, valid_for } => (
            format!("Confirm your new email address for {p}"),
            "Confirm your new email address",
            format!("Someone asked to change the email of a {p} account to {new_email}. The change is made only when this link is opened."),
            "Confirm the new address",
            Some(*link),
            format!("This link works once, for {}.", human(*valid_for)),
            "If this wasn't you, ignore this mail: the address will not be changed.".to_string(),
        ),
        Kind::ChangeNotice { old_email, new_email } => (
            format!("Your {p} email address is being changed"),
            "Your email address is being changed",
            format!("Someone signed in to your {p} account ({old_email}) asked to change its email to {new_email}. The change is made when a link sent to the new address is opened."),
            "",
            None,
            String::new(),
            "If this wasn't you, change your password now and sign out on every device: someone else knows it.".to_string(),
        ),
        Kind::ResetPassword { email, link, valid_for } => (
            format!("Reset your {p} password"),
            "Reset your password",
            format!("Someone asked to reset the password of the {p} account for {email}."),
            "Choose a new password",
            Some(*link),
            format!("This link works once, for {}. A newer request replaces it.", human(*valid_for)),
            "If this wasn't you, ignore this mail: your password stays as it is.".to_string(),
        ),
        Kind::PasswordChanged { email } => (
            format!("Your {p} password was changed"),
            "Your password was changed",
            format!("The password of the {p} account for {email} was just reset, and every device was signed out."),
            "",
            None,
            String::new(),
            "If this wasn't you, reset your password again at once with \"Forgot password?\" on the sign-in page, and check your mailbox's security.".to_string(),
        ),
        Kind::TwoFactor { email, enabled: true } => (
            format!("Two-factor sign-in is on for your {p} account"),
            "Two-factor sign-in was turned on",
            format!("Signing in to the {p} account for {email} now needs a code from an authenticator app (or one of the recovery codes) after the password."),
            "",
            None,
            String::new(),
            "If this wasn't you, someone knows your password: reset it with \"Forgot password?\" on the sign-in page, then turn two-factor sign-in off and on again from your own device.".to_string(),
        ),
        Kind::TwoFactor { email, enabled: false } => (
            format!("Two-factor sign-in is off for your {p} account"),
            "Two-factor sign-in was turned off",
            format!("Signing in to the {p} account for {email} now needs only the password; the authenticator app's codes and the recovery codes no longer work."),
            "",
            None,
            String::new(),
            "If this wasn't you, someone has your password and a code: reset your password at once with \"Forgot password?\" on the sign-in page, and turn two-factor sign-in on again.".to_string(),
        ),
        Kind::ProviderLinked { email, provider, took_back: false } => (
            format!("{provider} was linked to your {p} account"),
            "A sign-in provider was linked",
            format!("The {p} account for {email} can now be signed in to with {provider}."),
            "",
            None,
            String::new(),
            format!("If this wasn't you, someone can sign in to your account with their {provider} account: sign in, unlink {provider} on your account page and sign out everywhere."),
        ),
        Kind::ProviderLinked { email, provider, took_back: true } => (
            format!("Your {p} account is now yours through {provider}"),
            "Your address was confirmed",
            format!("{provider} confirmed that {email} is yours. A {p} account had been registered with this address but never confirmed, so whoever registered it is signed out, its password is removed and two-factor sign-in is off; you sign in with {provider}. To also have a password, use \"Forgot password?\" on the sign-in page."),
            "",
            None,
            String::new(),
            format!("If this wasn't you, someone has access to a {provider} account with your address: secure it, then use \"Forgot password?\" on the sign-in page."),
        ),
        Kind::ProviderUnlinked { email, provider } => (
            format!("{provider} was unlinked from your {p} account"),
            "A sign-in provider was unlinked",
            format!("The {p} account for {email} can no longer be signed in to with {provider}."),
            "",
            None,
            String::new(),
            "If this wasn't you, someone is signed in to your account: sign out everywhere from your account page and change your password.".to_string(),
        ),
        Kind::Passkey { email, name, added: true } => (
            format!("A passkey was added to your {p} account"),
            "A passkey was added",
            format!("The passkey \"{name}\" can now sign in to the {p} account for {email}, with no password."),
            "",
            None,
            String::new(),
            "If this wasn't you, someone can sign in to your account: remove the passkey on your account page, change your password and sign out everywhere.".to_string(),
        ),
        Kind::Passkey { email, name, added: false } => (
            format!("A passkey was removed from your {p} account"),
            "A passkey was removed",
            format!("The passkey \"{name}\" can no longer sign in to the {p} account for {email}."),
            "",
            None,
            String::new(),
            "If this wasn't you, someone is signed in to your account: sign out everywhere from your account page and change your password.".to_string(),
        ),
        Kind::RecoveryCodes { email } => (
            format!("New recovery codes for your {p} account"),
            "New recovery codes were made",
            format!("Ten new recovery codes were made for the {p} account for {email}; the earlier ones no longer work."),
            "",
            None,
            String::new(),
            "If this wasn't you, someone has your password and a code: reset your password at once with \"Forgot password?\" on the sign-in page, then turn two-factor sign-in off and on again from your own device.".to_string(),
        ),
        Kind::NewSignIn { email, when, ip, browser, link } => (
            format!("New sign-in to your {p} account"),
            "A new device signed in",
            format!("The {p} account for {email} was signed in to from a device it has not used lately: {browser}, from the address {ip}, on {when}."),
            "See your recent activity",
            Some(*link),
            "If this was you, there is nothing to do.".to_string(),
            "If this wasn't you, open your account page, choose \"This was not me\" to sign out everywhere, and change your password.".to_string(),
        ),
        Kind::AccountDeleted { email } => (
            format!("Your {p} account was deleted"),
            "Your account was deleted",
            format!("The {p} account for {email} was deleted, with its tasks, sessions and history. Nothing of it is kept, and this address can be used to register again."),
            "",
            None,
            String::new(),
            "If this wasn't you, someone had your password (and your two-factor code, if it was on): the account cannot be restored, so change that password wherever else you use it.".to_string(),
        ),
        Kind::SignInCode { email, code, valid_for } => (
            format!("{code} is your {p} sign-in code"),
            "Your sign-in code",
            format!("Someone asked to sign in to the {p} account for {email} with a code sent to this address. Type this code on the sign-in page:"),
            "",
            None,
            format!("The code works once, for {}. A newer request replaces it, and five wrong tries end it.", human(*valid_for)),
            "If this wasn't you, ignore this mail: nobody can sign in without the code. Never tell it to anyone who asks for it.".to_string(),
        ),
    };
    let m = Message { product: p, heading, what: &what, action, link, code, validity: &validity, not_you: &not_you };
    Rendered {
        subject,
        // Rendering only writes strings the templates were compiled for: it cannot fail.
        text: Text { m: &m }.render().unwrap_or_default(),
        html: Html { m: &m }.render().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mail_says_what_happened_and_what_to_do_if_it_was_not_you() {
        let link = "https://app.example/reset-password?token=abc&x=<y>";
        let day = Duration::from_secs(48 * 3600);
        let kinds = [
            Kind::Verify { email: "a@example.com", link, valid_for: day },
            Kind::ChangeEmail { new_email: "b@example.com", link, valid_for: day },
            Kind::ChangeNotice { old_email: "a@example.com", new_email: "b@example.com" },
            Kind::ResetPassword { email: "a@example.com", link, valid_for: Duration::from_secs(3600) },
            Kind::PasswordChanged { email: "a@example.com" },
            Kind::ProviderLinked { email: "a@example.com", provider: "Google", took_back: false },
            Kind::ProviderLinked { email: "a@example.com", provider: "Google", took_back: true },
            Kind::ProviderUnlinked { email: "a@example.com", provider: "Google" },
            Kind::Passkey { email: "a@example.com", name: "Chrome on Linux", added: true },
            Kind::Passkey { email: "a@example.com", name: "Chrome on Linux", added: false },
            Kind::RecoveryCodes { email: "a@example.com" },
        ];
        for kind in &kinds {
            let m = render(kind);
            assert!(m.subject.contains(PRODUCT));
            for part in [&m.text, &m.html] {
                let not_you = part.contains("If this wasn't you") || part.contains("If this wasn&#39;t you");
                assert!(part.contains(PRODUCT) && not_you, "{part}");
            }
            assert!(!m.html.contains("<img") && !m.html.contains("src="), "no remote content");
            if kind.link().is_none() {
                assert!(!m.text.contains("http"));
            } else {
                assert!(m.text.contains(link), "the plain part holds the link as is");
                // HTML-escaped (askama writes `&#38;`/`&#60;`, named entities would do as well), never raw.
                let escaped = ["token=abc&#38;x=&#60;y&#62;", "token=abc&amp;x=&lt;y&gt;"];
                assert!(escaped.iter().any(|e| m.html.contains(e)) && !m.html.contains("x=<y>"), "{}", m.html);
                assert!(m.text.contains("works once, for "));
            }
        }
        assert!(render(&kinds[0]).text.contains("for 2 days"));
        assert!(render(&kinds[3]).text.contains("for 1 hour"));
    }

    #[test]
    fn the_new_sign_in_notice_says_when_where_and_which_browser_and_the_goodbye_says_what_went() {
        let link = "https://app.example/account";
        let m = render(&Kind::NewSignIn {
            email: "a@example.com",
            when: "2026-11-26 11:37 UTC",
            ip: "203.0.113.7",
            browser: "Firefox on Linux",
            link,
        });
        for part in [&m.text, &m.html] {
            for said in ["2026-11-26 11:37 UTC", "203.0.113.7", "Firefox on Linux", link, "This was not me"] {
                assert!(part.contains(said), "{said} missing from {part}");
            }
        }
        let m = render(&Kind::AccountDeleted { email: "a@example.com" });
        assert!(m.subject.contains("deleted") && m.text.contains("a@example.com") && !m.text.contains("http"));
        assert!(m.text.contains("If this wasn't you"));
    }

    #[test]
    fn the_code_mail_shows_the_code_how_long_it_works_and_no_link() {
        let kind = Kind::SignInCode { email: "a@example.com", code: "042917", valid_for: Duration::from_secs(600) };
        let m = render(&kind);
        assert!(kind.link().is_none());
        assert!(m.subject.contains("042917") && m.subject.contains(PRODUCT));
        for part in [&m.text, &m.html] {
            assert!(part.contains("042917") && part.contains("10 minutes") && part.contains("a@example.com"), "{part}");
            assert!(!part.contains("http") || part.contains("<!DOCTYPE"), "no link: {part}");
        }
        assert!(!m.html.contains("href="));
        assert!(m.text.contains("If this wasn't you"));
    }
}
