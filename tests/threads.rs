//! Results do not depend on the number of threads: the batch verifier and the record verifier
//! give exactly the same answer in a one-thread rayon pool as in pools of two, three and four
//! threads (which cut a batch into different chunks), on inputs with several bad items.
//!
//! * [`verify_batch_names_the_same_bad_ballots_on_any_number_of_threads`]: a batch of honest
//!   ballots with bad ones among them (a changed selection proof, a swapped contest-sum proof, a
//!   changed eligibility proof, another election's ballot, a credential not on the roll, an
//!   unknown channel, a missing and a changed countersignature) returns the same
//!   `Err(Vec<(index, BallotError)>)`;
//! * [`verifier_reports_the_same_on_any_number_of_threads`]: a small simulated record, honest and
//!   with two board entries changed, read from disk and verified, gives the same `Report`.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use nullivote::trustee::CeremonyDigest;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use nullivote::AuthorityKey;
use nullivote::Election;
use nullivote::Element;
use nullivote::ballot::Eligibility;
use nullivote::ballot::{Ballot, BallotCheck, BallotError, prepare, verify_batch};
use nullivote::board::{Payload, cast_ballots};
use nullivote::credential::{CredentialCode, CredentialSecret, Roll};
use nullivote::hazmat::ElectionKey;
use nullivote::hazmat::SecretScalar;
use nullivote::hazmat::Wire;
use nullivote::manifest::ChannelIndex;
use nullivote::manifest::{Authorities, Manifest};
use nullivote::record::ElectionRecord;
use nullivote::simulation::{Scenario, leadership};
use nullivote::verifier::{CheckId, Location, Report, Silent, Timings, verify};

const ONLINE: ChannelIndex = ChannelIndex::new(0);
const POSTAL: ChannelIndex = ChannelIndex::new(1);
const TRUSS: [u32; 2] = [1, 0];
const SUNAK: [u32; 2] = [0, 1];

/// Thread counts compared with one thread.
const THREADS: [usize; 3] = [2, 3, 4];

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
}

/// `k·G` as an element (k ≠ 0).
fn element(k: u64) -> Element {
    Element::from_point(RistrettoPoint::mul_base(&Scalar::from(k))).unwrap()
}

fn intake() -> AuthorityKey {
    AuthorityKey::from_secret(SecretScalar::new(Scalar::from(0xa11ce_u64))).unwrap()
}

/// The leadership election (online, and postal countersigned by the intake) with `voters`
/// members, under the manifest's election id `id`.
struct Small {
    election: Election,
    secrets: Vec<CredentialSecret>,
}

fn small(id: &str, voters: usize, seed: u64) -> Small {
    let authorities = Authorities {
        board: element(0xb0a4d),
        administrator: element(0xad31),
    };
    let base = Manifest::leadership(element(0xa11ce), authorities).unwrap();
    let manifest = Manifest::new(
        id,
        base.contests().to_vec(),
        base.channels().to_vec(),
        base.trustees(),
        base.authorities(),
    )
    .unwrap();
    let mut r = rng(seed);
    let secrets: Vec<CredentialSecret> = (0..voters)
        .map(|_| {
            CredentialSecret::derive(&CredentialCode::generate(&mut r), manifest.election_id())
        })
        .collect();
    let roll = Roll::new(secrets.iter().map(CredentialSecret::public).collect()).unwrap();
    let election = Election::new(
        manifest,
        ElectionKey::new(element(0x5eed)),
        CeremonyDigest([0; 32]),
        roll,
    );
    Small { election, secrets }
}

fn ballot(s: &Small, voter: usize, channel: ChannelIndex, vote: [u32; 2], seed: u64) -> Ballot {
    let mut r = rng(seed);
    let mut prepared = prepare(
        &s.election,
        channel,
        &s.secrets[voter],
        &[vote.to_vec()],
        &mut r,
    )
    .unwrap();
    if channel == POSTAL {
        prepared
            .countersign(&s.election, &intake(), &mut r)
            .unwrap();
    }
    prepared.cast()
}

