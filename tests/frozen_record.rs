//! A record written by version 2 of the protocol (`examples/small_election.rs`, seed 1), frozen in
//! `spec/vectors/record-v2/`: it must keep verifying, byte for byte, in every later version that
//! reads version 2. Version 2 is a draft until it is released (spec/protocol.md, "Changes from
//! version 1"): until then a change of its encodings regenerates this record in the same commit
//! and lists the change there; after the release, a change that breaks this test is a new
//! protocol version, not a fix.

use nullivote::board::EntryDigest;
use std::path::Path;

use nullivote::record::ElectionRecord;
use nullivote::verifier::{CheckId, Location, Silent, verify};

fn frozen() -> ElectionRecord {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/record-v2");
    ElectionRecord::read(&dir).expect("the frozen record reads")
}

#[test]
fn the_frozen_version_2_record_still_verifies() {
    let record = frozen();
    let report = verify(&record, &Silent);
    assert!(
        report.passed(),
        "{:#?}",
        report.failed().collect::<Vec<_>>()
    );
    let result = report.result.expect("a verified result");
    let votes: Vec<(String, u64)> = result.contests[0]
        .options
        .iter()
        .map(|o| (o.name.clone(), o.votes))
        .collect();
    assert_eq!(
        votes,
        vec![("Ada".into(), 2), ("Grace".into(), 3), ("Edsger".into(), 3)]
    );
    // 7 ballots, 1 spoiled, 1 refusal entry (a refused submission is an entry), 3 phase entries.
    assert_eq!(record.board.len(), 12);
    let refusals = record
        .board
        .iter()
        .filter(|e| matches!(e.payload, nullivote::board::Payload::Refused(_)))
        .count();
    assert_eq!(refusals, 1);
}

#[test]
fn the_frozen_record_re_encodes_to_the_same_files() {
    let record = frozen();
    let out = tempfile::tempdir().expect("a temp dir");
    record.write(out.path()).expect("written");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/record-v2");
    for (name, _) in nullivote::record::FILES {
        let original = std::fs::read(dir.join(name)).expect("frozen file");
        let rewritten = std::fs::read(out.path().join(name)).expect("rewritten file");
        assert!(
            original == rewritten,
            "{name} does not re-encode identically"
        );
    }
}

#[test]
fn an_oversized_record_file_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let frozen = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/record-v2");
    for (name, _) in nullivote::record::FILES {
        std::fs::copy(frozen.join(name), dir.path().join(name)).expect("copied");
    }
    // A sparse file just over the limit: refused by its size, never read.
    let manifest = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join("manifest.json"))
        .expect("opened");
    manifest
        .set_len(nullivote::record::MAX_SMALL_FILE_BYTES + 1)
        .expect("grown");
    let err = ElectionRecord::read(dir.path()).expect_err("refused");
    assert_eq!(err.check, CheckId::V1);
    assert!(
        err.message.contains("more than a record file may hold"),
        "{err}"
    );
}

/// Issue 24: a `board.jsonl` line longer than the manifest allows any entry to be is refused as
/// soon as the bound is read, by its line, under V5; a line one byte shorter is read (and
/// refused for what it says, not its length). Both verify paths (all in memory, or a block at a
/// time) read through the same bound.
#[test]
fn a_board_line_longer_than_any_entry_the_manifest_allows_is_refused_by_its_length() {
    use nullivote::record::max_board_line_bytes;
    let frozen_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/record-v2");
    let record = frozen();
    let bound = max_board_line_bytes(&record.manifest);
    let longest = std::fs::read_to_string(frozen_dir.join("board.jsonl"))
        .expect("the frozen board")
        .lines()
        .map(str::len)
        .max()
        .expect("entries") as u64;
    assert!(longest <= bound, "{longest} > {bound}");
    assert!(
        bound <= 64 << 10,
        "the small election's bound is small: {bound}"
    );
    for (extra, refused_for_length) in [(1, true), (0, false)] {
        let dir = tempfile::tempdir().expect("a temp dir");
        for (name, _) in nullivote::record::FILES {
            std::fs::copy(frozen_dir.join(name), dir.path().join(name)).expect("copied");
        }
        let board = dir.path().join("board.jsonl");
        let mut bytes = std::fs::read(&board).expect("read");
        let lines = bytes.iter().filter(|&&b| b == b'\n').count();
        bytes.extend(std::iter::repeat_n(b'x', (bound + extra) as usize));
        bytes.push(b'\n');
        std::fs::write(&board, bytes).expect("written");
        for err in [
            ElectionRecord::read(dir.path()).expect_err("refused"),
            nullivote::verifier::verify_dir(dir.path(), &Silent).expect_err("refused"),
        ] {
            assert_eq!(
                (err.check, err.line),
                (CheckId::V5, Some(lines + 1)),
                "{err}"
            );
            let length = format!("a line of more than {bound} bytes");
            assert_eq!(err.message.contains(&length), refused_for_length, "{err}");
        }
    }
}

/// Finding 5 of the attacker's review: a board that never closed voting is not a record. The
/// frozen board without its last entry (the close of voting), with `record.json`'s head and
/// count made to match, fails V4 at the last entry, and so does any prefix of the board (V4 also
/// names `board_signature`, which the board never gave for that head). Finding 22.5: the same
/// prefixes with the real closes re-attached (re-linked after the prefix) fail V7 at every
/// close, the administrator's signature for another position and previous head.
#[test]
fn a_board_that_does_not_end_with_the_close_of_voting_is_refused() {
    use nullivote::board::Payload;
    let closed = frozen();
    assert!(matches!(
        closed.board.last().map(|e| &e.payload),
        Some(Payload::CloseVoting { .. })
    ));
    for keep in [closed.board.len() - 1, 5] {
        let mut record = frozen();
        record.board.truncate(keep);
        record.header.board_entries = keep as u64;
        record.header.board_head = record.board.last().expect("an entry").digest();
        let report = verify(&record, &Silent);
        let v4 = report
            .checks
            .iter()
            .find(|c| c.id == CheckId::V4)
            .expect("V4");
        assert!(
            v4.failures
                .iter()
                .any(|f| f.location == Location::BoardEntry(keep as u64 - 1)
                    && f.message.contains("does not end with the close of voting")),
            "{keep}: {:#?}",
            v4.failures
        );
    }
    let n = closed.board.len();
    let closes = closed.board[n - 3..].to_vec();
    assert!(closes.iter().all(|e| e.payload.close().is_some()));
    for keep in [n - 4, 5] {
        let mut record = frozen();
        record.board.truncate(keep);
        record.board.extend(closes.iter().cloned());
        let mut previous = EntryDigest::genesis(&record.header.base_hash);
        for (i, entry) in record.board.iter_mut().enumerate() {
            entry.position = i as u64;
            entry.previous = previous;
            previous = entry.digest();
        }
        record.header.board_entries = record.board.len() as u64;
        record.header.board_head = previous;
        let report = verify(&record, &Silent);
        let v7 = report
            .checks
            .iter()
            .find(|c| c.id == CheckId::V7)
            .expect("V7");
        let at: Vec<&Location> = v7.failures.iter().map(|f| &f.location).collect();
        let expected: Vec<Location> = (keep..keep + 3)
            .map(|p| Location::BoardEntry(p as u64))
            .collect();
        let expected: Vec<&Location> = expected.iter().collect();
        assert_eq!(at, expected, "{keep}: {:#?}", v7.failures);
        assert!(
            v7.failures
                .iter()
                .all(|f| f.message.contains("not signed by the administrator")),
            "{keep}: {:#?}",
            v7.failures
        );
        assert!(report.result.is_none());
    }
}
