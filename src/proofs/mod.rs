//! Zero-knowledge proofs, each as statement / witness / proof with one call shape:
//!
//! ```text
//! Proof::prove(&witness, &statement, &mut transcript, &mut rng) -> Result<Proof, ProofError>
//! proof.verify(&statement, &mut transcript) -> Result<(), ProofError>
//! proof.accumulate(&statement, &mut transcript, &mut msm)  // for batch verification
//! ```
//!
//! The caller owns the transcript and has already started it with the election
//! ([`crate::transcript::election_transcript`]) and the proof's context; the proof absorbs its
//! domain separator, its whole statement, then its commitments. Proofs are stored in batchable
//! form (commitments, not challenges), so that verification of many proofs folds into one
//! multiscalar multiplication ([`batch`]).

pub mod batch;
pub mod dleq;
pub mod range;
pub mod schnorr;

pub use batch::{Msm, Slot, proof_digest};
pub use dleq::{DleqProof, DleqStatement};
pub use range::{RangeProof, RangeStatement, RangeWitness};
pub use schnorr::{SchnorrProof, SchnorrStatement};

use crate::error::EncodingError;

/// Why a proof was not made or not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The verification equations do not hold: a wrong challenge, response, commitment or
    /// statement.
    #[error("the proof does not verify")]
    Invalid,
    /// A range proof with a number of branches other than the statement's range needs.
    #[error("the proof has {found} branches; the statement's range needs {expected}")]
    WrongBranchCount {
        /// Branches the range needs.
        expected: usize,
        /// Branches found.
        found: usize,
    },
    /// A range larger than [`range::MAX_BRANCHES`] values, or empty.
    #[error("the range {low}..={high} is empty or too large")]
    BadRange {
        /// Lower bound.
        low: u32,
        /// Upper bound.
        high: u32,
    },
    /// The prover was asked to prove something false (a value outside the range, a witness
    /// that does not match the statement); it refuses rather than make a proof.
    #[error("the witness does not satisfy the statement; no proof was made")]
    FalseStatement,
    /// A malformed encoding.
    #[error(transparent)]
    Encoding(#[from] EncodingError),
}
