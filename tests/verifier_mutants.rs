//! Tests written for issue #6 item 6: mutation testing of the verifier with cargo-mutants
//! (configuration in `.cargo/mutants.toml`, runs in `mutants.sh`). Each test kills mutants that
//! survived the other fast test targets (`--lib`, `attacks`, `election`, `vectors`,
//! `frozen_record`), names them, and asserts behaviour through the public API only.
//!
//! The surviving mutants judged equivalent (no test can tell them apart from the original) are
//! listed with their argument at the end of this file.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use nullivote::board::EntryDigest;
use nullivote::trustee::CeremonyDigest;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};

use std::sync::OnceLock;

use nullivote::manifest::ChannelIndex;

use nullivote::Election;
use nullivote::Element;
use nullivote::ballot::prepare;
use nullivote::board::{CastBallot, Outcome, Reason};
use nullivote::board::{ChainReplay, Close, Entry, Payload, Statement, sign_close, verify_chain};
use nullivote::credential::{CredentialCode, CredentialSecret, Roll};
use nullivote::hazmat::SecretScalar;
use nullivote::hazmat::Wire;
use nullivote::hazmat::proofs::MAX_BRANCHES;
use nullivote::hazmat::proofs::verify_batch;
use nullivote::hazmat::{Ciphertext, ElectionKey};
use nullivote::hazmat::{
    proofs::DleqProof, proofs::DleqStatement, proofs::Msm, proofs::ProofError, proofs::RangeProof,
    proofs::RangeStatement, proofs::RangeWitness,
};
use nullivote::hazmat::{
    transcript::domain, transcript::election_transcript, transcript::label, transcript::purpose,
};
use nullivote::manifest::{Authorities, Contest, Manifest};
use nullivote::record::ElectionRecord;
use nullivote::simulation::{Offices, Scenario, leadership};
use nullivote::tally::{Tally, TallyError};
use nullivote::verifier::{
    CheckId, CheckReport, Location, MAX_FAILURES_KEPT, Report, Silent, verify,
};
use std::collections::HashMap;

/// `k·G` as an element (k ≠ 0).
fn element(k: u64) -> Element {
    Element::from_point(RistrettoPoint::mul_base(&Scalar::from(k))).unwrap()
}

/// Runs `f` in a rayon pool of `threads` threads, so that the split of a batch into chunks does
/// not depend on the machine.
fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

// =============================================================================================
// src/proofs/batch.rs
// =============================================================================================

/// Kills `replace Msm::len -> usize with 0|1`, `replace Msm::is_empty -> bool with true|false`
/// and `replace && with || in Msm::is_empty`.
#[test]
fn msm_len_and_is_empty_count_terms() {
    let mut msm = Msm::new();
    assert!(msm.is_empty());
    assert_eq!(msm.len(), 0);
    msm.push_generator(Scalar::ONE);
    assert!(!msm.is_empty(), "a shared term makes it non-empty");
    assert_eq!(msm.len(), 0, "a shared term is not a dynamic point");
    let p = element(3);
    msm.push(Scalar::ONE, &p);
    msm.push(Scalar::ONE, &p);
    assert_eq!(msm.len(), 2);
    let mut dynamic_only = Msm::new();
    dynamic_only.push(Scalar::ONE, &p);
    assert!(
        !dynamic_only.is_empty(),
        "a dynamic term makes it non-empty"
    );
}

/// Kills `replace == with != in Msm::close_open_group` (`self.ends() == self.closed_ends()`):
/// terms that no proof closed with `end_group` are closed into a group of their own whether they
/// are dynamic points, shared bases, or both, so an open equation that fails makes the sum fail.
/// (Every proof of nullivote closes its own group, so this is the public API's guarantee, not a
/// path of the ballot verifier.)
#[test]
fn open_dynamic_terms_are_closed_into_a_group() {
    let p = element(3);
    let mut dynamic = Msm::new();
    dynamic.push(Scalar::ONE, &p);
    assert_eq!(dynamic.len(), 1);
    assert!(!dynamic.holds_vartime(), "1·P ≠ 0");
    let mut closed_then_open = Msm::new();
    closed_then_open.push_generator(Scalar::ONE);
    closed_then_open.push_generator(-Scalar::ONE);
    closed_then_open.end_group([1; 32]);
    closed_then_open.push(Scalar::ONE, &p);
    assert!(!closed_then_open.holds_vartime(), "the open 1·P ≠ 0");
    let mut mixed = Msm::new();
    mixed.push(Scalar::from(3u8), &Element::generator());
    mixed.push(-Scalar::ONE, &p);
    assert!(mixed.holds_vartime(), "3·G − P = 0");
}

