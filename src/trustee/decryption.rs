//! Threshold decryption of aggregates (the homomorphic tally of each option).
//!
//! For each aggregate `(A, B)` ([`CiphertextSum`]), trustee `l` publishes
//!
//! ```text
//! D_l = x_l·A,   with a DLEQ proof of  log_G X_l = log_A D_l     (statement (G, X_l, A, D_l))
//! transcript: election_transcript("decryption-share", base_hash)
//!             append_message("board-head", head); append_u64("board-entries", entries)
//!             append_u64("trustee", l); append_u64("aggregate", a)
//!             then the DLEQ's own domain separator, statement and commitments
//! ```
//!
//! # One tally, bound to the board's head
//!
//! Every share binds the [`BoardHead`] of the board it decrypts: the digest of the board's last
//! entry at the close of voting and its number of entries, the values `record.json` publishes
//! (`board_head`, `board_entries`). A share made for another board (a doctored board holding one
//! member's ballot, or all but it; the real board with superseded ballots dropped afterwards)
//! fails against the published head ([`DecryptionError::ShareHead`], checked by [`combine`],
//! [`verify_decryption`] and the verifier's V10).
//!
//! A [`TrusteeKey`] decrypts **one tally**: [`TrusteeKey::decrypt_share`] records in the key the
//! head and a digest of the aggregates it decrypted, with the seed of its proof nonces; asked
//! again for the same tally it returns the identical share, and for any other it refuses
//! ([`DecryptionError::AlreadyDecrypted`]). The record lives in the key's saved state
//! ([`TrusteeKey::to_secret_bytes`]): save the key before publishing the share.
//!
//! and any `k` valid shares `S` give, with `λ_l = Π_{m∈S, m≠l} m/(m − l)`,
//!
//! ```text
//! M = B − Σ_{l∈S} λ_l·D_l = v·G,     v = dlog(M) ∈ 0..=max
//! ```
//!
//! # The empty aggregate
//!
//! When `A` is the identity (an option's sum over no ballots is `(0, 0)`; in principle also
//! ballots whose nonces cancel), every `x_l·A` is the identity too: there is nothing to prove
//! and `M = B` directly (for `(0, 0)`, `v = 0`). The identity is no [`Element`], so a share's
//! part for such an aggregate is **absent** (`null` in JSON), and a part must be present for
//! every other aggregate; any other shape is the share's fault
//! ([`DecryptionError::SharePartShape`]). If every aggregate is empty, decryption needs no share
//! at all.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use merlin::Transcript;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::keys::{Decrypted, PublicKeySet, TrusteeKey};
use super::{DecryptionError, IndexError, TrusteeIndex, lagrange_at_zero};
use crate::board::Entry;
use crate::codec::Wire;
use crate::digest::EntryDigest;
use crate::digest::{CeremonyDigest, ManifestDigest};
use crate::dlog::DiscreteLog;
use crate::election::{Election, base_hash};
use crate::elgamal::CiphertextSum;
use crate::group::Element;
use crate::manifest::TrusteePolicy;
use crate::proofs::batch::verify_batch;
use crate::proofs::{DleqProof, DleqStatement};
use crate::transcript::{DECRYPTED_TALLY_TAG, election_transcript, label, purpose};

/// The board a tally is the tally of, as fixed at the close of voting: the digest of its last
/// entry (the base hash for an empty board) and its number of entries. Published in
/// `record.json` (`board_head`, `board_entries`) and bound by every decryption share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BoardHead {
    /// The digest of the board's last entry (§11.1).
    pub digest: EntryDigest,
    /// The number of entries.
    pub entries: u64,
}

impl BoardHead {
    /// The board whose last entry has digest `digest`, with `entries` entries (a live
    /// [`crate::board::Board`]: `BoardHead::new(board.head(), board.entries().len() as u64)`).
    pub const fn new(digest: EntryDigest, entries: u64) -> Self {
        Self { digest, entries }
    }

    /// The head of the board holding `entries` of `election` (without checking the chain: the
    /// caller has verified it, e.g. with [`crate::board::verify_chain`]).
    pub fn of(election: &Election, entries: &[Entry]) -> Self {
        Self {
            digest: entries
                .last()
                .map_or(EntryDigest::genesis(election.base_hash()), Entry::digest),
            entries: entries.len() as u64,
        }
    }
}

impl core::fmt::Display for BoardHead {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "head {} after {} entries",
            hex::encode(self.digest.as_bytes()),
            self.entries
        )
    }
}

/// Whether a key decrypting a tally does so for the first time or again (the identical share).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecryptionRun {
    /// The key has decrypted nothing yet: decrypting records this tally in it, and the key must
    /// be saved before the share is published.
    First,
    /// The key decrypted this very tally before: the share is the identical one.
    Repeat,
}

/// One trustee's part for one non-empty aggregate: `D = x_l·A` and the proof.
///
/// JSON: `{"d": "<64 hex>", "proof": "<192 hex>"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialDecryption {
    pub(crate) d: Element,
    pub(crate) proof: DleqProof,
}

impl PartialDecryption {
    /// `D = x_l·A`.
    pub fn d(&self) -> &Element {
        &self.d
    }

    /// The DLEQ proof for `(G, X_l, A, D)`.
    pub fn proof(&self) -> &DleqProof {
        &self.proof
    }
}

/// Trustee `l`'s decryption share of a list of aggregates, made for the board of one head: one
/// part per aggregate, absent exactly where the aggregate's `A` is the identity (see the
/// [module docs](self)). Published.
///
/// JSON: `{"trustee": 3, "board_head": "<64 hex>", "board_entries": 32, "parts": [{"d": …,
/// "proof": …}, null, …]}` (unknown keys refused).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptionShare {
    pub(crate) trustee: TrusteeIndex,
    pub(crate) board_head: EntryDigest,
    pub(crate) board_entries: u64,
    pub(crate) parts: Vec<Option<PartialDecryption>>,
}

