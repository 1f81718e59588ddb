//! Request and response bodies (seed: schemas.py). Request types are validated by [`FromJson`] with the
//! seed's rules; all of them describe themselves to the OpenAPI document.

use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    auth::policy,
    clock::Ts,
    db, flows,
    flows::sign_in::SignedIn,
    http::validate::{Fields, FromJson, Text},
};

/// chrono's pattern for the text below.
const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// RFC 3339 UTC with a `Z`: browsers read it as UTC (the seed's naive strings are read as local time).
///
/// Written digit by digit into a stack buffer: chrono's `format` parses its pattern on every call, and a
/// task list writes two timestamps per task (14–25% of `GET /api/tasks`, see BENCHMARKS.md). Same text as
/// `format(TIMESTAMP_FORMAT)` (unit-tested), which remains the path for years outside 0..=9999 and
/// leap seconds. Response bodies hold [`Ts`] itself: it serializes to this text without a `String` of its own.
/// Returns `None` where chrono must write it.
fn write_timestamp(ts: Ts, out: &mut [u8; 27]) -> Option<&str> {
    use chrono::{Datelike, Timelike};
    let t = ts.0;
    let year = t.year();
    let nanos = t.nanosecond();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return None;
    }
    let mut put = |at: usize, width: usize, mut n: u32| {
        for i in (0..width).rev() {
            out[at + i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, t.month());
    put(8, 2, t.day());
    put(11, 2, t.hour());
    put(14, 2, t.minute());
    put(17, 2, t.second());
    put(20, 6, nanos / 1000);
    for (at, c) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'.'), (26, b'Z')] {
        out[at] = c;
    }
    // Only ASCII digits and separators were written.
    std::str::from_utf8(out).ok()
}

/// A timestamp in a response body, written as described at [`write_timestamp`].
impl Serialize for Ts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 27];
        match write_timestamp(*self, &mut buf) {
            Some(s) => serializer.serialize_str(s),
            None => serializer.collect_str(&self.0.format(TIMESTAMP_FORMAT)),
        }
    }
}

// The OpenAPI patterns below say what validation enforces beyond lengths, so generated clients and
// schemathesis agree with us: no string may hold NUL (`string_nul`), and a title must keep a
// non-whitespace character once stripped.
/// A new password: the length rule of the password rules (`auth/policy.rs`), checked with the body.
const PASSWORD: Text = Text { min: policy::MIN_CHARS, max: policy::MAX_CHARS, strip: false };
const NAME: Text = Text { min: 0, max: 100, strip: false };
const TITLE: Text = Text { min: 1, max: 200, strip: true };
const DESCRIPTION: Text = Text { min: 0, max: 1000, strip: true };
/// Login and current-password fields take any string (the seed has no length rule there), within reason.
const ANY_PASSWORD: Text = Text { min: 0, max: 4096, strip: false };

// ---------- auth ----------

/// `format: email` plus what email.rs refuses beyond it: a special-use domain, in any letter case (the
/// address is trimmed first). Without the pattern, clients (and schemathesis) take `x@y.test` for valid.
/// The lookahead reads the same in ECMA and Python regexes.
fn email_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, Type};
    const SPECIAL_USE_EXCLUDED: &str = concat!(
        r"^(?![\s\S]*\.(",
        r"[Aa][Rr][Pp][Aa]|[Ii][Nn][Vv][Aa][Ll][Ii][Dd]|[Ll][Oo][Cc][Aa][Ll]|[Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt]|",
        r"[Oo][Nn][Ii][Oo][Nn]|[Tt][Ee][Ss][Tt]",
        r")\s*$)"
    );
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("email".into())))
        .pattern(Some(SPECIAL_USE_EXCLUDED))
        .description(Some(
            "Trimmed and lower-cased; must be a deliverable-looking address (as pydantic's EmailStr): the \
             special-use domains .arpa, .invalid, .local, .localhost, .onion and .test are refused.",
        ))
        .examples(["ada@example.com"])
        .build()
}

