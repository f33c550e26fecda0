#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;
pub mod elgamal;
pub mod error;
pub mod group;
pub mod proofs;
pub mod secret;
pub mod transcript;

#[cfg(test)]
mod testing;

pub use error::EncodingError;
