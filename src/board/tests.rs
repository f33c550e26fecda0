use super::*;
use crate::ballot::{BallotError, ChallengeError};
use crate::precedence::Reason;
use crate::testing::{ONLINE, POSTAL, SUNAK, TRUSS, TestElection, test_rng};

/// [`Board::submit`], with the refusal's reason only (its receipt is checked where it matters).
fn submit(board: &mut Board, ballot: Ballot) -> Result<Receipt, Refusal> {
    board.submit(ballot).map_err(|r| r.refusal)
}

/// [`Board::submit_batch`], with the refusals' reasons only.
fn submit_batch(board: &mut Board, ballots: Vec<Ballot>) -> Vec<Result<Receipt, Refusal>> {
    board
        .submit_batch(ballots)
        .into_iter()
        .map(|r| r.map_err(|r| r.refusal))
        .collect()
}

/// [`Board::challenge`], with the refusal's reason only.
fn challenge(board: &mut Board, spoiled: &SpoiledBallot) -> Result<Receipt, Refusal> {
    board.challenge(spoiled).map_err(|r| r.refusal)
}

/// The refusal entries of a board, in order.
fn refusals(board: &Board) -> Vec<&RefusalEntry> {
    board
        .entries()
        .iter()
        .filter_map(|e| match &e.payload {
            Payload::Refused(r) => Some(&**r),
            _ => None,
        })
        .collect()
}

#[test]
fn postal_after_online_is_accepted_online_after_postal_refused() {
    let t = TestElection::leadership(3, 1);
    let mut board = t.board();
    let online = submit(&mut board, t.ballot(0, ONLINE, TRUSS, 1)).unwrap();
    let postal = submit(&mut board, t.ballot(0, POSTAL, SUNAK, 2)).unwrap();
    assert_eq!((online.position, postal.position), (0, 1));
    assert_eq!(
        submit(&mut board, t.ballot(0, ONLINE, TRUSS, 3)),
        Err(Refusal::Superseded {
            by: 1,
            reason: Reason::Precedence
        })
    );
    // A second postal ballot is refused: postal is first-wins.
    assert_eq!(
        submit(&mut board, t.ballot(0, POSTAL, TRUSS, 4)),
        Err(Refusal::Superseded {
            by: 1,
            reason: Reason::FirstWins
        })
    );
    // Online revotes are accepted (last-wins).
    submit(&mut board, t.ballot(1, ONLINE, TRUSS, 5)).unwrap();
    submit(&mut board, t.ballot(1, ONLINE, SUNAK, 6)).unwrap();
    // Two admitted, two refusal entries, two admitted.
    assert_eq!(board.entries().len(), 6);
    let refused = refusals(&board);
    assert_eq!(refused.len(), 2);
    assert_eq!(
        (refused[0].channel, refused[0].reason, refused[1].channel),
        (
            ONLINE,
            RefusalCode::Superseded {
                by: 1,
                reason: Reason::Precedence
            },
            POSTAL
        )
    );
    assert_eq!(board.state().refused(), &[1, 1]);
}

#[test]
fn resubmitting_returns_the_original_receipt() {
    let t = TestElection::leadership(1, 2);
    let mut board = t.board();
    let b = t.ballot(0, ONLINE, TRUSS, 1);
    let first = submit(&mut board, b.clone()).unwrap();
    assert_eq!(submit(&mut board, b.clone()), Ok(first));
    assert_eq!(submit_batch(&mut board, vec![b]), vec![Ok(first)]);
    assert_eq!(board.entries().len(), 1);
    assert_eq!(first.entry, board.head());
}

#[test]
fn invalid_other_election_and_uncountersigned_ballots_are_refused() {
    let t = TestElection::leadership(2, 3);
    let other = TestElection::leadership(2, 4);
    let mut board = t.board();
    assert_eq!(
        submit(&mut board, other.ballot(0, ONLINE, TRUSS, 1)),
        Err(Refusal::Invalid(BallotError::WrongElection))
    );
    let mut unsigned = t.ballot(0, POSTAL, TRUSS, 2);
    unsigned.countersignature = None;
    assert_eq!(
        submit(&mut board, unsigned),
        Err(Refusal::Invalid(BallotError::MissingCountersignature {
            channel: POSTAL
        }))
    );
    // Each refusal is an entry of the chain, with the refused ballot's nullifier and tracking
    // code, and nothing the verifier could count.
    let refused = refusals(&board);
    assert_eq!(refused.len(), 2);
    assert!(
        refused
            .iter()
            .all(|r| r.reason == RefusalCode::InvalidBallot
                && r.submission == Submission::Cast
                && r.nullifier.is_some())
    );
    assert!(board.cast().is_empty());
}

