//! The steps of the ceremony, one function per round (spec §10.5), each citing the step of the
//! spec it implements.
//!
//! Every random choice is made in [`part1`]; the later steps are deterministic functions of the
//! saved state and the packages received (spec §10.3), which is why they take the state by
//! reference and may be retried after a crash.

use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

use super::checks::{at_most_one_each, by_trustee, check_reveals, possession_transcript, qualify};
use super::packages::{Frame, share_matches};
use super::{CeremonyTranscript, round1, round2, round3, round4, round5};
use crate::digest::ManifestDigest;
use crate::manifest::{Manifest, TrusteePolicy};
use crate::proofs::{SchnorrProof, SchnorrStatement};
use crate::secret::SecretScalar;
use crate::transcript::{TranscriptProtocol, election_transcript, label, purpose, random_scalar};
use crate::trustee::keys::{PublicKeySet, TrusteeKey};
use crate::trustee::{CeremonyError, TrusteeIndex, sealed};

/// Round 1 (spec §10.5, round 1, steps 1–4; the values of §10.2): trustee `i` draws its
/// polynomial, commits to it and proves possession of each coefficient.
///
/// ```text
/// a_{i,0..k} ← hedged RNG (manifest digest, i, rng);   C_{i,j} = a_{i,j}·G     (§10.2)
/// π_{i,j}    = Schnorr proof of a_{i,j} (transcript: manifest digest, i, j, round 1)
/// e_i        ← the same RNG, after the coefficients;   E_i = e_i·G, π^E_i     (§10.5)
/// h_i        = SHA-256(… ‖ i ‖ C_{i,·} ‖ π_{i,·} ‖ E_i ‖ π^E_i)  → broadcast  (§10.4)
/// ```
///
/// Save the secret package before broadcasting.
///
/// # Errors
/// [`CeremonyError::PolicyMismatch`] if `policy` is not the manifest's;
/// [`CeremonyError::Index`] if `i > n`.
pub fn part1<R: RngCore + CryptoRng>(
    trustee: TrusteeIndex,
    policy: TrusteePolicy,
    manifest: &Manifest,
    rng: &mut R,
) -> Result<(round1::SecretPackage, round1::Package), CeremonyError> {
    // Step 1: the manifest's policy (valid by construction), and i ≤ n.
    let expected = manifest.trustees();
    if policy != expected {
        return Err(CeremonyError::PolicyMismatch {
            count: policy.count(),
            threshold: policy.threshold(),
            manifest_count: expected.count(),
            manifest_threshold: expected.threshold(),
        });
    }
    trustee.check(policy)?;
    // Step 2: the coefficients, then e_i, from one hedged RNG.
    let manifest_digest = manifest.digest();
    let mut coefficient_rng =
        coefficient_transcript(&manifest_digest, trustee).witness_rng(&[], rng);
    let coefficients = (0..policy.threshold())
        .map(|_| SecretScalar::new(nonzero_random_scalar(&mut coefficient_rng)))
        .collect();
    // Drawn independently of the coefficients (spec §10.5): a polynomial can become known to
    // k colluders, its dealer's encryption secret must not follow from it.
    let encryption_secret = SecretScalar::new(nonzero_random_scalar(&mut coefficient_rng));
    Ok(part1_with_coefficients(
        trustee,
        policy,
        manifest_digest,
        coefficients,
        encryption_secret,
        rng,
    ))
}

