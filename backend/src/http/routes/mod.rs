//! HTTP routes, one module per area (seed: routes/auth.py, routes/tasks.py, main.py's / and /health), and the
//! OpenAPI 3 document they describe.
//!
//! Each module's `router()` registers its handlers with `utoipa_axum::routes!`, which takes the method and the
//! full path from the handler's own `#[utoipa::path]`: a route is served exactly where the OpenAPI document
//! says, and [`router`] is the one list of areas. Adding a route is one handler with its annotation and one
//! `.routes(routes!(…))` line in its module. The document's title, tags and bearer scheme are [`ApiDoc`]; it is
//! served at `/openapi.json` with Swagger UI at `/docs` (vendored: the page loads nothing from the internet).
//! Route modules never import each other: what two of them share is a flow (`crate::flows`) or lives in
//! `crate::http`.

pub mod account;
pub mod auth;
pub mod data;
pub mod health;
pub mod oidc;
pub mod passkeys;
pub mod sessions;
pub mod task_stream;
pub mod tasks;
pub mod two_factor;

use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
    Modify, OpenApi,
};
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every route of the API with its OpenAPI description, from one definition (see the module's comment).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(auth::router())
        .merge(sessions::router())
        .merge(account::router())
        .merge(two_factor::router())
        .merge(oidc::router())
        .merge(passkeys::router())
        .merge(data::router())
        .merge(tasks::router())
        .merge(super::web_session::router())
}

/// The whole document, as `/openapi.json` serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    router().split_for_parts().1
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Backend Todo API", version = "1.0.0",
        description = "Email/password authentication and per-user tasks. A drop-in replacement for the \
                       FastAPI seed's backend: same routes, bodies, status codes, tables and tokens."),
    modifiers(&BearerScheme),
    tags((name = "auth", description = "Accounts and tokens"), (name = "two-factor", description = "Two-factor sign-in (TOTP and recovery codes)"),
         (name = "passkeys", description = "Passkeys (WebAuthn): adding, signing in, listing, renaming, removing"),
         (name = "tasks", description = "The signed-in user's tasks"),
         (name = "ops", description = "Greeting and health"))
)]
pub struct ApiDoc;

/// `Authorization: Bearer <JWT>`, the scheme every protected route lists under `security`.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

#[cfg(test)]
mod tests {
    //! Each length rule is written once, in the body type's `FromJson` (a `Text` constant), and stated again in
    //! its `#[schema(...)]` for the document: this test holds the two together, rule by rule, by asking the
    //! validator itself at every bound the document states.

    use std::collections::BTreeSet;

    use serde_json::{json, Map, Value};
    use utoipa::ToSchema;

    use crate::http::{
        schemas::{
            ChangeEmailRequest, ChangePasswordRequest, DeleteAccountRequest, EmailCodeRequest, EmailCodeVerifyRequest,
            ForgotPasswordRequest, LinkTokenRequest, LoginRequest, PasskeyLoginFinishRequest,
            PasskeyRegisterFinishRequest, PasskeyRegisterStartRequest, PasskeyRenameRequest, RecoveryCodesRequest,
            RegisterRequest, ResetPasswordRequest, TaskCreate, TaskUpdate, TwoFactorDisableRequest,
            TwoFactorEnableRequest, TwoFactorLoginRequest, TwoFactorSetupRequest, UpdateMeRequest,
        },
        validate::{validate, FromJson},
    };

    /// The errors the validator reports for `field` when the body is `{field: value}`.
    fn errors_for<T: FromJson>(field: &str, value: String) -> Vec<(String, Option<Value>)> {
        let map: Map<String, Value> = [(field.to_string(), Value::String(value))].into_iter().collect();
        let errors = validate::<T>(&map).err().unwrap_or_default();
        errors
            .into_iter()
            .filter(|e| e.loc == vec![json!("body"), json!(field)])
            .map(|e| (e.kind.to_string(), e.ctx))
            .collect()
    }

