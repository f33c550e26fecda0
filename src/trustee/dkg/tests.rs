//! Tests of the key-generation ceremony: one per check (attacks 22, 23, 25 and rule 6).

use crate::digest::ManifestDigest;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use serde::Serialize;
use sha2::Digest;

use super::packages::evaluate;
use super::rounds::part1_with_coefficients;
use super::saved::HEAD_LEN;
use super::*;
use crate::codec::Wire;
use crate::group::Element;
use crate::manifest::{Manifest, TrusteePolicy};
use crate::proofs::SchnorrProof;
use crate::secret::SecretScalar;
use crate::testing::{ZeroRng, test_rng};
use crate::trustee::persist;
use crate::trustee::sealed::Direction;
use crate::trustee::{
    CeremonyError, IndexError, PublicKeySet, SealedShare, TrusteeIndex, TrusteeKey,
    lagrange_at_zero,
};

pub(crate) fn i(x: u16) -> TrusteeIndex {
    TrusteeIndex::new(x).unwrap()
}

pub(crate) fn manifest_with(id: &str, count: u16, threshold: u16) -> Manifest {
    let authority =
        Element::from_point_as(RistrettoPoint::mul_base(&Scalar::from(77u8)), "a").unwrap();
    let base = Manifest::leadership(authority, crate::testing::test_authorities(0)).unwrap();
    Manifest::new(
        id,
        base.contests().to_vec(),
        base.channels().to_vec(),
        TrusteePolicy::new(threshold, count).unwrap(),
        base.authorities(),
    )
    .unwrap()
}

fn leadership() -> Manifest {
    manifest_with("uk-conservative-leadership-2022", 5, 3)
}

/// The state of an honest ceremony, round by round, for tests that tamper between rounds.
struct Run {
    manifest: Manifest,
    s1: Vec<round1::SecretPackage>,
    p1: Vec<round1::Package>,
}

impl Run {
    fn start(manifest: Manifest, seed: u64) -> Self {
        let mut rng = test_rng(seed);
        let policy = manifest.trustees();
        let (s1, p1) = TrusteeIndex::all(policy)
            .map(|t| part1(t, policy, &manifest, &mut rng).unwrap())
            .unzip();
        Self { manifest, s1, p1 }
    }

    fn policy(&self) -> TrusteePolicy {
        self.manifest.trustees()
    }

    fn md(&self) -> ManifestDigest {
        self.manifest.digest()
    }

    fn round2(&self) -> (Vec<round2::SecretPackage>, Vec<round2::Package>) {
        self.s1.iter().map(|s| part2(s, &self.p1).unwrap()).unzip()
    }
}

/// Rounds 3 to 5 for every trustee, honest, from round-2 states.
fn rounds3to5(
    s2: &[round2::SecretPackage],
    p1: &[round1::Package],
    p2: &[round2::Package],
) -> (
    Vec<round4::SecretPackage>,
    Vec<round4::Package>,
    Vec<round5::Package>,
) {
    let (s3, inboxes) = round3_all(s2, p1, p2);
    let (s4, p4) = round4_all(&s3, &inboxes);
    let p5 = s4
        .iter()
        .map(|s| resolve_complaints(s, &p4).unwrap())
        .collect();
    (s4, p4, p5)
}

/// Round 3 for every dealer, and the round-3 packages as each trustee receives them (every
/// dealer's broadcast, one copy per recipient, so that a test can tamper with one recipient's
/// view).
fn round3_all(
    s2: &[round2::SecretPackage],
    p1: &[round1::Package],
    p2: &[round2::Package],
) -> (Vec<round3::SecretPackage>, Vec<Vec<round3::Package>>) {
    let (s3, p3): (Vec<_>, Vec<_>) = s2.iter().map(|s| part3(s, p1, p2).unwrap()).unzip();
    let inboxes = s3.iter().map(|_| p3.clone()).collect();
    (s3, inboxes)
}

fn round4_all(
    s3: &[round3::SecretPackage],
    inboxes: &[Vec<round3::Package>],
) -> (Vec<round4::SecretPackage>, Vec<round4::Package>) {
    s3.iter()
        .zip(inboxes)
        .map(|(s, inbox)| part4(s, inbox).unwrap())
        .unzip()
}

/// In `inbox`, dealer `from`'s share for `to` replaced by `wrong(honest share)`, sealed as an
/// honest dealer seals (a dealer that deals a share off its polynomial).
fn deal_wrong(
    s3: &[round3::SecretPackage],
    inbox: &mut [round3::Package],
    from: TrusteeIndex,
    to: TrusteeIndex,
    wrong: impl FnOnce(Scalar) -> Scalar,
) {
    let dealer = &s3[from.slot()];
    let value = SecretScalar::new(wrong(*evaluate(&dealer.frame.coefficients, to).expose()));
    let direction = Direction {
        manifest_digest: &dealer.frame.manifest_digest,
        reveals_digest: &dealer.view.reveals_digest,
        from,
        from_key: &dealer.view.encryption_keys[from.slot()],
        to,
        to_key: &dealer.view.encryption_keys[to.slot()],
    };
    let package = inbox.iter_mut().find(|p| p.dealer == from).unwrap();
    let slot = package.shares.iter_mut().find(|s| s.to == to).unwrap();
    slot.share = direction.seal(&dealer.frame.encryption_secret, &value);
}

fn finish_all(
    s4: &[round4::SecretPackage],
    p4: &[round4::Package],
    p5: &[round5::Package],
) -> (Vec<TrusteeKey>, PublicKeySet) {
    let mut keys = Vec::new();
    let mut publics = Vec::new();
    for s in s4 {
        let (key, public) = finish(s, p4, p5).unwrap();
        keys.push(key);
        publics.push(public);
    }
    assert!(
        publics.windows(2).all(|w| w[0] == w[1]),
        "one public key set"
    );
    (keys, publics.remove(0))
}

/// Σ_{l∈S} λ_l·x_l·G = K for the given subset of keys.
fn interpolates_to_joint_key(keys: &[&TrusteeKey], public: &PublicKeySet) -> bool {
    let set: Vec<_> = keys.iter().map(|k| k.trustee()).collect();
    let lambda = lagrange_at_zero(&set);
    let x: Scalar = keys
        .iter()
        .zip(&lambda)
        .map(|(k, l)| l * k.share().expose())
        .sum();
    RistrettoPoint::mul_base(&x) == *public.joint_key().point()
}

