//! Account recovery and verified email, end to end through a real SMTP server listening on a TCP port of this
//! test process ([`SmtpServer`]), spoken to by the API's delivery worker (lettre) exactly as a provider would be.
//! Links are read out of the delivered messages. A test runs the worker's delivery pass itself
//! ([`TestApp::mail`], [`TestApp::deliver_pending_mail`]), so what it finds in the inbox is all there is; the
//! tests of the live worker (two processes, a worker that dies, shutdown) run it as main does. Every test runs on
//! SQLite and PostgreSQL.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use todo_auth::{
    db::Mail,
    mail::{compose, worker::LEASE, Kind as MailKind},
};

use crate::{both, helpers::*};

pub const WEB_URL: &str = "https://app.example";

/// The API pointed at `smtp` (its mail delivered by [`TestApp::deliver_pending_mail`]).
pub async fn mail_app(kind: Kind, smtp: &str, overrides: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("SMTP_URL", smtp), ("WEB_URL", WEB_URL)];
    vars.extend_from_slice(overrides);
    TestApp::start_with(kind, &vars).await
}

async fn anon(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.request(Method::POST, path, None, Some(body)).await
}

async fn forgot(app: &TestApp, email: &str) -> (StatusCode, Value) {
    parts(anon(app, "/api/auth/forgot-password", json!({ "email": email })).await).await
}

async fn reset(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    anon(app, "/api/auth/reset-password", json!({ "token": token, "new_password": password })).await
}

async fn verify(app: &TestApp, token: &str) -> reqwest::Response {
    anon(app, "/api/auth/verify-email", json!({ "token": token })).await
}

const NEW_PASSWORD: &str = "a brand new passphrase";
const RESET_INVALID: &str = "This reset link is invalid or has expired";
const VERIFY_INVALID: &str = "This verification link is invalid or has expired";

