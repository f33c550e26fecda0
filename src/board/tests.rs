use super::*;
use crate::ballot::{BallotError, ChallengeError, prepare};
use crate::precedence::Reason;
use crate::testing::{ONLINE, POSTAL, SUNAK, TRUSS, TestElection, test_rng};

#[test]
fn postal_after_online_is_accepted_online_after_postal_refused() {
    let t = TestElection::leadership(3, 1);
    let mut board = Board::new(t.election.clone());
    let online = board.submit(t.ballot(0, ONLINE, TRUSS, 1)).unwrap();
    let postal = board.submit(t.ballot(0, POSTAL, SUNAK, 2)).unwrap();
    assert_eq!((online.position, postal.position), (0, 1));
    assert_eq!(
        board.submit(t.ballot(0, ONLINE, TRUSS, 3)),
        Err(Refusal::Superseded {
            by: 1,
            reason: Reason::Precedence
        })
    );
    // A second postal ballot is refused: postal is first-wins.
    assert_eq!(
        board.submit(t.ballot(0, POSTAL, TRUSS, 4)),
        Err(Refusal::Superseded {
            by: 1,
            reason: Reason::FirstWins
        })
    );
    // Online revotes are accepted (last-wins).
    board.submit(t.ballot(1, ONLINE, TRUSS, 5)).unwrap();
    board.submit(t.ballot(1, ONLINE, SUNAK, 6)).unwrap();
    assert_eq!(board.entries().len(), 4);
    assert_eq!(board.refusals().len(), 2);
    assert_eq!(board.refusals()[0].1, ONLINE);
}

#[test]
fn resubmitting_returns_the_original_receipt() {
    let t = TestElection::leadership(1, 2);
    let mut board = Board::new(t.election.clone());
    let b = t.ballot(0, ONLINE, TRUSS, 1);
    let first = board.submit(b.clone()).unwrap();
    assert_eq!(board.submit(b.clone()), Ok(first));
    assert_eq!(board.submit_batch(vec![b]), vec![Ok(first)]);
    assert_eq!(board.entries().len(), 1);
    assert_eq!(first.entry, board.head());
}

#[test]
fn invalid_other_election_and_uncountersigned_ballots_are_refused() {
    let t = TestElection::leadership(2, 3);
    let other = TestElection::leadership(2, 4);
    let mut board = Board::new(t.election.clone());
    assert_eq!(
        board.submit(other.ballot(0, ONLINE, TRUSS, 1)),
        Err(Refusal::Invalid(BallotError::WrongElection))
    );
    let mut unsigned = t.ballot(0, POSTAL, TRUSS, 2);
    unsigned.countersignature = None;
    assert_eq!(
        board.submit(unsigned),
        Err(Refusal::Invalid(BallotError::MissingCountersignature {
            channel: POSTAL
        }))
    );
    assert!(
        board.entries().is_empty(),
        "nothing refused reaches the chain"
    );
}

#[test]
fn a_challenged_ballot_can_never_be_cast() {
    let t = TestElection::leadership(1, 5);
    let mut board = Board::new(t.election.clone());
    let prepared = prepare(
        &t.election,
        ONLINE,
        &t.secrets[0],
        &[TRUSS.to_vec()],
        &mut test_rng(1),
    )
    .unwrap();
    let shown = prepared.ballot().clone();
    let challenged = prepared.challenge().spoiled();
    let receipt = board.challenge(&challenged).unwrap();
    assert_eq!(receipt.tracking_code, shown.tracking_code());
    assert_eq!(board.challenge(&challenged), Ok(receipt));
    // The board receives and publishes no nullifier, credential or eligibility proof of a
    // challenged ballot.
    match &board.entries()[0].payload {
        Payload::Spoiled(s) => {
            assert_eq!(s, &challenged);
            assert_eq!(s.tracking_code, shown.tracking_code());
            let json = serde_json::to_string(&board.entries()[0]).unwrap();
            let crate::nullifier::Eligibility::Pseudonymous { credential, proof } =
                &shown.eligibility;
            for secret_link in [
                hex::encode(shown.nullifier.element().as_bytes()),
                hex::encode(credential.element().as_bytes()),
                hex::encode(&proof.encode()[..32]),
                hex::encode(&proof.encode()[64..]),
            ] {
                assert!(!json.contains(&secret_link), "{secret_link} in {json}");
            }
            assert_eq!(s.verify(&t.election).unwrap(), vec![TRUSS.to_vec()]);
        }
        other => panic!("expected a spoiled ballot, found {other:?}"),
    }
    assert_eq!(
        board.submit(shown.clone()),
        Err(Refusal::Spoiled { position: 0 })
    );
    assert_eq!(
        board.submit_batch(vec![shown]),
        vec![Err(Refusal::Spoiled { position: 0 })]
    );
    // A ballot made afresh is accepted.
    board.submit(t.ballot(0, ONLINE, TRUSS, 2)).unwrap();
}