impl DecryptionShare {
    /// The trustee `l`.
    pub fn trustee(&self) -> TrusteeIndex {
        self.trustee
    }

    /// The board whose tally this share claims to decrypt (its proofs bind it).
    pub fn head(&self) -> BoardHead {
        BoardHead {
            digest: self.board_head,
            entries: self.board_entries,
        }
    }

    /// One part per aggregate.
    pub fn parts(&self) -> &[Option<PartialDecryption>] {
        &self.parts
    }
}

/// The result of [`combine`]: the plaintexts, the trustees whose shares were combined, and
/// the invalid shares that were skipped, each with the error naming its trustee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decryption {
    values: Vec<u64>,
    used: Vec<TrusteeIndex>,
    skipped: Vec<DecryptionError>,
}

impl Decryption {
    /// `v` for each aggregate, in order.
    pub fn values(&self) -> &[u64] {
        &self.values
    }

    /// The `k` trustees whose shares were combined, ascending (empty if every aggregate was
    /// empty).
    pub fn used(&self) -> &[TrusteeIndex] {
        &self.used
    }

    /// Why each skipped share was refused.
    pub fn skipped(&self) -> &[DecryptionError] {
        &self.skipped
    }

    /// The trustees whose shares were skipped, ascending.
    pub fn skipped_culprits(&self) -> Vec<TrusteeIndex> {
        DecryptionError::Several(self.skipped.clone()).culprits()
    }
}

impl TrusteeKey {
    /// Whether this key may decrypt `aggregates` as the tally of the board `head`: the first
    /// time ([`DecryptionRun::First`]), or again the very tally it decrypted
    /// ([`DecryptionRun::Repeat`], which gives the identical share). Changes nothing; a caller
    /// asks it before showing the trustee what is about to be decrypted.
    ///
    /// # Errors
    /// [`DecryptionError::ElectionMismatch`] as for [`TrusteeKey::decrypt_share`];
    /// [`DecryptionError::AlreadyDecrypted`] if the key decrypted another tally (another head, or
    /// other aggregates under the same head).
    pub fn check_decryption(
        &self,
        election: &Election,
        head: &BoardHead,
        aggregates: &[CiphertextSum],
    ) -> Result<DecryptionRun, DecryptionError> {
        check_election(
            election,
            self.policy(),
            self.manifest_digest(),
            &self.joint_key(),
            &self.ceremony_digest(),
        )?;
        let tally = tally_digest(aggregates);
        match self.decrypted() {
            None => Ok(DecryptionRun::First),
            Some(done) if done.head == *head && done.tally == tally => Ok(DecryptionRun::Repeat),
            Some(done) => Err(DecryptionError::AlreadyDecrypted {
                trustee: self.trustee(),
                head: done.head,
            }),
        }
    }

    /// Trustee `l`'s decryption share of `aggregates`, the tally of the board `head` (the head
    /// published at the close of voting, which every proof binds): for each aggregate with
    /// `A ≠ 0`, `D = x_l·A` (constant time in `x_l`) and a DLEQ proof with hedged nonces;
    /// nothing for `A = 0`.
    ///
    /// **One tally per key.** The first call records `head`, a digest of `aggregates` and a
    /// 32-byte nonce seed drawn from `rng` in the key; save the key
    /// ([`TrusteeKey::to_secret_bytes`]) *before* publishing the share, or a restarted trustee
    /// could be made to decrypt a second tally. A later call for the same tally returns the
    /// identical share (the nonces come from the saved seed, the transcript and `x_l`); any
    /// other tally is refused. The trustee must compute `aggregates` itself from the board of
    /// `head` (the board cannot lie about them then) and must compare `head` with the one
    /// published at the close of voting: this rule stops a second decryption, not a first one
    /// of a doctored board.
    ///
    /// # Errors
    /// [`DecryptionError::ElectionMismatch`] unless the election was set up with this key's joint
    /// key, ceremony digest, manifest and policy; [`DecryptionError::AlreadyDecrypted`] if the key
    /// decrypted another tally. Nothing is recorded on an error.
    pub fn decrypt_share<R: RngCore + CryptoRng>(
        &mut self,
        election: &Election,
        head: &BoardHead,
        aggregates: &[CiphertextSum],
        rng: &mut R,
    ) -> Result<DecryptionShare, DecryptionError> {
        if self.check_decryption(election, head, aggregates)? == DecryptionRun::First {
            let mut seed = [0u8; 32];
            rng.fill_bytes(&mut seed);
            self.record_decryption(Decrypted::new(*head, tally_digest(aggregates), seed));
            zeroize::Zeroize::zeroize(&mut seed);
        }
        // The nonces' RNG: ChaCha20 of the saved seed, which finalises each proof's transcript
        // RNG (rekeyed with x_l), so the same tally gives the same share. The seed alone does
        // not give the nonces: they depend on x_l too.
        let Some(done) = self.decrypted() else {
            return Err(DecryptionError::CorruptKey {
                reason: "the decryption was not recorded",
            });
        };
        let mut nonces = ChaCha20Rng::from_seed(*done.seed());
        let x_l = self.verification_share();
        let parts = aggregates
            .iter()
            .enumerate()
            .map(|(index, aggregate)| {
                let a = Element::from_point_as(aggregate.a, "aggregate.a").ok()?;
                // x_l ≠ 0 (X_l is not the identity) and the group has prime order: D ≠ 0.
                let d = Element::from_point_unchecked(a.point() * self.share().expose());
                let statement = DleqStatement {
                    base1: Element::generator(),
                    public1: x_l,
                    base2: a,
                    public2: d,
                };
                let base = *a.point();
                let proof = DleqProof::prove_with(
                    self.share(),
                    &statement,
                    |k| RISTRETTO_BASEPOINT_TABLE * k,
                    |k| base * k,
                    &mut share_transcript(election, head, self.trustee(), index),
                    &mut nonces,
                );
                Some(PartialDecryption { d, proof })
            })
            .collect();
        Ok(DecryptionShare {
            trustee: self.trustee(),
            board_head: head.digest,
            board_entries: head.entries,
            parts,
        })
    }
}

