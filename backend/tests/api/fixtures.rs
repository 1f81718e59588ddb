//! The drop-in promise, tested against databases the seed's own code made (tests/fixtures/seed-db/, copied
//! unchanged from ../shared/seed-db/): opened as they are, their users sign in with their passwords, the seed's
//! tokens work, their tasks are listed, and our migrations change none of the seed's rows.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::{Connection, Executor, PgConnection, Row, SqliteConnection};

use crate::both;
use crate::helpers::*;

/// The seed's database, copied into a fresh test database of the given kind.
pub async fn seed_database(kind: Kind) -> TestDb {
    let db = TestDb::new(kind).await;
    match kind {
        Kind::Sqlite => {
            // `copy` keeps the source's mode, and ../shared is read-only: make the copy writable.
            std::fs::copy(seed_db_dir().join("seed-app.sqlite3"), db.sqlite_path()).unwrap();
            let mut perms = std::fs::metadata(db.sqlite_path()).unwrap().permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o644);
            std::fs::set_permissions(db.sqlite_path(), perms).unwrap();
        }
        Kind::Postgres => {
            let dump = std::fs::read_to_string(seed_db_dir().join("seed-app.postgres.sql")).unwrap();
            let mut conn = PgConnection::connect(&db.url).await.unwrap();
            conn.execute(copy_to_inserts(&dump).as_str()).await.expect("load the seed's dump");
        }
    }
    db
}

/// pg_dump writes data as `COPY … FROM stdin` blocks, which only psql can feed; turn them into INSERTs.
fn copy_to_inserts(dump: &str) -> String {
    let mut out = String::new();
    let mut lines = dump.lines();
    while let Some(line) = lines.next() {
        let Some(head) = line.strip_prefix("COPY ").and_then(|l| l.strip_suffix(" FROM stdin;")) else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        for row in lines.by_ref().take_while(|l| *l != "\\.") {
            let values: Vec<String> = row
                .split('\t')
                .map(|v| {
                    if v == "\\N" {
                        "NULL".to_string()
                    } else {
                        let unescaped = v.replace("\\t", "\t").replace("\\n", "\n").replace("\\\\", "\\");
                        format!("'{}'", unescaped.replace('\'', "''"))
                    }
                })
                .collect();
            out.push_str(&format!("INSERT INTO {head} VALUES ({});\n", values.join(", ")));
        }
    }
    out
}

/// Every row of the seed's tables, as text, in a stable order.
async fn seed_rows(db: &TestDb) -> Vec<String> {
    let users = "SELECT id, email, hashed_password, COALESCE(name, '<null>'), CAST(created_at AS VARCHAR), CAST(updated_at AS VARCHAR) FROM users ORDER BY id";
    let tasks = "SELECT id, user_id, title, COALESCE(description, '<null>'), CAST(is_completed AS VARCHAR), CAST(created_at AS VARCHAR), CAST(updated_at AS VARCHAR) FROM tasks ORDER BY id";
    let mut out = Vec::new();
    for sql in [users, tasks] {
        let rows: Vec<String> = match db.kind {
            Kind::Sqlite => {
                let mut c =
                    SqliteConnection::connect(&format!("sqlite://{}", db.sqlite_path().display())).await.unwrap();
                let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                rows.iter().map(|r| (0..r.len()).map(|i| r.get::<String, _>(i)).collect::<Vec<_>>().join("|")).collect()
            }
            Kind::Postgres => {
                let mut c = PgConnection::connect(&db.url).await.unwrap();
                let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                rows.iter().map(|r| (0..r.len()).map(|i| r.get::<String, _>(i)).collect::<Vec<_>>().join("|")).collect()
            }
        };
        out.extend(rows);
    }
    out
}

fn section(kind: Kind) -> &'static str {
    match kind {
        Kind::Sqlite => "sqlite",
        Kind::Postgres => "postgres",
    }
}

