//! The `Db` handle over SQLite and PostgreSQL, the migrations of both, and the repositories.
//!
//! SQL is written once with `$N` placeholders and run on either store through [`Sql`], a small
//! builder that keeps the text and its parameters together. Repositories take the caller's
//! [`frontline_core::access::Actor`] and apply its scope in every query, and write their audit
//! entry in the same transaction as the change, so a change is either whole and audited or absent.

pub mod access;
pub mod accountability;
pub mod appraisals;
pub mod audit;
pub mod bulletins;
pub mod burden;
pub mod dashboard;
pub mod deployment;
pub mod evidence;
pub mod honours;
pub mod indicators;
pub mod inspections;
pub mod jobs;
pub mod laggards;
pub mod life;
pub mod meetings;
pub mod migrate;
pub mod offline;
pub mod orders;
pub mod pairing;
pub mod people;
pub mod records;
pub mod responsibility;
pub mod roles;
pub mod roster;
pub mod seal;
pub mod second_factor;
pub mod security;
pub mod sql;
pub mod succession;
pub mod surveys;
pub mod tasks;
pub mod testing;
pub mod units;
pub mod weak;

pub use sql::{Db, DbError, Page, Sql, Tx, Value, commits, note_commit, sqlite_cache_mib};
