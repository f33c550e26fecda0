//! Shared pieces of the ctgrind harness (`src/main.rs`) and the secret-type tests (`tests/`).

pub mod fixtures;
pub mod vg;
