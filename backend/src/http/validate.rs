//! Request bodies, validated the way FastAPI + pydantic validate them, so a client written for the seed
//! gets the same 422s: every problem of a body at once, as `{"loc", "msg", "type"}` entries.
//!
//! A body type implements [`FromJson`] by reading its fields through [`Fields`]; handlers take
//! `Valid<T>` as their last argument. Parsing into a `serde_json` map first (rather than deriving
//! `Deserialize`) is what lets us report *all* bad fields with pydantic's wording instead of serde's
//! first error.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::header::CONTENT_TYPE,
};
use serde_json::{json, Map, Value};

use crate::error::{ApiError, FieldError};

pub trait FromJson: Sized {
    fn from_json(fields: &mut Fields<'_>) -> Option<Self>;
}

/// A validated body. Rejections: 413 for an oversized body, 422 for everything else.
pub struct Valid<T>(pub T);

impl<S, T> FromRequest<S> for Valid<T>
where
    S: Send + Sync,
    T: FromJson,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // A body without a Content-Type is refused (FastAPI would read it as JSON): a browser sends such
        // a request cross-origin without a CORS preflight, which cookie sessions must not allow.
        let json_content =
            req.headers().get(CONTENT_TYPE).is_some_and(|ct| is_json_content_type(ct.to_str().unwrap_or("")));
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::Detail(rejection.status(), "Request body too large".into())
            } else {
                ApiError::Detail(rejection.status(), "Could not read the request body".into())
            }
        })?;
        let map = parse_object(&bytes, json_content).map_err(|e| ApiError::Validation(vec![e]))?;
        validate(&map).map(Valid).map_err(ApiError::Validation)
    }
}

/// A body type read from a parsed object: the value, or every problem with it.
pub fn validate<T: FromJson>(map: &Map<String, Value>) -> Result<T, Vec<FieldError>> {
    let mut fields = Fields { map, errors: Vec::new() };
    match T::from_json(&mut fields) {
        Some(v) if fields.errors.is_empty() => Ok(v),
        _ => Err(fields.errors),
    }
}

fn is_json_content_type(ct: &str) -> bool {
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn parse_object(bytes: &[u8], json_content: bool) -> Result<Map<String, Value>, FieldError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FieldError::body(None, "missing", "Field required"));
    }
    if !json_content {
        return Err(FieldError::body(None, "content_type", "Content-Type must be application/json"));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(FieldError::body(
            None,
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from",
        )),
        Err(e) => {
            let position = byte_offset(bytes, e.line(), e.column());
            Err(FieldError {
                loc: vec![Value::from("body"), Value::from(position)],
                msg: "JSON decode error".into(),
                kind: "json_invalid",
                ctx: Some(json!({ "error": json_error_text(&e) })),
            })
        }
    }
}

/// serde_json reports line/column; FastAPI reports a byte offset into the body.
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in bytes.split(|&b| b == b'\n').enumerate() {
        if i + 1 == line {
            return offset + column.saturating_sub(1).min(l.len());
        }
        offset += l.len() + 1;
    }
    bytes.len()
}