#[test]
fn a_challenged_ballot_can_never_be_cast() {
    let t = TestElection::leadership(1, 5);
    let mut board = t.board();
    let prepared = t.prepared(0, ONLINE, TRUSS, 1);
    let shown = prepared.ballot().clone();
    let challenged = prepared.challenge().spoiled();
    let receipt = challenge(&mut board, &challenged).unwrap();
    assert_eq!(receipt.tracking_code, shown.tracking_code());
    assert_eq!(challenge(&mut board, &challenged), Ok(receipt));
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
        submit(&mut board, shown.clone()),
        Err(Refusal::Spoiled { position: 0 })
    );
    assert_eq!(
        submit_batch(&mut board, vec![shown]),
        vec![Err(Refusal::Spoiled { position: 0 })]
    );
    // A ballot made afresh is accepted.
    submit(&mut board, t.ballot(0, ONLINE, TRUSS, 2)).unwrap();
}

/// The board checks a challenge as any verifier does, without knowing who submits it: another
/// election's challenge, or one whose claimed tracking code is not its own, is refused (a
/// refusal entry, no nullifier); a claimed code is never trusted for the resubmission rule (a different
/// challenge claiming a spoiled entry's code, or a cast entry's, gets no receipt).
#[test]
fn a_challenge_is_checked_alone_and_its_claimed_code_is_not_trusted() {
    let t = TestElection::leadership(2, 8);
    let mut board = t.board();
    let prepared = t.prepared(0, ONLINE, TRUSS, 11);
    let spoiled = prepared.challenge().spoiled();

    let mut other = spoiled.clone();
    other.election.0[0] ^= 1;
    other.tracking_code = other.recomputed_code();
    assert_eq!(
        challenge(&mut board, &other),
        Err(Refusal::Challenge(ChallengeError::WrongElection))
    );
    let mut lying = spoiled.clone();
    lying.contests[0][0].opening.value = 0;
    assert_eq!(
        challenge(&mut board, &lying),
        Err(Refusal::Challenge(ChallengeError::Mismatch {
            contest: 0,
            option: 0
        }))
    );
    // Each refusal is an entry: two so far.
    assert_eq!(refusals(&board).len(), 2);
    assert_eq!(board.entries().len(), 2);

    let receipt = challenge(&mut board, &spoiled).unwrap();
    // The same code claimed by another challenge (other openings, same ciphertexts): no
    // receipt, the ciphertexts are spoiled already.
    let mut same_code = spoiled.clone();
    same_code.contests[0].swap(0, 1);
    assert_eq!(receipt.position, 2);
    assert_eq!(
        challenge(&mut board, &same_code),
        Err(Refusal::Spoiled { position: 2 })
    );
    // A fresh challenge claiming the code of the spoiled entry: refused by its own code.
    let fresh = t.prepared(1, ONLINE, SUNAK, 12).challenge().spoiled();
    let mut claims = fresh.clone();
    claims.tracking_code = receipt.tracking_code;
    assert_eq!(
        challenge(&mut board, &claims),
        Err(Refusal::Challenge(ChallengeError::TrackingCode))
    );
    // ... and the code of a cast entry.
    let cast = submit(&mut board, t.ballot(1, ONLINE, SUNAK, 13)).unwrap();
    claims.tracking_code = cast.tracking_code;
    assert_eq!(
        challenge(&mut board, &claims),
        Err(Refusal::Challenge(ChallengeError::TrackingCode))
    );
    // Two refusals, the challenge, three refusals, the cast ballot, a refusal.
    assert_eq!(board.entries().len(), 7);
    assert!(
        refusals(&board)
            .iter()
            .all(|r| r.submission == Submission::Challenge && r.nullifier.is_none())
    );
    assert_eq!(challenge(&mut board, &fresh).unwrap().position, 7);
}