both!(
    async fn password_reset_end_to_end(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = mail_app(kind, &smtp.url(), &[]).await;
        let (old_token, _) = app.signup("reset@example.com").await;
        let (status, body) = forgot(&app, "reset@example.com").await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert!(body["message"].is_string());

        // The registration's verification mail, then the reset mail.
        let mail = app.mail(&smtp, "reset@example.com", 2).await;
        assert!(mail.subject().contains("Reset your Todo password"), "{}", mail.subject());
        let link = mail.link().unwrap();
        assert!(link.starts_with(&format!("{WEB_URL}/reset-password?token=")), "{link}");
        let text = mail.text();
        assert!(text.contains("60 minutes") || text.contains("1 hour"), "{text}");
        assert!(text.contains("If this wasn't you"));
        assert!(mail.html().contains("Choose a new password") && !mail.html().contains("<img"));
        let token = mail.token();
        assert!(token.len() >= 22, "at least 128 bits");

        // The new password obeys the rules of registration; a refused one leaves the link usable.
        for weak in ["password", "reset12345", "short"] {
            let kind = if weak == "short" { "string_too_short" } else { "password_too_weak" };
            expect_422(reset(&app, &token, weak).await, Some("new_password"), kind).await;
        }
        let (status, body) = parts(reset(&app, &token, NEW_PASSWORD).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["message"].is_string() && body.get("access_token").is_none(), "signs nobody in: {body}");

        // Every earlier token is revoked; the old password is gone; the new one works; the email is verified.
        expect_detail(app.get("/api/auth/me", &old_token).await, StatusCode::UNAUTHORIZED, "Token has been revoked")
            .await;
        assert_eq!(app.login("reset@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
        let (status, body) = parts(app.login("reset@example.com", NEW_PASSWORD).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["user"]["email_verified"], json!(true));

        // A "your password was changed" notice, without a link.
        let notice = app.mail(&smtp, "reset@example.com", 3).await;
        assert!(notice.subject().contains("password was changed"), "{}", notice.subject());
        assert!(notice.link().is_none());

        // The link works once.
        expect_detail(reset(&app, &token, "yet another passphrase").await, StatusCode::BAD_REQUEST, RESET_INVALID)
            .await;
        // All three are marked sent, and they are all the mail there is.
        let outbox = app.state.db.outbox_counts().await.unwrap();
        assert_eq!((outbox.waiting, outbox.sent, outbox.failed), (0, 3, 0), "{outbox:?}");
        assert_eq!(smtp.all().len(), 3);
    }
);

both!(
    async fn reset_links_expire_are_superseded_and_cannot_be_forged(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = mail_app(kind, &smtp.url(), &[]).await;
        app.signup("links@example.com").await;
        assert_eq!(app.mails(&smtp, "links@example.com").await.len(), 1);

        // Superseded: of two requests only the newer link works.
        forgot(&app, "links@example.com").await;
        let first = app.mail(&smtp, "links@example.com", 2).await.token();
        forgot(&app, "links@example.com").await;
        let second = app.mail(&smtp, "links@example.com", 3).await.token();
        assert_ne!(first, second);
        expect_detail(reset(&app, &first, NEW_PASSWORD).await, StatusCode::BAD_REQUEST, RESET_INVALID).await;

        // Expired: PASSWORD_RESET_TTL_MINUTES (60) later the newer one does not work either.
        app.state.clock.advance(Duration::from_secs(61 * 60));
        expect_detail(reset(&app, &second, NEW_PASSWORD).await, StatusCode::BAD_REQUEST, RESET_INVALID).await;

        // Forged: a well-formed random token, a verification token used as a reset token, junk.
        let verification = app.mail(&smtp, "links@example.com", 1).await.token();
        for forged in ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", verification.as_str(), "x", "' OR 1=1 --"] {
            expect_detail(reset(&app, forged, NEW_PASSWORD).await, StatusCode::BAD_REQUEST, RESET_INVALID).await;
        }
        assert_eq!(app.login("links@example.com", PASSWORD).await.status(), StatusCode::OK, "password unchanged");

        // A new password breaking the rules is a 422, and does not use the link up.
        forgot(&app, "links@example.com").await;
        let third = app.mail(&smtp, "links@example.com", 4).await.token();
        expect_422(reset(&app, &third, "short").await, Some("new_password"), "string_too_short").await;
        assert_eq!(reset(&app, &third, NEW_PASSWORD).await.status(), StatusCode::OK);
    }
);

both!(
    async fn two_concurrent_uses_of_one_link_one_succeeds(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = mail_app(kind, &smtp.url(), &[]).await;
        for round in 0..3 {
            let email = format!("race{round}@example.com");
            app.signup(&email).await;
            forgot(&app, &email).await;
            let token = app.mail(&smtp, &email, 2).await.token();
            let (a, b) = tokio::join!(
                reset(&app, &token, "first racer passphrase"),
                reset(&app, &token, "second racer passphrase")
            );
            let mut statuses = [a.status(), b.status()];
            statuses.sort();
            assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST], "round {round}");
            // Exactly one of the two passwords is now the account's.
            let first = app.login(&email, "first racer passphrase").await.status() == StatusCode::OK;
            let second = app.login(&email, "second racer passphrase").await.status() == StatusCode::OK;
            assert!(first ^ second, "round {round}: {first} {second}");

            // The same for a verification link.
            let verification = app.mail(&smtp, &email, 1).await.token();
            let (a, b) = tokio::join!(verify(&app, &verification), verify(&app, &verification));
            let mut statuses = [a.status(), b.status()];
            statuses.sort();
            // Already verified by the reset: the link still works once (it marks nothing new), then never again.
            assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST], "round {round}");
        }
    }
);

both!(
    async fn unknown_and_known_addresses_get_one_answer_and_only_the_known_one_is_mailed(kind: Kind) {
        let smtp = SmtpServer::start();
        let app =
            mail_app(kind, &smtp.url(), &[("MAIL_REQUESTS_PER_EMAIL", "0"), ("MAIL_REQUESTS_PER_CLIENT", "0")]).await;
        app.signup("known@example.com").await;
        let rounds = 30;
        let (mut known, mut unknown) = (Vec::new(), Vec::new());
        let mut answers = std::collections::HashSet::new();
        for _ in 0..rounds {
            for (email, times) in [("known@example.com", &mut known), ("nobody@example.com", &mut unknown)] {
                let started = Instant::now();
                let res = anon(&app, "/api/auth/forgot-password", json!({ "email": email })).await;
                let status = res.status();
                let text = res.text().await.unwrap();
                times.push(started.elapsed());
                answers.insert((status, text));
            }
        }
        assert_eq!(answers.len(), 1, "one answer for both: {answers:?}");
        let median = |v: &mut Vec<Duration>| {
            v.sort();
            v[v.len() / 2]
        };
        // Timings are reported (a benchmark compares them; a test cannot on a shared machine).
        let (k, u) = (median(&mut known), median(&mut unknown));
        eprintln!("forgot-password on {kind:?}, median of {rounds}: known {k:?}, unknown {u:?}");
        // Every known request's mail arrives; none goes to the unknown address (every request's work is done).
        assert_eq!(app.mails(&smtp, "known@example.com").await.len(), 1 + rounds);
        assert!(smtp.to("nobody@example.com").is_empty());
    }
);