/// Round 1, steps 3–4, with given coefficients and encryption secret (each non-zero).
pub(crate) fn part1_with_coefficients<R: RngCore + CryptoRng>(
    trustee: TrusteeIndex,
    policy: TrusteePolicy,
    manifest_digest: ManifestDigest,
    coefficients: Vec<SecretScalar>,
    encryption_secret: SecretScalar,
    rng: &mut R,
) -> (round1::SecretPackage, round1::Package) {
    let frame = Frame {
        trustee,
        policy,
        manifest_digest,
        coefficients,
        encryption_secret,
    };
    // Step 3: C_{i,·} (a_{i,j} ≠ 0, drawn non-zero, so C_{i,j} is not the identity), π_{i,·},
    // E_i and π^E_i, then h_i.
    let commitments = frame.commitments();
    let proofs = frame
        .coefficients
        .iter()
        .zip(&commitments)
        .zip(0u16..)
        .map(|((a, c), j)| {
            let statement = SchnorrStatement { public: *c };
            let mut t = possession_transcript(&manifest_digest, trustee, j);
            SchnorrProof::prove(a, &statement, &mut t, rng)
        })
        .collect();
    let (encryption_key, encryption_proof) =
        sealed::encryption_key(&manifest_digest, trustee, &frame.encryption_secret);
    let reveal = round2::Package {
        trustee,
        commitments,
        proofs,
        encryption_key,
        encryption_proof,
    };
    // Step 4: the state to save, and the package to broadcast after saving it.
    let secret = round1::SecretPackage { frame, reveal };
    let package = secret.package();
    (secret, package)
}

/// Round 2 (spec §10.5, round 2, steps 1–3): having received the round-1 digests of all `n`
/// trustees (its own included), trustee `i` reveals its commitments and proofs (broadcast).
///
/// # Errors
/// [`CeremonyError::Index`], [`CeremonyError::DuplicatePackage`] or
/// [`CeremonyError::MissingPackage`] unless there is exactly one round-1 package per trustee;
/// [`CeremonyError::Equivocation`] if the trustee's own digest is not the one it sent.
pub fn part2(
    secret: &round1::SecretPackage,
    round1_packages: &[round1::Package],
) -> Result<(round2::SecretPackage, round2::Package), CeremonyError> {
    let me = secret.frame.trustee;
    // Step 1: exactly one package per trustee.
    let r1 = by_trustee(secret.frame.policy, 1, round1_packages, |p| p.trustee)?;
    // Step 2: its own digest is the one it sent.
    if r1[me.slot()].digest != secret.package().digest {
        return Err(CeremonyError::Equivocation {
            round: 1,
            trustee: me,
        });
    }
    // Step 3: the n digests saved, the reveal broadcast.
    let next = round2::SecretPackage {
        frame: secret.frame.copy(),
        reveal: secret.reveal.clone(),
        digests: r1.iter().map(|p| p.digest).collect(),
    };
    let package = next.package();
    Ok((next, package))
}

/// Round 3 (spec §10.5, round 3, steps 1–5, then the sealed shares): trustee `i` checks every
/// reveal and seals the share `s_{i→l} = f_i(l)` of every other trustee `l` for `l` alone: the
/// returned package is broadcast.
///
/// Checks, in the spec's order: (step 1) the round-1 digests unchanged since [`part2`];
/// (step 2) exactly one round-2 package per trustee, its own unchanged; (step 3) for every
/// dealer `m`, exactly `k` commitments and `k` proofs and `h_m` the digest of its reveal;
/// (step 4) every proof of possession, of the coefficients and of the encryption key (one
/// batch; on failure every bad proof is named); (step 5) `R`.
///
/// # Errors
/// [`CeremonyError::CommitmentCount`], [`CeremonyError::RevealMismatch`],
/// [`CeremonyError::PossessionProof`], [`CeremonyError::EncryptionKeyProof`] (several at once in
/// [`CeremonyError::Several`]), each naming the dealer; [`CeremonyError::Equivocation`]; and the
/// package-set errors of [`part2`].
pub fn part3(
    secret: &round2::SecretPackage,
    round1_packages: &[round1::Package],
    round2_packages: &[round2::Package],
) -> Result<(round3::SecretPackage, round3::Package), CeremonyError> {
    let frame = &secret.frame;
    let policy = frame.policy;
    // Step 1: the round-1 packages again, each digest the one saved in round 2.
    let r1 = by_trustee(policy, 1, round1_packages, |p| p.trustee)?;
    for (p, seen) in r1.iter().zip(&secret.digests) {
        if p.digest != *seen {
            return Err(CeremonyError::Equivocation {
                round: 1,
                trustee: p.trustee,
            });
        }
    }
    // Step 2: one round-2 package per trustee, its own reveal unchanged.
    let r2 = by_trustee(policy, 2, round2_packages, |p| p.trustee)?;
    if *r2[frame.trustee.slot()] != secret.reveal {
        return Err(CeremonyError::Equivocation {
            round: 2,
            trustee: frame.trustee,
        });
    }
    // Steps 3–5: counts and digests, proofs of possession, R.
    let view = check_reveals(
        policy,
        &frame.manifest_digest,
        round1_packages,
        round2_packages,
    )?;
    // Then the shares, each sealed for its recipient (§10.5, sealed shares).
    let next = round3::SecretPackage {
        frame: frame.copy(),
        view,
    };
    let package = next.package();
    Ok((next, package))
}

