//! /api/tasks (seed: routes/tasks.py). Every route needs a signed-in user and sees only that user's
//! tasks: another user's task answers 404 exactly like a missing one (the seed's 403 confirmed it exists).

use axum::{
    extract::{rejection::QueryRejection, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::task_stream;
use crate::{
    auth::throttle::{self, Attempt},
    config::TASK_CREATE_WINDOW,
    db::TaskFilter,
    error::{ApiError, ApiResult},
    http::{
        extract::{BearerToken, CurrentUser, TaskId, TASK_NOT_FOUND},
        responses::{InvalidBody, NotSignedIn, TaskNotFound},
        schemas::{ErrorResponse, TaskCreate, TaskListResponse, TaskResponse, TaskUpdate, ValidationErrorResponse},
        validate::{int_param, query_error, Valid},
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(get_task, update_task, delete_task))
        .routes(routes!(toggle_task))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Which tasks: all (default), pending or completed.
    #[param(value_type = Option<String>, pattern = "^(all|pending|completed)$", example = "pending")]
    status: Option<String>,
    /// Optional paging: at most this many tasks (1 to 1000; 1000 when only `offset` is given). Without
    /// `limit` and `offset` the whole list is answered.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000, example = 50)]
    limit: Option<String>,
    /// Optional paging: how many of the (newest-first) tasks to skip; 0 by default.
    #[param(value_type = Option<i64>, minimum = 0, example = 0)]
    offset: Option<String>,
}

/// The largest page `limit` allows.
pub const MAX_PAGE: i64 = 1000;
/// An unpaged list longer than this is written as it is read ([`task_stream`]); up to it, in one piece.
pub const IN_ONE_READ: i64 = 200;

/// `?limit=&offset=`, when either is given.
#[derive(Debug, Clone, Copy)]
struct Page {
    limit: i64,
    offset: i64,
}

fn params(query: Result<Query<ListParams>, QueryRejection>) -> ApiResult<(TaskFilter, Option<Page>)> {
    // The only way this query fails to parse is a parameter given more than once. That is not one
    // string, so it is refused like any other non-string (answering everything instead would hide the
    // mistake); serde names the field.
    let q = match query {
        Ok(Query(q)) => q,
        Err(rejection) => {
            let text = rejection.body_text();
            let field = ["limit", "offset"].into_iter().find(|f| text.contains(&format!("`{f}`"))).unwrap_or("status");
            return Err(ApiError::Validation(vec![query_error(
                field,
                "string_type",
                "Input should be a valid string".into(),
                None,
            )]));
        }
    };
    let mut errors = Vec::new();
    let filter = match q.status.as_deref() {
        None | Some("all") => TaskFilter::All,
        Some("pending") => TaskFilter::Pending,
        Some("completed") => TaskFilter::Completed,
        Some(_) => {
            errors.push(query_error(
                "status",
                "literal_error",
                "Input should be 'all', 'pending' or 'completed'".into(),
                Some(json!({ "expected": "'all', 'pending' or 'completed'" })),
            ));
            TaskFilter::All
        }
    };
    let limit = q.limit.as_deref().map(|v| int_param("limit", v, 1, MAX_PAGE));
    let offset = q.offset.as_deref().map(|v| int_param("offset", v, 0, i64::MAX));
    let page = match (limit, offset) {
        (None, None) => None,
        (limit, offset) => {
            let limit = limit.unwrap_or(Ok(MAX_PAGE)).map_err(|e| errors.push(e)).ok();
            let offset = offset.unwrap_or(Ok(0)).map_err(|e| errors.push(e)).ok();
            limit.zip(offset).map(|(limit, offset)| Page { limit, offset })
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok((filter, page))
}

/// The signed-in user's tasks, newest first.
#[utoipa::path(get, path = "/api/tasks", tag = "tasks", security(("bearer" = [])), params(ListParams),
    responses(
        (status = 200, description = "The user's tasks, newest first; `total` is how many tasks match the \
            status filter (with paging: in the whole list, not only this page)", body = TaskListResponse),
        NotSignedIn,
        (status = 422, description = "Unknown status filter, or a bad limit/offset", body = ValidationErrorResponse),
    ))]
pub async fn list_tasks(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
    query: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<Response> {
    // The access check of every route (CurrentUser), done by the same query that reads the tasks.
    let (filter, page) = match params(query) {
        Ok(parsed) => parsed,
        Err(invalid) => {
            // As on every route, a token the database refuses is a 401 before a bad query is a 422.
            CurrentUser::for_token(&state, token).await?.verified(&state)?;
            return Err(invalid);
        }
    };
    if let Some(Page { limit, offset }) = page {
        let current = CurrentUser::for_token(&state, token).await?.verified(&state)?;
        let tasks = state.db.tasks_page(&current.user.id, filter, None, limit, offset).await?;
        let total = state.db.count_tasks(&current.user.id, filter).await?;
        let tasks: Vec<TaskResponse> = tasks.into_iter().map(TaskResponse::from).collect();
        return Ok(Json(TaskListResponse { total: total.max(0) as usize, tasks }).into_response());
    }
    // One row more than is answered in one piece tells whether the list goes on.
    let session_id = token.session_id.as_deref().unwrap_or("");
    let verified = state.settings.mail.require_verified_email;
    let found =
        state.db.session_tasks(&token.user_id, &token.token_id, session_id, filter, IN_ONE_READ + 1, verified).await?;
    let (user, tasks) = found.map_or((None, Vec::new()), |(user, tasks)| (Some(user), tasks));
    let current = CurrentUser::admit(token, user)?.verified(&state)?;
    current.note_use(&state).await;
    if tasks.len() as i64 > IN_ONE_READ {
        return Ok(task_stream::streamed_list(state.db.clone(), filter, tasks));
    }
    let tasks: Vec<TaskResponse> = tasks.into_iter().map(TaskResponse::from).collect();
    Ok(Json(TaskListResponse { total: tasks.len(), tasks }).into_response())
}

/// Create a task.
#[utoipa::path(post, path = "/api/tasks", tag = "tasks", security(("bearer" = [])), request_body = TaskCreate,
    responses(
        (status = 201, description = "Created", body = TaskResponse),
        (status = 400, description = "Task limit reached (MAX_TASKS_PER_USER)", body = ErrorResponse),
        NotSignedIn,
        InvalidBody,
        (status = 429, description = "Too many creates by this user (TASK_CREATES_PER_MINUTE); see Retry-After", body = ErrorResponse),
    ))]
pub async fn create_task(
    State(state): State<AppState>,
    current: CurrentUser,
    Valid(body): Valid<TaskCreate>,
) -> ApiResult<(StatusCode, Json<TaskResponse>)> {
    let limit = throttle::task_creates_per_user(&state.settings.rate_limits, &current.user.id);
    let attempt = Attempt::reserve(&state.db, &[limit], TASK_CREATE_WINDOW, state.clock.now()).await?;
    // Every create counts, whatever its outcome.
    attempt.failed();
    let id = uuid::Uuid::new_v4().to_string();
    let max = state.settings.max_tasks_per_user;
    let task =
        state.db.create_task(&id, &current.user.id, &body.title, body.description.as_deref(), state.clock.now(), max);
    let task = task.await?.ok_or(ApiError::bad_request("Task limit reached"))?;
    Ok((StatusCode::CREATED, Json(task.into())))
}

/// One task.
#[utoipa::path(get, path = "/api/tasks/{task_id}", tag = "tasks", security(("bearer" = [])),
    params(TaskId),
    responses(
        (status = 200, description = "The task", body = TaskResponse),
        NotSignedIn,
        TaskNotFound,
    ))]