both!(
    async fn links_come_from_web_url_whatever_the_host_header(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = mail_app(kind, &smtp.url(), &[]).await;
        let res = app
            .raw(
                Method::POST,
                "/api/auth/register",
                &[("host", "evil.example"), ("x-forwarded-host", "evil.example"), ("content-type", "application/json")],
                json!({ "email": "host@example.com", "password": PASSWORD }).to_string().into_bytes(),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = app
            .raw(
                Method::POST,
                "/api/auth/forgot-password",
                &[("host", "evil.example"), ("x-forwarded-host", "evil.example"), ("content-type", "application/json")],
                json!({ "email": "host@example.com" }).to_string().into_bytes(),
            )
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        let mails = app.mails(&smtp, "host@example.com").await;
        assert_eq!(mails.len(), 2);
        for mail in mails {
            let link = mail.link().unwrap();
            assert!(link.starts_with(&format!("{WEB_URL}/")), "{link}");
            let raw = String::from_utf8_lossy(&mail.raw).to_string();
            assert!(!raw.contains("evil.example"), "{raw}");
        }
    }
);

both!(
    async fn registration_mails_a_verification_link(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = mail_app(kind, &smtp.url(), &[]).await;
        let (token, _) = app.signup("verify@example.com").await;
        let (_, me) = parts(app.get("/api/auth/me", &token).await).await;
        assert_eq!(me["email_verified"], json!(false));

        let mail = app.mail(&smtp, "verify@example.com", 1).await;
        assert!(mail.subject().contains("Confirm your email address"), "{}", mail.subject());
        assert!(mail.link().unwrap().starts_with(&format!("{WEB_URL}/verify-email?token=")));
        assert!(mail.text().contains("2 days"), "{}", mail.text());
        let (status, user) = parts(verify(&app, &mail.token()).await).await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert_eq!(
            (user["email"].as_str(), user["email_verified"].as_bool()),
            (Some("verify@example.com"), Some(true))
        );
        let (_, me) = parts(app.get("/api/auth/me", &token).await).await;
        assert_eq!(me["email_verified"], json!(true));
        expect_detail(verify(&app, &mail.token()).await, StatusCode::BAD_REQUEST, VERIFY_INVALID).await;
        expect_detail(
            app.request(Method::POST, "/api/auth/resend-verification", Some(&token), None).await,
            StatusCode::BAD_REQUEST,
            "Email already verified",
        )
        .await;
        expect_detail(verify(&app, "forged-token-forged-token-forged").await, StatusCode::BAD_REQUEST, VERIFY_INVALID)
            .await;
    }
);

both!(
    async fn resend_supersedes_and_verification_links_expire(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = mail_app(kind, &smtp.url(), &[("MAIL_REQUESTS_PER_EMAIL", "2")]).await;
        let (token, _) = app.signup("resend@example.com").await;
        let first = app.mail(&smtp, "resend@example.com", 1).await.token();
        let resend = || app.request(Method::POST, "/api/auth/resend-verification", Some(&token), None);
        assert_eq!(resend().await.status(), StatusCode::ACCEPTED);
        let second = app.mail(&smtp, "resend@example.com", 2).await.token();
        expect_detail(verify(&app, &first).await, StatusCode::BAD_REQUEST, VERIFY_INVALID).await;
        assert_eq!(resend().await.status(), StatusCode::ACCEPTED);
        let third = app.mail(&smtp, "resend@example.com", 3).await.token();
        assert_eq!(resend().await.status(), StatusCode::TOO_MANY_REQUESTS, "throttled");
        expect_detail(verify(&app, &second).await, StatusCode::BAD_REQUEST, VERIFY_INVALID).await;
        // EMAIL_VERIFICATION_TTL_HOURS (48) later the newest has expired too.
        app.state.clock.advance(Duration::from_secs(48 * 3600 + 60));
        expect_detail(verify(&app, &third).await, StatusCode::BAD_REQUEST, VERIFY_INVALID).await;
        expect_detail(
            app.request(Method::POST, "/api/auth/resend-verification", None, None).await,
            StatusCode::UNAUTHORIZED,
            "Not authenticated",
        )
        .await;
    }
);

both!(
    async fn require_verified_email_refuses_unverified_logins(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = mail_app(kind, &smtp.url(), &[("REQUIRE_VERIFIED_EMAIL", "true")]).await;
        app.signup("strict@example.com").await;
        expect_detail(
            app.login("strict@example.com", PASSWORD).await,
            StatusCode::FORBIDDEN,
            "Please verify your email address first",
        )
        .await;
        // A wrong password is still the plain 401 (nothing about verification leaks before the password).
        expect_detail(
            app.login("strict@example.com", "wrong password!").await,
            StatusCode::UNAUTHORIZED,
            "Invalid email or password",
        )
        .await;
        let token = app.mail(&smtp, "strict@example.com", 1).await.token();
        assert_eq!(verify(&app, &token).await.status(), StatusCode::OK);
        assert_eq!(app.login("strict@example.com", PASSWORD).await.status(), StatusCode::OK);
    }
);

both!(
    async fn email_change_applies_only_when_the_new_address_confirms(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = mail_app(kind, &smtp.url(), &[]).await;
        let (token, _) = app.signup("old@example.com").await;
        app.signup("taken@example.com").await;
        let change = |password: &str, new_email: &str| {
            app.post("/api/auth/change-email", &token, json!({ "current_password": password, "new_email": new_email }))
        };
        expect_detail(
            change("not my password", "new@example.com").await,
            StatusCode::BAD_REQUEST,
            "Current password is incorrect",
        )
        .await;
        expect_detail(change(PASSWORD, "TAKEN@example.com").await, StatusCode::BAD_REQUEST, "Email already registered")
            .await;
        expect_422(change(PASSWORD, "not-an-address").await, Some("new_email"), "value_error").await;
        assert_eq!(change(PASSWORD, "New@Example.com").await.status(), StatusCode::ACCEPTED);

        let link_mail = app.mail(&smtp, "new@example.com", 1).await;
        assert!(link_mail.subject().contains("Confirm your new email address"));
        let notice = app.mail(&smtp, "old@example.com", 2).await;
        assert!(notice.subject().contains("being changed") && notice.text().contains("new@example.com"));
        assert!(notice.link().is_none(), "the old address gets no link");

        // Nothing changes until the link is used.
        assert_eq!(app.login("old@example.com", PASSWORD).await.status(), StatusCode::OK);
        let (status, user) = parts(verify(&app, &link_mail.token()).await).await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert_eq!((user["email"].as_str(), user["email_verified"].as_bool()), (Some("new@example.com"), Some(true)));
        assert_eq!(app.login("new@example.com", PASSWORD).await.status(), StatusCode::OK);
        assert_eq!(app.login("old@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
        let (_, me) = parts(app.get("/api/auth/me", &token).await).await;
        assert_eq!(me["email"], json!("new@example.com"));
        expect_detail(verify(&app, &link_mail.token()).await, StatusCode::BAD_REQUEST, VERIFY_INVALID).await;

        // The old address's pending verification link no longer works.
        let old_verification = app.mail(&smtp, "old@example.com", 1).await.token();
        expect_detail(verify(&app, &old_verification).await, StatusCode::BAD_REQUEST, VERIFY_INVALID).await;
    }
);

both!(
    async fn two_people_racing_for_one_address_one_wins(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = mail_app(kind, &smtp.url(), &[]).await;
        let (a, _) = app.signup("alice@example.com").await;
        let (b, _) = app.signup("bob@example.com").await;
        for token in [&a, &b] {
            let res = app
                .post(
                    "/api/auth/change-email",
                    token,
                    json!({ "current_password": PASSWORD, "new_email": "prize@example.com" }),
                )
                .await;
            assert_eq!(res.status(), StatusCode::ACCEPTED);
        }
        let mails = app.mails(&smtp, "prize@example.com").await;
        assert_eq!(mails.len(), 2);
        let (t1, t2) = (mails[0].token(), mails[1].token());
        let (r1, r2) = tokio::join!(verify(&app, &t1), verify(&app, &t2));
        let (s1, b1) = parts(r1).await;
        let (s2, b2) = parts(r2).await;
        let mut statuses = [s1, s2];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST], "{b1} {b2}");
        let loser = if s1 == StatusCode::BAD_REQUEST { b1 } else { b2 };
        assert_eq!(loser["detail"], json!("Email already registered"));
        let (_, me_a) = parts(app.get("/api/auth/me", &a).await).await;
        let (_, me_b) = parts(app.get("/api/auth/me", &b).await).await;
        let winners = [&me_a, &me_b].iter().filter(|m| m["email"] == json!("prize@example.com")).count();
        assert_eq!(winners, 1, "{me_a} {me_b}");
    }
);

both!(
    async fn mail_server_down_during_the_request_and_back_later_loses_nothing(kind: Kind) {
        let port = SmtpServer::reserve_port();
        let app = mail_app(kind, &format!("smtp://127.0.0.1:{port}"), &[]).await;
        app.signup("patient@example.com").await;
        let (status, _) = forgot(&app, "patient@example.com").await;
        assert_eq!(status, StatusCode::ACCEPTED, "the request does not wait for the mail server");
        // The worker tries, fails, and keeps both mails for later.
        assert_eq!(app.deliver_pending_mail().await, 2);
        let outbox = app.state.db.outbox_counts().await.unwrap();
        assert_eq!((outbox.waiting, outbox.sent, outbox.failed, outbox.attempts), (2, 0, 0, 2), "{outbox:?}");
        // Not tried again before its backoff.
        assert_eq!(app.deliver_pending_mail().await, 0);
        // The server comes back; once the backoff has passed, both mails arrive, once each.
        let smtp = SmtpServer::start_on(port);
        // Past the backoff of the first attempt (5 s), within the reset link's hour.
        app.state.clock.advance(Duration::from_secs(600));
        let mails = app.mails(&smtp, "patient@example.com").await;
        assert_eq!(mails.len(), 2);
        let subjects: Vec<String> = mails.iter().map(Received::subject).collect();
        assert!(subjects.iter().any(|s| s.contains("Reset")), "{subjects:?}");
        let token = mails.iter().find(|m| m.subject().contains("Reset")).unwrap().token();
        assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), StatusCode::OK);
        assert_eq!(app.mails(&smtp, "patient@example.com").await.len(), 3);
    }
);