/// Round 4 (spec §10.5, round 4, steps 1–5): trustee `l` opens the share each dealer sealed for it
/// and checks it against the dealer's commitments (§10.2),
///
/// ```text
/// s_{i→l}·G  =?  Σ_j l^j·C_{i,j}
/// ```
///
/// and complains (broadcast) about every dealer whose share is wrong, does not open, is missing,
/// or is sent more than once. `round3_packages` are the round-3 packages received (its own may
/// be among them and is ignored); a dealer with no package here is complained about.
///
/// # Errors
/// [`CeremonyError::Index`] for a package from a dealer that is not a trustee.
pub fn part4(
    secret: &round3::SecretPackage,
    round3_packages: &[round3::Package],
) -> Result<(round4::SecretPackage, round4::Package), CeremonyError> {
    let frame = &secret.frame;
    let policy = frame.policy;
    let me = frame.trustee;
    let n = usize::from(policy.count());
    let mut slots: Vec<Option<SecretScalar>> = (0..n).map(|_| None).collect();
    // The first package of each dealer; a byte-identical copy (a re-send after a crash) is the
    // same package, a different second one marks the dealer.
    let mut first: Vec<Option<&round3::Package>> = vec![None; n];
    let mut conflicting = vec![false; n];
    for package in round3_packages {
        // Step 1: its dealer must be a trustee; its own package is ignored; a second,
        // different package marks the dealer.
        let dealer = package.dealer.check(policy)?;
        if dealer == me {
            continue;
        }
        match first[dealer.slot()] {
            Some(earlier) => {
                if earlier != package {
                    conflicting[dealer.slot()] = true;
                }
                continue;
            }
            None => first[dealer.slot()] = Some(package),
        }
        // Step 2: the one share addressed to l (none, or more than one, marks the dealer),
        // opened.
        let mut mine = package.shares.iter().filter(|s| s.to == me);
        let (Some(sealed), None) = (mine.next(), mine.next()) else {
            continue;
        };
        let direction = secret.view.direction(&frame.manifest_digest, dealer, me);
        if let Some(share) = direction.open(&frame.encryption_secret, &sealed.share) {
            slots[dealer.slot()] = Some(share);
        }
    }
    // Step 3: accepted iff one package, one share for l, that opens, consistent (§10.2).
    for dealer in TrusteeIndex::all(policy).filter(|&d| d != me) {
        let slot = &mut slots[dealer.slot()];
        let good = !conflicting[dealer.slot()]
            && slot
                .as_ref()
                .is_some_and(|s| share_matches(s, &secret.view.commitments[dealer.slot()], me));
        if !good {
            *slot = None;
        }
    }
    // Step 4: its own slot holds f_l(l).
    slots[me.slot()] = Some(frame.share_for(me));
    // Step 5: the state to save, and the complaints to broadcast.
    let next = round4::SecretPackage {
        frame: frame.copy(),
        view: secret.view.clone(),
        received: slots,
    };
    let package = next.package();
    Ok((next, package))
}