/// Changes a Schnorr proof's response by one.
fn bump_response(proof: &SchnorrProof) -> SchnorrProof {
    let mut bytes = proof.encode();
    let s = crate::group::decode_scalar(&bytes[32..], "s").unwrap() + Scalar::ONE;
    bytes[32..].copy_from_slice(s.as_bytes());
    SchnorrProof::decode(&bytes).unwrap()
}

/// Replaces a dealer's reveal and makes its round-1 digest match (a dealer that committed to
/// the bad reveal from the start).
fn recommit(p1: &mut [round1::Package], reveal: &round2::Package, md: &ManifestDigest) {
    p1[reveal.trustee.slot()].digest = reveal.commitment_digest(md);
}

#[test]
fn honest_three_of_five_ceremony() {
    let run = Run::start(leadership(), 1);
    let (s2, p2) = run.round2();
    let (s4, p4, p5) = rounds3to5(&s2, &run.p1, &p2);
    assert!(p4.iter().all(|p| p.accused.is_empty()));
    assert!(p5.iter().all(|p| p.answers.is_empty()));
    let (keys, public) = finish_all(&s4, &p4, &p5);
    assert_eq!(public.qualified().len(), 5);
    assert!(public.excluded().is_empty());
    // K = Σ C_{i,0}.
    let k: RistrettoPoint = p2.iter().map(|p| p.commitments[0].point()).sum();
    assert_eq!(*public.joint_key().point(), k);
    for key in &keys {
        assert_eq!(key.joint_key(), public.joint_key());
        assert_eq!(key.ceremony_digest(), public.ceremony_digest());
    }
    // Every 3-subset of the shares interpolates to K; 2 do not.
    for a in 0..5 {
        for b in a + 1..5 {
            assert!(!interpolates_to_joint_key(&[&keys[a], &keys[b]], &public));
            for c in b + 1..5 {
                assert!(interpolates_to_joint_key(
                    &[&keys[a], &keys[b], &keys[c]],
                    &public
                ));
            }
        }
    }
    // The verifier recomputes the same set from the public packages.
    assert_eq!(
        verify_ceremony(&run.manifest, &run.p1, &p2, &p4, &p5).unwrap(),
        public
    );
}

#[test]
fn run_ceremony_matches_and_works_for_edge_policies() {
    for (n, k) in [(1, 1), (2, 2), (4, 1), (7, 4)] {
        let m = manifest_with("edge", n, k);
        let (keys, public, _) =
            run_ceremony(m.trustees(), &m, &mut test_rng(u64::from(n))).unwrap();
        assert_eq!(keys.len(), usize::from(n));
        let first: Vec<&TrusteeKey> = keys.iter().take(usize::from(k)).collect();
        assert!(interpolates_to_joint_key(&first, &public));
    }
}

#[test]
fn policy_and_index_errors() {
    let m = leadership();
    let mut rng = test_rng(2);
    assert_eq!(TrusteeIndex::new(0), Err(IndexError::Zero));
    assert_eq!(
        part1(i(6), m.trustees(), &m, &mut rng).unwrap_err(),
        CeremonyError::Index(IndexError::OutOfRange { index: 6, count: 5 })
    );
    // A policy k > n cannot be made, so no step of the ceremony ever sees one.
    assert_eq!(
        TrusteePolicy::new(4, 3),
        Err(crate::manifest::PolicyError::ThresholdAboveCount {
            threshold: 4,
            count: 3
        })
    );
    assert_eq!(
        part1(i(1), TrusteePolicy::new(2, 5).unwrap(), &m, &mut rng).unwrap_err(),
        CeremonyError::PolicyMismatch {
            count: 5,
            threshold: 2,
            manifest_count: 5,
            manifest_threshold: 3
        }
    );
}

#[test]
fn duplicate_missing_and_foreign_indices_are_refused() {
    let run = Run::start(leadership(), 3);
    let mut dup = run.p1.clone();
    dup[4] = round1::Package {
        trustee: i(2),
        digest: [9; 32],
    };
    assert_eq!(
        part2(&run.s1[0], &dup).unwrap_err(),
        CeremonyError::DuplicatePackage {
            round: 1,
            trustee: i(2)
        }
    );
    assert_eq!(
        part2(&run.s1[0], &run.p1[..4]).unwrap_err(),
        CeremonyError::MissingPackage {
            round: 1,
            trustee: i(5)
        }
    );
    let mut foreign = run.p1.clone();
    foreign.push(round1::Package {
        trustee: i(6),
        digest: [0; 32],
    });
    assert_eq!(
        part2(&run.s1[0], &foreign).unwrap_err(),
        CeremonyError::Index(IndexError::OutOfRange { index: 6, count: 5 })
    );
    // A zero index does not even deserialize.
    assert!(
        serde_json::from_str::<round1::Package>(&format!(
            "{{\"trustee\":0,\"digest\":\"{}\"}}",
            hex::encode([0u8; 32])
        ))
        .is_err()
    );
}

#[test]
fn own_commitment_replaced_is_equivocation() {
    let run = Run::start(leadership(), 4);
    let mut p1 = run.p1.clone();
    p1[0].digest[0] ^= 1;
    assert_eq!(
        part2(&run.s1[0], &p1).unwrap_err(),
        CeremonyError::Equivocation {
            round: 1,
            trustee: i(1)
        }
    );
    // Another trustee's digest changed between part2 and part3.
    let (s2, p2) = run.round2();
    let mut later = run.p1.clone();
    later[3].digest[5] ^= 1;
    assert_eq!(
        part3(&s2[0], &later, &p2).unwrap_err(),
        CeremonyError::Equivocation {
            round: 1,
            trustee: i(4)
        }
    );
}

/// Attack 25 (second half), rule 6: a rushing trustee changes its reveal after seeing others'.
#[test]
fn rushing_reveal_is_named() {
    let run = Run::start(leadership(), 5);
    let (s2, mut p2) = run.round2();
    // Trustee 3 reveals a fresh polynomial (as if chosen after seeing the others' reveals).
    let (other, _) = part1(i(3), run.policy(), &run.manifest, &mut test_rng(99)).unwrap();
    p2[2] = other.reveal.clone();
    let err = part3(&s2[0], &run.p1, &p2).unwrap_err();
    assert_eq!(err, CeremonyError::RevealMismatch { dealer: i(3) });
    assert_eq!(err.culprits(), vec![i(3)]);
    assert!(verify_ceremony(&run.manifest, &run.p1, &p2, &[], &[]).is_err());
}

