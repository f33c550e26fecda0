use super::*;
use crate::ballot::build::{contest_sum_transcript, selection_transcript};
use crate::ballot::challenge::ChallengeError;
use crate::codec::Wire;
use crate::election::Election;
use crate::manifest::ChannelIndex;
use crate::proofs::{ProofError, RangeStatement, RangeWitness};
use crate::secret::SecretScalar;
use crate::testing::{
    ONLINE, POSTAL, SUNAK, TRUSS, TestElection, ZeroRng, flip_each_byte, test_rng,
};
use crate::trustee::CeremonyDigest;
use curve25519_dalek::scalar::Scalar;
use serde_json::json;

fn verify(ballot: &Ballot, election: &Election) -> Result<(), BallotError> {
    ballot.verify(election)
}

#[test]
fn honest_ballots_verify_and_round_trip_on_both_channels() {
    let t = TestElection::leadership(3, 1);
    for (channel, vote) in [(ONLINE, TRUSS), (POSTAL, SUNAK)] {
        let ballot = t.ballot(0, channel, vote, 7);
        assert_eq!(verify(&ballot, &t.election), Ok(()));
        let bytes = ballot.encode();
        assert_eq!(Ballot::decode(&bytes).unwrap(), ballot);
        let json = serde_json::to_string(&ballot).unwrap();
        let from_json: Ballot = serde_json::from_str(&json).unwrap();
        assert_eq!(
            from_json.encode(),
            bytes,
            "JSON and binary agree byte for byte"
        );
    }
}

#[test]
fn one_changed_byte_anywhere_is_refused() {
    let t = TestElection::leadership(2, 2);
    let ballot = t.ballot(1, POSTAL, TRUSS, 3);
    flip_each_byte(&ballot.encode(), |bytes| match Ballot::decode(bytes) {
        Ok(b) => b.verify(&t.election).is_err(),
        Err(_) => true,
    });
}

#[test]
fn a_ballot_of_another_election_is_refused() {
    // Attack 12: the same voters and manifest, another key ceremony: another base hash.
    let a = TestElection::leadership(2, 4);
    let ballot = a.ballot(0, ONLINE, TRUSS, 5);
    let b = Election::new(
        a.election.manifest().clone(),
        a.election.key().clone(),
        CeremonyDigest([1; 32]),
        a.election.roll().clone(),
    );
    assert_eq!(verify(&ballot, &b), Err(BallotError::WrongElection));
    // Relabelled as election B, its proofs still belong to A.
    let relabelled = Ballot {
        election: *b.base_hash(),
        ..ballot
    };
    assert_eq!(relabelled.verify(&b).unwrap_err().check(), BallotCheck::B6);
}

#[test]
fn another_voters_nullifier_is_refused() {
    // Attack 9 and 14: the nullifier (and its eligibility proof) of voter 1 on voter 0's ballot.
    let t = TestElection::leadership(2, 6);
    let mine = t.ballot(0, ONLINE, TRUSS, 1);
    let theirs = t.ballot(1, ONLINE, SUNAK, 2);
    let swapped_nullifier = Ballot {
        nullifier: theirs.nullifier,
        ..mine.clone()
    };
    assert_eq!(
        swapped_nullifier.verify(&t.election).unwrap_err().check(),
        BallotCheck::B6
    );
    let swapped_both = Ballot {
        nullifier: theirs.nullifier,
        eligibility: theirs.eligibility.clone(),
        ..mine.clone()
    };
    assert_eq!(
        swapped_both.verify(&t.election).unwrap_err().check(),
        BallotCheck::B6
    );
    let swapped_eligibility = Ballot {
        eligibility: theirs.eligibility,
        ..mine
    };
    assert_eq!(
        swapped_eligibility.verify(&t.election),
        Err(BallotError::Eligibility(ProofError::Invalid))
    );
}