/// `ρ_{g,0}`, the coefficient of the first equation of group `g` under a batch seed (spec §4.4).
fn rho(seed: &[u8; 32], group: u64) -> Scalar {
    let mut h = Sha256::new();
    h.update(seed);
    h.update(group.to_be_bytes());
    h.update(0u64.to_be_bytes());
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(&h.finalize()[..16]);
    Scalar::from_bytes_mod_order(bytes)
}

/// Kills `replace Msm::seed -> [u8; 32] with [0; 32]` and `... with [1; 32]`.
///
/// With a seed that does not hash the groups' digests, every `ρ_{g,t}` is known in advance, and
/// two proofs whose errors are `ρ_{1,0}·G` and `−ρ_{0,0}·G` cancel in the batch. The real seed hashes every
/// digest, so the coefficients change and the batch fails.
#[test]
fn batch_coefficients_depend_on_every_group_digest() {
    let g = Element::generator();
    for fixed in [[0u8; 32], [1u8; 32]] {
        let (r0, r1) = (rho(&fixed, 0), rho(&fixed, 1));
        let mut msm = Msm::new();
        msm.push(r1, &g);
        msm.end_group([7; 32]);
        msm.push(-r0, &g);
        msm.end_group([8; 32]);
        assert!(
            !msm.holds_vartime(),
            "errors that cancel under the fixed seed {fixed:?} must not cancel"
        );
        // The same through the parallel batch, one item per chunk.
        let items = [r1, -r0];
        let result = with_threads(2, || {
            verify_batch(
                &items,
                &[],
                |s, msm: &mut Msm| {
                    msm.push(*s, &g);
                    msm.end_group(s.to_bytes());
                    Ok::<(), usize>(())
                },
                |i| i,
            )
        });
        assert_eq!(result, Err(vec![(0, 0), (1, 1)]));
    }
}

/// Kills `replace += with *= in verify_batch` (`next += m.groups.len()`): with it every chunk
/// numbers its groups from 0, so the first group of each chunk gets the same `ρ` and two bad
/// items in two chunks whose errors are `+G` and `−G` cancel.
#[test]
fn groups_of_different_chunks_get_different_coefficients() {
    let g = Element::generator();
    let items = [Scalar::ONE, -Scalar::ONE];
    for threads in [2, 4] {
        let result = with_threads(threads, || {
            verify_batch(
                &items,
                &[],
                |s, msm: &mut Msm| {
                    msm.push(*s, &g);
                    msm.end_group([9; 32]);
                    Ok::<(), usize>(())
                },
                |i| i,
            )
        });
        assert_eq!(result, Err(vec![(0, 0), (1, 1)]), "{threads} threads");
    }
}

/// Kills `replace * with / in verify_batch` (`c * chunk + k`, the index of a malformed item):
/// a malformed item in a chunk after the first is blamed by its own index.
#[test]
fn malformed_items_in_later_chunks_are_blamed_by_index() {
    let g = Element::generator();
    let items: Vec<u8> = (0..12).collect();
    for threads in [2, 3, 4] {
        let result = with_threads(threads, || {
            verify_batch(
                &items,
                &[],
                |i, msm: &mut Msm| {
                    if *i == 11 || *i == 7 {
                        return Err(usize::from(*i) + 100);
                    }
                    msm.push(Scalar::from(*i), &g);
                    msm.push(-Scalar::from(*i), &g);
                    Ok(())
                },
                |i| i,
            )
        });
        assert_eq!(result, Err(vec![(7, 107), (11, 111)]), "{threads} threads");
    }
}

/// Kills `replace Msm::rollback with ()` (in `verify_batch`): the terms a malformed item pushed
/// before it failed are rolled back, so they cannot cancel the error of the next item of the
/// chunk (here a malformed item leaves `−G` open and the next item's equation is `G = 0`).
#[test]
fn a_malformed_items_terms_are_rolled_back() {
    let g = Element::generator();
    let items = [0u8, 1, 2];
    for threads in [1, 2] {
        let result = with_threads(threads, || {
            verify_batch(
                &items,
                &[],
                |i, msm: &mut Msm| match i {
                    0 => {
                        msm.push(-Scalar::ONE, &g);
                        Err(100)
                    }
                    1 => {
                        msm.push(Scalar::ONE, &g);
                        Ok(())
                    }
                    _ => Ok(()),
                },
                |i| i,
            )
        });
        assert_eq!(result, Err(vec![(0, 100), (1, 1)]), "{threads} threads");
    }
}

