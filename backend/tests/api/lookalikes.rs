//! Addresses and client identities that must not be spoofable: look-alike spellings of one mailbox are
//! one account (or refused), and a forwarded-for chain cannot pick its own client address.

use reqwest::StatusCode;
use serde_json::json;

use crate::both;
use crate::helpers::*;

both!(
    async fn look_alike_spellings_of_one_mailbox_are_one_account_or_refused(kind: Kind) {
        let app = TestApp::start(kind).await;
        app.signup("ada@example.com").await;
        // Same mailbox, other spelling: the same account, so "already registered".
        for same in [
            "ada@\u{ff45}\u{ff58}\u{ff41}\u{ff4d}\u{ff50}\u{ff4c}\u{ff45}.com",
            "ada@example\u{3002}com",
            "ada@exam\u{ad}ple.com",
            "ADA@EXAMPLE.COM",
        ] {
            let res = app.register(same, PASSWORD, None).await;
            expect_detail(res, StatusCode::BAD_REQUEST, "Email already registered").await;
            assert_eq!(app.login(same, PASSWORD).await.status(), StatusCode::OK, "{same:?} signs in as ada");
        }
        // Invisible, bidi, tag and private-use characters: refused in the contract's 422 shape.
        for unsafe_ in [
            "ad\u{200b}a@example.com",
            "ad\u{200d}a@example.com",
            "ad\u{2060}a@example.com",
            "ad\u{feff}a@example.com",
            "ad\u{ad}a@example.com",
            "\u{202e}ada@example.com",
            "ada\u{e0041}@example.com",
            "ada\u{e000}@example.com",
        ] {
            let body = expect_422(app.register(unsafe_, PASSWORD, None).await, Some("email"), "value_error").await;
            assert!(body.to_string().contains("unsafe characters"), "{unsafe_:?}: {body}");
        }
        // Punycode and Unicode spellings of one domain; decomposed and precomposed é.
        let (_, body) = parts(app.register("x@b\u{fc}cher.de", PASSWORD, None).await).await;
        assert_eq!(body["user"]["email"], "x@b\u{fc}cher.de");
        expect_detail(
            app.register("x@xn--bcher-kva.de", PASSWORD, None).await,
            StatusCode::BAD_REQUEST,
            "Email already registered",
        )
        .await;
        let (_, body) = parts(app.register("re\u{301}ne@example.com", PASSWORD, None).await).await;
        assert_eq!(body["user"]["email"], "r\u{e9}ne@example.com");
        expect_detail(
            app.register("r\u{e9}ne@example.com", PASSWORD, None).await,
            StatusCode::BAD_REQUEST,
            "Email already registered",
        )
        .await;
        assert_eq!(app.login("re\u{301}ne@example.com", PASSWORD).await.status(), StatusCode::OK);
    }
);

both!(
    async fn a_forwarded_chain_cannot_choose_its_client_by_adding_an_unparsable_entry(kind: Kind) {
        let app = TestApp::start_with(kind, &[("TRUSTED_PROXIES", "127.0.0.1")]).await;
        app.signup("ada@example.com").await;
        // `<rotating>, 9.9.9.8:5555`: the port form is read, so the client is 9.9.9.8 every time.
        for i in 0..5 {
            let res = app
                .client
                .post(app.url("/api/auth/login"))
                .header("x-forwarded-for", format!("203.0.113.{i}, 9.9.9.8:5555"))
                .json(&json!({"email": "ada@example.com", "password": "wrong"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
        let res = app
            .client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", "198.51.100.99, 9.9.9.8:5555")
            .json(&json!({"email": "ada@example.com", "password": "wrong"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "rotating the left entry made a new client");
        // An entry that does not parse stops the walk: the garbage's left side is never believed.
        for i in 0..6 {
            let res = app
                .client
                .post(app.url("/api/auth/login"))
                .header("x-forwarded-for", format!("192.0.2.{i}, not-an-ip"))
                .json(&json!({"email": "other@example.com", "password": "wrong"}))
                .send()
                .await
                .unwrap();
            let expected = if i < 5 { StatusCode::UNAUTHORIZED } else { StatusCode::TOO_MANY_REQUESTS };
            assert_eq!(res.status(), expected, "attempt {i}: one client (the proxy), whatever its left side says");
        }
    }
);