#[test]
fn a_credential_not_on_the_roll_is_refused() {
    let t = TestElection::leadership(2, 8);
    let outsider = TestElection::leadership(1, 9);
    let ballot = t.ballot(0, ONLINE, TRUSS, 1);
    let other = outsider.ballot(0, ONLINE, TRUSS, 1);
    let forged = Ballot {
        eligibility: other.eligibility,
        ..ballot
    };
    assert_eq!(verify(&forged, &t.election), Err(BallotError::NotOnRoll));
    // And the honest builder refuses a credential that is not on the roll.
    let mut rng = test_rng(1);
    let refused = prepare(
        &t.election,
        ONLINE,
        &outsider.secrets[0],
        &[TRUSS.to_vec()],
        &mut rng,
    );
    assert_eq!(refused.unwrap_err(), ChoiceError::NotOnRoll);
}

/// Replaces selection `option` of contest 0 by an encryption of `value` with a proof made by a
/// prover that lies (claims `claimed`), then re-signs the ballot so that only B6/B7 can fail.
fn forge_selection(t: &TestElection, voter: usize, values: [u32; 2], claimed: [u32; 2]) -> Ballot {
    let ballot = t.ballot(voter, ONLINE, TRUSS, 11);
    let e = &t.election;
    let mut rng = test_rng(12);
    let nonces: Vec<_> = (0..2)
        .map(|i| SecretScalar::new(Scalar::from(1000u64 + i)))
        .collect();
    let mut selections = Vec::new();
    for j in 0..2 {
        let ciphertext = e
            .key()
            .encrypt(&Scalar::from(values[j]), nonces[j].expose());
        let statement = RangeStatement {
            key: e.key(),
            ciphertexts: core::slice::from_ref(&ciphertext),
            low: 0,
            high: 1,
        };
        let mut tr = selection_transcript(e, &ballot.nullifier, 0, j);
        let witness = RangeWitness::new(claimed[j], &nonces[j]);
        let proof = RangeProof::prove(&witness, &statement, &mut tr, &mut rng).unwrap();
        selections.push(EncryptedSelection { ciphertext, proof });
    }
    let cts: Vec<_> = selections.iter().map(|s| s.ciphertext).collect();
    let statement = RangeStatement {
        key: e.key(),
        ciphertexts: &cts,
        low: 1,
        high: 1,
    };
    let sum_nonce = SecretScalar::new(nonces[0].expose() + nonces[1].expose());
    let mut tr = contest_sum_transcript(e, &ballot.nullifier, 0);
    let sum_proof = RangeProof::prove(
        &RangeWitness::new(1, &sum_nonce),
        &statement,
        &mut tr,
        &mut rng,
    )
    .unwrap();
    resign(
        t,
        voter,
        Ballot {
            contests: vec![ContestBallot {
                selections,
                sum_proof,
            }],
            ..ballot
        },
    )
}

/// Re-makes the eligibility proof over a changed body, as a voter stuffing their own ballot could.
fn resign(t: &TestElection, voter: usize, ballot: Ballot) -> Ballot {
    let mut tr = crate::ballot::build::eligibility_transcript(&t.election, &ballot.body_bytes());
    let eligibility = crate::nullifier::Eligibility::prove(
        &t.secrets[voter],
        t.secrets[voter].public(),
        &ballot.nullifier,
        &t.election,
        &mut tr,
        &mut test_rng(13),
    );
    Ballot {
        eligibility,
        ..ballot
    }
}

#[test]
fn a_selection_of_two_is_refused() {
    // Attack 7: option 0 encrypts 2, "proved" 0-or-1 by a lying prover. The sum (2 + 0) is also
    // wrong, but the selection check comes first and names the option.
    let t = TestElection::leadership(1, 14);
    let forged = forge_selection(&t, 0, [2, 0], [1, 0]);
    assert_eq!(
        forged.verify(&t.election),
        Err(BallotError::Selection {
            contest: 0,
            option: 0,
            source: ProofError::Invalid
        })
    );
    // The honest builder refuses outright.
    let refused = prepare(
        &t.election,
        ONLINE,
        &t.secrets[0],
        &[vec![2, 0]],
        &mut test_rng(1),
    );
    assert!(matches!(
        refused,
        Err(ChoiceError::OverOptionLimit {
            contest: 0,
            option: 0,
            value: 2,
            limit: 1
        })
    ));
}

