//! The attack cases of `design/attacks.md` about ballots, encodings, proofs and nullifiers
//! (cases 1 to 18 and 28), each as an integration test through nullivote's public API.
//!
//! Every test is written so that it FAILS if the protection it names is removed: it builds the
//! attacker's input (a changed encoding, a forged proof, a copied nullifier, ...), and where the
//! attacker could also re-sign the changed ballot with their own credential it does so, so that
//! only the check under test can refuse it, and it asserts the exact error.
//!
//! | case | test |
//! | --- | --- |
//! | 1 | [`case_01_non_canonical_points_in_every_field`], [`case_01_whatever_decodes_reencodes_identically`] |
//! | 2 | [`case_02_identity_points`] |
//! | 3 | [`case_03_non_canonical_scalars_in_every_response_and_challenge`] |
//! | 4 | [`case_04_lengths_trailing_bytes_keys_and_huge_counts`] |
//! | 5 | [`case_05_single_statement_change_breaks_selection_proof`] |
//! | 6 | [`case_06_changed_challenge_or_response`] |
//! | 7 | [`case_07_selection_of_two_with_simulated_branches`] |
//! | 8 | [`case_08_extra_or_missing_branches`] |
//! | 9 | [`case_09_replay_and_ballot_copying`] |
//! | 10 | [`case_10_rerandomised_ballot`] |
//! | 11 | [`case_11_selection_moved_to_another_option_or_contest`] |
//! | 12 | [`case_12_cross_election_replay`] |
//! | 13 | [`case_13_nullifier_replaced_or_made_with_another_base`] |
//! | 14 | [`case_14_detached_nullifier_proof`] |
//! | 15 | [`case_15_one_credential_one_nullifier_on_every_path`] |
//! | 16 | [`case_16_roll_with_duplicate_or_identity`] |
//! | 17 | [`case_17_elections_and_ids_differing_only_in_form`] |
//! | 18 | [`case_18_uniqueness_on_all_32_bytes`] |
//! | 28 | [`case_28_stuck_rng`] |
//!
//! The other cases live next to the code they attack; this table is the index of all thirty:
//!
//! | case | where |
//! | --- | --- |
//! | 19, 20, 21, 26, 27, 29 | `tests/election.rs`: `case_19_…`, `case_20_…`, `case_21_…`, `case_26_…`, `case_27_…`, `case_29_…` |
//! | 22 | `src/trustee/dkg/tests.rs`: bad, copied and replayed proofs of possession |
//! | 23 | `src/trustee/dkg/tests.rs`: bad shares and complaints, identity joint key; `src/trustee/mod.rs`: index and policy errors |
//! | 24 | `src/trustee/decryption.rs` tests: k−1 shares, duplicated index, a bad share skipped, every k-subset |
//! | 25 | `src/trustee/decryption.rs` tests (a share for a wrong plaintext); `src/trustee/dkg/tests.rs` (a rushing trustee's reveal) |
//! | 30 | `ct/run.sh`: valgrind memcheck with the secrets marked undefined |
//!
//! The resilience requirements (a board that survives SIGKILL) are `tests/crash.rs`.
//!
//! Findings of issue 22 (an attacker's review of version 1):
//!
//! | finding | where |
//! | --- | --- |
//! | 2: a doctored board decrypted; superseded ballots dropped after decryption | `tests/doctored_board.rs`; `src/trustee/decryption.rs` tests (`a_share_for_another_board_…`, `a_key_decrypts_one_tally_only`); `tests/cli.rs` (the doctored board, `--head`, `--yes`) |
//! | 4: no external anchor for the verifier | `tests/anchor.rs`; `tests/cli.rs` (`anchors`: `--expect`, the warning, `--json`) |
//!
//! Issue 17, the accountable board (the board signs every receipt and its final head, the
//! administrator signs every close for its place, refusals are chain entries):
//!
//! | attack | test |
//! | --- | --- |
//! | (a) a board drops an admitted ballot after giving its signed receipt | [`a_board_that_drops_an_admitted_ballot_is_convicted_by_its_signed_receipt`] |
//! | (b) `record.json` carries another election's or another head's final-head signature (V4) | [`a_final_head_signature_of_another_election_or_head_fails_v4`] |
//! | (c) a refusal entry with a false reason in a published record (V7) | [`a_refusal_entry_with_a_false_reason_fails_v7`] |
//! | (d) a prefix of a real board with the real closes re-attached (V7, finding 22.5) | [`a_prefix_with_the_real_closes_reattached_fails_v7`] |
//!
//! Fields inside an encoded ballot are located with [`layout`], which walks the `# Layout`
//! documented on `Ballot` (`src/ballot/mod.rs`) and `RangeProof` (`src/proofs/range.rs`) and is
//! itself checked against the decoded ballot.

use nullivote::board::EntryDigest;
use nullivote::trustee::CeremonyDigest;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use merlin::Transcript;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};

use nullivote::Election;
use nullivote::Element;
use nullivote::EncodingError;
use nullivote::ballot::{
    Ballot, BallotError, ChoiceError, ContestBallot, EncryptedSelection, TrackingCode, prepare,
};
use nullivote::ballot::{Eligibility, Nullifier};
use nullivote::board::Reason;
use nullivote::credential::{CredentialCode, CredentialSecret, PublicCredential, Roll, RollError};
use nullivote::hazmat::SecretScalar;
use nullivote::hazmat::Wire;
use nullivote::hazmat::countersign;
use nullivote::hazmat::{Ciphertext, ElectionKey};
use nullivote::hazmat::{
    proofs::DleqProof, proofs::DleqStatement, proofs::ProofError, proofs::RangeProof,
    proofs::RangeStatement, proofs::RangeWitness, proofs::SchnorrProof, proofs::SchnorrStatement,
};
use nullivote::hazmat::{transcript::election_transcript, transcript::label, transcript::purpose};
use nullivote::manifest::ChannelIndex;
use nullivote::manifest::{Authorities, Contest, Manifest, ManifestError};
use nullivote::record::{Ceremony, ElectionRecord, ElectionResult};
use nullivote::simulation::{Scenario, leadership as simulate};
use nullivote::tally::Tally;
use nullivote::trustee::{BoardHead, DecryptionShare, TrusteeKey, combine, run_ceremony};
use nullivote::verifier::{CheckId, Location, Report, Silent, verify};
use nullivote::{
    AuthorityKey,
    board::{
        Board, Close, Payload, Receipt, Refusal, RefusalCode, RefusalEntry, Statement, Submission,
        equivocation, sign_close,
    },
};

// =============================================================================================
// The test election, built through the public API only
// =============================================================================================

const ONLINE: ChannelIndex = ChannelIndex::new(0);
const POSTAL: ChannelIndex = ChannelIndex::new(1);
const TRUSS: [u32; 2] = [1, 0];
const SUNAK: [u32; 2] = [0, 1];

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn random_scalar(rng: &mut impl RngCore) -> Scalar {
    let mut wide = [0u8; 64];
    rng.fill_bytes(&mut wide);
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// `k·G` as an element (k ≠ 0).
fn element(k: Scalar) -> Element {
    Element::from_point(RistrettoPoint::mul_base(&k)).unwrap()
}

/// An RNG stuck at zero that claims to be cryptographic (attack 28).
struct ZeroRng;

impl RngCore for ZeroRng {
    fn next_u32(&mut self) -> u32 {
        0
    }
    fn next_u64(&mut self) -> u64 {
        0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(0);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        dest.fill(0);
        Ok(())
    }
}

impl CryptoRng for ZeroRng {}

struct Fixture {
    election: Election,
    /// The members' credential codes, in display form (a `CredentialCode` is not `Clone`).
    codes: Vec<String>,
    secrets: Vec<CredentialSecret>,
    /// The postal intake authority's signing key.
    authority: AuthorityKey,
}

fn authority_key(seed: u64) -> AuthorityKey {
    signing_key(0xa11ce_u64 + seed)
}

fn election_key() -> ElectionKey {
    ElectionKey::new(element(Scalar::from(0x5eed_u64)))
}

fn fixture_with(manifest: Manifest, voters: usize, seed: u64, authority: AuthorityKey) -> Fixture {
    let mut r = rng(seed);
    let codes: Vec<CredentialCode> = (0..voters)
        .map(|_| CredentialCode::generate(&mut r))
        .collect();
    let secrets: Vec<CredentialSecret> = codes
        .iter()
        .map(|c| CredentialSecret::derive(c, manifest.election_id()))
        .collect();
    let roll = Roll::new(secrets.iter().map(CredentialSecret::public).collect()).unwrap();
    let election = Election::new(manifest, election_key(), CeremonyDigest([0; 32]), roll);
    Fixture {
        election,
        codes: codes.iter().map(|c| c.expose().to_string()).collect(),
        secrets,
        authority,
    }
}

/// The board operator's signing key (the manifest's `authorities.board`).
const BOARD_SECRET: u64 = 0xb0a4d;
/// The administrator's signing key (the manifest's `authorities.administrator`: every close).
const ADMINISTRATOR_SECRET: u64 = 0xad31;

/// The signing key of `secret` (a `AuthorityKey` is not `Clone`: each use makes its own).
fn signing_key(secret: u64) -> AuthorityKey {
    AuthorityKey::from_secret(SecretScalar::new(Scalar::from(secret))).unwrap()
}

/// The board's and the administrator's keys of every test manifest.
fn authorities() -> Authorities {
    Authorities {
        board: signing_key(BOARD_SECRET).public(),
        administrator: signing_key(ADMINISTRATOR_SECRET).public(),
    }
}

/// The leadership manifest with the postal intake `authority`.
fn leadership_manifest(authority: &AuthorityKey) -> Manifest {
    Manifest::leadership(authority.public(), authorities()).unwrap()
}

/// The leadership election: one contest of two options (exactly one vote), an online channel
/// and a countersigned postal channel.
fn leadership(voters: usize, seed: u64) -> Fixture {
    let authority = authority_key(seed);
    let manifest = leadership_manifest(&authority);
    assert_eq!(manifest.channel_index("online"), Some(ONLINE));
    assert_eq!(manifest.channel_index("postal"), Some(POSTAL));
    fixture_with(manifest, voters, seed, authority)
}

/// The leadership manifest under another election id.
fn leadership_named(id: &str, authority: &AuthorityKey) -> Manifest {
    let base = leadership_manifest(authority);
    Manifest::new(
        id,
        base.contests().to_vec(),
        base.channels().to_vec(),
        base.trustees(),
        base.authorities(),
    )
    .unwrap()
}

/// A manifest with two contests of the leadership shape.
fn two_contests(authority: &AuthorityKey) -> Manifest {
    let base = leadership_manifest(authority);
    let contest = |name: &str| Contest {
        name: name.to_owned(),
        options: vec!["yes".to_owned(), "no".to_owned()],
        min_selections: 1,
        max_selections: 1,
        option_limit: 1,
    };
    Manifest::new(
        "two-contests",
        vec![contest("first"), contest("second")],
        base.channels().to_vec(),
        base.trustees(),
        base.authorities(),
    )
    .unwrap()
}

/// An honest ballot, countersigned if cast on the postal channel.
fn cast_with<R: RngCore + CryptoRng>(
    fx: &Fixture,
    voter: usize,
    channel: ChannelIndex,
    choices: &[Vec<u32>],
    rng: &mut R,
) -> Ballot {
    let mut prepared = prepare(&fx.election, channel, &fx.secrets[voter], choices, rng).unwrap();
    if channel == POSTAL {
        prepared
            .countersign(&fx.election, &fx.authority, rng)
            .unwrap();
    }
    prepared.cast()
}

fn cast(fx: &Fixture, voter: usize, channel: ChannelIndex, vote: [u32; 2], seed: u64) -> Ballot {
    cast_with(fx, voter, channel, &[vote.to_vec()], &mut rng(seed))
}

// =============================================================================================
// The transcripts of spec/protocol.md §3, rebuilt from the public labels (an attacker can too)
// =============================================================================================

fn selection_transcript(
    election: &Election,
    nullifier: &Nullifier,
    contest: u64,
    option: u64,
) -> Transcript {
    let mut t = election_transcript(purpose::SELECTION, election.base_hash().as_bytes());
    t.append_message(label::NULLIFIER, nullifier.element().as_bytes());
    t.append_u64(label::CONTEST, contest);
    t.append_u64(label::OPTION, option);
    t
}

fn contest_sum_transcript(election: &Election, nullifier: &Nullifier, contest: u64) -> Transcript {
    let mut t = election_transcript(purpose::CONTEST_SUM, election.base_hash().as_bytes());
    t.append_message(label::NULLIFIER, nullifier.element().as_bytes());
    t.append_u64(label::CONTEST, contest);
    t
}

fn eligibility_transcript(election: &Election, body: &[u8]) -> Transcript {
    let mut t = election_transcript(purpose::ELIGIBILITY, election.base_hash().as_bytes());
    t.append_message(label::BALLOT_BODY, body);
    t
}

/// Re-makes the eligibility proof (and the countersignature, if there is one) over the ballot's
/// current body with `secret`: what a voter who tampers with their own ballot can do. After it,
/// only the checks that do not depend on the signature (B2–B7) can refuse the ballot.
fn resign(fx: &Fixture, secret: &CredentialSecret, ballot: Ballot) -> Ballot {
    resign_in(&fx.election, &fx.authority, secret, ballot)
}

fn resign_in(
    election: &Election,
    authority: &AuthorityKey,
    secret: &CredentialSecret,
    mut ballot: Ballot,
) -> Ballot {
    let statement = DleqStatement {
        base1: Element::generator(),
        public1: *secret.public().element(),
        base2: *election.nullifier_base(),
        public2: *ballot.nullifier.element(),
    };
    let mut t = eligibility_transcript(election, &ballot.body_bytes());
    let proof = DleqProof::prove(
        &SecretScalar::new(*secret.expose()),
        &statement,
        &mut t,
        &mut rng(0xd1e9),
    );
    ballot.eligibility = Eligibility::Pseudonymous {
        credential: secret.public(),
        proof,
    };
    if ballot.countersignature.is_some() {
        ballot.countersignature = Some(countersign(&ballot, election, authority, &mut rng(0xc5)));
    }
    ballot
}

/// Encrypts and proves `votes` (per contest, per option) under `nullifier` exactly as the
/// honest builder does, but with a nullifier of the caller's choice.
fn honest_contests(
    election: &Election,
    nullifier: &Nullifier,
    votes: &[Vec<u32>],
    r: &mut ChaCha20Rng,
) -> Vec<ContestBallot> {
    let key = election.key();
    votes
        .iter()
        .zip(election.manifest().contests())
        .enumerate()
        .map(|(i, (values, contest))| {
            let mut nonce_sum = Scalar::ZERO;
            let selections: Vec<EncryptedSelection> = values
                .iter()
                .enumerate()
                .map(|(j, &v)| {
                    let nonce = random_scalar(r);
                    nonce_sum += nonce;
                    let ciphertext = key.encrypt(&Scalar::from(v), &nonce);
                    let statement = RangeStatement {
                        key,
                        ciphertexts: core::slice::from_ref(&ciphertext),
                        low: 0,
                        high: contest.option_limit,
                    };
                    let proof = RangeProof::prove(
                        &RangeWitness::new(v, &SecretScalar::new(nonce)),
                        &statement,
                        &mut selection_transcript(election, nullifier, i as u64, j as u64),
                        r,
                    )
                    .unwrap();
                    EncryptedSelection { ciphertext, proof }
                })
                .collect();
            let ciphertexts: Vec<Ciphertext> = selections.iter().map(|s| s.ciphertext).collect();
            let statement = RangeStatement {
                key,
                ciphertexts: &ciphertexts,
                low: contest.min_selections,
                high: contest.max_selections,
            };
            let sum_proof = RangeProof::prove(
                &RangeWitness::new(values.iter().sum(), &SecretScalar::new(nonce_sum)),
                &statement,
                &mut contest_sum_transcript(election, nullifier, i as u64),
                r,
            )
            .unwrap();
            ContestBallot {
                selections,
                sum_proof,
            }
        })
        .collect()
}

/// A range proof over `low..=high` whose every branch is simulated: random challenges and
/// responses, commitments solved from the verification equations. Nothing ties the branch
/// challenges to the Fiat-Shamir challenge, which is what the verifier must catch.
fn simulate_all_branches(
    key: &ElectionKey,
    ciphertext: &Ciphertext,
    low: u32,
    high: u32,
    r: &mut ChaCha20Rng,
) -> RangeProof {
    let n = (high - low + 1) as usize;
    let challenges: Vec<Scalar> = (0..n).map(|_| random_scalar(r)).collect();
    let responses: Vec<Scalar> = (0..n).map(|_| random_scalar(r)).collect();
    let (a, b) = (ciphertext.a.point(), ciphertext.b.point());
    let mut bytes = (n as u16).to_be_bytes().to_vec();
    for j in 0..n {
        let m = Scalar::from(low + j as u32);
        let aj = RistrettoPoint::mul_base(&responses[j]) - a * challenges[j];
        let bj = key.element().point() * responses[j]
            - (b - RistrettoPoint::mul_base(&m)) * challenges[j];
        bytes.extend_from_slice(aj.compress().as_bytes());
        bytes.extend_from_slice(bj.compress().as_bytes());
    }
    for c in &challenges[..n - 1] {
        bytes.extend_from_slice(c.as_bytes());
    }
    for s in &responses {
        bytes.extend_from_slice(s.as_bytes());
    }
    RangeProof::decode(&bytes).unwrap()
}

// =============================================================================================
// Where every point and scalar sits in an encoded ballot
// =============================================================================================

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Point,
    Scalar,
}