/// `SHA-256(framed("nullivote/1/decrypted-tally") ‖ u64be(count) ‖ enc(A_a) ‖ enc(B_a) …)`: what
/// a key remembers of the aggregates it decrypted (§10.8).
pub(crate) fn tally_digest(aggregates: &[CiphertextSum]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((DECRYPTED_TALLY_TAG.len() as u64).to_be_bytes());
    h.update(DECRYPTED_TALLY_TAG);
    h.update((aggregates.len() as u64).to_be_bytes());
    for aggregate in aggregates {
        h.update(aggregate.encode());
    }
    h.finalize().into()
}

/// Decrypts `aggregates`, the tally of the board `head`, from the trustees' shares.
///
/// Every share is checked (its head is `head`, its shape, then all DLEQ proofs in one batch,
/// each bound to `head`; on failure each bad share is found and named); invalid shares are
/// skipped and listed in
/// [`Decryption::skipped`]. The first `k` valid shares by trustee index are combined with
/// Lagrange coefficients at 0, `M = B − Σ λ_l·D_l`, and `v = dlog(M)` with a table for
/// `0..=max` ([`DiscreteLog`]). No secret is reconstructed; any `k` valid shares give the same
/// result, because the verification shares of a [`PublicKeySet`] lie on one polynomial.
///
/// # Errors
/// [`DecryptionError::ElectionMismatch`]; [`DecryptionError::DuplicateShare`] if two shares claim
/// one trustee; [`DecryptionError::TooFewShares`] (naming the invalid ones) if fewer than `k` valid
/// shares remain and some aggregate is not empty; [`DecryptionError::TallyBound`] if `max` is above
/// [`crate::dlog::MAX_BOUND`]; [`DecryptionError::Tally`] if an aggregate decrypts to no value in
/// `0..=max`.
pub fn combine(
    public: &PublicKeySet,
    election: &Election,
    head: &BoardHead,
    aggregates: &[CiphertextSum],
    shares: &[DecryptionShare],
    max: u64,
) -> Result<Decryption, DecryptionError> {
    check_public(public, election)?;
    let checked = check_shares(public, election, head, aggregates, shares)?;
    let used = select(public.policy(), aggregates, &checked)?;
    let points = decrypted_points(aggregates, &used);
    let dlog = DiscreteLog::new(max).map_err(DecryptionError::TallyBound)?;
    let values = points
        .iter()
        .enumerate()
        .map(|(aggregate, m)| {
            dlog.solve(m)
                .map_err(|source| DecryptionError::Tally { aggregate, source })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Decryption {
        values,
        used: used.iter().map(|s| s.trustee).collect(),
        skipped: checked.invalid,
    })
}

/// Verifies a published decryption of `aggregates`, the tally of the board `head` (the head
/// `record.json` publishes): every share in `shares` must be valid and bind `head` (a record
/// publishes only valid shares, for example those of [`Decryption::used`]), there must be `k` of
/// them unless every aggregate is empty, and each claimed value must satisfy
///
/// ```text
/// v·G = B − Σ_{l∈S} λ_l·D_l
/// ```
///
/// for `S` the first `k` shares by trustee index. No discrete logarithm is computed.
///
/// # Errors
/// [`DecryptionError::ElectionMismatch`], [`DecryptionError::ClaimCount`],
/// [`DecryptionError::DuplicateShare`], the error of every invalid share (one, or
/// [`DecryptionError::Several`]; [`DecryptionError::ShareHead`] for a share of another board),
/// [`DecryptionError::TooFewShares`] and [`DecryptionError::ClaimMismatch`] naming the first wrong
/// aggregate.
pub fn verify_decryption(
    public: &PublicKeySet,
    election: &Election,
    head: &BoardHead,
    aggregates: &[CiphertextSum],
    shares: &[DecryptionShare],
    claimed: &[u64],
) -> Result<(), DecryptionError> {
    check_public(public, election)?;
    if claimed.len() != aggregates.len() {
        return Err(DecryptionError::ClaimCount {
            claimed: claimed.len(),
            aggregates: aggregates.len(),
        });
    }
    let checked = check_shares(public, election, head, aggregates, shares)?;
    if !checked.invalid.is_empty() {
        return Err(DecryptionError::from_list(checked.invalid));
    }
    let used = select(public.policy(), aggregates, &checked)?;
    let points = decrypted_points(aggregates, &used);
    for (aggregate, (m, &v)) in points.iter().zip(claimed).enumerate() {
        if *m != RistrettoPoint::mul_base(&Scalar::from(v)) {
            return Err(DecryptionError::ClaimMismatch {
                aggregate,
                claimed: v,
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

/// The transcript of trustee `l`'s proof for aggregate `a` of the tally of `head` (§3.7): the
/// head and the number of entries right after the common prefix, then `l` and `a`.
fn share_transcript(
    election: &Election,
    head: &BoardHead,
    trustee: TrusteeIndex,
    aggregate: usize,
) -> Transcript {
    let mut t = election_transcript(purpose::DECRYPTION_SHARE, election.base_hash().as_bytes());
    t.append_message(label::BOARD_HEAD, head.digest.as_bytes());
    t.append_u64(label::BOARD_ENTRIES, head.entries);
    t.append_u64(label::TRUSTEE, u64::from(trustee.get()));
    t.append_u64(label::AGGREGATE, aggregate as u64);
    t
}

/// The election was set up with this ceremony's outcome: same policy, manifest, joint key, and
/// a base hash over the ceremony digest.
fn check_election(
    election: &Election,
    policy: TrusteePolicy,
    manifest_digest: &ManifestDigest,
    joint_key: &Element,
    ceremony_digest: &CeremonyDigest,
) -> Result<(), DecryptionError> {
    let mismatch = |reason| Err(DecryptionError::ElectionMismatch { reason });
    let manifest = election.manifest();
    if manifest.trustees() != policy {
        return mismatch("the manifest's trustee policy differs");
    }
    if manifest.digest() != *manifest_digest {
        return mismatch("the ceremony was run for another manifest");
    }
    if election.key().element() != joint_key {
        return mismatch("the election key is not the joint key");
    }
    let expected = base_hash(manifest, joint_key, ceremony_digest, election.roll());
    if expected != *election.base_hash() {
        return mismatch("the base hash does not cover this ceremony digest");
    }
    Ok(())
}

fn check_public(public: &PublicKeySet, election: &Election) -> Result<(), DecryptionError> {
    check_election(
        election,
        public.policy(),
        public.manifest_digest(),
        &public.joint_key(),
        &public.ceremony_digest(),
    )
}

/// Shares split into valid ones (ascending by trustee) and the reasons for the others.
struct Checked<'a> {
    valid: Vec<&'a DecryptionShare>,
    invalid: Vec<DecryptionError>,
}

fn check_shares<'a>(
    public: &PublicKeySet,
    election: &Election,
    head: &BoardHead,
    aggregates: &[CiphertextSum],
    shares: &'a [DecryptionShare],
) -> Result<Checked<'a>, DecryptionError> {
    let mut indices: Vec<TrusteeIndex> = shares.iter().map(|s| s.trustee).collect();
    indices.sort_unstable();
    if let Some(w) = indices.windows(2).find(|w| w[0] == w[1]) {
        return Err(DecryptionError::DuplicateShare { trustee: w[0] });
    }
    // A (None where it is the identity), once.
    let bases: Vec<Option<Element>> = aggregates
        .iter()
        .map(|c| (!c.a.is_identity()).then(|| Element::from_point_unchecked(c.a)))
        .collect();

    let mut invalid = Vec::new();
    let mut candidates: Vec<(&DecryptionShare, Element)> = Vec::new();
    for share in shares {
        match shape(public, head, &bases, share) {
            Ok(x) => candidates.push((share, x)),
            Err(e) => invalid.push(e),
        }
    }
    let shared: Vec<Element> = candidates.iter().map(|(_, x)| *x).collect();
    let failures = verify_batch(
        &candidates,
        &shared,
        |(share, x), msm| {
            for (index, (part, base)) in share.parts.iter().zip(&bases).enumerate() {
                if let (Some(part), Some(a)) = (part, base) {
                    let statement = statement(*x, *a, part);
                    let mut t = share_transcript(election, head, share.trustee, index);
                    part.proof.accumulate(&statement, &mut t, msm);
                }
            }
            Ok::<(), DecryptionError>(())
        },
        |i| {
            let (share, x) = candidates[i];
            DecryptionError::DecryptionProof {
                trustee: share.trustee,
                aggregate: first_failing(election, head, &bases, share, x),
            }
        },
    )
    .err()
    .unwrap_or_default();
    let mut valid = Vec::with_capacity(candidates.len());
    for (i, (share, _)) in candidates.iter().enumerate() {
        match failures.iter().find(|(j, _)| *j == i) {
            Some((_, e)) => invalid.push(e.clone()),
            None => valid.push(*share),
        }
    }
    valid.sort_unstable_by_key(|s| s.trustee);
    Ok(Checked { valid, invalid })
}

/// The structural checks of a share (its trustee, its head, its parts); returns its trustee's
/// `X_l`.
fn shape(
    public: &PublicKeySet,
    head: &BoardHead,
    bases: &[Option<Element>],
    share: &DecryptionShare,
) -> Result<Element, DecryptionError> {
    let trustee = share.trustee.check(public.policy())?;
    let x = *public
        .verification_share(trustee)
        .ok_or(DecryptionError::Index(IndexError::OutOfRange {
            index: trustee.get(),
            count: public.policy().count(),
        }))?;
    if share.head() != *head {
        return Err(DecryptionError::ShareHead {
            trustee,
            found: share.head(),
            expected: *head,
        });
    }
    if share.parts.len() != bases.len() {
        return Err(DecryptionError::SharePartCount {
            trustee,
            expected: bases.len(),
            found: share.parts.len(),
        });
    }
    if let Some(aggregate) = share
        .parts
        .iter()
        .zip(bases)
        .position(|(part, base)| part.is_some() != base.is_some())
    {
        return Err(DecryptionError::SharePartShape { trustee, aggregate });
    }
    Ok(x)
}

fn statement(x: Element, a: Element, part: &PartialDecryption) -> DleqStatement {
    DleqStatement {
        base1: Element::generator(),
        public1: x,
        base2: a,
        public2: part.d,
    }
}

/// The first aggregate whose proof fails alone (for blame; the batch already failed).
fn first_failing(
    election: &Election,
    head: &BoardHead,
    bases: &[Option<Element>],
    share: &DecryptionShare,
    x: Element,
) -> usize {
    share
        .parts
        .iter()
        .zip(bases)
        .enumerate()
        .position(|(index, (part, base))| match (part, base) {
            (Some(part), Some(a)) => part
                .proof
                .verify(
                    &statement(x, *a, part),
                    &mut share_transcript(election, head, share.trustee, index),
                )
                .is_err(),
            _ => false,
        })
        .unwrap_or(0)
}

/// The first `k` valid shares, or none if every aggregate is empty.
fn select<'a>(
    policy: TrusteePolicy,
    aggregates: &[CiphertextSum],
    checked: &Checked<'a>,
) -> Result<Vec<&'a DecryptionShare>, DecryptionError> {
    if aggregates.iter().all(|c| c.a.is_identity()) {
        return Ok(Vec::new());
    }
    let k = usize::from(policy.threshold());
    if checked.valid.len() < k {
        return Err(DecryptionError::TooFewShares {
            valid: checked.valid.len(),
            threshold: policy.threshold(),
            skipped: DecryptionError::Several(checked.invalid.clone()).culprits(),
        });
    }
    Ok(checked.valid[..k].to_vec())
}

/// `M = B − Σ_{l∈S} λ_l·D_l` for each aggregate (**variable time**: public data).
fn decrypted_points(
    aggregates: &[CiphertextSum],
    used: &[&DecryptionShare],
) -> Vec<RistrettoPoint> {
    let indices: Vec<TrusteeIndex> = used.iter().map(|s| s.trustee).collect();
    let lambda = lagrange_at_zero(&indices);
    aggregates
        .iter()
        .enumerate()
        .map(|(index, aggregate)| {
            let (scalars, points): (Vec<Scalar>, Vec<RistrettoPoint>) = used
                .iter()
                .zip(&lambda)
                .filter_map(|(share, l)| share.parts[index].map(|p| (*l, *p.d.point())))
                .unzip();
            aggregate.b - RistrettoPoint::vartime_multiscalar_mul(&scalars, &points)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::{PublicCredential, Roll};
    use crate::elgamal::{Ciphertext, ElectionKey};
    use crate::manifest::Manifest;
    use crate::testing::test_rng;
    use crate::trustee::run_ceremony;

    fn i(x: u16) -> TrusteeIndex {
        TrusteeIndex::new(x).unwrap()
    }

    fn manifest() -> Manifest {
        let authority =
            Element::from_point_as(RistrettoPoint::mul_base(&Scalar::from(77u8)), "a").unwrap();
        Manifest::leadership(authority, crate::testing::test_authorities(0)).unwrap()
    }

    fn election_for(public: &PublicKeySet, manifest: Manifest) -> Election {
        let voter =
            Element::from_point_as(RistrettoPoint::mul_base(&Scalar::from(1234u64)), "x").unwrap();
        Election::new(
            manifest,
            ElectionKey::new(public.joint_key()),
            public.ceremony_digest(),
            Roll::new(vec![PublicCredential::new(voter)]).unwrap(),
        )
    }

    struct Setup {
        keys: Vec<TrusteeKey>,
        public: PublicKeySet,
        election: Election,
        head: BoardHead,
        aggregates: Vec<CiphertextSum>,
        expected: Vec<u64>,
    }

    /// A 3-of-5 ceremony and aggregates of votes (3, 0 with ballots, 7) and one empty one.
    fn setup(seed: u64) -> Setup {
        let mut rng = test_rng(seed);
        let m = manifest();
        let (keys, public, _) = run_ceremony(m.trustees(), &m, &mut rng).unwrap();
        let election = election_for(&public, m);
        let key = election.key().clone();
        let aggregate = |votes: &[u64]| {
            let cts: Vec<Ciphertext> = votes
                .iter()
                .zip(100u64..)
                .map(|(&v, r)| key.encrypt(&Scalar::from(v), &Scalar::from(r * 7919 + seed)))
                .collect();
            Ciphertext::sum(&cts)
        };
        let aggregates = vec![
            aggregate(&[1, 1, 0, 1]),
            aggregate(&[0, 0]),
            aggregate(&[2, 5]),
            CiphertextSum::zero(),
        ];
        let head = BoardHead::new(EntryDigest([seed as u8; 32]), 12 + seed);
        Setup {
            keys,
            public,
            election,
            head,
            aggregates,
            expected: vec![3, 0, 7, 0],
        }
    }

    /// A copy of a key as saved (a key decrypts one tally; tests decrypt several).
    fn copy(key: &TrusteeKey) -> TrusteeKey {
        TrusteeKey::from_secret_bytes(&key.to_secret_bytes()).unwrap()
    }

    /// Every trustee's share of the setup's tally, made with fresh copies of the keys.
    fn shares(s: &Setup, seed: u64) -> Vec<DecryptionShare> {
        let mut rng = test_rng(seed);
        s.keys
            .iter()
            .map(|k| {
                copy(k)
                    .decrypt_share(&s.election, &s.head, &s.aggregates, &mut rng)
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn every_three_of_five_decrypts_identically() {
        let s = setup(1);
        let all = shares(&s, 2);
        for a in 0..5 {
            for b in a + 1..5 {
                for c in b + 1..5 {
                    let subset = vec![all[a].clone(), all[b].clone(), all[c].clone()];
                    let d = combine(&s.public, &s.election, &s.head, &s.aggregates, &subset, 100)
                        .unwrap();
                    assert_eq!(d.values(), &s.expected[..]);
                    assert_eq!(d.used().len(), 3);
                    assert!(d.skipped().is_empty());
                    verify_decryption(
                        &s.public,
                        &s.election,
                        &s.head,
                        &s.aggregates,
                        &subset,
                        &s.expected,
                    )
                    .unwrap();
                }
            }
        }
        // All five: the first three are used.
        let d = combine(&s.public, &s.election, &s.head, &s.aggregates, &all, 100).unwrap();
        assert_eq!(d.used(), &[i(1), i(2), i(3)]);
        assert_eq!(d.values(), &s.expected[..]);
        // The empty aggregate has no part.
        assert!(all.iter().all(|sh| sh.parts()[3].is_none()));
    }

    #[test]
    fn too_few_and_duplicated_shares_are_errors() {
        let s = setup(3);
        let all = shares(&s, 4);
        assert_eq!(
            combine(
                &s.public,
                &s.election,
                &s.head,
                &s.aggregates,
                &all[..2],
                100
            ),
            Err(DecryptionError::TooFewShares {
                valid: 2,
                threshold: 3,
                skipped: vec![]
            })
        );
        let dup = vec![all[0].clone(), all[1].clone(), all[1].clone()];
        assert_eq!(
            combine(&s.public, &s.election, &s.head, &s.aggregates, &dup, 100),
            Err(DecryptionError::DuplicateShare { trustee: i(2) })
        );
        assert_eq!(
            verify_decryption(
                &s.public,
                &s.election,
                &s.head,
                &s.aggregates,
                &dup,
                &s.expected
            ),
            Err(DecryptionError::DuplicateShare { trustee: i(2) })
        );
    }

    #[test]
    fn a_bad_share_is_skipped_and_named() {
        let s = setup(5);
        let mut all = shares(&s, 6);
        // Trustee 2 claims D' = D + G for aggregate 2 (a wrong plaintext), keeping its proof.
        let part = all[1].parts[2].as_mut().unwrap();
        part.d =
            Element::from_point_as(part.d.point() + Element::generator().point(), "d").unwrap();
        let d = combine(
            &s.public,
            &s.election,
            &s.head,
            &s.aggregates,
            &all[..4],
            100,
        )
        .unwrap();
        assert_eq!(d.values(), &s.expected[..]);
        assert_eq!(d.used(), &[i(1), i(3), i(4)]);
        assert_eq!(d.skipped_culprits(), vec![i(2)]);
        assert_eq!(
            d.skipped(),
            &[DecryptionError::DecryptionProof {
                trustee: i(2),
                aggregate: 2
            }]
        );
        // With only k shares left after the bad one, too few; the culprit is named.
        let err = combine(
            &s.public,
            &s.election,
            &s.head,
            &s.aggregates,
            &all[..3],
            100,
        )
        .unwrap_err();
        assert_eq!(
            err,
            DecryptionError::TooFewShares {
                valid: 2,
                threshold: 3,
                skipped: vec![i(2)]
            }
        );
        assert_eq!(err.culprits(), vec![i(2)]);
        // The record verifier refuses the bad share outright.
        let err = verify_decryption(
            &s.public,
            &s.election,
            &s.head,
            &s.aggregates,
            &all[..4],
            &s.expected,
        )
        .unwrap_err();
        assert_eq!(err.culprits(), vec![i(2)]);
    }

    #[test]
    fn a_share_with_a_changed_proof_response_is_skipped_and_named() {
        use crate::codec::Wire;
        let s = setup(18);
        let mut all = shares(&s, 19);
        let part = all[4].parts[0].as_mut().unwrap();
        let mut bytes = part.proof.encode();
        let r = crate::group::decode_scalar(&bytes[64..], "s").unwrap() + Scalar::ONE;
        bytes[64..].copy_from_slice(r.as_bytes());
        part.proof = DleqProof::decode(&bytes).unwrap();
        let d = combine(&s.public, &s.election, &s.head, &s.aggregates, &all, 100).unwrap();
        assert_eq!(d.values(), &s.expected[..]);
        assert_eq!(
            d.skipped(),
            &[DecryptionError::DecryptionProof {
                trustee: i(5),
                aggregate: 0
            }]
        );
        assert_eq!(d.used(), &[i(1), i(2), i(3)]);
        // Used or not, the record verifier names it.
        assert_eq!(
            verify_decryption(
                &s.public,
                &s.election,
                &s.head,
                &s.aggregates,
                &all,
                &s.expected
            )
            .unwrap_err()
            .culprits(),
            vec![i(5)]
        );
    }

    #[test]
    fn a_share_with_a_forged_proof_for_a_wrong_plaintext_is_rejected() {
        // The trustee proves honestly, but for D' = x·A + G: the DLEQ statement is false.
        let s = setup(7);
        let all = shares(&s, 8);
        let key = &s.keys[3];
        let a = Element::from_point_as(s.aggregates[0].a, "a").unwrap();
        let d = Element::from_point_as(
            a.point() * key.share().expose() + Element::generator().point(),
            "d",
        )
        .unwrap();
        let statement = DleqStatement {
            base1: Element::generator(),
            public1: key.verification_share(),
            base2: a,
            public2: d,
        };
        let proof = DleqProof::prove(
            key.share(),
            &statement,
            &mut share_transcript(&s.election, &s.head, key.trustee(), 0),
            &mut test_rng(9),
        );
        let mut forged = all[3].clone();
        forged.parts[0] = Some(PartialDecryption { d, proof });
        let set = vec![all[0].clone(), all[1].clone(), all[2].clone(), forged];
        let result = combine(&s.public, &s.election, &s.head, &s.aggregates, &set, 100).unwrap();
        assert_eq!(result.skipped_culprits(), vec![i(4)]);
        assert_eq!(result.values(), &s.expected[..]);
        // A wrong claim is refused by the record verifier.
        let mut wrong = s.expected.clone();
        wrong[2] += 1;
        assert_eq!(
            verify_decryption(
                &s.public,
                &s.election,
                &s.head,
                &s.aggregates,
                &all[..3],
                &wrong
            ),
            Err(DecryptionError::ClaimMismatch {
                aggregate: 2,
                claimed: 8
            })
        );
    }

    #[test]
    fn malformed_shares_are_skipped_with_blame() {
        let s = setup(10);
        let mut all = shares(&s, 11);
        all[0].parts.pop();
        all[1].parts[3] = all[1].parts[0];
        all[2].parts[1] = None;
        let d = combine(&s.public, &s.election, &s.head, &s.aggregates, &all, 100).unwrap_err();
        assert_eq!(d.culprits(), vec![i(1), i(2), i(3)]);
        // Shares of four parts for three aggregates.
        assert_eq!(
            combine(
                &s.public,
                &s.election,
                &s.head,
                &s.aggregates[..3],
                &all[3..],
                100
            ),
            Err(DecryptionError::TooFewShares {
                valid: 0,
                threshold: 3,
                skipped: vec![i(4), i(5)]
            })
        );
        assert_eq!(
            verify_decryption(
                &s.public,
                &s.election,
                &s.head,
                &s.aggregates[..3],
                &all[4..],
                &[3, 0, 7]
            ),
            Err(DecryptionError::SharePartCount {
                trustee: i(5),
                expected: 3,
                found: 4
            })
        );
    }

    #[test]
    fn only_empty_aggregates_need_no_shares() {
        let s = setup(12);
        let empty = [CiphertextSum::zero(), CiphertextSum::zero()];
        let d = combine(&s.public, &s.election, &s.head, &empty, &[], 10).unwrap();
        assert_eq!(d.values(), &[0, 0]);
        assert!(d.used().is_empty());
        verify_decryption(&s.public, &s.election, &s.head, &empty, &[], &[0, 0]).unwrap();
        assert_eq!(
            verify_decryption(&s.public, &s.election, &s.head, &empty, &[], &[0, 1]),
            Err(DecryptionError::ClaimMismatch {
                aggregate: 1,
                claimed: 1
            })
        );
    }

    #[test]
    fn out_of_range_and_wrong_elections_are_refused() {
        let mut s = setup(13);
        let all = shares(&s, 14);
        assert!(matches!(
            combine(&s.public, &s.election, &s.head, &s.aggregates, &all, 5),
            Err(DecryptionError::Tally { aggregate: 2, .. })
        ));
        assert!(matches!(
            combine(
                &s.public,
                &s.election,
                &s.head,
                &s.aggregates,
                &all,
                u64::MAX
            ),
            Err(DecryptionError::TallyBound(_))
        ));
        // Another ceremony's key set, or an election built with another ceremony digest.
        let other = setup(15);
        assert!(matches!(
            combine(
                &other.public,
                &s.election,
                &s.head,
                &s.aggregates,
                &all,
                100
            ),
            Err(DecryptionError::ElectionMismatch { .. })
        ));
        let mut digest = s.public.ceremony_digest();
        digest.0[0] ^= 1;
        let wrong = Election::new(
            s.election.manifest().clone(),
            s.election.key().clone(),
            digest,
            s.election.roll().clone(),
        );
        assert!(matches!(
            combine(&s.public, &wrong, &s.head, &s.aggregates, &all, 100),
            Err(DecryptionError::ElectionMismatch { .. })
        ));
        assert!(matches!(
            s.keys[0].decrypt_share(&wrong, &s.head, &s.aggregates, &mut test_rng(1)),
            Err(DecryptionError::ElectionMismatch { .. })
        ));
        assert_eq!(
            verify_decryption(&s.public, &s.election, &s.head, &s.aggregates, &all, &[1]),
            Err(DecryptionError::ClaimCount {
                claimed: 1,
                aggregates: 4
            })
        );
    }

    /// Issue 22, finding 2: a share made for another board (a doctored one, or the published one
    /// before superseded ballots were dropped from it) is refused against the head being
    /// decrypted, whether it names its own head or claims the expected one.
    #[test]
    fn a_share_for_another_board_is_skipped_and_named() {
        let s = setup(20);
        let honest = shares(&s, 21);
        let other = BoardHead::new(EntryDigest([0xee; 32]), s.head.entries);
        let mut doctored = copy(&s.keys[1])
            .decrypt_share(&s.election, &other, &s.aggregates, &mut test_rng(22))
            .unwrap();
        assert_eq!(doctored.head(), other);
        let set = vec![honest[0].clone(), doctored.clone(), honest[2].clone()];
        let d = combine(&s.public, &s.election, &s.head, &s.aggregates, &set, 100).unwrap_err();
        assert_eq!(
            d,
            DecryptionError::TooFewShares {
                valid: 2,
                threshold: 3,
                skipped: vec![i(2)]
            }
        );
        let mut four = set.clone();
        four.push(honest[3].clone());
        let d = combine(&s.public, &s.election, &s.head, &s.aggregates, &four, 100).unwrap();
        assert_eq!(d.values(), &s.expected[..]);
        assert_eq!(
            d.skipped(),
            &[DecryptionError::ShareHead {
                trustee: i(2),
                found: other,
                expected: s.head
            }]
        );
        assert_eq!(
            verify_decryption(
                &s.public,
                &s.election,
                &s.head,
                &s.aggregates,
                &four,
                &s.expected
            ),
            Err(DecryptionError::ShareHead {
                trustee: i(2),
                found: other,
                expected: s.head
            })
        );
        // Relabelled with the expected head, its proofs (bound to the other head) fail.
        doctored.board_head = s.head.digest;
        four[1] = doctored.clone();
        assert_eq!(
            verify_decryption(
                &s.public,
                &s.election,
                &s.head,
                &s.aggregates,
                &four,
                &s.expected
            ),
            Err(DecryptionError::DecryptionProof {
                trustee: i(2),
                aggregate: 0
            })
        );
        // The number of entries is bound too: one entry more or fewer (a dropped ballot) is
        // another board.
        for entries in [s.head.entries - 1, s.head.entries + 1] {
            let mut moved = honest[0].clone();
            moved.board_entries = entries;
            let mut set = honest.clone();
            set[0] = moved.clone();
            assert_eq!(
                verify_decryption(
                    &s.public,
                    &s.election,
                    &s.head,
                    &s.aggregates,
                    &set,
                    &s.expected
                )
                .unwrap_err()
                .culprits(),
                vec![i(1)]
            );
            let relabelled = BoardHead::new(s.head.digest, entries);
            assert!(matches!(
                verify_decryption(
                    &s.public,
                    &s.election,
                    &relabelled,
                    &s.aggregates,
                    &[moved],
                    &[3, 0, 7, 0]
                ),
                Err(DecryptionError::DecryptionProof { .. })
            ));
        }
    }

    /// Issue 22, finding 2: a key decrypts one tally. Again for the same tally it gives the
    /// identical share (also after being saved and reloaded); for another head, or for other
    /// aggregates under the same head, it refuses, and records nothing.
    #[test]
    fn a_key_decrypts_one_tally_only() {
        let s = setup(23);
        let mut key = copy(&s.keys[2]);
        assert_eq!(key.decrypted_for(), None);
        assert_eq!(
            key.check_decryption(&s.election, &s.head, &s.aggregates),
            Ok(DecryptionRun::First)
        );
        let fresh = key.to_secret_bytes();
        assert_eq!(fresh.len(), TrusteeKey::SECRET_LEN);
        let share = key
            .decrypt_share(&s.election, &s.head, &s.aggregates, &mut test_rng(24))
            .unwrap();
        assert_eq!(key.decrypted_for(), Some(s.head));
        assert_eq!(
            key.check_decryption(&s.election, &s.head, &s.aggregates),
            Ok(DecryptionRun::Repeat)
        );
        // The same tally again, with another RNG: the identical share.
        let again = key
            .decrypt_share(&s.election, &s.head, &s.aggregates, &mut test_rng(99))
            .unwrap();
        assert_eq!(again, share);
        // Another head (a doctored board, or the real one after a doctored one).
        let doctored = BoardHead::new(EntryDigest([7; 32]), 3);
        let refused = DecryptionError::AlreadyDecrypted {
            trustee: i(3),
            head: s.head,
        };
        assert_eq!(
            key.decrypt_share(&s.election, &doctored, &s.aggregates, &mut test_rng(25)),
            Err(refused.clone())
        );
        assert_eq!(
            key.check_decryption(&s.election, &doctored, &s.aggregates),
            Err(refused.clone())
        );
        // Other aggregates under the same head (a caller lying about the board's tally).
        let mut other = s.aggregates.clone();
        other.swap(0, 2);
        assert_eq!(
            key.decrypt_share(&s.election, &s.head, &other, &mut test_rng(26)),
            Err(refused.clone())
        );
        assert!(refused.culprits().is_empty());
        assert!(
            refused
                .to_string()
                .contains(&hex::encode(s.head.digest.as_bytes()))
        );
        assert_eq!(key.decrypted_for(), Some(s.head));

        // Saved and reloaded (a restarted trustee): the same refusal, the identical share.
        let saved = key.to_secret_bytes();
        assert_eq!(saved.len(), TrusteeKey::DECRYPTED_SECRET_LEN);
        let mut reloaded = TrusteeKey::from_secret_bytes(&saved).unwrap();
        assert_eq!(reloaded.decrypted_for(), Some(s.head));
        assert_eq!(reloaded.to_secret_bytes(), saved);
        assert_eq!(
            reloaded.decrypt_share(&s.election, &doctored, &s.aggregates, &mut test_rng(27)),
            Err(refused)
        );
        assert_eq!(
            reloaded
                .decrypt_share(&s.election, &s.head, &s.aggregates, &mut test_rng(28))
                .unwrap(),
            share
        );
        assert!(format!("{reloaded:?}").contains("decrypted_for"));
        // A fresh copy of the key (saved before decrypting) would decrypt another board: the
        // rule holds only if the key is saved before the share is published.
        let mut before = TrusteeKey::from_secret_bytes(&fresh).unwrap();
        assert!(
            before
                .decrypt_share(&s.election, &doctored, &s.aggregates, &mut test_rng(29))
                .is_ok()
        );

        // The saved state is strict: a state byte other than 0 or 1, a truncated or extended
        // state.
        let mut bad = saved.to_vec();
        bad[TrusteeKey::SECRET_LEN - 1] = 2;
        assert!(matches!(
            TrusteeKey::from_secret_bytes(&bad),
            Err(crate::trustee::CeremonyError::Encoding(
                crate::error::EncodingError::WrongTag { .. }
            ))
        ));
        assert!(matches!(
            TrusteeKey::from_secret_bytes(&saved[..saved.len() - 1]),
            Err(crate::trustee::CeremonyError::Encoding(
                crate::error::EncodingError::Truncated { .. }
            ))
        ));
        let mut long = saved.to_vec();
        long.push(0);
        assert!(matches!(
            TrusteeKey::from_secret_bytes(&long),
            Err(crate::trustee::CeremonyError::Encoding(
                crate::error::EncodingError::TrailingBytes { .. }
            ))
        ));
        assert!(matches!(
            TrusteeKey::from_secret_bytes(&fresh[..fresh.len() - 1]),
            Err(crate::trustee::CeremonyError::Encoding(
                crate::error::EncodingError::Truncated { .. }
            ))
        ));
    }

    #[test]
    fn shares_round_trip_through_json_and_refuse_unknown_keys() {
        let s = setup(16);
        let share = &shares(&s, 17)[0];
        let json = serde_json::to_string(share).unwrap();
        assert!(json.contains("null"));
        let back: DecryptionShare = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, share);
        let extra = json.replacen('{', "{\"x\":1,", 1);
        assert!(serde_json::from_str::<DecryptionShare>(&extra).is_err());
        let zero = json.replacen("\"trustee\":1", "\"trustee\":0", 1);
        assert!(serde_json::from_str::<DecryptionShare>(&zero).is_err());
    }
}