#[test]
fn a_contest_over_or_under_its_limits_is_refused() {
    let t = TestElection::leadership(1, 15);
    for values in [[1, 1], [0, 0]] {
        let forged = forge_selection(&t, 0, values, values);
        assert_eq!(
            forged.verify(&t.election),
            Err(BallotError::ContestSum {
                contest: 0,
                source: ProofError::Invalid
            }),
            "{values:?}"
        );
        let refused = prepare(
            &t.election,
            ONLINE,
            &t.secrets[0],
            &[values.to_vec()],
            &mut test_rng(1),
        );
        assert!(matches!(
            refused,
            Err(ChoiceError::SelectionCount { contest: 0, .. })
        ));
    }
}

#[test]
fn a_selection_moved_to_another_option_is_refused() {
    // Attack 11: swapping the two options' (valid) selections and re-signing.
    let t = TestElection::leadership(1, 16);
    let ballot = t.ballot(0, ONLINE, TRUSS, 1);
    let mut contests = ballot.contests.clone();
    contests[0].selections.swap(0, 1);
    let moved = resign(&t, 0, Ballot { contests, ..ballot });
    assert_eq!(
        moved.verify(&t.election).unwrap_err().check(),
        BallotCheck::B6
    );
}

#[test]
fn countersignatures_are_checked() {
    // Attack 21: a postal ballot without, or with a wrong, intake countersignature.
    let t = TestElection::leadership(1, 17);
    let postal = t.ballot(0, POSTAL, TRUSS, 1);
    let unsigned = Ballot {
        countersignature: None,
        ..postal.clone()
    };
    assert_eq!(
        unsigned.verify(&t.election),
        Err(BallotError::MissingCountersignature { channel: POSTAL })
    );
    let impostor =
        crate::authority::AuthorityKey::from_secret(SecretScalar::new(Scalar::from(666u32)))
            .unwrap();
    let wrong = Ballot {
        countersignature: Some(build::countersign(
            &postal,
            &t.election,
            &impostor,
            &mut test_rng(2),
        )),
        ..postal.clone()
    };
    assert_eq!(
        wrong.verify(&t.election),
        Err(BallotError::Countersignature(ProofError::Invalid))
    );
    // The intake's signature on an online ballot moved to the postal channel does not transfer.
    let online = t.ballot(0, ONLINE, SUNAK, 3);
    let mut moved = Ballot {
        channel: POSTAL,
        ..online.clone()
    };
    moved.countersignature = postal.countersignature;
    assert!(moved.verify(&t.election).is_err());
    let countersigned_online = Ballot {
        countersignature: postal.countersignature,
        ..online
    };
    assert_eq!(
        countersigned_online.verify(&t.election),
        Err(BallotError::UnexpectedCountersignature { channel: ONLINE })
    );
}

#[test]
fn unknown_channel_and_wrong_shapes_are_refused() {
    let t = TestElection::leadership(1, 18);
    let ballot = t.ballot(0, ONLINE, TRUSS, 1);
    assert_eq!(
        Ballot {
            channel: ChannelIndex::new(9),
            ..ballot.clone()
        }
        .verify(&t.election),
        Err(BallotError::UnknownChannel {
            channel: ChannelIndex::new(9)
        })
    );
    let mut contests = ballot.contests.clone();
    contests[0].selections.pop();
    assert_eq!(
        Ballot {
            contests,
            ..ballot.clone()
        }
        .verify(&t.election),
        Err(BallotError::OptionCount {
            contest: 0,
            expected: 2,
            found: 1
        })
    );
    assert_eq!(
        Ballot {
            contests: vec![],
            ..ballot.clone()
        }
        .verify(&t.election),
        Err(BallotError::ContestCount {
            expected: 1,
            found: 0
        })
    );
    let unknown_channel = prepare(
        &t.election,
        ChannelIndex::new(7),
        &t.secrets[0],
        &[TRUSS.to_vec()],
        &mut test_rng(1),
    );
    assert_eq!(
        unknown_channel.unwrap_err(),
        ChoiceError::UnknownChannel {
            channel: ChannelIndex::new(7)
        }
    );
}