/// Kills `replace && with || in Msm::with_shared`: past 255 shared bases a base must stay a
/// dynamic point (its index would not fit the `u8` of a shared term).
#[test]
fn more_than_255_shared_bases() {
    // b_i = (i + 2)·G for i in 0..300, all distinct and none equal to G.
    let bases: Vec<Element> = (0..300).map(|i| element(i + 2)).collect();
    for (i, b) in bases.iter().enumerate() {
        if i % 37 != 0 && i != 299 && i != 254 && i != 255 {
            continue;
        }
        let mut msm = Msm::with_shared(&bases);
        // 1·b_i − (i + 2)·G = 0
        msm.push(Scalar::ONE, b);
        msm.push(-Scalar::from(i as u64 + 2), &Element::generator());
        assert!(msm.clone().holds_vartime(), "base {i}");
        msm.push_generator(Scalar::ONE);
        assert!(!msm.holds_vartime(), "base {i}");
    }
}

// =============================================================================================
// src/verifier.rs
// =============================================================================================

/// The seed of [`record`]'s simulation (`Offices::from_seed` gives its board's and
/// administrator's keys).
const RECORD_SEED: u64 = 6;

/// A small simulated election's record (made once).
fn record() -> &'static ElectionRecord {
    static RECORD: OnceLock<ElectionRecord> = OnceLock::new();
    RECORD.get_or_init(|| {
        let scenario = Scenario {
            voters: 30,
            seed: RECORD_SEED,
            absent: vec![],
            bad_share: None,
        };
        let sim = leadership(&scenario, &Silent).expect("an honest simulation");
        let report = verify(&sim.record, &Silent);
        assert!(report.passed(), "{report:#?}");
        sim.record
    })
}

/// The election a record speaks about, as its verifier rebuilds it.
fn record_election(record: &ElectionRecord) -> Election {
    let public = &record.ceremony.public;
    Election::new(
        record.manifest.clone(),
        public.election_key(),
        public.ceremony_digest(),
        record.roll.clone(),
    )
}

fn check(report: &Report, id: CheckId) -> &CheckReport {
    report.checks.iter().find(|c| c.id == id).unwrap()
}

/// Kills `replace match guard block.is_empty() with true in verify_dir` (the board would read
/// as empty) and `with false` (the end of the board would never be seen: the test would hang, a
/// timeout): the record read from disk a block at a time verifies with every entry of its board.
#[test]
fn a_record_verified_from_disk_reads_its_whole_board() {
    let record = record();
    let dir = tempfile::tempdir().unwrap();
    record.write(dir.path()).unwrap();
    let (read, report) = nullivote::verifier::verify_dir(dir.path(), &Silent).unwrap();
    assert!(report.passed(), "{report:#?}");
    assert_eq!(report.board_entries, record.board.len() as u64);
    assert_eq!(report.result.as_ref(), Some(&record.result));
    assert!(read.board.is_empty(), "the board is streamed, not kept");
    assert_eq!(read.header, record.header);
}

/// Kills `replace < with <= in CheckReport::fail` (and `with ==`, `with >`): a check keeps
/// exactly [`MAX_FAILURES_KEPT`] failures in full and counts the rest.
#[test]
fn a_check_keeps_the_first_100_failures_and_counts_the_rest() {
    let mut record = record().clone();
    let election = record_election(&record);
    // The board's and the administrator's keys: each extra close is the administrator's for its
    // place, and the board signs the new final head, so only the phase refuses them.
    let offices = Offices::from_seed(RECORD_SEED);
    let n = record.board.len();
    let extra = MAX_FAILURES_KEPT + 7;
    let mut head = record.header.board_head;
    for _ in 0..extra {
        let position = record.board.len() as u64;
        let payload = sign_close(
            &offices.administrator,
            &election,
            position,
            head,
            Close::Voting,
        );
        let entry = Entry {
            position,
            previous: head,
            payload,
        };
        head = entry.digest();
        record.board.push(entry);
    }
    record.header.board_head = head;
    record.header.board_entries = record.board.len() as u64;
    record.header.board_signature = offices.board.sign(
        &election,
        &Statement::FinalHead {
            entries: record.header.board_entries,
            head,
        },
    );
    let report = verify(&record, &Silent);
    let v7 = check(&report, CheckId::V7);
    assert_eq!(v7.failure_count, extra);
    assert_eq!(v7.failures.len(), MAX_FAILURES_KEPT);
    assert_eq!(v7.failures[0].location, Location::BoardEntry(n as u64));
    assert_eq!(
        v7.failures[0].message,
        "out of phase: voting is already closed"
    );
    assert_eq!(
        v7.failures[MAX_FAILURES_KEPT - 1].location,
        Location::BoardEntry((n + MAX_FAILURES_KEPT - 1) as u64)
    );
    assert!(v7.failures.iter().all(|f| f.ballot_check.is_none()));
    assert!(check(&report, CheckId::V4).passed());
    assert!(!report.passed());
    assert_eq!(report.result, None);
}

