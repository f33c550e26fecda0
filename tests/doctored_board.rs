//! Issue 22, finding 2 (an attacker's review of version 1): "a board operator learns a member's
//! vote by having the trustees decrypt a doctored board (a board holding only that ballot, or
//! all but it, then subtracting); and after decryption can drop superseded ballots while the
//! decryption stays valid."
//!
//! Each attack is run against the library as the operator would run it, and must now fail with
//! a typed error: a trustee key decrypts one tally ([`DecryptionError::AlreadyDecrypted`]); every
//! share binds the head of the board it decrypts, so a share of another board is refused
//! ([`DecryptionError::ShareHead`]), and a record whose board was rewritten after the decryption
//! fails V10, naming every trustee (and, unless the administrator helps the operator, V7 at the
//! closes, which the operator cannot sign for their new places).

use curve25519_dalek::{RistrettoPoint, Scalar};
use nullivote::Election;
use nullivote::Element;
use nullivote::ballot::{Ballot, prepare};
use nullivote::board::EntryDigest;
use nullivote::credential::{CredentialCode, CredentialSecret, Roll};
use nullivote::hazmat::SecretScalar;
use nullivote::manifest::ChannelIndex;
use nullivote::manifest::{Authorities, Manifest};
use nullivote::record::ElectionResult;
use nullivote::simulation::{Offices, Scenario, leadership};
use nullivote::tally::Tally;
use nullivote::trustee::{
    BoardHead, DecryptionError, DecryptionRun, TrusteeIndex, TrusteeKey, combine, run_ceremony,
};
use nullivote::verifier::{CheckId, Location, Silent, verify};
use nullivote::{
    AuthorityKey,
    board::{Board, Close, Entry, Payload, RefusalCode, Statement, sign_close, verify_chain},
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const ONLINE: ChannelIndex = ChannelIndex::new(0);
const TRUSS: [u32; 2] = [1, 0];
const SUNAK: [u32; 2] = [0, 1];

/// A signing key of a fixed secret (the board's, the administrator's).
fn signing_key(secret: u64) -> AuthorityKey {
    AuthorityKey::from_secret(SecretScalar::new(Scalar::from(secret))).unwrap()
}

const BOARD_SECRET: u64 = 0xb0a4d;
const ADMINISTRATOR_SECRET: u64 = 0xad31;

struct Election3 {
    election: Election,
    keys: Vec<TrusteeKey>,
    public: nullivote::trustee::PublicKeySet,
    /// Every member's online ballot, in casting order: member 0 votes Sunak, members 1 and 2
    /// Truss.
    ballots: Vec<Ballot>,
}

fn setup() -> Election3 {
    let mut rng = ChaCha20Rng::seed_from_u64(22);
    let intake = SecretScalar::new(Scalar::from(4242u64));
    let intake_key = Element::from_point(RistrettoPoint::mul_base(intake.expose())).unwrap();
    let authorities = Authorities {
        board: signing_key(BOARD_SECRET).public(),
        administrator: signing_key(ADMINISTRATOR_SECRET).public(),
    };
    let manifest = Manifest::leadership(intake_key, authorities).unwrap();
    let (keys, public, _) = run_ceremony(manifest.trustees(), &manifest, &mut rng).unwrap();
    let secrets: Vec<CredentialSecret> = (0..3)
        .map(|_| {
            CredentialSecret::derive(&CredentialCode::generate(&mut rng), manifest.election_id())
        })
        .collect();
    let roll = Roll::new(secrets.iter().map(CredentialSecret::public).collect()).unwrap();
    let election = Election::new(
        manifest,
        public.election_key(),
        public.ceremony_digest(),
        roll,
    );
    let ballots = [SUNAK, TRUSS, TRUSS]
        .iter()
        .zip(&secrets)
        .map(|(vote, secret)| {
            prepare(&election, ONLINE, secret, &[vote.to_vec()], &mut rng)
                .unwrap()
                .cast()
        })
        .collect();
    Election3 {
        election,
        keys,
        public,
        ballots,
    }
}

/// A closed board holding `ballots`, its head and its tally's aggregates.
fn board_of(
    election: &Election,
    ballots: &[&Ballot],
) -> (BoardHead, Vec<nullivote::hazmat::CiphertextSum>) {
    let mut board = Board::new(election.clone(), signing_key(BOARD_SECRET)).unwrap();
    for b in ballots {
        board.submit((*b).clone()).unwrap();
    }
    board
        .close_as(&signing_key(ADMINISTRATOR_SECRET), Close::Voting)
        .unwrap();
    let state = verify_chain(election, board.entries(), Some(&board.head())).unwrap();
    let tally = Tally::compute(election, board.entries(), state.cast()).unwrap();
    (
        BoardHead::of(election, board.entries()),
        tally.flat_aggregates(),
    )
}

fn i(x: u16) -> TrusteeIndex {
    TrusteeIndex::new(x).unwrap()
}

/// The operator hands the trustees, after the real tally, a board holding member 0's ballot
/// alone, or every ballot but it (then subtracts): every key that decrypted the real tally
/// refuses, whatever the order of the requests, with the head it decrypted.
#[test]
fn trustees_who_decrypted_the_tally_refuse_a_doctored_board() {
    let mut e = setup();
    let all: Vec<&Ballot> = e.ballots.iter().collect();
    let (real, aggregates) = board_of(&e.election, &all);
    let (alone, alone_aggregates) = board_of(&e.election, &all[..1]);
    let (without, without_aggregates) = board_of(&e.election, &all[1..]);
    assert_ne!(alone, real);
    assert_ne!(without, real);

    let mut rng = ChaCha20Rng::seed_from_u64(23);
    let mut shares = Vec::new();
    for key in &mut e.keys[..3] {
        shares.push(
            key.decrypt_share(&e.election, &real, &aggregates, &mut rng)
                .unwrap(),
        );
    }
    let result = combine(&e.public, &e.election, &real, &aggregates, &shares, 3).unwrap();
    assert_eq!(result.values(), &[2, 1]);

    for key in &mut e.keys[..3] {
        let refused = DecryptionError::AlreadyDecrypted {
            trustee: key.trustee(),
            head: real,
        };
        for (head, aggregates) in [(&alone, &alone_aggregates), (&without, &without_aggregates)] {
            assert_eq!(
                key.check_decryption(&e.election, head, aggregates),
                Err(refused.clone())
            );
            assert_eq!(
                key.decrypt_share(&e.election, head, aggregates, &mut rng),
                Err(refused.clone())
            );
        }
        // Under the real head, but with the doctored board's aggregates: refused too.
        assert_eq!(
            key.decrypt_share(&e.election, &real, &alone_aggregates, &mut rng),
            Err(refused.clone())
        );
        // After a restart (the key as saved), still refused.
        let mut reloaded = TrusteeKey::from_secret_bytes(&key.to_secret_bytes()).unwrap();
        assert_eq!(
            reloaded.decrypt_share(&e.election, &alone, &alone_aggregates, &mut rng),
            Err(refused)
        );
        assert_eq!(
            reloaded.check_decryption(&e.election, &real, &aggregates),
            Ok(DecryptionRun::Repeat)
        );
    }
}

/// Trustees tricked into decrypting a doctored board first (the one-decryption rule cannot stop
/// a first decryption: the trustee must compare the head with the published one) cannot then
/// decrypt the real tally, and their doctored shares are refused for it, named by trustee.
#[test]
fn shares_of_a_doctored_board_are_refused_for_the_real_one() {
    let mut e = setup();
    let all: Vec<&Ballot> = e.ballots.iter().collect();
    let (real, aggregates) = board_of(&e.election, &all);
    let (alone, alone_aggregates) = board_of(&e.election, &all[..1]);
    let mut rng = ChaCha20Rng::seed_from_u64(24);
    let mut doctored = Vec::new();
    for key in &mut e.keys[..3] {
        doctored.push(
            key.decrypt_share(&e.election, &alone, &alone_aggregates, &mut rng)
                .unwrap(),
        );
        assert_eq!(
            key.decrypt_share(&e.election, &real, &aggregates, &mut rng),
            Err(DecryptionError::AlreadyDecrypted {
                trustee: key.trustee(),
                head: alone,
            })
        );
    }
    // The doctored shares, offered as shares of the real tally: each is skipped and named.
    let err = combine(&e.public, &e.election, &real, &aggregates, &doctored, 3).unwrap_err();
    assert_eq!(
        err,
        DecryptionError::TooFewShares {
            valid: 0,
            threshold: 3,
            skipped: vec![i(1), i(2), i(3)]
        }
    );
    // Relabelled with the real head, their proofs fail (they bind the doctored head), and they
    // decrypt nothing of the real aggregates anyway.
    let relabelled: Vec<_> = doctored
        .iter()
        .map(|s| {
            let mut json = serde_json::to_value(s).unwrap();
            json["board_head"] = serde_json::to_value(real.digest).unwrap();
            json["board_entries"] = real.entries.into();
            serde_json::from_value(json).unwrap()
        })
        .collect();
    let err = combine(&e.public, &e.election, &real, &aggregates, &relabelled, 3).unwrap_err();
    assert_eq!(err.culprits(), vec![i(1), i(2), i(3)]);
    // Trustees 4 and 5, untouched, are two: the doctored decryption cost the election its
    // threshold (it is loud, not silent).
    let mut honest = Vec::new();
    for key in &mut e.keys[3..] {
        honest.push(
            key.decrypt_share(&e.election, &real, &aggregates, &mut rng)
                .unwrap(),
        );
    }
    assert!(matches!(
        combine(&e.public, &e.election, &real, &aggregates, &honest, 3),
        Err(DecryptionError::TooFewShares { valid: 2, .. })
    ));
}

/// After the decryption, the operator drops the superseded ballots from the board, re-chains
/// it, and rewrites the header, tally and result to match. In version 1 every check passed (the
/// aggregates only sum counted ballots). Now every share binds the head the trustees decrypted,
/// and V10 fails, naming each trustee.
///
/// The board is accountable now: the operator holds the board's key, signs the new final head
/// and renumbers the positions the refusal entries name, but the closes are the
/// administrator's, signed for their old positions and previous heads, so on their own the
/// doctored board also fails V7 at every close (and V8–V11 do not run). With the
/// administrator's help (the closes signed again), nothing but V10 fails: the share binding
/// still catches it.
#[test]
fn dropping_superseded_ballots_after_the_decryption_fails_v10() {
    let scenario = Scenario {
        voters: 40,
        seed: 7,
        absent: vec![4],
        bad_share: None,
    };
    let honest = leadership(&scenario, &Silent).unwrap().record;
    let offices = Offices::from_seed(scenario.seed);
    assert_eq!(offices.authorities(), honest.manifest.authorities());
    assert!(verify(&honest, &Silent).passed());
    let superseded: Vec<u64> = honest
        .tally
        .outcome
        .decisions
        .iter()
        .map(|d| d.superseded)
        .collect();
    assert!(
        !superseded.is_empty(),
        "the scenario has superseded ballots"
    );
    let election = Election::new(
        honest.manifest.clone(),
        honest.ceremony.public.election_key(),
        honest.ceremony.public.ceremony_digest(),
        honest.roll.clone(),
    );

    let doctor = |administrator: Option<&AuthorityKey>| {
        let mut doctored = honest.clone();
        let mut previous = EntryDigest::genesis(&honest.header.base_hash);
        let mut entries: Vec<Entry> = Vec::new();
        // Old position -> new position of every entry kept.
        let mut moved = std::collections::HashMap::new();
        for entry in &honest.board {
            if superseded.contains(&entry.position) {
                continue;
            }
            let mut entry = entry.clone();
            moved.insert(entry.position, entries.len() as u64);
            entry.position = entries.len() as u64;
            entry.previous = previous;
            match &mut entry.payload {
                // The refusals name positions of the board (the ballot that takes precedence).
                Payload::Refused(r) => match &mut r.reason {
                    RefusalCode::Superseded { by: p, .. }
                    | RefusalCode::Spoiled { position: p }
                    | RefusalCode::CiphertextReused { position: p } => *p = moved[&*p],
                    _ => {}
                },
                payload => {
                    if let (Some(key), Some(close)) = (administrator, payload.close()) {
                        *payload = sign_close(key, &election, entry.position, previous, close);
                    }
                }
            }
            previous = entry.digest();
            entries.push(entry);
        }
        let head = previous;
        let tally = match verify_chain(&election, &entries, Some(&head)) {
            Ok(state) => Tally::compute(&election, &entries, state.cast()).unwrap(),
            // The closes are not signed for their new places: the tally the operator computes
            // without the check.
            Err(_) => {
                assert!(administrator.is_none());
                doctored.tally.clone()
            }
        };
        doctored.result = ElectionResult::new(
            &honest.manifest,
            &honest.result.values(),
            &tally.counts,
            &honest.result.trustees,
        );
        doctored.header.board_head = head;
        doctored.header.board_entries = entries.len() as u64;
        doctored.header.board_signature = offices.board.sign(
            &election,
            &Statement::FinalHead {
                entries: entries.len() as u64,
                head,
            },
        );
        doctored.board = entries;
        if administrator.is_some() {
            assert_eq!(tally.aggregates, honest.tally.aggregates, "the same sums");
            doctored.tally = tally;
        }
        doctored
    };

    // With the administrator's help: only V10.
    let doctored = doctor(Some(&offices.administrator));
    let report = verify(&doctored, &Silent);
    let failed: Vec<(CheckId, bool)> = report.failed().map(|c| (c.id, c.ran)).collect();
    assert_eq!(
        failed,
        vec![(CheckId::V10, true), (CheckId::V11, false)],
        "{report:#?}"
    );
    let v10 = &report.checks[9].failures;
    for t in [1, 2, 3] {
        let at = Location::Trustees {
            file: "decryption.json",
            trustees: vec![t],
        };
        assert_eq!(at.to_string(), format!("decryption.json, trustee {t}"));
        let failure = v10
            .iter()
            .find(|f| f.location == at)
            .unwrap_or_else(|| panic!("no failure at {at}: {v10:#?}"));
        assert!(
            failure.message.contains("binds board head")
                && failure
                    .message
                    .contains(&hex::encode(honest.header.board_head.as_bytes())),
            "{failure:?}"
        );
    }
    assert!(report.result.is_none());

    // The operator alone: every moved close is refused (V7), so nothing is tallied.
    let doctored = doctor(None);
    let report = verify(&doctored, &Silent);
    let failed: Vec<(CheckId, bool)> = report.failed().map(|c| (c.id, c.ran)).collect();
    assert_eq!(
        failed,
        vec![
            (CheckId::V7, true),
            (CheckId::V8, false),
            (CheckId::V9, false),
            (CheckId::V10, false),
            (CheckId::V11, false)
        ],
        "{report:#?}"
    );
    let closes: Vec<Location> = doctored
        .board
        .iter()
        .filter(|e| e.payload.close().is_some())
        .map(|e| Location::BoardEntry(e.position))
        .collect();
    assert_eq!(closes.len(), 3);
    let v7 = &report.checks[6].failures;
    let at: Vec<Location> = v7.iter().map(|f| f.location.clone()).collect();
    assert_eq!(at, closes, "{v7:#?}");
    assert!(
        v7.iter()
            .all(|f| f.message.contains("not signed by the administrator"))
    );
    assert!(report.result.is_none());
}

/// A record whose `decryption.json` holds, beside the valid shares, one made for another board
/// (a doctored board's, published by mistake or to claim the trustee's consent) fails V10,
/// naming that trustee.
#[test]
fn a_published_share_of_another_board_fails_v10_naming_its_trustee() {
    let scenario = Scenario {
        voters: 12,
        seed: 8,
        absent: vec![4],
        bad_share: None,
    };
    let honest = leadership(&scenario, &Silent).unwrap().record;
    let mut doctored = honest.clone();
    let mut json = serde_json::to_value(&doctored.decryption.shares[1]).unwrap();
    json["board_head"] = serde_json::to_value(honest.header.base_hash).unwrap();
    doctored.decryption.shares[1] = serde_json::from_value(json).unwrap();
    let report = verify(&doctored, &Silent);
    let failed: Vec<CheckId> = report.failed().map(|c| c.id).collect();
    assert_eq!(failed, vec![CheckId::V10, CheckId::V11]);
    let trustee_2 = Location::Trustees {
        file: "decryption.json",
        trustees: vec![2],
    };
    let whole_file = Location::File {
        file: "decryption.json",
        field: None,
    };
    assert!(
        report.checks[9]
            .failures
            .iter()
            .all(|f| f.location == trustee_2 || f.location == whole_file),
        "{:#?}",
        report.checks[9]
    );
    assert!(
        report.checks[9]
            .failures
            .iter()
            .any(|f| f.location == trustee_2 && f.message.contains("binds board head"))
    );
}
