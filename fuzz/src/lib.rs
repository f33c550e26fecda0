//! The fuzz targets of nullivote: one function per target, each taking the fuzzer's bytes.
//!
//! Shared by the cargo-fuzz binaries (`fuzz/fuzz_targets/<target>.rs`, each a one-line call)
//! and by `tests/fuzz_corpus.rs`, which includes this file as a module and replays every file of
//! `fuzz/corpus/<target>/` through the same function, so that CI runs the corpus without a
//! fuzzer. It therefore depends only on `nullivote` and crates the main crate already has.
//!
//! Every target checks, for whatever it is given:
//!
//! * no decoder panics, whatever the bytes;
//! * whatever decodes re-encodes to the same bytes (binary codecs are canonical);
//! * whatever decodes from JSON serializes to JSON that decodes to the same value and
//!   serializes to the same text again;
//! * whatever decodes from JSON has a binary encoding that decodes to the same value (JSON and
//!   binary agree on what is valid);
//! * verification (ballots, spoiled and challenged ballots, range proofs, key ceremonies, whole
//!   records) never panics, and agrees with itself where it has two paths (one ballot alone
//!   and in a batch; a challenged ballot and its spoiled form; a record that passes gives the
//!   record's own result);
//! * a board directory (`board.log`, refused submissions included as entries of kind 4) opens
//!   as its module's recovery contract says ([`board_log`]): served with exactly the intact
//!   prefix kept and re-encoding to it byte for byte, or refused with the error the layout
//!   predicts and nothing on disk changed; a served board reopens to the same board;
//! * a signed receipt in JSON ([`record_file_json`]) re-serializes identically, and checking it
//!   against the frozen record's election never panics.
//!
//! A broken invariant is a panic with a message naming it, which the fuzzer reports as a crash.

use nullivote::board::EntryDigest;
use nullivote::trustee::CeremonyDigest;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use curve25519_dalek::scalar::Scalar;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use nullivote::Election;
use nullivote::ballot::{Ballot, ChallengedBallot, SpoiledBallot, verify_batch};
use nullivote::credential::Roll;
use nullivote::hazmat::SecretScalar;
use nullivote::hazmat::{Ciphertext, CiphertextSum, ElectionKey};
use nullivote::hazmat::{Wire, decode_hex};
use nullivote::hazmat::{
    proofs::DleqProof, proofs::RangeProof, proofs::RangeStatement, proofs::SchnorrProof,
};
use nullivote::hazmat::{
    transcript::PROTOCOL_VERSION, transcript::election_transcript, transcript::purpose,
};
use nullivote::manifest::Manifest;
use nullivote::record::{
    Ceremony, DecryptionRecord, ElectionRecord, ElectionResult, RECORD_FORMAT, RecordHeader,
};
use nullivote::tally::Tally;
use nullivote::trustee::{TrusteeKey, round1, round2, round3, round4};
use nullivote::verifier::{Silent, verify};
use nullivote::{
    AuthorityKey,
    board::{ENTRY_TAG, Entry, Payload, Receipt},
};
use nullivote::{Element, hazmat::decode_scalar};
use nullivote::{
    board::{DurableBoard, LOG_FILE, Recovery, StoreError},
    hazmat::{board::HEADER_LEN, board::MAGIC, board::MAX_RECORD_BODY, board::encode_record},
};

/// A fuzz target: a name (its directory under `fuzz/corpus/` and its binary under
/// `fuzz/fuzz_targets/`) and its function.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by name.
pub const TARGETS: &[Target] = &[
    ("element", element),
    ("scalar", scalar),
    ("ciphertext", ciphertext),
    ("schnorr_proof", schnorr_proof),
    ("dleq_proof", dleq_proof),
    ("range_proof", range_proof),
    ("ballot", ballot),
    ("ballot_json", ballot_json),
    ("spoiled_ballot", spoiled_ballot),
    ("challenged_ballot", challenged_ballot),
    ("manifest", manifest),
    ("roll", roll),
    ("board_entry_json", board_entry_json),
    ("trustee_secret", trustee_secret),
    ("record_file_json", record_file_json),
    ("record", record),
    ("board_log", board_log),
];

// ---------------------------------------------------------------------------------------------
// Fixtures: built once, deterministically, from the frozen vectors of `spec/vectors/`.
// ---------------------------------------------------------------------------------------------