    /// Checks every length the document states for `T`'s properties against the validator; returns the
    /// schema's name and how many bounds were checked.
    fn check<T: FromJson + ToSchema>(doc: &Value) -> (String, usize) {
        let name = T::name().to_string();
        let properties = doc["components"]["schemas"][&name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name} has no properties in the document"));
        let mut bounds = 0;
        for (field, schema) in properties {
            let too_long =
                |n: usize| errors_for::<T>(field, "a".repeat(n)).into_iter().any(|(k, _)| k == "string_too_long");
            match schema["maxLength"].as_u64().map(|m| m as usize) {
                Some(max) => {
                    let errors = errors_for::<T>(field, "a".repeat(max + 1));
                    assert!(
                        errors
                            .iter()
                            .any(|(k, ctx)| k == "string_too_long"
                                && ctx.as_ref().is_some_and(|c| c["max_length"] == max)),
                        "{name}.{field}: the document says maxLength {max}, the validator answers {errors:?}"
                    );
                    assert!(!too_long(max), "{name}.{field}: {max} characters refused, the document allows them");
                    bounds += 1;
                }
                None => assert!(!too_long(10_000), "{name}.{field}: a length limit the document does not state"),
            }
            if let Some(min) = schema["minLength"].as_u64().map(|m| m as usize).filter(|&m| m > 0) {
                let errors = errors_for::<T>(field, "a".repeat(min - 1));
                assert!(
                    errors.iter().any(|(k, ctx)| k == "string_too_short" && ctx.as_ref().is_some_and(|c| c["min_length"] == min)),
                    "{name}.{field}: the document says minLength {min}, the validator answers {errors:?}"
                );
                let at_min = errors_for::<T>(field, "a".repeat(min));
                assert!(
                    !at_min.iter().any(|(k, _)| k == "string_too_short"),
                    "{name}.{field}: {min} characters refused"
                );
                bounds += 1;
            }
        }
        (name, bounds)
    }

    #[test]
    fn the_checked_in_document_is_the_one_the_api_serves() {
        // docs/openapi.json is what the frontend's types (frontend/lib/api-schema.ts) are generated from.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let checked_in: Value = serde_json::from_str(&text).unwrap();
        let served = serde_json::to_value(super::document()).unwrap();
        assert!(checked_in == served, "docs/openapi.json is not the document the API serves: run `make openapi`");
    }

    #[test]
    fn every_length_the_document_states_is_the_one_the_validator_applies() {
        let doc = serde_json::to_value(super::document()).unwrap();
        let checked = [
            check::<RegisterRequest>(&doc),
            check::<LoginRequest>(&doc),
            check::<ChangePasswordRequest>(&doc),
            check::<TaskCreate>(&doc),
            check::<TaskUpdate>(&doc),
            check::<ForgotPasswordRequest>(&doc),
            check::<ResetPasswordRequest>(&doc),
            check::<LinkTokenRequest>(&doc),
            check::<ChangeEmailRequest>(&doc),
            check::<TwoFactorSetupRequest>(&doc),
            check::<TwoFactorEnableRequest>(&doc),
            check::<TwoFactorDisableRequest>(&doc),
            check::<TwoFactorLoginRequest>(&doc),
            check::<UpdateMeRequest>(&doc),
            check::<RecoveryCodesRequest>(&doc),
            check::<DeleteAccountRequest>(&doc),
            check::<EmailCodeRequest>(&doc),
            check::<EmailCodeVerifyRequest>(&doc),
            check::<PasskeyRegisterStartRequest>(&doc),
            check::<PasskeyRegisterFinishRequest>(&doc),
            check::<PasskeyLoginFinishRequest>(&doc),
            check::<PasskeyRenameRequest>(&doc),
        ];
        assert!(checked.iter().map(|(_, n)| n).sum::<usize>() >= 25, "{checked:?}");
        // Every request body the document names is among those checked (a new one cannot be forgotten).
        let mut bodies = BTreeSet::new();
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                if let Some(r) = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str() {
                    bodies.insert(r.trim_start_matches("#/components/schemas/").to_string());
                }
            }
        }
        let names: BTreeSet<String> = checked.into_iter().map(|(n, _)| n).collect();
        assert_eq!(bodies, names);
    }
}
