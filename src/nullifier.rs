//! Nullifiers and the eligibility proof that binds a ballot to a voter.
//!
//! The nullifier of the voter with credential secret `x` in election `E` is
//!
//! ```text
//! N = x·H_E,    H_E = hash_to_group("nullifier-base", base_hash_E)
//! ```
//!
//! Deterministic (every ballot of that voter in `E`, on any channel, carries the same `N`), so the
//! board groups ballots by `N` and applies the channel precedence; unlinkable across elections
//! (`H_E` differs); and it reveals neither `x` nor the vote.
//!
//! [`Eligibility`] proves that `N` was made from a credential on the roll. In this version it
//! names the roll entry `X = x·G` and proves `log_G X = log_{H_E} N` (Chaum-Pedersen); its
//! transcript absorbs the whole ballot body first, so the proof is also the ballot's signature.
//! The enum leaves room for an anonymous mode (a one-out-of-many proof over the roll with `N`
//! as key image) behind the same interface.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::codec::{Reader, Wire, wire_serde};
use crate::credential::{CredentialSecret, PublicCredential};
use crate::election::Election;
use crate::error::EncodingError;
use crate::group::Element;
use crate::proofs::{DleqProof, DleqStatement, Msm};
use crate::secret::SecretScalar;

/// A ballot's nullifier `N = x·H_E`. Published.
///
/// # Layout
///
/// 32 bytes: the canonical encoding of `N` (never the identity). Two nullifiers are equal only if
/// all 32 bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nullifier(Element);

impl Nullifier {
    /// Derives the nullifier of `secret` in `election` (constant time in `x`).
    pub fn derive(secret: &CredentialSecret, election: &Election) -> Self {
        Self(Element::from_point_unchecked(
            election.mul_nullifier_base(secret.expose()),
        ))
    }

    /// `N` as a group element.
    pub(crate) fn from_element(element: Element) -> Self {
        Self(element)
    }

    /// The nullifier as a group element.
    pub fn element(&self) -> &Element {
        &self.0
    }
}

impl Wire for Nullifier {
    const NAME: &'static str = "nullifier";
    const MAX_LEN: usize = 32;

    fn encode(&self) -> Vec<u8> {
        self.0.to_bytes().to_vec()
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        Element::decode_as(bytes, Self::NAME).map(Self)
    }
}

wire_serde!(Nullifier);
crate::codec::wire_bytes!(Nullifier);

/// Proof that a ballot's nullifier comes from a credential on the roll, binding the ballot body.
///
/// # Layout
///
/// kind (u8) then, for kind 0 (`Pseudonymous`): the roll entry `X` (32) ‖ the DLEQ proof (96).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Eligibility {
    /// Names the roll entry `X` and proves `log_G X = log_{H_E} N`.
    Pseudonymous {
        /// The voter's roll entry `X = x·G`.
        credential: PublicCredential,
        /// `DLEQ(G, X, H_E, N)` under the eligibility transcript.
        proof: DleqProof,
    },
}

impl Eligibility {
    const PSEUDONYMOUS: u8 = 0;

    fn statement(
        credential: &PublicCredential,
        nullifier: &Nullifier,
        election: &Election,
    ) -> DleqStatement {
        DleqStatement {
            base1: Element::generator(),
            public1: *credential.element(),
            base2: *election.nullifier_base(),
            public2: nullifier.0,
        }
    }

    /// Proves eligibility for `nullifier` under a transcript that has absorbed the ballot body.
    /// `credential` is `secret.public()`, which the caller has already computed.
    pub(crate) fn prove<R: RngCore + CryptoRng>(
        secret: &CredentialSecret,
        credential: PublicCredential,
        nullifier: &Nullifier,
        election: &Election,
        transcript: &mut Transcript,
        rng: &mut R,
    ) -> Self {
        let statement = Self::statement(&credential, nullifier, election);
        let witness = SecretScalar::new(*secret.expose());
        let proof = DleqProof::prove_with(
            &witness,
            &statement,
            |k| RISTRETTO_BASEPOINT_TABLE * k,
            |k| election.mul_nullifier_base(k),
            transcript,
            rng,
        );
        Self::Pseudonymous { credential, proof }
    }

    /// The roll entry this proof names.
    pub fn credential(&self) -> &PublicCredential {
        match self {
            Self::Pseudonymous { credential, .. } => credential,
        }
    }

    /// Adds the proof's equations to `msm`, under a transcript that has absorbed the ballot body.
    pub(crate) fn accumulate(
        &self,
        nullifier: &Nullifier,
        election: &Election,
        transcript: &mut Transcript,
        msm: &mut Msm,
    ) {
        match self {
            Self::Pseudonymous { credential, proof } => proof.accumulate(
                &Self::statement(credential, nullifier, election),
                transcript,
                msm,
            ),
        }
    }
}

crate::codec::wire_bytes!(Eligibility);

impl Wire for Eligibility {
    const NAME: &'static str = "eligibility";

    fn encode(&self) -> Vec<u8> {
        match self {
            Self::Pseudonymous { credential, proof } => {
                let mut out = Vec::with_capacity(1 + 32 + DleqProof::LEN);
                out.push(Self::PSEUDONYMOUS);
                out.extend_from_slice(credential.element().as_bytes());
                out.extend_from_slice(&proof.encode());
                out
            }
        }
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes);
        let value = Self::read(&mut r)?;
        r.finish(Self::NAME)?;
        Ok(value)
    }
}

impl Eligibility {
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, EncodingError> {
        match r.u8("eligibility.kind")? {
            Self::PSEUDONYMOUS => {
                let credential = PublicCredential::decode(r.take(32, "eligibility.credential")?)?;
                let proof = DleqProof::decode(r.take(DleqProof::LEN, "eligibility.proof")?)?;
                Ok(Self::Pseudonymous { credential, proof })
            }
            _ => Err(EncodingError::WrongTag {
                field: "eligibility.kind",
            }),
        }
    }
}