/// Which part of the ballot a field belongs to, for the error the verifier must give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    Nullifier,
    Ciphertext { contest: usize, option: usize },
    Selection { contest: usize, option: usize },
    ContestSum { contest: usize },
    Eligibility,
    Countersignature,
}

#[derive(Clone, Debug)]
struct Field {
    at: usize,
    kind: Kind,
    owner: Owner,
    /// What an `EncodingError` about this field must name (a substring of its `field`).
    names: &'static str,
    what: String,
}

/// Walks the documented layout of an encoded ballot:
///
/// ```text
/// "NVB" ‖ version u16 ‖ base_hash (32) ‖ channel u8 ‖ nullifier (32) ‖ contests u16
///   ‖ per contest: ( selections u16 ‖ per selection: ( ciphertext A ‖ B ‖ range proof ) ‖ sum proof )
///   ‖ eligibility kind u8 ‖ X (32) ‖ DLEQ R₁ ‖ R₂ ‖ s ‖ has_countersignature u8 ‖ [ R ‖ s ]
/// range proof = n u16 ‖ n × (aⱼ ‖ bⱼ) ‖ (n − 1) × cⱼ ‖ n × sⱼ
/// ```
fn layout(bytes: &[u8]) -> Vec<Field> {
    let u16_at = |o: usize| usize::from(u16::from_be_bytes([bytes[o], bytes[o + 1]]));
    let mut out = Vec::new();
    let push = |out: &mut Vec<Field>, at: &mut usize, kind, owner, names, what: String| {
        out.push(Field {
            at: *at,
            kind,
            owner,
            names,
            what,
        });
        *at += 32;
    };
    let mut o = 3 + 2 + 32 + 1;
    push(
        &mut out,
        &mut o,
        Kind::Point,
        Owner::Nullifier,
        "nullifier",
        "nullifier".into(),
    );
    let contests = u16_at(o);
    o += 2;
    let range_proof = |out: &mut Vec<Field>, o: &mut usize, owner: Owner, what: &str| {
        let n = u16_at(*o);
        *o += 2;
        for j in 0..n {
            for ab in ["a", "b"] {
                out.push(Field {
                    at: *o,
                    kind: Kind::Point,
                    owner,
                    names: "commitment",
                    what: format!("{what}: commitment {ab}{j}"),
                });
                *o += 32;
            }
        }
        for j in 0..n - 1 {
            out.push(Field {
                at: *o,
                kind: Kind::Scalar,
                owner,
                names: "challenge",
                what: format!("{what}: branch challenge c{j}"),
            });
            *o += 32;
        }
        for j in 0..n {
            out.push(Field {
                at: *o,
                kind: Kind::Scalar,
                owner,
                names: "response",
                what: format!("{what}: response s{j}"),
            });
            *o += 32;
        }
    };
    for contest in 0..contests {
        let selections = u16_at(o);
        o += 2;
        for option in 0..selections {
            let owner = Owner::Ciphertext { contest, option };
            push(
                &mut out,
                &mut o,
                Kind::Point,
                owner,
                "ciphertext.a",
                format!("contest {contest} option {option}: ciphertext A"),
            );
            push(
                &mut out,
                &mut o,
                Kind::Point,
                owner,
                "ciphertext.b",
                format!("contest {contest} option {option}: ciphertext B"),
            );
            range_proof(
                &mut out,
                &mut o,
                Owner::Selection { contest, option },
                &format!("contest {contest} option {option}: selection proof"),
            );
        }
        range_proof(
            &mut out,
            &mut o,
            Owner::ContestSum { contest },
            &format!("contest {contest}: sum proof"),
        );
    }
    assert_eq!(bytes[o], 0, "eligibility kind: pseudonymous");
    o += 1;
    let e = Owner::Eligibility;
    push(
        &mut out,
        &mut o,
        Kind::Point,
        e,
        "credential",
        "eligibility: credential X".into(),
    );
    push(
        &mut out,
        &mut o,
        Kind::Point,
        e,
        "commitment",
        "eligibility: DLEQ commitment R1".into(),
    );
    push(
        &mut out,
        &mut o,
        Kind::Point,
        e,
        "commitment",
        "eligibility: DLEQ commitment R2".into(),
    );
    push(
        &mut out,
        &mut o,
        Kind::Scalar,
        e,
        "response",
        "eligibility: DLEQ response".into(),
    );
    let countersigned = bytes[o] == 1;
    o += 1;
    if countersigned {
        let c = Owner::Countersignature;
        push(
            &mut out,
            &mut o,
            Kind::Point,
            c,
            "commitment",
            "countersignature: commitment R".into(),
        );
        push(
            &mut out,
            &mut o,
            Kind::Scalar,
            c,
            "response",
            "countersignature: response".into(),
        );
    }
    assert_eq!(o, bytes.len(), "the layout walk covers the whole encoding");
    out
}

/// Checks [`layout`] against the decoded ballot, so that a wrong offset cannot make a test
/// pass vacuously.
fn check_layout(ballot: &Ballot, bytes: &[u8], fields: &[Field]) {
    let at = |f: &Field| &bytes[f.at..f.at + 32];
    let mut cts = Vec::new();
    for f in fields {
        match f.owner {
            Owner::Nullifier => assert_eq!(at(f), ballot.nullifier.encode()),
            Owner::Ciphertext { contest, option } => cts.push((contest, option, at(f).to_vec())),
            _ => {}
        }
        if f.what == "eligibility: credential X" {
            assert_eq!(at(f), ballot.eligibility.credential().encode());
        }
    }
    for pair in cts.chunks(2) {
        let (contest, option) = (pair[0].0, pair[0].1);
        let mut both = pair[0].2.clone();
        both.extend_from_slice(&pair[1].2);
        assert_eq!(
            both,
            ballot.contests[contest].selections[option]
                .ciphertext
                .encode()
        );
    }
    assert!(fields.iter().any(|f| f.owner
        == Owner::Selection {
            contest: 0,
            option: 0
        }
        && f.kind == Kind::Scalar));
}

/// The error the verifier must give when the proof that owns `field` is wrong.
fn expected_proof_error(owner: Owner) -> BallotError {
    match owner {
        Owner::Selection { contest, option } => BallotError::Selection {
            contest,
            option,
            source: ProofError::Invalid,
        },
        Owner::ContestSum { contest } => BallotError::ContestSum {
            contest,
            source: ProofError::Invalid,
        },
        Owner::Eligibility => BallotError::Eligibility(ProofError::Invalid),
        Owner::Countersignature => BallotError::Countersignature(ProofError::Invalid),
        other => panic!("{other:?} is not a proof"),
    }
}

fn with_bytes(bytes: &[u8], at: usize, replacement: &[u8]) -> Vec<u8> {
    let mut changed = bytes.to_vec();
    changed[at..at + replacement.len()].copy_from_slice(replacement);
    changed
}

// ---------------------------------------------------------------------------------------------
// 256-bit little-endian arithmetic for crafting non-canonical values