#[test]
fn wrong_commitment_count_is_named() {
    let mut run = Run::start(leadership(), 6);
    let (s2, mut p2) = run.round2();
    p2[1].commitments.pop();
    p2[1].proofs.pop();
    let md = run.md();
    recommit(&mut run.p1, &p2[1], &md);
    // The honest trustees' part2 states saw the original digest: check with the verifier.
    assert_eq!(
        verify_ceremony(&run.manifest, &run.p1, &p2, &[], &[]).unwrap_err(),
        CeremonyError::CommitmentCount {
            dealer: i(2),
            expected: 3,
            commitments: 2,
            proofs: 2
        }
    );
    drop(s2);
}

/// A reveal with `k` commitments but fewer proofs of possession is `CommitmentCount` too: a
/// commitment without its proof must not slip through (kills `|| -> &&` in `check_reveals`,
/// under which the last commitment went unproved).
#[test]
fn a_reveal_short_of_one_proof_is_named() {
    let mut run = Run::start(leadership(), 8);
    let (_, mut p2) = run.round2();
    p2[3].proofs.pop();
    let md = run.md();
    recommit(&mut run.p1, &p2[3], &md);
    assert_eq!(
        verify_ceremony(&run.manifest, &run.p1, &p2, &[], &[]).unwrap_err(),
        CeremonyError::CommitmentCount {
            dealer: i(4),
            expected: 3,
            commitments: 3,
            proofs: 2
        }
    );
}

/// A published transcript lists every round's packages in strictly ascending trustee order:
/// swapped or repeated packages are `PackageOrder`, named by round and by the first trustee out
/// of place (kills `ascending -> Ok(())` and `>= -> >` in `ascending`).
#[test]
fn a_transcript_out_of_order_is_refused() {
    let m = leadership();
    let (_, public, transcript) = run_ceremony(m.trustees(), &m, &mut test_rng(31)).unwrap();
    assert_eq!(transcript.verify(&m), Ok(public));
    let order = |round, trustee| Err(CeremonyError::PackageOrder { round, trustee });
    let mut t = transcript.clone();
    t.round1.swap(1, 2);
    assert_eq!(t.verify(&m), order(1, i(2)));
    let mut t = transcript.clone();
    t.round2.swap(0, 4);
    assert_eq!(t.verify(&m), order(2, i(2)));
    // Round 4 lists only the trustees that complained (none here): a repeated package.
    assert!(transcript.round4.is_empty());
    let complaint = |trustee: u16, accused: Vec<u16>| round4::Package {
        trustee: i(trustee),
        accused: accused.into_iter().map(i).collect(),
    };
    let mut t = transcript.clone();
    t.round4 = vec![complaint(1, vec![2]), complaint(1, vec![2])];
    assert_eq!(t.verify(&m), order(4, i(1)));
    // Round 5 lists only the dealers that answered (none here); two answers out of order.
    assert!(transcript.round5.is_empty());
    let answer = |dealer: u16, accuser: u16| round5::Package {
        dealer: i(dealer),
        answers: vec![round5::Answer {
            accuser: i(accuser),
            share: Scalar::ONE,
        }],
    };
    let mut t = transcript.clone();
    t.round5 = vec![answer(4, 1), answer(3, 1)];
    assert_eq!(t.verify(&m), order(5, i(3)));
    // The lists inside the packages have one order too (finding 11).
    let list = |round, trustee| Err(CeremonyError::ListOrder { round, trustee });
    let mut t = transcript.clone();
    t.round4 = vec![complaint(3, vec![5, 1])];
    assert_eq!(t.verify(&m), list(4, i(3)));
    t.round4 = vec![complaint(3, vec![1, 1])];
    assert_eq!(t.verify(&m), list(4, i(3)));
    let mut t = transcript;
    let mut two = answer(2, 4);
    two.answers.push(round5::Answer {
        accuser: i(1),
        share: Scalar::ONE,
    });
    t.round5 = vec![two];
    assert_eq!(t.verify(&m), list(5, i(2)));
}

/// Finding 11 of the attacker's review: round 5 of a transcript has one canonical form. An
/// empty package (a dealer with nothing to answer) is refused, and `CeremonyTranscript::new`
/// leaves such packages out and sorts every round.
#[test]
fn round5_of_a_transcript_lists_only_dealers_with_answers() {
    let m = leadership();
    let (_, public, transcript) = run_ceremony(m.trustees(), &m, &mut test_rng(32)).unwrap();
    let mut t = transcript.clone();
    t.round5 = vec![round5::Package {
        dealer: i(2),
        answers: vec![],
    }];
    assert_eq!(
        t.verify(&m),
        Err(CeremonyError::EmptyPackage {
            round: 5,
            trustee: i(2)
        })
    );
    let empties = (1..=5u16)
        .rev()
        .map(|dealer| round5::Package {
            dealer: i(dealer),
            answers: vec![],
        })
        .collect();
    let mut round1 = transcript.round1.clone();
    round1.reverse();
    let rebuilt = CeremonyTranscript::new(
        round1,
        transcript.round2.clone(),
        transcript.round4.clone(),
        empties,
    );
    assert_eq!(rebuilt, transcript);
    assert_eq!(rebuilt.verify(&m), Ok(public));
    // Round 4 likewise: no complaint, no package (honest runs have none).
    assert!(transcript.round4.is_empty());
    let mut t = transcript;
    t.round4 = vec![round4::Package {
        trustee: i(3),
        accused: vec![],
    }];
    assert_eq!(
        t.verify(&m),
        Err(CeremonyError::EmptyPackage {
            round: 4,
            trustee: i(3)
        })
    );
}