fn batch_mail(i: usize) -> Mail {
    compose(&format!("batch{i}@example.com"), &MailKind::PasswordChanged { email: "batch@example.com" })
}

both!(
    async fn two_api_processes_deliver_a_batch_of_200_each_exactly_once(kind: Kind) {
        let smtp = SmtpServer::start();
        let first = TestApp::start_with(kind, &[("SMTP_URL", &smtp.url()), ("WEB_URL", WEB_URL)]).await;
        let second = TestApp::start_on(first.db.clone(), &[("SMTP_URL", &smtp.url()), ("WEB_URL", WEB_URL)]).await;
        let mails: Vec<Mail> = (0..200).map(batch_mail).collect();
        first.state.db.enqueue_mail(&mails, first.state.clock.now()).await.unwrap();
        // Both processes' live workers, as main runs them.
        first.state.mail_worker().unwrap().spawn();
        second.state.mail_worker().unwrap().spawn();
        eventually("the 200 mails are sent", || async {
            let outbox = first.state.db.outbox_counts().await.unwrap();
            assert_eq!(outbox.failed, 0);
            outbox.waiting == 0 && outbox.sent == 200
        })
        .await;
        let mut per_recipient: HashMap<String, usize> = HashMap::new();
        for m in smtp.all() {
            for to in m.to {
                *per_recipient.entry(to).or_default() += 1;
            }
        }
        assert_eq!(per_recipient.len(), 200);
        assert!(per_recipient.values().all(|&n| n == 1), "a mail went out twice");
        second.stop().await;
    }
);