const BALLOT_VECTORS: &str = include_str!("../../spec/vectors/ballot.json");

/// The files of the frozen record `spec/vectors/record-v2/`, in the order of
/// [`nullivote::record::FILES`].
pub const RECORD_FILES: [(&str, &str); 8] = [
    (
        "record.json",
        include_str!("../../spec/vectors/record-v2/record.json"),
    ),
    (
        "manifest.json",
        include_str!("../../spec/vectors/record-v2/manifest.json"),
    ),
    (
        "ceremony.json",
        include_str!("../../spec/vectors/record-v2/ceremony.json"),
    ),
    (
        "roll.json",
        include_str!("../../spec/vectors/record-v2/roll.json"),
    ),
    (
        "board.jsonl",
        include_str!("../../spec/vectors/record-v2/board.jsonl"),
    ),
    (
        "tally.json",
        include_str!("../../spec/vectors/record-v2/tally.json"),
    ),
    (
        "decryption.json",
        include_str!("../../spec/vectors/record-v2/decryption.json"),
    ),
    (
        "result.json",
        include_str!("../../spec/vectors/record-v2/result.json"),
    ),
];

fn fixture_hex(v: &serde_json::Value, key: &str) -> Vec<u8> {
    let text = v[key]
        .as_str()
        .unwrap_or_else(|| panic!("fixture: {key} is not a string"));
    decode_hex(text, "fixture").unwrap_or_else(|e| panic!("fixture: {key}: {e}"))
}

/// The election of `spec/vectors/ballot.json` (the leadership manifest, three voters, a
/// single-key election key, an all-zero ceremony digest), against which the ballot targets
/// verify. Its seed ballots verify against it, so the fuzzer starts deep in verification.
pub fn ballot_election() -> &'static Election {
    static ELECTION: OnceLock<Election> = OnceLock::new();
    ELECTION.get_or_init(|| {
        let vectors: serde_json::Value =
            serde_json::from_str(BALLOT_VECTORS).expect("spec/vectors/ballot.json is JSON");
        let f = &vectors["fixture"];
        let manifest = Manifest::from_bytes(&fixture_hex(f, "manifest")).expect("fixture manifest");
        let key =
            Element::from_bytes(&fixture_hex(f, "election_key")).expect("fixture election key");
        let ceremony: [u8; 32] = fixture_hex(f, "ceremony_digest")
            .try_into()
            .expect("fixture ceremony digest");
        let roll = Roll::from_bytes(&fixture_hex(f, "roll")).expect("fixture roll");
        let election = Election::new(
            manifest,
            ElectionKey::new(key),
            CeremonyDigest(ceremony),
            roll,
        );
        assert_eq!(
            election.base_hash().as_bytes()[..],
            fixture_hex(f, "base_hash")[..],
            "the fixture election of spec/vectors/ballot.json does not rebuild"
        );
        election
    })
}

/// The signing key of the fixture's test-only secret `key` (`board_secret_u64_test_only_secret`
/// or `administrator_secret_u64_test_only_secret`), checked against the manifest's key.
fn fixture_signing_key(key: &str) -> AuthorityKey {
    let vectors: serde_json::Value =
        serde_json::from_str(BALLOT_VECTORS).expect("spec/vectors/ballot.json is JSON");
    let secret = vectors["fixture"][key]
        .as_u64()
        .unwrap_or_else(|| panic!("fixture: {key} is not an integer"));
    let signing = AuthorityKey::from_secret(SecretScalar::new(Scalar::from(secret)))
        .unwrap_or_else(|| panic!("fixture: {key} is zero"));
    let authorities = ballot_election().manifest().authorities();
    let expected = if key.starts_with("board") {
        authorities.board
    } else {
        authorities.administrator
    };
    assert!(
        signing.public() == expected,
        "fixture: {key} is not the manifest's key"
    );
    signing
}

/// The board operator's key of the fixture election (`DurableBoard::open` takes it).
pub fn fixture_board_key() -> AuthorityKey {
    fixture_signing_key("board_secret_u64_test_only_secret")
}

/// The administrator's key of the fixture election (it signs the closes of the seed boards).
pub fn fixture_administrator_key() -> AuthorityKey {
    fixture_signing_key("administrator_secret_u64_test_only_secret")
}

