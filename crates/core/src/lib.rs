//! Frontline's domain: the types and rules every other crate builds on.
//!
//! Nothing here does IO, knows HTTP or SQL. Each area of the domain has a module, and the same
//! areas appear in `frontline-db` and `frontline-web` so that a newcomer finds "units" in the same
//! place everywhere.

pub mod access;
pub mod accountability;
pub mod appraisals;
pub mod audit;
pub mod bulletins;
pub mod burden;
pub mod codes;
pub mod demo;
pub mod deployment;
pub mod divisions;
pub mod error;
pub mod gm;
pub mod honours;
pub mod indicators;
pub mod inspections;
pub mod life;
pub mod meetings;
pub mod orders;
pub mod pairing;
pub mod people;
pub mod progress;
pub mod records;
pub mod responsibility;
pub mod roles;
pub mod roster;
pub mod second_factor;
pub mod security;
pub mod succession;
pub mod surveys;
pub mod tasks;
pub mod time;
pub mod units;
pub mod weak;

pub use error::{DomainError, FieldError};