/// `ballot` with one bit of its encoding flipped at `offset` (inside a scalar, so that it still
/// decodes).
fn flipped(ballot: &Ballot, offset: usize) -> Ballot {
    let mut bytes = ballot.encode();
    bytes[offset] ^= 0x01;
    Ballot::decode(&bytes).expect("a flipped scalar bit still decodes")
}

/// Offsets in the encoding of a 1-of-2 ballot: the first response of the first selection's
/// range proof (3 magic, 2 version, 32 election, 1 channel, 32 nullifier, 2 + 2 counts, 64
/// ciphertext, then the proof: 2 branches, 2 × 64 commitments, 1 × 32 challenge).
const FIRST_SELECTION_RESPONSE: usize = 3 + 2 + 32 + 1 + 32 + 2 + 2 + 64 + 2 + 128 + 32;

#[test]
fn verify_batch_names_the_same_bad_ballots_on_any_number_of_threads() {
    let s = small("threads", 48, 1);
    let other = small("threads-other-election", 4, 2);
    let outsider = small("threads", 1, 3); // same manifest, not on `s`'s roll

    let honest: Vec<Ballot> = (0..48)
        .map(|v| {
            let channel = if v % 3 == 0 { POSTAL } else { ONLINE };
            let vote = if v % 2 == 0 { TRUSS } else { SUNAK };
            ballot(&s, v, channel, vote, 100 + v as u64)
        })
        .collect();
    assert_eq!(verify_batch(&honest, &s.election), Ok(()));

    // Bad ballots, at indices spread over every chunk of every pool size, with the check that
    // must name each.
    let mut swapped_sum = honest[4].clone();
    swapped_sum.contests[0].sum_proof = honest[5].contests[0].sum_proof.clone();
    let mut not_on_roll = honest[17].clone();
    let Eligibility::Pseudonymous { proof, .. } = &honest[17].eligibility else {
        unreachable!("the only kind")
    };
    not_on_roll.eligibility = Eligibility::Pseudonymous {
        credential: outsider.secrets[0].public(),
        proof: *proof,
    };
    let mut unknown_channel = honest[23].clone();
    unknown_channel.channel = ChannelIndex::new(7);
    let mut unsigned = honest[24].clone(); // postal (24 % 3 == 0)
    unsigned.countersignature = None;
    // Online: the DLEQ response is the 32 bytes before the countersignature flag.
    let online_response = honest[7].encode().len() - 1 - 32;
    // Postal: the countersignature's response is the last 32 bytes.
    let countersignature_response = honest[36].encode().len() - 32;
    let bad = [
        (
            1,
            flipped(&honest[1], FIRST_SELECTION_RESPONSE),
            BallotCheck::B6,
        ),
        (4, swapped_sum, BallotCheck::B7),
        (7, flipped(&honest[7], online_response), BallotCheck::B8),
        (12, ballot(&other, 0, ONLINE, TRUSS, 7), BallotCheck::B2),
        (17, not_on_roll, BallotCheck::B5),
        (23, unknown_channel, BallotCheck::B3),
        (24, unsigned, BallotCheck::B9),
        (
            36,
            flipped(&honest[36], countersignature_response),
            BallotCheck::B9,
        ),
        (
            47,
            flipped(&honest[47], FIRST_SELECTION_RESPONSE + 32),
            BallotCheck::B6,
        ),
    ];
    let mut batch = honest.clone();
    let mut expected_checks = Vec::new();
    for (index, ballot, check) in bad {
        batch[index] = ballot;
        expected_checks.push((index, check));
    }

    let one = pool(1).install(|| verify_batch(&batch, &s.election));
    let errors: &Vec<(usize, BallotError)> = one.as_ref().expect_err("a batch with bad ballots");
    let checks: Vec<(usize, BallotCheck)> = errors.iter().map(|(i, e)| (*i, e.check())).collect();
    assert_eq!(checks, expected_checks, "{errors:?}");
    for threads in THREADS {
        let many = pool(threads).install(|| verify_batch(&batch, &s.election));
        assert_eq!(many, one, "{threads} threads");
    }

    // Without the bad ballots, every pool accepts the rest.
    let good: Vec<&Ballot> = batch
        .iter()
        .enumerate()
        .filter(|(i, _)| !errors.iter().any(|(j, _)| j == i))
        .map(|(_, b)| b)
        .collect();
    for threads in [1].into_iter().chain(THREADS) {
        assert_eq!(
            pool(threads).install(|| verify_batch(&good, &s.election)),
            Ok(()),
            "{threads} threads"
        );
    }
}

