//! One integration-test binary: the real server on port 0, a fresh database per test, every test on
//! SQLite and on PostgreSQL (`<test>::sqlite`, `<test>::postgres`).

mod helpers;

mod account_page;
mod bad_input;
mod contract;
mod crash;
mod email_change;
mod email_codes;
mod fixtures;
mod flood;
mod lookalikes;
mod mail;
mod metrics;
mod oidc;
mod outage;
mod passkeys;
mod passwords;
mod process;
mod robustness;
mod security;
mod sessions;
mod soft_passkey;
mod startup;
mod task_lists;
mod throttling;
mod timing;
mod tokens;
mod two_factor;
mod verified_only;
mod web_session;
mod your_data;
