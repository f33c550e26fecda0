//! Resource limits: inputs that claim far more than they hold, or that are built to exhaust a
//! parser (a ballot with a million options, a 100 MB field, JSON nested 10,000 levels deep,
//! binary counts at `u16::MAX`/`u32::MAX`, a record claiming a billion board entries, a range
//! proof claiming 65,535 branches). Each must be refused with an error naming what is wrong,
//! quickly, and without allocating in proportion to what it claims.
//!
//! Memory is measured with a counting allocator: [`peak_of`] reports the most bytes the test's
//! own thread held at once above what it held when the measured call began. (Allocations made
//! by other threads, such as rayon's workers, are not counted; the claims are sized so that an
//! allocation in proportion to them would be tens of gigabytes, far beyond the machine, so the
//! test's completing is itself a bound.) Elapsed time is asserted only against a generous bound
//! ([`HANG`]), as a guard against hangs, never as a benchmark.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use nullivote::EncodingError;
use nullivote::ballot::{Ballot, ChallengedBallot, SpoiledBallot};
use nullivote::credential::{MAX_ROLL, Roll, RollError};
use nullivote::hazmat::Wire;
use nullivote::hazmat::proofs::RangeProof;
use nullivote::manifest::{MAX_CONTESTS, MAX_OPTIONS, Manifest};
use nullivote::record::ElectionRecord;
use nullivote::verifier::{CheckId, Silent, verify};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------

/// The system allocator, counting the bytes each thread holds.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn track(delta: isize) {
    // `try_with`: a thread being torn down has no counters left; its frees are not counted.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded unchanged to `System`; the counters are plain thread-local
