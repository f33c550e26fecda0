//! Replays the fuzz corpus (`fuzz/corpus/<target>/*`) through the fuzz targets' own functions
//! (`fuzz/src/lib.rs`, included below), so that CI checks every kept input without a fuzzer:
//! no panic, and whatever decodes re-encodes to the same bytes.
//!
//! The seed files (`seed-*`) are written by the ignored test [`regenerate_seed_corpus`] from the
//! frozen vectors of `spec/vectors/` and from seeded RNGs:
//!
//! ```text
//! cargo test --release --test fuzz_corpus -- --ignored regenerate_seed_corpus
//! ```
//!
//! The other files were found by the fuzzer (`cargo fuzz run <target>`, then `cargo fuzz cmin`).

#[path = "../fuzz/src/lib.rs"]
mod targets;

use std::collections::BTreeSet;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use nullivote::ballot::{ChallengedBallot, SpoiledBallot};
use nullivote::codec::Wire;
use nullivote::credential::Roll;
use nullivote::group::Element;
use nullivote::manifest::Manifest;
use nullivote::proofs::{RangeProof, RangeStatement, RangeWitness, SchnorrProof, SchnorrStatement};
use nullivote::secret::SecretScalar;
use nullivote::transcript::{election_transcript, purpose};
use nullivote::trustee::{self, TrusteeIndex};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use serde_json::Value;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn corpus_dir(target: &str) -> PathBuf {
    fuzz_dir().join("corpus").join(target)
}

/// Every file of a target's corpus, sorted; fails if there is none.
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "{} is empty: every fuzz target needs a corpus (run the ignored test \
         regenerate_seed_corpus)",
        dir.display()
    );
    files
}

/// Runs every corpus file of `name` through its target, reporting every file that panics.
fn replay(name: &str) {
    let (_, target) = targets::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no fuzz target {name}"));
    let mut failures = Vec::new();
    let files = corpus(name);
    for file in &files {
        let data = fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| target(&data))) {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            failures.push(format!("{}: {message}", file.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus files of {name} fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

macro_rules! replay_tests {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                replay(stringify!($target));
            }
        )*

        /// The targets replayed here are exactly `TARGETS`.
        const REPLAYED: &[&str] = &[$(stringify!($target)),*];
    };
}

replay_tests!(
    element,
    scalar,
    ciphertext,
    schnorr_proof,
    dleq_proof,
    range_proof,
    ballot,
    ballot_json,
    spoiled_ballot,
    challenged_ballot,
    manifest,
    roll,
    board_entry_json,
    trustee_secret,
    record_file_json,
    record,
);