pub async fn get_task(
    State(state): State<AppState>,
    current: CurrentUser,
    TaskId(id): TaskId,
) -> ApiResult<Json<TaskResponse>> {
    let task = state.db.get_task(&id, &current.user.id).await?.ok_or(ApiError::not_found(TASK_NOT_FOUND))?;
    Ok(Json(task.into()))
}

/// Change a task's title and/or description.
#[utoipa::path(patch, path = "/api/tasks/{task_id}", tag = "tasks", security(("bearer" = [])),
    params(TaskId), request_body = TaskUpdate,
    responses(
        (status = 200, description = "The changed task", body = TaskResponse),
        (status = 400, description = "Neither title nor description given", body = ErrorResponse),
        NotSignedIn,
        TaskNotFound,
        InvalidBody,
    ))]
pub async fn update_task(
    State(state): State<AppState>,
    current: CurrentUser,
    TaskId(id): TaskId,
    Valid(body): Valid<TaskUpdate>,
) -> ApiResult<Json<TaskResponse>> {
    let patch = body.into_patch();
    if patch.title.is_none() && patch.description.is_none() {
        // As the seed: a missing task is 404 before an empty change is 400.
        state.db.get_task(&id, &current.user.id).await?.ok_or(ApiError::not_found(TASK_NOT_FOUND))?;
        return Err(ApiError::bad_request("At least one field (title or description) must be provided"));
    }
    let task = state
        .db
        .update_task(&id, &current.user.id, &patch, state.clock.now())
        .await?
        .ok_or(ApiError::not_found(TASK_NOT_FOUND))?;
    Ok(Json(task.into()))
}

/// Flip a task between pending and completed.
#[utoipa::path(post, path = "/api/tasks/{task_id}/toggle", tag = "tasks", security(("bearer" = [])),
    params(TaskId),
    responses(
        (status = 200, description = "The toggled task", body = TaskResponse),
        NotSignedIn,
        TaskNotFound,
    ))]
pub async fn toggle_task(
    State(state): State<AppState>,
    current: CurrentUser,
    TaskId(id): TaskId,
) -> ApiResult<Json<TaskResponse>> {
    let task = state
        .db
        .toggle_task(&id, &current.user.id, state.clock.now())
        .await?
        .ok_or(ApiError::not_found(TASK_NOT_FOUND))?;
    Ok(Json(task.into()))
}

/// Delete a task.
#[utoipa::path(delete, path = "/api/tasks/{task_id}", tag = "tasks", security(("bearer" = [])),
    params(TaskId),
    responses(
        (status = 204, description = "Deleted"),
        NotSignedIn,
        TaskNotFound,
    ))]
pub async fn delete_task(
    State(state): State<AppState>,
    current: CurrentUser,
    TaskId(id): TaskId,
) -> ApiResult<StatusCode> {
    if state.db.delete_task(&id, &current.user.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(TASK_NOT_FOUND))
    }
}
