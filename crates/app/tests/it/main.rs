//! End-to-end tests: a real server on a random port over a fresh database (SQLite by default,
//! PostgreSQL with `FRONTLINE_TEST_DB=postgres`), driven through HTTP and a real browser.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod admin;
mod api;
mod appraisals;
mod audit;
mod auth;
mod backup;
mod bad_input;
mod browser;
mod bulletins;
mod crash;
mod dashboard;
mod divisions;
mod duty;
mod exports;
mod fuzz_corpus;
mod hardening;
mod helpers;
mod import;
mod indicators;
mod ledger;
mod life;
mod offline;
mod orders;
mod passwords;
mod schemathesis;
mod scope;
mod second_factor;
mod security_events;
mod separation;
mod supervision;
mod ui;
mod weak;
mod work;
