//! The public checks of a key ceremony: what anyone can run on the broadcast packages, with no
//! trustee secret (spec §10.5 round 3, steps 1–5; §10.6; §10.9).
//!
//! The trustees run them inside [`part3`](super::part3) and [`finish`](super::finish); a verifier
//! of the record runs them through [`verify_ceremony`] and [`CeremonyTranscript::verify`], and gets
//! the same [`PublicKeySet`].

use std::collections::BTreeMap;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use merlin::Transcript;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::{Complaint, round1, round2, round4, round5};
use crate::codec::Wire;
use crate::digest::{CeremonyDigest, ManifestDigest};
use crate::group::Element;
use crate::manifest::{Manifest, TrusteePolicy};
use crate::proofs::batch::verify_batch;
use crate::proofs::{SchnorrProof, SchnorrStatement};
use crate::transcript::{election_transcript, label, purpose};
use crate::trustee::keys::PublicKeySet;
use crate::trustee::{
    CeremonyError, TrusteeIndex, eval_commitments_vartime, powers, sealed, tagged_hash,
};

/// Recomputes the public outcome of a ceremony from its public packages (what a verifier of
/// the record does; spec §10.9, steps 1–3): the policy from the manifest (step 1), every check of
/// [`part3`](super::part3) on rounds 1–2 (step 2: §10.5 round 3, steps 3–5), then the complaint
/// resolution and the qualified set of [`finish`](super::finish) (step 3: §10.6, steps 1–7).
/// Step 4, the comparison with the published set, is the caller's.
///
/// # Errors
/// Those of [`part3`](super::part3) and [`finish`](super::finish) about public data.
pub fn verify_ceremony(
    manifest: &Manifest,
    round1_packages: &[round1::Package],
    round2_packages: &[round2::Package],
    round4_packages: &[round4::Package],
    round5_packages: &[round5::Package],
) -> Result<PublicKeySet, CeremonyError> {
    // Step 1: the policy is the manifest's (valid by construction).
    let policy = manifest.trustees();
    let manifest_digest = manifest.digest();
    // Step 2.
    let view = check_reveals(policy, &manifest_digest, round1_packages, round2_packages)?;
    // Step 3.
    let (public, _) = qualify(
        policy,
        &manifest_digest,
        &view.commitments,
        &view.reveals_digest,
        round4_packages,
        round5_packages,
    )?;
    Ok(public)
}

/// Every public (broadcast) package of a key ceremony: what the election record publishes and
/// [`verify_ceremony`] checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeremonyTranscript {
    /// Round 1: every trustee's commitment digest.
    pub round1: Vec<round1::Package>,
    /// Round 2: every trustee's commitments and proofs of possession.
    pub round2: Vec<round2::Package>,
    /// Round 4: the complaints of every trustee that complained (a trustee with no complaint,
    /// or silent past the deadline, is not listed).
    pub round4: Vec<round4::Package>,
    /// Round 5: the answers of every dealer that answered a complaint (a dealer with nothing
    /// to answer is not listed).
    pub round5: Vec<round5::Package>,
}

impl CeremonyTranscript {
    /// The transcript of the packages of a ceremony, in its one canonical form: every round in
    /// ascending trustee order, and rounds 4 and 5 without the packages that complain about or
    /// answer nothing.
    pub fn new(
        mut round1: Vec<round1::Package>,
        mut round2: Vec<round2::Package>,
        mut round4: Vec<round4::Package>,
        mut round5: Vec<round5::Package>,
    ) -> Self {
        round1.sort_by_key(round1::Package::trustee);
        round2.sort_by_key(round2::Package::trustee);
        round4.retain(|p| !p.accused.is_empty());
        round4.sort_by_key(round4::Package::trustee);
        round5.retain(|p| !p.answers.is_empty());
        round5.sort_by_key(round5::Package::dealer);
        Self {
            round1,
            round2,
            round4,
            round5,
        }
    }