/// Finding 10 of the attacker's review: a trustee silent in round 4 past the deadline cannot
/// stall the ceremony. Its silence is no complaint: every other trustee, and a verifier,
/// computes the same key set as with its empty package; a trustee that did complain cannot
/// finish pretending it did not (its saved complaints are compared with its package).
#[test]
fn a_trustee_silent_in_round_4_complains_about_no_one() {
    let run = Run::start(leadership(), 25);
    let (s2, p2) = run.round2();
    let (s3, mut inboxes) = round3_all(&s2, &run.p1, &p2);
    // Trustee 5 received a bad share from dealer 1 and complained: its package stays.
    deal_wrong(&s3, &mut inboxes[4], i(1), i(5), |v| v + Scalar::ONE);
    let (s4, p4) = round4_all(&s3, &inboxes);
    let p5: Vec<_> = s4
        .iter()
        .map(|s| resolve_complaints(s, &p4).unwrap())
        .collect();
    let (_, full) = finish(&s4[0], &p4, &p5).unwrap();
    // Trustee 2 is silent.
    let silent: Vec<_> = p4.iter().filter(|p| p.trustee != i(2)).cloned().collect();
    let (_, without) = finish(&s4[0], &silent, &p5).unwrap();
    assert_eq!(without, full);
    let (_, own_missing) = finish(&s4[1], &silent, &p5).unwrap();
    assert_eq!(own_missing, full);
    assert_eq!(
        verify_ceremony(&run.manifest, &run.p1, &p2, &silent, &p5).unwrap(),
        full
    );
    // Trustee 5 complained; without its package it cannot finish.
    let dropped: Vec<_> = p4.iter().filter(|p| p.trustee != i(5)).cloned().collect();
    assert_eq!(
        finish(&s4[4], &dropped, &p5).unwrap_err(),
        CeremonyError::Equivocation {
            round: 4,
            trustee: i(5)
        }
    );
}

/// Attack 22: a proof of possession that does not verify.
#[test]
fn bad_possession_proof_is_named() {
    let run = Run::start(leadership(), 7);
    let md = run.md();
    // Dealer 4 commits to a reveal whose proof of coefficient 1 has a changed response.
    let mut s1 = run.s1;
    let mut p1 = run.p1;
    s1[3].reveal.proofs[1] = bump_response(&s1[3].reveal.proofs[1]);
    recommit(&mut p1, &s1[3].reveal.clone(), &md);
    let (s2, p2): (Vec<_>, Vec<_>) = s1.iter().map(|s| part2(s, &p1).unwrap()).unzip();
    let err = part3(&s2[0], &p1, &p2).unwrap_err();
    assert_eq!(
        err,
        CeremonyError::PossessionProof {
            dealer: i(4),
            coefficient: 1
        }
    );
    assert_eq!(err.culprits(), vec![i(4)]);
}

/// Attack 22: a commitment and its proof copied from another dealer (rogue key).
#[test]
fn possession_proof_copied_from_another_index_is_rejected() {
    let mut run = Run::start(leadership(), 8);
    let md = run.md();
    let (_, mut p2) = run.round2();
    p2[1].commitments[0] = p2[0].commitments[0];
    p2[1].proofs[0] = p2[0].proofs[0];
    // ... and another coefficient's proof moved to coefficient 2.
    p2[1].commitments.swap(1, 2);
    p2[1].proofs.swap(1, 2);
    recommit(&mut run.p1, &p2[1], &md);
    let err = verify_ceremony(&run.manifest, &run.p1, &p2, &[], &[]).unwrap_err();
    assert_eq!(
        err,
        CeremonyError::Several(vec![
            CeremonyError::PossessionProof {
                dealer: i(2),
                coefficient: 0
            },
            CeremonyError::PossessionProof {
                dealer: i(2),
                coefficient: 1
            },
            CeremonyError::PossessionProof {
                dealer: i(2),
                coefficient: 2
            },
        ])
    );
    assert_eq!(err.culprits(), vec![i(2)]);
}

/// Attack 22: a reveal replayed from another election's ceremony.
#[test]
fn possession_proof_from_another_election_is_rejected() {
    let mut run = Run::start(leadership(), 9);
    let md = run.md();
    let other = manifest_with("another-election", 5, 3);
    let (replayed, _) = part1(i(5), other.trustees(), &other, &mut test_rng(10)).unwrap();
    let (_, mut p2) = run.round2();
    p2[4] = replayed.reveal.clone();
    recommit(&mut run.p1, &p2[4], &md);
    let err = verify_ceremony(&run.manifest, &run.p1, &p2, &[], &[]).unwrap_err();
    assert_eq!(err.culprits(), vec![i(5)]);
    let CeremonyError::Several(errors) = err else {
        panic!("several errors")
    };
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert_eq!(
        errors[3],
        CeremonyError::EncryptionKeyProof { dealer: i(5) }
    );
}

/// Finding 1 of the attacker's review: a trustee that publishes another trustee's encryption
/// key (to read the shares sealed for it) cannot prove possession: `EncryptionKeyProof`, naming
/// it, and only it.
#[test]
fn an_encryption_key_copied_from_another_trustee_is_rejected() {
    let mut run = Run::start(leadership(), 9);
    let md = run.md();
    let (_, mut p2) = run.round2();
    p2[2].encryption_key = p2[0].encryption_key;
    recommit(&mut run.p1, &p2[2], &md);
    let err = verify_ceremony(&run.manifest, &run.p1, &p2, &[], &[]).unwrap_err();
    assert_eq!(err, CeremonyError::EncryptionKeyProof { dealer: i(3) });
    // With its proof too: the proof is bound to the trustee's index.
    p2[2].encryption_proof = p2[0].encryption_proof;
    recommit(&mut run.p1, &p2[2], &md);
    let err = verify_ceremony(&run.manifest, &run.p1, &p2, &[], &[]).unwrap_err();
    assert_eq!(err, CeremonyError::EncryptionKeyProof { dealer: i(3) });
    assert_eq!(err.culprits(), vec![i(3)]);
}

/// Attack 23: a share inconsistent with the dealer's commitments, answered correctly.
#[test]
fn bad_share_complaint_cleared_by_a_correct_answer() {
    let run = Run::start(leadership(), 11);
    let (s2, p2) = run.round2();
    let (s3, mut inboxes) = round3_all(&s2, &run.p1, &p2);
    // Dealer 2's share to trustee 4 is off by one.
    deal_wrong(&s3, &mut inboxes[3], i(2), i(4), |v| v + Scalar::ONE);
    let (s4, p4) = round4_all(&s3, &inboxes);
    assert_eq!(p4[3].accused, vec![i(2)]);
    assert_eq!(
        p4[3].complaints().collect::<Vec<_>>(),
        vec![Complaint {
            accuser: i(4),
            accused: i(2)
        }]
    );
    let p5: Vec<_> = s4
        .iter()
        .map(|s| resolve_complaints(s, &p4).unwrap())
        .collect();
    assert_eq!(p5[1].answers.len(), 1);
    assert!(
        p5.iter()
            .enumerate()
            .all(|(j, p)| j == 1 || p.answers.is_empty())
    );
    let (keys, public) = finish_all(&s4, &p4, &p5);
    assert_eq!(public.qualified().len(), 5);
    assert!(interpolates_to_joint_key(
        &[&keys[3], &keys[0], &keys[4]],
        &public
    ));
    assert_eq!(
        verify_ceremony(&run.manifest, &run.p1, &p2, &p4, &p5).unwrap(),
        public
    );
    // Without the answers, the complaint stands: dealer 2 is excluded.
    let (_, excluded) = finish(&s4[0], &p4, &[]).unwrap();
    assert_eq!(excluded.excluded(), vec![i(2)]);
    assert_ne!(excluded.joint_key(), public.joint_key());
}