/// Kills `replace match guard recomputed == record.ceremony.public with true in verify`: a
/// published key set that the ceremony's packages do not give fails V2 (as well as what depends
/// on it).
#[test]
fn a_published_key_set_other_than_the_ceremonys_fails_v2() {
    let mut record = record().clone();
    let mut public = serde_json::to_value(&record.ceremony.public).unwrap();
    public["ceremony_digest"] = serde_json::Value::String("ab".repeat(32));
    record.ceremony.public = serde_json::from_value(public).expect("a well-formed key set");
    let report = verify(&record, &Silent);
    let v2 = check(&report, CheckId::V2);
    assert_eq!(v2.failure_count, 1, "{report:#?}");
    assert_eq!(
        v2.failures[0].location,
        Location::File {
            file: "ceremony.json",
            field: None
        }
    );
    assert_eq!(
        v2.failures[0].message,
        "the published key set is not the one the packages give"
    );
}

/// Kills `replace compare_decisions with ()` (V8): a published decision list or counted list
/// that is not the one precedence gives is named.
#[test]
fn a_published_decision_list_that_differs_fails_v8() {
    let honest = record();
    assert!(
        !honest.tally.outcome.decisions.is_empty(),
        "the simulation supersedes some ballot"
    );
    let failing = |record: &ElectionRecord| -> Vec<(Location, String)> {
        let report = verify(record, &Silent);
        let failed: Vec<CheckId> = report.failed().map(|c| c.id).collect();
        assert_eq!(failed, [CheckId::V8], "{report:#?}");
        check(&report, CheckId::V8)
            .failures
            .iter()
            .map(|f| (f.location.clone(), f.message.clone()))
            .collect()
    };

    // One decision's reason changed.
    let mut changed = honest.clone();
    let d = &mut changed.tally.outcome.decisions[0];
    d.reason = if d.reason == Reason::Precedence {
        Reason::LastWins
    } else {
        Reason::Precedence
    };
    let found = failing(&changed);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, Location::Decision(0));
    // The decisions in words, not as Rust values.
    let (x, y) = (
        honest.tally.outcome.decisions[0],
        changed.tally.outcome.decisions[0],
    );
    assert_eq!(
        found[0].1,
        format!(
            "expected entry {} superseded by entry {} ({}); published entry {} superseded by \
             entry {} ({})",
            x.superseded, x.by, x.reason, y.superseded, y.by, y.reason
        )
    );
    assert!(!found[0].1.contains("Decision"), "{}", found[0].1);

    // A decision dropped: the list is shorter (and the later ones move up).
    let mut dropped = honest.clone();
    dropped.tally.outcome.decisions.pop();
    let found = failing(&dropped);
    assert_eq!(
        found.last().unwrap().0,
        Location::File {
            file: "tally.json",
            field: Some("decisions")
        }
    );

    // The counted list changed.
    let mut counted = honest.clone();
    counted.tally.outcome.counted.pop();
    let found = failing(&counted);
    assert_eq!(
        found[0].0,
        Location::File {
            file: "tally.json",
            field: Some("counted")
        }
    );
}

/// Kills `replace BoardState::voting_closed -> bool with true` (and `false`): the replayed state
/// says whether the board's chain closed voting.
#[test]
fn the_replayed_state_knows_whether_voting_closed() {
    let record = record();
    let election = record_election(record);
    let n = record.board.len();
    assert!(matches!(
        record.board[n - 1].payload,
        Payload::CloseVoting { .. }
    ));
    let closed = verify_chain(&election, &record.board, None).unwrap();
    assert!(closed.voting_closed());
    let open = verify_chain(&election, &record.board[..n - 1], None).unwrap();
    assert!(!open.voting_closed());
}

/// Kills `replace ChainReplay::state with a default state`: fed block by block, the replay's
/// state is the state of the entries so far (their cast ballots, and whether voting closed),
/// the same as replaying them in one go.
#[test]
fn a_replay_fed_in_blocks_reports_the_state_so_far() {
    let record = record();
    let election = record_election(record);
    let n = record.board.len();
    let half = n / 2;
    let mut replay = ChainReplay::new(&election);
    assert!(replay.state().cast().is_empty());
    let admitted = replay.feed(&record.board[..half], HashMap::new());
    let first_half = verify_chain(&election, &record.board[..half], None).unwrap();
    assert!(!admitted.is_empty());
    assert_eq!(replay.state().cast(), first_half.cast());
    assert!(!replay.state().voting_closed());
    replay.feed(&record.board[half..], HashMap::new());
    let whole = verify_chain(&election, &record.board, None).unwrap();
    assert_eq!(replay.state().cast(), whole.cast());
    assert!(replay.state().voting_closed());
}

