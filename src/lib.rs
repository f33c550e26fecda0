#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ballot;
pub mod board;
pub mod codec;
pub mod credential;
pub mod dlog;
pub mod election;
pub mod elgamal;
pub mod error;
pub mod group;
pub mod lookup;
pub mod manifest;
pub mod nullifier;
pub mod precedence;
pub mod proofs;
pub mod record;
pub mod secret;
pub mod simulation;
pub mod tally;
#[cfg(feature = "cli")]
pub mod terminal;
pub mod text;
pub mod transcript;
pub mod trustee;
pub mod verifier;

#[cfg(test)]
mod testing;

pub use error::EncodingError;