/// Round 5 (spec §10.5, round 5, steps 1–3; the secrecy rule of §10.6): dealer `i` answers every
/// complaint against it by revealing the disputed share `s_{i→l} = f_i(l)` in public (broadcast).
/// Everyone checks the answer in [`finish`]: a right one gives `l` its share, a wrong or missing
/// one excludes `i`.
///
/// Revealing `f_i(l)` leaks only the accuser's share of `f_i`; fewer than `k` complaints
/// reveal nothing about `f_i(0)`, and a dealer accused by `k` or more trustees answers nothing
/// (it is excluded whatever it answers).
///
/// # Errors
/// [`CeremonyError::Index`] for a complaint package from a non-trustee.
pub fn resolve_complaints(
    secret: &round4::SecretPackage,
    complaints: &[round4::Package],
) -> Result<round5::Package, CeremonyError> {
    let frame = &secret.frame;
    let me = frame.trustee;
    // Step 1: the accusers, sorted and deduplicated.
    let mut accusers = Vec::new();
    for package in complaints {
        let accuser = package.trustee.check(frame.policy)?;
        // A trustee cannot accuse itself; finish refuses such a package.
        if accuser != me && package.accused.contains(&me) {
            accusers.push(accuser);
        }
    }
    accusers.sort_unstable();
    accusers.dedup();
    // Step 2: accused by k or more, it is excluded whatever it answers, and answering would
    // reveal a_{i,0}.
    if accusers.len() >= usize::from(frame.policy.threshold()) {
        accusers.clear();
    }
    // Step 3: s_{i→l} = f_i(l) for each, in public.
    let answers = accusers
        .into_iter()
        .map(|accuser| round5::Answer {
            accuser,
            share: *frame.share_for(accuser).expose(),
        })
        .collect();
    Ok(round5::Package {
        dealer: me,
        answers,
    })
}

/// The end of the ceremony for trustee `l` (spec §10.5, finish, steps 1–4; step 2 is the
/// qualification of §10.6, steps 1–7): resolves every complaint, fixes the qualified set `Q` and
/// computes
///
/// ```text
/// K   = Σ_{i∈Q} C_{i,0}                    (the identity aborts)
/// x_l = Σ_{i∈Q} s_{i→l}                    (s_{i→l} from round 3, or from i's public answer)
/// X_m = Σ_{i∈Q} Σ_j m^j·C_{i,j}            for every m in 1..=n;  checks x_l·G = X_l
/// ```
///
/// `round4_packages` holds at most one package per trustee (a missing one complained about no one,
/// spec §10.6; its own, if it complained, unchanged);
/// `round5_packages` every answer package received. Every trustee, and any verifier through
/// [`verify_ceremony`](super::verify_ceremony), computes the same [`PublicKeySet`].
///
/// # Errors
/// [`CeremonyError::InvalidComplaint`], [`CeremonyError::UnsolicitedAnswer`],
/// [`CeremonyError::DuplicateAnswer`] naming the offender; [`CeremonyError::TooFewQualified`] if
/// fewer than `k` dealers remain; [`CeremonyError::IdentityJointKey`] /
/// [`CeremonyError::IdentityVerificationShare`] (abort); [`CeremonyError::Equivocation`] if the
/// trustee's own complaints differ from those it made; the package-set errors of [`part2`].
pub fn finish(
    secret: &round4::SecretPackage,
    round4_packages: &[round4::Package],
    round5_packages: &[round5::Package],
) -> Result<(TrusteeKey, PublicKeySet), CeremonyError> {
    let frame = &secret.frame;
    let me = frame.trustee;
    // Step 1: its own round-4 package lists exactly the complaints it saved. It may be missing (not
    // yet copied, or never sent) only if it complained about no one: silence is no complaint
    // (§10.6, absent trustees).
    let own = at_most_one_each(frame.policy, 4, round4_packages, |p| p.trustee)?[me.slot()];
    let mut claimed = own.map(|p| p.accused.clone()).unwrap_or_default();
    claimed.sort_unstable();
    if claimed != secret.accused() {
        return Err(CeremonyError::Equivocation {
            round: 4,
            trustee: me,
        });
    }
    // Step 2: §10.6, steps 1–7.
    let (public, answers) = qualify(
        frame.policy,
        &frame.manifest_digest,
        &secret.view.commitments,
        &secret.view.reveals_digest,
        round4_packages,
        round5_packages,
    )?;
    // Step 3: x_l = Σ_{i∈Q} s_{i→l}.
    let mut x = Scalar::ZERO;
    for dealer in public.qualified() {
        let share = match &secret.received[dealer.slot()] {
            Some(s) => *s.expose(),
            // A qualified dealer answered every complaint against it correctly.
            None => match answers.get(&(*dealer, me)) {
                Some(s) => *s,
                None => {
                    x.zeroize();
                    return Err(CeremonyError::CorruptSecret {
                        reason: "no share from a qualified dealer",
                    });
                }
            },
        };
        x += share;
    }
    let share = SecretScalar::new(x);
    x.zeroize();
    // Step 4: the key, refused unless x_l·G = X_l.
    TrusteeKey::new(me, &public, share).map(|key| (key, public))
}