/// The frozen record of `spec/vectors/record-v2/`, parsed once.
pub fn frozen_record() -> &'static ElectionRecord {
    static RECORD: OnceLock<ElectionRecord> = OnceLock::new();
    RECORD.get_or_init(|| {
        let files = RECORD_FILES.map(|(_, text)| text.to_string());
        parse_record(&files).expect("spec/vectors/record-v2 parses")
    })
}

/// The election of the frozen record (its manifest, key ceremony and roll).
pub fn frozen_election() -> &'static Election {
    static ELECTION: OnceLock<Election> = OnceLock::new();
    ELECTION.get_or_init(|| {
        let record = frozen_record();
        let public = &record.ceremony.public;
        Election::new(
            record.manifest.clone(),
            public.election_key(),
            public.ceremony_digest(),
            record.roll.clone(),
        )
    })
}

/// What [`ElectionRecord::read`] does with the texts of the eight files (without the file
/// system): JSON files whole, JSON Lines files line by line, the header's format and version
/// checked.
pub fn parse_record(files: &[String; 8]) -> Option<ElectionRecord> {
    fn json<T: DeserializeOwned>(text: &str) -> Option<T> {
        serde_json::from_str(text).ok()
    }
    fn lines<T: DeserializeOwned>(text: &str) -> Option<Vec<T>> {
        text.lines().map(|l| serde_json::from_str(l).ok()).collect()
    }
    let header: RecordHeader = json(&files[0])?;
    if header.format != RECORD_FORMAT || header.version != PROTOCOL_VERSION {
        return None;
    }
    Some(ElectionRecord {
        header,
        manifest: json(&files[1])?,
        ceremony: json(&files[2])?,
        roll: json(&files[3])?,
        board: lines(&files[4])?,
        tally: json(&files[5])?,
        decryption: json(&files[6])?,
        result: json(&files[7])?,
    })
}

// ---------------------------------------------------------------------------------------------
// Round-trip helpers
// ---------------------------------------------------------------------------------------------

/// Hex of at most the first 512 bytes (a report names the input; the fuzzer saves it whole).
fn hex(bytes: &[u8]) -> String {
    let mut out: String = bytes.iter().take(512).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 512 {
        out.push_str(&format!("… ({} bytes)", bytes.len()));
    }
    out
}

/// Decodes `data` with `T`'s binary codec; if it decodes, checks that it re-encodes to `data`.
fn wire<T: Wire + PartialEq>(data: &[u8]) -> Option<T> {
    let value = T::decode(data).ok()?;
    let bytes = value.encode();
    assert!(
        bytes == data,
        "{}: decoded, then re-encoded to other bytes:\n input {}\noutput {}",
        T::NAME,
        hex(data),
        hex(&bytes)
    );
    Some(value)
}

/// A value (from JSON, or computed) whose binary encoding must decode back to it.
fn binary_agrees<T: Wire + PartialEq>(value: &T) {
    let bytes = value.encode();
    match T::decode(&bytes) {
        Ok(back) => assert!(
            back == *value,
            "{}: its binary encoding decodes to another value: {}",
            T::NAME,
            hex(&bytes)
        ),
        Err(e) => panic!(
            "{}: accepted (from JSON, or computed), but its binary encoding is refused: {e}: {}",
            T::NAME,
            hex(&bytes)
        ),
    }
}

/// Decodes `data` as JSON; if it decodes, checks that the value serializes to JSON that
/// decodes to the same value and serializes to the same text.
fn json<T: Serialize + DeserializeOwned + PartialEq>(data: &[u8]) -> Option<T> {
    let value: T = serde_json::from_slice(data).ok()?;
    json_agrees(&value);
    Some(value)
}

/// A value whose JSON must decode back to it, and serialize to the same text again.
fn json_agrees<T: Serialize + DeserializeOwned + PartialEq>(value: &T) {
    let text = serde_json::to_vec(value).expect("a decoded value serializes");
    let back: T = serde_json::from_slice(&text).unwrap_or_else(|e| {
        panic!(
            "{}: serialized to JSON that does not decode: {e}: {}",
            std::any::type_name::<T>(),
            String::from_utf8_lossy(&text)
        )
    });
    assert!(
        back == *value,
        "{}: JSON round trip changed the value: {}",
        std::any::type_name::<T>(),
        String::from_utf8_lossy(&text)
    );
    let again = serde_json::to_vec(&back).expect("a decoded value serializes");
    assert!(
        again == text,
        "{}: JSON is not stable:\n{}\n{}",
        std::any::type_name::<T>(),
        String::from_utf8_lossy(&text),
        String::from_utf8_lossy(&again)
    );
}

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