#[derive(Debug, ToSchema)]
pub struct RegisterRequest {
    #[schema(schema_with = email_schema)]
    pub email: String,
    #[schema(min_length = 8, max_length = 100, pattern = "^[^\\u0000]*$", example = "correct horse battery")]
    pub password: String,
    #[schema(max_length = 100, pattern = "^[^\\u0000]*$", example = "Ada Lovelace")]
    pub name: Option<String>,
}

impl FromJson for RegisterRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let email = f.email("email");
        let password = f.required("password", PASSWORD);
        let name = f.optional("name", NAME);
        Some(RegisterRequest { email: email?, password: password?, name: name.flatten() })
    }
}

#[derive(Debug, ToSchema)]
pub struct LoginRequest {
    #[schema(schema_with = email_schema)]
    pub email: String,
    #[schema(max_length = 4096, pattern = "^[^\\u0000]*$", example = "correct horse battery")]
    pub password: String,
}

impl FromJson for LoginRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let email = f.email("email");
        let password = f.required("password", ANY_PASSWORD);
        Some(LoginRequest { email: email?, password: password? })
    }
}

#[derive(Debug, ToSchema)]
pub struct ChangePasswordRequest {
    #[schema(max_length = 4096, pattern = "^[^\\u0000]*$")]
    pub current_password: String,
    #[schema(min_length = 8, max_length = 100, pattern = "^[^\\u0000]*$")]
    pub new_password: String,
}

impl FromJson for ChangePasswordRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let current = f.required("current_password", ANY_PASSWORD);
        let new = f.required("new_password", PASSWORD);
        Some(ChangePasswordRequest { current_password: current?, new_password: new? })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    #[schema(example = "898679e8-0bb5-4b43-8216-ebfea7a26508")]
    pub id: String,
    pub email: String,
    /// Always present, null when not given.
    #[schema(required = true)]
    pub name: Option<String>,
    #[schema(value_type = String, format = DateTime, example = "2026-11-26T11:36:54.829173Z")]
    pub created_at: Ts,
    /// Whether the address was confirmed from a mailed link (or a password reset). Seed-made users start false.
    pub email_verified: bool,
    /// Whether sign-in asks for a second factor (POST /api/auth/2fa/enable).
    pub two_factor_enabled: bool,
}

impl From<&db::User> for UserResponse {
    fn from(u: &db::User) -> Self {
        UserResponse {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            created_at: u.created_at,
            email_verified: u.email_verified_at.is_some(),
            two_factor_enabled: u.two_factor_enabled,
        }
    }
}