/// A dealer accused by k trustees is excluded and answers nothing: k public answers would
/// reveal its whole polynomial, its secret term included.
#[test]
fn a_dealer_accused_by_k_trustees_is_excluded_without_answering() {
    let run = Run::start(leadership(), 13);
    let (s2, p2) = run.round2();
    let (s3, mut inboxes) = round3_all(&s2, &run.p1, &p2);
    // Dealer 1's shares to trustees 2, 3 and 4 (k = 3 of them) are all wrong.
    for to in [2, 3, 4] {
        deal_wrong(&s3, &mut inboxes[to - 1], i(1), i(to as u16), |v| {
            v + Scalar::ONE
        });
    }
    let (s4, p4) = round4_all(&s3, &inboxes);
    let p5: Vec<_> = s4
        .iter()
        .map(|s| resolve_complaints(s, &p4).unwrap())
        .collect();
    assert!(p5[0].answers.is_empty(), "the dealer reveals no share");
    let (_, public) = finish_all(&s4, &p4, &p5);
    assert_eq!(public.excluded(), vec![i(1)]);
    // Even a dealer that answers anyway stays excluded.
    let mut answered = p5.clone();
    answered[0].answers = vec![];
    for to in [2u16, 3, 4] {
        let share = *evaluate(&s2[0].frame.coefficients, i(to)).expose();
        answered[0].answers.push(round5::Answer {
            accuser: i(to),
            share,
        });
    }
    let again = verify_ceremony(&run.manifest, &run.p1, &p2, &p4, &answered).unwrap();
    assert_eq!(again.excluded(), vec![i(1)]);
}

/// Attack 23: a wrong answer excludes the dealer; the key is made from the rest.
#[test]
fn wrong_answer_excludes_the_dealer() {
    let run = Run::start(leadership(), 12);
    let (s2, p2) = run.round2();
    let (s3, mut inboxes) = round3_all(&s2, &run.p1, &p2);
    deal_wrong(&s3, &mut inboxes[0], i(3), i(1), |_| Scalar::from(5u8));
    let (s4, p4) = round4_all(&s3, &inboxes);
    assert_eq!(p4[0].accused, vec![i(3)]);
    let mut p5: Vec<_> = s4
        .iter()
        .map(|s| resolve_complaints(s, &p4).unwrap())
        .collect();
    p5[2].answers[0].share += Scalar::ONE;
    let (keys, public) = finish_all(&s4, &p4, &p5);
    assert_eq!(public.qualified(), &[i(1), i(2), i(4), i(5)]);
    assert_eq!(public.excluded(), vec![i(3)]);
    let k: RistrettoPoint = [0, 1, 3, 4]
        .iter()
        .map(|&d| p2[d].commitments[0].point())
        .sum();
    assert_eq!(*public.joint_key().point(), k);
    // Every trustee, the excluded dealer included, still holds a share of the new key.
    assert!(interpolates_to_joint_key(
        &[&keys[0], &keys[2], &keys[4]],
        &public
    ));
    assert!(interpolates_to_joint_key(
        &[&keys[1], &keys[2], &keys[3]],
        &public
    ));
    // The ceremony digest records the exclusion.
    let (_, honest) = {
        let good: Vec<_> = s4
            .iter()
            .map(|s| resolve_complaints(s, &p4).unwrap())
            .collect();
        finish(&s4[1], &p4, &good).unwrap()
    };
    assert_ne!(honest.ceremony_digest(), public.ceremony_digest());
}

#[test]
fn too_many_exclusions_abort() {
    let run = Run::start(manifest_with("tight", 3, 3), 13);
    let (s2, p2) = run.round2();
    let (s3, mut inboxes) = round3_all(&s2, &run.p1, &p2);
    inboxes[0].clear();
    let (s4, p4) = round4_all(&s3, &inboxes);
    assert_eq!(p4[0].accused, vec![i(2), i(3)]);
    let err = finish(&s4[1], &p4, &[]).unwrap_err();
    assert_eq!(
        err,
        CeremonyError::TooFewQualified {
            qualified: 1,
            threshold: 3,
            excluded: vec![i(2), i(3)]
        }
    );
    assert_eq!(err.culprits(), vec![i(2), i(3)]);
}

#[test]
fn malformed_complaints_and_answers_are_named() {
    let run = Run::start(leadership(), 14);
    let (s2, p2) = run.round2();
    let (s4, p4, p5) = rounds3to5(&s2, &run.p1, &p2);
    let mut self_accusing = p4.clone();
    self_accusing[2].accused = vec![i(3)];
    assert_eq!(
        finish(&s4[0], &self_accusing, &p5).unwrap_err(),
        CeremonyError::InvalidComplaint {
            accuser: i(3),
            accused: 3
        }
    );
    let mut out_of_range = p4.clone();
    out_of_range[2].accused = vec![i(9)];
    assert_eq!(
        finish(&s4[0], &out_of_range, &p5).unwrap_err().culprits(),
        vec![i(3)]
    );
    let mut unsolicited = p5.clone();
    unsolicited[0].answers.push(round5::Answer {
        accuser: i(2),
        share: Scalar::ONE,
    });
    assert_eq!(
        finish(&s4[0], &p4, &unsolicited).unwrap_err(),
        CeremonyError::UnsolicitedAnswer {
            dealer: i(1),
            accuser: i(2)
        }
    );
    // A trustee's own complaints replaced by someone else.
    let mut forged = p4.clone();
    forged[0].accused = vec![i(2)];
    assert_eq!(
        finish(&s4[0], &forged, &p5).unwrap_err(),
        CeremonyError::Equivocation {
            round: 4,
            trustee: i(1)
        }
    );
}