#[test]
fn nullifiers_are_deterministic_and_per_election() {
    // Attacks 15 and 17: every honest path gives byte-identical N; other elections another N.
    let t = TestElection::leadership(2, 19);
    let online = t.ballot(0, ONLINE, TRUSS, 100);
    let postal = t.ballot(0, POSTAL, SUNAK, 200);
    let reencoded = Ballot::decode(&online.encode()).unwrap();
    assert_eq!(online.nullifier, postal.nullifier);
    assert_eq!(online.nullifier.encode(), reencoded.nullifier.encode());
    assert_ne!(online.nullifier, t.ballot(1, ONLINE, TRUSS, 100).nullifier);
    let other = Election::new(
        t.election.manifest().clone(),
        t.election.key().clone(),
        CeremonyDigest([2; 32]),
        t.election.roll().clone(),
    );
    let elsewhere = prepare(
        &other,
        ONLINE,
        &t.secrets[0],
        &[TRUSS.to_vec()],
        &mut test_rng(100),
    )
    .unwrap()
    .cast();
    assert_ne!(elsewhere.nullifier, online.nullifier);
}

#[test]
fn a_stuck_rng_still_gives_distinct_ciphertexts() {
    // Attack 28: nonces are hedged with the credential, the votes and the position.
    let t = TestElection::leadership(2, 20);
    let a = prepare(
        &t.election,
        ONLINE,
        &t.secrets[0],
        &[TRUSS.to_vec()],
        &mut ZeroRng,
    )
    .unwrap()
    .cast();
    let b = prepare(
        &t.election,
        ONLINE,
        &t.secrets[1],
        &[TRUSS.to_vec()],
        &mut ZeroRng,
    )
    .unwrap()
    .cast();
    assert_ne!(
        a.contests[0].selections[0].ciphertext,
        b.contests[0].selections[0].ciphertext
    );
    assert_ne!(
        a.contests[0].selections[0].ciphertext.a,
        a.contests[0].selections[1].ciphertext.a
    );
    assert_eq!(a.verify(&t.election), Ok(()));
}

/// One voter's online ballot for Sunak, prepared (so that it can be challenged).
fn sunak_online(election_seed: u64, rng_seed: u64) -> (TestElection, PreparedBallot) {
    let t = TestElection::leadership(1, election_seed);
    let prepared = prepare(
        &t.election,
        ONLINE,
        &t.secrets[0],
        &[SUNAK.to_vec()],
        &mut test_rng(rng_seed),
    )
    .unwrap();
    (t, prepared)
}

#[test]
fn benaloh_challenge_opens_to_the_votes() {
    let (t, prepared) = sunak_online(21, 1);
    assert!(!format!("{prepared:?}").contains("nonce"));
    let challenged = prepared.challenge();
    assert_eq!(challenged.verify(&t.election), Ok(vec![SUNAK.to_vec()]));
    let json = serde_json::to_string(&challenged).unwrap();
    assert_eq!(
        serde_json::from_str::<ChallengedBallot>(&json).unwrap(),
        challenged
    );
    // A device that lies about what it encrypted is caught.
    let mut lying = challenged.clone();
    lying.openings[0][0].value = 1;
    lying.openings[0][1].value = 0;
    assert_eq!(
        lying.verify(&t.election),
        Err(ChallengeError::Mismatch {
            contest: 0,
            option: 0
        })
    );
    let mut short = challenged;
    short.openings[0].pop();
    assert_eq!(short.verify(&t.election), Err(ChallengeError::Shape));
}

