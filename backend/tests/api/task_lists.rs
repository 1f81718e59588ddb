//! Long task lists (issue 10, finding 2): a list longer than one read is streamed with exactly the bytes
//! of the small list's answer; optional paging; task creation throttled per user.

use reqwest::StatusCode;
use serde_json::{json, Value};
use todo_auth::{
    db::{Db, TaskFilter},
    http::schemas::{TaskListResponse, TaskResponse},
};

use crate::both;
use crate::helpers::*;

/// Gives `user_id` `n` tasks in one statement per batch of 1,000 (one created_at per batch, so the list
/// also orders by id within equal timestamps); every third of a batch is completed (3,330 of 9,999), every second has no description.
async fn bulk_tasks(db: &Db, user_id: &str, n: usize) {
    const SQL: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
        INSERT INTO tasks (id, user_id, title, description, is_completed, created_at, updated_at) \
        SELECT $2 || CAST(i AS TEXT), $3, 'Task ' || CAST(i AS TEXT), \
        CASE WHEN i % 2 = 0 THEN NULL ELSE 'about \"' || CAST(i AS TEXT) || '\" é' END, (i % 3 = 0), $4, $4 FROM n";
    let start = todo_auth::clock::Clock::default().now();
    for batch in 0..n.div_ceil(1000) {
        let count = (n - batch * 1000).min(1000) as i64;
        let prefix = format!("bulk-{batch}-");
        let at = start.minus(std::time::Duration::from_secs(batch as u64 % 4));
        match db {
            Db::Sqlite(pool) => {
                sqlx::query(SQL).bind(count).bind(&prefix).bind(user_id).bind(at).execute(pool).await.unwrap();
            }
            Db::Postgres(pool) => {
                sqlx::query(SQL).bind(count).bind(&prefix).bind(user_id).bind(at).execute(pool).await.unwrap();
            }
        }
    }
}

/// What the small-list path would write for the whole list: `Json(TaskListResponse)` of every task.
async fn expected_body(db: &Db, user_id: &str, filter: TaskFilter) -> Vec<u8> {
    let tasks = db.tasks_page(user_id, filter, None, i64::MAX, 0).await.unwrap();
    let tasks: Vec<TaskResponse> = tasks.into_iter().map(TaskResponse::from).collect();
    serde_json::to_vec(&TaskListResponse { total: tasks.len(), tasks }).unwrap()
}

both!(
    async fn a_list_of_ten_thousand_tasks_is_complete_and_written_as_a_small_one(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, user_id) = app.signup("ada@example.com").await;
        // A short list answered in one piece, for its headers and shape.
        app.create_task(&token, "first").await;
        let small = app.get("/api/tasks", &token).await;
        assert_eq!(small.status(), StatusCode::OK);
        let small_type = small.headers()["content-type"].clone();
        let small_body = small.bytes().await.unwrap();
        assert_eq!(small_body, expected_body(&app.state.db, &user_id, TaskFilter::All).await);

        bulk_tasks(&app.state.db, &user_id, 9_999).await;
        for (path, filter, count) in [
            ("/api/tasks", TaskFilter::All, 10_000),
            ("/api/tasks?status=pending", TaskFilter::Pending, 10_000 - 3_330),
            ("/api/tasks?status=completed", TaskFilter::Completed, 3_330),
        ] {
            let res = app.get(path, &token).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()["content-type"], small_type);
            let body = res.bytes().await.unwrap();
            assert!(body == expected_body(&app.state.db, &user_id, filter).await, "{path}: not the small list's bytes");
            let parsed: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(parsed["total"], count, "{path}");
            let ids: std::collections::HashSet<&str> =
                parsed["tasks"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
            assert_eq!(ids.len(), count, "{path}: every task once");
        }
        // Another user's list is untouched, and a revoked token still gets its 401 before any byte.
        let (other, _) = app.signup("bob@example.com").await;
        let (_, body) = parts(app.get("/api/tasks", &other).await).await;
        assert_eq!(body, json!({"tasks": [], "total": 0}));
        let logout = app.request(reqwest::Method::POST, "/api/auth/logout", Some(&token), None).await;
        assert!(logout.status().is_success());
        assert_eq!(app.get("/api/tasks", &token).await.status(), StatusCode::UNAUTHORIZED);
    }
);