#[test]
fn shares_that_do_not_open_are_misdirected_repeated_or_missing_get_complaints() {
    let run = Run::start(leadership(), 15);
    let (s2, p2) = run.round2();
    let (s3, inboxes) = round3_all(&s2, &run.p1, &p2);
    let honest = &inboxes[0];
    let accused = |inbox: &[round3::Package]| part4(&s3[0], inbox).unwrap().1.accused;
    assert!(accused(honest).is_empty());
    // Dealer 2's share for trustee 1 with one flipped bit: it does not open.
    let mut flipped = honest.clone();
    let mut bytes = flipped[1].shares[0].share.encode();
    bytes[5] ^= 0x10;
    flipped[1].shares[0].share = SealedShare::decode(&bytes).unwrap();
    assert_eq!(accused(&flipped), vec![i(2)]);
    // Dealer 3's share for trustee 2, relabelled as trustee 1's: sealed for another
    // recipient, it does not open for trustee 1 (nor does trustee 1's own share remain).
    let mut misdirected = honest.clone();
    let for_two = misdirected[2].shares[1].share;
    misdirected[2].shares[0].share = for_two;
    assert_eq!(accused(&misdirected), vec![i(3)]);
    // A share of another election's ceremony (same dealers, another manifest) does not open.
    let other = Run::start(manifest_with("another-election", 5, 3), 15);
    let (os2, op2) = other.round2();
    let (_, other_inboxes) = round3_all(&os2, &other.p1, &op2);
    let mut foreign = honest.clone();
    foreign[3] = other_inboxes[0][3].clone();
    assert_eq!(accused(&foreign), vec![i(4)]);
    // A byte-identical copy of a package (a dealer's re-send after a crash) is the same
    // package; two different packages from one dealer, none from another, and a package
    // without a share for trustee 1 each get a complaint.
    let mut resent = honest.clone();
    resent.push(honest[4].clone());
    assert!(accused(&resent).is_empty());
    let mut twice = honest.clone();
    let mut other = honest[4].clone();
    other.shares.pop();
    twice.push(other);
    twice.retain(|p| p.dealer != i(2));
    twice[1].shares.retain(|s| s.to != i(1));
    assert_eq!(accused(&twice), vec![i(2), i(3), i(5)]);
    // The trustee's own package is ignored, and a package from a non-trustee is refused.
    assert!(accused(&honest[1..]).is_empty());
    let mut stranger = honest.clone();
    stranger[1].dealer = TrusteeIndex::new(9).unwrap();
    assert_eq!(
        part4(&s3[0], &stranger).unwrap_err(),
        CeremonyError::Index(IndexError::OutOfRange { index: 9, count: 5 })
    );
}

/// Finding 1 of the attacker's review: nothing readable of a share lies in a round-3 package,
/// which is broadcast; each share opens for its recipient alone.
#[test]
fn a_round3_package_holds_no_share_in_clear() {
    let run = Run::start(leadership(), 16);
    let (s2, p2) = run.round2();
    let (s3, inboxes) = round3_all(&s2, &run.p1, &p2);
    for (dealer, package) in inboxes[0].iter().enumerate() {
        let json = serde_json::to_string(package).unwrap();
        for to in TrusteeIndex::all(run.policy()).filter(|&t| t.slot() != dealer) {
            let share = evaluate(&s3[dealer].frame.coefficients, to);
            assert!(
                !json.contains(&hex::encode(share.expose().as_bytes())),
                "{json}"
            );
        }
        assert_eq!(package.shares.len(), 4);
        // Byte-identical when re-made from the saved state (a re-run after a crash).
        let saved = round3::SecretPackage::from_secret_bytes(&s3[dealer].to_secret_bytes());
        assert_eq!(&saved.unwrap().package(), package);
    }
}

/// Attack 23: a joint key equal to the identity aborts the ceremony.
#[test]
fn identity_joint_key_aborts() {
    let m = manifest_with("identity-key", 3, 2);
    let policy = m.trustees();
    let md = m.digest();
    let mut rng = test_rng(16);
    let (s1a, p1a) = part1(i(1), policy, &m, &mut rng).unwrap();
    let (s1b, p1b) = part1(i(2), policy, &m, &mut rng).unwrap();
    // Dealer 3 knows the others' constant terms and cancels them (possible only with their
    // cooperation: commit-then-reveal stops a lone rushing dealer).
    let cancel = -(s1a.frame.coefficients[0].expose() + s1b.frame.coefficients[0].expose());
    let coefficients = vec![
        SecretScalar::new(cancel),
        SecretScalar::new(Scalar::from(3u8)),
    ];
    let e = SecretScalar::new(Scalar::from(99u8));
    let (s1c, p1c) = part1_with_coefficients(i(3), policy, md, coefficients, e, &mut rng);
    let s1 = [s1a, s1b, s1c];
    let p1 = vec![p1a, p1b, p1c];
    let (s2, p2): (Vec<_>, Vec<_>) = s1.iter().map(|s| part2(s, &p1).unwrap()).unzip();
    let (s4, p4, p5) = rounds3to5(&s2, &p1, &p2);
    assert_eq!(
        finish(&s4[0], &p4, &p5).unwrap_err(),
        CeremonyError::IdentityJointKey
    );
    assert_eq!(
        verify_ceremony(&m, &p1, &p2, &p4, &p5).unwrap_err(),
        CeremonyError::IdentityJointKey
    );
}

/// Attack 28 / rule 8: a stuck RNG still gives trustees (and elections) distinct polynomials.
#[test]
fn stuck_zero_rng_still_gives_distinct_coefficients() {
    let m = leadership();
    let other = manifest_with("another-election", 5, 3);
    let mut commitments = Vec::new();
    for t in 1..=5 {
        let (s, _) = part1(i(t), m.trustees(), &m, &mut ZeroRng).unwrap();
        commitments.extend(s.reveal.commitments.iter().copied());
    }
    let (s, _) = part1(i(1), other.trustees(), &other, &mut ZeroRng).unwrap();
    commitments.extend(s.reveal.commitments.iter().copied());
    let mut sorted = commitments.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        commitments.len(),
        "all 18 coefficients distinct"
    );
    // And the whole ceremony still works.
    let (keys, public, _) = run_ceremony(m.trustees(), &m, &mut ZeroRng).unwrap();
    assert!(interpolates_to_joint_key(
        &[&keys[0], &keys[1], &keys[2]],
        &public
    ));
}

