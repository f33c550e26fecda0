//! Schnorr proof of knowledge of a discrete logarithm to the base `G`.
//!
//! Statement: a public element `P`. Witness: `x` with `P = x·G`.
//!
//! ```text
//! transcript ← dom-sep "schnorr", base G, public P
//! k ← witness_rng(x);  R = k·G;  transcript ← commitment R
//! c = challenge;  s = k + c·x
//! verify:  s·G − R − c·P = 0
//! ```
//!
//! Used for channel countersignatures and trustees' proofs of possession, each under its own
//! transcript purpose and context.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};

use super::{Msm, ProofError, proof_digest};
use crate::codec::{Reader, Wire, wire_serde};
use crate::error::EncodingError;
use crate::group::Element;
use crate::secret::SecretScalar;
use crate::transcript::{TranscriptProtocol, domain, label, random_scalar};
use curve25519_dalek::scalar::Scalar;

/// The public statement: `P = x·G` for some `x` the prover knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchnorrStatement {
    /// `P`.
    pub public: Element,
}

/// A Schnorr proof in batchable form.
///
/// # Layout
///
/// 64 bytes: commitment `R` (32) ‖ response `s` (32, canonical scalar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchnorrProof {
    commitment: Element,
    response: Scalar,
}

impl SchnorrStatement {
    fn absorb(&self, t: &mut Transcript) {
        t.domain_sep(domain::SCHNORR);
        t.append_element(label::BASE, &Element::generator());
        t.append_element(label::PUBLIC, &self.public);
    }
}

impl SchnorrProof {
    /// Length of the encoding.
    pub const LEN: usize = 64;

    /// Proves knowledge of `x` with `statement.public = x·G`. A wrong witness gives a proof that
    /// does not verify.
    pub fn prove<R: RngCore + CryptoRng>(
        witness: &SecretScalar,
        statement: &SchnorrStatement,
        transcript: &mut Transcript,
        rng: &mut R,
    ) -> Self {
        statement.absorb(transcript);
        let mut nonce_rng = transcript.witness_rng(&[witness.expose()], rng);
        let k = SecretScalar::new(random_scalar(&mut nonce_rng));
        let commitment = Element::from_point_unchecked(RISTRETTO_BASEPOINT_TABLE * k.expose());
        transcript.append_element(label::COMMITMENT, &commitment);
        let c = transcript.challenge_scalar(label::CHALLENGE);
        Self {
            commitment,
            response: k.expose() + c * witness.expose(),
        }
    }

    /// Adds this proof's equation `R + c·P − s·G = 0` to `msm`, as a group whose digest is
    /// [`proof_digest`]`(c; s)` (see `crate::proofs::batch`).
    pub fn accumulate(
        &self,
        statement: &SchnorrStatement,
        transcript: &mut Transcript,
        msm: &mut Msm,
    ) {
        statement.absorb(transcript);
        transcript.append_element(label::COMMITMENT, &self.commitment);
        let c = transcript.challenge_scalar(label::CHALLENGE);
        msm.push(Scalar::ONE, &self.commitment);
        msm.push(c, &statement.public);
        msm.push_generator(-self.response);
        msm.end_group(proof_digest(&c, [&self.response]));
    }

    /// Verifies this proof alone.
    ///
    /// # Errors
    /// [`ProofError::Invalid`] if the equation does not hold.
    pub fn verify(
        &self,
        statement: &SchnorrStatement,
        transcript: &mut Transcript,
    ) -> Result<(), ProofError> {
        let mut msm = Msm::new();
        self.accumulate(statement, transcript, &mut msm);
        if msm.holds_vartime() {
            Ok(())
        } else {
            Err(ProofError::Invalid)
        }
    }
}

impl Wire for SchnorrProof {
    const NAME: &'static str = "schnorr_proof";
    const MAX_LEN: usize = Self::LEN;

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.extend_from_slice(self.commitment.as_bytes());
        out.extend_from_slice(self.response.as_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes);
        let commitment = r.element("schnorr_proof.commitment")?;
        let response = r.scalar("schnorr_proof.response")?;
        r.finish(Self::NAME)?;
        Ok(Self {
            commitment,
            response,
        })
    }
}

wire_serde!(SchnorrProof);
crate::codec::wire_bytes!(SchnorrProof);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{flip_each_byte, test_rng};
    use curve25519_dalek::ristretto::RistrettoPoint;

    fn transcript() -> Transcript {
        crate::transcript::election_transcript(
            crate::transcript::purpose::COUNTERSIGNATURE,
            &[7; 32],
        )
    }

    fn setup() -> (SecretScalar, SchnorrStatement, SchnorrProof) {
        let x = SecretScalar::new(Scalar::from(1234567u64));
        let public = Element::from_point_as(RistrettoPoint::mul_base(x.expose()), "p").unwrap();
        let statement = SchnorrStatement { public };
        let proof = SchnorrProof::prove(&x, &statement, &mut transcript(), &mut test_rng(1));
        (x, statement, proof)
    }

    #[test]
    fn honest_proof_verifies_and_round_trips() {
        let (_, statement, proof) = setup();
        assert_eq!(proof.verify(&statement, &mut transcript()), Ok(()));
        assert_eq!(SchnorrProof::decode(&proof.encode()).unwrap(), proof);
    }

    #[test]
    fn other_statement_or_election_fails() {
        let (_, statement, proof) = setup();
        let other = SchnorrStatement {
            public: Element::generator(),
        };
        assert_eq!(
            proof.verify(&other, &mut transcript()),
            Err(ProofError::Invalid)
        );
        let mut other_election = crate::transcript::election_transcript(
            crate::transcript::purpose::COUNTERSIGNATURE,
            &[8; 32],
        );
        assert_eq!(
            proof.verify(&statement, &mut other_election),
            Err(ProofError::Invalid)
        );
        let mut other_purpose = crate::transcript::election_transcript(
            crate::transcript::purpose::TRUSTEE_POSSESSION,
            &[7; 32],
        );
        assert_eq!(
            proof.verify(&statement, &mut other_purpose),
            Err(ProofError::Invalid)
        );
    }

    #[test]
    fn every_changed_byte_fails() {
        let (_, statement, proof) = setup();
        flip_each_byte(&proof.encode(), |bytes| match SchnorrProof::decode(bytes) {
            Ok(p) => p.verify(&statement, &mut transcript()).is_err(),
            Err(_) => true,
        });
    }

    #[test]
    fn wrong_witness_does_not_verify() {
        let (_, statement, _) = setup();
        let wrong = SecretScalar::new(Scalar::from(99u8));
        let proof = SchnorrProof::prove(&wrong, &statement, &mut transcript(), &mut test_rng(2));
        assert_eq!(
            proof.verify(&statement, &mut transcript()),
            Err(ProofError::Invalid)
        );
    }
}