/// The 422 entries of a response, as (field, type).
async fn query_errors(res: reqwest::Response) -> Vec<(String, String)> {
    let (status, body) = parts(res).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["loc"][0], "query", "{body}");
            assert!(e["msg"].is_string(), "{body}");
            (e["loc"][1].as_str().unwrap().to_string(), e["type"].as_str().unwrap().to_string())
        })
        .collect()
}

both!(
    async fn paging_answers_pages_of_the_list_and_refuses_bad_values(kind: Kind) {
        let app = TestApp::start(kind).await;
        let (token, user_id) = app.signup("ada@example.com").await;
        bulk_tasks(&app.state.db, &user_id, 25).await;
        let (_, all) = parts(app.get("/api/tasks", &token).await).await;
        let all = all["tasks"].as_array().unwrap().clone();
        assert_eq!(all.len(), 25);
        let page = |limit: &str, offset: &str| format!("/api/tasks?limit={limit}&offset={offset}");

        let (status, first) = parts(app.get(&page("10", "0"), &token).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(first, json!({"tasks": all[..10], "total": 25}), "first page; total is the whole list's");
        let (_, only_limit) = parts(app.get("/api/tasks?limit=10", &token).await).await;
        assert_eq!(only_limit, first);
        let (_, last) = parts(app.get(&page("10", "20"), &token).await).await;
        assert_eq!(last, json!({"tasks": all[20..], "total": 25}), "last page");
        let (_, only_offset) = parts(app.get("/api/tasks?offset=20", &token).await).await;
        assert_eq!(only_offset, last);
        let (status, beyond) = parts(app.get(&page("10", "25"), &token).await).await;
        assert_eq!((status, beyond), (StatusCode::OK, json!({"tasks": [], "total": 25})), "beyond the end");
        let (_, pending) = parts(app.get("/api/tasks?status=pending&limit=5&offset=1", &token).await).await;
        let all_pending: Vec<&Value> = all.iter().filter(|t| t["is_completed"] == false).collect();
        assert_eq!(pending["total"], all_pending.len());
        assert_eq!(pending["tasks"].as_array().unwrap().iter().collect::<Vec<_>>(), all_pending[1..6]);

        for (query, expected) in [
            ("limit=0", vec![("limit", "greater_than_equal")]),
            ("limit=1001", vec![("limit", "less_than_equal")]),
            ("limit=abc", vec![("limit", "int_parsing")]),
            ("limit=", vec![("limit", "int_parsing")]),
            ("limit=2.5", vec![("limit", "int_parsing")]),
            ("offset=-1", vec![("offset", "greater_than_equal")]),
            ("offset=99999999999999999999", vec![("offset", "int_parsing")]),
            ("limit=0&offset=x", vec![("limit", "greater_than_equal"), ("offset", "int_parsing")]),
            ("limit=1&limit=2", vec![("limit", "string_type")]),
            ("offset=1&offset=2", vec![("offset", "string_type")]),
            ("status=done&limit=5", vec![("status", "literal_error")]),
        ] {
            let errors = query_errors(app.get(&format!("/api/tasks?{query}"), &token).await).await;
            let expected: Vec<(String, String)> =
                expected.iter().map(|(f, k)| (f.to_string(), k.to_string())).collect();
            assert_eq!(errors, expected, "?{query}");
        }
        // A bad page with a bad token is a 401 first, as on every route.
        assert_eq!(app.get("/api/tasks?limit=0", "not-a-token").await.status(), StatusCode::UNAUTHORIZED);
    }
);
