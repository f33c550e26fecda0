//! What the record's readers do with the spellings JSON allows but the record never writes
//! (`spec/protocol.md` §1.6, `spec/record.md` §1), in every file of the frozen record: a
//! byte-order mark, a missing final newline, `\r\n`, white space, `\u` escapes, and the number
//! spellings `-0`, `1.0`, `1e0` and `01`. A record file is read in exactly one form, the bytes
//! `ElectionRecord::write` writes for its values (issue 17, item 2): every other spelling of the
//! same values, and every other spelling of a number or a hex string, is refused with a
//! `LoadError` naming the file, the line and the check. The spellings the parser refuses are
//! refused by it (its message); the others parse, and are refused as "not in canonical form",
//! naming the byte. `tests/record_bytes.rs` changes random bytes of whole records.

use nullivote::verifier::CheckId;
use std::path::{Path, PathBuf};

use nullivote::record::{ElectionRecord, FILES, LoadError};
use nullivote::verifier::{Silent, verify_dir};

fn frozen_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/record-v2")
}

/// The frozen record with `name` rewritten by `change`, read by both readers
/// (`ElectionRecord::read` and the streaming `verify_dir`), which must agree.
fn read_changed(
    name: &str,
    change: impl Fn(Vec<u8>) -> Vec<u8>,
) -> Result<ElectionRecord, LoadError> {
    let dir = tempfile::tempdir().unwrap();
    for (file, _) in FILES {
        std::fs::copy(frozen_dir().join(file), dir.path().join(file)).unwrap();
    }
    let path = dir.path().join(name);
    let before = std::fs::read(&path).unwrap();
    let after = change(before.clone());
    assert_ne!(before, after, "{name}: the change changed nothing");
    std::fs::write(&path, after).unwrap();
    let read = ElectionRecord::read(dir.path());
    // The streaming reader keeps no board; it must accept and refuse the same files, with the
    // same error.
    let streamed = verify_dir(dir.path(), &Silent).map(|_| ());
    assert_eq!(
        read.as_ref().err().map(|e| format!("{e:?}")),
        streamed.err().map(|e| format!("{e:?}")),
        "{name}: the two readers disagree"
    );
    read
}

fn refused(name: &str, change: impl Fn(Vec<u8>) -> Vec<u8>) -> LoadError {
    let err = read_changed(name, change).expect_err(name);
    assert!(err.file.ends_with(name), "{name}: {err:?}");
    let check = FILES.iter().find(|(f, _)| *f == name).unwrap().1;
    let check = if name == "board.jsonl" {
        CheckId::V5
    } else {
        check
    };
    assert_eq!(err.check, check, "{name}: {err:?}");
    err
}

/// Replaces the first occurrence of `from` by `to`, which must exist.
fn replace_first(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(text.contains(from), "{from:?} not found");
    text.replacen(from, to, 1).into_bytes()
}

/// A byte-order mark is refused in every file, JSON and JSON Lines, at line 1; in a JSON Lines
/// file also at the start of a later line, named by that line.
#[test]
fn a_byte_order_mark_is_refused_in_every_file() {
    for (name, _) in FILES {
        let err = refused(name, |b| [b"\xef\xbb\xbf".as_slice(), &b].concat());
        assert_eq!(err.line, Some(1), "{name}: {err:?}");
        assert!(err.message.contains("expected value"), "{name}: {err:?}");
    }
    let err = refused("board.jsonl", |b| {
        let first = b.iter().position(|&c| c == b'\n').unwrap() + 1;
        [&b[..first], b"\xef\xbb\xbf".as_slice(), &b[first..]].concat()
    });
    assert_eq!(err.line, Some(2), "{err:?}");
}

/// Refused as "not in canonical form", naming the file's check, `line` and the byte `found` where
/// the writer writes `written`.
#[track_caller]
fn not_canonical(
    name: &str,
    change: impl Fn(Vec<u8>) -> Vec<u8>,
    line: usize,
    found: &str,
    written: &str,
) {
    let before = std::fs::read(frozen_dir().join(name)).unwrap();
    let after = change(before.clone());
    assert_eq!(
        values(name, &before),
        values(name, &after),
        "{name}: the change is not another spelling of the same values"
    );
    let err = refused(name, |_| after.clone());
    assert_eq!(err.line, Some(line), "{name}: {err:?}");
    assert!(
        err.message.starts_with("not in canonical form: byte ")
            && err
                .message
                .contains(&format!(": {found} where it writes {written} ")),
        "{name}: {err:?}"
    );
}