/// Reads the record at `dir` and verifies it, in a pool of `threads` threads.
fn verify_in(dir: &std::path::Path, threads: usize) -> (ElectionRecord, Report) {
    pool(threads).install(|| {
        let record = ElectionRecord::read(dir).expect("the record reads");
        let mut report = verify(&record, &Silent);
        // The timings are the clock's, not findings.
        report.timings = Timings::default();
        (record, report)
    })
}

#[test]
fn verifier_reports_the_same_on_any_number_of_threads() {
    let scenario = Scenario {
        voters: 120,
        seed: 5,
        absent: vec![4],
        bad_share: None,
    };
    let honest = leadership(&scenario, &Silent).unwrap().record;
    let positions: Vec<usize> = cast_ballots(&honest.board).map(|(i, _)| i).collect();
    assert!(positions.len() > 40);

    // Two cast ballots changed on the board: a selection proof, and a contest-sum proof.
    let mut tampered = honest.clone();
    let (a, b) = (positions[3], positions[40]);
    let Payload::Ballot(first) = &honest.board[a].payload else {
        unreachable!("a cast ballot")
    };
    tampered.board[a].payload = Payload::Ballot(Box::new(flipped(first, FIRST_SELECTION_RESPONSE)));
    let Payload::Ballot(second) = &honest.board[b].payload else {
        unreachable!("a cast ballot")
    };
    let Payload::Ballot(donor) = &honest.board[positions[41]].payload else {
        unreachable!("a cast ballot")
    };
    let mut changed = second.clone();
    changed.contests[0].sum_proof = donor.contests[0].sum_proof.clone();
    tampered.board[b].payload = Payload::Ballot(changed);

    let root = tempfile::tempdir().unwrap();
    for (name, record, passes) in [("honest", &honest, true), ("tampered", &tampered, false)] {
        let dir = root.path().join(name);
        record.write(&dir).unwrap();
        let (read, one) = verify_in(&dir, 1);
        assert_eq!(&read, record);
        assert_eq!(one.passed(), passes, "{name}: {one:?}");
        if !passes {
            let v5 = &one.checks[4];
            assert_eq!(v5.id, CheckId::V5);
            let found: Vec<(&Location, Option<BallotCheck>)> = v5
                .failures
                .iter()
                .map(|f| (&f.location, f.ballot_check))
                .collect();
            let selection = Location::Ballot {
                position: a as u64,
                contest: Some(0),
                option: Some(0),
            };
            let sum = Location::Ballot {
                position: b as u64,
                contest: Some(0),
                option: None,
            };
            assert_eq!(
                found,
                [
                    (&selection, Some(BallotCheck::B6)),
                    (&sum, Some(BallotCheck::B7))
                ],
                "{one:?}"
            );
            let at: Vec<String> = v5.failures.iter().map(|f| f.location.to_string()).collect();
            assert_eq!(at, [format!("board entry {a}"), format!("board entry {b}")]);
        }
        for threads in THREADS {
            let (read_many, many) = verify_in(&dir, threads);
            assert_eq!(read_many, read, "{name}, {threads} threads");
            assert_eq!(many, one, "{name}, {threads} threads");
        }
    }
}