#[test]
fn nothing_is_cast_after_its_phase() {
    let t = TestElection::leadership(2, 6);
    let mut board = t.board();
    board
        .close_as(&t.administrator_key, Close::Channel(POSTAL))
        .unwrap();
    assert_eq!(
        submit(&mut board, t.ballot(0, POSTAL, TRUSS, 1)),
        Err(Refusal::ChannelClosed { channel: POSTAL })
    );
    assert_eq!(
        board.close_as(&t.administrator_key, Close::Channel(POSTAL)),
        Err(Refusal::ChannelClosed { channel: POSTAL })
    );
    submit(&mut board, t.ballot(0, ONLINE, TRUSS, 2)).unwrap();
    board.close_as(&t.administrator_key, Close::Voting).unwrap();
    assert_eq!(
        submit(&mut board, t.ballot(1, ONLINE, TRUSS, 3)),
        Err(Refusal::VotingClosed)
    );
    assert!(matches!(
        board.close_as(&t.administrator_key, Close::Voting),
        Err(Refusal::WrongPhase(_))
    ));
}

fn sample_board() -> (TestElection, Board) {
    let t = TestElection::leadership(4, 7);
    let mut board = t.board();
    submit(&mut board, t.ballot(0, ONLINE, TRUSS, 1)).unwrap();
    submit(&mut board, t.ballot(1, POSTAL, SUNAK, 2)).unwrap();
    submit(&mut board, t.ballot(0, POSTAL, SUNAK, 3)).unwrap();
    let prepared = t.prepared(2, ONLINE, TRUSS, 4);
    challenge(&mut board, &prepared.challenge().spoiled()).unwrap();
    submit(&mut board, t.ballot(2, ONLINE, SUNAK, 5)).unwrap();
    board.close_as(&t.administrator_key, Close::Voting).unwrap();
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

fn problems(t: &TestElection, entries: &[Entry], head: &EntryDigest) -> Vec<(u64, ChainProblem)> {
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
    let fork = EntryDigest([9; 32]);
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
    let resumed = t.resume(entries.clone()).unwrap();
    assert_eq!(resumed.head(), board.head());
    assert_eq!(resumed.entries(), board.entries());
    let mut open = t.resume(entries[..3].to_vec()).unwrap();
    // The state was replayed: voter 0's postal ballot is known, so their online one is refused.
    assert_eq!(
        submit(&mut open, t.ballot(0, ONLINE, TRUSS, 40)),
        Err(Refusal::Superseded {
            by: 2,
            reason: Reason::Precedence
        })
    );
    let mut broken = entries;
    broken.remove(1);
    assert!(t.resume(broken).is_err());
}

/// A ballot whose ciphertexts are already on the board is refused by the ciphertext rule
/// before its proofs are checked: `CiphertextReused` after a cast ballot, `Spoiled` after a
/// challenged one. (Moving a ballot to another channel changes its tracking code, so the
/// resubmission rule does not catch it first; its proofs would fail too, later.)
#[test]
fn ciphertexts_already_on_the_board_are_refused_before_the_proofs() {
    let t = TestElection::leadership(2, 6);
    let mut board = t.board();
    let cast = t.ballot(0, ONLINE, TRUSS, 1);
    submit(&mut board, cast.clone()).unwrap();
    let mut moved = cast;
    moved.channel = POSTAL;
    assert_eq!(
        submit(&mut board, moved),
        Err(Refusal::CiphertextReused { position: 0 })
    );

    let prepared = t.prepared(1, ONLINE, TRUSS, 2);
    let mut shown = prepared.ballot().clone();
    challenge(&mut board, &prepared.challenge().spoiled()).unwrap();
    shown.channel = POSTAL;
    // (The refusal above is entry 1; the challenge entry 2.)
    assert_eq!(
        submit(&mut board, shown),
        Err(Refusal::Spoiled { position: 2 })
    );

    // The same rule for a challenge: a cast ballot's ciphertexts are never opened.
    let prepared = t.prepared(1, ONLINE, TRUSS, 3);
    submit(&mut board, prepared.ballot().clone()).unwrap();
    let mut opened = prepared.challenge().spoiled();
    opened.channel = POSTAL;
    opened.tracking_code = opened.recomputed_code();
    assert_eq!(
        challenge(&mut board, &opened),
        Err(Refusal::CiphertextReused { position: 4 })
    );
    // Every refusal entry names the component reused, which the verifier finds at the entry
    // named (spoiled by the challenge at 2, cast at 0 and 4).
    let named: Vec<_> = refusals(&board)
        .iter()
        .map(|r| (r.reason, r.component.is_some()))
        .collect();
    assert_eq!(
        named,
        vec![
            (RefusalCode::CiphertextReused { position: 0 }, true),
            (RefusalCode::Spoiled { position: 2 }, true),
            (RefusalCode::CiphertextReused { position: 4 }, true),
        ]
    );
    assert!(verify_chain(&t.election, board.entries(), Some(&board.head())).is_ok());
}

/// Kills `replace BoardState::record with ()` (its callers in the crate pass the tracking code
/// they already hold, to `record_with_code`): recording an admitted entry by itself leaves the
/// same state as the board's own admission.
#[test]
fn recording_an_entry_computes_its_tracking_code() {
    let t = TestElection::leadership(2, 9);
    let mut board = t.board();
    submit(&mut board, t.ballot(0, ONLINE, TRUSS, 1)).unwrap();
    submit(&mut board, t.ballot(1, POSTAL, SUNAK, 2)).unwrap();
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

/// The chain's problems of `entries` (none: `Ok`), with the proofs checked.
fn rule_problems(t: &TestElection, entries: &[Entry]) -> Vec<ChainProblem> {
    match verify_chain(&t.election, entries, None) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.problem).collect(),
    }
}

