//! Disjunctive Chaum-Pedersen proof (Cramer-Damgård-Schoenmakers) that a ciphertext encrypts an
//! integer in `low..=high`.
//!
//! Statement: election key `K`, ciphertexts `(Aᵢ, Bᵢ)` whose sum `(A, B)` is the ciphertext
//! spoken about (one ciphertext for a selection, all of a contest's for its sum), and the range.
//! Witness: `v ∈ low..=high` and `r` with `(A, B) = (r·G, v·G + r·K)`.
//!
//! Branch `j` (`j = 0..n`, `n = high − low + 1`) claims `v = mⱼ = low + j`, i.e. that
//! `(A, B − mⱼ·G)` is a DH tuple over `(G, K)`:
//!
//! ```text
//! transcript ← dom-sep "range", range-low, range-high, election-key K, count, (Aᵢ, Bᵢ)…
//! transcript ← commitment aⱼ, commitment bⱼ  for j = 0..n
//! c = challenge;  c_{n−1} = c − Σ_{j<n−1} cⱼ
//! verify, for every j:  aⱼ + cⱼ·A − sⱼ·G = 0   and   bⱼ + cⱼ·(B − mⱼ·G) − sⱼ·K = 0
//! ```
//!
//! # The prover is constant time
//!
//! Every branch is computed by the same operations; the real one is chosen with
//! `conditional_select`. With `tⱼ = sⱼ − cⱼ·r` and `eⱼ = −cⱼ·(v − mⱼ)`, both the simulated
//! and the real branch are
//!
//! ```text
//! aⱼ = tⱼ·G,   bⱼ = tⱼ·K + eⱼ·G
//! ```
//!
//! (for the real branch, before the challenge: `cⱼ = 0`, `tⱼ = u` the nonce), so the prover uses
//! only fixed-base multiplications, by `G` and by the election key's table.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::batch::Slot;
use super::{Msm, ProofError, proof_digest};
use crate::codec::{Reader, Wire, wire_serde};
use crate::elgamal::{Ciphertext, ElectionKey};
use crate::error::EncodingError;
use crate::group::Element;
use crate::secret::SecretScalar;
use crate::transcript::{TranscriptProtocol, domain, label, random_scalar};

/// The largest number of values a range may have.
pub const MAX_BRANCHES: usize = 256;

/// The public statement: the sum of `ciphertexts` encrypts a value in `low..=high` under `key`.
#[derive(Clone, Copy, Debug)]
pub struct RangeStatement<'a> {
    /// The election key `K`.
    pub key: &'a ElectionKey,
    /// The ciphertexts whose sum is spoken about (at least one).
    pub ciphertexts: &'a [Ciphertext],
    /// The smallest allowed value.
    pub low: u32,
    /// The largest allowed value.
    pub high: u32,
}

/// The secret witness: the value and the nonce of the (summed) ciphertext.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct RangeWitness {
    value: u32,
    nonce: Scalar,
}

impl RangeWitness {
    /// The witness `(v, r)`.
    pub fn new(value: u32, nonce: &SecretScalar) -> Self {
        Self {
            value,
            nonce: *nonce.expose(),
        }
    }
}

impl core::fmt::Debug for RangeWitness {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RangeWitness(<redacted>)")
    }
}

/// A range proof in batchable form.
///
/// # Layout
///
/// `n` (u16, big-endian, `1 ≤ n ≤ 256`) ‖ `n` × (`aⱼ` (32) ‖ `bⱼ` (32)) ‖ `n − 1` × `cⱼ` (32) ‖
/// `n` × `sⱼ` (32): `2 + 128·n − 32` bytes. The last branch's challenge is not stored; it is
/// `c − Σ cⱼ`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeProof {
    commitments: Vec<(Element, Element)>,
    challenges: Vec<Scalar>,
    responses: Vec<Scalar>,
}

impl RangeStatement<'_> {
    fn branches(&self) -> Result<usize, ProofError> {
        let bad = ProofError::BadRange {
            low: self.low,
            high: self.high,
        };
        if self.high < self.low || self.ciphertexts.is_empty() {
            return Err(bad);
        }
        let n = (self.high - self.low) as usize + 1;
        if n > MAX_BRANCHES { Err(bad) } else { Ok(n) }
    }

    fn absorb(&self, t: &mut Transcript) {
        t.domain_sep(domain::RANGE);
        t.append_u64(label::RANGE_LOW, u64::from(self.low));
        t.append_u64(label::RANGE_HIGH, u64::from(self.high));
        t.append_element(label::ELECTION_KEY, self.key.element());
        t.append_u64(label::CIPHERTEXT_COUNT, self.ciphertexts.len() as u64);
        for c in self.ciphertexts {
            t.append_element(label::CIPHERTEXT_A, &c.a);
            t.append_element(label::CIPHERTEXT_B, &c.b);
        }
    }
}