// cells that never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is `System.alloc`'s.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            track(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is `System.alloc_zeroed`'s.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            track(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is `System.dealloc`'s.
        unsafe { System.dealloc(ptr, layout) };
        track(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract is `System.realloc`'s.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            track(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The hang guard: every refusal here takes milliseconds; this only catches a hang or a loop
/// over the claimed count.
const HANG: Duration = Duration::from_secs(30);

const MB: usize = 1 << 20;

/// Runs `f` on this thread; returns its result and the most bytes this thread held at once
/// during the call, above what it held when the call began. Fails if `f` takes longer than
/// [`HANG`].
fn peak_of<T>(what: &str, f: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let clock = Instant::now();
    let out = f();
    let elapsed = clock.elapsed();
    let peak = usize::try_from(PEAK.with(Cell::get) - start).unwrap_or(0);
    assert!(elapsed < HANG, "{what}: took {elapsed:?}");
    eprintln!("{what}: {elapsed:?}, peak {} KiB", peak / 1024);
    (out, peak)
}

/// `f` must fail within [`HANG`], holding at most `limit` bytes at once; returns the error's
/// text.
fn refused<T, E: std::fmt::Display>(
    what: &str,
    limit: usize,
    f: impl FnOnce() -> Result<T, E>,
) -> String {
    let (out, peak) = peak_of(what, f);
    let message = match out {
        Ok(_) => panic!("{what}: accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        peak <= limit,
        "{what}: held {peak} bytes at once (limit {limit}): {message}"
    );
    message
}

fn assert_names(message: &str, expected: &[&str]) {
    for part in expected {
        assert!(
            message.contains(part),
            "the error does not say {part:?}: {message}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

fn vectors() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/ballot.json");
    serde_json::from_str(&fs::read_to_string(&path).expect("ballot vectors")).expect("JSON")
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("a hex string")).expect("hex")
}

/// The first ballot of the vectors: its JSON and its binary encoding.
fn a_ballot() -> (Value, Vec<u8>) {
    let v = vectors();
    let b = &v["ballots"][0];
    (b["json"].clone(), unhex(&b["encoding"]))
}

/// `json` with the value at `pointer` replaced by the raw JSON text `raw` (serialized, then
/// spliced, so that `raw` may be larger or deeper than a `Value` should hold).
fn splice(json: &Value, pointer: &str, raw: &str) -> String {
    const MARK: &str = "\"@@SPLICE@@\"";
    let mut v = json.clone();
    *v.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer}")) = Value::String("@@SPLICE@@".into());
    let text = serde_json::to_string(&v).expect("JSON");
    let at = text.find(MARK).expect("the mark");
    let mut out = String::with_capacity(text.len() + raw.len());
    out.push_str(&text[..at]);
    out.push_str(raw);
    out.push_str(&text[at + MARK.len()..]);
    out
}

/// `count` copies of `item` as a JSON array.
fn array_of(item: &str, count: usize) -> String {
    let mut out = String::with_capacity(count * (item.len() + 1) + 2);
    out.push('[');
    for i in 0..count {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push(']');
    out
}

fn nested(depth: usize) -> String {
    let mut out = "[".repeat(depth);
    out.push_str(&"]".repeat(depth));
    out
}

// ---------------------------------------------------------------------------------------------
// A ballot with a million options
// ---------------------------------------------------------------------------------------------

/// A JSON ballot whose contest lists 10⁶ options: the first 64 are real selections, the rest
/// need not be (the decoder must stop at the 65th, before decoding it or reading the rest).
#[test]
fn a_json_ballot_with_a_million_options() {
    let (json, _) = a_ballot();
    let selection = serde_json::to_string(&json["contests"][0]["selections"][0]).expect("JSON");
    let mut items = array_of(&selection, MAX_OPTIONS);
    items.pop();
    items.push_str(&",0".repeat(1_000_000 - MAX_OPTIONS));
    items.push(']');
    let text = splice(&json, "/contests/0/selections", &items);
    let message = refused("1e6 options (JSON)", MB, || {
        serde_json::from_str::<Ballot>(&text)
    });
    assert_names(&message, &["ballot.selections", "exceeds the limit of 64"]);

    // The same with a million real selections claimed by the text: refused at the 65th.
    let many = array_of(&selection, MAX_OPTIONS + 1);
    let text = splice(&json, "/contests/0/selections", &many);
    let message = refused("65 real options (JSON)", MB, || {
        serde_json::from_str::<Ballot>(&text)
    });
    assert_names(&message, &["ballot.selections", "exceeds the limit of 64"]);
}

fn manifest_with_options(count: usize) -> String {
    let v = vectors();
    let manifest = Manifest::from_bytes(&unhex(&v["fixture"]["manifest"])).expect("a manifest");
    let json = serde_json::to_value(&manifest).expect("JSON");
    splice(&json, "/contests/0/options", &array_of("\"a\"", count))
}

/// A JSON manifest whose one contest lists 10⁶ options (at most 64): the list is refused at its
/// 65th element, as the ballot's JSON decoder does (`codec::bounded_vec`), in bounded memory.
#[test]
fn a_json_manifest_with_a_million_options_stops_at_the_limit() {
    let text = manifest_with_options(1_000_000);
    let message = refused("1e6 options (manifest JSON), strictly", MB, || {
        serde_json::from_str::<Manifest>(&text)
    });
    assert_names(&message, &["options", "limit of 64"]);
}

#[test]
fn a_json_ballot_with_a_million_contests() {
    let (json, _) = a_ballot();
    let contest = serde_json::to_string(&json["contests"][0]).expect("JSON");
    let mut items = array_of(&contest, MAX_CONTESTS);
    items.pop();
    items.push_str(&",0".repeat(1_000_000 - MAX_CONTESTS));
    items.push(']');
    let text = splice(&json, "/contests", &items);
    let message = refused("1e6 contests (JSON)", 2 * MB, || {
        serde_json::from_str::<Ballot>(&text)
    });
    assert_names(&message, &["ballot.contests", "exceeds the limit of 64"]);
}

/// Binary ballots whose counts are `u16::MAX`: contests, selections, and a selection proof's
/// branches (whose claimed length, 8 MB, is far past the end of the input).
#[test]
fn binary_ballots_claiming_u16_max_entries() {
    let (_, bytes) = a_ballot();
    // Layout: "NVB" 3 ‖ version 2 ‖ base hash 32 ‖ channel 1 ‖ nullifier 32 ‖ contests 2 (at 70)
    // ‖ selections 2 (at 72) ‖ ciphertext 64 ‖ selection proof branches 2 (at 138).
    let at = |offset: usize, value: u16| {
        let mut b = bytes.clone();
        b[offset..offset + 2].copy_from_slice(&value.to_be_bytes());
        b
    };
    let contests = at(70, u16::MAX);
    let message = refused("65535 contests (binary)", 64 * 1024, || {
        Ballot::decode(&contests)
    });
    assert_names(&message, &["ballot.contests", "65535", "limit of 64"]);

    let selections = at(72, u16::MAX);
    let message = refused("65535 selections (binary)", 64 * 1024, || {
        Ballot::decode(&selections)
    });
    assert_names(&message, &["ballot.selections", "65535", "limit of 64"]);

    let branches = at(138, u16::MAX);
    let message = refused("65535 branches in a ballot (binary)", 64 * 1024, || {
        Ballot::decode(&branches)
    });
    assert_names(&message, &["ballot.selection_proof", "ends early"]);

    // The same claims in a ballot padded to the length they would need are refused by the
    // count, not by the length.
    let mut padded = at(138, u16::MAX);
    padded.resize(RangeProof::encoded_len(usize::from(u16::MAX)) + 200, 0);
    let message = refused("65535 branches, padded (binary)", 64 * 1024, || {
        Ballot::decode(&padded)
    });
    assert_names(&message, &["range_proof.branches", "65535", "limit of 256"]);
}

/// A challenged ballot claiming a 4 GB ballot, and a spoiled ballot claiming 65,535 contests
/// and options.
#[test]
fn challenged_and_spoiled_ballots_claiming_the_maximum() {
    let v = vectors();
    let challenged = unhex(&v["challenged"]["encoding"]);
    let mut long = challenged.clone();
    long[..4].copy_from_slice(&u32::MAX.to_be_bytes());
    let message = refused("a 4 GB ballot in a challenged ballot", 64 * 1024, || {
        ChallengedBallot::decode(&long)
    });
    assert_names(&message, &["challenged_ballot.ballot", "ends early"]);

    let spoiled = ChallengedBallot::decode(&challenged)
        .expect("the challenged vector")
        .spoiled()
        .encode();
    // "NVS" 3 ‖ version 2 ‖ election 32 ‖ channel 1 ‖ tracking code 32 ‖ digest 32
    // ‖ contests 2 (at 102) ‖ selections 2 (at 104).
    for (offset, field) in [
        (102, "spoiled_ballot.contests"),
        (104, "spoiled_ballot.selections"),
    ] {
        let mut b = spoiled.clone();
        b[offset..offset + 2].copy_from_slice(&u16::MAX.to_be_bytes());
        let message = refused(field, 64 * 1024, || SpoiledBallot::decode(&b));
        assert_names(&message, &[field, "65535"]);
    }
}

// ---------------------------------------------------------------------------------------------
// Range proofs claiming 65,535 branches
// ---------------------------------------------------------------------------------------------

#[test]
fn a_range_proof_claiming_65535_branches() {
    let (json, _) = a_ballot();
    let proof = unhex(&json["contests"][0]["selections"][0]["proof"]);
    let mut claim = proof.clone();
    claim[..2].copy_from_slice(&u16::MAX.to_be_bytes());
    let message = refused("65535 branches", 64 * 1024, || RangeProof::decode(&claim));
    assert_names(&message, &["range_proof.branches", "65535", "limit of 256"]);

    // Padded to the length 65,535 branches would take: still refused by the count first.
    claim.resize(RangeProof::encoded_len(usize::from(u16::MAX)), 0);
    let message = refused("65535 branches, padded", 64 * 1024, || {
        RangeProof::decode(&claim)
    });
    assert_names(&message, &["range_proof.branches", "65535"]);

    // In JSON.
    let text = format!("\"ffff{}\"", hex::encode(&proof[2..]));
    let message = refused("65535 branches (JSON)", 64 * 1024, || {
        serde_json::from_str::<RangeProof>(&text)
    });
    assert_names(&message, &["range_proof.branches", "65535"]);
}

// ---------------------------------------------------------------------------------------------
// A 100 MB field
// ---------------------------------------------------------------------------------------------

/// A JSON ballot whose nullifier (64 hex characters when valid), or whose contest-sum proof
/// (at most 2 × 32,738 hex characters), is 100 MB: refused by its length, before the text is
/// copied or decoded (`codec::wire_serde!` borrows the text and compares its length with the
/// type's longest encoding first), so the decoder holds a few kilobytes, not the field.
#[test]
fn a_json_ballot_with_a_100_mb_field() {
    let (json, _) = a_ballot();
    let field = format!("\"{}\"", "00".repeat(50 * MB));
    let text = splice(&json, "/nullifier", &field);
    let message = refused("a 100 MB nullifier (JSON)", MB, || {
        serde_json::from_slice::<Ballot>(text.as_bytes())
    });
    assert_names(&message, &["nullifier", "exceeds the limit of 32"]);

    // Not hex: refused by its length too, before its characters are looked at.
    let field = format!("\"{}\"", "zz".repeat(50 * MB));
    let text = splice(&json, "/nullifier", &field);
    let message = refused("a 100 MB non-hex nullifier (JSON)", MB, || {
        serde_json::from_slice::<Ballot>(text.as_bytes())
    });
    assert_names(&message, &["nullifier", "exceeds the limit of 32"]);

    let field = format!("\"0002{}\"", "00".repeat(50 * MB));
    let text = splice(&json, "/contests/0/sum_proof", &field);
    let message = refused("a 100 MB range proof (JSON)", MB, || {
        serde_json::from_slice::<Ballot>(text.as_bytes())
    });
    assert_names(&message, &["range_proof", "exceeds the limit of 32738"]);
}

/// A record whose `manifest.json` has a 100 MB election id (256 bytes at most): a clear load
/// error naming the file and the limit.
///
/// Memory is linear in the file, not bounded by the limit: `ElectionRecord::read` reads the
/// whole file (up to `record::MAX_FILE_BYTES`, 16 GiB, for every file) and the id is decoded
/// into a `String` before the manifest's checks see its length, so about twice the field is
/// held at once (bounded here at three times).
#[test]
fn a_record_with_a_100_mb_field() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy_record(dir.path());
    let long = "x".repeat(100 * MB);
    edit(dir.path(), "manifest.json", |t| {
        t.replace("\"club-committee-2026\"", &format!("\"{long}\""))
    });
    drop(long);
    let message = refused("a 100 MB election id", 300 * MB, || {
        ElectionRecord::read(dir.path())
    });
    assert_names(
        &message,
        &[
            "V1",
            "manifest.json",
            "election id",
            "more than the limit of 256",
        ],
    );
}

/// A binary ballot with 100 MB of trailing bytes.
#[test]
fn a_binary_ballot_with_100_mb_appended() {
    let (_, mut bytes) = a_ballot();
    bytes.resize(bytes.len() + 100 * MB, 0);
    let message = refused("100 MB trailing (binary)", 64 * 1024, || {
        Ballot::decode(&bytes)
    });
    assert_names(&message, &["trailing bytes"]);
}

// ---------------------------------------------------------------------------------------------
// Deeply nested JSON
// ---------------------------------------------------------------------------------------------

/// JSON nested 10,000 levels deep: where a ballot expects its contests, as a whole ballot or
/// manifest, as a generic JSON value, and as the element a bounded list skips past its limit.
///
/// No nullivote type is recursive, so a typed decoder meets a type error a few levels down
/// (a ballot's contest is an object, never an array of arrays) and stops there; a generic
/// value stops at serde_json's recursion limit (128); the element past a list's limit is
/// skipped by serde_json without recursion (a byte of state per level, within the input's
/// size), so a million levels there are refused by the list's limit.
#[test]
fn json_nested_ten_thousand_levels() {
    let (json, _) = a_ballot();
    let deep = nested(10_000);
    let clear = |m: &str| m.contains("recursion limit exceeded") || m.contains("invalid type");

    let text = splice(&json, "/contests", &deep);
    let message = refused("nested contests", MB, || {
        serde_json::from_str::<Ballot>(&text)
    });
    assert!(clear(&message), "{message}");

    let message = refused("a nested ballot", MB, || {
        serde_json::from_str::<Ballot>(&deep)
    });
    assert!(clear(&message), "{message}");

    let message = refused("a nested manifest", MB, || {
        serde_json::from_str::<Manifest>(&deep)
    });
    assert!(clear(&message), "{message}");

    let message = refused("a nested value", MB, || {
        serde_json::from_str::<Value>(&deep)
    });
    assert_names(&message, &["recursion limit exceeded"]);

    let objects = format!("{}{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let message = refused("nested objects", MB, || {
        serde_json::from_str::<Value>(&objects)
    });
    assert_names(&message, &["recursion limit exceeded"]);

    let contest = serde_json::to_string(&json["contests"][0]).expect("JSON");
    let mut items = array_of(&contest, MAX_CONTESTS);
    items.pop();
    items.push(',');
    items.push_str(&nested(1_000_000));
    items.push(']');
    let text = splice(&json, "/contests", &items);
    let message = refused("a million levels past the limit", 4 * MB, || {
        serde_json::from_str::<Ballot>(&text)
    });
    assert_names(&message, &["ballot.contests", "exceeds the limit of 64"]);
}

// ---------------------------------------------------------------------------------------------
// Rolls and manifests claiming the maximum
// ---------------------------------------------------------------------------------------------

fn roll_header(count: u32) -> Vec<u8> {
    let mut out = Roll::MAGIC.to_vec();
    out.extend_from_slice(&nullivote::hazmat::transcript::PROTOCOL_VERSION.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    out
}

#[test]
fn a_roll_claiming_four_billion_entries() {
    let mut bytes = roll_header(u32::MAX);
    bytes.extend_from_slice(&[0x42; 64]);
    let (out, peak) = peak_of("a roll of u32::MAX entries", || Roll::from_bytes(&bytes));
    assert!(
        matches!(out, Err(RollError::TooMany { count, limit }) if count == u32::MAX as usize && limit == MAX_ROLL),
        "{out:?}"
    );
    assert!(peak < 64 * 1024, "{peak} bytes");

    // At the limit, with two entries present: refused for its length, before allocating 320 MB.
    let mut bytes = roll_header(MAX_ROLL as u32);
    bytes.extend_from_slice(&[0x42; 64]);
    let message = refused("a roll of MAX_ROLL entries", 64 * 1024, || {
        Roll::from_bytes(&bytes)
    });
    assert_names(&message, &["roll.entries", "ends early"]);
}

#[test]
fn manifests_claiming_u16_max_entries() {
    let v = vectors();
    let manifest = unhex(&v["fixture"]["manifest"]);
    // "NVM" 3 ‖ version 2 ‖ election id length 2 (at 5) ‖ id ‖ contests 2 ‖ contest name
    // length 2 ‖ name ‖ options 2.
    let id_len = usize::from(u16::from_be_bytes([manifest[5], manifest[6]]));
    let contests_at = 7 + id_len;
    let name_len = usize::from(u16::from_be_bytes([
        manifest[contests_at + 2],
        manifest[contests_at + 3],
    ]));
    let options_at = contests_at + 4 + name_len;
    for (offset, what) in [
        (5, "an election id of 65535 bytes"),
        (contests_at, "65535 contests"),
        (contests_at + 2, "a contest name of 65535 bytes"),
        (options_at, "65535 options"),
    ] {
        let mut b = manifest.clone();
        b[offset..offset + 2].copy_from_slice(&u16::MAX.to_be_bytes());
        let message = refused(what, 64 * 1024, || Manifest::from_bytes(&b));
        assert!(message.contains("manifest"), "{what}: {message}");
    }
}

// ---------------------------------------------------------------------------------------------
// A record claiming a billion board entries
// ---------------------------------------------------------------------------------------------

fn copy_record(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/record-v2");
    for entry in fs::read_dir(&from).expect("spec/vectors/record-v2") {
        let path = entry.expect("an entry").path();
        fs::copy(&path, to.join(path.file_name().expect("a name"))).expect("copy");
    }
}

/// The number of entries of the frozen record's board (its lines).
fn frozen_board_entries() -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/record-v2/board.jsonl");
    fs::read_to_string(path)
        .expect("board.jsonl")
        .lines()
        .count()
}

fn edit(dir: &Path, file: &str, f: impl FnOnce(String) -> String) {
    let path = dir.join(file);
    let text = fs::read_to_string(&path).expect("a record file");
    fs::write(&path, f(text)).expect("write");
}

/// `record.json` claims 10⁹ (and 2⁶⁴ − 1) board entries; `board.jsonl` holds two. Reading
/// succeeds (the claim is a number to check, not a size to allocate) and the verifier refuses
/// it in V1, with the board replayed as it is.
#[test]
fn a_record_claiming_a_billion_board_entries() {
    for claim in [1_000_000_000u64, u64::MAX] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        copy_record(dir.path());
        edit(dir.path(), "record.json", |t| {
            let entries = format!("\"board_entries\": {}", frozen_board_entries());
            assert!(t.contains(&entries), "record.json: {entries}");
            t.replace(&entries, &format!("\"board_entries\": {claim}"))
        });
        edit(dir.path(), "board.jsonl", |t| {
            t.lines().take(2).map(|l| format!("{l}\n")).collect()
        });
        let (report, peak) = peak_of("a record claiming a billion entries", || {
            let record = ElectionRecord::read(dir.path()).expect("the record reads");
            assert_eq!(record.header.board_entries, claim);
            assert_eq!(record.board.len(), 2);
            verify(&record, &Silent)
        });
        assert!(peak < 64 * MB, "{peak} bytes");
        assert!(!report.passed());
        let v1 = &report.checks[0];
        assert_eq!(v1.id, CheckId::V1);
        assert!(
            v1.failures
                .iter()
                .any(|f| f.message.contains("board_entries differs")),
            "{v1:?}"
        );
    }
}

