//! The requests that send mail are capped so that nobody can flood an inbox or probe which addresses have
//! accounts: forgot-password per client, per (address, client) and per address; change-email per account, per
//! target address and per client (one budget of address probes with registration). Both databases.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{both, helpers::*, mail::mail_app};

async fn change_email(app: &TestApp, token: &str, new_email: &str) -> reqwest::Response {
    app.post("/api/auth/change-email", token, json!({ "current_password": PASSWORD, "new_email": new_email })).await
}

both!(
    async fn change_email_is_capped_per_account_taken_or_free(kind: Kind) {
        let smtp = SmtpServer::start();
        let app =
            mail_app(kind, &smtp.url(), &[("MAIL_REQUESTS_PER_EMAIL", "3"), ("REGISTRATIONS_PER_CLIENT", "0")]).await;
        let (a, _) = app.signup("prober@example.com").await;
        app.signup("taken@example.com").await;
        // Alternating a registered and a free address: each counts, whatever the answer.
        expect_detail(
            change_email(&app, &a, "taken@example.com").await,
            StatusCode::BAD_REQUEST,
            "Email already registered",
        )
        .await;
        assert_eq!(change_email(&app, &a, "free1@example.org").await.status(), StatusCode::ACCEPTED);
        expect_detail(
            change_email(&app, &a, "taken@example.com").await,
            StatusCode::BAD_REQUEST,
            "Email already registered",
        )
        .await;
        for target in ["free2@example.org", "taken@example.com"] {
            let res = change_email(&app, &a, target).await;
            assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{target}");
            assert!(retry_after(&res) >= 1);
        }
        // The account's own address got one notice per accepted request, no more.
        let notices = app.mails(&smtp, "prober@example.com").await;
        assert_eq!(notices.iter().filter(|m| m.subject().contains("being changed")).count(), 1);
    }
);

both!(
    async fn change_email_mails_one_outside_address_a_bounded_number_of_times(kind: Kind) {
        let smtp = SmtpServer::start();
        let app =
            mail_app(kind, &smtp.url(), &[("MAIL_REQUESTS_PER_EMAIL", "3"), ("REGISTRATIONS_PER_CLIENT", "0")]).await;
        let mut answers = Vec::new();
        for i in 0..5 {
            let (t, _) = app.signup(&format!("asker{i}@example.com")).await;
            answers.push(change_email(&app, &t, "target@example.org").await.status());
        }
        let accepted = answers.iter().filter(|s| **s == StatusCode::ACCEPTED).count();
        assert_eq!(accepted, 3, "{answers:?}");
        assert!(answers[3..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{answers:?}");
        assert_eq!(app.mails(&smtp, "target@example.org").await.len(), 3);
    }
);

both!(
    async fn change_email_and_registration_share_one_budget_of_address_probes_per_client(kind: Kind) {
        let smtp = SmtpServer::start();
        let app =
            mail_app(kind, &smtp.url(), &[("MAIL_REQUESTS_PER_EMAIL", "0"), ("REGISTRATIONS_PER_CLIENT", "4")]).await;
        let (a, _) = app.signup("prober@example.com").await; // 1 of 4
        app.signup("taken@example.com").await; // 2 of 4
        expect_detail(
            change_email(&app, &a, "taken@example.com").await,
            StatusCode::BAD_REQUEST,
            "Email already registered",
        )
        .await; // 3 of 4
        assert_eq!(change_email(&app, &a, "free@example.org").await.status(), StatusCode::ACCEPTED); // 4 of 4
                                                                                                     // The client has told four addresses apart; the fifth, either way, waits.
        assert_eq!(change_email(&app, &a, "taken@example.com").await.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(app.register("late@example.com", PASSWORD, None).await.status(), StatusCode::TOO_MANY_REQUESTS);
        // A wrong password is the password's answer and spends nothing of this budget.
        let res = app
            .post(
                "/api/auth/change-email",
                &a,
                json!({ "current_password": "not it at all", "new_email": "x@example.org" }),
            )
            .await;
        expect_detail(res, StatusCode::BAD_REQUEST, "Current password is incorrect").await;
    }
);

both!(
    async fn one_client_asking_for_resets_of_an_address_does_not_block_its_owner(kind: Kind) {
        let smtp = SmtpServer::start();
        let app =
            mail_app(kind, &smtp.url(), &[("TRUSTED_PROXIES", "127.0.0.1"), ("MAIL_REQUESTS_PER_EMAIL", "5")]).await;
        app.signup("owner@example.com").await;
        let from = |client: &'static str| {
            let body = json!({ "email": "owner@example.com" }).to_string().into_bytes();
            let headers = [("content-type", "application/json"), ("x-forwarded-for", client)];
            let app = &app;
            async move { app.raw(Method::POST, "/api/auth/forgot-password", &headers, body).await.status() }
        };
        for _ in 0..5 {
            assert_eq!(from("203.0.113.66").await, StatusCode::ACCEPTED);
        }
        assert_eq!(from("203.0.113.66").await, StatusCode::TOO_MANY_REQUESTS, "the pair is capped");
        // The owner, from her own address, still gets her link.
        assert_eq!(from("198.51.100.7").await, StatusCode::ACCEPTED);
        let resets = app.mails(&smtp, "owner@example.com").await;
        assert_eq!(resets.iter().filter(|m| m.subject().contains("Reset")).count(), 6);
        // Many clients together are capped per address too (four times the per-client cap: 20 in all).
        let mut accepted = 6;
        for i in 0..30 {
            let client: &'static str = Box::leak(format!("192.0.2.{i}").into_boxed_str());
            if from(client).await == StatusCode::ACCEPTED {
                accepted += 1;
            }
        }
        assert_eq!(accepted, 20);
    }
);