/// ℓ = 2²⁵² + 27742317777372353535851937790883648493, little-endian.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// p = 2²⁵⁵ − 19, little-endian.
const P: [u8; 32] = {
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

fn add_le(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    assert_eq!(carry, 0, "no overflow");
    out
}

fn sub_le(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in 0..32 {
        let d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        out[i] = d as u8;
        borrow = i16::from(d < 0);
    }
    assert_eq!(borrow, 0, "no underflow");
    out
}

fn unhex32(text: &str) -> [u8; 32] {
    hex::decode(text).unwrap().try_into().unwrap()
}

/// RFC 9496 Appendix A.2: every encoding a ristretto255 decoder must refuse, by group.
const RFC9496_INVALID: [(&str, &str); 29] = [
    (
        "non-canonical field encoding",
        "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ),
    (
        "non-canonical field encoding",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ),
    (
        "non-canonical field encoding",
        "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ),
    (
        "non-canonical field encoding",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ),
    (
        "negative field element",
        "0100000000000000000000000000000000000000000000000000000000000000",
    ),
    (
        "negative field element",
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ),
    (
        "negative field element",
        "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20",
    ),
    (
        "negative field element",
        "c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562",
    ),
    (
        "negative field element",
        "c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78",
    ),
    (
        "negative field element",
        "47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24",
    ),
    (
        "negative field element",
        "f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72",
    ),
    (
        "negative field element",
        "87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309",
    ),
    (
        "non-square x²",
        "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
    ),
    (
        "non-square x²",
        "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
    ),
    (
        "non-square x²",
        "de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b",
    ),
    (
        "non-square x²",
        "bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042",
    ),
    (
        "non-square x²",
        "2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08",
    ),
    (
        "non-square x²",
        "f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22",
    ),
    (
        "non-square x²",
        "8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731",
    ),
    (
        "non-square x²",
        "2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b",
    ),
    (
        "negative xy",
        "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",
    ),
    (
        "negative xy",
        "a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220",
    ),
    (
        "negative xy",
        "d483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e",
    ),
    (
        "negative xy",
        "8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32",
    ),
    (
        "negative xy",
        "32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b",
    ),
    (
        "negative xy",
        "227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165",
    ),
    (
        "negative xy",
        "5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e",
    ),
    (
        "negative xy",
        "445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b",
    ),
    (
        "s = -1, which causes y = 0",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ),
];

/// The invalid encodings to put in a point field whose honest value is `original`: the RFC list,
/// the encoding 1 with the top bit set, and two aliases of the honest value itself (`s + p` and
/// `2p − s`), which a decoder that reduces modulo p or squares `s` without the canonical check
/// would read as the same point, giving one ballot two encodings.
fn invalid_point_encodings(original: &[u8; 32]) -> Vec<(String, [u8; 32])> {
    let mut out: Vec<(String, [u8; 32])> = RFC9496_INVALID
        .iter()
        .map(|(why, h)| (format!("RFC 9496 {why} {h}"), unhex32(h)))
        .collect();
    let mut top_bit = [0u8; 32];
    top_bit[0] = 1;
    top_bit[31] = 0x80;
    out.push(("1 with the top bit set".into(), top_bit));
    out.push((
        "s + p, an alias of the honest value".into(),
        add_le(original, &P),
    ));
    out.push((
        "2p − s, an alias of the honest value".into(),
        sub_le(&add_le(&P, &P), original),
    ));
    for (why, bytes) in &out {
        assert!(
            CompressedRistretto(*bytes).decompress().is_none(),
            "{why} is indeed invalid"
        );
    }
    out
}

/// The shared postal ballot (every kind of field present) and its election.
fn postal_case() -> &'static (Fixture, Ballot, Vec<u8>, Vec<Field>) {
    static CASE: OnceLock<(Fixture, Ballot, Vec<u8>, Vec<Field>)> = OnceLock::new();
    CASE.get_or_init(|| {
        let fx = leadership(2, 0x9001);
        let ballot = cast(&fx, 0, POSTAL, TRUSS, 1);
        assert_eq!(ballot.verify(&fx.election), Ok(()));
        let bytes = ballot.encode();
        let fields = layout(&bytes);
        check_layout(&ballot, &bytes, &fields);
        (fx, ballot, bytes, fields)
    })
}

// =============================================================================================
// Case 1
// =============================================================================================

/// Case 1, non-canonical encodings (RFC 9496 §4.3.1 and Appendix A.2; Monero's key-image and
/// every "two encodings of one value" malleability bug): each of the 29 invalid ristretto255
/// encodings of RFC 9496, the encoding 1 with its top bit set, and the non-canonical aliases
/// `s + p` and `2p − s` of the honest value, in EVERY point field of an encoded postal ballot
/// (nullifier, both components of each ciphertext, every range-proof commitment, the eligibility
/// credential X, both DLEQ commitments, the countersignature commitment). Decoding must refuse
/// each with `EncodingError::NonCanonicalPoint` naming that field, in binary and in JSON.
#[test]
fn case_01_non_canonical_points_in_every_field() {
    let (_, ballot, bytes, fields) = postal_case();
    let points: Vec<&Field> = fields.iter().filter(|f| f.kind == Kind::Point).collect();
    // nullifier, 2 × (A, B, 4 commitments), 2 sum-proof commitments, X, R₁, R₂, R.
    assert_eq!(points.len(), 1 + 2 * 6 + 2 + 3 + 1);
    for f in &points {
        let original: [u8; 32] = bytes[f.at..f.at + 32].try_into().unwrap();
        for (why, bad) in invalid_point_encodings(&original) {
            match Ballot::decode(&with_bytes(bytes, f.at, &bad)) {
                Err(EncodingError::NonCanonicalPoint { field }) => assert!(
                    field.contains(f.names),
                    "{}: {why}: the error names {field:?}",
                    f.what
                ),
                other => panic!("{}: {why}: got {other:?}", f.what),
            }
        }
    }

    // The JSON form goes through the same codecs.
    let json = serde_json::to_value(ballot).unwrap();
    for (why, bad) in RFC9496_INVALID {
        for pointer in ["/nullifier", "/eligibility/pseudonymous/credential"] {
            let mut changed = json.clone();
            *changed.pointer_mut(pointer).unwrap() = bad.into();
            let err = serde_json::from_str::<Ballot>(&changed.to_string()).unwrap_err();
            assert!(
                err.to_string()
                    .contains("not a canonical ristretto255 encoding"),
                "{pointer}: {why}: {err}"
            );
        }
        let mut changed = json.clone();
        let ct = changed
            .pointer_mut("/contests/0/selections/1/ciphertext")
            .unwrap();
        let mut text = ct.as_str().unwrap().to_owned();
        text.replace_range(..64, bad);
        *ct = text.into();
        assert!(serde_json::from_str::<Ballot>(&changed.to_string()).is_err());
    }
}

/// One random change to an encoded ballot: bytes overwritten, a valid point or an arbitrary
/// 32-byte value put into a point or scalar field, a truncation or an extension.
#[derive(Clone, Debug)]
enum Mutation {
    Bytes(Vec<(prop::sample::Index, u8)>),
    ValidPoint(prop::sample::Index, [u8; 32]),
    CanonicalScalar(prop::sample::Index, [u8; 32]),
    Raw32(prop::sample::Index, [u8; 32]),
    Truncate(prop::sample::Index),
    Extend(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)
            .prop_map(Mutation::Bytes),
        (any::<prop::sample::Index>(), any::<[u8; 32]>())
            .prop_map(|(i, s)| Mutation::ValidPoint(i, s)),
        (any::<prop::sample::Index>(), any::<[u8; 32]>())
            .prop_map(|(i, s)| Mutation::CanonicalScalar(i, s)),
        (any::<prop::sample::Index>(), any::<[u8; 32]>()).prop_map(|(i, s)| Mutation::Raw32(i, s)),
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        prop::collection::vec(any::<u8>(), 1..40).prop_map(Mutation::Extend),
    ]
}

fn apply(bytes: &[u8], fields: &[Field], m: &Mutation) -> Vec<u8> {
    let points: Vec<&Field> = fields.iter().filter(|f| f.kind == Kind::Point).collect();
    let scalars: Vec<&Field> = fields.iter().filter(|f| f.kind == Kind::Scalar).collect();
    match m {
        Mutation::Bytes(changes) => {
            let mut out = bytes.to_vec();
            for (i, b) in changes {
                out[i.index(bytes.len())] = *b;
            }
            out
        }
        Mutation::ValidPoint(i, seed) => {
            let p = RistrettoPoint::mul_base(&Scalar::from_bytes_mod_order(*seed));
            with_bytes(bytes, i.get(&points).at, p.compress().as_bytes())
        }
        Mutation::CanonicalScalar(i, seed) => with_bytes(
            bytes,
            i.get(&scalars).at,
            Scalar::from_bytes_mod_order(*seed).as_bytes(),
        ),
        Mutation::Raw32(i, raw) => with_bytes(bytes, i.get(fields).at, raw),
        Mutation::Truncate(i) => bytes[..i.index(bytes.len())].to_vec(),
        Mutation::Extend(tail) => [bytes, tail].concat(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Case 1, non-canonical encodings: whatever bytes decode as a ballot re-encode to exactly
    /// those bytes (and survive the JSON round trip byte for byte), so that no ballot has two
    /// encodings, two tracking codes or two board entries. The inputs are random changes to a
    /// valid postal ballot, most of which are still structurally valid.
    #[test]
    fn case_01_whatever_decodes_reencodes_identically(m in mutation()) {
        let (_, _, bytes, fields) = postal_case();
        let changed = apply(bytes, fields, &m);
        if let Ok(ballot) = Ballot::decode(&changed) {
            prop_assert_eq!(ballot.encode(), changed.clone());
            let json = serde_json::to_string(&ballot).unwrap();
            let back: Ballot = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back.encode(), changed);
        }
    }
}

// =============================================================================================
// Case 2
// =============================================================================================

/// Case 2, identity keys and plaintext-exposing ciphertexts (a ciphertext `(0, v·G)` shows its
/// vote; an identity key, credential or nullifier makes every proof about it trivial): the
/// identity in every point field of an encoded ballot is refused with
/// `EncodingError::IdentityPoint` naming the field; the identity is refused as an election key,
/// as a roll entry (binary and JSON), as a channel authority of a manifest, and as a nullifier
/// in JSON. No public API takes a nullifier base `H_E`, which is derived and never the identity.
#[test]
fn case_02_identity_points() {
    let (fx, ballot, bytes, fields) = postal_case();
    let identity = RistrettoPoint::identity().compress().to_bytes();
    assert_eq!(identity, [0u8; 32]);
    for f in fields.iter().filter(|f| f.kind == Kind::Point) {
        match Ballot::decode(&with_bytes(bytes, f.at, &identity)) {
            Err(EncodingError::IdentityPoint { field }) => assert!(
                field.contains(f.names),
                "{}: the error names {field:?}",
                f.what
            ),
            other => panic!("{}: identity gave {other:?}", f.what),
        }
    }

    // As the election key (trustee and joint keys are Elements too): no Element is the identity.
    assert_eq!(
        Element::from_bytes(&identity),
        Err(EncodingError::IdentityPoint { field: "element" })
    );
    assert_eq!(
        Element::from_point(RistrettoPoint::identity()).unwrap_err(),
        EncodingError::IdentityPoint { field: "element" }
    );
    assert!(serde_json::from_str::<Element>(&format!("\"{}\"", hex::encode(identity))).is_err());

    // As a roll entry, through every decoder of a roll.
    assert!(matches!(
        PublicCredential::decode(&identity),
        Err(EncodingError::IdentityPoint { .. })
    ));
    let roll = fx.election.roll();
    let mut roll_bytes = roll.to_bytes();
    roll_bytes[Roll::HEADER_LEN..Roll::HEADER_LEN + 32].copy_from_slice(&identity);
    assert!(matches!(
        Roll::from_bytes(&roll_bytes),
        Err(RollError::Entry {
            index: 0,
            source: EncodingError::IdentityPoint { .. }
        })
    ));
    let mut entries: Vec<String> = roll
        .entries()
        .iter()
        .map(|e| hex::encode(e.encode()))
        .collect();
    entries[1] = hex::encode(identity);
    assert!(serde_json::from_str::<Roll>(&serde_json::to_string(&entries).unwrap()).is_err());

    // As a channel authority (the key that countersigns postal ballots).
    let mut manifest = serde_json::to_value(fx.election.manifest()).unwrap();
    manifest["channels"][1]["authority"] = hex::encode(identity).into();
    assert!(serde_json::from_value::<Manifest>(manifest).is_err());

    // As a nullifier, in JSON.
    let mut json = serde_json::to_value(ballot).unwrap();
    json["nullifier"] = hex::encode(identity).into();
    assert!(serde_json::from_str::<Ballot>(&json.to_string()).is_err());

    // H_E is derived, not supplied, and is none of the identity, G or K.
    let h = fx.election.nullifier_base();
    assert_ne!(h.to_bytes(), identity);
    assert_ne!(h, &Element::generator());
    assert_ne!(h, fx.election.key().element());
}

// =============================================================================================
// Case 3
// =============================================================================================

/// Case 3, scalar malleability (the ed25519 `s + ℓ` signature malleability; one proof with two
/// encodings is one ballot with two tracking codes): ℓ, ℓ + 1, 2²⁵⁶ − 1, the honest value with
/// its top bit set, and the honest value plus ℓ (the same scalar modulo ℓ, so the proof would
/// still verify if it decoded) in every response and every branch challenge of an encoded
/// ballot (selection proofs, contest-sum proof, DLEQ, countersignature). Each is refused with
/// `EncodingError::NonCanonicalScalar` naming the field; ℓ − 1 is canonical and decodes.
#[test]
fn case_03_non_canonical_scalars_in_every_response_and_challenge() {
    let (fx, _, bytes, fields) = postal_case();
    let scalars: Vec<&Field> = fields.iter().filter(|f| f.kind == Kind::Scalar).collect();
    // 2 × (c₀, s₀, s₁), the sum proof's s₀, the DLEQ and Schnorr responses.
    assert_eq!(scalars.len(), 2 * 3 + 1 + 1 + 1);
    let mut ell_plus_one = ELL;
    ell_plus_one[0] += 1;
    let mut ell_minus_one = ELL;
    ell_minus_one[0] -= 1;
    for f in &scalars {
        let original: [u8; 32] = bytes[f.at..f.at + 32].try_into().unwrap();
        let mut top_bit = original;
        top_bit[31] |= 0x80;
        for (why, bad) in [
            ("ℓ", ELL),
            ("ℓ + 1", ell_plus_one),
            ("2²⁵⁶ − 1", [0xff; 32]),
            ("top bit set", top_bit),
            ("honest value + ℓ", add_le(&original, &ELL)),
        ] {
            match Ballot::decode(&with_bytes(bytes, f.at, &bad)) {
                Err(EncodingError::NonCanonicalScalar { field }) => assert!(
                    field.contains(f.names),
                    "{}: {why}: the error names {field:?}",
                    f.what
                ),
                other => panic!("{}: {why}: got {other:?}", f.what),
            }
        }
        // The largest canonical scalar decodes, and the proof that carries it then fails.
        let decoded = Ballot::decode(&with_bytes(bytes, f.at, &ell_minus_one)).unwrap();
        assert!(decoded.verify(&fx.election).is_err(), "{}", f.what);
    }
}

// =============================================================================================
// Case 4
// =============================================================================================

fn hex_at(json: &serde_json::Value, pointer: &str) -> Vec<u8> {
    hex::decode(json.pointer(pointer).unwrap().as_str().unwrap()).unwrap()
}

fn json_with(json: &serde_json::Value, pointer: &str, value: serde_json::Value) -> String {
    let mut changed = json.clone();
    *changed.pointer_mut(pointer).unwrap() = value;
    changed.to_string()
}

fn refused_quickly<T, E: core::fmt::Debug>(what: &str, f: impl FnOnce() -> Result<T, E>) -> E {
    let start = Instant::now();
    let result = f();
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_secs(5), "{what}: took {elapsed:?}");
    match result {
        Ok(_) => panic!("{what}: accepted"),
        Err(e) => e,
    }
}

/// Case 4, parser ambiguity and denial of service (the JSON duplicate-key ambiguities exploited
/// between parsers that keep the first or the last key; length-prefix bombs): 31- and 33-byte
/// versions of every fixed-size field of a ballot's JSON (and odd-length hex); every truncation
/// of the binary form; trailing bytes (binary) and trailing text (JSON); unknown and duplicate
/// keys at every level of the JSON; a manifest with 10⁶ options (JSON) or claiming 65535 options
/// or contests (binary); a ballot claiming 65535 contests, selections or range-proof branches,
/// or 257 branches with all their bytes present. Every one is refused, the huge ones in bounded
/// time and before any group element is decoded (the bytes after the count are invalid points,
/// and the error is about the count, not about them).
#[test]
fn case_04_lengths_trailing_bytes_keys_and_huge_counts() {
    let (fx, ballot, bytes, _) = postal_case();
    let json = serde_json::to_value(ballot).unwrap();

    // Fixed-size fields one byte short or long, and odd-length hex.
    for pointer in [
        "/election",
        "/nullifier",
        "/contests/0/selections/0/ciphertext",
        "/contests/0/selections/1/proof",
        "/contests/0/sum_proof",
        "/eligibility/pseudonymous/credential",
        "/eligibility/pseudonymous/proof",
        "/countersignature",
    ] {
        let good = hex_at(&json, pointer);
        let short = &good[..good.len() - 1];
        let long = [&good[..], &[0]].concat();
        for bad in [short, &long[..]] {
            let text = json_with(&json, pointer, hex::encode(bad).into());
            assert!(
                serde_json::from_str::<Ballot>(&text).is_err(),
                "{pointer}: {} bytes accepted",
                bad.len()
            );
        }
        let odd = &hex::encode(&good)[1..];
        assert!(serde_json::from_str::<Ballot>(&json_with(&json, pointer, odd.into())).is_err());
    }

    // Every truncation and trailing bytes of the binary form.
    for n in 0..bytes.len() {
        assert!(Ballot::decode(&bytes[..n]).is_err(), "truncated to {n}");
    }
    assert_eq!(
        Ballot::decode(&[&bytes[..], &[0]].concat()),
        Err(EncodingError::TrailingBytes {
            field: "ballot",
            count: 1
        })
    );
    let text = serde_json::to_string(ballot).unwrap();
    assert!(serde_json::from_str::<Ballot>(&format!("{text}{{}}")).is_err());
    assert!(serde_json::from_str::<Ballot>(&format!("{text}0")).is_err());

    // Unknown keys at every level.
    for pointer in [
        "",
        "/contests/0",
        "/contests/0/selections/0",
        "/eligibility/pseudonymous",
    ] {
        let mut changed = json.clone();
        changed
            .pointer_mut(pointer)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert("extra".into(), 1.into());
        assert!(
            serde_json::from_str::<Ballot>(&changed.to_string()).is_err(),
            "unknown key at {pointer:?}"
        );
    }
    let mut other_kind = json.clone();
    other_kind["eligibility"] =
        serde_json::json!({ "anonymous": json["eligibility"]["pseudonymous"] });
    assert!(serde_json::from_str::<Ballot>(&other_kind.to_string()).is_err());

    // Duplicate keys, each time with a different (valid) second value: a parser that kept the
    // last one would read another ballot.
    let other = cast(fx, 1, POSTAL, SUNAK, 2);
    let other_json = serde_json::to_value(&other).unwrap();
    let n_other = other_json["nullifier"].to_string();
    let duplicated_top = text.replacen('{', &format!("{{\"nullifier\":{n_other},"), 1);
    let ct_other = other_json["contests"][0]["selections"][0]["ciphertext"].to_string();
    let duplicated_selection = text.replacen(
        "{\"ciphertext\":",
        &format!("{{\"ciphertext\":{ct_other},\"ciphertext\":"),
        1,
    );
    let elig_other = other_json["eligibility"]["pseudonymous"].to_string();
    let duplicated_kind = text.replacen(
        "\"eligibility\":{\"pseudonymous\":",
        &format!("\"eligibility\":{{\"pseudonymous\":{elig_other},\"pseudonymous\":"),
        1,
    );
    let cs_other = other_json["countersignature"].to_string();
    let duplicated_last = text.replacen(
        "\"countersignature\":",
        &format!("\"countersignature\":{cs_other},\"countersignature\":"),
        1,
    );
    for (what, duplicated) in [
        ("nullifier", duplicated_top),
        ("ciphertext", duplicated_selection),
        ("eligibility kind", duplicated_kind),
        ("countersignature", duplicated_last),
    ] {
        assert_ne!(duplicated, text, "{what}: the duplicate was inserted");
        assert!(
            serde_json::from_str::<Ballot>(&duplicated).is_err(),
            "duplicate {what} accepted"
        );
    }

    // A manifest with 10⁶ options, in JSON.
    let mut manifest = serde_json::to_value(fx.election.manifest()).unwrap();
    manifest["contests"][0]["options"] = (0..1_000_000)
        .map(|i| serde_json::Value::from(format!("candidate {i}")))
        .collect();
    let manifest_text = manifest.to_string();
    let err = refused_quickly("manifest with 10⁶ options", || {
        serde_json::from_str::<Manifest>(&manifest_text)
    });
    assert!(err.to_string().contains("options"), "{err}");

    // A binary manifest claiming 65535 contests, or 65535 options in its first contest.
    let m = fx.election.manifest().encode();
    let id_len = fx.election.manifest().election_id().len();
    let contests_at = 3 + 2 + 2 + id_len;
    let options_at = contests_at + 2 + 2 + "leader".len();
    assert_eq!(&m[contests_at..contests_at + 2], &[0, 1]);
    assert_eq!(&m[options_at..options_at + 2], &[0, 2]);
    for at in [contests_at, options_at] {
        let huge = with_bytes(&m, at, &[0xff, 0xff]);
        let err = refused_quickly("manifest count 65535", || Manifest::from_bytes(&huge));
        assert!(
            matches!(
                err,
                ManifestError::Encoding(
                    EncodingError::Truncated { .. } | EncodingError::TooMany { .. }
                )
            ),
            "{err:?}"
        );
    }

    // A ballot claiming 65535 contests or selections, followed by invalid points.
    let contests_at = 3 + 2 + 32 + 1 + 32;
    let garbage = vec![0xffu8; 4096];
    let head = |at: usize| [&bytes[..at], &[0xff, 0xff], &garbage[..]].concat();
    let err = refused_quickly("65535 contests", || Ballot::decode(&head(contests_at)));
    assert!(
        matches!(err, EncodingError::TooMany { field, count: 65535, .. } if field.contains("contests")),
        "{err:?}"
    );
    let err = refused_quickly("65535 selections", || {
        Ballot::decode(&head(contests_at + 2))
    });
    assert!(
        matches!(err, EncodingError::TooMany { field, count: 65535, .. } if field.contains("selections")),
        "{err:?}"
    );
    // 65535 branches in the first selection proof, and in the first sum proof.
    let proof_at = contests_at + 2 + 2 + 64;
    let sum_at = proof_at + 2 * (RangeProof::encoded_len(2) + 64) - 64;
    assert_eq!(&bytes[proof_at..proof_at + 2], &[0, 2]);
    assert_eq!(&bytes[sum_at..sum_at + 2], &[0, 1]);
    for at in [proof_at, sum_at] {
        let err = refused_quickly("65535 branches", || Ballot::decode(&head(at)));
        assert!(
            !matches!(err, EncodingError::NonCanonicalPoint { .. }),
            "refused only after decoding points: {err:?}"
        );
        // 257 branches, with every byte they need present (and all of them invalid points).
        let full = [
            &bytes[..at],
            &257u16.to_be_bytes()[..],
            &vec![0xffu8; RangeProof::encoded_len(257) - 2],
        ]
        .concat();
        let err = refused_quickly("257 branches", || Ballot::decode(&full));
        assert!(
            matches!(err, EncodingError::TooMany { count: 257, .. }),
            "{err:?}"
        );
    }
}

// =============================================================================================
// Case 5
// =============================================================================================

/// The shared online ballot of case 5.
fn online_case() -> &'static (Fixture, Ballot) {
    static CASE: OnceLock<(Fixture, Ballot)> = OnceLock::new();
    CASE.get_or_init(|| {
        let fx = leadership(2, 0x5005);
        let ballot = cast(&fx, 0, ONLINE, TRUSS, 5);
        (fx, ballot)
    })
}