/// Plays all `n` trustees honestly in one process (examples and tests; a real ceremony runs
/// each trustee on its own machine).
///
/// # Errors
/// Those of [`part1`] (a policy that is not the manifest's), and in principle
/// the abort errors of [`finish`].
pub fn run_ceremony<R: RngCore + CryptoRng>(
    policy: TrusteePolicy,
    manifest: &Manifest,
    rng: &mut R,
) -> Result<(Vec<TrusteeKey>, PublicKeySet, CeremonyTranscript), CeremonyError> {
    // Every list of secret states sized up front: each state holds e_i inline, and a growing
    // Vec would free its old buffer unwiped (found by ct/tests/wipe.rs).
    let n = usize::from(policy.count());
    let mut secrets1 = Vec::with_capacity(n);
    let mut packages1 = Vec::new();
    for trustee in TrusteeIndex::all(policy) {
        let (s, p) = part1(trustee, policy, manifest, rng)?;
        secrets1.push(s);
        packages1.push(p);
    }
    let mut secrets2 = Vec::with_capacity(n);
    let mut packages2 = Vec::new();
    for s in &secrets1 {
        let (s, p) = part2(s, &packages1)?;
        secrets2.push(s);
        packages2.push(p);
    }
    drop(secrets1);
    let mut secrets3 = Vec::with_capacity(n);
    let mut packages3 = Vec::new();
    for s in &secrets2 {
        let (s, p) = part3(s, &packages1, &packages2)?;
        secrets3.push(s);
        packages3.push(p);
    }
    drop(secrets2);
    let mut secrets4 = Vec::with_capacity(n);
    let mut packages4 = Vec::new();
    for s in &secrets3 {
        let (s, p) = part4(s, &packages3)?;
        secrets4.push(s);
        packages4.push(p);
    }
    drop(secrets3);
    let packages5 = secrets4
        .iter()
        .map(|s| resolve_complaints(s, &packages4))
        .collect::<Result<Vec<_>, _>>()?;
    // Sized up front so that no buffer of secrets is moved and freed unwiped.
    let mut keys = Vec::with_capacity(usize::from(policy.count()));
    let mut public = None;
    for s in &secrets4 {
        let (key, p) = finish(s, &packages4, &packages5)?;
        keys.push(key);
        public = Some(p);
    }
    let transcript = CeremonyTranscript::new(packages1, packages2, packages4, packages5);
    // A policy has n ≥ 1 trustees, so there is a key set.
    let public = public.ok_or(CeremonyError::InvalidKeySet {
        reason: "a ceremony without trustees",
    })?;
    Ok((keys, public, transcript))
}

fn coefficient_transcript(manifest_digest: &ManifestDigest, trustee: TrusteeIndex) -> Transcript {
    let mut t = election_transcript(purpose::TRUSTEE_COEFFICIENTS, manifest_digest.as_bytes());
    t.append_u64(label::TRUSTEE, u64::from(trustee.get()));
    t.append_u64(label::ROUND, 1);
    t
}

/// A uniformly random non-zero scalar. (Zero comes up with probability 2⁻²⁵²; the branch
/// reveals only that it did.)
fn nonzero_random_scalar<R: RngCore>(rng: &mut R) -> Scalar {
    loop {
        let s = random_scalar(rng);
        if s != Scalar::ZERO {
            return s;
        }
    }
}