/// The board checks a challenge as any verifier does, without knowing who submits it: another
/// election's challenge, or one whose claimed tracking code is not its own, is refused and
/// nothing is appended; a claimed code is never trusted for the resubmission rule (a different
/// challenge claiming a spoiled entry's code, or a cast entry's, gets no receipt).
#[test]
fn a_challenge_is_checked_alone_and_its_claimed_code_is_not_trusted() {
    let t = TestElection::leadership(2, 8);
    let mut board = Board::new(t.election.clone());
    let prepared = prepare(
        &t.election,
        ONLINE,
        &t.secrets[0],
        &[TRUSS.to_vec()],
        &mut test_rng(11),
    )
    .unwrap();
    let spoiled = prepared.challenge().spoiled();

    let mut other = spoiled.clone();
    other.election.0[0] ^= 1;
    other.tracking_code = other.recomputed_code();
    assert_eq!(
        board.challenge(&other),
        Err(Refusal::Challenge(ChallengeError::WrongElection))
    );
    let mut lying = spoiled.clone();
    lying.contests[0][0].opening.value = 0;
    assert_eq!(
        board.challenge(&lying),
        Err(Refusal::Challenge(ChallengeError::Mismatch {
            contest: 0,
            option: 0
        }))
    );
    assert!(board.entries().is_empty(), "nothing refused is appended");
    assert_eq!(board.refusals().len(), 2);

    let receipt = board.challenge(&spoiled).unwrap();
    // The same code claimed by another challenge (other openings, same ciphertexts): no
    // receipt, the ciphertexts are spoiled already.
    let mut same_code = spoiled.clone();
    same_code.contests[0].swap(0, 1);
    assert_eq!(
        board.challenge(&same_code),
        Err(Refusal::Spoiled { position: 0 })
    );
    // A fresh challenge claiming the code of the spoiled entry: refused by its own code.
    let fresh = prepare(
        &t.election,
        ONLINE,
        &t.secrets[1],
        &[SUNAK.to_vec()],
        &mut test_rng(12),
    )
    .unwrap()
    .challenge()
    .spoiled();
    let mut claims = fresh.clone();
    claims.tracking_code = receipt.tracking_code;
    assert_eq!(
        board.challenge(&claims),
        Err(Refusal::Challenge(ChallengeError::TrackingCode))
    );
    // ... and the code of a cast entry.
    let cast = board.submit(t.ballot(1, ONLINE, SUNAK, 13)).unwrap();
    claims.tracking_code = cast.tracking_code;
    assert_eq!(
        board.challenge(&claims),
        Err(Refusal::Challenge(ChallengeError::TrackingCode))
    );
    assert_eq!(board.entries().len(), 2);
    assert_eq!(board.challenge(&fresh).unwrap().position, 2);
}

#[test]
fn nothing_is_cast_after_its_phase() {
    let t = TestElection::leadership(2, 6);
    let mut board = Board::new(t.election.clone());
    board.close_channel(POSTAL).unwrap();
    assert_eq!(
        board.submit(t.ballot(0, POSTAL, TRUSS, 1)),
        Err(Refusal::ChannelClosed { channel: POSTAL })
    );
    assert_eq!(
        board.close_channel(POSTAL),
        Err(Refusal::ChannelClosed { channel: POSTAL })
    );
    board.submit(t.ballot(0, ONLINE, TRUSS, 2)).unwrap();
    board.close_voting().unwrap();
    assert_eq!(
        board.submit(t.ballot(1, ONLINE, TRUSS, 3)),
        Err(Refusal::VotingClosed)
    );
    assert!(matches!(board.close_voting(), Err(Refusal::WrongPhase(_))));
}

