//! /api/tasks (seed: routes/tasks.py). Every route needs a signed-in user and sees only that user's
//! tasks: another user's task answers 404 exactly like a missing one (the seed's 403 confirmed it exists).

use axum::{
    extract::{rejection::PathRejection, rejection::QueryRejection, Path, Query, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    auth::{BearerToken, CurrentUser},
    db::{TaskFilter, Ts},
    error::{ApiError, ApiResult, FieldError},
    schemas::{ErrorResponse, TaskCreate, TaskListResponse, TaskResponse, TaskUpdate, ValidationErrorResponse},
    state::AppState,
    validate::Valid,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(list_tasks).post(create_task))
        .route("/{task_id}", get(get_task).patch(update_task).delete(delete_task))
        .route("/{task_id}/toggle", post(toggle_task))
}

const NOT_FOUND: &str = "Task not found";

/// The `{task_id}` of the path. Any id that cannot name a task (not UTF-8, a NUL) is simply not found.
fn task_id(path: Result<Path<String>, PathRejection>) -> ApiResult<String> {
    match path {
        Ok(Path(id)) if !id.contains('\0') => Ok(id),
        _ => Err(ApiError::not_found(NOT_FOUND)),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Which tasks: all (default), pending or completed.
    #[param(value_type = Option<String>, pattern = "^(all|pending|completed)$", example = "pending")]
    status: Option<String>,
}

fn filter(query: Result<Query<ListParams>, QueryRejection>) -> ApiResult<TaskFilter> {
    // The only way this query fails to parse is `status` given more than once. That is not one string,
    // so it is refused like any other non-string (listing everything instead would hide the mistake).
    let status = match query {
        Ok(Query(q)) => q.status,
        Err(_) => {
            return Err(ApiError::Validation(vec![FieldError {
                loc: vec![Value::from("query"), Value::from("status")],
                msg: "Input should be a valid string".into(),
                kind: "string_type",
                ctx: None,
            }]))
        }
    };
    match status.as_deref() {
        None | Some("all") => Ok(TaskFilter::All),
        Some("pending") => Ok(TaskFilter::Pending),
        Some("completed") => Ok(TaskFilter::Completed),
        Some(_) => Err(ApiError::Validation(vec![FieldError {
            loc: vec![Value::from("query"), Value::from("status")],
            msg: "Input should be 'all', 'pending' or 'completed'".into(),
            kind: "literal_error",
            ctx: Some(json!({ "expected": "'all', 'pending' or 'completed'" })),
        }])),
    }
}

/// The signed-in user's tasks, newest first.
#[utoipa::path(get, path = "/api/tasks", tag = "tasks", security(("bearer" = [])), params(ListParams),
    responses(
        (status = 200, description = "The user's tasks, newest first", body = TaskListResponse),
        (status = 401, description = "Not signed in", body = ErrorResponse),
        (status = 422, description = "Unknown status filter", body = ValidationErrorResponse),
    ))]
pub async fn list_tasks(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
    query: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<Json<TaskListResponse>> {
    // The access check of every route (CurrentUser), done by the same query that reads the tasks.
    let filter = match filter(query) {
        Ok(filter) => filter,
        Err(invalid) => {
            // As on every route, a token the database refuses is a 401 before a bad query is a 422.
            CurrentUser::for_token(&state, token).await?;
            return Err(invalid);
        }
    };
    let session_id = token.session_id.as_deref().unwrap_or("");
    let found = state.db.session_tasks(&token.user_id, &token.token_id, session_id, filter).await?;
    let (user, tasks) = found.map_or((None, Vec::new()), |(user, tasks)| (Some(user), tasks));
    CurrentUser::admit(token, user)?.note_use(&state).await;
    let tasks: Vec<TaskResponse> = tasks.into_iter().map(TaskResponse::from).collect();
    Ok(Json(TaskListResponse { total: tasks.len(), tasks }))
}

/// Create a task.
#[utoipa::path(post, path = "/api/tasks", tag = "tasks", security(("bearer" = [])), request_body = TaskCreate,
    responses(
        (status = 201, description = "Created", body = TaskResponse),
        (status = 400, description = "Task limit reached (MAX_TASKS_PER_USER)", body = ErrorResponse),
        (status = 401, description = "Not signed in", body = ErrorResponse),
        (status = 422, description = "Invalid body", body = ValidationErrorResponse),
    ))]