    /// Recomputes the public key set from these packages ([`verify_ceremony`], spec §10.9
    /// steps 1–3), after checking (step 0, and §10.3 "one order in the record") that the
    /// transcript is in its one canonical form: every round lists its packages in
    /// strictly ascending trustee order, every list of accused dealers (round 4) and of answers
    /// (round 5, by accuser) is strictly ascending, and rounds 4 and 5 list no empty package.
    ///
    /// # Errors
    /// [`CeremonyError::PackageOrder`], [`CeremonyError::ListOrder`],
    /// [`CeremonyError::EmptyPackage`], and those of [`verify_ceremony`].
    pub fn verify(&self, manifest: &Manifest) -> Result<PublicKeySet, CeremonyError> {
        ascending(1, self.round1.iter().map(round1::Package::trustee))?;
        ascending(2, self.round2.iter().map(round2::Package::trustee))?;
        ascending(4, self.round4.iter().map(round4::Package::trustee))?;
        ascending(5, self.round5.iter().map(round5::Package::dealer))?;
        for p in &self.round4 {
            if p.accused.windows(2).any(|w| w[0] >= w[1]) {
                return Err(CeremonyError::ListOrder {
                    round: 4,
                    trustee: p.trustee,
                });
            }
        }
        for p in &self.round5 {
            if p.answers.windows(2).any(|w| w[0].accuser >= w[1].accuser) {
                return Err(CeremonyError::ListOrder {
                    round: 5,
                    trustee: p.dealer,
                });
            }
        }
        if let Some(empty) = self.round4.iter().find(|p| p.accused.is_empty()) {
            return Err(CeremonyError::EmptyPackage {
                round: 4,
                trustee: empty.trustee,
            });
        }
        if let Some(empty) = self.round5.iter().find(|p| p.answers.is_empty()) {
            return Err(CeremonyError::EmptyPackage {
                round: 5,
                trustee: empty.dealer,
            });
        }
        verify_ceremony(
            manifest,
            &self.round1,
            &self.round2,
            &self.round4,
            &self.round5,
        )
    }
}

/// A published round lists its packages in strictly ascending trustee order.
fn ascending(round: u8, trustees: impl Iterator<Item = TrusteeIndex>) -> Result<(), CeremonyError> {
    let mut last: Option<TrusteeIndex> = None;
    for trustee in trustees {
        if last.is_some_and(|l| l >= trustee) {
            return Err(CeremonyError::PackageOrder { round, trustee });
        }
        last = Some(trustee);
    }
    Ok(())
}

/// What rounds 1–2 establish: every dealer's commitments and encryption key (by slot) and the
/// digest `R` (spec §10.4). Public; kept in a trustee's state from round 3 on.
#[derive(Clone)]
pub(crate) struct PublicView {
    pub(crate) commitments: Vec<Vec<Element>>,
    pub(crate) encryption_keys: Vec<Element>,
    pub(crate) reveals_digest: [u8; 32],
}

/// Orders one round's packages by trustee, allowing at most one per trustee (a missing one is
/// `None`).
pub(crate) fn at_most_one_each<T>(
    policy: TrusteePolicy,
    round: u8,
    items: &[T],
    index: impl Fn(&T) -> TrusteeIndex,
) -> Result<Vec<Option<&T>>, CeremonyError> {
    let mut slots: Vec<Option<&T>> = vec![None; usize::from(policy.count())];
    for item in items {
        let trustee = index(item).check(policy)?;
        if slots[trustee.slot()].replace(item).is_some() {
            return Err(CeremonyError::DuplicatePackage { round, trustee });
        }
    }
    Ok(slots)
}

/// Orders one round's packages by trustee, requiring exactly one per trustee.
pub(crate) fn by_trustee<T>(
    policy: TrusteePolicy,
    round: u8,
    items: &[T],
    index: impl Fn(&T) -> TrusteeIndex,
) -> Result<Vec<&T>, CeremonyError> {
    at_most_one_each(policy, round, items, index)?
        .into_iter()
        .enumerate()
        .map(|(slot, item)| {
            item.ok_or(CeremonyError::MissingPackage {
                round,
                trustee: TrusteeIndex::from_slot(slot),
            })
        })
        .collect()
}