fn point_from(seed: &[u8; 32]) -> Element {
    element(Scalar::from_bytes_mod_order(*seed) + Scalar::ONE)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Case 5, weak Fiat-Shamir (Bernhard-Pereira-Warinschi 2012 on Helios; "Frozen Heart" 2022):
    /// a valid selection proof of a cast ballot, re-verified through the public proofs API after
    /// ONE random change of its statement or context (ciphertext A, ciphertext B, the election
    /// key, the election's base hash, the contest index, the option index, the nullifier, or the
    /// range, shifted keeping its branch count), is refused with `ProofError::Invalid`; and a
    /// ballot whose ciphertext part was changed and that its voter re-signed is refused by B6,
    /// naming the contest and option.
    #[test]
    fn case_05_single_statement_change_breaks_selection_proof(
        change in 0usize..8,
        option in 0usize..2,
        seed in any::<[u8; 32]>(),
        index in 1u64..1_000_000,
    ) {
        let (fx, ballot) = online_case();
        let e = &fx.election;
        let selection = &ballot.contests[0].selections[option];
        let proof = &selection.proof;
        let ct = selection.ciphertext;
        let n = ballot.nullifier;
        let j = option as u64;
        let verify = |key: &ElectionKey, ct: Ciphertext, low: u32, high: u32, mut t: Transcript| {
            let cts = [ct];
            proof.verify(&RangeStatement { key, ciphertexts: &cts, low, high }, &mut t)
        };
        // The transcripts rebuilt here are the verifier's: the unchanged proof verifies.
        prop_assert_eq!(verify(e.key(), ct, 0, 1, selection_transcript(e, &n, 0, j)), Ok(()));

        let other_point = point_from(&seed);
        let result = match change {
            0 => {
                prop_assume!(other_point != ct.a);
                verify(e.key(), Ciphertext { a: other_point, ..ct }, 0, 1, selection_transcript(e, &n, 0, j))
            }
            1 => {
                prop_assume!(other_point != ct.b);
                verify(e.key(), Ciphertext { b: other_point, ..ct }, 0, 1, selection_transcript(e, &n, 0, j))
            }
            2 => {
                prop_assume!(&other_point != e.key().element());
                verify(&ElectionKey::new(other_point), ct, 0, 1, selection_transcript(e, &n, 0, j))
            }
            3 => {
                prop_assume!(&seed != e.base_hash().as_bytes());
                let mut t = election_transcript(purpose::SELECTION, &seed);
                t.append_message(label::NULLIFIER, n.element().as_bytes());
                t.append_u64(label::CONTEST, 0);
                t.append_u64(label::OPTION, j);
                verify(e.key(), ct, 0, 1, t)
            }
            4 => verify(e.key(), ct, 0, 1, selection_transcript(e, &n, index, j)),
            5 => verify(e.key(), ct, 0, 1, selection_transcript(e, &n, 0, j + index)),
            6 => {
                prop_assume!(&other_point != n.element());
                let other = Nullifier::decode(other_point.as_bytes()).unwrap();
                verify(e.key(), ct, 0, 1, selection_transcript(e, &other, 0, j))
            }
            _ => {
                let low = index as u32;
                verify(e.key(), ct, low, low + 1, selection_transcript(e, &n, 0, j))
            }
        };
        prop_assert_eq!(result, Err(ProofError::Invalid), "change {}", change);

        // At ballot level: the voter changes one ciphertext part and re-signs.
        if change < 2 {
            let mut contests = ballot.contests.clone();
            let c = &mut contests[0].selections[option].ciphertext;
            if change == 0 { c.a = other_point } else { c.b = other_point }
            let forged = resign(fx, &fx.secrets[0], Ballot { contests, ..ballot.clone() });
            prop_assert_eq!(
                forged.verify(e),
                Err(BallotError::Selection { contest: 0, option, source: ProofError::Invalid })
            );
        }
    }
}

// =============================================================================================
// Case 6
// =============================================================================================

/// Case 6, a verifier that never compares (an ElectionGuard verifier computed the challenge and
/// never compared it): in a cast ballot, each branch challenge and each response of every
/// selection and contest-sum proof is changed to another canonical scalar (+1), and each of
/// their commitments to another valid point, the voter re-signing the ballot each time; each is
/// refused by the check of that very proof (B6 or B7, naming contest and option). The DLEQ
/// response and commitments (B8) and the countersignature's response and commitment (B9) are
/// refused the same way.
#[test]
fn case_06_changed_challenge_or_response() {
    let (fx, ballot, bytes, fields) = postal_case();
    let e = &fx.election;
    let mut checked = 0;
    for f in fields {
        if matches!(f.owner, Owner::Nullifier | Owner::Ciphertext { .. })
            || f.what == "eligibility: credential X"
        {
            continue;
        }
        let original: [u8; 32] = bytes[f.at..f.at + 32].try_into().unwrap();
        let replacement = match f.kind {
            Kind::Scalar => {
                let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(original)).unwrap();
                (s + Scalar::ONE).to_bytes()
            }
            Kind::Point => {
                let p = CompressedRistretto(original).decompress().unwrap();
                (p + RISTRETTO_BASEPOINT_POINT).compress().to_bytes()
            }
        };
        let changed = Ballot::decode(&with_bytes(bytes, f.at, &replacement)).unwrap();
        // A voter can re-sign a ballot whose range proofs they changed; the eligibility proof
        // and the countersignature cannot be "re-signed" around their own change.
        let changed = match f.owner {
            Owner::Selection { .. } | Owner::ContestSum { .. } => {
                resign(fx, &fx.secrets[0], changed)
            }
            Owner::Eligibility => changed,
            Owner::Countersignature => changed,
            _ => unreachable!(),
        };
        assert_eq!(
            changed.verify(e),
            Err(expected_proof_error(f.owner)),
            "{}",
            f.what
        );
        checked += 1;
    }
    // 2 × (4 commitments + c₀ + 2 responses), sum proof (2 + 1), DLEQ (2 + 1), Schnorr (1 + 1).
    assert_eq!(checked, 2 * 7 + 3 + 3 + 2);
    // The re-signing itself is sound: the unchanged ballot re-signed still verifies.
    assert_eq!(resign(fx, &fx.secrets[0], ballot.clone()).verify(e), Ok(()));
}

// =============================================================================================
// Case 7
// =============================================================================================