// =============================================================================================
// src/proofs/range.rs
// =============================================================================================

fn range_transcript() -> merlin::Transcript {
    election_transcript(purpose::SELECTION, &[0x42; 32])
}

/// Kills `replace > with == in RangeStatement::branches` and `replace > with >= in
/// RangeStatement::branches` (`n > MAX_BRANCHES`): a range of exactly `MAX_BRANCHES` values is
/// proved and verified; one more value is `BadRange` for the prover and the verifier.
#[test]
fn range_of_max_branches_values_and_one_more() {
    let key = ElectionKey::new(element(0x5eed));
    let r = SecretScalar::new(Scalar::from(77u8));
    let v = 200u32;
    let ciphertext = key.encrypt(&Scalar::from(v), r.expose());
    let ciphertexts = [ciphertext];
    let high = (MAX_BRANCHES - 1) as u32;
    let statement = RangeStatement {
        key: &key,
        ciphertexts: &ciphertexts,
        low: 0,
        high,
    };
    let witness = RangeWitness::new(v, &r);
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let proof = RangeProof::prove(&witness, &statement, &mut range_transcript(), &mut rng)
        .expect("256 values is allowed");
    assert_eq!(proof.branches(), MAX_BRANCHES);
    assert_eq!(proof.verify(&statement, &mut range_transcript()), Ok(()));

    let too_large = RangeStatement {
        high: high + 1,
        ..statement
    };
    let bad = ProofError::BadRange {
        low: 0,
        high: high + 1,
    };
    assert_eq!(
        RangeProof::prove(&witness, &too_large, &mut range_transcript(), &mut rng).unwrap_err(),
        bad
    );
    assert_eq!(
        proof.verify(&too_large, &mut range_transcript()),
        Err(bad.clone())
    );
    let mut msm = Msm::new();
    assert_eq!(
        proof.accumulate(&too_large, &mut range_transcript(), &mut msm),
        Err(bad)
    );
    assert!(msm.is_empty(), "nothing is pushed before the range check");
}

/// Kills `replace || with && in RangeStatement::branches` (and the `<` mutants there): a range
/// with `high < low`, or no ciphertext, is `BadRange` before any arithmetic.
#[test]
fn empty_ranges_and_statements_without_ciphertexts_are_bad_ranges() {
    let key = ElectionKey::new(element(0x5eed));
    let r = SecretScalar::new(Scalar::from(5u8));
    let ciphertexts = [key.encrypt(&Scalar::ONE, r.expose())];
    let good = RangeStatement {
        key: &key,
        ciphertexts: &ciphertexts,
        low: 1,
        high: 1,
    };
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let proof = RangeProof::prove(
        &RangeWitness::new(1, &r),
        &good,
        &mut range_transcript(),
        &mut rng,
    )
    .expect("a one-value range");
    assert_eq!(proof.branches(), 1);
    assert_eq!(proof.verify(&good, &mut range_transcript()), Ok(()));

    let inverted = RangeStatement {
        low: 2,
        high: 1,
        ..good
    };
    assert_eq!(
        proof.verify(&inverted, &mut range_transcript()),
        Err(ProofError::BadRange { low: 2, high: 1 })
    );
    let none = RangeStatement {
        ciphertexts: &[],
        ..good
    };
    assert_eq!(
        proof.verify(&none, &mut range_transcript()),
        Err(ProofError::BadRange { low: 1, high: 1 })
    );
}

// =============================================================================================
// src/tally.rs
// =============================================================================================

/// An election of `manifest` with `voters` members; returns it with their secrets.
fn election_of(manifest: Manifest, voters: usize, seed: u64) -> (Election, Vec<CredentialSecret>) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let secrets: Vec<CredentialSecret> = (0..voters)
        .map(|_| {
            CredentialSecret::derive(&CredentialCode::generate(&mut rng), manifest.election_id())
        })
        .collect();
    let roll = Roll::new(secrets.iter().map(CredentialSecret::public).collect()).unwrap();
    let election = Election::new(
        manifest,
        ElectionKey::new(element(0x5eed)),
        CeremonyDigest([0; 32]),
        roll,
    );
    (election, secrets)
}

/// The leadership manifest with its contests replaced.
fn with_contests(contests: Vec<Contest>) -> Manifest {
    let authorities = Authorities {
        board: element(0xb0a4d),
        administrator: element(0xad31),
    };
    let base = Manifest::leadership(element(0xa11ce), authorities).unwrap();
    Manifest::new(
        "verifier-mutants",
        contests,
        base.channels().to_vec(),
        base.trustees(),
        base.authorities(),
    )
    .unwrap()
}