fn json_error_text(e: &serde_json::Error) -> String {
    // serde_json's message ends with " at line L column C"; the position is already in `loc`.
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The rules of one string field.
#[derive(Clone, Copy)]
pub struct Text {
    pub min: usize,
    pub max: usize,
    /// Strip surrounding whitespace before checking the length.
    pub strip: bool,
}

/// Reads fields of a JSON object, recording pydantic-style errors as it goes.
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl Fields<'_> {
    /// A required string.
    pub fn required(&mut self, name: &'static str, rule: Text) -> Option<String> {
        match self.map.get(name) {
            None => {
                self.errors.push(FieldError::body(Some(name), "missing", "Field required"));
                None
            }
            Some(v) => self.string(name, v, rule),
        }
    }

    /// An optional string: absent → `None`, `null` → `Some(None)`.
    pub fn optional(&mut self, name: &'static str, rule: Text) -> Option<Option<String>> {
        match self.map.get(name) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v) => self.string(name, v, rule).map(Some),
        }
    }

    /// A string that must be sent but may be `null`: `null` → `Some(None)`.
    pub fn nullable(&mut self, name: &'static str, rule: Text) -> Option<Option<String>> {
        match self.map.get(name) {
            None => {
                self.errors.push(FieldError::body(Some(name), "missing", "Field required"));
                None
            }
            Some(Value::Null) => Some(None),
            Some(v) => self.string(name, v, rule).map(Some),
        }
    }

    /// A required JSON object, kept as it is (a parser of its own reads it: a WebAuthn credential).
    pub fn object(&mut self, name: &'static str) -> Option<Value> {
        match self.map.get(name) {
            None => {
                self.errors.push(FieldError::body(Some(name), "missing", "Field required"));
                None
            }
            Some(v @ Value::Object(_)) => Some(v.clone()),
            Some(_) => {
                self.errors.push(FieldError::body(Some(name), "dict_type", "Input should be a valid dictionary"));
                None
            }
        }
    }

    /// A required email address, normalised (trimmed, lower-cased).
    pub fn email(&mut self, name: &'static str) -> Option<String> {
        let raw = self.required(name, Text { min: 0, max: usize::MAX, strip: false })?;
        match crate::email::normalize(&raw) {
            Ok(email) => Some(email),
            Err(reason) => {
                self.errors.push(
                    FieldError::body(
                        Some(name),
                        "value_error",
                        format!("value is not a valid email address: {reason}"),
                    )
                    .with_ctx(json!({ "reason": reason })),
                );
                None
            }
        }
    }

    /// `value` (already read) if it matches `pattern`, which `matches` decides; else pydantic's
    /// `string_pattern_mismatch`.
    pub fn pattern(
        &mut self,
        name: &'static str,
        value: String,
        pattern: &'static str,
        matches: fn(&str) -> bool,
    ) -> Option<String> {
        if matches(&value) {
            return Some(value);
        }
        self.errors.push(
            FieldError::body(Some(name), "string_pattern_mismatch", format!("String should match pattern '{pattern}'"))
                .with_ctx(json!({ "pattern": pattern })),
        );
        None
    }

    fn string(&mut self, name: &'static str, value: &Value, rule: Text) -> Option<String> {
        let Value::String(s) = value else {
            self.errors.push(FieldError::body(Some(name), "string_type", "Input should be a valid string"));
            return None;
        };
        // PostgreSQL text cannot hold NUL, and no field of ours has a use for it.
        if s.contains('\0') {
            self.errors.push(FieldError::body(
                Some(name),
                "string_nul",
                "Value error, the string must not contain NUL characters",
            ));
            return None;
        }
        let s = if rule.strip { s.trim_matches(is_python_space) } else { s.as_str() };
        let len = s.chars().count();
        let (kind, bound, key, words) = match len {
            _ if len < rule.min => ("string_too_short", rule.min, "min_length", "at least"),
            _ if len > rule.max => ("string_too_long", rule.max, "max_length", "at most"),
            _ => return Some(s.to_string()),
        };
        let message = format!("String should have {words} {bound} character{}", plural(bound));
        self.errors.push(FieldError::body(Some(name), kind, message).with_ctx(json!({ key: bound })));
        None
    }
}

/// Python's `str.strip()` set (what pydantic strips): Unicode White_Space plus the four information
/// separators U+001C..U+001F, which Rust's `trim` keeps. Without them a title of only U+001F would be
/// stored as "blank-looking" text the seed (and the OpenAPI pattern, read by Python tools) refuses.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

// ---------- query parameters ----------

/// A problem with the query parameter `field`, in pydantic's shape (`loc` `["query", field]`).
pub fn query_error(field: &str, kind: &'static str, msg: String, ctx: Option<Value>) -> FieldError {
    FieldError { loc: vec![Value::from("query"), Value::from(field)], msg, kind, ctx }
}

/// An integer query parameter in `min..=max`, refused in pydantic's words.
pub fn int_param(field: &str, value: &str, min: i64, max: i64) -> Result<i64, FieldError> {
    let n: i64 = value.parse().map_err(|_| {
        query_error(
            field,
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer".into(),
            None,
        )
    })?;
    if n < min {
        return Err(query_error(
            field,
            "greater_than_equal",
            format!("Input should be greater than or equal to {min}"),
            Some(json!({ "ge": min })),
        ));
    }
    if n > max {
        return Err(query_error(
            field,
            "less_than_equal",
            format!("Input should be less than or equal to {max}"),
            Some(json!({ "le": max })),
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_point_at_the_byte() {
        let err = parse_object(b"{\n \"a\": }", true).unwrap_err();
        assert_eq!(err.kind, "json_invalid");
        assert_eq!(err.loc, vec![Value::from("body"), Value::from(8)]);
    }

    #[test]
    fn bodies_that_are_not_objects_are_refused() {
        assert_eq!(parse_object(b"", true).unwrap_err().kind, "missing");
        assert_eq!(parse_object(b"[1]", true).unwrap_err().kind, "model_attributes_type");
        assert_eq!(parse_object(b"\"x\"", true).unwrap_err().kind, "model_attributes_type");
        assert_eq!(parse_object(b"{}", false).unwrap_err().kind, "content_type");
        assert_eq!(parse_object(&[b'{', 0xff, b'}'], true).unwrap_err().kind, "json_invalid");
        let deep = "[".repeat(10_000);
        assert_eq!(parse_object(deep.as_bytes(), true).unwrap_err().kind, "json_invalid");
    }

    #[test]
    fn content_types() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("Application/JSON; charset=utf-8"));
        assert!(is_json_content_type("application/merge-patch+json"));
        assert!(!is_json_content_type("text/plain"));
        assert!(!is_json_content_type("application/x-www-form-urlencoded"));
    }
}