fn sample_board() -> (TestElection, Board) {
    let t = TestElection::leadership(4, 7);
    let mut board = Board::new(t.election.clone());
    board.submit(t.ballot(0, ONLINE, TRUSS, 1)).unwrap();
    board.submit(t.ballot(1, POSTAL, SUNAK, 2)).unwrap();
    board.submit(t.ballot(0, POSTAL, SUNAK, 3)).unwrap();
    let prepared = prepare(
        &t.election,
        ONLINE,
        &t.secrets[2],
        &[TRUSS.to_vec()],
        &mut test_rng(4),
    )
    .unwrap();
    board.challenge(&prepared.challenge().spoiled()).unwrap();
    board.submit(t.ballot(2, ONLINE, SUNAK, 5)).unwrap();
    board.close_voting().unwrap();
    (t, board)
}

#[test]
fn an_honest_board_verifies() {
    let (t, board) = sample_board();
    let state = verify_chain(&t.election, board.entries(), Some(&board.head())).unwrap();
    assert_eq!(state.cast().len(), 4);
    assert!(state.voting_closed());
    let json = serde_json::to_string(board.entries()).unwrap();
    let back: Vec<Entry> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, board.entries());
}

fn problems(t: &TestElection, entries: &[Entry], head: &BaseHash) -> Vec<(u64, ChainProblem)> {
    verify_chain(&t.election, entries, Some(head))
        .unwrap_err()
        .into_iter()
        .map(|e| (e.position, e.problem))
        .collect()
}

#[test]
fn a_deleted_entry_is_named() {
    let (t, board) = sample_board();
    let mut entries = board.entries().to_vec();
    entries.remove(2);
    let found = problems(&t, &entries, &board.head());
    assert_eq!(found[0], (2, ChainProblem::Position { claimed: 3 }));
    assert_eq!(found[1], (2, ChainProblem::BrokenLink));
}

#[test]
fn swapped_entries_are_named() {
    let (t, board) = sample_board();
    let mut entries = board.entries().to_vec();
    entries.swap(1, 2);
    let found = problems(&t, &entries, &board.head());
    assert!(found.contains(&(1, ChainProblem::Position { claimed: 2 })));
    assert!(found.contains(&(1, ChainProblem::BrokenLink)));
    assert!(found.contains(&(2, ChainProblem::BrokenLink)));
}

#[test]
fn a_duplicated_entry_is_named() {
    let (t, board) = sample_board();
    let mut entries = board.entries().to_vec();
    let mut copy = entries[0].clone();
    copy.position = 1;
    copy.previous = entries[0].digest();
    entries.insert(1, copy);
    for (i, e) in entries.iter_mut().enumerate().skip(2) {
        e.position = i as u64;
    }
    let found = problems(&t, &entries, &board.head());
    assert!(
        found.contains(&(1, ChainProblem::Refused(Refusal::Duplicate { position: 0 }))),
        "{found:?}"
    );
}

#[test]
fn a_forked_head_and_an_entry_after_close_are_named() {
    let (t, board) = sample_board();
    let fork = BaseHash([9; 32]);
    assert_eq!(
        problems(&t, board.entries(), &fork),
        vec![(6, ChainProblem::Head)]
    );
    let mut entries = board.entries().to_vec();
    let late = Entry {
        position: 6,
        previous: entries[5].digest(),
        payload: Payload::Ballot(Box::new(t.ballot(3, ONLINE, TRUSS, 9))),
    };
    let head = late.digest();
    entries.push(late);
    assert_eq!(
        problems(&t, &entries, &head),
        vec![(6, ChainProblem::Refused(Refusal::VotingClosed))]
    );
}