/// A spoiled ballot must have the manifest's shape even when its tracking code is recomputed to
/// match: one contest too few options, or one contest too many, is `Shape` (kills `|| -> &&` in
/// `SpoiledBallot::verify`, under which the short ballot opened and verified).
#[test]
fn a_spoiled_ballot_of_another_shape_is_refused_even_with_a_matching_code() {
    let (t, prepared) = sunak_online(23, 2);
    let spoiled = prepared.challenge().spoiled();
    assert_eq!(spoiled.verify(&t.election), Ok(vec![SUNAK.to_vec()]));
    let recode = |s: &mut SpoiledBallot| {
        s.tracking_code = TrackingCode::of(
            &s.election,
            s.channel,
            s.contests.iter().flatten().map(|x| &x.ciphertext),
            s.ballot_digest.as_bytes(),
        );
        assert_eq!(s.tracking_code, s.recomputed_code());
    };
    let mut short = spoiled.clone();
    short.contests[0].pop();
    recode(&mut short);
    assert_eq!(short.verify(&t.election), Err(ChallengeError::Shape));
    let mut long = spoiled;
    long.contests.push(long.contests[0].clone());
    recode(&mut long);
    assert_eq!(long.verify(&t.election), Err(ChallengeError::Shape));
}

#[test]
fn batch_verification_names_every_bad_ballot() {
    let t = TestElection::leadership(6, 22);
    let mut ballots: Vec<_> = (0..6)
        .map(|i| t.ballot(i, if i % 2 == 0 { ONLINE } else { POSTAL }, TRUSS, i as u64))
        .collect();
    assert_eq!(verify_batch(&ballots, &t.election), Ok(()));
    ballots[1].countersignature = None;
    let stolen = ballots[4].eligibility.clone();
    ballots[3].eligibility = stolen;
    let errors = verify_batch(&ballots, &t.election).unwrap_err();
    assert_eq!(
        errors,
        vec![
            (1, BallotError::MissingCountersignature { channel: POSTAL }),
            (3, BallotError::Eligibility(ProofError::Invalid)),
        ]
    );
}

#[test]
fn json_refuses_unknown_and_duplicate_keys_and_other_versions() {
    let t = TestElection::leadership(1, 23);
    let ballot = t.ballot(0, ONLINE, TRUSS, 1);
    let json = serde_json::to_value(&ballot).unwrap();
    let mut unknown = json.clone();
    unknown
        .as_object_mut()
        .unwrap()
        .insert("extra".into(), 1.into());
    assert!(serde_json::from_value::<Ballot>(unknown).is_err());
    let mut version = json.clone();
    version["version"] = 3.into();
    assert!(serde_json::from_value::<Ballot>(version).is_err());
    let text = serde_json::to_string(&ballot).unwrap();
    assert!(text.starts_with("{\"version\":2,"));
    let duplicated = text.replacen("{\"version\":2", "{\"version\":2,\"version\":2", 1);
    assert_ne!(duplicated, text);
    assert!(serde_json::from_str::<Ballot>(&duplicated).is_err());
    let mut bytes = ballot.encode();
    bytes[4] = 3;
    assert!(matches!(
        Ballot::decode(&bytes),
        Err(EncodingError::UnsupportedVersion { found: 3, .. })
    ));
}

#[test]
fn tracking_codes_differ_and_print_in_full() {
    let t = TestElection::leadership(1, 24);
    let a = t.ballot(0, ONLINE, TRUSS, 1);
    let b = t.ballot(0, ONLINE, TRUSS, 2);
    assert_ne!(a.tracking_code(), b.tracking_code());
    assert_eq!(a.tracking_code().to_string().len(), 64 + 7);
}