fn contest(name: &str, option_limit: u32) -> Contest {
    Contest {
        name: name.to_owned(),
        options: vec!["yes".to_owned(), "no".to_owned()],
        min_selections: 1,
        max_selections: option_limit,
        option_limit,
    }
}

/// Kills `replace * with + in Tally::bound` and `replace * with / in Tally::bound`: the bound is
/// the number of counted ballots times the largest option limit.
#[test]
fn tally_bound_is_counted_ballots_times_the_largest_option_limit() {
    let (election, _) = election_of(with_contests(vec![contest("a", 1), contest("b", 3)]), 1, 1);
    let tally = |counted: u64| Tally {
        outcome: Outcome {
            counted: (0..counted).collect(),
            decisions: vec![],
        },
        aggregates: vec![],
        counts: vec![],
    };
    assert_eq!(tally(5).bound(&election), 15);
    assert_eq!(tally(1).bound(&election), 3);
    assert_eq!(tally(0).bound(&election), 0);
}

/// Kills `replace match guard b.contests.len() == aggregates.len() with true in Tally::compute`:
/// a position listed as cast that holds a ballot of another shape (here, of an election with two
/// contests) is not tallied.
#[test]
fn tally_refuses_a_ballot_of_another_shape() {
    let (one, _) = election_of(with_contests(vec![contest("a", 1)]), 1, 2);
    let (two, secrets) = election_of(with_contests(vec![contest("a", 1), contest("b", 1)]), 1, 3);
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let ballot = prepare(
        &two,
        ChannelIndex::new(0),
        &secrets[0],
        &[vec![1, 0], vec![0, 1]],
        &mut rng,
    )
    .unwrap()
    .cast();
    let cast = [CastBallot {
        position: 0,
        nullifier: ballot.nullifier,
        channel: ChannelIndex::new(0),
    }];
    let entries = [Entry {
        position: 0,
        previous: EntryDigest::genesis(two.base_hash()),
        payload: Payload::Ballot(Box::new(ballot)),
    }];
    assert_eq!(
        Tally::compute(&one, &entries, &cast),
        Err(TallyError::NotABallot { position: 0 })
    );
    // The same ballot in its own election is tallied.
    let tally = Tally::compute(&two, &entries, &cast).unwrap();
    assert_eq!(tally.outcome.counted, [0]);
    assert_eq!(tally.aggregates.len(), 2);
}

// =============================================================================================
// src/proofs/dleq.rs
// =============================================================================================

/// Kills `delete msm.end_equation() in DleqProof::accumulate`: with its two equations in one,
/// they are checked only through `E₁ + E₂ = 0`, a Schnorr equation over the base `G₁ + G₂`, so
/// a prover who knows `log_{G₁+G₂}(P₁ + P₂)` proves a false statement
/// (`log_{G₁} P₁ ≠ log_{G₂} P₂`). With a coefficient for each equation it is refused.
#[test]
fn dleq_equations_are_weighted_independently() {
    // E₁ + λ·E₂ = 0 with λ = 1: the two equations as one.
    let lambda = Scalar::ONE;
    let inv = lambda.invert();
    let g1 = RistrettoPoint::mul_base(&Scalar::ONE);
    let g2 = RistrettoPoint::mul_base(&Scalar::from(0x1234_5678u64));
    let combined = g1 + g2 * lambda;
    let (x, z, r, r1) = (
        Scalar::from(11u8),
        Scalar::from(0xfeedu64),
        Scalar::from(0xbeefu64),
        Scalar::from(0xc0ffeeu64),
    );
    let p1 = g1 * x;
    let p2 = (combined * z - p1) * inv; // P₁ + λ·P₂ = z·(G₁ + λ·G₂)
    assert_ne!(p2, g2 * x, "the statement is false");
    let commitment1 = g1 * r1;
    let commitment2 = (combined * r - commitment1) * inv;
    let el = |p: RistrettoPoint| Element::from_point(p).unwrap();
    let statement = DleqStatement {
        base1: el(g1),
        public1: el(p1),
        base2: el(g2),
        public2: el(p2),
    };
    let transcript = || election_transcript(purpose::DECRYPTION_SHARE, &[0x66; 32]);
    // The verifier's transcript, rebuilt from the public labels.
    let mut t = transcript();
    t.append_message(label::DOMAIN, domain::DLEQ);
    for (l, e) in [
        (label::BASE, &statement.base1),
        (label::PUBLIC, &statement.public1),
        (label::BASE, &statement.base2),
        (label::PUBLIC, &statement.public2),
        (label::COMMITMENT, &el(commitment1)),
        (label::COMMITMENT, &el(commitment2)),
    ] {
        t.append_message(l, e.as_bytes());
    }
    let mut wide = [0u8; 64];
    t.challenge_bytes(label::CHALLENGE, &mut wide);
    let c = Scalar::from_bytes_mod_order_wide(&wide);
    let s = r + c * z;
    // The combined equation holds: the forgery is exactly what one merged equation accepts.
    assert_eq!(
        combined * s - (commitment1 + commitment2 * lambda) - (p1 + p2 * lambda) * c,
        RistrettoPoint::default()
    );
    let mut bytes = Vec::new();
    bytes.extend_from_slice(el(commitment1).as_bytes());
    bytes.extend_from_slice(el(commitment2).as_bytes());
    bytes.extend_from_slice(s.as_bytes());
    let proof = DleqProof::decode(&bytes).unwrap();
    assert_eq!(
        proof.verify(&statement, &mut transcript()),
        Err(ProofError::Invalid)
    );
}