/// Case 7, ballot stuffing with a false 0/1 proof (the attack that range proofs exist for): a
/// voter encrypts 2 for option 0 and −1 for option 1, so that the contest sum is an honest 1 and
/// its proof is valid, and "proves" each selection in 0..=1 (a) with both branches simulated
/// and (b) with the honest prover fed a false witness; the voter signs the ballot. It is refused
/// by B6 naming contest 0, option 0; each selection proof fails alone. The honest prover asked
/// to prove 2 in 0..=1 refuses (`FalseStatement`), and `prepare` refuses 2 votes for an option.
#[test]
fn case_07_selection_of_two_with_simulated_branches() {
    let fx = leadership(1, 0x7007);
    let e = &fx.election;
    let honest = cast(&fx, 0, ONLINE, TRUSS, 1);
    let n = honest.nullifier;
    let mut r = rng(70);
    let (r0, r1) = (random_scalar(&mut r), random_scalar(&mut r));
    let c0 = e.key().encrypt(&Scalar::from(2u8), &r0);
    let c1 = e.key().encrypt(&-Scalar::ONE, &r1);
    let cts = [c0, c1];
    let sum_statement = RangeStatement {
        key: e.key(),
        ciphertexts: &cts,
        low: 1,
        high: 1,
    };
    let sum_proof = RangeProof::prove(
        &RangeWitness::new(1, &SecretScalar::new(r0 + r1)),
        &sum_statement,
        &mut contest_sum_transcript(e, &n, 0),
        &mut r,
    )
    .unwrap();
    // The sum check alone cannot see the stuffing.
    assert_eq!(
        sum_proof.verify(&sum_statement, &mut contest_sum_transcript(e, &n, 0)),
        Ok(())
    );

    let lying = |ct: &Ciphertext, nonce: Scalar, claimed: u32, option: u64, r: &mut ChaCha20Rng| {
        RangeProof::prove(
            &RangeWitness::new(claimed, &SecretScalar::new(nonce)),
            &RangeStatement {
                key: e.key(),
                ciphertexts: core::slice::from_ref(ct),
                low: 0,
                high: 1,
            },
            &mut selection_transcript(e, &n, 0, option),
            r,
        )
        .unwrap()
    };
    let simulated = [
        simulate_all_branches(e.key(), &c0, 0, 1, &mut r),
        simulate_all_branches(e.key(), &c1, 0, 1, &mut r),
    ];
    let lied = [lying(&c0, r0, 1, 0, &mut r), lying(&c1, r1, 0, 1, &mut r)];
    for (how, proofs) in [("simulated", simulated), ("lying prover", lied)] {
        for (j, (ct, proof)) in cts.iter().zip(&proofs).enumerate() {
            let statement = RangeStatement {
                key: e.key(),
                ciphertexts: core::slice::from_ref(ct),
                low: 0,
                high: 1,
            };
            assert_eq!(
                proof.verify(&statement, &mut selection_transcript(e, &n, 0, j as u64)),
                Err(ProofError::Invalid),
                "{how}, option {j}"
            );
        }
        let [p0, p1] = proofs;
        let forged = resign(
            &fx,
            &fx.secrets[0],
            Ballot {
                contests: vec![ContestBallot {
                    selections: vec![
                        EncryptedSelection {
                            ciphertext: c0,
                            proof: p0,
                        },
                        EncryptedSelection {
                            ciphertext: c1,
                            proof: p1,
                        },
                    ],
                    sum_proof: sum_proof.clone(),
                }],
                ..honest.clone()
            },
        );
        let forged = Ballot::decode(&forged.encode()).unwrap();
        assert_eq!(
            forged.verify(e),
            Err(BallotError::Selection {
                contest: 0,
                option: 0,
                source: ProofError::Invalid
            }),
            "{how}"
        );
    }

    // The honest prover refuses to prove 2 in 0..=1, and the builder refuses 2 votes.
    assert_eq!(
        RangeProof::prove(
            &RangeWitness::new(2, &SecretScalar::new(r0)),
            &RangeStatement {
                key: e.key(),
                ciphertexts: &[c0],
                low: 0,
                high: 1
            },
            &mut selection_transcript(e, &n, 0, 0),
            &mut r,
        )
        .unwrap_err(),
        ProofError::FalseStatement
    );
    assert_eq!(
        prepare(e, ONLINE, &fx.secrets[0], &[vec![2, 0]], &mut rng(1)).unwrap_err(),
        ChoiceError::OverOptionLimit {
            contest: 0,
            option: 0,
            value: 2,
            limit: 1
        }
    );
}

// =============================================================================================
// Case 8
// =============================================================================================

/// Case 8, extra branches (Helios accepted a range proof with more branches than the range):
/// option 0 encrypts 2 with an honest proof over 0..=2 (L + 2 = 3 branches for the range 0..=1),
/// option 1 encrypts −1 so that the contest sum is a valid 1; the voter signs the ballot, which
/// decodes (range proofs are self-delimiting). It is refused by B6 with
/// `WrongBranchCount { expected: 2, found: 3 }`. A 1-branch selection proof (L branches) and
/// contest-sum proofs with 2 and 3 branches (the range 1..=1 needs 1) are refused the same way.
#[test]
fn case_08_extra_or_missing_branches() {
    let fx = leadership(1, 0x8008);
    let e = &fx.election;
    let honest = cast(&fx, 0, ONLINE, TRUSS, 1);
    let n = honest.nullifier;
    let mut r = rng(80);
    let nonces = [random_scalar(&mut r), random_scalar(&mut r)];
    let prove = |value: u32,
                 nonce: Scalar,
                 cts: &[Ciphertext],
                 low: u32,
                 high: u32,
                 mut t: Transcript,
                 r: &mut ChaCha20Rng| {
        RangeProof::prove(
            &RangeWitness::new(value, &SecretScalar::new(nonce)),
            &RangeStatement {
                key: e.key(),
                ciphertexts: cts,
                low,
                high,
            },
            &mut t,
            r,
        )
        .unwrap()
    };
    let build = |values: [Scalar; 2],
                 selection_ranges: [(u32, u32, u32); 2],
                 sum_range: (u32, u32),
                 r: &mut ChaCha20Rng| {
        let cts = [
            e.key().encrypt(&values[0], &nonces[0]),
            e.key().encrypt(&values[1], &nonces[1]),
        ];
        let selections: Vec<EncryptedSelection> = (0..2)
            .map(|j| {
                let (claimed, low, high) = selection_ranges[j];
                EncryptedSelection {
                    ciphertext: cts[j],
                    proof: prove(
                        claimed,
                        nonces[j],
                        &cts[j..=j],
                        low,
                        high,
                        selection_transcript(e, &n, 0, j as u64),
                        r,
                    ),
                }
            })
            .collect();
        let sum_proof = prove(
            1,
            nonces[0] + nonces[1],
            &cts,
            sum_range.0,
            sum_range.1,
            contest_sum_transcript(e, &n, 0),
            r,
        );
        let ballot = resign(
            &fx,
            &fx.secrets[0],
            Ballot {
                contests: vec![ContestBallot {
                    selections,
                    sum_proof,
                }],
                ..honest.clone()
            },
        );
        Ballot::decode(&ballot.encode()).unwrap()
    };
    let one = Scalar::ONE;

    // Sanity: the same construction with the right branch counts verifies.
    let fair = build([one, Scalar::ZERO], [(1, 0, 1), (0, 0, 1)], (1, 1), &mut r);
    assert_eq!(fair.verify(e), Ok(()));

    // L + 2 branches: a true proof that option 0 holds 0, 1 or 2 (and it holds 2).
    let stuffed = build(
        [Scalar::from(2u8), -one],
        [(2, 0, 2), (0, 0, 1)],
        (1, 1),
        &mut r,
    );
    assert_eq!(stuffed.contests[0].selections[0].proof.branches(), 3);
    assert_eq!(
        stuffed.verify(e),
        Err(BallotError::Selection {
            contest: 0,
            option: 0,
            source: ProofError::WrongBranchCount {
                expected: 2,
                found: 3
            }
        })
    );
    // L branches: a one-branch "proof" that option 0 holds 1.
    let narrow = build([one, Scalar::ZERO], [(1, 1, 1), (0, 0, 1)], (1, 1), &mut r);
    assert_eq!(
        narrow.verify(e),
        Err(BallotError::Selection {
            contest: 0,
            option: 0,
            source: ProofError::WrongBranchCount {
                expected: 2,
                found: 1
            }
        })
    );
    // The contest-sum proof with extra branches.
    for (high, found) in [(2, 2), (3, 3)] {
        let wide_sum = build(
            [one, Scalar::ZERO],
            [(1, 0, 1), (0, 0, 1)],
            (0, high - 1),
            &mut r,
        );
        assert_eq!(
            wide_sum.verify(e),
            Err(BallotError::ContestSum {
                contest: 0,
                source: ProofError::WrongBranchCount { expected: 1, found }
            })
        );
    }
}

// =============================================================================================
// Case 9
// =============================================================================================

/// Case 9, replay and ballot copying (Cortier-Smyth 2011 on Helios: a voter copies another's
/// ciphertexts and proofs to duplicate their vote). An exact copy of a cast ballot, resubmitted,
/// is still valid and byte-identical, with the same nullifier and tracking code: making the
/// resubmission idempotent is the board's job (it keys entries by nullifier and returns the
/// original receipt), not the ballot verifier's, which is a pure function of the ballot. The
/// same ciphertexts and proofs under another voter's nullifier and eligibility proof are
/// refused, even when that voter re-signs the copied body with their own credential (B6: the
/// selection proofs are bound to the original nullifier).
#[test]
fn case_09_replay_and_ballot_copying() {
    let fx = leadership(2, 0x9009);
    let e = &fx.election;
    let alice = cast(&fx, 0, ONLINE, SUNAK, 1);
    let bob = cast(&fx, 1, ONLINE, TRUSS, 2);

    let copy = Ballot::decode(&alice.encode()).unwrap();
    assert_eq!(copy, alice);
    assert_eq!(copy.encode(), alice.encode());
    assert_eq!(copy.nullifier, alice.nullifier);
    assert_eq!(copy.tracking_code(), alice.tracking_code());
    assert_eq!(copy.verify(e), Ok(()));
    assert_eq!(alice.verify(e), Ok(()));

    // Bob's nullifier and eligibility proof on Alice's ciphertexts and proofs.
    let transplanted = Ballot {
        nullifier: bob.nullifier,
        eligibility: bob.eligibility.clone(),
        ..alice.clone()
    };
    assert!(transplanted.verify(e).is_err());
    // Bob re-signs the copied body under his own nullifier: only the binding of the selection
    // proofs to the nullifier stops him.
    let copied = resign(
        &fx,
        &fx.secrets[1],
        Ballot {
            nullifier: bob.nullifier,
            ..alice.clone()
        },
    );
    assert_eq!(
        copied.verify(e),
        Err(BallotError::Selection {
            contest: 0,
            option: 0,
            source: ProofError::Invalid
        })
    );
    // Bob keeps Alice's nullifier and signs with his own credential.
    let impersonating = resign(&fx, &fx.secrets[1], alice.clone());
    assert_eq!(
        impersonating.verify(e),
        Err(BallotError::Eligibility(ProofError::Invalid))
    );
}

// =============================================================================================
// Case 10
// =============================================================================================

/// Case 10, malleability by re-randomisation (a re-encrypted ballot is a new ballot with the same
/// vote, usable to copy a vote without recognising it): each ciphertext of a cast ballot is
/// re-randomised by adding `Enc(0; r′)`, with offsets that cancel in the contest sum (so the
/// homomorphic sum is unchanged), the original proofs kept and the ballot re-signed; it is
/// refused by B6, and the contest-sum proof alone refuses it too. Re-randomising without
/// re-signing is refused as well.
#[test]
fn case_10_rerandomised_ballot() {
    let fx = leadership(1, 0x1010);
    let e = &fx.election;
    let ballot = cast(&fx, 0, ONLINE, TRUSS, 1);
    let t = random_scalar(&mut rng(100));
    let shift = |c: &Ciphertext, r: Scalar| {
        let z = e.key().encrypt(&Scalar::ZERO, &r);
        Ciphertext {
            a: Element::from_point(c.a.point() + z.a.point()).unwrap(),
            b: Element::from_point(c.b.point() + z.b.point()).unwrap(),
        }
    };
    let mut contests = ballot.contests.clone();
    let sels = &mut contests[0].selections;
    sels[0].ciphertext = shift(&sels[0].ciphertext, t);
    sels[1].ciphertext = shift(&sels[1].ciphertext, -t);
    // The homomorphic sum is unchanged; the sum proof absorbs every ciphertext, not only their
    // sum, so it refuses the re-randomised ones too.
    let cts: Vec<Ciphertext> = sels.iter().map(|s| s.ciphertext).collect();
    assert_eq!(
        Ciphertext::sum(&cts),
        Ciphertext::sum(ballot.contests[0].selections.iter().map(|s| &s.ciphertext))
    );
    assert_eq!(
        contests[0].sum_proof.verify(
            &RangeStatement {
                key: e.key(),
                ciphertexts: &cts,
                low: 1,
                high: 1
            },
            &mut contest_sum_transcript(e, &ballot.nullifier, 0)
        ),
        Err(ProofError::Invalid)
    );
    let rerandomised = Ballot {
        contests,
        ..ballot.clone()
    };
    assert!(rerandomised.verify(e).is_err());
    let resigned = resign(&fx, &fx.secrets[0], rerandomised);
    assert_eq!(
        resigned.verify(e),
        Err(BallotError::Selection {
            contest: 0,
            option: 0,
            source: ProofError::Invalid
        })
    );
}

// =============================================================================================
// Case 11
// =============================================================================================