impl From<&db::SessionUser> for UserResponse {
    fn from(u: &db::SessionUser) -> Self {
        UserResponse {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            created_at: u.created_at,
            email_verified: u.email_verified_at.is_some(),
            two_factor_enabled: u.two_factor_enabled,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `bearer`.
    #[schema(example = "bearer")]
    pub token_type: &'static str,
    pub user: UserResponse,
    /// Sign-in only, and only when true: the password just used breaks today's password rules (too
    /// short, common, or built from the email or name). Suggest a change; nothing is stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_change_suggested: Option<bool>,
}

impl From<SignedIn> for TokenResponse {
    fn from(signed_in: SignedIn) -> Self {
        TokenResponse {
            access_token: signed_in.access_token,
            token_type: "bearer",
            user: UserResponse::from(&signed_in.user),
            password_change_suggested: signed_in.password_change_suggested.then_some(true),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogoutAllResponse {
    pub message: &'static str,
    /// Always true: the token that made this call is revoked too, so the client must sign in again.
    pub reauthenticate: bool,
}

// ---------- tasks ----------

#[derive(Debug, ToSchema)]
pub struct TaskCreate {
    /// Stripped of surrounding whitespace, then 1..200 characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
        example = "Buy milk"
    )]
    pub title: String,
    /// Stripped; an empty description is stored as null.
    #[schema(max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub description: Option<String>,
}

impl FromJson for TaskCreate {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let title = f.required("title", TITLE);
        let description = f.optional("description", DESCRIPTION);
        Some(TaskCreate { title: title?, description: description.flatten().filter(|d| !d.is_empty()) })
    }
}

/// At least one field must be given: `{}`, or only nulls, is 400 (as in the seed). Not written as
/// `minProperties`: utoipa 5 emits `min_properties` as `maxProperties`, and nulls would pass it anyway.
#[derive(Debug, ToSchema)]
pub struct TaskUpdate {
    /// Omitted or null: unchanged.
    #[schema(min_length = 1, max_length = 200, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub title: Option<String>,
    /// Omitted or null: unchanged; empty string: cleared.
    #[schema(max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub description: Option<String>,
}

impl TaskUpdate {
    pub fn into_patch(self) -> db::TaskPatch {
        db::TaskPatch {
            title: self.title,
            description: self.description.map(|d| if d.is_empty() { None } else { Some(d) }),
        }
    }
}

impl FromJson for TaskUpdate {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let title = f.optional("title", TITLE);
        let description = f.optional("description", DESCRIPTION);
        Some(TaskUpdate { title: title.flatten(), description: description.flatten() })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskResponse {
    pub id: String,
    pub user_id: String,
    pub title: String,
    /// Always present, null when empty.
    #[schema(required = true)]
    pub description: Option<String>,
    pub is_completed: bool,
    #[schema(value_type = String, format = DateTime, example = "2026-11-26T11:36:54.837034Z")]
    pub created_at: Ts,
    #[schema(value_type = String, format = DateTime, example = "2026-11-26T11:36:54.837034Z")]
    pub updated_at: Ts,
}

impl From<db::Task> for TaskResponse {
    fn from(t: db::Task) -> Self {
        TaskResponse {
            id: t.id,
            user_id: t.user_id,
            title: t.title,
            description: t.description,
            is_completed: t.is_completed,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskListResponse {
    pub tasks: Vec<TaskResponse>,
    pub total: usize,
}

// ---------- errors and ops ----------

/// `{"detail": "..."}`: every error except 422.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorResponse {
    #[schema(example = "Task not found")]
    pub detail: String,
}

/// 422: FastAPI's list of problems.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationErrorResponse {
    pub detail: Vec<crate::error::FieldError>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageResponse {
    #[schema(example = "Todo API is running")]
    pub message: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `healthy`, or `unhealthy` when the database does not answer.
    #[schema(example = "healthy")]
    pub status: &'static str,
    /// `ok` or `unavailable` (GET /health only; /health/live never touches the database).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

// ---------- account recovery and email (routes/account.rs) ----------

#[derive(Debug, ToSchema)]
pub struct UpdateMeRequest {
    /// The new name (trimmed; at most 100 characters); `null` or `""` removes it.
    #[schema(required = true, max_length = 100, pattern = "^[^\\u0000]*$", example = "Ada Lovelace")]
    pub name: Option<String>,
}

impl FromJson for UpdateMeRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let name = f.nullable("name", Text { min: 0, max: 100, strip: true })?;
        Some(UpdateMeRequest { name: name.filter(|n| !n.is_empty()) })
    }
}

/// A link token from a mail: any string up to 512 characters (an unknown one is a 400, not a 422).
const LINK_TOKEN: Text = Text { min: 1, max: 512, strip: false };

#[derive(Debug, ToSchema)]
pub struct ForgotPasswordRequest {
    #[schema(schema_with = email_schema)]
    pub email: String,
}

impl FromJson for ForgotPasswordRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        Some(ForgotPasswordRequest { email: f.email("email")? })
    }
}

#[derive(Debug, ToSchema)]
pub struct ResetPasswordRequest {
    /// The `token` of the mailed link.
    #[schema(min_length = 1, max_length = 512, pattern = "^[^\\u0000]*$")]
    pub token: String,
    #[schema(min_length = 8, max_length = 100, pattern = "^[^\\u0000]*$")]
    pub new_password: String,
}

impl FromJson for ResetPasswordRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let token = f.required("token", LINK_TOKEN);
        let new = f.required("new_password", PASSWORD);
        Some(ResetPasswordRequest { token: token?, new_password: new? })
    }
}

