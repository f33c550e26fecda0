//! Known-answer tests: the vectors of `spec/vectors/` (written by
//! `cargo run --release --example vectors -- spec/vectors`) checked against the library, through
//! its public API only, and against `spec/reference.rs`, an independent reading of
//! `spec/protocol.md` that uses merlin, curve25519-dalek and sha2 but no nullivote code.
//!
//! Every deterministic value is recomputed and compared byte for byte; every ballot is decoded
//! and verified and its check (B1–B9) compared. A missing or empty vector directory fails.

#[allow(dead_code)]
#[path = "../spec/reference.rs"]
mod reference;

use nullivote::board::EntryDigest;
use nullivote::trustee::CeremonyDigest;
use std::collections::BTreeSet;
use std::path::PathBuf;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use nullivote::Election;
use nullivote::Element;
use nullivote::ballot::{
    Ballot, BallotError, ChallengedBallot, Opening, SpoiledBallot, prepare, verify_batch,
};
use nullivote::credential::{CredentialCode, CredentialSecret, PublicCredential, Roll};
use nullivote::hazmat::DiscreteLog;
use nullivote::hazmat::SecretScalar;
use nullivote::hazmat::Wire;
use nullivote::hazmat::proofs::Msm;
use nullivote::hazmat::{Ciphertext, ElectionKey};
use nullivote::hazmat::{transcript::election_transcript, transcript::purpose};
use nullivote::manifest::ChannelIndex;
use nullivote::manifest::{Authorities, Manifest};
use nullivote::{
    AuthorityKey,
    board::{
        Close, Entry, Payload, Receipt, RefusalEntry, Signature, Statement, check_close, sign_close,
    },
};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The files the generator writes; each must be present.
const FILES: [&str; 7] = [
    "hash_to_group.json",
    "transcript.json",
    "credential.json",
    "manifest.json",
    "elgamal.json",
    "ballot.json",
    "board.json",
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("spec/vectors")
}

fn load(name: &str) -> Value {
    let path = dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "missing vector file {} ({e}); run `cargo run --release --example vectors -- spec/vectors`",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap_or_else(|| panic!("not a string: {v}")))
        .unwrap_or_else(|e| panic!("not hex: {v}: {e}"))
}