/// Case 11, index binding (a proof valid for option j reused for option k): in an election with
/// two contests, a voter swaps the two selections of one contest, or swaps the two contests
/// whole (both are "exactly one of two", so every proof would still hold without the indices in
/// the transcripts), and re-signs; each is refused by B6 naming contest 0, option 0.
#[test]
fn case_11_selection_moved_to_another_option_or_contest() {
    let authority = authority_key(11);
    let fx = fixture_with(two_contests(&authority), 1, 0x1111, authority);
    let e = &fx.election;
    let ballot = cast_with(&fx, 0, ONLINE, &[vec![1, 0], vec![0, 1]], &mut rng(1));
    assert_eq!(ballot.verify(e), Ok(()));

    let mut options_swapped = ballot.contests.clone();
    options_swapped[0].selections.swap(0, 1);
    let mut contests_swapped = ballot.contests.clone();
    contests_swapped.swap(0, 1);
    let mut one_moved = ballot.contests.clone();
    one_moved[0].selections[0] = ballot.contests[1].selections[1].clone();
    for (what, contests) in [
        ("options swapped", options_swapped),
        ("contests swapped", contests_swapped),
        ("selection moved from contest 1", one_moved),
    ] {
        let moved = resign(
            &fx,
            &fx.secrets[0],
            Ballot {
                contests,
                ..ballot.clone()
            },
        );
        assert_eq!(
            moved.verify(e),
            Err(BallotError::Selection {
                contest: 0,
                option: 0,
                source: ProofError::Invalid
            }),
            "{what}"
        );
    }
}

// =============================================================================================
// Case 12
// =============================================================================================

/// Case 12, cross-election replay: a valid ballot of election A posted to election B (same
/// manifest, roll and voters; B differs by its key ceremony, or by its election key) is refused
/// by B2 (`WrongElection`); relabelled with B's base hash and re-signed in B by the same voter
/// (keeping its nullifier, or with the voter's nullifier in B), it is refused by B6, because
/// every proof transcript starts with A's base hash.
#[test]
fn case_12_cross_election_replay() {
    let fx = leadership(1, 0x1212);
    let a = &fx.election;
    let ballot = cast(&fx, 0, ONLINE, TRUSS, 1);
    let other_ceremony = Election::new(
        a.manifest().clone(),
        a.key().clone(),
        CeremonyDigest([1; 32]),
        a.roll().clone(),
    );
    let other_key = Election::new(
        a.manifest().clone(),
        ElectionKey::new(element(Scalar::from(0xbeef_u64))),
        CeremonyDigest([0; 32]),
        a.roll().clone(),
    );
    for b in [&other_ceremony, &other_key] {
        assert_ne!(b.base_hash(), a.base_hash());
        assert_eq!(ballot.verify(b), Err(BallotError::WrongElection));
        // Relabelled and re-signed, keeping every proof input but the base hash: only the base
        // hash at the start of each transcript can make B6 fail (B8 would fail later anyway).
        let relabelled = Ballot {
            election: *b.base_hash(),
            ..ballot.clone()
        };
        let replayed = resign_in(b, &fx.authority, &fx.secrets[0], relabelled.clone());
        assert_eq!(
            replayed.verify(b),
            Err(BallotError::Selection {
                contest: 0,
                option: 0,
                source: ProofError::Invalid
            })
        );
        // The same under the nullifier the voter has in B.
        let renamed = Ballot {
            nullifier: Nullifier::derive(&fx.secrets[0], b),
            ..relabelled
        };
        let replayed = resign_in(b, &fx.authority, &fx.secrets[0], renamed);
        assert_eq!(
            replayed.verify(b),
            Err(BallotError::Selection {
                contest: 0,
                option: 0,
                source: ProofError::Invalid
            })
        );
    }
}

// =============================================================================================
// Case 13
// =============================================================================================

/// Case 13, nullifier soundness (a nullifier not tied to the credential lets one voter cast
/// under many nullifiers): a voter builds a complete ballot, every range proof honestly made
/// under the fake nullifier, with N replaced by N + G, by x·G (another base), or by x·H_B (the
/// base of another election), and signs it with the credential's DLEQ proof; each is refused by
/// B8. The DLEQ proof for the false statement does not verify either. No API takes a base:
/// `Nullifier::derive` takes only the credential and the election (checked at compile time
/// below), and `H_E` is a function of the base hash alone.
#[test]
fn case_13_nullifier_replaced_or_made_with_another_base() {
    let fx = leadership(1, 0x1313);
    let e = &fx.election;
    let secret = &fx.secrets[0];
    let template = cast(&fx, 0, ONLINE, TRUSS, 1);
    let n = Nullifier::derive(secret, e);
    let build = |nullifier: Nullifier, seed: u64| {
        let contests = honest_contests(e, &nullifier, &[TRUSS.to_vec()], &mut rng(seed));
        resign(
            &fx,
            secret,
            Ballot {
                nullifier,
                contests,
                ..template.clone()
            },
        )
    };
    // Sanity: the builder with the true nullifier makes a valid ballot.
    assert_eq!(build(n, 1).verify(e), Ok(()));

    let other = Election::new(
        e.manifest().clone(),
        e.key().clone(),
        CeremonyDigest([9; 32]),
        e.roll().clone(),
    );
    let fakes = [
        ("N + G", n.element().point() + RISTRETTO_BASEPOINT_POINT),
        ("x·G", RistrettoPoint::mul_base(secret.expose())),
        (
            "x·H_B",
            *Nullifier::derive(secret, &other).element().point(),
        ),
    ];
    for (what, point) in fakes {
        let fake = Nullifier::decode(point.compress().as_bytes()).unwrap();
        assert_ne!(fake, n);
        let forged = build(fake, 2);
        assert_eq!(
            forged.verify(e),
            Err(BallotError::Eligibility(ProofError::Invalid)),
            "{what}"
        );
        let statement = DleqStatement {
            base1: Element::generator(),
            public1: *secret.public().element(),
            base2: *e.nullifier_base(),
            public2: *fake.element(),
        };
        let proof = DleqProof::prove(
            &SecretScalar::new(*secret.expose()),
            &statement,
            &mut eligibility_transcript(e, b"body"),
            &mut rng(3),
        );
        assert_eq!(
            proof.verify(&statement, &mut eligibility_transcript(e, b"body")),
            Err(ProofError::Invalid),
            "{what}"
        );
    }

    // No caller-chosen base: the signature of the only constructor, and H_E fixed by the
    // election's public data.
    let _derive: fn(&CredentialSecret, &Election) -> Nullifier = Nullifier::derive;
    let again = Election::new(
        e.manifest().clone(),
        e.key().clone(),
        CeremonyDigest([0; 32]),
        e.roll().clone(),
    );
    assert_eq!(again.nullifier_base(), e.nullifier_base());
    assert_ne!(other.nullifier_base(), e.nullifier_base());
}

// =============================================================================================
// Case 14
// =============================================================================================

/// Case 14, detached-proof hijack (the Zerocoin "burn": a valid (serial, proof) taken from one
/// transaction and attached to another): the nullifier and eligibility proof of Alice's ballot X
/// attached to Bob's ballot Y, first as is, then with Y's body rebuilt by Bob under Alice's
/// nullifier (every range proof valid for it), so that Alice's ballot would be superseded by
/// Bob's choice; and Alice's eligibility proof moved to another of her own ballots. Each is
/// refused, the rebuilt ones by B8, because the eligibility transcript absorbs the whole body.
#[test]
fn case_14_detached_nullifier_proof() {
    let fx = leadership(2, 0x1414);
    let e = &fx.election;
    let x = cast(&fx, 0, ONLINE, SUNAK, 1);
    let y = cast(&fx, 1, ONLINE, TRUSS, 2);

    let attached = Ballot {
        nullifier: x.nullifier,
        eligibility: x.eligibility.clone(),
        ..y.clone()
    };
    assert!(attached.verify(e).is_err());

    let rebuilt = Ballot {
        nullifier: x.nullifier,
        contests: honest_contests(e, &x.nullifier, &[TRUSS.to_vec()], &mut rng(3)),
        eligibility: x.eligibility.clone(),
        ..y.clone()
    };
    assert_eq!(
        rebuilt.verify(e),
        Err(BallotError::Eligibility(ProofError::Invalid))
    );

    let x2 = cast(&fx, 0, ONLINE, TRUSS, 4);
    assert_eq!(x2.nullifier, x.nullifier);
    let moved = Ballot {
        eligibility: x.eligibility.clone(),
        ..x2.clone()
    };
    assert_eq!(
        moved.verify(e),
        Err(BallotError::Eligibility(ProofError::Invalid))
    );
}

// =============================================================================================
// Case 15
// =============================================================================================

/// Case 15, nullifier uniqueness (if one credential could yield two nullifiers, one voter could
/// cast two counted ballots): one credential through every honest path (online and postal
/// ballots, different choices, RNG seeds and a stuck RNG; the binary and JSON round trips; the
/// credential code re-typed in lower case, without dashes, with spaces; `Nullifier::derive`
/// directly) gives byte-identical nullifiers, and another member's differs.
#[test]
fn case_15_one_credential_one_nullifier_on_every_path() {
    let fx = leadership(2, 0x1515);
    let e = &fx.election;
    let expected = Nullifier::derive(&fx.secrets[0], e).encode();
    let mut seen = Vec::new();
    for seed in 0..6u64 {
        let channel = if seed % 2 == 0 { ONLINE } else { POSTAL };
        let vote = if seed % 3 == 0 { TRUSS } else { SUNAK };
        seen.push(cast(&fx, 0, channel, vote, seed));
    }
    seen.push(cast_with(&fx, 0, ONLINE, &[TRUSS.to_vec()], &mut ZeroRng));
    seen.push(cast_with(&fx, 0, POSTAL, &[SUNAK.to_vec()], &mut ZeroRng));
    let mut nullifiers: Vec<Vec<u8>> = Vec::new();
    for ballot in &seen {
        assert_eq!(ballot.verify(e), Ok(()));
        nullifiers.push(ballot.nullifier.encode());
        nullifiers.push(Ballot::decode(&ballot.encode()).unwrap().nullifier.encode());
        let json = serde_json::to_string(ballot).unwrap();
        nullifiers.push(
            serde_json::from_str::<Ballot>(&json)
                .unwrap()
                .nullifier
                .encode(),
        );
        nullifiers.push(
            Nullifier::decode(&ballot.nullifier.encode())
                .unwrap()
                .encode(),
        );
    }
    let code = &fx.codes[0];
    for typed in [
        code.clone(),
        code.to_lowercase(),
        code.replace('-', ""),
        code.replace('-', " "),
    ] {
        let parsed = CredentialCode::parse(&typed).unwrap();
        let secret = CredentialSecret::derive(&parsed, e.manifest().election_id());
        nullifiers.push(Nullifier::derive(&secret, e).encode());
    }
    for n in &nullifiers {
        assert_eq!(n, &expected);
    }
    assert_ne!(Nullifier::derive(&fx.secrets[1], e).encode(), expected);
}

// =============================================================================================
// Case 16
// =============================================================================================

/// Case 16, shared credentials (two members with one credential share one nullifier, and one can
/// erase the other's vote): a roll with a duplicate entry is refused by `Roll::new`, by
/// `Roll::from_bytes` and by JSON, naming both indices; two codes drawn from a registrar's RNG
/// stuck at zero are the same code and their roll is refused; an identity entry is refused
/// (it cannot even be a `PublicCredential`).
#[test]
fn case_16_roll_with_duplicate_or_identity() {
    let fx = leadership(3, 0x1616);
    let entries: Vec<PublicCredential> = fx.election.roll().entries().to_vec();
    assert_eq!(entries.len(), 3);
    let mut duplicated = entries.clone();
    duplicated.push(entries[1]);
    let expected = RollError::Duplicate {
        first: 1,
        second: 3,
    };
    assert_eq!(Roll::new(duplicated.clone()).unwrap_err(), expected);
    let mut bytes = Roll::new(entries.clone()).unwrap().to_bytes();
    bytes[5..9].copy_from_slice(&4u32.to_be_bytes());
    bytes.extend_from_slice(&entries[1].encode());
    assert_eq!(Roll::from_bytes(&bytes).unwrap_err(), expected);
    assert!(serde_json::from_str::<Roll>(&serde_json::to_string(&duplicated).unwrap()).is_err());

    let stuck: Vec<PublicCredential> = (0..2)
        .map(|_| {
            let code = CredentialCode::generate(&mut ZeroRng);
            CredentialSecret::derive(&code, "e").public()
        })
        .collect();
    assert_eq!(
        Roll::new(stuck).unwrap_err(),
        RollError::Duplicate {
            first: 0,
            second: 1
        }
    );

    let mut with_identity = Roll::new(entries).unwrap().to_bytes();
    with_identity[Roll::HEADER_LEN + 64..Roll::HEADER_LEN + 96].fill(0);
    assert!(matches!(
        Roll::from_bytes(&with_identity),
        Err(RollError::Entry {
            index: 2,
            source: EncodingError::IdentityPoint { .. }
        })
    ));
}

// =============================================================================================
// Case 17
// =============================================================================================

/// Case 17, linkability and id normalisation: one credential code in elections A and B gives
/// different nullifiers (and different credential secrets when the ids differ), so ballots are
/// unlinkable across elections; election ids that differ only in whitespace (`"a b"`,
/// `"a  b"`, `"a\u{a0}b"`) or Unicode normalisation (`"café"` in NFC and NFD) are different
/// elections: different credential secrets, manifest digests, base hashes and nullifiers. Ids
/// are compared strictly: leading or trailing whitespace is refused rather than trimmed.
#[test]
fn case_17_elections_and_ids_differing_only_in_form() {
    let authority = authority_key(17);
    let code = CredentialCode::generate(&mut rng(0x1717));
    let ids = [
        "board-2024 a b",
        "board-2024 a  b",
        "board-2024 a\u{a0}b",
        "caf\u{e9}-2024",
        "cafe\u{301}-2024",
        "uk-conservative-leadership-2022",
    ];
    let mut publics = HashSet::new();
    let mut nullifiers = HashSet::new();
    let mut base_hashes = HashSet::new();
    let mut digests = HashSet::new();
    for id in ids {
        let manifest = leadership_named(id, &authority);
        assert_eq!(manifest.election_id(), id, "stored byte for byte");
        digests.insert(manifest.digest());
        let secret = CredentialSecret::derive(&code, id);
        let roll = Roll::new(vec![secret.public()]).unwrap();
        let election = Election::new(manifest, election_key(), CeremonyDigest([0; 32]), roll);
        base_hashes.insert(*election.base_hash());
        let n = Nullifier::derive(&secret, &election);
        let ballot = prepare(&election, ONLINE, &secret, &[TRUSS.to_vec()], &mut rng(1))
            .unwrap()
            .cast();
        assert_eq!(ballot.nullifier, n);
        publics.insert(secret.public());
        nullifiers.insert(n);
    }
    assert_eq!(publics.len(), ids.len());
    assert_eq!(nullifiers.len(), ids.len());
    assert_eq!(base_hashes.len(), ids.len());
    assert_eq!(digests.len(), ids.len());

    // The same id and credential in two elections (two key ceremonies): same X, another N.
    let manifest = leadership_named(ids[0], &authority);
    let secret = CredentialSecret::derive(&code, ids[0]);
    let roll = Roll::new(vec![secret.public()]).unwrap();
    let a = Election::new(
        manifest.clone(),
        election_key(),
        CeremonyDigest([1; 32]),
        roll.clone(),
    );
    let b = Election::new(manifest, election_key(), CeremonyDigest([2; 32]), roll);
    assert_ne!(
        Nullifier::derive(&secret, &a),
        Nullifier::derive(&secret, &b)
    );

    for padded in [" board-2024", "board-2024 ", "board-2024\u{a0}"] {
        let base = leadership_manifest(&authority);
        assert_eq!(
            Manifest::new(
                padded,
                base.contests().to_vec(),
                base.channels().to_vec(),
                base.trustees(),
                base.authorities()
            )
            .unwrap_err(),
            ManifestError::ElectionIdWhitespace,
            "{padded:?}"
        );
    }
}

