//! The HTTP layer: the router ([`app`]) with its cross-cutting layers, the routes and their OpenAPI document
//! (`routes/`), the extractors that say who is asking and from where (`extract.rs`), request bodies and their
//! validation (`schemas.rs`, `validate.rs`), the answers many routes share (`responses.rs`), bodies written as
//! they are read (`stream.rs`), the browser's session cookie (`web_session.rs`), the metrics listener
//! (`metrics.rs`) and the connection loop (`server.rs`). Below it: the flows (`crate::flows`).

pub mod extract;
pub mod metrics;
pub mod responses;
pub mod routes;
pub mod schemas;
pub mod server;
pub mod stream;
pub mod validate;
pub mod web_session;

use std::time::Duration;

use axum::{
    extract::{DefaultBodyLimit, Request, State},
    http::{header, HeaderName, HeaderValue, Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowHeaders, AllowMethods, AllowOrigin, Any, CorsLayer},
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnResponse, TraceLayer},
    LatencyUnit,
};
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    config::Settings,
    error::{detail_response, ApiError, INTERNAL_ERROR},
    state::AppState,
};

/// Every route, error shape and cross-cutting layer of the API.
pub fn app(state: AppState) -> Router {
    let (routes, document) = routes::router().split_for_parts();
    let router = routes
        .merge(SwaggerUi::new("/docs").url("/openapi.json", document))
        .fallback(|| async { detail_response(StatusCode::NOT_FOUND, "Not Found") })
        .method_not_allowed_fallback(|| async { detail_response(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed") })
        .with_state(state.clone());
    with_middleware(router, &state.settings)
}

/// The cross-cutting layers, outermost first: security headers, panic → 500, request log, CORS, timeout,
/// the browser's session cookie (web_session.rs), body limit. Public so tests can wrap a deliberately
/// panicking route in exactly these.
pub fn with_middleware(router: Router, settings: &Settings) -> Router {
    let router = router.layer(
        ServiceBuilder::new()
            // Outermost first. A panic anywhere still answers 500 in the contract's shape.
            .layer(CatchPanicLayer::custom(|panic: Box<dyn std::any::Any + Send>| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(panic = %what, "handler panicked");
                detail_response(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL_ERROR)
            }))
            // One line per request: method, path (never the query or headers: no tokens in logs),
            // status and latency.
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|req: &Request| {
                        tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
                    })
                    .on_request(())
                    .on_response(DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(LatencyUnit::Micros))
                    .on_failure(()),
            )
            .layer(middleware::from_fn_with_state(settings.max_header_bytes, head_limit))
            .layer(cors(&settings.cors_origins))
            .layer(middleware::from_fn_with_state(settings.request_timeout, request_timeout))
            .layer(middleware::from_fn_with_state(web_session::WebSession::new(settings), web_session::layer))
            .layer(DefaultBodyLimit::max(settings.max_body_bytes)),
    );
    // Counted and timed (METRICS_ADDR set) around all of the above: the panic handler's 500 and the
    // timeout's 503 are counted too.
    let router = match settings.metrics_addr {
        Some(_) => router.layer(middleware::from_fn(metrics::track)),
        None => router,
    };
    let headers = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    // Outermost of all, so that answers made by the layers themselves (the timeout's 503, the panic
    // handler's 500) carry these headers too, not only the handlers' own.
    headers.into_iter().fold(router, |r, (name, value): (HeaderName, &'static str)| {
        r.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)))
    })
}

/// `MAX_HEADER_BYTES` in the contract's shape: a URL or a request head over the cap is refused with
/// `{"detail"}` (414 / 431). hyper's own buffer is twice the cap, so only heads beyond that get hyper's
/// bare 431 and a closed connection (see server.rs).
async fn head_limit(State(max): State<usize>, req: Request, next: Next) -> Response {
    let uri = req.uri().path().len() + req.uri().query().map_or(0, |q| q.len() + 1);
    if uri > max {
        return detail_response(StatusCode::URI_TOO_LONG, "URI Too Long");
    }
    // As on the wire: "name: value\r\n" per header.
    let head = uri + req.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum::<usize>();
    if head > max {
        return detail_response(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "Request header fields too large");
    }
    next.run(req).await
}

/// A request still running after `REQUEST_TIMEOUT_SECONDS` is answered 503 (and its work dropped).
async fn request_timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!("request timed out");
            ApiError::Unavailable { retry_after: Some(1) }.into_response()
        }
    }
}

fn cors(origins: &[String]) -> CorsLayer {
    let exposed = [header::RETRY_AFTER, header::WWW_AUTHENTICATE];
    if origins.iter().any(|o| o == "*") {
        // Credentials cannot be combined with a wildcard; the API uses bearer headers, not cookies.
        return CorsLayer::new().allow_origin(Any).allow_methods(Any).allow_headers(Any).expose_headers(exposed);
    }
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_methods(AllowMethods::list([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ]))
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers(exposed)
        .max_age(Duration::from_secs(600))
}
