//! The OpenAPI 3 document: its title, tags and bearer scheme here; its paths and schemas collected from the
//! handlers' annotations by the router itself ([`crate::routes::router`]), so a route cannot exist without
//! its description nor the other way round. Served at `/openapi.json` with Swagger UI at `/docs` (vendored:
//! the page loads nothing from the internet).

use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
    Modify, OpenApi,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Backend Todo API", version = "1.0.0",
        description = "Email/password authentication and per-user tasks. A drop-in replacement for the \
                       FastAPI seed's backend: same routes, bodies, status codes, tables and tokens."),
    modifiers(&BearerScheme),
    tags((name = "auth", description = "Accounts and tokens"), (name = "two-factor", description = "Two-factor sign-in (TOTP and recovery codes)"),
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

/// The document before the routes add their paths and schemas.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The whole document, as `/openapi.json` serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    crate::routes::router().split_for_parts().1
}
