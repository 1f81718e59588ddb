//! The OpenAPI 3 document, generated from the handlers' annotations and the schema types, served at
//! `/openapi.json` with Swagger UI at `/docs` (vendored: the page loads nothing from the internet).

use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
    Modify, OpenApi,
};

use crate::{routes, schemas};

#[derive(OpenApi)]
#[openapi(
    info(title = "Backend Todo API", version = "1.0.0",
        description = "Email/password authentication and per-user tasks. A drop-in replacement for the \
                       FastAPI seed's backend: same routes, bodies, status codes, tables and tokens."),
    paths(
        routes::health::root, routes::health::health, routes::health::live,
        routes::auth::register, routes::auth::login, routes::auth::me,
        routes::auth::logout, routes::auth::logout_all, routes::auth::change_password,
        routes::sessions::list_sessions, routes::sessions::end_session,
        routes::account::forgot_password, routes::account::reset_password, routes::account::verify_email,
        routes::account::resend_verification, routes::account::change_email,
        routes::two_factor::setup, routes::two_factor::enable, routes::two_factor::disable,
        routes::two_factor::login_2fa,
        routes::tasks::list_tasks, routes::tasks::create_task, routes::tasks::get_task,
        routes::tasks::update_task, routes::tasks::toggle_task, routes::tasks::delete_task,
    ),
    components(schemas(
        schemas::RegisterRequest, schemas::LoginRequest, schemas::ChangePasswordRequest,
        schemas::UserResponse, schemas::TokenResponse, schemas::LogoutAllResponse,
        schemas::TaskCreate, schemas::TaskUpdate, schemas::TaskResponse, schemas::TaskListResponse,
        schemas::ErrorResponse, schemas::ValidationErrorResponse, schemas::MessageResponse,
        schemas::HealthResponse, crate::error::FieldError,
        routes::sessions::SessionResponse, routes::sessions::SessionListResponse,
        schemas::ForgotPasswordRequest, schemas::ResetPasswordRequest, schemas::VerifyEmailRequest,
        schemas::ChangeEmailRequest,
        routes::two_factor::TwoFactorSetupRequest, routes::two_factor::TwoFactorSetupResponse,
        routes::two_factor::TwoFactorEnableRequest, routes::two_factor::RecoveryCodesResponse,
        routes::two_factor::TwoFactorDisableRequest, routes::two_factor::TwoFactorLoginRequest,
        routes::two_factor::TwoFactorRequiredResponse,
    )),
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

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