/// A reset link that still works.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetCheckResponse {
    /// The address whose password the link resets.
    #[schema(example = "ada@example.com")]
    pub email: String,
}

/// The token of a mailed link: the body of verify-email and of the reset link's check.
#[derive(Debug, ToSchema)]
pub struct LinkTokenRequest {
    /// The `token` of the mailed link.
    #[schema(min_length = 1, max_length = 512, pattern = "^[^\\u0000]*$")]
    pub token: String,
}

impl FromJson for LinkTokenRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        Some(LinkTokenRequest { token: f.required("token", LINK_TOKEN)? })
    }
}

#[derive(Debug, ToSchema)]
pub struct ChangeEmailRequest {
    #[schema(max_length = 4096, pattern = "^[^\\u0000]*$")]
    pub current_password: String,
    #[schema(schema_with = email_schema)]
    pub new_email: String,
}

impl FromJson for ChangeEmailRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let current = f.required("current_password", ANY_PASSWORD);
        let new_email = f.email("new_email");
        Some(ChangeEmailRequest { current_password: current?, new_email: new_email? })
    }
}

// ---------- one-time email codes (routes/auth.rs) ----------

#[derive(Debug, ToSchema)]
pub struct EmailCodeRequest {
    #[schema(schema_with = email_schema)]
    pub email: String,
}

impl FromJson for EmailCodeRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        Some(EmailCodeRequest { email: f.email("email")? })
    }
}

/// The digits of a mailed code, as the document states them.
const EMAIL_CODE_PATTERN: &str = "^[0-9]{6}$";

#[derive(Debug, ToSchema)]
pub struct EmailCodeVerifyRequest {
    #[schema(schema_with = email_schema)]
    pub email: String,
    /// The 6-digit code of the mail.
    #[schema(min_length = 6, max_length = 6, pattern = "^[0-9]{6}$", example = "042917")]
    pub code: String,
}

impl FromJson for EmailCodeVerifyRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let email = f.email("email");
        let digits = crate::auth::email_code::DIGITS;
        let code = f.required("code", Text { min: digits, max: digits, strip: false });
        let code = f.pattern("code", code?, EMAIL_CODE_PATTERN, crate::auth::email_code::is_code_shaped);
        Some(EmailCodeVerifyRequest { email: email?, code: code? })
    }
}

// ---------- two-factor sign-in (routes/two_factor.rs) ----------

/// A code from an authenticator app, or a recovery code.
const CODE: Text = Text { min: 1, max: 64, strip: true };
const MFA_TOKEN: Text = Text { min: 1, max: 256, strip: true };

#[derive(Debug, ToSchema)]
pub struct TwoFactorSetupRequest {
    #[schema(max_length = 4096, pattern = "^[^\\u0000]*$")]
    pub current_password: String,
}

impl FromJson for TwoFactorSetupRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        Some(TwoFactorSetupRequest { current_password: f.required("current_password", ANY_PASSWORD)? })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorSetupResponse {
    /// The new secret, base32 (for typing into an authenticator app).
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    pub secret: String,
    /// The same secret as a key URI, what the QR code holds.
    #[schema(
        example = "otpauth://totp/Todo:ada@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Todo&algorithm=SHA1&digits=6&period=30"
    )]
    pub otpauth_url: String,
}

#[derive(Debug, ToSchema)]
pub struct TwoFactorEnableRequest {
    /// The 6-digit code the authenticator app shows for the new secret.
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$", example = "123456")]
    pub code: String,
}