/// `Element::from_bytes` (and its `Wire` and JSON forms).
pub fn element(data: &[u8]) {
    if let Ok(e) = Element::from_bytes(data) {
        assert_eq!(e.to_bytes()[..], data[..], "element re-encodes differently");
        assert_eq!(e.point().compress().as_bytes()[..], data[..]);
        json_agrees(&e);
    }
    wire::<Element>(data);
    if let Some(e) = json::<Element>(data) {
        binary_agrees(&e);
    }
}

/// `decode_scalar`.
pub fn scalar(data: &[u8]) {
    if let Ok(s) = decode_scalar(data, "fuzz") {
        assert_eq!(s.to_bytes()[..], data[..], "scalar re-encodes differently");
        let reduced = Scalar::from_bytes_mod_order(s.to_bytes());
        assert_eq!(reduced, s, "a decoded scalar is not reduced");
    }
}

/// `Ciphertext` and `CiphertextSum` (binary and JSON).
pub fn ciphertext(data: &[u8]) {
    if let Some(c) = wire::<Ciphertext>(data) {
        json_agrees(&c);
        // A ciphertext is also a valid aggregate.
        let sum = Ciphertext::sum([&c]);
        assert_eq!(sum.encode(), data, "a ciphertext's sum encodes differently");
    }
    if let Some(s) = wire::<CiphertextSum>(data) {
        json_agrees(&s);
    }
    if let Some(c) = json::<Ciphertext>(data) {
        binary_agrees(&c);
    }
    if let Some(s) = json::<CiphertextSum>(data) {
        binary_agrees(&s);
    }
}

/// `SchnorrProof` (binary and JSON).
pub fn schnorr_proof(data: &[u8]) {
    if let Some(p) = wire::<SchnorrProof>(data) {
        json_agrees(&p);
    }
    if let Some(p) = json::<SchnorrProof>(data) {
        binary_agrees(&p);
    }
}

/// `DleqProof` (binary and JSON).
pub fn dleq_proof(data: &[u8]) {
    if let Some(p) = wire::<DleqProof>(data) {
        json_agrees(&p);
    }
    if let Some(p) = json::<DleqProof>(data) {
        binary_agrees(&p);
    }
}

/// `RangeProof` (binary and JSON); whatever decodes is verified against a fixed statement of
/// its own branch count and of a 0/1 range: never a panic.
pub fn range_proof(data: &[u8]) {
    let decoded = wire::<RangeProof>(data);
    if let Some(p) = &decoded {
        json_agrees(p);
    }
    let from_json = json::<RangeProof>(data);
    if let Some(p) = &from_json {
        binary_agrees(p);
    }
    for proof in decoded.iter().chain(&from_json) {
        let election = ballot_election();
        let key = election.key();
        let ciphertexts = [key.encrypt(&Scalar::ONE, &Scalar::from(7u8))];
        let n = proof.branches();
        let own = u32::try_from(n).expect("at most 256 branches") - 1;
        for high in [own, 1] {
            let statement = RangeStatement {
                key,
                ciphertexts: &ciphertexts,
                low: 0,
                high,
            };
            let mut t = election_transcript(purpose::SELECTION, election.base_hash().as_bytes());
            let _ = proof.verify(&statement, &mut t);
        }
    }
}

/// Checks a ballot against the fixture election: verification never panics, and one ballot
/// alone and in a batch get the same verdict.
fn verify_ballot(b: &Ballot) {
    let election = ballot_election();
    let _ = b.tracking_code();
    let alone = b.verify(election);
    let batch = verify_batch(core::slice::from_ref(b), election);
    match (&alone, &batch) {
        (Ok(()), Ok(())) => {}
        (Err(e), Err(list)) => assert!(
            list.len() == 1 && list[0].0 == 0 && list[0].1 == *e,
            "batch verification names another error: alone {e:?}, batch {list:?}"
        ),
        _ => panic!("one ballot alone and in a batch disagree: alone {alone:?}, batch {batch:?}"),
    }
}

