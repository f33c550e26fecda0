use super::*;
use crate::testing::{flip_each_byte, test_key, test_rng};
use crate::transcript::{election_transcript, purpose};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::traits::Identity;

fn transcript(election: u8, contest: u64, option: u64) -> Transcript {
    let mut t = election_transcript(purpose::SELECTION, &[election; 32]);
    t.append_u64(label::CONTEST, contest);
    t.append_u64(label::OPTION, option);
    t
}

fn t0() -> Transcript {
    transcript(1, 0, 0)
}

struct Case {
    key: ElectionKey,
    ciphertext: Ciphertext,
    nonce: SecretScalar,
}

fn encrypt(value: u32, seed: u64) -> Case {
    let key = test_key();
    let nonce = SecretScalar::new(random_scalar(&mut test_rng(seed)));
    let ciphertext = key.encrypt(&Scalar::from(value), nonce.expose());
    Case {
        key,
        ciphertext,
        nonce,
    }
}

fn prove(case: &Case, value: u32, low: u32, high: u32) -> Result<RangeProof, ProofError> {
    let cts = [case.ciphertext];
    let statement = RangeStatement {
        key: &case.key,
        ciphertexts: &cts,
        low,
        high,
    };
    RangeProof::prove(
        &RangeWitness::new(value, &case.nonce),
        &statement,
        &mut t0(),
        &mut test_rng(99),
    )
}

fn verify(case: &Case, proof: &RangeProof, low: u32, high: u32) -> Result<(), ProofError> {
    let cts = [case.ciphertext];
    let statement = RangeStatement {
        key: &case.key,
        ciphertexts: &cts,
        low,
        high,
    };
    proof.verify(&statement, &mut t0())
}

#[test]
fn every_value_of_every_small_range_verifies() {
    for (low, high) in [(0, 1), (0, 0), (1, 1), (0, 3), (2, 5)] {
        for v in low..=high {
            let case = encrypt(v, u64::from(v) + 10);
            let proof = prove(&case, v, low, high).unwrap();
            assert_eq!(proof.branches(), (high - low + 1) as usize);
            assert_eq!(
                verify(&case, &proof, low, high),
                Ok(()),
                "{v} in {low}..={high}"
            );
            assert_eq!(RangeProof::decode(&proof.encode()).unwrap(), proof);
            assert_eq!(
                proof.encode().len(),
                RangeProof::encoded_len(proof.branches())
            );
        }
    }
}

#[test]
fn honest_prover_refuses_a_value_outside_the_range() {
    let case = encrypt(2, 1);
    assert_eq!(
        prove(&case, 2, 0, 1).unwrap_err(),
        ProofError::FalseStatement
    );
    assert_eq!(
        prove(&case, 2, 3, 2).unwrap_err(),
        ProofError::BadRange { low: 3, high: 2 }
    );
    assert!(matches!(
        prove(&case, 2, 0, 300).unwrap_err(),
        ProofError::BadRange { .. }
    ));
}

#[test]
fn lying_about_the_value_does_not_verify() {
    // Attack 7: an encryption of 2 "proved" to be 0 or 1 by a prover that claims v = 1 (so
    // branch 0 is simulated and branch 1 computed with a false witness).
    let case = encrypt(2, 2);
    for claimed in [0, 1] {
        let proof = prove(&case, claimed, 0, 1).unwrap();
        assert_eq!(verify(&case, &proof, 0, 1), Err(ProofError::Invalid));
    }
}

#[test]
fn extra_or_missing_branches_are_refused() {
    // Attack 8: a proof over 0..=L+1 (L+2 branches) or 0..=L−1 (L branches) for the range 0..=L.
    let case = encrypt(1, 3);
    let wide = prove(&case, 1, 0, 3).unwrap();
    assert_eq!(
        verify(&case, &wide, 0, 2),
        Err(ProofError::WrongBranchCount {
            expected: 3,
            found: 4
        })
    );
    let narrow = prove(&case, 1, 0, 1).unwrap();
    assert_eq!(
        verify(&case, &narrow, 0, 2),
        Err(ProofError::WrongBranchCount {
            expected: 3,
            found: 2
        })
    );
}

#[test]
fn every_single_statement_change_fails() {
    // Attack 5: each input of the statement and of the context changed alone.
    let case = encrypt(1, 4);
    let proof = prove(&case, 1, 0, 1).unwrap();
    let other = encrypt(1, 5);
    let cts = [case.ciphertext];
    let good = RangeStatement {
        key: &case.key,
        ciphertexts: &cts,
        low: 0,
        high: 1,
    };
    assert_eq!(proof.verify(&good, &mut t0()), Ok(()));

    let a_changed = [Ciphertext {
        a: other.ciphertext.a,
        ..case.ciphertext
    }];
    let b_changed = [Ciphertext {
        b: other.ciphertext.b,
        ..case.ciphertext
    }];
    let other_key = ElectionKey::new(Element::generator());
    let cases: Vec<(RangeStatement<'_>, Transcript)> = vec![
        (
            RangeStatement {
                ciphertexts: &a_changed,
                ..good
            },
            t0(),
        ),
        (
            RangeStatement {
                ciphertexts: &b_changed,
                ..good
            },
            t0(),
        ),
        (
            RangeStatement {
                key: &other_key,
                ..good
            },
            t0(),
        ),
        (
            RangeStatement {
                low: 1,
                high: 2,
                ..good
            },
            t0(),
        ),
        (good, transcript(2, 0, 0)),
        (good, transcript(1, 1, 0)),
        (good, transcript(1, 0, 1)),
    ];
    for (i, (statement, mut t)) in cases.into_iter().enumerate() {
        assert_eq!(
            proof.verify(&statement, &mut t),
            Err(ProofError::Invalid),
            "change {i}"
        );
    }
}