impl FromJson for TwoFactorEnableRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        Some(TwoFactorEnableRequest { code: f.required("code", CODE)? })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesResponse {
    /// Ten single-use codes, shown this once (only their hashes are kept).
    #[schema(example = json!(["abcd-efgh-ijkl-mnop"]))]
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, ToSchema)]
pub struct TwoFactorDisableRequest {
    #[schema(max_length = 4096, pattern = "^[^\\u0000]*$")]
    pub current_password: String,
    /// A current 6-digit code, or an unused recovery code.
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub code: String,
}

impl FromJson for TwoFactorDisableRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let current_password = f.required("current_password", ANY_PASSWORD);
        let code = f.required("code", CODE);
        Some(TwoFactorDisableRequest { current_password: current_password?, code: code? })
    }
}

#[derive(Debug, ToSchema)]
pub struct TwoFactorLoginRequest {
    /// From the 403 of POST /api/auth/login.
    #[schema(min_length = 1, max_length = 256, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub mfa_token: String,
    /// A current 6-digit code, or an unused recovery code.
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$", example = "123456")]
    pub code: String,
}

impl FromJson for TwoFactorLoginRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let mfa_token = f.required("mfa_token", MFA_TOKEN);
        let code = f.required("code", CODE);
        Some(TwoFactorLoginRequest { mfa_token: mfa_token?, code: code? })
    }
}

/// The detail of the 403 that asks for the second step of a sign-in.
pub const TWO_FACTOR_REQUIRED: &str = "Two-factor code required";

/// The 403 of a login whose user has two-factor on.
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorRequiredResponse {
    #[schema(example = "Two-factor code required")]
    pub detail: String,
    /// Opaque, valid 5 minutes, single use: send it with the code to POST /api/auth/login/2fa.
    pub mfa_token: String,
}

/// Where the signed-in user's two-factor sign-in stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorStatusResponse {
    pub enabled: bool,
    /// Recovery codes not used yet (0 when two-factor is off).
    pub recovery_codes_left: i64,
}

#[derive(Debug, ToSchema)]
pub struct RecoveryCodesRequest {
    #[schema(max_length = 4096, pattern = "^[^\\u0000]*$")]
    pub current_password: String,
    /// A current 6-digit code, or an unused recovery code.
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub code: String,
}

impl FromJson for RecoveryCodesRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let current_password = f.required("current_password", ANY_PASSWORD);
        let code = f.required("code", CODE);
        Some(RecoveryCodesRequest { current_password: current_password?, code: code? })
    }
}

impl TwoFactorRequiredResponse {
    pub fn new(mfa_token: String) -> Self {
        TwoFactorRequiredResponse { detail: TWO_FACTOR_REQUIRED.to_string(), mfa_token }
    }
}

// ---------- your data and your history (routes/data.rs) ----------

/// One event of the account's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityEvent {
    /// Give it as `before` to read the events older than this one.
    #[schema(example = "1042")]
    pub id: String,
    /// What happened: sign_in, sign_in_failed, signed_out, session_ended, password_changed, password_reset,
    /// email_change_requested, email_changed, email_verified, two_factor_enabled, two_factor_disabled,
    /// recovery_code_used, recovery_codes_replaced, passkey_added, passkey_removed, provider_linked,
    /// provider_unlinked.
    #[serde(rename = "type")]
    #[schema(example = "sign_in")]
    pub kind: String,
    #[schema(value_type = String, format = DateTime, example = "2026-11-26T11:36:54.829173Z")]
    pub created_at: Ts,
    /// The client's address, as throttling sees it (behind a trusted proxy: the browser's); null when unknown.
    #[schema(required = true, example = "203.0.113.7")]
    pub ip: Option<String>,
    /// The request's `User-Agent` (cut to 512 characters); null when none was sent.
    #[schema(required = true)]
    pub user_agent: Option<String>,
    /// The browser family and system the user agent names, e.g. "Firefox on Linux"; null without one.
    #[schema(required = true, example = "Firefox on Linux")]
    pub browser: Option<String>,
    /// A short detail: how a sign-in was proved, which session ended, the new address, …
    #[schema(required = true, example = "Password")]
    pub detail: Option<String>,
}

