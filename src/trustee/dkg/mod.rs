//! Dealerless key generation: Pedersen's DKG over Feldman VSS, with commit-then-reveal.
//!
//! The rounds are owned packages, so a trustee can stop between rounds (days, in a real
//! ceremony) and resume from disk: every `SecretPackage` has `to_secret_bytes` /
//! `from_secret_bytes`, and [`SavedState::load`] reads back whichever a trustee's secret file
//! holds; every public package is serde (JSON, hex points, unknown keys refused).
//! A trustee **saves its secret package before it sends the matching public package**, and after
//! a crash re-sends the identical package from the saved state (attack rule 8): every random
//! choice is made in [`part1`] and stored; [`part2`] to [`finish`] are deterministic, which is
//! why they take the secret package by reference and may be retried.
//!
//! ```text
//! part1 ─ round1::Package (digest)  ─▶ broadcast
//! part2 ─ round2::Package (reveal, encryption key) ─▶ broadcast  (only once all n digests are in)
//! part3 ─ round3::Package (sealed shares) ─▶ broadcast; each share opens for its recipient alone
//! part4 ─ round4::Package (complaints) ─▶ broadcast
//! resolve_complaints ─ round5::Package (answers) ─▶ broadcast
//! finish ─▶ TrusteeKey (never sent), PublicKeySet (published)
//! ```
//!
//! The module is in three rooms, along the spec's sections:
//!
//! - **the rounds and their packages** (§10.3, §10.5): [`round1`] … [`round5`], each with what
//!   a trustee sends (`Package`) and keeps (`SecretPackage`), and the steps [`part1`] …
//!   [`finish`], each citing its step of the spec;
//! - **the public checks** (§10.6, §10.9), which anyone can run on the broadcast packages with
//!   no trustee secret: [`verify_ceremony`] and [`CeremonyTranscript::verify`];
//! - **the saved states** (§10.8): [`SavedState`], the one loader of a trustee's secret file.
//!
//! # Transcripts and the missing base hash
//!
//! Every proof of an election binds to its base hash; but the base hash covers the outcome of this
//! ceremony (the joint key and
//! [`PublicKeySet::ceremony_digest`](super::PublicKeySet::ceremony_digest)), so it does not exist
//! yet. Key-generation transcripts bind instead to the **manifest digest** (which fixes the
//! election id and the policy `n`, `k`), then the trustee, the coefficient and the round:
//!
//! ```text
//! coefficients of trustee i:
//!   election_transcript("trustee-coefficients", manifest_digest)
//!   append_u64("trustee", i); append_u64("round", 1)
//!   → witness_rng(no witness, rng): a_{i,0}, …, a_{i,k−1}, each 64 bytes mod ℓ, never 0
//! proof of possession π_{i,j} of a_{i,j} (a Schnorr proof, statement C_{i,j} = a_{i,j}·G):
//!   election_transcript("trustee-possession", manifest_digest)
//!   append_u64("trustee", i); append_u64("coefficient", j); append_u64("round", 1)
//! ```
//!
//! The coefficient RNG is hedged: the OS RNG is mixed with a transcript of the manifest and the
//! trustee index, so a stuck RNG still gives different polynomials to different trustees and
//! elections. (There is no long-term trustee secret to rekey with, so a stuck RNG makes the
//! polynomial predictable: the deployment must still provide a working RNG.)
//!
//! # Digests
//!
//! With `prefix(p) = u64be(9) ‖ "nullivote" ‖ u16be(1) ‖ u64be(len p) ‖ p` and `md` the
//! manifest digest:
//!
//! ```text
//! h_i = SHA-256(prefix("trustee-commitment") ‖ md ‖ u16be(i)
//!               ‖ u64be(#C) ‖ C_{i,0} ‖ … ‖ u64be(#π) ‖ π_{i,0} ‖ … ‖ E_i ‖ π^E_i)   (round 1)
//! R   = SHA-256(prefix("trustee-reveals") ‖ md ‖ u16be(n) ‖ u16be(k)
//!               ‖ h_1 ‖ … ‖ h_n ‖ [u16be(i) ‖ C_{i,0..k} ‖ π_{i,0..k} ‖ E_i ‖ π^E_i] for i = 1..=n)
//! ceremony digest = SHA-256(prefix("trustee-ceremony") ‖ md ‖ u16be(n) ‖ u16be(k) ‖ R
//!               ‖ u32be(#complaints) ‖ [u16be(accuser) ‖ u16be(accused)]   ascending
//!               ‖ u32be(#answers) ‖ [u16be(dealer) ‖ u16be(accuser) ‖ share] ascending
//!               ‖ u16be(|Q|) ‖ [u16be(i)] for i ∈ Q ascending)
//! ```
//!
//! Points are their 32-byte canonical encodings, proofs their 64-byte encodings
//! ([`SchnorrProof`](crate::proofs::SchnorrProof)), shares 32-byte canonical scalars. `E_i` is
//! trustee `i`'s share-encryption key and `π^E_i` its proof of possession (see
//! [`SealedShare`](super::SealedShare)).
//!
//! # Failures
//!
//! Provable misbehaviour in rounds 1–2 (a reveal that does not match its digest, a wrong number of
//! commitments, a failing proof of possession) and malformed packages abort the ceremony with an
//! error naming the culprits ([`CeremonyError::culprits`](super::CeremonyError::culprits)); the
//! administrator replaces the trustee and starts again. A bad private share leads to a public
//! complaint, and a dealer that cannot answer it is excluded from the qualified set.

mod checks;
mod packages;
mod rounds;
mod saved;

#[cfg(test)]
mod tests;

pub use checks::{CeremonyTranscript, verify_ceremony};
pub use packages::{Complaint, round1, round2, round3, round4, round5};
pub use rounds::{finish, part1, part2, part3, part4, resolve_complaints, run_ceremony};
pub use saved::SavedState;