/// Every check on rounds 1–2 that needs no secret: spec §10.5, round 3, steps 3–5 (see
/// [`part3`](super::part3), which runs steps 1–2 on its own saved state first).
pub(crate) fn check_reveals(
    policy: TrusteePolicy,
    manifest_digest: &ManifestDigest,
    round1_packages: &[round1::Package],
    round2_packages: &[round2::Package],
) -> Result<PublicView, CeremonyError> {
    let r1 = by_trustee(policy, 1, round1_packages, |p| p.trustee)?;
    let r2 = by_trustee(policy, 2, round2_packages, |p| p.trustee)?;
    // Step 3: counts, then each h_m; every failure collected.
    let k = usize::from(policy.threshold());
    let mut errors = Vec::new();
    for (commitment, reveal) in r1.iter().zip(&r2) {
        if reveal.commitments.len() != k || reveal.proofs.len() != k {
            errors.push(CeremonyError::CommitmentCount {
                dealer: reveal.trustee,
                expected: policy.threshold(),
                commitments: reveal.commitments.len(),
                proofs: reveal.proofs.len(),
            });
        } else if reveal.commitment_digest(manifest_digest) != commitment.digest {
            errors.push(CeremonyError::RevealMismatch {
                dealer: reveal.trustee,
            });
        }
    }
    if !errors.is_empty() {
        return Err(CeremonyError::from_list(errors));
    }
    // Step 4: every proof of possession, one batch, in the order π_{1,0} … π_{1,k−1} π^E_1 …
    // Items: (dealer, Some(j) for coefficient j or None for the encryption key, point, proof).
    let items: Vec<(TrusteeIndex, Option<u16>, &Element, &SchnorrProof)> = r2
        .iter()
        .flat_map(|r| {
            (0u16..)
                .zip(r.commitments.iter().zip(&r.proofs))
                .map(|(j, (c, p))| (r.trustee, Some(j), c, p))
                .chain([(r.trustee, None, &r.encryption_key, &r.encryption_proof)])
        })
        .collect();
    verify_batch(
        &items,
        &[],
        |(dealer, j, c, p), msm| {
            let mut t = match j {
                Some(j) => possession_transcript(manifest_digest, *dealer, *j),
                None => sealed::encryption_key_transcript(manifest_digest, *dealer),
            };
            p.accumulate(&SchnorrStatement { public: **c }, &mut t, msm);
            Ok::<(), CeremonyError>(())
        },
        |i| match items[i].1 {
            Some(coefficient) => CeremonyError::PossessionProof {
                dealer: items[i].0,
                coefficient,
            },
            None => CeremonyError::EncryptionKeyProof { dealer: items[i].0 },
        },
    )
    .map_err(|failures| CeremonyError::from_list(failures.into_iter().map(|(_, e)| e).collect()))?;

    // Step 5: R (§10.4).
    let mut h = tagged_hash(purpose::TRUSTEE_REVEALS);
    h.update(manifest_digest);
    h.update(policy.count().to_be_bytes());
    h.update(policy.threshold().to_be_bytes());
    for p in &r1 {
        h.update(p.digest);
    }
    for r in &r2 {
        h.update(r.trustee.get().to_be_bytes());
        for c in &r.commitments {
            h.update(c.as_bytes());
        }
        for p in &r.proofs {
            h.update(p.encode());
        }
        h.update(r.encryption_key.as_bytes());
        h.update(r.encryption_proof.encode());
    }
    Ok(PublicView {
        commitments: r2.iter().map(|r| r.commitments.clone()).collect(),
        encryption_keys: r2.iter().map(|r| r.encryption_key).collect(),
        reveals_digest: h.finalize().into(),
    })
}

/// The revealed shares, by (dealer, accuser).
pub(crate) type Answers = BTreeMap<(TrusteeIndex, TrusteeIndex), Scalar>;