#[test]
fn secrets_print_nothing_and_round_trip() {
    let run = Run::start(leadership(), 17);
    let secret_hex = |s: &SecretScalar| hex::encode(s.expose().as_bytes());
    let s1 = &run.s1[0];
    let a0 = secret_hex(&s1.frame.coefficients[0]);
    let check_debug = |text: String| {
        assert!(!text.contains(&a0), "{text}");
        assert!(!text.to_lowercase().contains("coefficients"), "{text}");
    };

    check_debug(format!("{s1:?}"));
    let bytes = s1.to_secret_bytes();
    let back = round1::SecretPackage::from_secret_bytes(&bytes).unwrap();
    assert_eq!(back.to_secret_bytes(), bytes);
    assert_eq!(back.package(), run.p1[0]);

    let (s2, p2) = run.round2();
    check_debug(format!("{:?}", s2[0]));
    let bytes = s2[0].to_secret_bytes();
    let back = round2::SecretPackage::from_secret_bytes(&bytes).unwrap();
    assert_eq!(back.to_secret_bytes(), bytes);
    assert_eq!(back.package(), p2[0]);

    let (s3, inboxes) = round3_all(&s2, &run.p1, &p2);
    check_debug(format!("{:?}", s3[0]));
    let bytes = s3[0].to_secret_bytes();
    let back = round3::SecretPackage::from_secret_bytes(&bytes).unwrap();
    assert_eq!(back.to_secret_bytes(), bytes);

    assert_eq!(back.package(), inboxes[0][0]);

    let (s4, p4) = round4_all(&s3, &inboxes);
    check_debug(format!("{:?}", s4[0]));
    let bytes = s4[0].to_secret_bytes();
    let back = round4::SecretPackage::from_secret_bytes(&bytes).unwrap();
    assert_eq!(back.to_secret_bytes(), bytes);
    assert_eq!(back.package(), p4[0]);

    let p5: Vec<_> = s4
        .iter()
        .map(|s| resolve_complaints(s, &p4).unwrap())
        .collect();
    let (key, _) = finish(&back, &p4, &p5).unwrap();
    let text = format!("{key:?}");
    assert!(text.contains("redacted"));
    assert!(!text.contains(&secret_hex(key.share())), "{text}");
    let bytes = key.to_secret_bytes();
    assert_eq!(bytes.len(), TrusteeKey::SECRET_LEN);
    let back = TrusteeKey::from_secret_bytes(&bytes).unwrap();
    assert_eq!(back.to_secret_bytes(), bytes);
}

#[test]
fn corrupt_or_foreign_secret_bytes_are_refused() {
    let run = Run::start(leadership(), 18);
    let bytes = run.s1[0].to_secret_bytes();
    // Every kind refuses the others' bytes.
    assert!(round2::SecretPackage::from_secret_bytes(&bytes).is_err());
    assert!(TrusteeKey::from_secret_bytes(&bytes).is_err());
    // Trailing, truncated, wrong version.
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert!(matches!(
        round1::SecretPackage::from_secret_bytes(&longer),
        Err(CeremonyError::Encoding(
            crate::EncodingError::TrailingBytes { .. }
        ))
    ));
    assert!(round1::SecretPackage::from_secret_bytes(&bytes[..bytes.len() - 1]).is_err());
    let mut version = bytes.to_vec();
    version[4] = 3;
    assert!(matches!(
        round1::SecretPackage::from_secret_bytes(&version),
        Err(CeremonyError::SecretVersion { found: 3, .. })
    ));
    // A changed coefficient no longer matches its saved proof.
    let mut changed = bytes.to_vec();
    changed[persist::HEADER_LEN + HEAD_LEN] ^= 1;
    assert_eq!(
        round1::SecretPackage::from_secret_bytes(&changed).unwrap_err(),
        CeremonyError::CorruptSecret {
            reason: "a saved proof of possession does not match its coefficient"
        }
    );
    // A key whose share does not match its verification share.
    let (keys, _, _) = run_ceremony(run.policy(), &run.manifest, &mut test_rng(19)).unwrap();
    let mut key = keys[0].to_secret_bytes().to_vec();
    let last = key.len() - 32;
    key[last] ^= 1;
    assert!(matches!(
        TrusteeKey::from_secret_bytes(&key),
        Err(CeremonyError::CorruptSecret { .. })
    ));
}

#[test]
fn public_packages_round_trip_through_json() {
    let run = Run::start(leadership(), 20);
    let (s2, p2) = run.round2();
    let (s3, mut inboxes) = round3_all(&s2, &run.p1, &p2);
    inboxes[1].retain(|p| p.dealer != i(5));
    let (s4, p4) = round4_all(&s3, &inboxes);
    let p5: Vec<_> = s4
        .iter()
        .map(|s| resolve_complaints(s, &p4).unwrap())
        .collect();
    let (_, public) = finish_all(&s4, &p4, &p5);

    fn round_trip<T: Serialize + serde::de::DeserializeOwned + PartialEq + core::fmt::Debug>(
        value: &T,
    ) -> String {
        let json = serde_json::to_string(value).unwrap();
        assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), value);
        let extra = json.replacen('{', "{\"extra\":1,", 1);
        assert!(serde_json::from_str::<T>(&extra).is_err(), "{extra}");
        json
    }
    round_trip(&run.p1[0]);
    round_trip(&p2[0]);
    let json3 = round_trip(&inboxes[0][0]);
    assert!(json3.starts_with("{\"dealer\":1,\"shares\":[{\"to\":2,\"share\":\""));
    let json4 = round_trip(&p4[1]);
    assert_eq!(json4, "{\"trustee\":2,\"accused\":[5]}");
    let json5 = round_trip(&p5[4]);
    assert!(json5.starts_with("{\"dealer\":5,\"answers\":[{\"accuser\":2,\"share\":\""));
    let json = round_trip(&public);

    // A public key set whose verification share was changed is inconsistent.
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["verification_shares"][4] =
        serde_json::Value::String(hex::encode(Element::generator().as_bytes()));
    let err = serde_json::from_value::<PublicKeySet>(value.clone()).unwrap_err();
    assert!(err.to_string().contains("polynomial"), "{err}");
    // So is one whose joint key was changed, and one with too few qualified dealers.
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["joint_key"] = serde_json::Value::String(hex::encode(Element::generator().as_bytes()));
    assert!(serde_json::from_value::<PublicKeySet>(value).is_err());
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["qualified"] = serde_json::json!([1, 2]);
    assert!(serde_json::from_value::<PublicKeySet>(value).is_err());
    // A non-canonical revealed share is refused, and so is a short one.
    let mut value: serde_json::Value = serde_json::from_str(&json5).unwrap();
    value["answers"][0]["share"] = serde_json::Value::String("ff".repeat(32));
    let err = serde_json::from_value::<round5::Package>(value.clone()).unwrap_err();
    assert!(err.to_string().contains("canonical"), "{err}");
    value["answers"][0]["share"] = serde_json::Value::String("00".repeat(31));
    assert!(serde_json::from_value::<round5::Package>(value).is_err());
}