fn array32(v: &Value) -> [u8; 32] {
    bytes(v).try_into().expect("32 bytes")
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn uint(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn list(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

fn h(b: impl AsRef<[u8]>) -> String {
    hex::encode(b)
}

fn key_of(secret: u64) -> Element {
    Element::from_point(RistrettoPoint::mul_base(&Scalar::from(secret))).unwrap()
}

/// The board's and the administrator's keys a vector file names (`board_key`,
/// `administrator_key`), each checked against its test-only secret; and the leadership
/// manifest with `authority` for its postal intake.
fn authorities_of(v: &Value) -> Authorities {
    let board = key_of(uint(&v["board_secret_u64_test_only_secret"]));
    assert_eq!(h(board.as_bytes()), text(&v["board_key"]));
    let administrator = key_of(uint(&v["administrator_secret_u64_test_only_secret"]));
    assert_eq!(h(administrator.as_bytes()), text(&v["administrator_key"]));
    Authorities {
        board,
        administrator,
    }
}

fn signing_key_of(secret: &Value) -> AuthorityKey {
    AuthorityKey::from_secret(SecretScalar::new(Scalar::from(uint(secret)))).unwrap()
}

#[test]
fn the_vector_directory_holds_every_file() {
    let entries: Vec<_> = std::fs::read_dir(dir())
        .unwrap_or_else(|e| panic!("{}: {e}", dir().display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    assert!(
        !entries.is_empty(),
        "{} has no vectors: run `cargo run --release --example vectors -- spec/vectors`",
        dir().display()
    );
    for name in FILES {
        let v = load(name);
        assert!(
            v.is_object() && !v.as_object().unwrap().is_empty(),
            "{name} is empty"
        );
    }
}

/// An election rebuilt from a fixture's inputs (secrets, codes, ceremony digest), with every
/// published value of the fixture compared.
struct Fixture {
    election: Election,
    secrets: Vec<CredentialSecret>,
    authority: AuthorityKey,
    reference: reference::RefElection,
}

fn fixture(f: &Value) -> Fixture {
    let authority_secret = uint(&f["authority_secret_u64_test_only_secret"]);
    let authority = key_of(authority_secret);
    assert_eq!(h(authority.as_bytes()), text(&f["authority_key"]));
    let manifest = Manifest::leadership(authority, authorities_of(f)).unwrap();
    assert_eq!(manifest.encode(), bytes(&f["manifest"]));
    assert_eq!(
        Manifest::from_bytes(&bytes(&f["manifest"])).unwrap(),
        manifest
    );
    assert_eq!(h(manifest.digest()), text(&f["manifest_digest"]));
    assert_eq!(
        h(Sha256::digest(manifest.encode())),
        text(&f["manifest_digest"])
    );

    let key = key_of(uint(&f["election_key_secret_u64_test_only_secret"]));
    assert_eq!(h(key.as_bytes()), text(&f["election_key"]));
    assert_eq!(
        Element::from_bytes(&bytes(&f["election_key"])).unwrap(),
        key
    );

    let secrets: Vec<_> = list(&f["voter_codes"])
        .iter()
        .map(|c| {
            CredentialSecret::derive(
                &CredentialCode::parse(text(c)).unwrap(),
                manifest.election_id(),
            )
        })
        .collect();
    let roll = Roll::new(secrets.iter().map(|s| s.public()).collect()).unwrap();
    assert_eq!(roll.to_bytes(), bytes(&f["roll"]));
    assert_eq!(Roll::from_bytes(&bytes(&f["roll"])).unwrap(), roll);
    assert_eq!(h(roll.digest()), text(&f["roll_digest"]));
    assert_eq!(h(Sha256::digest(roll.to_bytes())), text(&f["roll_digest"]));

    let ceremony = array32(&f["ceremony_digest"]);
    let election = Election::new(
        manifest,
        ElectionKey::new(key),
        CeremonyDigest(ceremony),
        roll,
    );
    assert_eq!(h(election.base_hash().as_bytes()), text(&f["base_hash"]));
    assert_eq!(
        h(election.nullifier_base().as_bytes()),
        text(&f["nullifier_base"])
    );

    let reference = reference::RefElection::new(
        &bytes(&f["manifest"]),
        &array32(&f["election_key"]),
        &ceremony,
        election
            .roll()
            .entries()
            .iter()
            .map(|e| e.element().to_bytes())
            .collect(),
    )
    .unwrap();
    assert_eq!(h(reference.base_hash), text(&f["base_hash"]));
    assert_eq!(h(reference.h_e.bytes), text(&f["nullifier_base"]));
    Fixture {
        election,
        secrets,
        authority: AuthorityKey::from_secret(SecretScalar::new(Scalar::from(authority_secret)))
            .unwrap(),
        reference,
    }
}

#[test]
fn hash_to_group_base_hash_and_nullifier_base() {
    let v = load("hash_to_group.json");
    let cases = list(&v["cases"]);
    assert!(cases.len() >= 3);
    let mut bases = Vec::new();
    for case in cases {
        let f = fixture(case);
        let base_hash = f.election.base_hash().as_bytes();
        // The preimages of §6.4 and §2.2, recomputed from the spec.
        let pre = reference::base_hash_preimage(
            &bytes(&case["manifest"]),
            &array32(&case["election_key"]),
            &array32(&case["ceremony_digest"]),
            &bytes(&case["roll"]),
        );
        assert_eq!(h(&pre), text(&case["base_hash_preimage"]));
        assert_eq!(Sha256::digest(&pre).as_slice(), base_hash);
        let h2g = reference::hash_to_group_preimage(b"nullifier-base", base_hash);
        assert_eq!(h(&h2g), text(&case["nullifier_base_preimage"]));
        let (digest, point) = reference::hash_to_group(b"nullifier-base", base_hash);
        assert_eq!(h(digest), text(&case["nullifier_base_sha512"]));
        assert_eq!(
            point.compress().as_bytes(),
            f.election.nullifier_base().as_bytes()
        );
        bases.push(*f.election.nullifier_base());
    }
    // Every change of the election's inputs gives another H_E.
    for (i, a) in bases.iter().enumerate() {
        assert!(bases[i + 1..].iter().all(|b| b != a));
    }
}

#[test]
fn transcript_prefixes_and_challenges() {
    let v = load("transcript.json");
    let base_hash = array32(&v["base_hash"]);
    let cases = list(&v["cases"]);
    assert_eq!(cases.len(), 10);
    for case in cases {
        let p: &'static [u8] = match text(&case["purpose"]) {
            "selection" => purpose::SELECTION,
            "contest-sum" => purpose::CONTEST_SUM,
            "eligibility" => purpose::ELIGIBILITY,
            "countersignature" => purpose::COUNTERSIGNATURE,
            "ballot-nonces" => purpose::BALLOT_NONCES,
            "trustee-possession" => purpose::TRUSTEE_POSSESSION,
            "decryption-share" => purpose::DECRYPTION_SHARE,
            "board-receipt" => purpose::BOARD_RECEIPT,
            "board-final-head" => purpose::BOARD_FINAL_HEAD,
            "administrator-close" => purpose::ADMINISTRATOR_CLOSE,
            other => panic!("unknown purpose {other}"),
        };
        assert_eq!(p, text(&case["purpose"]).as_bytes());
        let mut t = election_transcript(p, &base_hash);
        let mut wide = [0u8; 64];
        t.challenge_bytes(b"challenge", &mut wide);
        assert_eq!(h(wide), text(&case["challenge_bytes"]));
        let c = Scalar::from_bytes_mod_order_wide(&wide);
        assert_eq!(h(c.as_bytes()), text(&case["challenge_scalar"]));
        let mut r = reference::election_transcript(p, &base_hash);
        assert_eq!(reference::challenge(&mut r, b"challenge"), c);
    }
}

#[test]
fn credential_codes_secrets_and_public_credentials() {
    let v = load("credential.json");
    let election_id = text(&v["election_id"]);
    let mut rng = ChaCha20Rng::seed_from_u64(uint(&v["seed"]));
    let valid = list(&v["valid"]);
    assert!(valid.len() >= 3);
    let mut secrets = Vec::new();
    for case in valid {
        let code = text(&case["code"]);
        // The generator's RNG gives the same codes.
        let generated = CredentialCode::generate(&mut rng);
        assert_eq!(generated.expose(), code);
        let parsed = CredentialCode::parse(code).unwrap();
        assert!(bool::from(parsed.ct_eq(&generated)));
        assert_eq!(parsed.expose(), code);
        // Symbols, check symbols and the preimage of x, from the spec.
        let symbols = reference::parse_code(code).unwrap();
        let expected: Vec<u8> = list(&case["symbols"])
            .iter()
            .map(|s| uint(s) as u8)
            .collect();
        assert_eq!(symbols, expected);
        let check: Vec<u8> = list(&case["check_symbols"])
            .iter()
            .map(|s| uint(s) as u8)
            .collect();
        assert_eq!(reference::check_symbols(&symbols[..26]).to_vec(), check);
        assert_eq!(symbols[26..], check[..]);
        assert_eq!(
            h(reference::credential_preimage(election_id, &symbols)),
            text(&case["x_preimage"])
        );
        let x = CredentialSecret::derive(&parsed, election_id);
        assert_eq!(h(x.expose().as_bytes()), text(&case["x_test_only_secret"]));
        assert_eq!(
            reference::credential_secret(election_id, &symbols),
            *x.expose()
        );
        let public = x.public();
        assert_eq!(h(public.encode()), text(&case["public_credential"]));
        assert_eq!(
            PublicCredential::decode(&bytes(&case["public_credential"])).unwrap(),
            public
        );
        secrets.push(x);
    }
    for case in list(&v["equivalent_forms"]) {
        let i = uint(&case["same_as"]) as usize;
        let parsed = CredentialCode::parse(text(&case["typed"])).unwrap();
        assert_eq!(parsed.expose(), text(&valid[i]["code"]), "{}", case["why"]);
        let x = CredentialSecret::derive(&parsed, election_id);
        assert!(bool::from(x.expose().ct_eq(secrets[i].expose())));
    }
    for case in list(&v["invalid"]) {
        let typed = text(&case["typed"]);
        let err = CredentialCode::parse(typed).map(|_| ()).unwrap_err();
        assert_eq!(format!("{err:?}"), text(&case["error"]), "{}", case["why"]);
        let reference_err = reference::parse_code(typed).map(|_| ()).unwrap_err();
        let expected = match text(&case["error"]) {
            "Malformed" => "malformed",
            _ => "check_failed",
        };
        assert_eq!(reference_err, expected, "{}", case["why"]);
    }
    let other = &v["other_election"];
    let code =
        CredentialCode::parse(text(&valid[uint(&other["code_index"]) as usize]["code"])).unwrap();
    let x = CredentialSecret::derive(&code, text(&other["election_id"]));
    assert_eq!(h(x.expose().as_bytes()), text(&other["x_test_only_secret"]));
    assert_eq!(h(x.public().encode()), text(&other["public_credential"]));
    assert_ne!(
        text(&other["public_credential"]),
        text(&valid[0]["public_credential"])
    );
}

#[test]
fn leadership_manifest_json_binary_and_digest() {
    let v = load("manifest.json");
    let authority = key_of(uint(&v["authority_secret_u64_test_only_secret"]));
    assert_eq!(h(authority.as_bytes()), text(&v["authority_key"]));
    let manifest = Manifest::leadership(authority, authorities_of(&v)).unwrap();
    assert_eq!(serde_json::to_value(&manifest).unwrap(), v["json"]);
    assert_eq!(
        serde_json::from_value::<Manifest>(v["json"].clone()).unwrap(),
        manifest
    );
    let binary = bytes(&v["binary"]);
    assert_eq!(manifest.encode(), binary);
    assert_eq!(Manifest::from_bytes(&binary).unwrap(), manifest);
    assert_eq!(Manifest::decode(&binary).unwrap(), manifest);
    assert_eq!(h(manifest.digest()), text(&v["digest"]));
    let parsed = reference::parse_manifest(&binary).unwrap();
    assert_eq!(parsed.election_id, manifest.election_id());
    assert_eq!(parsed.channels.len(), 2);
    assert_eq!(parsed.trustees, (5, 3));
    let invalid = list(&v["invalid_binary"]);
    assert!(!invalid.is_empty());
    for case in invalid {
        let b = bytes(&case["binary"]);
        assert!(
            Manifest::from_bytes(&b).is_err(),
            "accepted: {}",
            case["why"]
        );
        assert!(Manifest::decode(&b).is_err(), "accepted: {}", case["why"]);
    }
}

#[test]
fn elgamal_encryptions_sums_and_bounded_dlog() {
    let v = load("elgamal.json");
    let k = Scalar::from(uint(&v["election_key_secret_u64_test_only_secret"]));
    let element = Element::from_bytes(&bytes(&v["election_key"])).unwrap();
    assert_eq!(*element.point(), RistrettoPoint::mul_base(&k));
    let key = ElectionKey::new(element);
    let reference_key = reference::element(element.as_bytes()).unwrap();
    let mut cts = Vec::new();
    for case in list(&v["cases"]) {
        let value = uint(&case["value"]);
        let r = Scalar::from(uint(&case["nonce_u64"]));
        assert_eq!(h(r.as_bytes()), text(&case["nonce"]));
        assert_eq!(
            h(RistrettoPoint::mul_base(&Scalar::from(value))
                .compress()
                .as_bytes()),
            text(&case["value_times_g"])
        );
        let c = key.encrypt(&Scalar::from(value), &r);
        assert_eq!(h(c.encode()), text(&case["ciphertext"]));
        assert_eq!(h(c.a.as_bytes()), text(&case["a"]));
        assert_eq!(h(c.b.as_bytes()), text(&case["b"]));
        assert_eq!(Ciphertext::decode(&bytes(&case["ciphertext"])).unwrap(), c);
        assert_eq!(
            reference::encrypt(&reference_key, value, &r).to_vec(),
            c.encode()
        );
        // Decryption with the test-only secret.
        let m = c.b.point() - k * c.a.point();
        assert_eq!(DiscreteLog::new(16).unwrap().solve(&m), Ok(value));
        cts.push(c);
    }
    let sum = Ciphertext::sum(&cts);
    let s = &v["sum"];
    assert_eq!(h(sum.a.compress().as_bytes()), text(&s["a"]));
    assert_eq!(h(sum.b.compress().as_bytes()), text(&s["b"]));
    let m = sum.b - k * sum.a;
    assert_eq!(h(m.compress().as_bytes()), text(&s["total_times_g"]));
    let dlog = DiscreteLog::new(uint(&s["dlog_bound"])).unwrap();
    assert_eq!(dlog.solve(&m), Ok(uint(&s["total"])));
}

/// The library's verdict on encoded ballot bytes: `None` if valid, else the failing check.
fn library_check(encoding: &[u8], election: &Election) -> Option<&'static str> {
    match Ballot::decode(encoding) {
        Err(e) => Some(BallotError::from(e).check().as_str()),
        Ok(b) => b.verify(election).err().map(|e| e.check().as_str()),
    }
}

#[test]
fn ballots_build_encode_and_verify() {
    let v = load("ballot.json");
    let f = fixture(&v["fixture"]);
    let election = &f.election;
    let ballots = list(&v["ballots"]);
    assert!(ballots.len() >= 3);
    let mut decoded = Vec::new();
    for case in ballots {
        let name = text(&case["name"]);
        let encoding = bytes(&case["encoding"]);
        // (1) Rebuild it: the same inputs and RNG seed give the same bytes.
        let channel = ChannelIndex::new(uint(&case["channel"]) as u8);
        let choices: Vec<Vec<u32>> = serde_json::from_value(case["choices"].clone()).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(uint(&case["rng_seed"]));
        let voter = uint(&case["voter"]) as usize;
        let mut prepared =
            prepare(election, channel, &f.secrets[voter], &choices, &mut rng).unwrap();
        if case["countersigned"].as_bool().unwrap() {
            prepared
                .countersign(election, &f.authority, &mut rng)
                .unwrap();
        }
        let rebuilt = prepared.cast();
        assert_eq!(h(rebuilt.encode()), text(&case["encoding"]), "{name}");
        assert_eq!(h(rebuilt.body_bytes()), text(&case["body"]), "{name}");
        assert_eq!(h(rebuilt.signed_bytes()), text(&case["signed"]), "{name}");
        assert_eq!(
            h(rebuilt.nullifier.encode()),
            text(&case["nullifier"]),
            "{name}"
        );
        let cts: Vec<String> = rebuilt.contests[0]
            .selections
            .iter()
            .map(|s| h(s.ciphertext.encode()))
            .collect();
        assert_eq!(
            serde_json::to_value([cts]).unwrap(),
            case["ciphertexts"],
            "{name}"
        );
        assert_eq!(
            h(rebuilt.tracking_code().0),
            text(&case["tracking_code"]),
            "{name}"
        );
        assert_eq!(
            rebuilt.tracking_code().to_string(),
            text(&case["tracking_code_display"])
        );
        // §7.5, from the spec alone: SHA-256(tag ‖ base hash ‖ channel ‖ SHA-256(ciphertexts)
        // ‖ SHA-256(ballot)), the base hash and channel being the body's bytes 5..38.
        let mut cts = Sha256::new();
        for s in rebuilt.contests.iter().flat_map(|c| &c.selections) {
            cts.update(s.ciphertext.encode());
        }
        let mut tracking = Sha256::new();
        tracking.update(25u64.to_be_bytes());
        tracking.update(b"nullivote/1/tracking-code");
        tracking.update(&encoding[5..38]);
        tracking.update(cts.finalize());
        tracking.update(Sha256::digest(&encoding));
        assert_eq!(
            h(tracking.finalize()),
            text(&case["tracking_code"]),
            "{name}"
        );
        assert_eq!(
            serde_json::to_value(&rebuilt).unwrap(),
            case["json"],
            "{name}"
        );

        // (2) Decode and verify it, in binary and in JSON.
        let ballot = Ballot::decode(&encoding).unwrap();
        assert_eq!(ballot, rebuilt);
        assert_eq!(ballot.encode(), encoding);
        assert_eq!(text(&case["expected"]), "ok");
        assert_eq!(ballot.verify(election), Ok(()), "{name}");
        let from_json: Ballot = serde_json::from_value(case["json"].clone()).unwrap();
        assert_eq!(from_json.encode(), encoding, "{name}");

        // The independent reading of the spec agrees, challenge for challenge.
        let trace = reference::verify_ballot(&encoding, &f.reference)
            .unwrap_or_else(|check| panic!("{name}: reference refuses with {check}"));
        let proofs = list(&case["proofs"]);
        assert_eq!(trace.len(), proofs.len(), "{name}");
        // So does the library's fold: one group per proof, in the spec's order, whose digest is
        // the vector's (§4.4).
        let mut msm = Msm::with_shared(&election.shared_bases());
        ballot.accumulate(election, &mut msm).unwrap();
        let digests: Vec<String> = msm.group_digests().map(h).collect();
        let expected: Vec<&str> = proofs.iter().map(|p| text(&p["digest"])).collect();
        assert_eq!(digests, expected, "{name}");
        // The fold's seed and every coefficient, by the library and by the reference.
        let seed = Msm::seed(msm.group_digests());
        assert_eq!(h(seed), text(&case["fold_seed"]), "{name}");
        let (reference_seed, reference_rho) = reference::fold(&trace);
        assert_eq!(reference_seed, seed, "{name}");
        for (g, (p, rho)) in proofs.iter().zip(&reference_rho).enumerate() {
            let coefficients: Vec<String> = (0..rho.len() as u64)
                .map(|t| h(Msm::coefficient(&seed, g as u64, t).as_bytes()))
                .collect();
            let expected: Vec<&str> = list(&p["coefficients"]).iter().map(text).collect();
            assert_eq!(coefficients, expected, "{name} {g}");
            assert_eq!(
                rho.iter().map(|r| h(r.as_bytes())).collect::<Vec<_>>(),
                expected
            );
        }
        for (t, p) in trace.iter().zip(proofs) {
            assert_eq!(t.name, text(&p["proof"]), "{name}");
            assert_eq!(
                h(t.challenge.as_bytes()),
                text(&p["challenge"]),
                "{name} {}",
                t.name
            );
            assert_eq!(h(t.digest), text(&p["digest"]), "{name} {}", t.name);
        }
        decoded.push(ballot);
    }
    assert_eq!(verify_batch(&decoded, election), Ok(()));
    // One voter on two channels: one nullifier (the key of deduplication).
    let nullifiers: Vec<_> = ballots.iter().map(|b| text(&b["nullifier"])).collect();
    assert_eq!(nullifiers[0], nullifiers[3]);
    assert_ne!(nullifiers[0], nullifiers[1]);
}

#[test]
fn negative_ballots_fail_the_named_check() {
    let v = load("ballot.json");
    let f = fixture(&v["fixture"]);
    let negatives = list(&v["negative"]);
    let mut seen = std::collections::BTreeSet::new();
    let mut batch = Vec::new();
    for case in negatives {
        let name = text(&case["name"]);
        let expected = text(&case["expected"]);
        let encoding = bytes(&case["encoding"]);
        assert_eq!(
            library_check(&encoding, &f.election),
            Some(expected),
            "{name}"
        );
        assert_eq!(
            reference::verify_ballot(&encoding, &f.reference).err(),
            Some(expected),
            "{name} (reference)"
        );
        if let Ok(b) = Ballot::decode(&encoding) {
            batch.push((b, expected));
        }
        seen.insert(expected);
    }
    // One negative vector at least for every check.
    let all: std::collections::BTreeSet<_> = ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9"]
        .into_iter()
        .collect();
    assert_eq!(seen, all);
    // Batched with valid ballots, each bad one is named with its check.
    let good: Vec<Ballot> = list(&v["ballots"])
        .iter()
        .map(|b| Ballot::decode(&bytes(&b["encoding"])).unwrap())
        .collect();
    let mut all_ballots = good.clone();
    all_ballots.extend(batch.iter().map(|(b, _)| b.clone()));
    let errors = verify_batch(&all_ballots, &f.election).unwrap_err();
    assert_eq!(errors.len(), batch.len());
    for ((i, e), (_, expected)) in errors.iter().zip(&batch) {
        assert!(*i >= good.len());
        assert_eq!(e.check().as_str(), *expected, "batch item {i}: {e}");
    }
}

#[test]
fn benaloh_challenge_opens_to_the_votes() {
    let v = load("ballot.json");
    let f = fixture(&v["fixture"]);
    let c = &v["challenged"];
    let challenged: ChallengedBallot = serde_json::from_value(c["json"].clone()).unwrap();
    let votes: Vec<Vec<u32>> = serde_json::from_value(c["expected_votes"].clone()).unwrap();
    assert_eq!(challenged.verify(&f.election), Ok(votes));
    // Rebuilt with the same seed, challenged instead of cast.
    let choices: Vec<Vec<u32>> = serde_json::from_value(c["choices"].clone()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(uint(&c["rng_seed"]));
    let voter = uint(&c["voter"]) as usize;
    let rebuilt = prepare(
        &f.election,
        ChannelIndex::new(uint(&c["channel"]) as u8),
        &f.secrets[voter],
        &choices,
        &mut rng,
    )
    .unwrap()
    .challenge();
    assert_eq!(serde_json::to_value(&rebuilt).unwrap(), c["json"]);
    let encoding = bytes(&c["encoding"]);
    assert_eq!(rebuilt.encode(), encoding);
    assert_eq!(ChallengedBallot::decode(&encoding).unwrap(), challenged);
    // Every opening re-encrypts to its ciphertext, by the spec alone.
    for (contest, openings) in list(&c["openings"]).iter().enumerate() {
        for (option, o) in list(openings).iter().enumerate() {
            let opening = Opening::decode(&bytes(&o["opening"])).unwrap();
            assert_eq!(u64::from(opening.value), uint(&o["value"]));
            assert_eq!(h(opening.nonce.as_bytes()), text(&o["nonce"]));
            assert_eq!(challenged.openings[contest][option], opening);
            let ct = reference::encrypt(&f.reference.key, uint(&o["value"]), &opening.nonce);
            assert_eq!(h(ct), text(&o["ciphertext"]));
            assert_eq!(
                challenged.ballot.contests[contest].selections[option]
                    .ciphertext
                    .encode(),
                ct.to_vec()
            );
        }
    }
    // The spoiled ballot itself is a valid ballot.
    assert_eq!(
        reference::verify_ballot(&challenged.ballot.encode(), &f.reference).err(),
        None
    );

    // The challenge the device submits: exactly what §7.6 lists, by the spec alone.
    let s = &c["spoiled"];
    let spoiled = challenged.spoiled();
    assert_eq!(serde_json::to_value(&spoiled).unwrap(), s["json"]);
    assert_eq!(h(spoiled.encode()), text(&s["encoding"]));
    assert_eq!(
        SpoiledBallot::decode(&bytes(&s["encoding"])).unwrap(),
        spoiled
    );
    let keys: BTreeSet<&str> = s["json"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "election",
            "channel",
            "tracking_code",
            "ballot_digest",
            "contests"
        ])
    );
    let ballot = challenged.ballot.encode();
    assert_eq!(h(Sha256::digest(&ballot)), text(&s["ballot_digest"]));
    let mut cts = Sha256::new();
    for selection in list(&s["json"]["contests"]).iter().flat_map(list) {
        cts.update(bytes(&selection["ciphertext"]));
    }
    let mut tracking = Sha256::new();
    tracking.update(25u64.to_be_bytes());
    tracking.update(b"nullivote/1/tracking-code");
    tracking.update(bytes(&s["json"]["election"]));
    tracking.update([uint(&s["json"]["channel"]) as u8]);
    tracking.update(cts.finalize());
    tracking.update(bytes(&s["ballot_digest"]));
    assert_eq!(h(tracking.finalize()), text(&s["tracking_code"]));
    assert_eq!(
        text(&s["tracking_code"]),
        h(challenged.ballot.tracking_code().0)
    );
    // The encoding is the §7.6 layout, and holds neither the nullifier, nor the credential, nor
    // any 32 bytes of the eligibility proof (online: eligibility = the 129 bytes before the flag).
    let encoding = bytes(&s["encoding"]);
    assert_eq!(&encoding[..5], b"NVS\x00\x02");
    assert_eq!(&encoding[5..38], &ballot[5..38]);
    let eligibility = &ballot[ballot.len() - 130..ballot.len() - 1];
    assert_eq!(eligibility, challenged.ballot.eligibility.encode());
    let nullifier = &ballot[38..70];
    assert_eq!(nullifier, challenged.ballot.nullifier.element().as_bytes());
    for part in std::iter::once(nullifier).chain(eligibility[1..].chunks(32)) {
        assert!(!encoding.windows(32).any(|w| w == part));
        let hex = h(part);
        assert!(!s["json"].to_string().contains(&hex));
    }
    assert_eq!(spoiled.verify(&f.election), Ok(vec![vec![1, 0]]));
}

/// The constants of §1.2: the encoding of `G` and the refusal of `ℓ`.
#[test]
fn section_1_constants() {
    assert_eq!(
        h(Element::generator().as_bytes()),
        "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
    );
    let ell = bytes(&Value::from(
        "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
    ));
    assert!(nullivote::hazmat::decode_scalar(&ell, "s").is_err());
    assert!(reference::scalar(&ell).is_err());
    let mut ell_minus_one = ell.clone();
    ell_minus_one[0] -= 1;
    assert_eq!(
        nullivote::hazmat::decode_scalar(&ell_minus_one, "s").unwrap(),
        reference::scalar(&ell_minus_one).unwrap()
    );
    assert!(Element::from_bytes(&[0u8; 32]).is_err());
    assert!(reference::element(&[0u8; 32]).is_err());
}

// ---------------------------------------------------------------------------------------------
// The election record against `spec/record.schema.json` (spec/record.md §12)
// ---------------------------------------------------------------------------------------------

/// The schema's `$defs` entry of every record file (for a JSON Lines file, of each line).
const RECORD_DEFS: [(&str, &str); 8] = [
    ("record.json", "header"),
    ("manifest.json", "manifest"),
    ("ceremony.json", "ceremony"),
    ("roll.json", "roll"),
    ("board.jsonl", "board_entry"),
    ("tally.json", "tally"),
    ("decryption.json", "decryption"),
    ("result.json", "result"),
];

/// A short form of a JSON value for error messages.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// `count` against the node's `min_key`/`max_key` bounds, if it has them.
fn within(node: &Value, count: u64, min_key: &str, max_key: &str, at: &str) -> Result<(), String> {
    let low = node.get(min_key).and_then(Value::as_u64).unwrap_or(0);
    let high = node
        .get(max_key)
        .and_then(Value::as_u64)
        .unwrap_or(u64::MAX);
    if (low..=high).contains(&count) {
        Ok(())
    } else {
        Err(format!(
            "{at}: {count} is outside {min_key} {low} ..= {max_key} {high}"
        ))
    }
}

/// Checks `value` against the schema node `node`: `$ref` to `#/$defs/…`, `oneOf`, `anyOf`,
/// `const`, `enum`, and the types object (its keys must be exactly the schema's `properties`,
/// all `required`, with `additionalProperties: false`), array, string (lengths; a hex pattern
/// means lowercase hex), integer (bounds) and null. Enough of JSON Schema for the record's
/// schema, and strict about the keys, which is what keeps schema and code from drifting.
fn conforms(schema: &Value, node: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let name = reference
            .strip_prefix("#/$defs/")
            .ok_or_else(|| format!("{at}: unsupported $ref {reference}"))?;
        let def = schema["$defs"]
            .get(name)
            .ok_or_else(|| format!("{at}: no $defs entry {name}"))?;
        return conforms(schema, def, value, at);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alternatives) = node.get(key).and_then(Value::as_array) {
            let matching = alternatives
                .iter()
                .filter(|alternative| conforms(schema, alternative, value, at).is_ok())
                .count();
            let ok = if key == "oneOf" {
                matching == 1
            } else {
                matching >= 1
            };
            return if ok {
                Ok(())
            } else {
                Err(format!(
                    "{at}: {matching} of the {key} alternatives match {}",
                    shown(value)
                ))
            };
        }
    }
    if let Some(expected) = node.get("const") {
        return if value == expected {
            Ok(())
        } else {
            Err(format!("{at}: {} is not {expected}", shown(value)))
        };
    }
    if let Some(options) = node.get("enum").and_then(Value::as_array) {
        return if options.contains(value) {
            Ok(())
        } else {
            Err(format!("{at}: {} is not one of {options:?}", shown(value)))
        };
    }
    let kind = node
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{at}: schema node without a type: {node}"))?;
    match (kind, value) {
        ("object", Value::Object(map)) => {
            if node.get("additionalProperties") != Some(&Value::Bool(false)) {
                return Err(format!("{at}: the schema allows additional properties"));
            }
            let properties = node["properties"]
                .as_object()
                .ok_or_else(|| format!("{at}: an object schema without properties"))?;
            let declared: BTreeSet<&str> = properties.keys().map(String::as_str).collect();
            let required: BTreeSet<&str> = node["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if required != declared {
                return Err(format!(
                    "{at}: the schema requires {required:?} but declares {declared:?}"
                ));
            }
            let found: BTreeSet<&str> = map.keys().map(String::as_str).collect();
            if found != declared {
                return Err(format!(
                    "{at}: the record has the keys {found:?}, the schema {declared:?}"
                ));
            }
            map.iter().try_for_each(|(key, item)| {
                conforms(schema, &properties[key], item, &format!("{at}.{key}"))
            })
        }
        ("array", Value::Array(items)) => {
            within(node, items.len() as u64, "minItems", "maxItems", at)?;
            let item_schema = node
                .get("items")
                .ok_or_else(|| format!("{at}: an array schema without items"))?;
            items.iter().enumerate().try_for_each(|(i, item)| {
                conforms(schema, item_schema, item, &format!("{at}[{i}]"))
            })
        }
        ("string", Value::String(text)) => {
            within(
                node,
                text.chars().count() as u64,
                "minLength",
                "maxLength",
                at,
            )?;
            let hex = node
                .get("pattern")
                .and_then(Value::as_str)
                .is_some_and(|p| p.starts_with("^[0-9a-f]"));
            if hex && !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(format!("{at}: {} is not lowercase hex", shown(value)));
            }
            Ok(())
        }
        ("integer", Value::Number(number)) => {
            let n = number
                .as_u64()
                .ok_or_else(|| format!("{at}: {number} is not a non-negative integer"))?;
            within(node, n, "minimum", "maximum", at)
        }
        ("null", Value::Null) => Ok(()),
        _ => Err(format!("{at}: expected {kind}, found {}", shown(value))),
    }
}

