//! The member's check on a small verified record: four members and a scripted board.

use std::sync::OnceLock;

use curve25519_dalek::Scalar;

use super::*;
use crate::ballot::{PreparedBallot, prepare};
use crate::board::{Board, Close, Receipt, Refusal};
use crate::credential::{CredentialCode, Roll};
use crate::manifest::Manifest;
use crate::precedence::Decision;
use crate::record::{Ceremony, ElectionResult};
use crate::secret::SecretScalar;
use crate::tally::Tally;
use crate::testing::{ONLINE, POSTAL, SUNAK, TRUSS, test_rng};
use crate::trustee::{BoardHead, combine, run_ceremony};
use crate::verifier::Silent;

/// A verified record, and what its members hold.
///
/// | position | entry |
/// | --- | --- |
/// | 0 | member 0, online |
/// | 1 | member 1, online |
/// | 2 | a challenge of member 2's, online |
/// | 3 | member 2, online |
/// | 4 | member 0, postal (supersedes 0: precedence) |
/// | 5 | member 1, online again (supersedes 1: last wins) |
/// | 6, 7, 8 | online closes, postal closes, voting closes |
///
/// Member 0's online ballot after its postal one is refused (not on the board); member 3
/// abstains.
struct Fixture {
    record: ElectionRecord,
    codes: Vec<CredentialCode>,
    secrets: Vec<CredentialSecret>,
    receipts: Vec<Receipt>,
    challenged: TrackingCode,
    refused: TrackingCode,
}

const MEMBERS: usize = 4;

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build)
}

fn lookup() -> &'static Lookup<'static> {
    static LOOKUP: OnceLock<Lookup<'static>> = OnceLock::new();
    LOOKUP.get_or_init(|| {
        Lookup::verify(&fixture().record, &Options::default(), &Silent)
            .unwrap_or_else(|report| panic!("{:#?}", report.failed().collect::<Vec<_>>()))
            .0
    })
}

fn build() -> Fixture {
    let mut rng = test_rng(17);
    let intake =
        crate::authority::AuthorityKey::from_secret(SecretScalar::new(Scalar::from(0x1a7a_u64)))
            .unwrap();
    let intake_key = intake.public();
    let manifest = Manifest::leadership(intake_key, crate::testing::test_authorities(17)).unwrap();
    let (board_key, administrator) = crate::testing::test_offices(17);
    let (mut keys, public, transcript) =
        run_ceremony(manifest.trustees(), &manifest, &mut rng).unwrap();
    let codes: Vec<CredentialCode> = (0..MEMBERS)
        .map(|_| CredentialCode::generate(&mut rng))
        .collect();
    let secrets: Vec<CredentialSecret> = codes
        .iter()
        .map(|c| CredentialSecret::derive(c, manifest.election_id()))
        .collect();
    let roll = Roll::new(secrets.iter().map(CredentialSecret::public).collect()).unwrap();
    let election = Election::new(
        manifest,
        public.election_key(),
        public.ceremony_digest(),
        roll,
    );

    let mut prepared = |member: usize, channel: ChannelIndex, vote: [u32; 2]| -> PreparedBallot {
        let mut p = prepare(
            &election,
            channel,
            &secrets[member],
            &[vote.to_vec()],
            &mut rng,
        )
        .unwrap();
        if channel == POSTAL {
            p.countersign(&election, &intake, &mut rng).unwrap();
        }
        p
    };
    let mut board = Board::new(election.clone(), board_key).unwrap();
    let mut receipts = Vec::new();
    receipts.push(board.submit(prepared(0, ONLINE, TRUSS).cast()).unwrap());
    receipts.push(board.submit(prepared(1, ONLINE, TRUSS).cast()).unwrap());
    let challenge = prepared(2, ONLINE, TRUSS).challenge().spoiled();
    let challenged = board.challenge(&challenge).unwrap().tracking_code;
    receipts.push(board.submit(prepared(2, ONLINE, SUNAK).cast()).unwrap());
    receipts.push(board.submit(prepared(0, POSTAL, SUNAK).cast()).unwrap());
    receipts.push(board.submit(prepared(1, ONLINE, SUNAK).cast()).unwrap());
    let late = prepared(0, ONLINE, TRUSS).cast();
    let refused = late.tracking_code();
    assert!(matches!(
        board.submit(late).map_err(|r| r.refusal),
        Err(Refusal::Superseded { by: 4, .. })
    ));
    for close in [
        Close::Channel(ONLINE),
        Close::Channel(POSTAL),
        Close::Voting,
    ] {
        board.close_as(&administrator, close).unwrap();
    }
    let board_signature = board.final_signature().unwrap();

    let tally = Tally::compute(&election, board.entries(), board.cast()).unwrap();
    let aggregates = tally.flat_aggregates();
    let head = BoardHead::new(board.head(), board.entries().len() as u64);
    let shares: Vec<_> = keys
        .iter_mut()
        .take(3)
        .map(|key| {
            key.decrypt_share(&election, &head, &aggregates, &mut rng)
                .unwrap()
        })
        .collect();
    let decryption = combine(
        &public,
        &election,
        &head,
        &aggregates,
        &shares,
        tally.bound(&election),
    )
    .unwrap();
    assert_eq!(decryption.values(), &[0, 3]);
    let result = ElectionResult::new(
        election.manifest(),
        decryption.values(),
        &tally.counts,
        decryption.used(),
    );
    let ceremony = Ceremony { transcript, public };
    let record = ElectionRecord::assemble(
        &election,
        &board,
        board_signature,
        ceremony,
        tally,
        shares,
        result,
    );
    Fixture {
        record,
        codes,
        secrets,
        receipts,
        challenged,
        refused,
    }
}