// =============================================================================================
// Case 18
// =============================================================================================

/// Case 18, truncation grinding and clash attacks (a comparison on a prefix lets an attacker grind
/// a second value that collides with a victim's; two voters shown the same short code): two
/// valid nullifiers whose encodings agree on their first 31 bytes (ground by decoding candidate
/// encodings, which needs no discrete logarithm), and two multiples k·G that share a prefix,
/// are unequal under `Eq`, `Ord` and `Hash` and both counted in hash and ordered sets; the same
/// points as credentials both enter a roll. Two tracking codes equal in all but their last byte
/// (so in the shown 8-character prefix) are different codes, and a tracking code prints in full.
#[test]
fn case_18_uniqueness_on_all_32_bytes() {
    // Candidates agreeing on 31 bytes, differing in the last: about one in eight decodes.
    let mut r = rng(0x1818);
    let mut prefix = [0u8; 32];
    r.fill_bytes(&mut prefix);
    prefix[0] &= 0xfe; // non-negative
    let grind: Vec<[u8; 32]> = (0u8..0x80)
        .map(|last| {
            let mut b = prefix;
            b[31] = last;
            b
        })
        .filter(|b| Nullifier::decode(b).is_ok())
        .collect();
    assert!(grind.len() >= 2, "two valid encodings sharing 31 bytes");

    // And, as the most natural grind, two multiples of G sharing a 2-byte prefix.
    let mut seen: HashMap<[u8; 2], [u8; 32]> = HashMap::new();
    let mut p = RistrettoPoint::identity();
    let multiples = (1..100_000)
        .find_map(|_| {
            p += RISTRETTO_BASEPOINT_POINT;
            let bytes = p.compress().to_bytes();
            match seen.insert([bytes[0], bytes[1]], bytes) {
                Some(first) if first != bytes => Some((first, bytes)),
                _ => None,
            }
        })
        .expect("a 2-byte prefix collision among 100000 multiples");

    for (a, b) in [(grind[0], grind[1]), multiples] {
        assert_ne!(a, b);
        let n1 = Nullifier::decode(&a).unwrap();
        let n2 = Nullifier::decode(&b).unwrap();
        assert_ne!(n1, n2);
        assert_ne!(n1.cmp(&n2), core::cmp::Ordering::Equal);
        assert_eq!(HashSet::from([n1, n2]).len(), 2);
        assert_eq!(BTreeSet::from([n1, n2]).len(), 2);
        let e1 = Element::from_bytes(&a).unwrap();
        let e2 = Element::from_bytes(&b).unwrap();
        assert_eq!(HashSet::from([e1, e2]).len(), 2);
        let roll = Roll::new(vec![PublicCredential::new(e1), PublicCredential::new(e2)]).unwrap();
        assert_eq!(roll.position(&PublicCredential::new(e2)), Some(1));
    }

    let mut code = [0x42u8; 32];
    let first = TrackingCode(code);
    code[31] ^= 1;
    let second = TrackingCode(code);
    assert_ne!(first, second);
    assert_ne!(first.cmp(&second), core::cmp::Ordering::Equal);
    assert_eq!(HashSet::from([first, second]).len(), 2);
    assert_eq!(BTreeSet::from([first, second]).len(), 2);
    assert_ne!(first.to_string(), second.to_string());
    let (_, ballot, _, _) = postal_case();
    let shown = ballot.tracking_code().to_string().replace('-', "");
    assert_eq!(shown, hex::encode(ballot.tracking_code().0));
}

// =============================================================================================
// Case 28
// =============================================================================================

fn range_commitments(proof: &RangeProof) -> Vec<u8> {
    let bytes = proof.encode();
    bytes[2..2 + 64 * proof.branches()].to_vec()
}

/// Case 28, nonce reuse (a repeated nonce in a Schnorr-type proof reveals the secret; in ElGamal
/// it links and decrypts ciphertexts; the PS3 ECDSA break): with an RNG stuck at zero, ballots of
/// different voters, of one voter with different choices, and of one voter on different
/// channels have pairwise different ciphertexts (first components included, which depend only
/// on the nonce), range-proof commitments and DLEQ commitments; the two selections of one
/// ballot have different nonces; one authority countersigning two ballots uses two nonces; and
/// the proofs made directly through the proofs API with that RNG for different statements or
/// transcripts have different commitments. Everything made still verifies.
#[test]
fn case_28_stuck_rng() {
    let fx = leadership(2, 0x2828);
    let e = &fx.election;
    let ballots = [
        cast_with(&fx, 0, ONLINE, &[TRUSS.to_vec()], &mut ZeroRng),
        cast_with(&fx, 1, ONLINE, &[TRUSS.to_vec()], &mut ZeroRng),
        cast_with(&fx, 0, ONLINE, &[SUNAK.to_vec()], &mut ZeroRng),
        cast_with(&fx, 0, POSTAL, &[TRUSS.to_vec()], &mut ZeroRng),
        cast_with(&fx, 1, POSTAL, &[TRUSS.to_vec()], &mut ZeroRng),
    ];
    let mut first_components = HashSet::new();
    let mut commitments = HashSet::new();
    let mut dleq = HashSet::new();
    let mut schnorr = HashSet::new();
    for b in &ballots {
        assert_eq!(b.verify(e), Ok(()));
        for contest in &b.contests {
            for s in &contest.selections {
                assert!(
                    first_components.insert(s.ciphertext.a),
                    "ciphertext A reused"
                );
                assert!(
                    commitments.insert(range_commitments(&s.proof)),
                    "range commitments reused"
                );
            }
            assert!(commitments.insert(range_commitments(&contest.sum_proof)));
        }
        let elig = b.eligibility.encode();
        assert!(
            dleq.insert(elig[33..97].to_vec()),
            "DLEQ commitments reused"
        );
        if let Some(sig) = &b.countersignature {
            assert!(
                schnorr.insert(sig.encode()[..32].to_vec()),
                "countersignature nonce reused"
            );
        }
    }
    assert_eq!(first_components.len(), 10);
    assert_eq!(schnorr.len(), 2);

    // The proofs API with the stuck RNG.
    let key = e.key();
    let r = Scalar::from(12345u32);
    let cts = [
        key.encrypt(&Scalar::ONE, &r),
        key.encrypt(&Scalar::ZERO, &r),
    ];
    let (v0, v1) = (1u32, 0u32);
    let mut made = Vec::new();
    for (ct, v) in [(&cts[0], v0), (&cts[1], v1)] {
        for contest in [0u64, 1] {
            let statement = RangeStatement {
                key,
                ciphertexts: core::slice::from_ref(ct),
                low: 0,
                high: 1,
            };
            let n = Nullifier::derive(&fx.secrets[0], e);
            let proof = RangeProof::prove(
                &RangeWitness::new(v, &SecretScalar::new(r)),
                &statement,
                &mut selection_transcript(e, &n, contest, 0),
                &mut ZeroRng,
            )
            .unwrap();
            assert_eq!(
                proof.verify(&statement, &mut selection_transcript(e, &n, contest, 0)),
                Ok(())
            );
            made.push(range_commitments(&proof));
        }
    }
    assert_eq!(made.iter().collect::<HashSet<_>>().len(), made.len());

    let x = SecretScalar::new(Scalar::from(777u32));
    let public = element(*x.expose());
    let dleq_statement = DleqStatement {
        base1: Element::generator(),
        public1: public,
        base2: *e.nullifier_base(),
        public2: Element::from_point(e.nullifier_base().point() * x.expose()).unwrap(),
    };
    let schnorr_statement = SchnorrStatement { public };
    let mut dleq_r = HashSet::new();
    let mut schnorr_r = HashSet::new();
    for body in [&b"ballot one"[..], b"ballot two"] {
        let p = DleqProof::prove(
            &x,
            &dleq_statement,
            &mut eligibility_transcript(e, body),
            &mut ZeroRng,
        );
        assert_eq!(
            p.verify(&dleq_statement, &mut eligibility_transcript(e, body)),
            Ok(())
        );
        dleq_r.insert(p.encode()[..64].to_vec());
        let s = SchnorrProof::prove(
            &x,
            &schnorr_statement,
            &mut eligibility_transcript(e, body),
            &mut ZeroRng,
        );
        assert_eq!(
            s.verify(&schnorr_statement, &mut eligibility_transcript(e, body)),
            Ok(())
        );
        schnorr_r.insert(s.encode()[..32].to_vec());
    }
    assert_eq!(dleq_r.len(), 2);
    assert_eq!(schnorr_r.len(), 2);
}

// =============================================================================================
// Issue 17: the accountable board
// =============================================================================================

/// A small election with a real key ceremony, so that whole records can be published and
/// verified: the fixture (its election bound to the ceremony's key), the trustees' keys and the
/// ceremony's public part.
struct Accountable {
    fx: Fixture,
    keys: Vec<TrusteeKey>,
    ceremony: Ceremony,
}

fn accountable(voters: usize, seed: u64) -> Accountable {
    let authority = authority_key(seed);
    let manifest = leadership_manifest(&authority);
    let (keys, public, transcript) =
        run_ceremony(manifest.trustees(), &manifest, &mut rng(seed)).unwrap();
    let mut r = rng(seed + 1);
    let codes: Vec<CredentialCode> = (0..voters)
        .map(|_| CredentialCode::generate(&mut r))
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
    Accountable {
        fx: Fixture {
            election,
            codes: codes.iter().map(|c| c.expose().to_string()).collect(),
            secrets,
            authority,
        },
        keys,
        ceremony: Ceremony { transcript, public },
    }
}

/// The board's answer to a submission: the signed receipt of the entry it appended (the
/// ballot's, or its refusal entry's), and why it refused the submission, if it did.
#[derive(Clone, Debug)]
struct Answer {
    receipt: Option<Receipt>,
    refusal: Option<Refusal>,
}

impl Answer {
    /// The receipt of an admitted ballot.
    fn admitted(&self) -> Receipt {
        assert_eq!(self.refusal, None, "refused");
        self.receipt.expect("a receipt")
    }
}

/// What a board operator publishes for `ballots` submitted in this order to a live board: the
/// board's answers, then the administrator's closes, the tally, its decryption by trustees 1 to
/// 3 (fresh copies of their keys: a key decrypts one tally) and the record, with the board's
/// signature of its final head.
fn publish(a: &Accountable, ballots: &[Ballot]) -> (ElectionRecord, Vec<Answer>) {
    let election = &a.fx.election;
    let mut board = Board::new(election.clone(), signing_key(BOARD_SECRET)).unwrap();
    let answers = ballots
        .iter()
        .map(|b| match board.submit(b.clone()) {
            Ok(receipt) => Answer {
                receipt: Some(receipt),
                refusal: None,
            },
            Err(refused) => Answer {
                receipt: refused.receipt,
                refusal: Some(refused.refusal.clone()),
            },
        })
        .collect();
    let administrator = signing_key(ADMINISTRATOR_SECRET);
    for close in [
        Close::Channel(ONLINE),
        Close::Channel(POSTAL),
        Close::Voting,
    ] {
        board.close_as(&administrator, close).unwrap();
    }
    let tally = Tally::compute(election, board.entries(), board.cast()).unwrap();
    let aggregates = tally.flat_aggregates();
    let head = BoardHead::new(board.head(), board.entries().len() as u64);
    let shares: Vec<DecryptionShare> = a.keys[..3]
        .iter()
        .map(|k| {
            TrusteeKey::from_secret_bytes(&k.to_secret_bytes())
                .unwrap()
                .decrypt_share(election, &head, &aggregates, &mut rng(0x5a))
                .unwrap()
        })
        .collect();
    let decryption = combine(
        &a.ceremony.public,
        election,
        &head,
        &aggregates,
        &shares,
        tally.bound(election),
    )
    .unwrap();
    let result = ElectionResult::new(
        election.manifest(),
        decryption.values(),
        &tally.counts,
        decryption.used(),
    );
    let signature = board.final_signature().expect("voting is closed");
    let record = ElectionRecord::assemble(
        election,
        &board,
        signature,
        a.ceremony.clone(),
        tally,
        shares,
        result,
    );
    (record, answers)
}

/// The checks of a report that failed, with whether they ran.
fn failed_checks(report: &Report) -> Vec<(CheckId, bool)> {
    report.failed().map(|c| (c.id, c.ran)).collect()
}

/// `failing`, then V8–V11 not run (they need a valid board).
fn then_not_run(failing: &[(CheckId, bool)]) -> Vec<(CheckId, bool)> {
    let not_run = [
        (CheckId::V8, false),
        (CheckId::V9, false),
        (CheckId::V10, false),
        (CheckId::V11, false),
    ];
    failing.iter().chain(&not_run).copied().collect()
}

