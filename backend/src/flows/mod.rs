//! The account flows: what each way into an account, and each change of one, does — plain async functions over
//! the app's state (database, clock, settings, hashing pool) that return domain outcomes. The HTTP layer
//! (`crate::http`) extracts a request, calls one flow and maps its outcome to a response; a flow knows nothing
//! of HTTP.
//!
//! - [`sign_in`]: the password sign-in, the one throttled check of a current password, and
//!   [`sign_in::finish_sign_in`], where every way in ends (session, token, notices);
//! - [`two_factor`]: turning TOTP on and off, and the second step of a sign-in;
//! - [`account`]: registration and the change of password (both end signed in);
//! - [`recovery`]: the flows of mailed links: forgot/reset password, verify, resend, change of address;
//! - [`sessions`]: where a user is signed in, and signing out;
//! - [`email_code`]: sign-in with a one-time code mailed to the account's address;
//! - [`oidc`]: sign-in with an OpenID Connect provider, linking and unlinking one;
//! - [`passkeys`]: passkeys (WebAuthn): adding, signing in, listing, renaming, removing;
//! - [`activity`]: the account's history (the event each flow records with its change, failed sign-ins, the
//!   new-device notice) and what a device is;
//! - [`data`]: the user's data taken away (the export) and the account deleted.
//!
//! Within the layer, modules point one way: `data`, `account`, `recovery`, `two_factor`, `oidc`, `email_code` and
//! `passkeys` use `sign_in`, which uses `sessions`; `email_code` uses `recovery`'s count of mail requests; `data` uses
//! `two_factor` too; every one of them may use `activity`, which
//! uses none.

pub mod account;
pub mod activity;
pub mod data;
pub mod email_code;
pub mod oidc;
pub mod passkeys;
pub mod recovery;
pub mod sessions;
pub mod sign_in;
pub mod two_factor;

use crate::auth::ClientIp;

/// The answer when an address belongs to another account (registration, change of address).
pub const EMAIL_TAKEN: &str = "Email already registered";

/// A stored user agent is cut to this many characters (a header may be far longer).
pub const MAX_USER_AGENT_CHARS: usize = 512;

/// Where a request comes from: the client's address (as throttling sees it: the browser's, through a trusted
/// proxy) and its `User-Agent` (control characters removed, cut to [`MAX_USER_AGENT_CHARS`]).
#[derive(Debug, Clone)]
pub struct Device {
    pub ip: ClientIp,
    pub user_agent: Option<String>,
}