/// The member ballot at `position` with `status`, as the fixture's receipt names it.
fn ballot(position: u64, channel: ChannelIndex, status: Status) -> MemberBallot {
    let receipt = fixture()
        .receipts
        .iter()
        .find(|r| r.position == position)
        .expect("a receipt of the fixture");
    MemberBallot {
        position,
        channel,
        channel_name: ["online", "postal"][usize::from(channel)].to_string(),
        tracking_code: receipt.tracking_code,
        status,
    }
}

fn superseded(by: u64, reason: Reason) -> Status {
    Status::Superseded { by, reason }
}

#[test]
fn a_member_who_voted_online_then_by_post_sees_both_and_the_postal_one_counts() {
    let f = fixture();
    let view = lookup().lookup_credential(&f.secrets[0]);
    assert_eq!(view.credential, Some(f.secrets[0].public()));
    assert_eq!(view.roll_index, Some(0));
    assert_eq!(
        view.nullifier,
        Nullifier::derive(&f.secrets[0], lookup().election())
    );
    assert_eq!(
        view.ballots,
        vec![
            ballot(0, ONLINE, superseded(4, Reason::Precedence)),
            ballot(4, POSTAL, Status::Counts),
        ]
    );
    assert_eq!(view.counted, Some(4));
    // The refused online ballot after the postal one is a refusal entry of the member's
    // nullifier (issue #17): listed with the reason the verifier checked.
    assert_eq!(
        view.refusals,
        vec![MemberRefusal {
            position: 6,
            channel: ONLINE,
            channel_name: "online".into(),
            tracking_code: f.refused,
            reason: RefusalCode::Superseded {
                by: 4,
                reason: Reason::Precedence
            },
        }]
    );
    // The same decision the record's tally holds.
    let tally = &f.record.tally.outcome;
    assert!(tally.counted.contains(&4));
    assert!(tally.decisions.contains(&Decision {
        superseded: 0,
        by: 4,
        reason: Reason::Precedence
    }));
}

#[test]
fn an_online_revote_replaces_the_first_ballot_last_wins() {
    let view = lookup().lookup_credential(&fixture().secrets[1]);
    assert_eq!(view.roll_index, Some(1));
    assert_eq!(
        view.ballots,
        vec![
            ballot(1, ONLINE, superseded(5, Reason::LastWins)),
            ballot(5, ONLINE, Status::Counts),
        ]
    );
    assert_eq!(view.counted, Some(5));
}

#[test]
fn an_abstainer_has_nothing_cast() {
    let f = fixture();
    let view = lookup().lookup_credential(&f.secrets[3]);
    assert_eq!(view.roll_index, Some(3));
    assert_eq!(
        view.nullifier,
        Nullifier::derive(&f.secrets[3], lookup().election())
    );
    assert!(view.ballots.is_empty());
    assert_eq!(view.counted, None);
}

#[test]
fn a_credential_not_on_the_roll_is_told_so_and_has_nothing_cast() {
    let code = CredentialCode::generate(&mut test_rng(99));
    let secret = CredentialSecret::derive(&code, fixture().record.manifest.election_id());
    let view = lookup().lookup_credential(&secret);
    assert_eq!(view.roll_index, None);
    assert!(view.ballots.is_empty());
    assert_eq!(view.counted, None);
    // A member's code under another election id is not on this roll either.
    let elsewhere = CredentialSecret::derive(&fixture().codes[0], "another-election");
    let view = lookup().lookup_credential(&elsewhere);
    assert_eq!(view.roll_index, None);
    assert!(view.ballots.is_empty());
}

#[test]
fn a_challenged_ballot_is_found_by_its_tracking_code_and_never_linked_to_its_member() {
    let f = fixture();
    assert_eq!(
        lookup().lookup_tracking_code(&f.challenged),
        CodeLookup::Challenged {
            position: 2,
            channel: ONLINE,
            channel_name: "online".to_string(),
        }
    );
    // Member 2 challenged a ballot, then cast one: only the cast one is theirs on the board.
    let view = lookup().lookup_credential(&f.secrets[2]);
    assert_eq!(view.ballots, vec![ballot(3, ONLINE, Status::Counts)]);
    assert_eq!(view.counted, Some(3));
}