#[test]
fn countersigning_checks_the_channel_and_the_key() {
    let t = TestElection::leadership(1, 25);
    let mut online = prepare(
        &t.election,
        ONLINE,
        &t.secrets[0],
        &[TRUSS.to_vec()],
        &mut test_rng(1),
    )
    .unwrap();
    assert_eq!(
        online.countersign(&t.election, &t.authority, &mut test_rng(2)),
        Err(ChoiceError::NoAuthority { channel: ONLINE })
    );
    let mut postal = prepare(
        &t.election,
        POSTAL,
        &t.secrets[0],
        &[TRUSS.to_vec()],
        &mut test_rng(3),
    )
    .unwrap();
    let impostor =
        crate::authority::AuthorityKey::from_secret(SecretScalar::new(Scalar::from(7u8))).unwrap();
    assert_eq!(
        postal.countersign(&t.election, &impostor, &mut test_rng(4)),
        Err(ChoiceError::WrongAuthority { channel: POSTAL })
    );
    assert_eq!(postal.ballot().countersignature, None);
}

/// The contest-sum proof's terms on the selections' own points (spec §4.4) give exactly the
/// sum of the same equations as the terms on the computed `ΣA, ΣB`, for honest and for tampered
/// ballots, with contests of one, two and five options and ciphertext points equal to shared
/// bases.
#[test]
fn sum_terms_at_the_selections_points_equal_terms_on_the_sum() {
    use crate::manifest::{Contest, Manifest};
    use crate::proofs::Msm;
    let base = Manifest::leadership(
        crate::group::Element::generator(),
        crate::testing::test_authorities(0),
    )
    .unwrap();
    let contest = |name: &str, options: usize, min, max| Contest {
        name: name.into(),
        options: (0..options).map(|i| format!("option {i}")).collect(),
        min_selections: min,
        max_selections: max,
        option_limit: 1,
    };
    let manifest = Manifest::new(
        "slots",
        vec![
            contest("one", 1, 0, 1),
            contest("two", 2, 1, 1),
            contest("five", 5, 1, 2),
        ],
        base.channels().to_vec(),
        base.trustees(),
        crate::testing::test_authorities(9),
    )
    .unwrap();
    let t = TestElection::with_manifest(
        manifest,
        2,
        9,
        crate::authority::AuthorityKey::from_secret(SecretScalar::new(Scalar::from(7u8))).unwrap(),
    );
    let e = &t.election;
    let choices = [vec![1], vec![0, 1], vec![1, 0, 0, 1, 0]];
    let honest = prepare(e, ONLINE, &t.secrets[0], &choices, &mut test_rng(3))
        .unwrap()
        .cast();
    assert_eq!(honest.verify(e), Ok(()));
    let other = prepare(e, ONLINE, &t.secrets[1], &choices, &mut test_rng(4))
        .unwrap()
        .cast();
    let g = crate::group::Element::generator();
    let mut variants = vec![honest.clone()];
    for contest in 0..3 {
        // Another voter's sum proof, another voter's selection proof, a ciphertext moved to
        // the shared bases G and K.
        let mut b = honest.clone();
        b.contests[contest].sum_proof = other.contests[contest].sum_proof.clone();
        variants.push(b);
        let mut b = honest.clone();
        b.contests[contest].selections[0].proof =
            other.contests[contest].selections[0].proof.clone();
        variants.push(b);
        let mut b = honest.clone();
        b.contests[contest].selections[0].ciphertext.a = g;
        b.contests[contest].selections[0].ciphertext.b = *e.key().element();
        variants.push(b);
    }
    for (k, b) in variants.iter().enumerate() {
        let run = |at_slots| {
            let mut msm = Msm::with_shared(&e.shared_bases());
            b.accumulate_proofs(e, &mut msm, |_| true, at_slots)
                .unwrap();
            (msm.len(), msm.evaluate_vartime())
        };
        let (slots_len, slots_point) = run(true);
        let (sum_len, sum_point) = run(false);
        assert_eq!(slots_point, sum_point, "variant {k}");
        assert!(
            slots_len < sum_len,
            "variant {k}: the sums' points are not added"
        );
        assert_eq!(k == 0, b.verify(e).is_ok(), "variant {k}");
    }
}