/// `entries` with its last entry's payload replaced, re-linked (so only the rules can fail).
fn with_last(entries: &[Entry], payload: Payload) -> Vec<Entry> {
    let mut changed = entries.to_vec();
    let last = changed.last_mut().expect("an entry");
    last.payload = payload;
    changed
}

fn unfounded(problems: &[ChainProblem]) -> bool {
    matches!(
        problems,
        [ChainProblem::Refused(Refusal::UnfoundedRefusal(_))]
    )
}

/// Issue #17, item 2: the verifier recomputes every refusal reason the record lets it
/// recompute. Each honest refusal entry replays; each changed one (another reason, another
/// entry named, a missing nullifier or component, a refusal of what is on the board) is
/// refused under V7 with `UnfoundedRefusal`, and nothing else fails.
#[test]
fn every_refusal_reason_is_checked_against_the_state() {
    let t = TestElection::leadership(3, 21);
    let mut board = t.board();
    submit(&mut board, t.ballot(0, POSTAL, TRUSS, 1)).unwrap(); // 0
    // 1: superseded by 0 (precedence).
    let late = t.ballot(0, ONLINE, SUNAK, 2);
    submit(&mut board, late.clone()).unwrap_err();
    let honest = board.entries().to_vec();
    assert!(rule_problems(&t, &honest).is_empty());
    let Payload::Refused(refused) = honest[1].payload.clone() else {
        panic!("a refusal entry")
    };
    assert_eq!(
        refused.reason,
        RefusalCode::Superseded {
            by: 0,
            reason: Reason::Precedence
        }
    );
    let mut cases: Vec<(&str, RefusalEntry)> = Vec::new();
    let mut change = |name, f: &dyn Fn(&mut RefusalEntry)| {
        let mut r = refused.clone();
        f(&mut r);
        cases.push((name, *r));
    };
    change("another entry named", &|r| {
        r.reason = RefusalCode::Superseded {
            by: 1,
            reason: Reason::Precedence,
        }
    });
    change("another rule named", &|r| {
        r.reason = RefusalCode::Superseded {
            by: 0,
            reason: Reason::FirstWins,
        }
    });
    change("another voter's nullifier", &|r| {
        r.nullifier = Some(t.ballot(1, ONLINE, TRUSS, 3).nullifier)
    });
    change("no nullifier", &|r| r.nullifier = None);
    change("a channel said closed while open", &|r| {
        r.reason = RefusalCode::ChannelClosed
    });
    change("voting said closed while open", &|r| {
        r.reason = RefusalCode::VotingClosed
    });
    change("an unknown channel that is known", &|r| {
        r.reason = RefusalCode::UnknownChannel
    });
    change("a reuse without its component", &|r| {
        r.reason = RefusalCode::CiphertextReused { position: 0 }
    });
    change("a challenge's reason for a cast ballot", &|r| {
        r.reason = RefusalCode::InvalidChallenge
    });
    change("a challenge with a nullifier", &|r| {
        r.submission = Submission::Challenge;
        r.reason = RefusalCode::InvalidChallenge;
    });
    change("the tracking code of the admitted ballot", &|r| {
        r.tracking_code = honest[0].digest_and_code().1
    });
    change("a reuse of a component that is not the entry's", &|r| {
        r.reason = RefusalCode::CiphertextReused { position: 0 };
        r.component = Some(late.contests[0].selections[0].ciphertext.a);
    });
    change("a spoiled ballot where nothing was challenged", &|r| {
        r.reason = RefusalCode::Spoiled { position: 0 };
        r.component = Some(late.contests[0].selections[0].ciphertext.a);
    });
    change("a component named for a reason that is not a reuse", &|r| {
        r.component = Some(late.contests[0].selections[0].ciphertext.a);
    });
    for (name, entry) in cases {
        let found = rule_problems(&t, &with_last(&honest, Payload::Refused(Box::new(entry))));
        assert!(unfounded(&found), "{name}: {found:?}");
    }
    // An unknown channel is a phase reason the record proves; "invalid" is taken on trust
    // only where no earlier rule applies.
    // A ballot refused for its proofs passed precedence first: not this voter's online ballot
    // after their postal one, but another voter's.
    let stranger = t.ballot(2, ONLINE, TRUSS, 5).nullifier;
    const UNKNOWN: ChannelIndex = ChannelIndex::new(7);
    for (channel, reason, nullifier, ok) in [
        (
            UNKNOWN,
            RefusalCode::UnknownChannel,
            refused.nullifier,
            true,
        ),
        (
            UNKNOWN,
            RefusalCode::InvalidBallot,
            refused.nullifier,
            false,
        ),
        (ONLINE, RefusalCode::InvalidBallot, refused.nullifier, false),
        (ONLINE, RefusalCode::InvalidBallot, Some(stranger), true),
        (POSTAL, RefusalCode::InvalidBallot, Some(stranger), true),
    ] {
        let mut r = refused.clone();
        r.channel = channel;
        r.reason = reason;
        r.nullifier = nullifier;
        let found = rule_problems(&t, &with_last(&honest, Payload::Refused(r)));
        assert_eq!(found.is_empty(), ok, "{channel} {reason}: {found:?}");
    }
    // Nothing follows the close of voting, not even a refusal: the board refuses without an
    // entry, and a published one is refused.
    board.close_as(&t.administrator_key, Close::Voting).unwrap();
    let after = board.submit(t.ballot(2, ONLINE, TRUSS, 4)).unwrap_err();
    assert_eq!(
        (after.refusal, after.receipt),
        (Refusal::VotingClosed, None)
    );
    let mut closed = board.entries().to_vec();
    let mut r = refused.clone();
    r.reason = RefusalCode::VotingClosed;
    closed.push(Entry {
        position: closed.len() as u64,
        previous: closed.last().unwrap().digest(),
        payload: Payload::Refused(r),
    });
    assert!(unfounded(&rule_problems(&t, &closed)));
}