/// Kills `delete msm.end_equation() in RangeProof::accumulate_at` between a branch's two
/// equations: with them in one, a one-branch range proof (a contest sum with `min = max`) is
/// checked only through `E_a + E_b = 0`, a Schnorr equation over `G + K`, which a prover passes
/// for a "ciphertext" `(α·G + K, γ·G + δ·K)` that decrypts to garbage (it has a `K` component in
/// `A`). With a coefficient for each equation it is refused.
#[test]
fn range_equations_are_weighted_independently() {
    // E_a + λ·E_b = 0 with λ = 1: the two equations as one.
    let lambda = Scalar::ONE;
    let inv = lambda.invert();
    let g = RistrettoPoint::mul_base(&Scalar::ONE);
    let key = ElectionKey::new(element(0x5eed));
    let k = *key.element().point();
    let combined = g + k * lambda;
    let m = 1u32;
    let (alpha, z, r, r1) = (
        Scalar::from(3u8),
        Scalar::from(0xfeedu64),
        Scalar::from(0xbeefu64),
        Scalar::from(0xc0ffeeu64),
    );
    // A + λ·(B − m·G) = z·(G + λ·K)
    let a_ct = g * alpha + k * lambda;
    let b_ct = g * ((z - alpha + lambda * Scalar::from(m)) * inv) + k * (z - Scalar::ONE);
    let el = |p: RistrettoPoint| Element::from_point(p).unwrap();
    let ciphertexts = [Ciphertext {
        a: el(a_ct),
        b: el(b_ct),
    }];
    let statement = RangeStatement {
        key: &key,
        ciphertexts: &ciphertexts,
        low: m,
        high: m,
    };
    let commitment_a = g * r1;
    let commitment_b = (combined * r - commitment_a) * inv;
    let transcript = || election_transcript(purpose::CONTEST_SUM, &[0x77; 32]);
    // The verifier's transcript, rebuilt from the public labels.
    let mut t = transcript();
    t.append_message(label::DOMAIN, domain::RANGE);
    t.append_u64(label::RANGE_LOW, u64::from(m));
    t.append_u64(label::RANGE_HIGH, u64::from(m));
    t.append_message(label::ELECTION_KEY, key.element().as_bytes());
    t.append_u64(label::CIPHERTEXT_COUNT, 1);
    t.append_message(label::CIPHERTEXT_A, ciphertexts[0].a.as_bytes());
    t.append_message(label::CIPHERTEXT_B, ciphertexts[0].b.as_bytes());
    t.append_message(label::COMMITMENT, el(commitment_a).as_bytes());
    t.append_message(label::COMMITMENT, el(commitment_b).as_bytes());
    let mut wide = [0u8; 64];
    t.challenge_bytes(label::CHALLENGE, &mut wide);
    let c = Scalar::from_bytes_mod_order_wide(&wide);
    let s = r + c * z;
    let mut bytes = 1u16.to_be_bytes().to_vec();
    bytes.extend_from_slice(el(commitment_a).as_bytes());
    bytes.extend_from_slice(el(commitment_b).as_bytes());
    bytes.extend_from_slice(s.as_bytes());
    let proof = RangeProof::decode(&bytes).unwrap();
    assert_eq!(proof.branches(), 1);
    assert_eq!(
        proof.verify(&statement, &mut transcript()),
        Err(ProofError::Invalid)
    );
}

// =============================================================================================
// src/election.rs and the ceremony (V2, V3, V6)
// =============================================================================================