impl From<db::ActivityRow> for ActivityEvent {
    fn from(row: db::ActivityRow) -> Self {
        let detail = match (row.detail, row.repeats) {
            (detail, 0) => detail,
            (detail, n) => {
                let more = if n == 1 { "1 more".to_string() } else { format!("{n} more") };
                Some(format!("{} ({more} in the hour that followed)", detail.unwrap_or_default()))
            }
        };
        ActivityEvent {
            id: row.id.to_string(),
            kind: row.kind,
            created_at: row.created_at,
            browser: row.user_agent.as_deref().map(|ua| flows::activity::browser(Some(ua))),
            ip: row.ip,
            user_agent: row.user_agent,
            detail,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityResponse {
    /// Newest first.
    pub events: Vec<ActivityEvent>,
}

/// The proof a deletion asks for.
#[derive(Debug, ToSchema)]
pub struct DeleteAccountRequest {
    /// The account's password (an account without one proves itself with a sign-in at most 10 minutes old).
    #[schema(max_length = 4096, pattern = "^[^\\u0000]*$")]
    pub current_password: Option<String>,
    /// With two-factor on: a current 6-digit code, or an unused recovery code.
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$", example = "123456")]
    pub code: Option<String>,
}

impl FromJson for DeleteAccountRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let current_password = f.optional("current_password", ANY_PASSWORD);
        let code = f.optional("code", CODE);
        Some(DeleteAccountRequest { current_password: current_password.flatten(), code: code.flatten() })
    }
}

/// A session in the export.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportSession {
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub last_used_at: Ts,
    #[schema(required = true)]
    pub user_agent: Option<String>,
    #[schema(required = true)]
    pub ip: Option<String>,
}

impl From<db::SessionRow> for ExportSession {
    fn from(s: db::SessionRow) -> Self {
        ExportSession { created_at: s.created_at, last_used_at: s.last_used_at, user_agent: s.user_agent, ip: s.ip }
    }
}

/// A passkey in the export: its name and dates (never its key).
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportPasskey {
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub last_used_at: Option<Ts>,
}

/// A linked OpenID Connect provider in the export.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportLinkedProvider {
    /// The provider's id (OIDC_PROVIDERS).
    pub provider: String,
    /// The address the provider asserted when it was last used.
    #[schema(required = true)]
    pub email: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub linked_at: Ts,
}