#[test]
fn a_tampered_ballot_inside_the_chain_is_named() {
    let (t, board) = sample_board();
    let mut entries = board.entries().to_vec();
    if let Payload::Ballot(b) = &mut entries[1].payload {
        b.channel = ONLINE;
    }
    let found = problems(&t, &entries, &board.head());
    assert_eq!(found[0].0, 1);
    assert!(matches!(
        found[0].1,
        ChainProblem::Refused(Refusal::Invalid(_))
    ));
    assert!(found.contains(&(2, ChainProblem::BrokenLink)));
}

#[test]
fn a_resumed_board_continues_the_chain_and_refuses_a_broken_one() {
    let (t, board) = sample_board();
    let entries = board.entries().to_vec();
    let resumed = Board::resume(t.election.clone(), entries.clone(), vec![]).unwrap();
    assert_eq!(resumed.head(), board.head());
    assert_eq!(resumed.entries(), board.entries());
    let mut open = Board::resume(t.election.clone(), entries[..3].to_vec(), vec![]).unwrap();
    // The state was replayed: voter 0's postal ballot is known, so their online one is refused.
    assert_eq!(
        open.submit(t.ballot(0, ONLINE, TRUSS, 40)),
        Err(Refusal::Superseded {
            by: 2,
            reason: Reason::Precedence
        })
    );
    let mut broken = entries;
    broken.remove(1);
    assert!(Board::resume(t.election.clone(), broken, vec![]).is_err());
}

/// A ballot whose ciphertexts are already on the board is refused by the ciphertext rule
/// before its proofs are checked: `CiphertextReused` after a cast ballot, `Spoiled` after a
/// challenged one. (Moving a ballot to another channel changes its tracking code, so the
/// resubmission rule does not catch it first; its proofs would fail too, later.)
#[test]
fn ciphertexts_already_on_the_board_are_refused_before_the_proofs() {
    let t = TestElection::leadership(2, 6);
    let mut board = Board::new(t.election.clone());
    let cast = t.ballot(0, ONLINE, TRUSS, 1);
    board.submit(cast.clone()).unwrap();
    let mut moved = cast;
    moved.channel = POSTAL;
    assert_eq!(
        board.submit(moved),
        Err(Refusal::CiphertextReused { position: 0 })
    );

    let prepared = prepare(
        &t.election,
        ONLINE,
        &t.secrets[1],
        &[TRUSS.to_vec()],
        &mut test_rng(2),
    )
    .unwrap();
    let mut shown = prepared.ballot().clone();
    board.challenge(&prepared.challenge().spoiled()).unwrap();
    shown.channel = POSTAL;
    assert_eq!(board.submit(shown), Err(Refusal::Spoiled { position: 1 }));

    // The same rule for a challenge: a cast ballot's ciphertexts are never opened.
    let prepared = prepare(
        &t.election,
        ONLINE,
        &t.secrets[1],
        &[TRUSS.to_vec()],
        &mut test_rng(3),
    )
    .unwrap();
    board.submit(prepared.ballot().clone()).unwrap();
    let mut opened = prepared.challenge().spoiled();
    opened.channel = POSTAL;
    opened.tracking_code = opened.recomputed_code();
    assert_eq!(
        board.challenge(&opened),
        Err(Refusal::CiphertextReused { position: 2 })
    );
}

/// Kills `replace BoardState::record with ()` (its callers in the crate pass the tracking code
/// they already hold, to `record_with_code`): recording an admitted entry by itself leaves the
/// same state as the board's own admission.
#[test]
fn recording_an_entry_computes_its_tracking_code() {
    let t = TestElection::leadership(2, 9);
    let mut board = Board::new(t.election.clone());
    board.submit(t.ballot(0, ONLINE, TRUSS, 1)).unwrap();
    board.submit(t.ballot(1, POSTAL, SUNAK, 2)).unwrap();
    let mut state = BoardState::new(&t.election);
    for entry in board.entries() {
        state.record(entry);
    }
    assert_eq!(state.cast(), board.state.cast());
    for entry in board.entries() {
        let (_, code) = entry.digest_and_code();
        assert_eq!(state.position_of(&code), Some((entry.position, false)));
    }
    // A ballot recorded is a ballot the rules now know: its resubmission is a duplicate.
    let (_, first) = board.entries()[0].digest_and_code();
    assert_eq!(
        state.refuse_duplicate(&first),
        Err(Refusal::Duplicate { position: 0 })
    );
}
