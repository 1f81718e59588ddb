//! Access tokens: HS256 (or the configured HS384/HS512) JWTs with the seed's claims `sub`, `email`,
//! `iat`, `exp`, so tokens minted by the seed keep working here and ours work there.
//!
//! Ours add two claims the seed ignores: `jti` (a random id, so one token can be revoked on sign-out) and
//! `tv` (the user's token version: "sign out everywhere" and a password change bump it, and every
//! older token, the seed's included, is refused from then on) — and `sid`, the session (one sign-in, listed
//! by `GET /api/auth/sessions`) the token belongs to: ending the session refuses the token.

use std::{collections::HashSet, time::Duration};

use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde_json::{Map, Value};

use secrecy::ExposeSecret;

use crate::config::Secret;

#[derive(Debug, Serialize)]
struct Claims<'a> {
    sub: &'a str,
    email: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    tv: i32,
    sid: &'a str,
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub user_id: String,
    /// `jti`, or for a token without one (the seed's) a hash of the whole token: what revocation keys on.
    pub token_id: String,
    pub token_version: i32,
    pub expires_at: i64,
    /// `sid`: the session this token belongs to; `None` for tokens without one (the seed's).
    pub session_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Expired,
    Invalid,
    MissingSubject,
}

impl TokenError {
    /// The contract's 401 texts.
    pub fn detail(self) -> &'static str {
        match self {
            TokenError::Expired => "Token has expired",
            TokenError::Invalid => "Invalid authentication token",
            TokenError::MissingSubject => "Token missing user identifier",
        }
    }
}

pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    algorithm: Algorithm,
    ttl: Duration,
    validation: Validation,
}

impl Tokens {
    pub fn new(secret: &Secret, algorithm: Algorithm, ttl: Duration) -> Tokens {
        let mut validation = Validation::new(algorithm);
        // Only the configured algorithm: `alg: none`, RS*/ES* and the other HS sizes are all refused.
        validation.algorithms = vec![algorithm];
        validation.leeway = 0; // PyJWT's default: expired means expired
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.required_spec_claims = HashSet::from(["exp".to_string()]);
        Tokens {
            encoding: EncodingKey::from_secret(secret.expose_secret().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose_secret().as_bytes()),
            algorithm,
            ttl,
            validation,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Mints a token for a user's session.
    pub fn issue(
        &self,
        user_id: &str,
        email: &str,
        token_version: i32,
        session_id: &str,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let iat = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            email,
            iat,
            exp: iat + self.ttl.as_secs() as i64,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            tv: token_version,
            sid: session_id,
        };
        jsonwebtoken::encode(&Header::new(self.algorithm), &claims, &self.encoding)
    }

    pub fn verify(&self, token: &str) -> Result<TokenInfo, TokenError> {
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, &self.decoding, &self.validation).map_err(|e| match e
                .kind()
            {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        let claims = data.claims;
        // The seed: `payload.get("sub") or payload.get("userId")`. PyJWT refuses a non-string `sub`.
        let subject = match claims.get("sub") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::String(_)) | Some(Value::Null) | None => None,
            Some(_) => return Err(TokenError::Invalid),
        };
        let user_id = match subject {
            // No id of ours contains NUL, and PostgreSQL cannot even compare one.
            Some(s) if s.contains('\0') => return Err(TokenError::Invalid),
            Some(s) => s,
            None => match claims.get("userId") {
                Some(Value::String(s)) if !s.is_empty() && !s.contains('\0') => s.clone(),
                Some(Value::String(_)) | Some(Value::Null) | None => return Err(TokenError::MissingSubject),
                Some(_) => return Err(TokenError::Invalid),
            },
        };
        let token_id = match claims.get("jti") {
            Some(Value::String(j)) if !j.is_empty() && j.len() <= 128 && !j.contains('\0') => j.clone(),
            _ => token_hash(token),
        };
        let token_version = match claims.get("tv") {
            None => 0,
            Some(v) => v.as_i64().and_then(|v| i32::try_from(v).ok()).ok_or(TokenError::Invalid)?,
        };
        let expires_at = claims.get("exp").and_then(Value::as_i64).ok_or(TokenError::Invalid)?;
        let session_id = match claims.get("sid") {
            None => None,
            Some(Value::String(s)) if !s.is_empty() && s.len() <= 128 && !s.contains('\0') => Some(s.clone()),
            Some(_) => return Err(TokenError::Invalid),
        };
        Ok(TokenInfo { user_id, token_id, token_version, expires_at, session_id })
    }
}