/// The failures of check `id`: (location, message).
fn failures(report: &Report, id: CheckId) -> Vec<(Location, String)> {
    report
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap()
        .failures
        .iter()
        .map(|f| (f.location.clone(), f.message.clone()))
        .collect()
}

/// A board operator (who holds the board's key) after changing the published board: re-links
/// it, re-signs every close with the administrator's key if `administrator` is given (the
/// administrator signs the closes of whatever board is put before them, or colludes), and
/// publishes the new head with the board's signature of it.
fn reseal(record: &mut ElectionRecord, election: &Election, administrator: Option<&AuthorityKey>) {
    let mut previous = EntryDigest::genesis(election.base_hash());
    for (i, entry) in record.board.iter_mut().enumerate() {
        entry.position = i as u64;
        entry.previous = previous;
        if let (Some(key), Some(close)) = (administrator, entry.payload.close()) {
            entry.payload = sign_close(key, election, entry.position, previous, close);
        }
        previous = entry.digest();
    }
    record.header.board_head = previous;
    record.header.board_entries = record.board.len() as u64;
    record.header.board_signature = signing_key(BOARD_SECRET).sign(
        election,
        &Statement::FinalHead {
            entries: record.header.board_entries,
            head: previous,
        },
    );
}

/// Issue 17 (a), a board that drops an admitted ballot after giving its signed receipt. The
/// live board admits six ballots and signs a receipt for each; the operator then publishes a
/// board without one of them (the administrator closes it, the trustees decrypt its tally as
/// they would any board's): every check of the record passes, since the record alone cannot
/// show what was never published. The voter's receipt can: it verifies under the manifest's
/// board key in this election, the record's final head is signed by the same key, and the
/// record's entry at the receipt's position is another entry (whose own receipt, for the same
/// position, proves the board equivocated). A board cut short after two ballots likewise
/// leaves the later receipts naming another entry or a position past its end.
#[test]
fn a_board_that_drops_an_admitted_ballot_is_convicted_by_its_signed_receipt() {
    let a = accountable(6, 0x17a);
    let election = &a.fx.election;
    let ballots: Vec<Ballot> = (0..6)
        .map(|v| {
            let channel = if v % 3 == 2 { POSTAL } else { ONLINE };
            let vote = if v % 2 == 0 { TRUSS } else { SUNAK };
            cast(&a.fx, v, channel, vote, 0x170 + v as u64)
        })
        .collect();
    let (honest, answers) = publish(&a, &ballots);
    assert!(verify(&honest, &Silent).passed());
    let receipts: Vec<Receipt> = answers.iter().map(Answer::admitted).collect();
    for (r, b) in receipts.iter().zip(&ballots) {
        assert_eq!(r.verify(election), Ok(()));
        assert_eq!(r.tracking_code, b.tracking_code());
        // Confirmed: the honest record holds the receipt's entry at its position.
        assert_eq!(honest.board[r.position as usize].digest(), r.entry);
    }

    // Ballot 1 dropped: a record that verifies.
    let mut without = ballots.clone();
    let gone = without.remove(1);
    let (dropped, published) = publish(&a, &without);
    let report = verify(&dropped, &Silent);
    assert!(report.passed(), "{:?}", failed_checks(&report));
    let receipt = receipts[1];
    assert_eq!(receipt.tracking_code, gone.tracking_code());
    // The evidence: the receipt and the record's final head, both the board's signatures...
    assert_eq!(receipt.verify(election), Ok(()));
    let final_head = Statement::FinalHead {
        entries: dropped.header.board_entries,
        head: dropped.header.board_head,
    };
    assert_eq!(
        dropped.header.board_signature.verify(
            election,
            &final_head,
            &dropped.manifest.authorities().board
        ),
        Ok(())
    );
    // ... that disagree: another entry at the receipt's position, the ballot nowhere.
    let at = &dropped.board[receipt.position as usize];
    assert_ne!(at.digest(), receipt.entry);
    assert!(!dropped.board.iter().any(
        |e| matches!(&e.payload, Payload::Ballot(b) if b.tracking_code() == receipt.tracking_code)
    ));
    // The board signed another entry for the same position: equivocation.
    let other = &published[1].admitted();
    assert_eq!(other.position, receipt.position);
    assert!(equivocation(election, &receipt, other));
    assert!(!equivocation(election, &receipt, &receipt));

    // Cut short after two ballots (then closed): every later receipt names another entry (a
    // close) or a position past the end of the record's board.
    let (cut, _) = publish(&a, &ballots[..2]);
    assert!(verify(&cut, &Silent).passed());
    let mut past_the_end = 0;
    for r in &receipts[2..] {
        assert_eq!(r.verify(election), Ok(()));
        match cut.board.get(r.position as usize) {
            None => past_the_end += 1,
            Some(e) => assert_ne!(e.digest(), r.entry, "position {}", r.position),
        }
    }
    assert_eq!(cut.board.len(), 5);
    assert_eq!(past_the_end, 1);
}

/// Issue 17 (b), a record whose `record.json` carries a final-head signature that is not the
/// board's of this record's head in this election: the board's signature of the same entry
/// count and head in another election (another ceremony), another election's record's
/// signature, the board's signature of another head of this board (before the close of
/// voting) or of another entry count, and the administrator's signature of the right
/// statement. Each fails V4 at `record.json board_signature`, and nothing else fails.
#[test]
fn a_final_head_signature_of_another_election_or_head_fails_v4() {
    let a = accountable(4, 0x17b);
    let election = &a.fx.election;
    let ballots: Vec<Ballot> = (0..4)
        .map(|v| cast(&a.fx, v, ONLINE, TRUSS, 0x171 + v as u64))
        .collect();
    let (honest, _) = publish(&a, &ballots);
    assert!(verify(&honest, &Silent).passed());
    let (n, head) = (honest.header.board_entries, honest.header.board_head);
    let board = signing_key(BOARD_SECRET);
    let final_head = |entries, head| Statement::FinalHead { entries, head };

    let elsewhere = Election::new(
        election.manifest().clone(),
        a.ceremony.public.election_key(),
        CeremonyDigest([9; 32]),
        election.roll().clone(),
    );
    let other_record = simulate(
        &Scenario {
            voters: 6,
            seed: 0x17b,
            absent: vec![],
            bad_share: None,
        },
        &Silent,
    )
    .unwrap()
    .record;
    assert_ne!(other_record.header.base_hash, honest.header.base_hash);
    let before_close = honest.board[n as usize - 2].digest();
    let signatures = [
        (
            "the same head, in another election",
            board.sign(&elsewhere, &final_head(n, head)),
        ),
        (
            "another election's record",
            other_record.header.board_signature,
        ),
        (
            "the head before the close of voting",
            board.sign(election, &final_head(n - 1, before_close)),
        ),
        (
            "another entry count",
            board.sign(election, &final_head(n + 1, head)),
        ),
        (
            "the administrator's",
            signing_key(ADMINISTRATOR_SECRET).sign(election, &final_head(n, head)),
        ),
    ];
    for (what, signature) in signatures {
        assert_ne!(signature, honest.header.board_signature, "{what}");
        let mut forged = honest.clone();
        forged.header.board_signature = signature;
        let report = verify(&forged, &Silent);
        assert_eq!(failed_checks(&report), [(CheckId::V4, true)], "{what}");
        let v4 = failures(&report, CheckId::V4);
        assert_eq!(v4.len(), 1, "{what}");
        assert_eq!(
            v4[0].0,
            Location::File {
                file: "record.json",
                field: Some("board_signature")
            },
            "{what}"
        );
        assert!(report.result.is_none(), "{what}");
    }
}

/// Issue 17 (c), a refusal entry with a false reason in a published record. Member 0 votes by
/// post, then online: the online ballot is refused, an entry of the chain naming the postal
/// ballot for precedence. The operator writes another reason instead (before the closes, so
/// that the administrator's closes and the board's final head are signed over it): another
/// entry or another rule for precedence, a phase reason while the channel is open, a reuse of
/// a ciphertext or of a challenge the record does not show, another voter's nullifier (whom
/// precedence does not refuse), or a challenge superseded. V7 replays each refusal entry
/// against the state at its position and fails at that entry, naming what does not hold.
#[test]
fn a_refusal_entry_with_a_false_reason_fails_v7() {
    let a = accountable(4, 0x17c);
    let election = &a.fx.election;
    let ballots = [
        cast(&a.fx, 0, POSTAL, SUNAK, 1),
        cast(&a.fx, 1, ONLINE, TRUSS, 2),
        cast(&a.fx, 0, ONLINE, TRUSS, 3),
        cast(&a.fx, 2, ONLINE, SUNAK, 4),
    ];
    let (honest, answers) = publish(&a, &ballots);
    assert!(verify(&honest, &Silent).passed());
    let Answer { receipt, refusal } = answers[2].clone();
    assert_eq!(
        refusal,
        Some(Refusal::Superseded {
            by: 0,
            reason: Reason::Precedence
        })
    );
    let p = receipt.expect("an entry").position as usize;
    assert_eq!(p, 2);
    let Payload::Refused(entry) = &honest.board[p].payload else {
        panic!("entry {p} is not the refusal")
    };
    assert_eq!(
        entry.reason,
        RefusalCode::Superseded {
            by: 0,
            reason: Reason::Precedence
        }
    );
    let stranger = Nullifier::derive(&a.fx.secrets[2], election);
    // A ciphertext component of the refused ballot itself: a reuse refusal names one.
    let own = ballots[2].contests[0].selections[0].ciphertext.a;

    type Lie = Box<dyn Fn(&mut RefusalEntry)>;
    let superseded = |by, reason| RefusalCode::Superseded { by, reason };
    let lies: Vec<(&str, Lie)> = vec![
        (
            "precedence names entry 0 (channel precedence), not entry 1 (channel precedence)",
            Box::new(move |r| r.reason = superseded(1, Reason::Precedence)),
        ),
        (
            "precedence names entry 0 (channel precedence), not entry 0 (last wins)",
            Box::new(move |r| r.reason = superseded(0, Reason::LastWins)),
        ),
        (
            "channel 0 (online) is open at this point",
            Box::new(|r| r.reason = RefusalCode::VotingClosed),
        ),
        (
            "channel 0 (online) is open at this point",
            Box::new(|r| r.reason = RefusalCode::ChannelClosed),
        ),
        (
            "the component named is not a ciphertext of the cast ballot at entry 1",
            Box::new(move |r| {
                r.reason = RefusalCode::CiphertextReused { position: 1 };
                r.component = Some(own);
            }),
        ),
        (
            "no ciphertext of the refused ballot named here is the challenge's at entry 1",
            Box::new(move |r| {
                r.reason = RefusalCode::Spoiled { position: 1 };
                r.component = Some(own);
            }),
        ),
        (
            "precedence does not refuse this voter's ballot on channel 0 (online)",
            Box::new(move |r| r.nullifier = Some(stranger)),
        ),
        (
            "a challenge is never superseded",
            Box::new(|r| {
                r.submission = Submission::Challenge;
                r.nullifier = None;
            }),
        ),
    ];
    let administrator = signing_key(ADMINISTRATOR_SECRET);
    for (why, lie) in lies {
        let mut forged = honest.clone();
        let Payload::Refused(r) = &mut forged.board[p].payload else {
            unreachable!()
        };
        lie(r);
        reseal(&mut forged, election, Some(&administrator));
        let report = verify(&forged, &Silent);
        assert_eq!(
            failed_checks(&report),
            then_not_run(&[(CheckId::V7, true)]),
            "{why}"
        );
        assert_eq!(
            failures(&report, CheckId::V7),
            [(
                Location::BoardEntry(p as u64),
                format!("the refusal's reason does not hold: {why}")
            )]
        );
    }
}

/// Issue 17 (d), finding 22.5: a prefix of a real board with the real closes re-attached (the
/// board's operator cuts the board short, re-links the administrator's three closes after the
/// prefix and signs the new final head with the board's key). Each close is the
/// administrator's signature for its old position and previous head, so every re-attached
/// close fails V7; the record is not a record of a closed vote. (Without the closes the prefix
/// fails V4: it does not end with the close of voting.)
#[test]
fn a_prefix_with_the_real_closes_reattached_fails_v7() {
    let a = accountable(5, 0x17d);
    let election = &a.fx.election;
    let ballots: Vec<Ballot> = (0..5)
        .map(|v| cast(&a.fx, v, ONLINE, SUNAK, 0x172 + v as u64))
        .collect();
    let (honest, _) = publish(&a, &ballots);
    assert!(verify(&honest, &Silent).passed());
    let n = honest.board.len();
    let closes = honest.board[n - 3..].to_vec();
    assert!(closes.iter().all(|e| e.payload.close().is_some()));
    let unauthorised =
        "the close is not signed by the administrator for this position of the board".to_owned();
    for k in [0, 1, 4] {
        let mut prefix = honest.clone();
        prefix.board.truncate(k);
        prefix.board.extend(closes.iter().cloned());
        reseal(&mut prefix, election, None);
        let report = verify(&prefix, &Silent);
        assert_eq!(
            failed_checks(&report),
            then_not_run(&[(CheckId::V7, true)]),
            "prefix {k}"
        );
        let expected: Vec<(Location, String)> = (k..k + 3)
            .map(|p| (Location::BoardEntry(p as u64), unauthorised.clone()))
            .collect();
        assert_eq!(failures(&report, CheckId::V7), expected, "prefix {k}");
    }
    // The prefix alone, its head signed by the board: not a closed vote.
    let mut open = honest.clone();
    open.board.truncate(4);
    reseal(&mut open, election, None);
    let report = verify(&open, &Silent);
    assert!(
        failures(&report, CheckId::V4)
            .iter()
            .any(|(at, why)| *at == Location::BoardEntry(3)
                && why.contains("does not end with the close of voting")),
        "{:?}",
        failures(&report, CheckId::V4)
    );
}