/// Kills `replace Election::shared_bases -> Vec<Element> with vec![]`. An empty list only makes
/// the batch treat `K`, `H_E` and the authorities' keys as ordinary points, so no verdict
/// changes; the list itself is public API and documented as `K`, `H_E`, then each channel
/// authority's key in manifest order.
#[test]
fn shared_bases_are_the_key_the_nullifier_base_and_the_authorities() {
    let record = record();
    let election = record_election(record);
    let authorities: Vec<Element> = record
        .manifest
        .channels()
        .iter()
        .filter_map(|c| c.authority)
        .collect();
    assert!(
        !authorities.is_empty(),
        "the leadership ballot has a postal authority"
    );
    let mut expected = vec![*election.key().element(), *election.nullifier_base()];
    expected.extend(authorities);
    assert_eq!(election.shared_bases(), expected);
}

// =============================================================================================
// Surviving mutants that are equivalent
// =============================================================================================
//
// No test can tell these from the original code; each with the argument.
//
// * `src/proofs/batch.rs:86:26: replace < with <= in Msm::with_shared` (`all.len() < 255`). The
//   limit keeps every shared base's index in the `u8` of a shared term. With `<=` one more base
//   is registered (the 256th, index 255), and 255 still fits in a `u8`: no index wraps, every
//   term lands on its own base, and every sum is the same. (`||` for `&&` on that line, which
//   registers bases past 256 so that an index wraps, is caught: `more_than_255_shared_bases` is
//   the only test that registers more than 255 bases.)
// * `src/proofs/batch.rs:383:30: replace == with != in verify_batch` (`if k == 0`) and
//   `384:64: replace - with + / with /` (`reserve_like(chunk_items.len() - 1)`): when, and for
//   how many items, a chunk reserves room ahead. Every item's terms are pushed the same way
//   whatever the capacity, so the sums and every verdict are the same; only the allocations
//   differ (reserved after every item but the first, or for one item more or fewer).
// * `src/proofs/range.rs: replace * with + in RangeProof::accumulate_at` and `with /`
//   (`msm.reserve(2 * n)`): only the capacity reserved ahead of the pushes changes (`2 + n` or
//   `2 / n` points instead of `2n`); the terms pushed, and so every result, are the same.
// * `src/proofs/range.rs: delete match arm 0 in RangeProof::accumulate_at` and `delete match
//   arm 1`. The arms are a fast path for `mⱼ ∈ {0, 1}`: without them the general arm pushes
//   `−cⱼ·mⱼ·G` with `mⱼ = 0` or `1`, which is a zero term or the same scalar `−cⱼ`.
//
// * `src/codec.rs: replace | with ^ in decode_hex_into::nibble`, on both lines of `nibble`
//   (group 15). `is_digit` and `is_letter` are masks that are never both `0xff` (no byte is a
//   decimal digit and a letter `a`–`f`), so `x | y` and `x ^ y` agree on every pair of them,
//   and on the masked values they select: every byte decodes the same.
// * `src/codec.rs: replace | with ^ in decode_hex_into` (`(high << 4) | low`): `nibble` returns
//   at most 15 (0 for a bad character), so the shifted high nibble and the low one share no bit.
// * `src/proofs/batch.rs: replace match guard coefficient == *s with false in Msm::weigh`
//   (group 15): the guard reuses the product `s·ρ` while a slot term's coefficient repeats (a
//   contest sum's terms on its selections). With `false` every product is recomputed: the same
//   scalars, only slower.
//
// Killed elsewhere (range accumulator): `replace match guard slots.len() == ciphertexts.len()
// with true` by `proofs::range::tests::slots_for_fewer_ciphertexts_than_the_statement_are_not_used`
// (the accumulator is crate-private), checked by hand.
//
// Killed elsewhere:
//
// * `src/proofs/batch.rs: replace Msm::reserve with ()`, `replace Msm::reserve_like with ()` and
//   `replace << with >>` in `MAX_RESERVED_TERMS = 1 << 17` (0: nothing reserved ahead). Argued
//   equivalent before (capacity only, no verdict changes); the unit test
//   `proofs::batch::tests::reserving_makes_room_ahead` now checks the room each promises (the
//   buffers are crate-private), checked by hand against all three.
// * `src/proofs/range.rs: delete msm.end_equation() in RangeProof::accumulate_at`, either of
//   the two per branch: the equations it separates share one coefficient, and errors that
//   cancel between them pass. The unit test
//   `proofs::range::tests::every_equation_is_enforced_even_when_the_errors_would_cancel_in_a_merged_equation`
//   builds such proofs (it needs the proof's private fields): errors `E₀ₐ = D`, `E₀ᵦ = −D`
//   (one branch's two equations), and `E₀ᵦ = D`, `E₁ₐ = −D` (one branch's second and the
//   next one's first).