/// A token without `jti` is identified by its hash (never stored in the clear: a database leak must
/// not hand out tokens).
fn token_hash(token: &str) -> String {
    format!("sha256:{}", super::opaque::sha256_hex(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
    use serde_json::json;

    const SECRET: &str = "seed-fixture-secret-please-change-0123456789";

    fn tokens() -> Tokens {
        Tokens::new(&Secret::from(SECRET), Algorithm::HS256, Duration::from_secs(1440 * 60))
    }

    fn sign(header: Value, claims: Value, key: &str, alg: Algorithm) -> String {
        let mut h = Header::new(alg);
        if let Some(t) = header.get("typ").and_then(Value::as_str) {
            h.typ = Some(t.into());
        }
        jsonwebtoken::encode(&h, &claims, &EncodingKey::from_secret(key.as_bytes())).unwrap()
    }

    fn far() -> i64 {
        4_070_908_800
    }

    #[test]
    fn our_tokens_round_trip_with_the_seed_claims() {
        let t = tokens();
        let token = t.issue("user-1", "ada@example.com", 3, "session-1").unwrap();
        let payload: Value = serde_json::from_slice(&B64.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap();
        for claim in ["sub", "email", "iat", "exp", "jti", "tv", "sid"] {
            assert!(payload.get(claim).is_some(), "missing {claim}");
        }
        assert_eq!(payload["exp"].as_i64().unwrap() - payload["iat"].as_i64().unwrap(), 1440 * 60);
        let info = t.verify(&token).unwrap();
        assert_eq!(info.user_id, "user-1");
        assert_eq!(info.token_version, 3);
        assert_eq!(info.token_id, payload["jti"].as_str().unwrap());
        assert_eq!(info.session_id.as_deref(), Some("session-1"));
    }

    #[test]
    fn seed_fixture_tokens_verify() {
        // Read at run time (not include_str!): a checkout without ../shared still builds; this test then
        // fails with a clear message.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed-db/fixture.json");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let fixture: Value = serde_json::from_str(&text).unwrap();
        let t = tokens();
        let tok = &fixture["sqlite"]["tokens"];
        let valid = t.verify(tok["valid_until_2099"].as_str().unwrap()).unwrap();
        assert_eq!(valid.user_id, fixture["sqlite"]["users"][0]["id"].as_str().unwrap());
        assert!(valid.token_id.starts_with("sha256:"));
        assert_eq!(valid.token_version, 0);
        assert_eq!(valid.session_id, None);
        assert_eq!(t.verify(tok["valid_userId_claim"].as_str().unwrap()).unwrap().user_id, valid.user_id);
        assert_eq!(t.verify(tok["expired"].as_str().unwrap()), Err(TokenError::Expired));
    }

    #[test]
    fn forgeries_and_defects_are_refused_with_the_right_reason() {
        let t = tokens();
        let ok = json!({"sub": "u", "email": "e", "iat": 1, "exp": far()});
        let cases: Vec<(&str, String, TokenError)> = vec![
            (
                "other key",
                sign(json!({}), ok.clone(), "another-secret-another-secret-0000", Algorithm::HS256),
                TokenError::Invalid,
            ),
            (
                "HS512 when HS256 is configured",
                sign(json!({}), ok.clone(), SECRET, Algorithm::HS512),
                TokenError::Invalid,
            ),
            (
                "expired",
                sign(json!({}), json!({"sub": "u", "exp": 1000}), SECRET, Algorithm::HS256),
                TokenError::Expired,
            ),
            ("no exp", sign(json!({}), json!({"sub": "u"}), SECRET, Algorithm::HS256), TokenError::Invalid),
            (
                "exp not a number",
                sign(json!({}), json!({"sub": "u", "exp": "soon"}), SECRET, Algorithm::HS256),
                TokenError::Invalid,
            ),
            (
                "not yet valid",
                sign(json!({}), json!({"sub": "u", "exp": far(), "nbf": far() - 1}), SECRET, Algorithm::HS256),
                TokenError::Invalid,
            ),
            (
                "no subject",
                sign(json!({}), json!({"email": "e", "exp": far()}), SECRET, Algorithm::HS256),
                TokenError::MissingSubject,
            ),
            (
                "empty subject",
                sign(json!({}), json!({"sub": "", "exp": far()}), SECRET, Algorithm::HS256),
                TokenError::MissingSubject,
            ),
            (
                "numeric subject",
                sign(json!({}), json!({"sub": 42, "exp": far()}), SECRET, Algorithm::HS256),
                TokenError::Invalid,
            ),
            (
                "numeric session",
                sign(json!({}), json!({"sub": "u", "exp": far(), "sid": 7}), SECRET, Algorithm::HS256),
                TokenError::Invalid,
            ),
            ("garbage", "not.a.token".to_string(), TokenError::Invalid),
            ("empty", String::new(), TokenError::Invalid),
        ];
        for (why, token, expected) in cases {
            assert_eq!(t.verify(&token), Err(expected), "{why}");
        }
        // alg: none, hand-made (no library will sign it).
        let none = format!(
            "{}.{}.",
            B64.encode(br#"{"alg":"none","typ":"JWT"}"#),
            B64.encode(format!(r#"{{"sub":"u","exp":{}}}"#, far()).as_bytes())
        );
        assert_eq!(t.verify(&none), Err(TokenError::Invalid));
        // A valid signature over a tampered payload.
        let good = sign(json!({}), ok, SECRET, Algorithm::HS256);
        let mut parts: Vec<&str> = good.split('.').collect();
        let evil = B64.encode(format!(r#"{{"sub":"admin","exp":{}}}"#, far()).as_bytes());
        parts[1] = &evil;
        assert_eq!(t.verify(&parts.join(".")), Err(TokenError::Invalid));
    }
}