/// Issue #22, finding 5: a close is the administrator's act for its place in the chain. An
/// unsigned close, a close signed by the board, and a close moved to another position (the
/// attack: a prefix of the real board with the real closes re-attached) are refused.
#[test]
fn a_close_is_the_administrators_for_its_position() {
    let t = TestElection::leadership(3, 22);
    let mut board = t.board();
    for v in 0..3 {
        submit(&mut board, t.ballot(v, ONLINE, TRUSS, v as u64)).unwrap();
    }
    board
        .close_as(&t.administrator_key, Close::Channel(ONLINE))
        .unwrap();
    board.close_as(&t.administrator_key, Close::Voting).unwrap();
    let honest = board.entries().to_vec();
    assert!(rule_problems(&t, &honest).is_empty());

    // Signed by the board instead.
    let by_board = sign_close(
        &t.board_key,
        &t.election,
        3,
        honest[2].digest(),
        Close::Channel(ONLINE),
    );
    let mut forged = honest[..4].to_vec();
    forged[3].payload = by_board.clone();
    assert_eq!(
        rule_problems(&t, &forged),
        vec![ChainProblem::Refused(Refusal::UnauthorisedClose)]
    );
    // The live board refuses it too, and appends nothing.
    let mut live = t.resume(honest[..3].to_vec()).unwrap();
    assert_eq!(live.close(by_board), Err(Refusal::UnauthorisedClose));
    assert_eq!(live.entries().len(), 3);

    // The real closes moved onto a prefix (the third ballot dropped): each close names the
    // position and previous head it was signed for, so both fail.
    let mut cut = honest[..2].to_vec();
    for close in &honest[3..] {
        cut.push(Entry {
            position: cut.len() as u64,
            previous: cut.last().unwrap().digest(),
            payload: close.payload.clone(),
        });
    }
    assert_eq!(
        rule_problems(&t, &cut),
        vec![
            ChainProblem::Refused(Refusal::UnauthorisedClose),
            ChainProblem::Refused(Refusal::UnauthorisedClose)
        ]
    );
    // A close of the other kind with the same signature.
    let mut swapped = honest.clone();
    if let Payload::CloseChannel { signature, .. } = honest[3].payload.clone() {
        swapped[3].payload = Payload::CloseChannel {
            channel: POSTAL,
            signature,
        };
    }
    assert!(
        rule_problems(&t, &swapped[..4])
            .contains(&ChainProblem::Refused(Refusal::UnauthorisedClose))
    );
}