/// Complaints and answers → qualified set → public key set: spec §10.6, steps 1–7 (see
/// [`finish`](super::finish)). Returns also the answers, by (dealer, accuser).
pub(crate) fn qualify(
    policy: TrusteePolicy,
    manifest_digest: &ManifestDigest,
    commitments: &[Vec<Element>],
    reveals_digest: &[u8; 32],
    round4_packages: &[round4::Package],
    round5_packages: &[round5::Package],
) -> Result<(PublicKeySet, Answers), CeremonyError> {
    let n = usize::from(policy.count());
    // Step 1: at most one round-4 package per trustee; a trustee with none (silent past the
    // deadline) complained about no one.
    let r4: Vec<&round4::Package> = at_most_one_each(policy, 4, round4_packages, |p| p.trustee)?
        .into_iter()
        .flatten()
        .collect();
    // Step 2: every complaint valid; complained[accused][accuser].
    let mut complained = vec![vec![false; n]; n];
    let mut complaints = Vec::new();
    for package in &r4 {
        let accuser = package.trustee;
        for &accused in &package.accused {
            let invalid = CeremonyError::InvalidComplaint {
                accuser,
                accused: accused.get(),
            };
            if accused.check(policy).is_err() || accused == accuser {
                return Err(invalid);
            }
            let seen = &mut complained[accused.slot()][accuser.slot()];
            if *seen {
                return Err(invalid);
            }
            *seen = true;
            complaints.push(Complaint { accuser, accused });
        }
    }
    complaints.sort_unstable();

    // Step 3: the answers, each to a complaint made, once.
    let mut answered_dealers = vec![false; n];
    let mut answers = BTreeMap::new();
    for package in round5_packages {
        let dealer = package.dealer.check(policy)?;
        if std::mem::replace(&mut answered_dealers[dealer.slot()], true) {
            return Err(CeremonyError::DuplicatePackage {
                round: 5,
                trustee: dealer,
            });
        }
        for answer in &package.answers {
            let accuser = answer.accuser.check(policy)?;
            if !complained[dealer.slot()][accuser.slot()] {
                return Err(CeremonyError::UnsolicitedAnswer { dealer, accuser });
            }
            if answers.insert((dealer, accuser), answer.share).is_some() {
                return Err(CeremonyError::DuplicateAnswer { dealer, accuser });
            }
        }
    }

    // Step 4: a dealer with an unresolved complaint is excluded.
    let mut excluded = vec![false; n];
    // A dealer accused by k or more trustees is excluded without answers: answering k
    // complaints in public would reveal k points of its polynomial, hence its secret a_{i,0}
    // (Gennaro, Jarecki, Krawczyk, Rabin). At least one of k accusers is honest.
    let mut accusations = vec![0usize; n];
    for c in &complaints {
        accusations[c.accused.slot()] += 1;
    }
    for (slot, count) in accusations.iter().enumerate() {
        if *count >= usize::from(policy.threshold()) {
            excluded[slot] = true;
        }
    }
    for c in &complaints {
        let resolved = answers.get(&(c.accused, c.accuser)).is_some_and(|s| {
            RistrettoPoint::mul_base(s)
                == eval_commitments_vartime(&commitments[c.accused.slot()], c.accuser)
        });
        if !resolved {
            excluded[c.accused.slot()] = true;
        }
    }
    // Step 5: Q, with at least k dealers.
    let qualified: Vec<TrusteeIndex> = TrusteeIndex::all(policy)
        .filter(|i| !excluded[i.slot()])
        .collect();
    if qualified.len() < usize::from(policy.threshold()) {
        return Err(CeremonyError::TooFewQualified {
            qualified: qualified.len(),
            threshold: policy.threshold(),
            excluded: TrusteeIndex::all(policy)
                .filter(|i| excluded[i.slot()])
                .collect(),
        });
    }

    // Step 6: Σ_{i∈Q} C_{i,j} for each j, K = C_0, then X_m = Σ_j m^j·(Σ_i C_{i,j}).
    let k = usize::from(policy.threshold());
    let mut summed = vec![RistrettoPoint::identity(); k];
    for dealer in &qualified {
        for (acc, c) in summed.iter_mut().zip(&commitments[dealer.slot()]) {
            *acc += c.point();
        }
    }
    let joint_key = Element::from_point_as(summed[0], "joint_key")
        .map_err(|_| CeremonyError::IdentityJointKey)?;
    let mut verification_shares = Vec::with_capacity(n);
    for m in TrusteeIndex::all(policy) {
        let point = RistrettoPoint::vartime_multiscalar_mul(powers(m.scalar(), k), &summed);
        verification_shares.push(
            Element::from_point_as(point, "verification_share")
                .map_err(|_| CeremonyError::IdentityVerificationShare { trustee: m })?,
        );
    }

    // Step 7: the ceremony digest (§10.4) and the public key set (§10.7).
    let mut h = tagged_hash(purpose::TRUSTEE_CEREMONY);
    h.update(manifest_digest);
    h.update(policy.count().to_be_bytes());
    h.update(policy.threshold().to_be_bytes());
    h.update(reveals_digest);
    h.update((complaints.len() as u32).to_be_bytes());
    for c in &complaints {
        h.update(c.accuser.get().to_be_bytes());
        h.update(c.accused.get().to_be_bytes());
    }
    h.update((answers.len() as u32).to_be_bytes());
    for ((dealer, accuser), share) in &answers {
        h.update(dealer.get().to_be_bytes());
        h.update(accuser.get().to_be_bytes());
        h.update(share.as_bytes());
    }
    h.update((qualified.len() as u16).to_be_bytes());
    for i in &qualified {
        h.update(i.get().to_be_bytes());
    }
    let ceremony_digest = CeremonyDigest(h.finalize().into());

    let public = PublicKeySet::new(
        policy,
        *manifest_digest,
        joint_key,
        verification_shares,
        qualified,
        ceremony_digest,
    )?;
    Ok((public, answers))
}

pub(crate) fn possession_transcript(
    manifest_digest: &ManifestDigest,
    dealer: TrusteeIndex,
    coefficient: u16,
) -> Transcript {
    let mut t = election_transcript(purpose::TRUSTEE_POSSESSION, manifest_digest.as_bytes());
    t.append_u64(label::TRUSTEE, u64::from(dealer.get()));
    t.append_u64(label::COEFFICIENT, u64::from(coefficient));
    t.append_u64(label::ROUND, 1);
    t
}
