//! Chaum-Pedersen proof of equality of discrete logarithms.
//!
//! Statement: bases `G₁`, `G₂` and publics `P₁`, `P₂`. Witness: `x` with `P₁ = x·G₁` and
//! `P₂ = x·G₂`.
//!
//! ```text
//! transcript ← dom-sep "dleq", base G₁, public P₁, base G₂, public P₂
//! k ← witness_rng(x);  R₁ = k·G₁, R₂ = k·G₂;  transcript ← commitment R₁, commitment R₂
//! c = challenge;  s = k + c·x
//! verify:  s·G₁ − R₁ − c·P₁ = 0  and  s·G₂ − R₂ − c·P₂ = 0
//! ```
//!
//! Used for the nullifier (`G₁ = G`, `P₁ = X` the roll entry, `G₂ = H_E`, `P₂ = N`) and for
//! decryption shares. The bases are whatever the calling protocol fixes; no public API of
//! nullivote lets a voter or trustee choose one.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};

use super::{Msm, ProofError, proof_digest};
use crate::codec::{Reader, Wire, wire_serde};
use crate::error::EncodingError;
use crate::group::Element;
use crate::secret::SecretScalar;
use crate::transcript::{TranscriptProtocol, domain, label, random_scalar};

/// The public statement `log_{G₁} P₁ = log_{G₂} P₂`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DleqStatement {
    /// `G₁`.
    pub base1: Element,
    /// `P₁ = x·G₁`.
    pub public1: Element,
    /// `G₂`.
    pub base2: Element,
    /// `P₂ = x·G₂`.
    pub public2: Element,
}

/// A Chaum-Pedersen proof in batchable form.
///
/// # Layout
///
/// 96 bytes: `R₁` (32) ‖ `R₂` (32) ‖ response `s` (32, canonical scalar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DleqProof {
    commitment1: Element,
    commitment2: Element,
    response: Scalar,
}

impl DleqStatement {
    fn absorb(&self, t: &mut Transcript) {
        t.domain_sep(domain::DLEQ);
        t.append_element(label::BASE, &self.base1);
        t.append_element(label::PUBLIC, &self.public1);
        t.append_element(label::BASE, &self.base2);
        t.append_element(label::PUBLIC, &self.public2);
    }
}

impl DleqProof {
    /// Length of the encoding.
    pub const LEN: usize = 96;

    /// Proves `log_{G₁} P₁ = log_{G₂} P₂ = x`. `mul1` and `mul2` compute `k·G₁` and `k·G₂` in
    /// constant time (a fixed-base table where the caller has one). A wrong witness gives a proof
    /// that does not verify.
    pub fn prove_with<R: RngCore + CryptoRng>(
        witness: &SecretScalar,
        statement: &DleqStatement,
        mul1: impl Fn(&Scalar) -> RistrettoPoint,
        mul2: impl Fn(&Scalar) -> RistrettoPoint,
        transcript: &mut Transcript,
        rng: &mut R,
    ) -> Self {
        statement.absorb(transcript);
        let mut nonce_rng = transcript.witness_rng(&[witness.expose()], rng);
        let k = SecretScalar::new(random_scalar(&mut nonce_rng));
        let commitment1 = Element::from_point_unchecked(mul1(k.expose()));
        let commitment2 = Element::from_point_unchecked(mul2(k.expose()));
        transcript.append_element(label::COMMITMENT, &commitment1);
        transcript.append_element(label::COMMITMENT, &commitment2);
        let c = transcript.challenge_scalar(label::CHALLENGE);
        Self {
            commitment1,
            commitment2,
            response: k.expose() + c * witness.expose(),
        }
    }

    /// Proves with plain constant-time variable-base multiplications.
    pub fn prove<R: RngCore + CryptoRng>(
        witness: &SecretScalar,
        statement: &DleqStatement,
        transcript: &mut Transcript,
        rng: &mut R,
    ) -> Self {
        let (b1, b2) = (*statement.base1.point(), *statement.base2.point());
        Self::prove_with(witness, statement, |k| b1 * k, |k| b2 * k, transcript, rng)
    }