both!(
    async fn a_seed_database_opens_unchanged_and_its_users_carry_on(kind: Kind) {
        let fx = fixture();
        let fx = &fx[section(kind)];
        let db = Arc::new(seed_database(kind).await);
        let before = seed_rows(&db).await;
        assert_eq!(before.len(), 12, "4 users and 8 tasks in the fixture");
        // The seed's own cost (12): the fixture hashes are cost 12 whatever we configure.
        let app = TestApp::start_on(db.clone(), &[]).await;
        assert_eq!(seed_rows(&db).await, before, "migrations changed a seed row");

        for user in fx["users"].as_array().unwrap() {
            let email = user["email"].as_str().unwrap();
            let password = user["password"].as_str().unwrap();
            let (s, body) = parts(app.login(email, password).await).await;
            assert_eq!(s, StatusCode::OK, "{email}: {body}");
            assert_eq!(body["user"]["id"], user["id"]);
            assert_eq!(body["user"]["name"], user["name"]);
            assert!(body["user"]["created_at"].as_str().unwrap().ends_with('Z'));
            let (s, _) = parts(app.login(&email.to_uppercase(), password).await).await;
            assert_eq!(s, StatusCode::OK, "{email} in upper case");
            let (s, _) = parts(app.login(email, &format!("{password}x")).await).await;
            let expected = if password.len() >= 72 { StatusCode::OK } else { StatusCode::UNAUTHORIZED };
            assert_eq!(s, expected, "{email}: a changed password (only the first 72 bytes count)");
            // Their tasks: two each, newest first, one completed.
            let token = body["access_token"].as_str().unwrap();
            let (_, list) = parts(app.get("/api/tasks", token).await).await;
            assert_eq!(list["total"], 2, "{email}: {list}");
            let tasks = list["tasks"].as_array().unwrap();
            assert!(tasks[0]["created_at"].as_str() > tasks[1]["created_at"].as_str(), "newest first");
            assert_eq!(tasks.iter().filter(|t| t["is_completed"] == true).count(), 1);
            assert!(tasks.iter().all(|t| t["user_id"] == user["id"]));
        }
        let long = &fx["users"][2];
        let (s, _) =
            parts(app.login(long["email"].as_str().unwrap(), &format!("{}anything", "p".repeat(72))).await).await;
        assert_eq!(s, StatusCode::OK, "72 p's and anything: the seed's documented behaviour");

        // The seed's tokens (same JWT_SECRET).
        let tokens = &fx["tokens"];
        let ada_id = fx["users"][0]["id"].clone();
        for name in ["valid_until_2099", "valid_userId_claim"] {
            let (s, me) = parts(app.get("/api/auth/me", tokens[name].as_str().unwrap()).await).await;
            assert_eq!((s, &me["id"]), (StatusCode::OK, &ada_id), "{name}");
            let (s, list) = parts(app.get("/api/tasks", tokens[name].as_str().unwrap()).await).await;
            assert_eq!((s, list["total"].as_u64()), (StatusCode::OK, Some(2)), "{name}");
        }
        expect_detail(
            app.get("/api/tasks", tokens["expired"].as_str().unwrap()).await,
            StatusCode::UNAUTHORIZED,
            "Token has expired",
        )
        .await;

        // A new user on the seed's database, written the way the seed writes.
        let (token, id) = app.signup("newcomer@example.com").await;
        app.create_task(&token, "on a seed database").await;
        expect_detail(
            app.register("ADA@example.com", PASSWORD, None).await,
            StatusCode::BAD_REQUEST,
            "Email already registered",
        )
        .await;
        if kind == Kind::Sqlite {
            let mut c = SqliteConnection::connect(&format!("sqlite://{}", db.sqlite_path().display())).await.unwrap();
            let row = sqlx::query("SELECT created_at, typeof(created_at), hashed_password FROM users WHERE id = $1")
                .bind(&id)
                .fetch_one(&mut c)
                .await
                .unwrap();
            let created: String = row.get(0);
            assert_eq!(row.get::<String, _>(1), "text");
            assert!(
                chrono::NaiveDateTime::parse_from_str(&created, "%Y-%m-%d %H:%M:%S%.6f").is_ok() && created.len() == 26,
                "{created}"
            );
            assert!(row.get::<String, _>(2).starts_with("$2b$"));
        }
        app.stop().await;
        // Restarting on the migrated database is clean (migrations are recorded, not re-run).
        let again = TestApp::start_on(db.clone(), &[]).await;
        let (s, _) = parts(again.get("/api/auth/me", tokens["valid_until_2099"].as_str().unwrap()).await).await;
        assert_eq!(s, StatusCode::OK);
    }
);

both!(
    async fn mixed_case_emails_written_by_the_seed_still_sign_in(kind: Kind) {
        let db = Arc::new(seed_database(kind).await);
        // The seed stored emails as typed; add one such row the way it would.
        let hash = todo_auth::auth::scheme::bcrypt_hash(PASSWORD, 4).unwrap();
        let insert = "INSERT INTO users (id, email, hashed_password, name, created_at, updated_at) VALUES ($1, 'Mixed.Case@Example.com', $2, NULL, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')";
        let id = uuid::Uuid::new_v4().to_string();
        match kind {
            Kind::Sqlite => {
                let mut c =
                    SqliteConnection::connect(&format!("sqlite://{}", db.sqlite_path().display())).await.unwrap();
                sqlx::query(insert).bind(&id).bind(&hash).execute(&mut c).await.unwrap();
            }
            Kind::Postgres => {
                let mut c = PgConnection::connect(&db.url).await.unwrap();
                sqlx::query(&insert.replace("'2026-01-01 00:00:00.000000'", "TIMESTAMP '2026-01-01 00:00:00'"))
                    .bind(&id)
                    .bind(&hash)
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
        }
        let app = TestApp::start_on(db, &[]).await;
        for typed in ["mixed.case@example.com", "Mixed.Case@Example.com", "MIXED.CASE@EXAMPLE.COM"] {
            let (s, body) = parts(app.login(typed, PASSWORD).await).await;
            assert_eq!((s, &body["user"]["id"]), (StatusCode::OK, &json!(id)), "{typed}");
        }
        expect_detail(
            app.register("mixed.case@example.com", PASSWORD, None).await,
            StatusCode::BAD_REQUEST,
            "Email already registered",
        )
        .await;
        let (_, me) = parts(app.login("mixed.case@example.com", PASSWORD).await).await;
        assert_eq!(me["user"]["email"], Value::from("Mixed.Case@Example.com"), "the stored spelling is kept");
    }
);

#[test]
fn copy_blocks_become_inserts() {
    let sql = copy_to_inserts("COPY public.t (a, b) FROM stdin;\nx\t\\N\no'k\tline\\nbreak\n\\.\nSELECT 1;\n");
    assert_eq!(sql, "INSERT INTO public.t (a, b) VALUES ('x', NULL);\nINSERT INTO public.t (a, b) VALUES ('o''k', 'line\nbreak');\nSELECT 1;\n");
}