/// A record whose `manifest.json` is nested 10,000 levels deep, or whose board has a line that
/// is: a clear load error naming the file (and line).
#[test]
fn a_record_with_deeply_nested_files() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy_record(dir.path());
    fs::write(dir.path().join("manifest.json"), nested(10_000)).expect("write");
    let message = refused("a nested manifest.json", 4 * MB, || {
        ElectionRecord::read(dir.path())
    });
    assert_names(&message, &["V1", "manifest.json", "line 1", "invalid type"]);

    copy_record(dir.path());
    // 5,000 levels (10,000 bytes) stay under the board's line bound (16 KiB for this manifest;
    // a longer line is refused by its length before it is parsed, tests/frozen_record.rs).
    edit(dir.path(), "board.jsonl", |t| {
        format!("{t}{}\n", nested(5_000))
    });
    let error = ElectionRecord::read(dir.path()).expect_err("a nested line");
    let line = frozen_board_entries() + 1;
    assert_eq!(error.line, Some(line));
    assert_names(
        &error.to_string(),
        &["board.jsonl", &format!("line {line}"), "invalid type"],
    );
}

/// Trustee secrets claiming the largest policy (255 trustees, threshold 255: 2 MB of
/// commitments) with nothing behind the claim, and a policy past the maximum.
#[test]
fn trustee_secrets_claiming_the_largest_policy() {
    use nullivote::trustee::{round3, round4};
    // "NVK" ‖ version ‖ kind ‖ n ‖ k ‖ i ‖ manifest digest ‖ ...
    let frame = |kind: u8, n: u16, k: u16| {
        let mut out = b"NVK".to_vec();
        out.extend_from_slice(&nullivote::hazmat::transcript::PROTOCOL_VERSION.to_be_bytes());
        out.push(kind);
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(&k.to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes());
        out.extend_from_slice(&[0; 32]);
        out
    };
    let message = refused("a round-3 secret of 255 × 255", 64 * 1024, || {
        round3::SecretPackage::from_secret_bytes(&frame(3, 255, 255))
    });
    assert!(message.contains("ends early"), "{message}");
    let message = refused("a round-4 secret of 65535 trustees", 64 * 1024, || {
        round4::SecretPackage::from_secret_bytes(&frame(4, u16::MAX, u16::MAX))
    });
    assert!(!message.is_empty());
}

/// What the limit errors say, for the record: each names the field and the limit.
#[test]
fn limit_errors_name_the_field_and_the_limit() {
    let e = EncodingError::TooMany {
        field: "ballot.selections",
        count: 65,
        limit: 64,
    };
    assert_eq!(
        e.to_string(),
        "ballot.selections: 65 exceeds the limit of 64"
    );
}