/// A missing final newline, a `\r\n` line end, white space after the last line or between
/// tokens (inside a JSON Lines line too): each is another spelling of the same record, refused
/// in every file as not in canonical form, naming the line; a blank line at the end of a JSON
/// Lines file is refused by the parser, naming it.
#[test]
fn line_ends_and_white_space_are_refused() {
    for (name, _) in FILES {
        let lines = frozen_lines(name);
        not_canonical(
            name,
            |mut b| {
                assert_eq!(
                    b.pop(),
                    Some(b'\n'),
                    "{name} is written with a final newline"
                );
                b
            },
            lines,
            "the end of the file",
            "'\\n'",
        );
        not_canonical(
            name,
            |b| [&b[..b.len() - 1], b"\r\n".as_slice()].concat(),
            lines,
            "'\\r'",
            "'\\n'",
        );
        if name.ends_with(".jsonl") {
            for extra in [&b"\n"[..], b"  \n"] {
                let err = refused(name, |b| [b.as_slice(), extra].concat());
                assert_eq!(err.line, Some(lines + 1), "{name}: {err:?}");
                assert!(err.message.contains("EOF while parsing"), "{name}: {err:?}");
            }
        } else {
            not_canonical(
                name,
                |b| [b.as_slice(), b" \t\n"].concat(),
                lines + 1,
                "' '",
                "nothing more",
            );
        }
    }
    not_canonical(
        "board.jsonl",
        |b| replace_first(&b, "{\"position\":1,", "{ \"position\" : 1 ,"),
        2,
        "' '",
        "'\"'",
    );
    not_canonical(
        "tally.json",
        |b| replace_first(&b, "\"superseded\": 0", "\"superseded\":0"),
        1 + count_lines_before("tally.json", "\"superseded\": 0"),
        "'0'",
        "' '",
    );
}

/// What a file's bytes say as JSON values (a JSON Lines file: one value a line).
fn values(name: &str, bytes: &[u8]) -> Vec<serde_json::Value> {
    let text = std::str::from_utf8(bytes).unwrap();
    if name.ends_with(".jsonl") {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    } else {
        vec![serde_json::from_str(text).unwrap()]
    }
}

/// The 0-based line of the first `needle` in the frozen `name`.
fn count_lines_before(name: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(frozen_dir().join(name)).unwrap();
    text[..text.find(needle).unwrap()].matches('\n').count()
}

fn frozen_lines(name: &str) -> usize {
    std::fs::read_to_string(frozen_dir().join(name))
        .unwrap()
        .lines()
        .count()
}

