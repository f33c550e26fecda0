//! Verifiable elections in which a member may vote on more than one channel (online and by
//! post), and the rule for which ballot counts is enforced by cryptography, not by an operator's
//! database.
//!
//! Every ballot is encrypted (exponential ElGamal on ristretto255) with zero-knowledge proofs of
//! its well-formedness, and carries a [`Nullifier`] `N = x·H_E` derived from the member's
//! credential and the election: two ballots of one member share it, so a later postal ballot
//! provably supersedes an earlier online one under the manifest's public precedence rule,
//! without revealing either vote. Threshold trustees decrypt only the homomorphic tally, and an
//! independent verifier checks the whole published record. The normative protocol is
//! `spec/protocol.md` in the repository.
//!
//! # The ceremony, and who holds which type
//!
//! | step | who | with |
//! | --- | --- | --- |
//! | 1. write the election's rules | the election authority | [`Manifest`] (contests, channels, precedence, trustees), naming the offices' keys in [`Authorities`]; each office draws an [`AuthorityKey`] |
//! | 2. generate the election key | the trustees, k of n | [`trustee`]: the key ceremony's rounds (or [`trustee::run_ceremony`] in one process), giving each a [`TrusteeKey`] and everyone the [`PublicKeySet`] |
//! | 3. issue credentials, publish the roll | the registrar | [`CredentialCode`] (printed for the member), [`CredentialSecret`], [`Roll`] |
//! | 4. fix the election | anyone | [`Election::from_ceremony`]: manifest, key set and roll, and the base hash every proof binds to (published before voting) |
//! | 5. vote, on any channel | the member (the postal intake countersigns postal ballots) | [`ballot::prepare`] → [`PreparedBallot`] (challenge it, or cast it: a [`Ballot`] with its [`TrackingCode`]); [`AuthorityKey::countersign`] |
//! | 6. admit ballots, apply precedence | the board operator | [`Board`]: every entry signed in a [`Receipt`]; the administrator closes with [`board::Close`] |
//! | 7. check one's own vote | the member | [`Lookup`] by credential or tracking code; [`board::check_receipt`] |
//! | 8. tally and decrypt | anyone, then k trustees | [`Tally`], [`TrusteeKey::decrypt_share`], [`trustee::combine`] |
//! | 9. publish and verify | the authority, then anyone | [`ElectionRecord`]; [`verifier::verify_dir`] → [`Report`] |
//!
//! # Modules
//!
//! One module per role; the types above are re-exported here. [`hazmat`] holds the building
//! blocks (group elements, proofs, transcript labels) that test vectors, fuzz targets and
//! advanced users need: it carries no stability promise. With the feature `simulation`,
//! `simulation` runs whole seeded elections (the examples' and the tests' ceremonies).
//!
//! # Randomness
//!
//! Functions that draw secrets take any `rand_core` 0.6 `RngCore + CryptoRng`: pass
//! [`OsRng`] (re-exported here, so that no direct `rand_core` dependency of the right version
//! is needed). The trait crate itself is re-exported as [`rand_core`], for code that is generic
//! over the generator (`fn vote(rng: &mut impl nullivote::rand_core::CryptoRngCore)`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod authority;
pub mod ballot;
pub mod board;
pub mod credential;
pub mod hazmat;
pub mod lookup;
pub mod manifest;
pub mod record;
#[cfg(feature = "simulation")]
pub mod simulation;
pub mod tally;
pub mod trustee;
pub mod verifier;

mod check;
mod codec;
mod digest;
mod dlog;
mod election;
mod elgamal;
mod error;
mod group;
mod nullifier;
mod precedence;
mod proofs;
mod secret;
mod text;
mod transcript;

#[cfg(test)]
mod testing;

pub use authority::AuthorityKey;
pub use ballot::{Ballot, PreparedBallot, TrackingCode};
pub use board::{Board, Receipt};
pub use credential::{CredentialCode, CredentialSecret, Roll};
pub use election::{BaseHash, Election, ElectionError};
pub use error::EncodingError;
pub use group::Element;
pub use lookup::Lookup;
pub use manifest::{Authorities, Manifest};
pub use nullifier::Nullifier;
/// The `rand_core` (0.6) whose `RngCore + CryptoRng` every function that draws secrets takes.
pub use rand_core;
pub use rand_core::OsRng;
pub use record::ElectionRecord;
pub use tally::Tally;
pub use transcript::PROTOCOL_VERSION;
pub use trustee::{BoardHead, PublicKeySet, TrusteeKey};
pub use verifier::Report;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