/// `GET /api/auth/export`: everything the API keeps about the user, as one JSON document, streamed (never a
/// password hash, TOTP secret, recovery code, token or session secret). Described here; written by
/// `routes::data` section by section.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportDocument {
    #[schema(value_type = String, format = DateTime)]
    pub exported_at: Ts,
    pub user: UserResponse,
    /// Every task, newest first.
    pub tasks: Vec<TaskResponse>,
    /// Where the user is signed in now.
    pub sessions: Vec<ExportSession>,
    /// The whole history kept (ACTIVITY_RETENTION_DAYS), newest first.
    pub activity: Vec<ActivityEvent>,
    pub passkeys: Vec<ExportPasskey>,
    pub linked_providers: Vec<ExportLinkedProvider>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a response body holds for a timestamp: the JSON string of `Ts`.
    fn timestamp(ts: Ts) -> String {
        match serde_json::to_value(ts).unwrap() {
            serde_json::Value::String(s) => s,
            other => panic!("not a string: {other}"),
        }
    }

    #[test]
    fn timestamps_are_written_exactly_as_chronos_pattern_would() {
        let cases = [
            "2026-11-26 11:37:05.529698",
            "2026-01-01 00:00:00",
            "1999-12-31 23:59:59.999999",
            "0001-02-03 04:05:06.000007",
            "9999-12-31 23:59:59.1",
        ];
        for case in cases {
            let t = chrono::NaiveDateTime::parse_from_str(case, "%Y-%m-%d %H:%M:%S%.f").unwrap();
            assert_eq!(timestamp(Ts(t)), t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(), "{case}");
        }
        let t =
            chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap().and_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap();
        assert_eq!(timestamp(Ts(t)), t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(), "leap second");
        let far = chrono::NaiveDate::from_ymd_opt(12026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        assert_eq!(timestamp(Ts(far)), far.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
        assert_eq!(
            timestamp(Ts(
                chrono::NaiveDateTime::parse_from_str("2026-11-26 11:37:05.529698", "%Y-%m-%d %H:%M:%S%.f").unwrap()
            )),
            "2026-11-26T11:37:05.529698Z"
        );
    }
}

// ---------- passkeys ----------

const CEREMONY_ID: Text = Text { min: 1, max: 128, strip: false };
const PASSKEY_NAME: Text = Text { min: 1, max: 64, strip: true };

/// The fresh proof adding a passkey asks for.
#[derive(Debug, ToSchema)]
pub struct PasskeyRegisterStartRequest {
    /// The account's password (an account without one proves itself with a sign-in at most 10 minutes old).
    #[schema(max_length = 4096, pattern = "^[^\\u0000]*$")]
    pub current_password: Option<String>,
}

impl FromJson for PasskeyRegisterStartRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let current_password = f.optional("current_password", ANY_PASSWORD);
        Some(PasskeyRegisterStartRequest { current_password: current_password.flatten() })
    }
}

/// The authenticator's answer to a registration.
#[derive(Debug, ToSchema)]
pub struct PasskeyRegisterFinishRequest {
    /// From the start's answer.
    #[schema(min_length = 1, max_length = 128, pattern = "^[^\\u0000]*$")]
    pub ceremony_id: String,
    /// What /account shows (default: the browser that made it, e.g. "Chrome on Linux").
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
        example = "My laptop"
    )]
    pub name: Option<String>,
    /// The `PublicKeyCredential` of `navigator.credentials.create()`, as JSON (`toJSON()`, or what
    /// @simplewebauthn/browser's `startRegistration` answers).
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

impl FromJson for PasskeyRegisterFinishRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let ceremony_id = f.required("ceremony_id", CEREMONY_ID);
        let name = f.optional("name", PASSKEY_NAME);
        let credential = f.object("credential");
        Some(PasskeyRegisterFinishRequest { ceremony_id: ceremony_id?, name: name.flatten(), credential: credential? })
    }
}

/// The authenticator's answer to a sign-in.
#[derive(Debug, ToSchema)]
pub struct PasskeyLoginFinishRequest {
    /// From the start's answer.
    #[schema(min_length = 1, max_length = 128, pattern = "^[^\\u0000]*$")]
    pub ceremony_id: String,
    /// The `PublicKeyCredential` of `navigator.credentials.get()`, as JSON (`toJSON()`, or what
    /// @simplewebauthn/browser's `startAuthentication` answers).
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

impl FromJson for PasskeyLoginFinishRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let ceremony_id = f.required("ceremony_id", CEREMONY_ID);
        let credential = f.object("credential");
        Some(PasskeyLoginFinishRequest { ceremony_id: ceremony_id?, credential: credential? })
    }
}

/// A passkey's new name.
#[derive(Debug, ToSchema)]
pub struct PasskeyRenameRequest {
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$", example = "My phone")]
    pub name: String,
}

impl FromJson for PasskeyRenameRequest {
    fn from_json(f: &mut Fields<'_>) -> Option<Self> {
        let name = f.required("name", PASSKEY_NAME);
        Some(PasskeyRenameRequest { name: name? })
    }
}