/// `Ballot::decode`, then verification against the fixture election.
pub fn ballot(data: &[u8]) {
    if let Some(b) = wire::<Ballot>(data) {
        json_agrees(&b);
        verify_ballot(&b);
    }
}

/// A ballot in JSON, then its binary form and verification.
pub fn ballot_json(data: &[u8]) {
    if let Some(b) = json::<Ballot>(data) {
        binary_agrees(&b);
        verify_ballot(&b);
    }
}

/// `SpoiledBallot` (binary and JSON), then its check against the fixture election.
pub fn spoiled_ballot(data: &[u8]) {
    let decoded = wire::<SpoiledBallot>(data);
    if let Some(s) = &decoded {
        json_agrees(s);
    }
    let from_json = json::<SpoiledBallot>(data);
    if let Some(s) = &from_json {
        binary_agrees(s);
    }
    for s in decoded.iter().chain(&from_json) {
        let _ = s.verify(ballot_election());
    }
}

/// `ChallengedBallot` (binary and JSON), its check, and its public (spoiled) form: a
/// challenged ballot that opens has a spoiled form that opens to the same votes.
pub fn challenged_ballot(data: &[u8]) {
    let decoded = wire::<ChallengedBallot>(data);
    if let Some(c) = &decoded {
        json_agrees(c);
    }
    let from_json = json::<ChallengedBallot>(data);
    if let Some(c) = &from_json {
        binary_agrees(c);
    }
    for c in decoded.iter().chain(&from_json) {
        let election = ballot_election();
        let spoiled = c.spoiled();
        binary_agrees(&spoiled);
        json_agrees(&spoiled);
        if let Ok(votes) = c.verify(election) {
            assert_eq!(
                spoiled.verify(election).ok(),
                Some(votes),
                "a challenged ballot opens, but its spoiled form does not open to the same votes"
            );
        }
    }
}

/// `Manifest::from_bytes` and its JSON form; both forms agree, and `Wire::decode` accepts
/// exactly what `from_bytes` accepts.
pub fn manifest(data: &[u8]) {
    let typed = Manifest::from_bytes(data);
    let narrowed = <Manifest as Wire>::decode(data);
    assert_eq!(
        typed.is_ok(),
        narrowed.is_ok(),
        "Manifest::from_bytes and Wire::decode disagree"
    );
    if let Some(m) = wire::<Manifest>(data) {
        json_agrees(&m);
        let _ = m.digest();
    }
    if let Some(m) = json::<Manifest>(data) {
        binary_agrees(&m);
    }
}

/// `Roll::from_bytes` and its JSON form.
pub fn roll(data: &[u8]) {
    if let Ok(r) = Roll::from_bytes(data) {
        let bytes = r.to_bytes();
        assert!(
            bytes == data,
            "roll: decoded, then re-encoded to other bytes"
        );
        json_agrees(&r);
        let _ = r.digest();
    }
    if let Some(r) = json::<Roll>(data) {
        let back = Roll::from_bytes(&r.to_bytes()).unwrap_or_else(|e| {
            panic!("roll: accepted in JSON, but its binary encoding is refused: {e}")
        });
        assert!(
            back == r,
            "roll: its binary encoding decodes to another roll"
        );
    }
}

/// A board entry in JSON (one line of `board.jsonl`), and `Payload::from_bytes` of a kind byte
/// followed by a payload: each payload's binary form decodes back to it.
pub fn board_entry_json(data: &[u8]) {
    if let Some(entry) = json::<Entry>(data) {
        let _ = entry.digest();
        let bytes = entry.payload.to_bytes();
        match Payload::from_bytes(entry.payload.kind(), &bytes) {
            Ok(back) => assert!(
                back == entry.payload,
                "payload: its binary encoding decodes to another payload"
            ),
            Err(e) => panic!("payload: accepted in JSON, but its binary encoding is refused: {e}"),
        }
    }
    if let [kind, payload @ ..] = data
        && let Ok(p) = Payload::from_bytes(*kind, payload)
    {
        assert_eq!(p.kind(), *kind, "payload decoded as another kind");
        assert!(
            p.to_bytes() == payload,
            "payload: decoded, then re-encoded to other bytes"
        );
        json_agrees(&p);
    }
}