/// An integer is a JSON number without sign, fraction, exponent or leading zero: `-0`, `1.0`,
/// `1e0` and `01` are refused (serde_json reads the first three as floating-point numbers), in
/// JSON and JSON Lines files alike.
#[test]
fn only_one_spelling_of_an_integer_is_read() {
    for (name, from, to, fragment) in [
        (
            "board.jsonl",
            "\"position\":0,",
            "\"position\":-0,",
            "floating point `-0.0`",
        ),
        (
            "board.jsonl",
            "\"channel\":0",
            "\"channel\":-0",
            "floating point `-0.0`",
        ),
        (
            "board.jsonl",
            "\"position\":1,",
            "\"position\":1.0,",
            "floating point `1.0`",
        ),
        (
            "board.jsonl",
            "\"position\":1,",
            "\"position\":1e0,",
            "floating point `1.0`",
        ),
        (
            "board.jsonl",
            "\"position\":1,",
            "\"position\":01,",
            "invalid number",
        ),
        (
            "tally.json",
            "\"superseded\": 0",
            "\"superseded\": -0",
            "floating point `-0.0`",
        ),
        (
            "record.json",
            "\"version\": 2",
            "\"version\": 2.0",
            "floating point `2.0`",
        ),
        (
            "result.json",
            "\"refused\": 0",
            "\"refused\": -0",
            "floating point `-0.0`",
        ),
        (
            "manifest.json",
            "\"min_selections\": 1",
            "\"min_selections\": 1e0",
            "floating point `1.0`",
        ),
        (
            "ceremony.json",
            "\"trustee\": 1",
            "\"trustee\": -0",
            "floating point `-0.0`",
        ),
        (
            "decryption.json",
            "\"trustee\": 1",
            "\"trustee\": 01",
            "invalid number",
        ),
    ] {
        let err = refused(name, |b| replace_first(&b, from, to));
        assert!(err.message.contains(fragment), "{name} {to}: {err:?}");
    }
    // A refusal entry of the board (refused submissions are chain entries, kind 4, once the
    // lines of `refusals.jsonl`): its channel spelled `-0`, refused naming its line.
    let board = std::fs::read_to_string(frozen_dir().join("board.jsonl")).unwrap();
    let line = board
        .lines()
        .position(|l| l.contains("{\"refused\":{"))
        .expect("the frozen board holds a refusal entry");
    let err = refused("board.jsonl", |b| {
        let text = String::from_utf8(b).unwrap();
        let lines: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == line {
                    let refusal = l.find("{\"refused\":{").unwrap();
                    let (head, tail) = l.split_at(refusal);
                    let tail = tail.replacen("\"channel\":0", "\"channel\":-0", 1);
                    assert_ne!(tail, &l[refusal..], "the refusal's channel is 0");
                    format!("{head}{tail}")
                } else {
                    l.to_owned()
                }
            })
            .collect();
        (lines.join("\n") + "\n").into_bytes()
    });
    assert_eq!(err.line, Some(line + 1), "{err:?}");
    assert!(err.message.contains("floating point `-0.0`"), "{err:?}");
}

/// A hex string is checked after JSON unescaping: a `\u` escape of an upper-case letter is the
/// upper-case letter, refused as `InvalidHex`; a `\u` escape of a lowercase hex digit reads as
/// that digit, but the writer never writes it, so it is refused as not in canonical form, as is
/// an escaped letter of a name (with upper- or lower-case digits in the escape itself).
#[test]
fn escapes_the_writer_does_not_write_are_refused() {
    let board = std::fs::read_to_string(frozen_dir().join("board.jsonl")).unwrap();
    let previous = &board[board.find("\"previous\":\"").unwrap() + 12..][..64];
    let at = previous.find(|c: char| c.is_ascii_lowercase()).unwrap();
    let letter = previous.as_bytes()[at];
    let line = 1 + board[..board.find(previous).unwrap()].matches('\n').count();
    {
        let escape = format!("\\u{letter:04x}");
        let spelled = format!("{}{escape}{}", &previous[..at], &previous[at + 1..]);
        not_canonical(
            "board.jsonl",
            |b| replace_first(&b, previous, &spelled),
            line,
            "'\\\\'",
            &format!("{:?}", char::from(letter)),
        );
    }
    let upper = format!(
        "{}\\u{:04x}{}",
        &previous[..at],
        letter.to_ascii_uppercase(),
        &previous[at + 1..]
    );
    let err = refused("board.jsonl", |b| replace_first(&b, previous, &upper));
    assert!(err.message.contains("invalid hexadecimal"), "{err:?}");

    for (name, from, to) in [
        (
            "manifest.json",
            "\"name\": \"committee\"",
            "\"name\": \"\\u0063ommittee\"",
        ),
        ("manifest.json", "\"Ada\"", "\"\\u0041da\""),
        ("manifest.json", "\"online\"", "\"o\\u006eline\""),
        ("manifest.json", "\"postal\"", "\"pos\\u0074\\u0061l\""),
        ("manifest.json", "\"Edsger\"", "\"E\\u0064sger\""),
        ("manifest.json", "\"Grace\"", "\"Gr\\u0061ce\""),
        ("manifest.json", "\"committee\"", "\"co\\u006Dmittee\""),
        (
            "result.json",
            "\"name\": \"Ada\"",
            "\"name\": \"\\u0041da\"",
        ),
        (
            "record.json",
            "\"election_id\": \"club",
            "\"election_id\": \"\\u0063lub",
        ),
    ] {
        let line = 1 + count_lines_before(name, from);
        let escape = to.find('\\').unwrap();
        not_canonical(
            name,
            |b| replace_first(&b, from, to),
            line,
            "'\\\\'",
            &format!("{:?}", char::from(from.as_bytes()[escape])),
        );
    }
}