#[test]
fn a_rerandomised_ciphertext_loses_its_proof() {
    // Attack 10: (A + r'·G, B + r'·K) encrypts the same value, but the proof was bound to (A, B).
    let case = encrypt(1, 6);
    let proof = prove(&case, 1, 0, 1).unwrap();
    let r2 = Scalar::from(12345u32);
    let shift = case.key.encrypt(&Scalar::ZERO, &r2);
    let moved = Ciphertext {
        a: Element::from_point_as(case.ciphertext.a.point() + shift.a.point(), "a").unwrap(),
        b: Element::from_point_as(case.ciphertext.b.point() + shift.b.point(), "b").unwrap(),
    };
    let cts = [moved];
    let statement = RangeStatement {
        key: &case.key,
        ciphertexts: &cts,
        low: 0,
        high: 1,
    };
    assert_eq!(
        proof.verify(&statement, &mut t0()),
        Err(ProofError::Invalid)
    );
}

/// Two ciphertexts of 1 and 0 (nonces 11 and 13) and the nonce of their sum.
fn one_and_zero() -> (ElectionKey, [Ciphertext; 2], SecretScalar) {
    let key = test_key();
    let (r1, r2) = (Scalar::from(11u8), Scalar::from(13u8));
    let cts = [
        key.encrypt(&Scalar::ONE, &r1),
        key.encrypt(&Scalar::ZERO, &r2),
    ];
    (key, cts, SecretScalar::new(r1 + r2))
}

/// The statement "the sum of `cts` is 1" and an honest proof of it.
fn sum_is_one<'a>(
    key: &'a ElectionKey,
    cts: &'a [Ciphertext],
    r: &SecretScalar,
) -> (RangeStatement<'a>, RangeProof) {
    let statement = RangeStatement {
        key,
        ciphertexts: cts,
        low: 1,
        high: 1,
    };
    let proof = RangeProof::prove(
        &RangeWitness::new(1, r),
        &statement,
        &mut t0(),
        &mut test_rng(7),
    )
    .unwrap();
    (statement, proof)
}

#[test]
fn a_sum_of_ciphertexts_is_proved_in_range() {
    let (key, cts, r) = one_and_zero();
    let (statement, proof) = sum_is_one(&key, &cts, &r);
    assert_eq!(proof.verify(&statement, &mut t0()), Ok(()));
    // Under- and over-voted sums are refused by the honest prover.
    let zero = RangeWitness::new(0, &r);
    assert_eq!(
        RangeProof::prove(&zero, &statement, &mut t0(), &mut test_rng(7)).unwrap_err(),
        ProofError::FalseStatement
    );
}

#[test]
fn every_changed_byte_fails() {
    let case = encrypt(0, 8);
    let proof = prove(&case, 0, 0, 1).unwrap();
    flip_each_byte(&proof.encode(), |bytes| match RangeProof::decode(bytes) {
        Ok(p) => verify(&case, &p, 0, 1).is_err(),
        Err(_) => true,
    });
}

#[test]
fn decoding_bounds_the_branch_count_before_allocating() {
    let mut bytes = vec![0xff, 0xff];
    bytes.extend_from_slice(&[0u8; 64]);
    assert!(matches!(
        RangeProof::decode(&bytes),
        Err(EncodingError::TooMany { .. })
    ));
    assert!(matches!(
        RangeProof::decode(&[0, 0]),
        Err(EncodingError::TooMany { .. })
    ));
    assert!(matches!(
        RangeProof::decode(&[0, 2, 1, 2]),
        Err(EncodingError::WrongLength { .. })
    ));
}

#[test]
fn stuck_rng_still_gives_distinct_commitments() {
    // Attack 28: with an RNG that returns only zeros, the hedged nonces still differ between
    // statements, so no two proofs share a nonce.
    let case1 = encrypt(1, 20);
    let case2 = encrypt(1, 21);
    let mut zero = crate::testing::ZeroRng;
    let mut p = |case: &Case| {
        let cts = [case.ciphertext];
        let statement = RangeStatement {
            key: &case.key,
            ciphertexts: &cts,
            low: 0,
            high: 1,
        };
        RangeProof::prove(
            &RangeWitness::new(1, &case.nonce),
            &statement,
            &mut t0(),
            &mut zero,
        )
        .unwrap()
    };
    let (p1, p2) = (p(&case1), p(&case2));
    assert_ne!(p1.commitments[0], p2.commitments[0]);
    assert_ne!(p1.commitments[1], p2.commitments[1]);
    assert_eq!(verify(&case1, &p1, 0, 1), Ok(()));
}