/// Every trustee secret decoder (`from_secret_bytes`): whatever loads saves to the same bytes.
pub fn trustee_secret(data: &[u8]) {
    fn same(kind: &str, saved: &[u8], data: &[u8]) {
        assert!(
            saved == data,
            "{kind}: loaded, then saved to other bytes:\n input {}\noutput {}",
            hex(data),
            hex(saved)
        );
    }
    if let Ok(key) = TrusteeKey::from_secret_bytes(data) {
        same("trustee key", &key.to_secret_bytes(), data);
    }
    if let Ok(s) = round1::SecretPackage::from_secret_bytes(data) {
        same("round-1 secret", &s.to_secret_bytes(), data);
        json_agrees(&s.package());
    }
    if let Ok(s) = round2::SecretPackage::from_secret_bytes(data) {
        same("round-2 secret", &s.to_secret_bytes(), data);
        json_agrees(&s.package());
    }
    if let Ok(s) = round3::SecretPackage::from_secret_bytes(data) {
        same("round-3 secret", &s.to_secret_bytes(), data);
        json_agrees(&s.package());
    }
    if let Ok(s) = round4::SecretPackage::from_secret_bytes(data) {
        same("round-4 secret", &s.to_secret_bytes(), data);
        json_agrees(&s.package());
    }
}

/// Every JSON file type of a record: `record.json`, `manifest.json`, `ceremony.json` (whose
/// packages are then verified against the frozen record's manifest), `roll.json`, `tally.json`,
/// `decryption.json`, `result.json`; and a signed receipt (what a voter keeps, and
/// `check-receipt` reads), checked against the frozen record's election and board.
pub fn record_file_json(data: &[u8]) {
    json::<RecordHeader>(data);
    if let Some(m) = json::<Manifest>(data) {
        binary_agrees(&m);
    }
    if let Some(c) = json::<Ceremony>(data) {
        let _ = c.transcript.verify(&frozen_record().manifest);
        let _ = c.public.election_key();
        let _ = c.public.ceremony_digest();
    }
    json::<Roll>(data);
    if let Some(r) = json::<Receipt>(data) {
        let verified = r.verify(frozen_election()).is_ok();
        let on_board = frozen_record()
            .board
            .get(r.position as usize)
            .is_some_and(|e| e.digest() == r.entry);
        // Only the board signs receipts, and the frozen board's receipts are of its entries:
        // a receipt that verifies and names another entry would be evidence against it.
        assert!(
            !verified || on_board,
            "a receipt that verifies names an entry the frozen board does not hold"
        );
    }
    if let Some(t) = json::<Tally>(data) {
        for s in t.aggregates.iter().flatten() {
            binary_agrees(s);
        }
    }
    json::<DecryptionRecord>(data);
    if let Some(r) = json::<ElectionResult>(data) {
        let _ = r.values();
    }
}