/// Every file of freshly simulated records, and every line of their JSON Lines files, has
/// exactly the keys of its `$defs` entry in `spec/record.schema.json`, at every depth, and
/// lowercase hex of the documented lengths. The records of seeds 1, 2, ... are checked until
/// every kind of board entry has been met: a cast ballot, a spoiled ballot, the closes and a
/// refused ballot (a refusal entry of the board, kind 4).
#[test]
fn record_files_match_the_schema() {
    use nullivote::simulation::{Scenario, leadership};

    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("spec/record.schema.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    // The schema covers exactly the files the library writes, with a $defs entry each.
    let written: Vec<&str> = nullivote::record::FILES.iter().map(|(f, _)| *f).collect();
    let covered: Vec<&str> = RECORD_DEFS.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        written, covered,
        "record::FILES and the schema's files differ"
    );
    for (_, def) in RECORD_DEFS {
        assert!(schema["$defs"][def].is_object(), "no $defs entry {def}");
    }

    let expected: BTreeSet<String> = [
        "ballot",
        "spoiled",
        "close_channel",
        "close_voting",
        "refused",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let mut payloads = BTreeSet::new();
    let mut refusals = 0;
    for seed in 1.. {
        if payloads == expected {
            break;
        }
        assert!(
            seed <= 40,
            "no record of seeds 1 to 40 meets {expected:?}: {payloads:?}"
        );
        let scenario = Scenario {
            voters: 30,
            seed,
            absent: vec![4],
            bad_share: None,
        };
        let simulation =
            leadership(&scenario, &nullivote::verifier::Silent).expect("the simulation runs");
        let dir = tempfile::tempdir().expect("a temporary directory");
        simulation
            .record
            .write(dir.path())
            .expect("the record is written");
        for (file, def) in RECORD_DEFS {
            let text = std::fs::read_to_string(dir.path().join(file))
                .unwrap_or_else(|e| panic!("seed {seed}: {file}: {e}"));
            let documents: Vec<Value> = if file.ends_with(".jsonl") {
                text.lines()
                    .map(|line| serde_json::from_str(line).expect("a JSON line"))
                    .collect()
            } else {
                vec![serde_json::from_str(&text).expect("a JSON file")]
            };
            let node = &schema["$defs"][def];
            for (i, document) in documents.iter().enumerate() {
                let at = format!("seed {seed}: {file}:{}", i + 1);
                conforms(&schema, node, document, &at).unwrap_or_else(|e| panic!("{e}"));
                if file == "board.jsonl" {
                    let payload = &document["payload"];
                    let kind = match payload.as_object() {
                        Some(map) => map.keys().next().cloned().unwrap_or_default(),
                        None => payload.as_str().unwrap_or_default().to_owned(),
                    };
                    refusals += usize::from(kind == "refused");
                    payloads.insert(kind);
                }
            }
        }
    }
    assert_eq!(payloads, expected, "every kind of board entry was checked");
    assert!(refusals > 0, "a refusal entry was checked");

    // And the schema refuses what the record must not hold: an unknown key, a missing key,
    // upper-case hex.
    let header = &schema["$defs"]["header"];
    let good: Value = serde_json::from_str(
        r#"{"format":"nullivote-record","version":2,"election_id":"e",
            "base_hash":"0000000000000000000000000000000000000000000000000000000000000000",
            "board_head":"0000000000000000000000000000000000000000000000000000000000000000",
            "board_entries":0,
            "board_signature":"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"}"#,
    )
    .unwrap();
    assert!(conforms(&schema, header, &good, "header").is_ok());
    let mut extra = good.clone();
    extra["extra"] = Value::from(1);
    assert!(conforms(&schema, header, &extra, "header").is_err());
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("board_head");
    assert!(conforms(&schema, header, &missing, "header").is_err());
    let mut upper = good;
    upper["base_hash"] = Value::from("A".repeat(64));
    assert!(conforms(&schema, header, &upper, "header").is_err());
}