/// A two-branch proof for an honest encryption of 0 whose first three equations fail by
/// `E₀ₐ, E₀ᵦ, E₁ₐ = errors` (branch `j`'s equations as in the module docs) and whose last holds:
/// each error is added to the commitment of its equation, whose coefficient is `+1`.
fn proof_with_errors(case: &Case, errors: [RistrettoPoint; 3]) -> RangeProof {
    let g = curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
    let k = *case.key.element().point();
    let r = *case.nonce.expose();
    let mut rng = test_rng(7);
    let (tau, t1, gamma) = (
        random_scalar(&mut rng),
        random_scalar(&mut rng),
        random_scalar(&mut rng),
    );
    let [e0a, e0b, e1a] = errors;
    let a0 = tau * g + e0a;
    let b0 = tau * k + e0b;
    let a1 = t1 * g + e1a;
    // Branch 1 claims m₁ = 1 for a ciphertext of 0: E₁ᵦ = b₁ − c₁·G − t₁·K, zero with c₁ = γ.
    let b1 = t1 * k + gamma * g;
    let commitments: Vec<_> = [(a0, b0), (a1, b1)]
        .iter()
        .map(|(a, b)| {
            (
                Element::from_point_unchecked(*a),
                Element::from_point_unchecked(*b),
            )
        })
        .collect();
    let cts = [case.ciphertext];
    let statement = RangeStatement {
        key: &case.key,
        ciphertexts: &cts,
        low: 0,
        high: 1,
    };
    let mut t = t0();
    statement.absorb(&mut t);
    for (a, b) in &commitments {
        t.append_element(label::COMMITMENT, a);
        t.append_element(label::COMMITMENT, b);
    }
    let c = t.challenge_scalar(label::CHALLENGE);
    let c0 = c - gamma;
    RangeProof {
        commitments,
        challenges: vec![c0],
        responses: vec![tau + c0 * r, t1 + gamma * r],
    }
}

/// Every equation has its own coefficient, so errors that cancel between equations are still
/// caught:
/// * `E₀ₐ = E₀ᵦ = −D`, `E₁ₐ = D`: they cancel under coefficients whose third is the sum of the
///   first two (as powers `w, w², w³` with `w³ = w + w²` would be);
/// * `E₀ₐ = D`, `E₀ᵦ = −D`: they cancel if a branch's two equations were one (kills `delete
///   msm.end_equation()` between them);
/// * `E₀ᵦ = D`, `E₁ₐ = −D`: they cancel if a branch's second equation and the next one's first
///   were one (kills `delete msm.end_equation()` at the end of a branch).
#[test]
fn every_equation_is_enforced_even_when_the_errors_would_cancel_in_a_merged_equation() {
    let case = encrypt(0, 40);
    let zero = RistrettoPoint::identity();
    // The construction is right: with no error it is a valid proof.
    let valid = proof_with_errors(&case, [zero; 3]);
    assert_eq!(verify(&case, &valid, 0, 1), Ok(()));
    let d = curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
    for errors in [[-d, -d, d], [d, -d, zero], [zero, d, -d]] {
        let forged = proof_with_errors(&case, errors);
        assert_eq!(verify(&case, &forged, 0, 1), Err(ProofError::Invalid));
    }
}

/// Kills `replace match guard slots.len() == ciphertexts.len() with true in
/// RangeProof::accumulate_at`: slots that do not name every ciphertext of the statement are not
/// used (the sum is computed instead), so a valid sum proof still holds and the points of the
/// equation are the statement's.
#[test]
fn slots_for_fewer_ciphertexts_than_the_statement_are_not_used() {
    let (key, cts, r) = one_and_zero();
    let (statement, proof) = sum_is_one(&key, &cts, &r);
    // The first ciphertext's points are in the fold already (as a selection proof leaves them),
    // with zero coefficients; the slots name only that one.
    let mut msm = Msm::new();
    let slots = [(
        msm.push(Scalar::ZERO, &cts[0].a),
        msm.push(Scalar::ZERO, &cts[0].b),
    )];
    msm.end_group([0; 32]);
    let pushed = proof
        .accumulate_at(&statement, &mut t0(), &mut msm, Some(&slots))
        .unwrap();
    assert_eq!(pushed, None);
    assert!(
        msm.holds_vartime(),
        "the statement's two ciphertexts, not the one slot"
    );
    // With slots for both ciphertexts, they are used, and the proof holds as well.
    let mut msm = Msm::new();
    let slots: Vec<(Slot, Slot)> = cts
        .iter()
        .map(|c| (msm.push(Scalar::ZERO, &c.a), msm.push(Scalar::ZERO, &c.b)))
        .collect();
    msm.end_group([0; 32]);
    let before = msm.len();
    proof
        .accumulate_at(&statement, &mut t0(), &mut msm, Some(&slots))
        .unwrap();
    // New points: the branch's two commitments and the key (not a shared base of this fold).
    assert_eq!(msm.len(), before + 3, "no ciphertext pushed again");
    assert!(msm.holds_vartime());
}
