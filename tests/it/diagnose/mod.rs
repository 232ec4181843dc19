//! `diagnose` and `explain`: the URL table, HAR files recorded against the model, bad input,
//! scenario emission through the binary, and the docs generated from the catalogue.

mod bad_input;
mod classes;
mod cli;
mod docs;
mod emit;
mod har;
mod recorded;
pub(crate) mod recorder;
mod reports;
mod support;
mod table;