pub async fn create_task(
    State(state): State<AppState>,
    current: CurrentUser,
    Valid(body): Valid<TaskCreate>,
) -> ApiResult<(StatusCode, Json<TaskResponse>)> {
    let id = uuid::Uuid::new_v4().to_string();
    let max = state.settings.max_tasks_per_user;
    let task = state.db.create_task(&id, &current.user.id, &body.title, body.description.as_deref(), Ts::now(), max);
    let task = task.await?.ok_or(ApiError::bad_request("Task limit reached"))?;
    Ok((StatusCode::CREATED, Json(task.into())))
}

/// One task.
#[utoipa::path(get, path = "/api/tasks/{task_id}", tag = "tasks", security(("bearer" = [])),
    params(("task_id" = String, Path, description = "Task id")),
    responses(
        (status = 200, description = "The task", body = TaskResponse),
        (status = 401, description = "Not signed in", body = ErrorResponse),
        (status = 404, description = "No such task of this user", body = ErrorResponse),
    ))]
pub async fn get_task(
    State(state): State<AppState>,
    current: CurrentUser,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<TaskResponse>> {
    let id = task_id(path)?;
    let task = state.db.get_task(&id, &current.user.id).await?.ok_or(ApiError::not_found(NOT_FOUND))?;
    Ok(Json(task.into()))
}

/// Change a task's title and/or description.
#[utoipa::path(patch, path = "/api/tasks/{task_id}", tag = "tasks", security(("bearer" = [])),
    params(("task_id" = String, Path, description = "Task id")), request_body = TaskUpdate,
    responses(
        (status = 200, description = "The changed task", body = TaskResponse),
        (status = 400, description = "Neither title nor description given", body = ErrorResponse),
        (status = 401, description = "Not signed in", body = ErrorResponse),
        (status = 404, description = "No such task of this user", body = ErrorResponse),
        (status = 422, description = "Invalid body", body = ValidationErrorResponse),
    ))]
pub async fn update_task(
    State(state): State<AppState>,
    current: CurrentUser,
    path: Result<Path<String>, PathRejection>,
    Valid(body): Valid<TaskUpdate>,
) -> ApiResult<Json<TaskResponse>> {
    let id = task_id(path)?;
    let patch = body.into_patch();
    if patch.title.is_none() && patch.description.is_none() {
        // As the seed: a missing task is 404 before an empty change is 400.
        state.db.get_task(&id, &current.user.id).await?.ok_or(ApiError::not_found(NOT_FOUND))?;
        return Err(ApiError::bad_request("At least one field (title or description) must be provided"));
    }
    let task =
        state.db.update_task(&id, &current.user.id, &patch, Ts::now()).await?.ok_or(ApiError::not_found(NOT_FOUND))?;
    Ok(Json(task.into()))
}

/// Flip a task between pending and completed.
#[utoipa::path(post, path = "/api/tasks/{task_id}/toggle", tag = "tasks", security(("bearer" = [])),
    params(("task_id" = String, Path, description = "Task id")),
    responses(
        (status = 200, description = "The toggled task", body = TaskResponse),
        (status = 401, description = "Not signed in", body = ErrorResponse),
        (status = 404, description = "No such task of this user", body = ErrorResponse),
    ))]
pub async fn toggle_task(
    State(state): State<AppState>,
    current: CurrentUser,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<TaskResponse>> {
    let id = task_id(path)?;
    let task = state.db.toggle_task(&id, &current.user.id, Ts::now()).await?.ok_or(ApiError::not_found(NOT_FOUND))?;
    Ok(Json(task.into()))
}

/// Delete a task.
#[utoipa::path(delete, path = "/api/tasks/{task_id}", tag = "tasks", security(("bearer" = [])),
    params(("task_id" = String, Path, description = "Task id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorResponse),
        (status = 404, description = "No such task of this user", body = ErrorResponse),
    ))]
pub async fn delete_task(
    State(state): State<AppState>,
    current: CurrentUser,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<StatusCode> {
    let id = task_id(path)?;
    if state.db.delete_task(&id, &current.user.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(NOT_FOUND))
    }
}