/// The fold's speed rests on commitments weighing in with their 128-bit coefficient alone
/// (§4.4): of the 18 points of a 1-of-2 ballot, the 12 commitments (2 per branch of three range
/// proofs of 2, 2 and 1 branches, and the nullifier proof's 2) get scalars below 2¹²⁸, the
/// ciphertexts, credential and nullifier full ones.
#[test]
fn a_ballots_commitments_get_short_scalars_in_the_fold() {
    let t = TestElection::leadership(3, 1);
    let ballot = t.ballot(0, ONLINE, TRUSS, 7);
    let mut msm = crate::proofs::Msm::with_shared(&t.election.shared_bases());
    ballot.accumulate(&t.election, &mut msm).unwrap();
    let dynamic = msm.len();
    let (scalars, _) = msm.weighed();
    let short = scalars[..dynamic]
        .iter()
        .filter(|s| s.as_bytes()[16..] == [0; 16])
        .count();
    assert_eq!((dynamic, short), (18, 12));
}

/// The spoiled ballot's checks, each made to fail alone and in order (§7.6): another election
/// (`WrongElection`, ahead of everything else), a tracking code that is not of the published
/// election, channel, ciphertexts and digest (`TrackingCode`), an opening of another vote
/// (`Mismatch`). The channel and the election are in the code: moving a challenge to another
/// channel without recomputing its code is caught.
#[test]
fn each_check_of_a_spoiled_ballot_fails_alone() {
    let (t, prepared) = sunak_online(25, 3);
    let shown = prepared.ballot().tracking_code();
    let spoiled = prepared.challenge().spoiled();
    assert_eq!(spoiled.tracking_code, shown);
    assert_eq!(spoiled.recomputed_code(), shown);
    assert_eq!(spoiled.verify(&t.election), Ok(vec![SUNAK.to_vec()]));

    let mut other = spoiled.clone();
    other.election.0[0] ^= 1;
    assert_eq!(
        other.verify(&t.election),
        Err(ChallengeError::WrongElection)
    );
    // Even with its code recomputed for the other election, it stays refused.
    other.tracking_code = other.recomputed_code();
    assert_eq!(
        other.verify(&t.election),
        Err(ChallengeError::WrongElection)
    );
    // Another election's challenge is the first error named, before a wrong shape.
    other.contests.clear();
    assert_eq!(
        other.verify(&t.election),
        Err(ChallengeError::WrongElection)
    );

    let mut moved = spoiled.clone();
    moved.channel = POSTAL;
    assert_eq!(moved.verify(&t.election), Err(ChallengeError::TrackingCode));
    let mut digest = spoiled.clone();
    digest.ballot_digest.0[31] ^= 1;
    assert_eq!(
        digest.verify(&t.election),
        Err(ChallengeError::TrackingCode)
    );
    let mut code = spoiled.clone();
    code.tracking_code.0[0] ^= 1;
    assert_eq!(code.verify(&t.election), Err(ChallengeError::TrackingCode));

    let mut lying = spoiled;
    lying.contests[0][1].opening.value = 0;
    assert_eq!(
        lying.verify(&t.election),
        Err(ChallengeError::Mismatch {
            contest: 0,
            option: 1
        })
    );
}