both!(
    async fn a_worker_killed_mid_delivery_leaves_its_mail_to_another(kind: Kind) {
        let smtp = SmtpServer::start();
        let app = TestApp::start_with(kind, &[("SMTP_URL", &smtp.url()), ("WEB_URL", WEB_URL)]).await;
        let db = &app.state.db;
        db.enqueue_mail(&(0..3).map(batch_mail).collect::<Vec<_>>(), app.state.clock.now()).await.unwrap();
        // A process claims the three and dies before sending (nothing marks them).
        let claimed = db.claim_mail(app.state.clock.now(), LEASE, 10).await.unwrap();
        assert_eq!(claimed.len(), 3);
        // A worker leaves them alone while the lease holds: it delivers a later mail, not those.
        db.enqueue_mail(&[batch_mail(99)], app.state.clock.now()).await.unwrap();
        assert_eq!(app.deliver_pending_mail().await, 1);
        assert_eq!(smtp.all().len(), 1);
        assert_eq!(smtp.to("batch99@example.com").len(), 1);
        // Once the lease has run out, they are delivered, once each.
        app.state.clock.advance(LEASE + Duration::from_secs(1));
        assert_eq!(app.deliver_pending_mail().await, 3);
        for i in 0..3 {
            assert_eq!(smtp.to(&format!("batch{i}@example.com")).len(), 1);
        }
        assert_eq!(db.outbox_counts().await.unwrap().sent, 4);
        assert_eq!(smtp.all().len(), 4);
    }
);