/// Every entry's receipt is signed by the board, and a resubmission gets the very same receipt.
#[test]
fn every_receipt_is_signed_and_resent_identical() {
    let t = TestElection::leadership(2, 23);
    let mut board = t.board();
    let ballot = t.ballot(0, POSTAL, TRUSS, 1);
    let first = board.submit(ballot.clone()).unwrap();
    assert_eq!(first.verify(&t.election), Ok(()));
    assert_eq!(board.submit(ballot).unwrap(), first);
    let refused = board.submit(t.ballot(0, ONLINE, SUNAK, 2)).unwrap_err();
    let receipt = refused.receipt.unwrap();
    assert_eq!(receipt.verify(&t.election), Ok(()));
    assert_eq!(receipt.entry, board.head());
    let close = board.close_as(&t.administrator_key, Close::Voting).unwrap();
    assert_eq!(close.verify(&t.election), Ok(()));
    assert_eq!(close.tracking_code, TrackingCode([0; 32]));
    let head = board.final_signature().unwrap();
    let statement = Statement::FinalHead {
        entries: 3,
        head: board.head(),
    };
    assert_eq!(
        head.verify(&t.election, &statement, &t.board_key.public()),
        Ok(())
    );
    // A board opened with another key is refused.
    assert_eq!(
        Board::new(t.election.clone(), AuthorityKey::generate(&mut test_rng(9))).err(),
        Some(BoardKeyError::NotTheBoardKey)
    );
}

/// A challenged ballot cast as it was shown is refused by its tracking code alone: the refusal
/// entry names no component, and one that does (a second encoding of the same refusal) is
/// refused under V7.
#[test]
fn a_spoiled_refusal_by_tracking_code_names_no_component() {
    let t = TestElection::leadership(1, 24);
    let mut board = t.board();
    let prepared = t.prepared(0, ONLINE, TRUSS, 1);
    let shown = prepared.ballot().clone();
    challenge(&mut board, &prepared.challenge().spoiled()).unwrap();
    assert_eq!(
        submit(&mut board, shown.clone()),
        Err(Refusal::Spoiled { position: 0 })
    );
    let honest = board.entries().to_vec();
    assert!(rule_problems(&t, &honest).is_empty());
    let Payload::Refused(refused) = honest[1].payload.clone() else {
        panic!("a refusal entry")
    };
    assert_eq!(refused.component, None);
    let mut with_component = *refused;
    with_component.component = Some(shown.contests[0].selections[0].ciphertext.a);
    assert!(unfounded(&rule_problems(
        &t,
        &with_last(&honest, Payload::Refused(Box::new(with_component)))
    )));
}
