//! The `frontline` binary's parts that tests also use: opening the store from the command line's
//! settings, the shipped division table, and the demo data.

pub mod anchor;
pub mod backup;
pub mod bench;
pub mod demo;
pub mod divisions;
pub mod keys;
pub mod pair_csv;
pub mod people_file;
pub mod roster_file;
pub mod setup;