/// A challenge carries only what its check needs: its JSON has exactly the keys of §7.6, none
/// of them naming the voter, and a challenge with any further field (a nullifier, an
/// eligibility proof, a credential) is refused, in JSON by its unknown key and in binary by its
/// trailing bytes.
#[test]
fn a_challenge_names_no_voter_and_refuses_extra_fields() {
    let (t, prepared) = sunak_online(27, 4);
    let ballot = prepared.ballot().clone();
    let spoiled = prepared.challenge().spoiled();
    let json = serde_json::to_value(&spoiled).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "ballot_digest",
            "channel",
            "contests",
            "election",
            "tracking_code"
        ]
    );
    let text = json.to_string();
    let crate::nullifier::Eligibility::Pseudonymous { credential, proof } = &ballot.eligibility;
    let proof = proof.encode();
    for part in [
        ballot.nullifier.element().as_bytes().as_slice(),
        credential.element().as_bytes(),
        &proof[..32],
        &proof[32..64],
        &proof[64..],
    ] {
        assert!(!text.contains(&hex::encode(part)));
        assert!(!spoiled.encode().windows(32).any(|w| w == part));
    }
    for (key, value) in [
        (
            "nullifier",
            json!(hex::encode(ballot.nullifier.element().as_bytes())),
        ),
        (
            "eligibility",
            serde_json::to_value(&ballot.eligibility).unwrap(),
        ),
        (
            "credential",
            json!(hex::encode(credential.element().as_bytes())),
        ),
    ] {
        let mut extra = json.clone();
        extra.as_object_mut().unwrap().insert(key.into(), value);
        let err = serde_json::from_value::<SpoiledBallot>(extra).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{key}: {err}");
    }
    let mut bytes = spoiled.encode();
    bytes.extend_from_slice(ballot.nullifier.element().as_bytes());
    assert!(matches!(
        SpoiledBallot::decode(&bytes),
        Err(EncodingError::TrailingBytes { .. })
    ));
    assert_eq!(
        serde_json::from_value::<SpoiledBallot>(json).unwrap(),
        spoiled
    );
    assert_eq!(spoiled.verify(&t.election), Ok(vec![SUNAK.to_vec()]));
}

/// In JSON as in binary, a spoiled ballot's contests and a challenged ballot's openings hold at
/// most 64 lists of at most 64 entries: the 65th entry of an inner list is refused (`TooMany`,
/// naming the list), so neither inner list is unbounded.
#[test]
fn inner_lists_of_challenges_are_bounded_in_json() {
    let (_, prepared) = sunak_online(29, 5);
    let challenged = prepared.challenge();
    let mut spoiled = serde_json::to_value(challenged.spoiled()).unwrap();
    let selection = spoiled["contests"][0][0].clone();
    spoiled["contests"][0] = serde_json::Value::Array(vec![selection; 65]);
    let err = serde_json::from_value::<SpoiledBallot>(spoiled).unwrap_err();
    assert!(err.to_string().contains("spoiled_ballot.contests"), "{err}");
    assert!(err.to_string().contains("64"), "{err}");
    let mut opened = serde_json::to_value(&challenged).unwrap();
    let opening = opened["openings"][0][0].clone();
    opened["openings"][0] = serde_json::Value::Array(vec![opening; 65]);
    let err = serde_json::from_value::<ChallengedBallot>(opened).unwrap_err();
    assert!(
        err.to_string().contains("challenged_ballot.openings"),
        "{err}"
    );
    assert!(err.to_string().contains("64"), "{err}");
}

/// A challenge that opens to a vote the manifest does not allow (2 for a 0/1 option) is
/// evidence against the device that made it: its check passes and names the vote, it is not
/// refused (§7.6; the range proofs are not part of a challenge).
#[test]
fn a_challenge_opening_to_an_out_of_range_vote_is_recorded_as_it_is() {
    let (t, prepared) = sunak_online(31, 6);
    let mut spoiled = prepared.challenge().spoiled();
    let nonce = spoiled.contests[0][0].opening.nonce;
    spoiled.contests[0][0].opening.value = 2;
    spoiled.contests[0][0].ciphertext = t.election.key().encrypt(&Scalar::from(2u32), &nonce);
    spoiled.tracking_code = spoiled.recomputed_code();
    assert_eq!(spoiled.verify(&t.election), Ok(vec![vec![2, 1]]));
}
