//! # ⚠ Hazardous materials: the building blocks under the protocol
//!
//! **Nothing here is needed to run or verify an election, and nothing here has a stability
//! promise:** these items may change in any release. They are the parts the crate's roles are
//! made of (group elements, ElGamal, the zero-knowledge proofs and their batch verifier, the
//! transcript labels, the binary codec), published for the test vectors, the fuzz targets, the
//! benches, the constant-time tests and researchers who build their own checks. A proof made or
//! checked here is only as sound as the statement and transcript its caller gives it: the roles
//! ([`crate::ballot`], [`crate::board`], [`crate::trustee`], [`crate::verifier`]) build those
//! from the election; code here trusts its caller to have done so.
//!
//! Variable-time functions (named `*_vartime`) must only see public data.

pub use crate::codec::{Wire, decode_hex};
pub use crate::dlog::{DiscreteLog, DlogError, MAX_BOUND};
pub use crate::election::base_hash;
pub use crate::elgamal::{Ciphertext, CiphertextSum, ElectionKey};
pub use crate::group::{ELEMENT_LEN, SCALAR_LEN, decode_scalar};
pub use crate::secret::SecretScalar;

/// The countersignature primitive: the Schnorr signature of a channel authority over a ballot,
/// whoever the signer is (the everyday path, [`crate::AuthorityKey::countersign`], checks the
/// key against the manifest first).
pub use crate::ballot::countersign;

/// The zero-knowledge proofs (Schnorr, Chaum-Pedersen, disjunctive range proofs) and the
/// multiscalar accumulator of their batch verification (spec §9).
pub mod proofs {
    pub use crate::proofs::batch::{
        BATCH_TAG, CHUNKS_PER_THREAD, MAX_CHUNK, MAX_RESERVED_TERMS, MIN_CHUNK, PROOF_DIGEST_TAG,
        verify_batch,
    };
    pub use crate::proofs::range::MAX_BRANCHES;
    pub use crate::proofs::{
        DleqProof, DleqStatement, Msm, ProofError, RangeProof, RangeStatement, RangeWitness,
        SchnorrProof, SchnorrStatement, Slot, proof_digest,
    };
}

/// Every Fiat-Shamir label, tag and domain of the protocol (spec §3), and the first lines of
/// every election transcript.
pub mod transcript {
    pub use crate::transcript::{
        BASE_HASH_TAG, CREDENTIAL_TAG, DECRYPTED_TALLY_TAG, HASH_TO_GROUP_TAG,
        NULLIFIER_BASE_DOMAIN, PROTOCOL_VERSION, TRACKING_CODE_TAG, TRANSCRIPT_LABEL, domain,
        election_transcript, label, purpose,
    };
}

/// The board's receipt tree (RFC 9162, spec §11.2) and its durable log's framing (§11.7).
pub mod board {
    pub use crate::board::merkle::{
        LEAF_TAG, MAX_BATCH, MAX_DEPTH, NODE_TAG, leaf, root, root_and_paths, root_from_path,
    };
    pub use crate::board::store::{HEADER_LEN, MAGIC, MAX_RECORD_BODY, encode_record};
}