/// The board's and the administrator's signatures (§8.4) of `board.json`, in the election of
/// `ballot.json`'s fixture: a receipt, a final head and two closes, each signed again by the
/// library with the test-only secrets (signatures are deterministic, so byte for byte the
/// vector's), verified under the manifest's keys, and refused with one bit of `s` flipped;
/// the receipt's JSON; the close and refusal entries' payload encodings, JSON and digests.
#[test]
fn board_receipts_final_head_closes_and_refusal_entries() {
    let v = load("board.json");
    let f = fixture(&load("ballot.json")["fixture"]);
    let election = &f.election;
    assert_eq!(h(election.base_hash().as_bytes()), text(&v["base_hash"]));
    let authorities = authorities_of(&v);
    assert_eq!(election.manifest().authorities(), authorities);
    let board = signing_key_of(&v["board_secret_u64_test_only_secret"]);
    let administrator = signing_key_of(&v["administrator_secret_u64_test_only_secret"]);
    let signature = |v: &Value| Signature::decode(&bytes(v)).unwrap();
    // Signed by `key` byte for byte as the vector, verified under `public`, refused changed.
    let check = |statement: &Statement, key: &AuthorityKey, public: &Element, case: &Value| {
        let signed = key.sign(election, statement);
        assert_eq!(h(signed.encode()), text(&case["signature"]));
        assert_eq!(signed.verify(election, statement, public), Ok(()));
        let changed = bytes(&case["signature_changed_must_fail"]);
        assert_ne!(changed, signed.encode());
        assert!(
            Signature::decode(&changed)
                .map_or(true, |s| s.verify(election, statement, public).is_err())
        );
    };

    // A batch of receipts: each leaf from the spec's formula, one signature of their root.
    let r = &v["receipts"];
    let first = uint(&r["batch_first"]);
    let digests = |key: &str| {
        r[key]
            .as_array()
            .unwrap()
            .iter()
            .map(array32)
            .collect::<Vec<_>>()
    };
    let entries: Vec<(EntryDigest, nullivote::ballot::TrackingCode)> = digests("entries")
        .into_iter()
        .zip(digests("tracking_codes"))
        .map(|(e, c)| (EntryDigest(e), nullivote::ballot::TrackingCode(c)))
        .collect();
    for (i, ((entry, code), leaf)) in entries.iter().zip(digests("leaves")).enumerate() {
        assert_eq!(
            nullivote::hazmat::board::leaf(first + i as u64, entry, code),
            leaf
        );
    }
    assert_eq!(
        nullivote::hazmat::board::root(&digests("leaves")),
        array32(&r["root"])
    );
    let receipts = Receipt::sign_batch(&board, election, first, &entries);
    let statement = receipts[0].statement().unwrap();
    assert_eq!(
        statement,
        Statement::Receipts {
            first,
            count: uint(&r["batch_count"]),
            root: array32(&r["root"]),
        }
    );
    check(&statement, &board, &authorities.board, r);
    for receipt in &receipts {
        assert_eq!(receipt.verify(election), Ok(()));
    }
    assert_eq!(serde_json::to_value(&receipts).unwrap(), r["json"]);
    let parsed: Vec<Receipt> = serde_json::from_value(r["json"].clone()).unwrap();
    assert_eq!(parsed, receipts);

    let fh = &v["final_head"];
    let final_head = Statement::FinalHead {
        entries: uint(&fh["board_entries"]),
        head: EntryDigest(array32(&fh["board_head"])),
    };
    check(&final_head, &board, &authorities.board, fh);
    // The board's signature is not the administrator's, nor a receipt's.
    assert!(
        signature(&fh["signature"])
            .verify(election, &final_head, &authorities.administrator)
            .is_err()
    );

    let closes = list(&v["closes"]);
    assert_eq!(closes.len(), 2);
    for case in closes {
        let close = match uint(&case["kind"]) {
            2 => Close::Channel(ChannelIndex::new(uint(&case["channel"]) as u8)),
            3 => Close::Voting,
            other => panic!("kind {other} is not a close"),
        };
        let (position, previous) = (
            uint(&case["position"]),
            EntryDigest(array32(&case["previous"])),
        );
        let statement = Statement::Close {
            position,
            previous,
            close,
        };
        check(&statement, &administrator, &authorities.administrator, case);
        let payload = sign_close(&administrator, election, position, previous, close);
        assert_eq!(h(payload.to_bytes()), text(&case["payload"]));
        assert_eq!(
            Payload::from_bytes(uint(&case["kind"]) as u8, &bytes(&case["payload"])).unwrap(),
            payload
        );
        let entry = Entry {
            position,
            previous,
            payload,
        };
        assert_eq!(serde_json::to_value(&entry).unwrap(), case["entry_json"]);
        assert_eq!(
            serde_json::from_value::<Entry>(case["entry_json"].clone()).unwrap(),
            entry
        );
        assert_eq!(h(entry.digest().as_bytes()), text(&case["entry_digest"]));
        assert_eq!(check_close(election, &entry), Ok(()));
        // The same close one position on is not the administrator's.
        let moved = Entry {
            position: position + 1,
            ..entry
        };
        assert!(check_close(election, &moved).is_err());
    }

    let refusal = &v["refusal"];
    let entry: Entry = serde_json::from_value(refusal["entry_json"].clone()).unwrap();
    assert_eq!(serde_json::to_value(&entry).unwrap(), refusal["entry_json"]);
    assert_eq!(entry.payload.kind(), 4);
    assert_eq!(h(entry.payload.to_bytes()), text(&refusal["payload"]));
    let decoded = RefusalEntry::from_bytes(&bytes(&refusal["payload"])).unwrap();
    assert_eq!(h(decoded.to_bytes()), text(&refusal["payload"]));
    assert_eq!(
        Payload::from_bytes(4, &bytes(&refusal["payload"])).unwrap(),
        entry.payload
    );
    assert_eq!(h(entry.digest().as_bytes()), text(&refusal["entry_digest"]));
}