/// The review of the sealed shares: a saved round-3 or round-4 state whose own encryption key
/// is not `e_i·G` (another trustee's key in its slot) is refused on loading; so is a zero `e_i`.
#[test]
fn a_saved_state_whose_own_encryption_key_is_not_its_secrets_is_refused() {
    let run = Run::start(leadership(), 21);
    let (s2, p2) = run.round2();
    let (s3, inboxes) = round3_all(&s2, &run.p1, &p2);
    let (s4, _) = round4_all(&s3, &inboxes);
    let (n, k) = (5usize, 3usize);
    // Frame, coefficients, e_i, R, commitments, then the n encryption keys.
    let keys_at = persist::HEADER_LEN + HEAD_LEN + 32 * k + 32 + 32 + 32 * n * k;
    let own = keys_at; // trustee 1's own slot
    let corrupt = CeremonyError::CorruptSecret {
        reason: "the trustee's own encryption key is not its encryption secret's",
    };
    let mut bytes = s3[0].to_secret_bytes().to_vec();
    assert_eq!(
        &bytes[own..own + 32],
        s3[0].view.encryption_keys[0].as_bytes()
    );
    bytes.copy_within(own + 32..own + 64, own);
    assert_eq!(
        round3::SecretPackage::from_secret_bytes(&bytes).unwrap_err(),
        corrupt
    );
    let mut bytes = s4[0].to_secret_bytes().to_vec();
    bytes.copy_within(own + 32..own + 64, own);
    assert_eq!(
        round4::SecretPackage::from_secret_bytes(&bytes).unwrap_err(),
        corrupt
    );
    // A zero encryption secret, in a round-1 state.
    let mut bytes = run.s1[0].to_secret_bytes().to_vec();
    let e_at = persist::HEADER_LEN + HEAD_LEN + 32 * k;
    bytes[e_at..e_at + 32].fill(0);
    assert_eq!(
        round1::SecretPackage::from_secret_bytes(&bytes).unwrap_err(),
        CeremonyError::CorruptSecret {
            reason: "a zero encryption secret"
        }
    );
}

/// The review of the sealed shares: a polynomial made public (k colluders hold k − 1 points,
/// one public answer gives the k-th) does not open the shares sealed for its dealer. The first
/// draft derived `e_i` from the coefficients, SHA-512(prefix("trustee-encryption-secret") ‖ md
/// ‖ i ‖ a_{i,·}) mod ℓ; a colluder computing that from a known polynomial opens nothing now.
#[test]
fn a_polynomial_made_public_does_not_open_the_shares_sealed_for_its_dealer() {
    use sha2::Sha512;
    let run = Run::start(leadership(), 22);
    let (s2, p2) = run.round2();
    let (s3, inboxes) = round3_all(&s2, &run.p1, &p2);
    let md = run.md();
    let victim = &s3[0];
    let mut h = Sha512::new_with_prefix(super::super::trustee_prefix(b"trustee-encryption-secret"));
    h.update(md);
    h.update(1u16.to_be_bytes());
    for a in &victim.frame.coefficients {
        h.update(a.expose().as_bytes());
    }
    let guessed = SecretScalar::new(Scalar::from_bytes_mod_order_wide(&h.finalize().into()));
    // Dealer 2's share sealed for trustee 1.
    let sealed = inboxes[0][1].shares[0];
    assert_eq!(sealed.to, i(1));
    let direction = Direction {
        manifest_digest: &md,
        reveals_digest: &victim.view.reveals_digest,
        from: i(2),
        from_key: &victim.view.encryption_keys[1],
        to: i(1),
        to_key: &victim.view.encryption_keys[0],
    };
    assert!(direction.open(&guessed, &sealed.share).is_none());
    // Control: trustee 1's own secret opens it.
    let opened = direction
        .open(&victim.frame.encryption_secret, &sealed.share)
        .unwrap();
    assert_eq!(
        opened.expose(),
        evaluate(&s3[1].frame.coefficients, i(1)).expose()
    );
}

/// The one loader: every saved state loads as its own kind and saves to the same bytes; bytes
/// without the frame, of another version or of an unknown kind are refused, each with its error.
#[test]
fn saved_state_loads_every_kind_and_refuses_other_bytes() {
    let run = Run::start(leadership(), 23);
    let (s2, p2) = run.round2();
    let (s3, inboxes) = round3_all(&s2, &run.p1, &p2);
    let (s4, p4) = round4_all(&s3, &inboxes);
    let p5: Vec<_> = s4
        .iter()
        .map(|s| resolve_complaints(s, &p4).unwrap())
        .collect();
    let (key, _) = finish(&s4[0], &p4, &p5).unwrap();
    let saved = [
        (Some(1), run.s1[0].to_secret_bytes()),
        (Some(2), s2[0].to_secret_bytes()),
        (Some(3), s3[0].to_secret_bytes()),
        (Some(4), s4[0].to_secret_bytes()),
        (None, key.to_secret_bytes()),
    ];
    for (round, bytes) in &saved {
        let state = SavedState::load(bytes).unwrap();
        assert_eq!(state.round(), *round);
        assert_eq!(state.trustee(), i(1));
        assert_eq!(state.save(), *bytes);
        assert!(!format!("{state:?}").to_lowercase().contains("coefficients"));
    }
    let bytes = saved[0].1.to_vec();
    for short in [&b""[..], b"NV", b"NVK\x00\x02"] {
        assert_eq!(
            SavedState::load(short).unwrap_err(),
            CeremonyError::NotATrusteeSecret
        );
    }
    let mut other = bytes.clone();
    other[0] = b'X';
    assert_eq!(
        SavedState::load(&other).unwrap_err(),
        CeremonyError::NotATrusteeSecret
    );
    let mut other = bytes.clone();
    other[4] = 1;
    assert_eq!(
        SavedState::load(&other).unwrap_err(),
        CeremonyError::SecretVersion {
            found: 1,
            supported: crate::transcript::PROTOCOL_VERSION
        }
    );
    let mut other = bytes.clone();
    other[5] = 6;
    assert!(matches!(
        SavedState::load(&other).unwrap_err(),
        CeremonyError::SecretKind { found: 6, .. }
    ));
    // A kind's own loader refuses another kind, naming both.
    assert!(matches!(
        round2::SecretPackage::from_secret_bytes(&bytes).unwrap_err(),
        CeremonyError::SecretKind { found: 1, .. }
    ));
}