    /// Adds this proof's two equations `R₁ + c·P₁ − s·G₁ = 0` and `R₂ + c·P₂ − s·G₂ = 0` to `msm`,
    /// as a group whose digest is [`proof_digest`]`(c; s)` (see `crate::proofs::batch`).
    pub fn accumulate(
        &self,
        statement: &DleqStatement,
        transcript: &mut Transcript,
        msm: &mut Msm,
    ) {
        statement.absorb(transcript);
        transcript.append_element(label::COMMITMENT, &self.commitment1);
        transcript.append_element(label::COMMITMENT, &self.commitment2);
        let c = transcript.challenge_scalar(label::CHALLENGE);
        let minus_s = -self.response;
        msm.push(Scalar::ONE, &self.commitment1);
        msm.push(c, &statement.public1);
        msm.push(minus_s, &statement.base1);
        msm.end_equation();
        msm.push(Scalar::ONE, &self.commitment2);
        msm.push(c, &statement.public2);
        msm.push(minus_s, &statement.base2);
        msm.end_group(proof_digest(&c, [&self.response]));
    }

    /// Verifies this proof alone.
    ///
    /// # Errors
    /// [`ProofError::Invalid`] if either equation does not hold.
    pub fn verify(
        &self,
        statement: &DleqStatement,
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

impl Wire for DleqProof {
    const NAME: &'static str = "dleq_proof";
    const MAX_LEN: usize = Self::LEN;

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.extend_from_slice(self.commitment1.as_bytes());
        out.extend_from_slice(self.commitment2.as_bytes());
        out.extend_from_slice(self.response.as_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes);
        let commitment1 = r.element("dleq_proof.commitment1")?;
        let commitment2 = r.element("dleq_proof.commitment2")?;
        let response = r.scalar("dleq_proof.response")?;
        r.finish(Self::NAME)?;
        Ok(Self {
            commitment1,
            commitment2,
            response,
        })
    }
}

wire_serde!(DleqProof);
crate::codec::wire_bytes!(DleqProof);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::hash_to_group;
    use crate::testing::{flip_each_byte, test_rng};

    fn transcript() -> Transcript {
        crate::transcript::election_transcript(crate::transcript::purpose::ELIGIBILITY, &[3; 32])
    }

    fn setup() -> (SecretScalar, DleqStatement, DleqProof) {
        let x = SecretScalar::new(Scalar::from(987654321u64));
        let h = Element::from_point_as(hash_to_group(b"test", b"h"), "h").unwrap();
        let statement = DleqStatement {
            base1: Element::generator(),
            public1: Element::from_point_as(RistrettoPoint::mul_base(x.expose()), "p1").unwrap(),
            base2: h,
            public2: Element::from_point_as(h.point() * x.expose(), "p2").unwrap(),
        };
        let proof = DleqProof::prove(&x, &statement, &mut transcript(), &mut test_rng(1));
        (x, statement, proof)
    }

    #[test]
    fn honest_proof_verifies_and_round_trips() {
        let (_, statement, proof) = setup();
        assert_eq!(proof.verify(&statement, &mut transcript()), Ok(()));
        assert_eq!(DleqProof::decode(&proof.encode()).unwrap(), proof);
    }

    #[test]
    fn each_statement_change_fails() {
        let (_, s, proof) = setup();
        let g = Element::generator();
        let g2 = Element::from_point_as(g.point() + g.point(), "g2").unwrap();
        // N replaced by N + G (attack 13), and every other single change.
        let n_plus_g = Element::from_point_as(s.public2.point() + g.point(), "n").unwrap();
        for changed in [
            DleqStatement {
                public2: n_plus_g,
                ..s
            },
            DleqStatement { public1: g2, ..s },
            DleqStatement { base2: g2, ..s },
            DleqStatement { base1: g2, ..s },
        ] {
            assert_eq!(
                proof.verify(&changed, &mut transcript()),
                Err(ProofError::Invalid)
            );
        }
    }

    #[test]
    fn unequal_logarithms_do_not_verify() {
        let (x, s, _) = setup();
        let other =
            Element::from_point_as(s.base2.point() * (x.expose() + Scalar::ONE), "p2").unwrap();
        let false_statement = DleqStatement {
            public2: other,
            ..s
        };
        let proof = DleqProof::prove(&x, &false_statement, &mut transcript(), &mut test_rng(2));
        assert_eq!(
            proof.verify(&false_statement, &mut transcript()),
            Err(ProofError::Invalid)
        );
    }

    #[test]
    fn every_changed_byte_fails() {
        let (_, statement, proof) = setup();
        flip_each_byte(&proof.encode(), |bytes| match DleqProof::decode(bytes) {
            Ok(p) => p.verify(&statement, &mut transcript()).is_err(),
            Err(_) => true,
        });
    }
}