#[test]
fn a_cast_ballots_tracking_code_gives_its_members_view_without_the_credential() {
    let f = fixture();
    for (receipt, member) in f.receipts.iter().zip([0, 1, 2, 0, 1]) {
        let expected = lookup().lookup_credential(&f.secrets[member]);
        assert_eq!(
            lookup().lookup_tracking_code(&receipt.tracking_code),
            CodeLookup::Cast {
                position: receipt.position,
                member: Box::new(expected),
            },
            "entry {}",
            receipt.position
        );
    }
}

/// A refused ballot's tracking code finds its refusal entry, and its member's answer.
#[test]
fn a_refused_ballots_tracking_code_finds_its_refusal() {
    let f = fixture();
    match lookup().lookup_tracking_code(&f.refused) {
        CodeLookup::Refused {
            refusal,
            member: Some(member),
        } => {
            assert_eq!(refusal.position, 6);
            assert_eq!(member.credential, Some(f.secrets[0].public()));
            assert_eq!(member.counted, Some(4));
            assert_eq!(member.refusals, vec![refusal]);
        }
        other => panic!("expected the refusal, got {other:?}"),
    }
}

#[test]
fn an_unknown_tracking_code_is_not_on_the_board() {
    // A made-up code, and the zero code of the phase entries' receipts.
    for code in [TrackingCode([7; 32]), TrackingCode([0; 32])] {
        assert_eq!(
            lookup().lookup_tracking_code(&code),
            CodeLookup::NotOnBoard,
            "{code}"
        );
    }
}

#[test]
fn a_record_that_does_not_verify_gets_no_lookup() {
    let f = fixture();
    // The published decisions say the online ballot counts.
    let mut doctored = f.record.clone();
    let outcome = &mut doctored.tally.outcome;
    outcome.counted = vec![0, 3, 5];
    outcome.decisions[0] = Decision {
        superseded: 4,
        by: 0,
        reason: Reason::Precedence,
    };
    let report = Lookup::verify(&doctored, &Options::default(), &Silent)
        .err()
        .expect("refused");
    assert!(
        report
            .failed()
            .any(|c| c.id == crate::verifier::CheckId::V8),
        "{report:#?}"
    );
    // Another election's base hash expected: V3.
    let options = Options {
        expected_base_hash: Some(crate::election::BaseHash([1; 32])),
    };
    let report = Lookup::verify(&f.record, &options, &Silent)
        .err()
        .expect("refused");
    assert_eq!(
        report.failed().map(|c| c.id).collect::<Vec<_>>(),
        vec![crate::verifier::CheckId::V3]
    );
    // Anchored to its own base hash, it verifies.
    let options = Options {
        expected_base_hash: Some(f.record.header.base_hash),
    };
    let (_, report) = Lookup::verify(&f.record, &options, &Silent).expect("verifies");
    assert!(report.anchor.anchored);
}

#[test]
fn the_json_answers_hold_public_values_only() {
    let f = fixture();
    let view = lookup().lookup_credential(&f.secrets[0]);
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(
        json["credential"],
        hex::encode(f.secrets[0].public().element().as_bytes())
    );
    assert_eq!(json["roll_index"], 0);
    assert_eq!(json["counted"], 4);
    assert_eq!(json["ballots"][0]["position"], 0);
    assert_eq!(json["ballots"][0]["channel_name"], "online");
    assert_eq!(
        json["ballots"][0]["status"],
        serde_json::json!({"superseded": {"by": 4, "reason": "precedence"}})
    );
    assert_eq!(json["ballots"][1]["status"], "counts");
    assert_eq!(
        json["ballots"][1]["tracking_code"],
        hex::encode(f.receipts[3].tracking_code.0)
    );
    assert_eq!(json["refusals"][0]["position"], 6);
    assert_eq!(
        json["refusals"][0]["reason"],
        serde_json::json!({"superseded": {"by": 4, "reason": "precedence"}})
    );
    let text = json.to_string();
    let code = f.codes[0].expose();
    assert!(!text.contains(code) && !text.contains(&code.replace('-', "")));
    assert!(!text.contains(&hex::encode(f.secrets[0].expose().as_bytes())));

    let json = serde_json::to_value(lookup().lookup_tracking_code(&f.challenged)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"challenged": {"position": 2, "channel": 0, "channel_name": "online"}})
    );
    let json = serde_json::to_value(lookup().lookup_tracking_code(&f.refused)).unwrap();
    assert_eq!(json["refused"]["refusal"]["position"], 6);
    assert_eq!(json["refused"]["member"]["counted"], 4);
    let json = serde_json::to_value(lookup().lookup_tracking_code(&TrackingCode([7; 32]))).unwrap();
    assert_eq!(json, "not_on_board");
    let json =
        serde_json::to_value(lookup().lookup_tracking_code(&f.receipts[0].tracking_code)).unwrap();
    assert_eq!(json["cast"]["position"], 0);
    assert_eq!(json["cast"]["member"]["counted"], 4);
}