impl RangeProof {
    /// Proves that the statement's ciphertext sum encrypts `witness.value`, which must lie in
    /// the range. The prover's branch choice is constant time.
    ///
    /// # Errors
    /// [`ProofError::BadRange`] for an empty or oversized range; [`ProofError::FalseStatement`] if
    /// the value is outside it (the honest prover refuses to prove 2 in a 0/1 selection).
    pub fn prove<R: RngCore + CryptoRng>(
        witness: &RangeWitness,
        statement: &RangeStatement<'_>,
        transcript: &mut Transcript,
        rng: &mut R,
    ) -> Result<Self, ProofError> {
        let n = statement.branches()?;
        if witness.value < statement.low || witness.value > statement.high {
            return Err(ProofError::FalseStatement);
        }
        statement.absorb(transcript);
        let v = Scalar::from(witness.value);
        let r = &witness.nonce;
        let mut nonce_rng = transcript.witness_rng(&[&v, r], rng);
        let u = Zeroizing::new(random_scalar(&mut nonce_rng));

        let mut challenges = Zeroizing::new(Vec::with_capacity(n));
        let mut responses = Zeroizing::new(Vec::with_capacity(n));
        let mut commitments = Vec::with_capacity(n);
        for j in 0..n {
            let m = statement.low + j as u32;
            let real = witness.value.ct_eq(&m);
            let c_sim = random_scalar(&mut nonce_rng);
            let s_sim = random_scalar(&mut nonce_rng);
            // Before the challenge the real branch has c = 0 and t = u.
            let c = Scalar::conditional_select(&c_sim, &Scalar::ZERO, real);
            let t = Zeroizing::new(Scalar::conditional_select(&(s_sim - c_sim * r), &u, real));
            let e = Zeroizing::new(-(c * (v - Scalar::from(m))));
            let a = RISTRETTO_BASEPOINT_TABLE * &*t;
            let b = statement.key.mul(&t) + RISTRETTO_BASEPOINT_TABLE * &*e;
            commitments.push((
                Element::from_point_unchecked(a),
                Element::from_point_unchecked(b),
            ));
            challenges.push(c);
            responses.push(s_sim);
        }
        for (a, b) in &commitments {
            transcript.append_element(label::COMMITMENT, a);
            transcript.append_element(label::COMMITMENT, b);
        }
        let c = transcript.challenge_scalar(label::CHALLENGE);
        let simulated_sum: Scalar = challenges.iter().sum();
        let c_real = c - simulated_sum;
        let s_real = Zeroizing::new(*u + c_real * r);
        for (j, (cj, sj)) in challenges.iter_mut().zip(responses.iter_mut()).enumerate() {
            let real = witness.value.ct_eq(&(statement.low + j as u32));
            cj.conditional_assign(&c_real, real);
            sj.conditional_assign(&s_real, real);
        }
        challenges.pop(); // the last is c − Σ others; not stored
        Ok(Self {
            commitments,
            challenges: challenges.to_vec(),
            responses: responses.to_vec(),
        })
    }

    /// Number of branches.
    pub fn branches(&self) -> usize {
        self.commitments.len()
    }

    /// Adds the proof's `2n` equations to `msm`, as a group whose digest is
    /// [`proof_digest`]`(c; c₀ … c_{n−2}, s₀ … s_{n−1})` (see `crate::proofs::batch`): for
    /// each branch `j`, `aⱼ + cⱼ·A − sⱼ·G = 0` then `bⱼ + cⱼ·B − cⱼ·mⱼ·G − sⱼ·K = 0`.
    ///
    /// # Errors
    /// [`ProofError::BadRange`] or [`ProofError::WrongBranchCount`] before any arithmetic.
    pub fn accumulate(
        &self,
        statement: &RangeStatement<'_>,
        transcript: &mut Transcript,
        msm: &mut Msm,
    ) -> Result<(), ProofError> {
        self.accumulate_at(statement, transcript, msm, None)
            .map(|_| ())
    }