/// Record verification: the first byte picks one file of the frozen record (modulo 8), the rest
/// replaces it. Whatever parses is verified: never a panic; the frozen record itself passes; and
/// a record that passes announces the frozen record's result (one changed file cannot change a
/// verified result).
pub fn record(data: &[u8]) {
    let [pick, rest @ ..] = data else {
        return;
    };
    let Ok(text) = core::str::from_utf8(rest) else {
        return;
    };
    let index = usize::from(*pick) % RECORD_FILES.len();
    let mut files = RECORD_FILES.map(|(_, t)| t.to_string());
    let unchanged = files[index] == text;
    files[index] = text.to_string();
    let Some(record) = parse_record(&files) else {
        assert!(!unchanged, "the frozen record does not parse");
        return;
    };
    let report = verify(&record, &Silent);
    let frozen = frozen_record();
    if unchanged {
        assert!(report.passed(), "the frozen record does not verify");
    }
    if report.passed() {
        assert!(
            report.result.as_ref() == Some(&record.result),
            "a passing report does not carry the record's result"
        );
        assert!(
            record.result == frozen.result,
            "a record with {} changed passes with another result",
            RECORD_FILES[index].0
        );
        assert!(
            record.header == frozen.header
                && record.manifest == frozen.manifest
                && record.roll == frozen.roll
                && record.board == frozen.board
                && record.tally == frozen.tally,
            "a record with {} changed passes with another header, manifest, roll, board or tally",
            RECORD_FILES[index].0
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The durable board's files
// ---------------------------------------------------------------------------------------------

/// A fresh directory under the system's temporary directory (`TMPDIR`), removed when dropped
/// (also when a check panics). Unique per process and call, so parallel tests do not share one.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "nullivote-fuzz-board-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap_or_else(|e| panic!("fixture: {}: {e}", path.display()));
        Self(path)
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        let path = self.0.join(name);
        fs::write(&path, bytes).unwrap_or_else(|e| panic!("fixture: {}: {e}", path.display()));
    }

    fn read(&self, name: &str) -> Vec<u8> {
        let path = self.0.join(name);
        fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The smallest record body: position, previous, kind.
const MIN_BODY: usize = 8 + 32 + 1;

/// The length of the record at the start of `bytes` if it is complete and self-consistent
/// (length in `41..=MAX_RECORD_BODY`, body and digest present, digest matching), written from
/// the module's documented layout rather than from its code.
fn intact_record(bytes: &[u8]) -> Option<usize> {
    let n = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?);
    if !(MIN_BODY as u32..=MAX_RECORD_BODY).contains(&n) {
        return None;
    }
    let n = n as usize;
    let body = bytes.get(4..4 + n)?;
    let digest = bytes.get(4 + n..4 + n + 32)?;
    let mut h = Sha256::new();
    h.update((ENTRY_TAG.len() as u64).to_be_bytes());
    h.update(ENTRY_TAG);
    h.update(body);
    (h.finalize()[..] == digest[..]).then_some(4 + n + 32)
}

/// The position a record at the start of `bytes` names (its body's first 8 bytes).
fn record_position(bytes: &[u8]) -> u64 {
    u64::from_be_bytes(bytes[4..12].try_into().expect("an intact record"))
}

/// What the module's documentation says opening a given `board.log` must do, before payloads
/// are decoded and the chain is verified.
#[derive(Debug, PartialEq, Eq)]
enum LogShape {
    /// Shorter than the header, or another magic: `NotABoard`.
    NotABoard,
    /// The header of another election: `OtherElection` naming its base hash.
    OtherElection([u8; 32]),
    /// A bad record followed by a complete, self-consistent record of a plausible later
    /// position (see [`log_shape`]): `Damaged` naming the bad record's position and offset.
    Damaged { position: u64, offset: u64 },
    /// `records` intact records up to byte `kept`; whatever follows is a torn write, cut off if
    /// the board is served.
    Intact { records: u64, kept: usize },
}

/// The shape of a log, from the layout. A later record makes a bad one damage rather than a
/// torn write if its position `p` is at least the bad record's `position` (as the module's
/// documentation says) and, as its code also requires, `p − position` is at most the length of
/// the tail from the bad record on: a genuine later record at byte `k` of the tail is at most
/// `k / 77` positions on, so only a forged record is cut off for it.
fn log_shape(data: &[u8], base_hash: &[u8; 32]) -> LogShape {
    let header = HEADER_LEN as usize;
    if data.len() < header || data[..MAGIC.len()] != MAGIC[..] {
        return LogShape::NotABoard;
    }
    let found: [u8; 32] = data[MAGIC.len()..header].try_into().expect("32 bytes");
    if found != *base_hash {
        return LogShape::OtherElection(found);
    }
    let (mut offset, mut records) = (header, 0u64);
    while offset < data.len() {
        if let Some(len) = intact_record(&data[offset..]) {
            offset += len;
            records += 1;
            continue;
        }
        let tail = &data[offset..];
        let later = (1..tail.len()).any(|k| {
            intact_record(&tail[k..]).is_some()
                && record_position(&tail[k..])
                    .checked_sub(records)
                    .is_some_and(|ahead| ahead <= tail.len() as u64)
        });
        if later {
            return LogShape::Damaged {
                position: records,
                offset: offset as u64,
            };
        }
        break;
    }
    LogShape::Intact {
        records,
        kept: offset,
    }
}

/// Checks a board directory holding `log` against the recovery contract of
/// `nullivote::board`, for the fixture election (opened with its board key):
///
/// * opening never panics, and never fails with `Io` (nothing here is a file-system failure);
/// * a wrong header is `NotABoard` or `OtherElection`; a bad record with an intact record of a
///   later-or-equal position anywhere after it is `Damaged`, naming its position and offset;
/// * a refused board changes nothing on disk;
/// * a served board kept exactly the intact records: `board.log` is now the header and those
///   records (the torn tail, and only it, cut off), and the entries re-encode
///   (`encode_record`) to exactly those bytes; `Recovery` reports the entries and the bytes
///   cut; a refusal is an entry like any other (there is no other file);
/// * reopening a served board serves the same entries and head, and repairs nothing.
fn check_board_dir(log: &[u8]) {
    let election = ballot_election();
    let base_hash = *election.base_hash().as_bytes();
    let dir = TempDir::new();
    dir.write(LOG_FILE, log);
    let shape = log_shape(log, &base_hash);

    let opened = DurableBoard::open(dir.path(), election.clone(), fixture_board_key());
    let board = match opened {
        Err(e) => {
            assert!(
                dir.read(LOG_FILE) == log,
                "board.log changed, but the board was refused: {e}"
            );
            match (&e, &shape) {
                (StoreError::NotABoard { .. }, LogShape::NotABoard) => {}
                (StoreError::OtherElection { found, .. }, LogShape::OtherElection(f)) => {
                    assert_eq!(found.as_bytes(), f, "OtherElection names another base hash");
                }
                (
                    StoreError::Damaged {
                        position, offset, ..
                    },
                    LogShape::Damaged {
                        position: p,
                        offset: o,
                    },
                ) => assert_eq!(
                    (position, offset),
                    (p, o),
                    "Damaged names another record: {e}"
                ),
                // Intact records whose payloads do not decode, or are not canonical.
                (StoreError::Damaged { position, .. }, LogShape::Intact { records, .. }) => {
                    assert!(
                        position < records,
                        "Damaged names a record that is not intact: {e}"
                    );
                }
                (StoreError::Chain(errors), LogShape::Intact { .. }) => {
                    assert!(!errors.is_empty(), "a Chain error lists no problem");
                }
                _ => panic!("board.log of shape {shape:?} refused with {e}"),
            }
            return;
        }
        Ok(board) => board,
    };

    let LogShape::Intact { records, kept } = shape else {
        panic!("board.log of shape {shape:?} was served");
    };
    let entries = board.board().entries().to_vec();
    assert_eq!(
        entries.len() as u64,
        records,
        "served another number of entries"
    );
    let mut encoded = log[..HEADER_LEN as usize].to_vec();
    for entry in &entries {
        encoded.extend(encode_record(entry));
    }
    assert!(
        encoded == log[..kept],
        "the served entries re-encode to other bytes than the intact records:\n input {}\noutput {}",
        hex(&log[..kept]),
        hex(&encoded)
    );
    assert!(
        dir.read(LOG_FILE) == log[..kept],
        "board.log is not its intact records after opening ({} bytes kept of {}, {} on disk)",
        kept,
        log.len(),
        dir.read(LOG_FILE).len()
    );
    let head = entries
        .last()
        .map_or(EntryDigest::genesis(election.base_hash()), Entry::digest);
    assert_eq!(
        board.board().head(),
        head,
        "the head is not the last entry's digest"
    );
    assert_eq!(
        *board.recovery(),
        Recovery {
            entries: records,
            torn_bytes: (log.len() - kept) as u64,
            created: false,
        },
        "Recovery misreports what was found"
    );
    // Every entry served has its signed receipt, which verifies and names that entry.
    for entry in &entries {
        let receipt = board
            .board()
            .receipt_of(entry.position)
            .expect("a served entry has a receipt");
        assert!(
            receipt.verify(election).is_ok() && receipt.entry == entry.digest(),
            "the receipt of a served entry does not verify or names another entry"
        );
    }
    drop(board);

    let again = DurableBoard::open(dir.path(), election.clone(), fixture_board_key())
        .unwrap_or_else(|e| panic!("a served board does not reopen: {e}"));
    assert!(
        again.board().entries() == entries,
        "a served board reopens with other entries"
    );
    assert_eq!(
        again.board().head(),
        head,
        "a served board reopens with another head"
    );
    assert_eq!(
        *again.recovery(),
        Recovery {
            entries: records,
            ..Recovery::default()
        },
        "a served board repairs something when reopened"
    );
    assert!(
        dir.read(LOG_FILE) == log[..kept],
        "reopening changed board.log"
    );
}

/// `DurableBoard::open` of a directory whose `board.log` is the input, for the fixture
/// election: see [`check_board_dir`].
pub fn board_log(data: &[u8]) {
    check_board_dir(data);
}