fn names_in(dir: &Path, extension: Option<&str>) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| extension.is_none_or(|x| p.extension().is_some_and(|e| e == x)))
        .map(|p| {
            p.file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn every_fuzz_target_has_a_corpus_and_is_replayed() {
    let listed: BTreeSet<String> = targets::TARGETS
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    let replayed: BTreeSet<String> = REPLAYED.iter().map(|n| n.to_string()).collect();
    assert_eq!(listed, replayed, "TARGETS and the replay tests differ");
    let binaries = names_in(&fuzz_dir().join("fuzz_targets"), Some("rs"));
    assert_eq!(
        listed, binaries,
        "TARGETS and fuzz/fuzz_targets/*.rs differ"
    );
    let corpora = names_in(&fuzz_dir().join("corpus"), None);
    assert_eq!(listed, corpora, "TARGETS and fuzz/corpus/* differ");
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for name in &listed {
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
    }
}

/// The corpus stays small enough to keep in the repository and replay on every CI run.
#[test]
fn the_corpus_is_small() {
    let (mut files, mut bytes) = (0usize, 0u64);
    for (name, _) in targets::TARGETS {
        for file in corpus(name) {
            files += 1;
            bytes += fs::metadata(&file).expect("metadata").len();
        }
    }
    assert!(files <= 250, "{files} corpus files");
    assert!(bytes <= 2 << 20, "{bytes} bytes of corpus");
}

// ---------------------------------------------------------------------------------------------
// Seeds
// ---------------------------------------------------------------------------------------------

fn load(path: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap_or_else(|| panic!("not a string: {v}")))
        .unwrap_or_else(|e| panic!("not hex: {v}: {e}"))
}

fn json_text(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("JSON")
}

fn quoted(bytes: &[u8]) -> Vec<u8> {
    format!("\"{}\"", hex::encode(bytes)).into_bytes()
}

/// A target's seed files: (name, bytes).
type Seeds = Vec<(String, Vec<u8>)>;

/// The seed files of every target, by target.
fn seeds() -> Vec<(&'static str, Seeds)> {
    let mut out: Vec<(&'static str, Seeds)> = Vec::new();
    let mut add = |target: &'static str, name: &str, bytes: Vec<u8>| {
        if out.last().is_none_or(|(t, _)| *t != target) {
            out.push((target, Vec::new()));
        }
        out.last_mut()
            .expect("a target")
            .1
            .push((name.to_string(), bytes));
    };
    let ballots = load("spec/vectors/ballot.json");
    let elgamal = load("spec/vectors/elgamal.json");
    let manifests = load("spec/vectors/manifest.json");
    let fixture = &ballots["fixture"];
    let election = targets::ballot_election();
    let first = &ballots["ballots"][0];
    let postal = &ballots["ballots"][1];

    // element
    let g = Element::generator().to_bytes();
    add("element", "generator", g.to_vec());
    add("element", "election-key", unhex(&fixture["election_key"]));
    add(
        "element",
        "nullifier-base",
        unhex(&fixture["nullifier_base"]),
    );
    add("element", "identity", vec![0; 32]);
    add("element", "non-canonical", vec![0xff; 32]);
    add("element", "short", g[..31].to_vec());
    add("element", "json", quoted(&g));
    add(
        "element",
        "json-uppercase",
        format!("\"{}\"", hex::encode_upper(g)).into_bytes(),
    );

    // scalar
    let ell_minus_one = (-Scalar::ONE).to_bytes();
    let mut ell = ell_minus_one;
    ell[0] += 1;
    let mut top = [0u8; 32];
    top[31] = 0x80;
    add("scalar", "zero", vec![0; 32]);
    add("scalar", "one", Scalar::ONE.to_bytes().to_vec());
    add("scalar", "ell-minus-one", ell_minus_one.to_vec());
    add("scalar", "ell", ell.to_vec());
    add("scalar", "top-bit", top.to_vec());
    add("scalar", "long", vec![1; 33]);

    // ciphertext
    for (i, case) in elgamal["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .take(3)
        .enumerate()
    {
        add(
            "ciphertext",
            &format!("elgamal-{i}"),
            unhex(&case["ciphertext"]),
        );
    }
    add("ciphertext", "zero-sum", vec![0; 64]);
    let mut sum = unhex(&elgamal["sum"]["a"]);
    sum.extend(unhex(&elgamal["sum"]["b"]));
    add("ciphertext", "sum", sum.clone());
    add("ciphertext", "json-sum", quoted(&sum));

    // schnorr_proof: a countersignature, a proof of possession, one with response ℓ.
    let postal_bytes = unhex(&postal["encoding"]);
    let countersignature = postal_bytes[postal_bytes.len() - 64..].to_vec();
    add(
        "schnorr_proof",
        "countersignature",
        countersignature.clone(),
    );
    add("schnorr_proof", "json", quoted(&countersignature));
    let x = SecretScalar::new(Scalar::from(1234567u64));
    let statement = SchnorrStatement {
        public: Element::from_point(RistrettoPoint::mul_base(x.expose()), "p").expect("P"),
    };
    let mut t = election_transcript(purpose::COUNTERSIGNATURE, &[7; 32]);
    let proof = SchnorrProof::prove(&x, &statement, &mut t, &mut ChaCha20Rng::seed_from_u64(1));
    add("schnorr_proof", "seeded", proof.encode());
    let mut bad = countersignature.clone();
    bad[32..].copy_from_slice(&ell);
    add("schnorr_proof", "response-ell", bad);

    // dleq_proof: an eligibility proof and a decryption proof.
    let eligibility = unhex(&first["json"]["eligibility"]["pseudonymous"]["proof"]);
    add("dleq_proof", "eligibility", eligibility.clone());
    add("dleq_proof", "json", quoted(&eligibility));
    let decryption = load("spec/vectors/record-v1/decryption.json");
    add(
        "dleq_proof",
        "decryption",
        unhex(&decryption["shares"][0]["parts"][0]["proof"]),
    );
    add("dleq_proof", "truncated", eligibility[..95].to_vec());

    // range_proof: a selection proof, a sum proof, the largest proof, and bad headers.
    let contest = &first["json"]["contests"][0];
    let selection = unhex(&contest["selections"][0]["proof"]);
    add("range_proof", "selection", selection.clone());
    add("range_proof", "sum", unhex(&contest["sum_proof"]));
    add("range_proof", "json", quoted(&selection));
    let nonce = SecretScalar::new(Scalar::from(99u8));
    let ciphertexts = [election.key().encrypt(&Scalar::from(200u8), nonce.expose())];
    let statement = RangeStatement {
        key: election.key(),
        ciphertexts: &ciphertexts,
        low: 0,
        high: 255,
    };
    let mut t = election_transcript(purpose::SELECTION, election.base_hash().as_bytes());
    let big = RangeProof::prove(
        &RangeWitness::new(200, &nonce),
        &statement,
        &mut t,
        &mut ChaCha20Rng::seed_from_u64(2),
    )
    .expect("a range proof");
    assert_eq!(big.branches(), 256);
    add("range_proof", "256-branches", big.encode());
    let mut claim = vec![0xff, 0xff];
    claim.extend_from_slice(&selection[2..]);
    add("range_proof", "65535-branches", claim);
    add("range_proof", "0-branches", vec![0, 0]);

    // ballot: the valid ballots and a selection of the negative vectors (one per check).
    for b in ballots["ballots"].as_array().expect("ballots") {
        let name = b["name"].as_str().expect("name");
        add("ballot", name, unhex(&b["encoding"]));
    }
    let keep = [
        "version-2",
        "trailing-byte",
        "non-canonical-eligibility-response",
        "too-many-selections",
        "other-election",
        "unknown-channel",
        "no-contests",
        "credential-not-on-roll",
        "branch-challenge-changed",
        "other-sum-proof",
        "eligibility-response-changed",
        "postal-without-countersignature",
        "countersignature-wrong-key",
    ];
    for b in ballots["negative"].as_array().expect("negative") {
        let name = b["name"].as_str().expect("name");
        if keep.contains(&name) {
            add("ballot", name, unhex(&b["encoding"]));
        }
    }

    // ballot_json
    for b in ballots["ballots"].as_array().expect("ballots") {
        let name = b["name"].as_str().expect("name");
        add("ballot_json", name, json_text(&b["json"]));
    }
    let text = String::from_utf8(json_text(&first["json"])).expect("UTF-8");
    add(
        "ballot_json",
        "uppercase-nullifier",
        text.replace(
            first["json"]["nullifier"].as_str().expect("hex"),
            &first["json"]["nullifier"]
                .as_str()
                .expect("hex")
                .to_uppercase(),
        )
        .into_bytes(),
    );
    add(
        "ballot_json",
        "unknown-key",
        text.replacen('{', "{\"extra\":1,", 1).into_bytes(),
    );
    add(
        "ballot_json",
        "no-countersignature-key",
        text.replace(",\"countersignature\":null", "")
            .replace("\"countersignature\":null,", "")
            .into_bytes(),
    );

    // challenged_ballot and spoiled_ballot
    let challenged_bytes = unhex(&ballots["challenged"]["encoding"]);
    let challenged = ChallengedBallot::decode(&challenged_bytes).expect("the challenged vector");
    add("challenged_ballot", "vector", challenged_bytes.clone());
    add(
        "challenged_ballot",
        "json",
        json_text(&ballots["challenged"]["json"]),
    );
    add(
        "challenged_ballot",
        "truncated",
        challenged_bytes[..challenged_bytes.len() - 1].to_vec(),
    );
    let mut long = challenged_bytes.clone();
    long[..4].copy_from_slice(&u32::MAX.to_be_bytes());
    add("challenged_ballot", "ballot-length-max", long);
    let spoiled: SpoiledBallot = challenged.spoiled();
    let spoiled_bytes = spoiled.encode();
    add("spoiled_ballot", "vector", spoiled_bytes.clone());
    add(
        "spoiled_ballot",
        "json",
        serde_json::to_vec(&spoiled).expect("JSON"),
    );
    let mut wrong = spoiled_bytes.clone();
    wrong[0] = b'X';
    add("spoiled_ballot", "wrong-magic", wrong);
    add(
        "spoiled_ballot",
        "truncated",
        spoiled_bytes[..spoiled_bytes.len() - 1].to_vec(),
    );

    // manifest: the leadership manifest (binary and JSON), the invalid vectors, the record's.
    add("manifest", "leadership", unhex(&manifests["binary"]));
    add("manifest", "leadership-json", json_text(&manifests["json"]));
    for (i, bad) in manifests["invalid_binary"]
        .as_array()
        .expect("invalid_binary")
        .iter()
        .enumerate()
    {
        add("manifest", &format!("invalid-{i}"), unhex(&bad["binary"]));
    }
    let record_manifest: Manifest =
        serde_json::from_value(load("spec/vectors/record-v1/manifest.json")).expect("manifest");
    add("manifest", "record", record_manifest.encode());
    add(
        "manifest",
        "record-json",
        serde_json::to_vec(&record_manifest).expect("JSON"),
    );

    // roll
    let roll_bytes = unhex(&fixture["roll"]);
    add("roll", "fixture", roll_bytes.clone());
    let record_roll: Roll =
        serde_json::from_value(load("spec/vectors/record-v1/roll.json")).expect("roll");
    add("roll", "record", record_roll.to_bytes());
    add(
        "roll",
        "record-json",
        serde_json::to_vec(&record_roll).expect("JSON"),
    );
    let mut huge = roll_bytes[..9].to_vec();
    huge[5..9].copy_from_slice(&u32::MAX.to_be_bytes());
    add("roll", "count-u32-max", huge);
    let entry = record_roll.entries()[0];
    let duplicate = Roll::new(vec![entry]).expect("a roll").to_bytes();
    let mut twice = duplicate.clone();
    twice[8] = 2;
    twice.extend_from_slice(&duplicate[9..]);
    add("roll", "duplicate", twice);

    // board_entry_json: every line of the frozen board, and kind-prefixed binary payloads.
    let board = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/record-v1/board.jsonl"),
    )
    .expect("board.jsonl");
    for (i, line) in board.lines().enumerate() {
        add(
            "board_entry_json",
            &format!("line-{i}"),
            line.as_bytes().to_vec(),
        );
    }
    add("board_entry_json", "close-channel", vec![2, 0]);
    add("board_entry_json", "close-voting", vec![3]);
    let mut cast = vec![0];
    cast.extend(unhex(&first["encoding"]));
    add("board_entry_json", "cast", cast);
    let mut spoil = vec![1];
    spoil.extend(&spoiled_bytes);
    add("board_entry_json", "spoiled", spoil);

    // trustee_secret: every saved secret of trustee 1 of a seeded 3-of-5 ceremony.
    for (name, bytes) in trustee_secrets() {
        add("trustee_secret", name, bytes);
    }

    // record_file_json: every JSON file of the frozen record, and a refusals line.
    for (file, text) in targets::RECORD_FILES {
        if file.ends_with(".json") {
            add("record_file_json", file, text.as_bytes().to_vec());
        }
    }
    let refusals = targets::RECORD_FILES[5].1;
    add(
        "record_file_json",
        "refusal-line",
        refusals
            .lines()
            .next()
            .expect("a refusal")
            .as_bytes()
            .to_vec(),
    );

    // record: every file of the frozen record unchanged (each must verify), and a few changes.
    for (i, (file, text)) in targets::RECORD_FILES.iter().enumerate() {
        let mut bytes = vec![i as u8];
        bytes.extend_from_slice(text.as_bytes());
        add("record", &format!("unchanged-{file}"), bytes);
    }
    let header = targets::RECORD_FILES[0].1;
    let mut billion = vec![0u8];
    billion.extend(
        header
            .replace("\"board_entries\": 11", "\"board_entries\": 1000000000")
            .into_bytes(),
    );
    add("record", "board-entries-billion", billion);
    let mut short_board = vec![4u8];
    short_board.extend(
        targets::RECORD_FILES[4]
            .1
            .lines()
            .take(3)
            .flat_map(|l| format!("{l}\n").into_bytes()),
    );
    add("record", "board-three-lines", short_board);
    out
}

/// Every saved secret of trustee 1 (and its share for trustee 2) of a 3-of-5 ceremony for the
/// leadership manifest, from seeded RNGs, and one with an unknown kind.
fn trustee_secrets() -> Vec<(&'static str, Vec<u8>)> {
    let authority =
        Element::from_point(RistrettoPoint::mul_base(&Scalar::from(5u8)), "a").expect("a key");
    let manifest = Manifest::leadership(authority);
    let policy = manifest.trustees();
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let (s1, p1): (Vec<_>, Vec<_>) = TrusteeIndex::all(policy)
        .map(|i| trustee::part1(i, policy, &manifest, &mut rng).expect("part1"))
        .unzip();
    let (s2, p2): (Vec<_>, Vec<_>) = s1
        .iter()
        .map(|s| trustee::part2(s, &p1).expect("part2"))
        .unzip();
    let (s3, shares): (Vec<_>, Vec<_>) = s2
        .iter()
        .map(|s| trustee::part3(s, &p1, &p2).expect("part3"))
        .unzip();
    let shares: Vec<_> = shares.into_iter().flatten().collect();
    let (s4, p4): (Vec<_>, Vec<_>) = s3
        .iter()
        .map(|s| {
            let inbox: Vec<_> = shares
                .iter()
                .filter(|sh| sh.to() == s.trustee())
                .map(|sh| {
                    trustee::round3::PrivateShare::from_secret_bytes(&sh.to_secret_bytes())
                        .expect("a share")
                })
                .collect();
            trustee::part4(s, &inbox).expect("part4")
        })
        .unzip();
    let p5: Vec<_> = s4
        .iter()
        .map(|s| trustee::resolve_complaints(s, &p4).expect("round 5"))
        .collect();
    let (key, _) = trustee::finish(&s4[0], &p4, &p5).expect("finish");
    let mut unknown = key.to_secret_bytes().to_vec();
    unknown[5] = 7;
    vec![
        ("round1", s1[0].to_secret_bytes().to_vec()),
        ("round2", s2[0].to_secret_bytes().to_vec()),
        ("round3", s3[0].to_secret_bytes().to_vec()),
        ("round4", s4[0].to_secret_bytes().to_vec()),
        ("key", key.to_secret_bytes().to_vec()),
        ("share", shares[0].to_secret_bytes().to_vec()),
        ("unknown-kind", unknown),
    ]
}

/// Every seed this file generates is in `fuzz/corpus/` under its name. With
/// `NULLIVOTE_WRITE_SEED_CORPUS=1` it rewrites every `seed-*` file instead (fuzzer-found files
/// are left alone): `NULLIVOTE_WRITE_SEED_CORPUS=1 cargo test --release --test fuzz_corpus seed_corpus`.
#[test]
fn seed_corpus() {
    let write = std::env::var_os("NULLIVOTE_WRITE_SEED_CORPUS").is_some();
    for (target, files) in seeds() {
        let dir = corpus_dir(target);
        if !write {
            for (name, _) in &files {
                let path = dir.join(format!("seed-{name}"));
                assert!(
                    path.exists(),
                    "{} is missing: regenerate the seeds",
                    path.display()
                );
            }
            continue;
        }
        fs::create_dir_all(&dir).expect("a corpus directory");
        for old in fs::read_dir(&dir).expect("a corpus directory") {
            let path = old.expect("an entry").path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("seed-"))
            {
                fs::remove_file(&path).expect("remove an old seed");
            }
        }
        for (name, bytes) in files {
            fs::write(dir.join(format!("seed-{name}")), bytes).expect("write a seed");
        }
    }
}
