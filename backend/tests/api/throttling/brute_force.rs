//! One hour of simulated brute force against the throttle: the `auth_attempts` table stays bounded, and so does
//! the victim's history (`activity`, issue 28).
//!
//! Every simulated minute, a botnet of 20 addresses guesses passwords for one account and one of its
//! addresses also sprays 30 other emails; then the app's clock moves a minute on and the minutely purge
//! runs, as `spawn_maintenance` does. Throttled attempts are refused before anything is written, so the
//! rows are bounded by the limits times the keys alive in one window, however long the attack lasts. The
//! failed sign-ins that reach the victim's account are recorded on it, at most 10 rows an hour (the rest
//! counted on the newest of them) and 100 in all, every failure counted; the sprayed addresses have no
//! account and leave nothing.

use std::time::Duration;

use serde_json::json;

use crate::both;
use crate::helpers::TestApp;

async fn attempt_rows(app: &TestApp) -> i64 {
    todo_auth::db::Db::count_attempts(&app.state.db).await.expect("count auth_attempts")
}

/// Rows of the `activity` table, and the sign-in failures they count (a row and its repeats).
async fn activity_rows(app: &TestApp) -> (i64, i64) {
    app.settle().await; // failed sign-ins are written after their answer
    const SQL: &str =
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN kind = 'sign_in_failed' THEN 1 + repeats ELSE 0 END), 0) \
         FROM activity";
    match &app.state.db {
        todo_auth::db::Db::Sqlite(pool) => sqlx::query_as(SQL).fetch_one(pool).await.unwrap(),
        todo_auth::db::Db::Postgres(pool) => sqlx::query_as(SQL).fetch_one(pool).await.unwrap(),
    }
}

both!(
    async fn auth_attempts_stay_bounded_under_an_hour_of_brute_force(kind: Kind) {
        let app = TestApp::start_with(kind, &[("TRUSTED_PROXIES", "127.0.0.1")]).await;
        app.signup("victim@example.com").await;
        let login = |ip: String, email: String| {
            let (client, url) = (app.client.clone(), app.url("/api/auth/login"));
            async move {
                let body = json!({"email": email, "password": "guessed password"});
                client.post(url).header("X-Forwarded-For", ip).json(&body).send().await.unwrap().status().as_u16()
            }
        };
        let (mut refused, mut sent, mut max_rows, mut rows_by_minute) = (0u32, 0u32, 0i64, Vec::new());
        let (mut victim_failures, mut max_history) = (0i64, 0i64);
        for minute in 0..60u32 {
            for bot in 0..20u32 {
                let status = login(format!("198.51.100.{bot}"), "victim@example.com".into()).await;
                assert!(status == 401 || status == 429, "minute {minute}: {status}");
                refused += u32::from(status == 429);
                victim_failures += i64::from(status == 401);
                sent += 1;
            }
            for n in 0..30u32 {
                let status = login("203.0.113.7".into(), format!("user{}@example.com", minute * 30 + n)).await;
                assert!(status == 401 || status == 429, "minute {minute}: {status}");
                refused += u32::from(status == 429);
                sent += 1;
            }
            let rows = attempt_rows(&app).await;
            max_rows = max_rows.max(rows);
            rows_by_minute.push(rows);
            max_history = max_history.max(activity_rows(&app).await.0);
            app.state.clock.advance(Duration::from_secs(60));
            app.state.purge_expired().await.expect("purge");
        }
        // The defaults: 5 failures per (email, client), 50 per client, 30 attempts per email, per 15 min.
        // In one window at most: 30 attempts on the victim (an attempt row each, plus two failure rows
        // each) and 50 failures of the sprayer (two failure rows and one attempt row each); plus, in the
        // first window, the victim's own registration.
        let bound = 30 * 3 + 50 * 3 + 1;
        println!(
            "brute force, 60 simulated minutes: {sent} login attempts, {refused} refused with 429; auth_attempts \
             rows at most {max_rows} (bound {bound}); rows at minutes 15/30/45/60: {}/{}/{}/{}",
            rows_by_minute[14], rows_by_minute[29], rows_by_minute[44], rows_by_minute[59]
        );
        assert!(max_rows <= bound, "auth_attempts grew to {max_rows} rows (bound {bound}): {rows_by_minute:?}");
        assert!(refused > sent * 3 / 4, "the throttle let {} of {sent} attempts through", sent - refused);
        // Steady state: the last window holds no more rows than the first full one.
        assert!(rows_by_minute[59] <= rows_by_minute[14].max(1) * 2, "{rows_by_minute:?}");
        // The victim's history: its registration's sign-in and, for the hour, at most 10 rows of failures that
        // count every one that reached the account (the password was checked and refused).
        let (history, counted) = activity_rows(&app).await;
        println!(
            "brute force: {victim_failures} failed sign-ins reached the victim; activity rows at most {max_history}, \
             {history} at the end, counting {counted} failures"
        );
        assert!(victim_failures > 100, "the simulation reaches the account: {victim_failures}");
        assert_eq!(counted, victim_failures, "every failure counted");
        assert!(max_history <= 1 + 10, "activity grew to {max_history} rows");
    }
);