    /// [`RangeProof::accumulate`], with the points of the statement's ciphertexts either
    /// already in `msm` at `slots` (one `(A, B)` pair per ciphertext, pushed by the selection
    /// proofs of the same ballot: the sum `ΣA, ΣB` is then never computed, and its terms go to
    /// the points it is the sum of), or pushed here. Returns where the terms on `A` and `B` of
    /// a one-ciphertext statement went.
    ///
    /// # Errors
    /// As [`RangeProof::accumulate`].
    pub(crate) fn accumulate_at(
        &self,
        statement: &RangeStatement<'_>,
        transcript: &mut Transcript,
        msm: &mut Msm,
        slots: Option<&[(Slot, Slot)]>,
    ) -> Result<Option<(Slot, Slot)>, ProofError> {
        let n = statement.branches()?;
        if self.branches() != n {
            return Err(ProofError::WrongBranchCount {
                expected: n,
                found: self.branches(),
            });
        }
        statement.absorb(transcript);
        for (a, b) in &self.commitments {
            transcript.append_element(label::COMMITMENT, a);
            transcript.append_element(label::COMMITMENT, b);
        }
        let c = transcript.challenge_scalar(label::CHALLENGE);

        let last = c - self.challenges.iter().sum::<Scalar>();
        // Where the terms on the statement's (A, B) go: the ciphertexts' own points when the
        // selection proofs of the same fold pushed them, or else points pushed here with no term
        // of their own (every branch adds its terms at their slots).
        let own: [(Slot, Slot); 1];
        let (targets, pushed): (&[(Slot, Slot)], _) = match (slots, statement.ciphertexts) {
            (Some(slots), ciphertexts) if slots.len() == ciphertexts.len() => (slots, None),
            (_, [single]) => {
                own = [(
                    msm.push(Scalar::ZERO, &single.a),
                    msm.push(Scalar::ZERO, &single.b),
                )];
                (&own, Some(own[0]))
            }
            (_, ciphertexts) => {
                let sum = Ciphertext::sum(ciphertexts);
                own = [(
                    msm.push_point(Scalar::ZERO, sum.a),
                    msm.push_point(Scalar::ZERO, sum.b),
                )];
                (&own, None)
            }
        };
        let mut key: Option<Slot> = None;
        msm.reserve(2 * n);
        for j in 0..n {
            let cj = self.challenges.get(j).copied().unwrap_or(last);
            let sj = self.responses[j];
            let (a, b) = &self.commitments[j];
            // aⱼ + cⱼ·A − sⱼ·G = 0
            msm.push(Scalar::ONE, a);
            for &(at_a, _) in targets {
                msm.push_at(cj, at_a);
            }
            msm.push_generator(-sj);
            msm.end_equation();
            // bⱼ + cⱼ·B − cⱼ·mⱼ·G − sⱼ·K = 0; mⱼ is public, and 0 or 1 for every selection, so
            // its product is mostly skipped (vartime on public data).
            msm.push(Scalar::ONE, b);
            for &(_, at_b) in targets {
                msm.push_at(cj, at_b);
            }
            match statement.low + j as u32 {
                0 => {}
                1 => msm.push_generator(-cj),
                mj => msm.push_generator(-(cj * Scalar::from(mj))),
            }
            match key {
                Some(slot) => msm.push_at(-sj, slot),
                None => key = Some(msm.push(-sj, statement.key.element())),
            }
            msm.end_equation();
        }
        msm.end_group(proof_digest(
            &c,
            self.challenges.iter().chain(&self.responses),
        ));
        Ok(pushed)
    }

    /// Verifies this proof alone.
    ///
    /// # Errors
    /// [`ProofError::Invalid`] if an equation does not hold; the errors of [`Self::accumulate`].
    pub fn verify(
        &self,
        statement: &RangeStatement<'_>,
        transcript: &mut Transcript,
    ) -> Result<(), ProofError> {
        let mut msm = Msm::with_shared(&[*statement.key.element()]);
        self.accumulate(statement, transcript, &mut msm)?;
        if msm.holds_vartime() {
            Ok(())
        } else {
            Err(ProofError::Invalid)
        }
    }

    /// Length of the encoding of a proof with `n` branches.
    pub const fn encoded_len(n: usize) -> usize {
        2 + 128 * n - 32
    }
}

impl Wire for RangeProof {
    const NAME: &'static str = "range_proof";
    const MAX_LEN: usize = Self::encoded_len(MAX_BRANCHES);

    fn encode(&self) -> Vec<u8> {
        let n = self.branches();
        let mut out = Vec::with_capacity(Self::encoded_len(n));
        out.extend_from_slice(&(n as u16).to_be_bytes());
        for (a, b) in &self.commitments {
            out.extend_from_slice(a.as_bytes());
            out.extend_from_slice(b.as_bytes());
        }
        for c in &self.challenges {
            out.extend_from_slice(c.as_bytes());
        }
        for s in &self.responses {
            out.extend_from_slice(s.as_bytes());
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes);
        let n = usize::from(r.u16("range_proof.branches")?);
        if n == 0 || n > MAX_BRANCHES {
            return Err(EncodingError::TooMany {
                field: "range_proof.branches",
                count: n,
                limit: MAX_BRANCHES,
            });
        }
        if r.remaining() != Self::encoded_len(n) - 2 {
            return Err(EncodingError::WrongLength {
                field: Self::NAME,
                expected: Self::encoded_len(n),
                actual: bytes.len(),
            });
        }
        let mut commitments = Vec::with_capacity(n);
        for _ in 0..n {
            let a = r.element("range_proof.commitment_a")?;
            let b = r.element("range_proof.commitment_b")?;
            commitments.push((a, b));
        }
        let challenges = (0..n - 1)
            .map(|_| r.scalar("range_proof.challenge"))
            .collect::<Result<_, _>>()?;
        let responses = (0..n)
            .map(|_| r.scalar("range_proof.response"))
            .collect::<Result<_, _>>()?;
        r.finish(Self::NAME)?;
        Ok(Self {
            commitments,
            challenges,
            responses,
        })
    }
}

wire_serde!(RangeProof);
crate::codec::wire_bytes!(RangeProof);

#[cfg(test)]
mod tests;