/// `make run`'s set-up: no SMTP_URL, so each mail is an .eml file in `mail/` beside the SQLite file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_mail_is_written_as_eml_files_beside_the_sqlite_file() {
    let app = TestApp::start_with(Kind::Sqlite, &[("WEB_URL", WEB_URL)]).await;
    let folder = app.state.settings.mail.folder.clone();
    assert_eq!(folder, app.db.sqlite_path().parent().unwrap().join("mail"));
    app.signup("files@example.com").await;
    assert_eq!(app.deliver_pending_mail().await, 1);
    let files: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "one .eml file in {}", folder.display());
    let file = files[0].clone();
    assert_eq!(file.extension().and_then(|e| e.to_str()), Some("eml"));
    let mail = Received { to: vec!["files@example.com".into()], raw: std::fs::read(&file).unwrap() };
    assert!(mail.link().unwrap().starts_with(&format!("{WEB_URL}/verify-email?token=")));
    assert_eq!(verify(&app, &mail.token()).await.status(), StatusCode::OK);
}

/// At shutdown main closes the pool; the worker then ends instead of retrying (and warning) until the process exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_ends_when_the_pool_is_closed() {
    let app = TestApp::start_with(Kind::Sqlite, &[("WEB_URL", WEB_URL)]).await;
    let worker = app.state.mail_worker().unwrap().spawn();
    app.state.db.outbox_counts().await.unwrap();
    app.state.db.close().await;
    let ended = tokio::time::timeout(Duration::from_secs(10), worker).await;
    assert!(matches!(ended, Ok(Ok(()))), "the worker still runs after the pool was closed: {ended:?}");
}

/// Live (unused, unexpired) links of `user` for `purpose`.
async fn live_links(app: &TestApp, email: &str, purpose: &str) -> i64 {
    const SQL: &str = "SELECT COUNT(*) FROM account_tokens t JOIN users u ON u.id = t.user_id \
        WHERE lower(u.email) = $1 AND t.purpose = $2 AND t.used_at IS NULL";
    match &app.state.db {
        todo_auth::Db::Sqlite(pool) => sqlx::query_scalar(SQL).bind(email).bind(purpose).fetch_one(pool).await.unwrap(),
        todo_auth::Db::Postgres(pool) => {
            sqlx::query_scalar(SQL).bind(email).bind(purpose).fetch_one(pool).await.unwrap()
        }
    }
}

both!(
    async fn simultaneous_requests_leave_exactly_one_live_link(kind: Kind) {
        let smtp = SmtpServer::start();
        let app =
            mail_app(kind, &smtp.url(), &[("MAIL_REQUESTS_PER_EMAIL", "0"), ("MAIL_REQUESTS_PER_CLIENT", "0")]).await;
        for round in 0..3 {
            let email = format!("racer{round}@example.com");
            app.signup(&email).await;
            // Eight requests over eight connections, written at once.
            let body = json!({ "email": email });
            let requests = (0..8)
                .map(|_| (app.addr, crate::throttling::bursts::post("/api/auth/forgot-password", &[], &body)))
                .collect();
            let statuses = crate::throttling::bursts::burst(requests).await;
            assert_eq!(statuses.get(&202), Some(&8), "{statuses:?}");
            let mails = app.mails(&smtp, &email).await;
            let resets: Vec<&Received> = mails.iter().filter(|m| m.subject().contains("Reset")).collect();
            assert_eq!(resets.len(), 8, "round {round}");
            assert_eq!(live_links(&app, &email, "reset").await, 1, "round {round}");
            // Exactly one of the eight links works.
            let mut worked = 0;
            for (i, mail) in resets.iter().enumerate() {
                if reset(&app, &mail.token(), &format!("racer passphrase {i}")).await.status() == StatusCode::OK {
                    worked += 1;
                }
            }
            assert_eq!(worked, 1, "round {round}");
        }
    }
);
