//! The verifier's report for programs and people (issue 24, item 2).
//!
//! * `nullivote verify --json` against `spec/report.schema.json` (JSON Schema 2020-12, checked
//!   with the `jsonschema` crate): real reports of the real binary, a passing record, records
//!   failing in every kind of location, a board of another election and records that cannot be
//!   read, all validate; reports doctored in their shape do not, so the schema is strict enough
//!   to tell.
//! * What the report says besides its checks: its counts agree with the verified result; a
//!   board or `record.json` of another election is named once, and only when it is one.
//! * The text report prints its timings when its output is not a terminal, names a board of
//!   another election on its first line and puts a run of failures with one message on one
//!   line.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};

use nullivote::board::{Payload, Reason, cast_ballots};
use nullivote::manifest::ChannelIndex;
use nullivote::record::ElectionRecord;
use nullivote::simulation::{Scenario, leadership};
use nullivote::verifier::{Report, Silent, Stage, verify};

/// The schema, compiled once.
fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/report.schema.json");
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "the schema's draft"
        );
        jsonschema::draft202012::meta::validate(&schema).expect("a valid 2020-12 schema");
        jsonschema::draft202012::new(&schema).expect("the schema compiles")
    })
}

/// Every way `value` fails the schema, one line each.
fn violations(value: &Value) -> Vec<String> {
    validator()
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// `value` validates, or the test fails naming every violation.
fn assert_valid(what: &str, value: &Value) {
    let found = violations(value);
    assert!(found.is_empty(), "{what}: {}\n{value}", found.join("\n"));
}

/// `nullivote verify DIR --json [extra…]`: its JSON and its exit status.
fn verify_json(dir: &Path, extra: &[&str]) -> (Value, Option<i32>) {
    let output = Command::new(env!("CARGO_BIN_EXE_nullivote"))
        .arg("verify")
        .arg(dir)
        .arg("--json")
        .args(extra)
        .output()
        .expect("the binary runs");
    let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (value, output.status.code())
}

/// The simulated leadership election of `voters` members.
fn simulated(seed: u64, voters: usize) -> ElectionRecord {
    let scenario = Scenario {
        voters,
        seed,
        absent: vec![],
        bad_share: None,
    };
    leadership(&scenario, &Silent)
        .expect("the simulated election runs")
        .record
}

/// The honest record every variant is made from.
fn honest() -> &'static ElectionRecord {
    static RECORD: OnceLock<ElectionRecord> = OnceLock::new();
    RECORD.get_or_init(|| simulated(3, 30))
}

/// Every `kind` of location in the report's failures.
fn location_kinds(report: &Value) -> BTreeSet<String> {
    report["report"]["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["failures"].as_array().into_iter().flatten())
        .filter_map(|f| f["location"]["kind"].as_str().map(str::to_string))
        .collect()
}

/// A cast ballot of `record` with a selection proof of another (B6), a postal ballot without
/// its countersignature (B9) and an entry claiming another position (V4).
fn with_bad_ballots(record: &ElectionRecord) -> ElectionRecord {
    let mut r = record.clone();
    let cast: Vec<(usize, nullivote::Ballot)> = cast_ballots(&record.board)
        .map(|(i, b)| (i, b.clone()))
        .collect();
    let (a, first) = &cast[1];
    let (_, donor) = &cast[2];
    let mut changed = first.clone();
    changed.contests[0].selections[1].proof = donor.contests[0].selections[1].proof.clone();
    r.board[*a].payload = Payload::Ballot(Box::new(changed));
    let (p, postal) = cast
        .iter()
        .find(|(_, b)| b.channel == ChannelIndex::new(1))
        .expect("a postal ballot");
    let mut unsigned = postal.clone();
    unsigned.countersignature = None;
    r.board[*p].payload = Payload::Ballot(Box::new(unsigned));
    r.board[cast[5].0].position += 1;
    r
}

/// `tally.json` with a decision's rule, an aggregate and a channel's counts changed, and
/// `result.json` announcing one vote more (V8, V9, V11).
fn with_bad_tally(record: &ElectionRecord) -> ElectionRecord {
    let mut r = record.clone();
    let decision = r
        .tally
        .outcome
        .decisions
        .first_mut()
        .expect("a superseded ballot");
    decision.reason = match decision.reason {
        Reason::LastWins => Reason::Precedence,
        _ => Reason::LastWins,
    };
    r.tally.aggregates[0][0] = r.tally.aggregates[0][1];
    r.tally.counts[1].cast += 1;
    r.result.contests[0].options[0].votes += 1;
    r
}

#[test]
fn real_reports_validate_against_the_schema() {
    let work = tempfile::tempdir().unwrap();
    let write = |name: &str, record: &ElectionRecord| {
        let dir = work.path().join(name);
        record.write(&dir).unwrap();
        dir
    };
    let honest = honest();
    let base_hash = hex::encode(honest.header.base_hash.as_bytes());
    let mut wrong = base_hash.clone();
    wrong.replace_range(..2, if &base_hash[..2] == "00" { "11" } else { "00" });
    let mut kinds = BTreeSet::new();

    // Passing, without and with the anchor.
    let dir = write("honest", honest);
    for extra in [&[][..], &["--expect", &base_hash]] {
        let (report, status) = verify_json(&dir, extra);
        assert_eq!(status, Some(0), "{report}");
        assert_valid("the honest record", &report);
        assert_eq!(report["passed"], true);
        let counts = &report["report"]["counts"];
        assert_eq!(counts["verified"], counts["cast"], "{counts}");
        assert!(counts["counted"].as_u64() > Some(0), "{counts}");
        assert!(report["report"]["timings"]["total_ms"].is_number());
    }

    // Failing: bad ballots and the wrong anchor; a bad tally and result; the decryption shares
    // of another election's board.
    let other = simulated(4, 30);
    let mut other_shares = honest.clone();
    other_shares.decryption = other.decryption.clone();
    let failing = [
        (
            "bad ballots",
            with_bad_ballots(honest),
            vec!["--expect", &wrong],
        ),
        ("bad tally", with_bad_tally(honest), vec![]),
        ("other shares", other_shares, vec![]),
    ];
    for (name, record, extra) in &failing {
        let dir = write(&name.replace(' ', "-"), record);
        let (report, status) = verify_json(&dir, extra);
        assert_eq!(status, Some(1), "{name}: {report}");
        assert_valid(name, &report);
        assert_eq!(report["passed"], false, "{name}");
        kinds.extend(location_kinds(&report));
    }

    // A board of another election: named once, and its failures validate too.
    let mixed = with_board_of(honest, &other);
    let (report, status) = verify_json(&write("other-board", &mixed), &[]);
    assert_eq!(status, Some(1), "{report}");
    assert_valid("a board of another election", &report);
    let other = &report["report"]["other_election"];
    assert_eq!(other.as_array().map(Vec::len), Some(1), "{other}");
    assert_eq!(other[0]["file"], "board.jsonl");
    assert_eq!(other[0]["election_base_hash"], base_hash.as_str());
    assert!(report["report"]["counts"]["superseded"].is_null());
    kinds.extend(location_kinds(&report));

    let every_kind = [
        "aggregate",
        "ballot",
        "board_entry",
        "channel_counts",
        "decision",
        "expected_base_hash",
        "file",
        "trustees",
    ];
    assert_eq!(
        kinds,
        every_kind.iter().map(|k| k.to_string()).collect(),
        "the failing records reach every kind of location"
    );

    // Records that cannot be read: no directory; a malformed line of the board.
    let (report, status) = verify_json(&work.path().join("missing"), &[]);
    assert_eq!(status, Some(1), "{report}");
    assert_valid("a missing record", &report);
    assert!(report["error"]["line"].is_null(), "{report}");
    let dir = write("bad-line", honest);
    let board = dir.join("board.jsonl");
    let mut text = std::fs::read_to_string(&board).unwrap();
    text.push_str("{}\n");
    std::fs::write(&board, text).unwrap();
    let (report, status) = verify_json(&dir, &[]);
    assert_eq!(status, Some(1), "{report}");
    assert_valid("a malformed board line", &report);
    assert_eq!(report["error"]["check"], "V5", "{report}");
    assert!(report["error"]["line"].as_u64() > Some(1), "{report}");
}

/// A real report doctored in its shape: a key added, removed, renamed, retyped or out of its
/// range, or two keys that contradict each other.
#[test]
fn doctored_reports_fail_the_schema() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("record");
    with_bad_ballots(honest()).write(&dir).unwrap();
    let (failing, _) = verify_json(&dir, &[]);
    assert_valid("the failing report", &failing);
    let dir = work.path().join("honest");
    honest().write(&dir).unwrap();
    let (passing, _) = verify_json(&dir, &[]);
    assert_valid("the passing report", &passing);
    let (load_error, _) = verify_json(&work.path().join("missing"), &[]);
    assert_valid("the load error", &load_error);

    type Doctor = fn(&mut Value);
    let doctored: [(&str, &Value, Doctor); 16] = [
        ("a key added", &passing, |v| {
            v["report"]["counts"]["refused"]["bogus"] = json!(1)
        }),
        ("a key removed", &passing, |v| {
            v["report"].as_object_mut().unwrap().remove("board_head");
        }),
        ("the envelope's key removed", &passing, |v| {
            v.as_object_mut().unwrap().remove("report_version");
        }),
        ("another report version", &passing, |v| {
            v["report_version"] = json!(2)
        }),
        ("a check missing", &passing, |v| {
            v["report"]["checks"].as_array_mut().unwrap().pop();
        }),
        ("checks out of order", &passing, |v| {
            v["report"]["checks"].as_array_mut().unwrap().swap(0, 1)
        }),
        ("passed without a result", &passing, |v| {
            v["report"]["result"] = Value::Null
        }),
        ("failed with a result", &failing, |v| {
            v["report"]["result"] = json!({"contests": [], "channels": [], "trustees": []})
        }),
        ("a location as text", &failing, |v| {
            v["report"]["checks"][4]["failures"][0]["location"] = json!("board entry 3")
        }),
        ("an unknown location kind", &failing, |v| {
            v["report"]["checks"][4]["failures"][0]["location"]["kind"] = json!("entry")
        }),
        ("a ballot check out of range", &failing, |v| {
            v["report"]["checks"][4]["failures"][0]["ballot_check"] = json!("B10")
        }),
        ("a base hash in upper case", &passing, |v| {
            let upper = v["base_hash"].as_str().unwrap().to_uppercase();
            v["base_hash"] = json!(upper)
        }),
        ("a negative timing", &passing, |v| {
            v["report"]["timings"]["stages"][0]["ms"] = json!(-1.0)
        }),
        ("an unknown stage", &passing, |v| {
            v["report"]["timings"]["stages"][0]["stage"] = json!("parsing")
        }),
        ("a count as text", &passing, |v| {
            v["report"]["counts"]["cast"] = json!("12")
        }),
        ("a load error that passed", &load_error, |v| {
            v["passed"] = json!(true)
        }),
    ];
    for (what, original, doctor) in doctored {
        let mut value = original.clone();
        doctor(&mut value);
        assert_ne!(&value, original, "{what}: nothing changed");
        assert!(
            !violations(&value).is_empty(),
            "{what}: the schema accepts\n{value}"
        );
    }
}

/// Two elections of 200 members (with challenges and superseded ballots): the honest record of
/// the first, and the record of the second.
fn records() -> &'static (ElectionRecord, ElectionRecord) {
    static RECORDS: OnceLock<(ElectionRecord, ElectionRecord)> = OnceLock::new();
    RECORDS.get_or_init(|| (simulated(21, 200), simulated(22, 200)))
}

/// `record` with the board of `other` (and its number of entries).
fn with_board_of(record: &ElectionRecord, other: &ElectionRecord) -> ElectionRecord {
    let mut mixed = record.clone();
    mixed.board = other.board.clone();
    mixed.header.board_entries = mixed.board.len() as u64;
    mixed
}

fn hex_of(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

#[test]
fn the_counts_agree_with_the_verified_result() {
    let (honest, _) = records();
    let report = verify(honest, &Silent);
    assert!(report.passed());
    let result = report.result.as_ref().expect("a verified result");
    let counts = report.counts;
    let sum = |f: fn(&nullivote::tally::ChannelCounts) -> u64| -> u64 {
        result.channels.iter().map(|c| f(&c.counts)).sum()
    };
    assert_eq!(counts.cast, sum(|c| c.cast));
    assert_eq!(counts.verified, counts.cast);
    assert_eq!(counts.refused.total(), sum(|c| c.refused));
    let superseded = counts.superseded.expect("V8 ran");
    assert_eq!(superseded.total(), sum(|c| c.superseded));
    assert_eq!(counts.counted, Some(sum(|c| c.counted)));
    let challenged = honest
        .board
        .iter()
        .filter(|e| matches!(e.payload, Payload::Spoiled(_)))
        .count() as u64;
    assert_eq!(counts.challenged, challenged);
    assert!(challenged > 0 && superseded.total() > 0, "{counts:?}");
    assert_eq!(report.board_entries, honest.board.len() as u64);
    assert_eq!(report.board_head, honest.header.board_head);
    assert_eq!(report.election_id, honest.manifest.election_id());
    assert!(report.other_election.is_empty());
    // An in-memory record is not read by the verifier: every stage but reading is timed.
    let stages: Vec<Stage> = report.timings.stages.iter().map(|t| t.stage).collect();
    assert_eq!(
        stages,
        [
            Stage::Ceremony,
            Stage::BaseHash,
            Stage::Board,
            Stage::Tally,
            Stage::Decryption
        ]
    );
}

/// Which files the report says are of another election, and the base hashes it names.
fn others(report: &Report) -> Vec<(&'static str, String, String)> {
    report
        .other_election
        .iter()
        .map(|o| {
            (
                o.file,
                hex_of(o.base_hash.as_bytes()),
                hex_of(o.election_base_hash.as_bytes()),
            )
        })
        .collect()
}

#[test]
fn a_file_of_another_election_is_named_once_and_only_then() {
    let (honest, other) = records();
    let (ours, theirs) = (
        hex_of(honest.header.base_hash.as_bytes()),
        hex_of(other.header.base_hash.as_bytes()),
    );
    let report = verify(&with_board_of(honest, other), &Silent);
    assert!(!report.passed());
    assert_eq!(
        others(&report),
        [("board.jsonl", theirs.clone(), ours.clone())]
    );
    assert_eq!(
        report.other_election[0].to_string(),
        format!(
            "board.jsonl belongs to another election: its chain starts from base hash {theirs}, \
             this election's is {ours}"
        )
    );
    // Every ballot fails, and V8 does not run: nothing is superseded or counted.
    assert_eq!(report.counts.verified, 0);
    assert_eq!(report.counts.counted, None);

    // record.json of the other election too: both are named.
    let mut both = with_board_of(honest, other);
    both.header = other.header.clone();
    assert_eq!(
        others(&verify(&both, &Silent)),
        [
            ("record.json", theirs.clone(), ours.clone()),
            ("board.jsonl", theirs.clone(), ours.clone())
        ]
    );

    // A first entry whose link alone was changed is a broken chain, not another election.
    let mut relinked = honest.clone();
    relinked.board[0].previous = other.board[0].previous;
    let report = verify(&relinked, &Silent);
    assert!(!report.passed());
    assert!(
        report.other_election.is_empty(),
        "{:?}",
        report.other_election
    );
}

fn verify_text(dir: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_nullivote"))
        .arg("verify")
        .arg(dir)
        .output()
        .expect("the binary runs");
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn the_text_report_names_another_election_first_and_always_prints_its_timings() {
    let (honest, other) = records();
    let work = tempfile::tempdir().unwrap();

    // Standard output is a pipe here: the timings are printed all the same.
    let dir = work.path().join("honest");
    honest.write(&dir).unwrap();
    let text = verify_text(&dir);
    let time = text
        .lines()
        .find(|l| l.starts_with("time "))
        .unwrap_or_else(|| panic!("no time line:\n{text}"));
    for stage in [
        "read",
        "ceremony",
        "base hash",
        "board",
        "tally",
        "decryption",
    ] {
        assert!(time.contains(&format!("{stage} ")), "{stage}: {time}");
    }
    assert!(text.contains("all 11 checks passed"), "{text}");

    let dir = work.path().join("mixed");
    with_board_of(honest, other).write(&dir).unwrap();
    let text = verify_text(&dir);
    let first = text.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!(
            "board.jsonl belongs to another election: its chain starts from base hash {}, this \
             election's is {}",
            hex_of(other.header.base_hash.as_bytes()),
            hex_of(honest.header.base_hash.as_bytes())
        ),
        "{text}"
    );
    assert!(
        text.lines()
            .nth(1)
            .unwrap_or_default()
            .starts_with("NOT ANCHORED")
    );
    // V5: every ballot is for another election, on one line, its positions as ranges.
    let b2: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("B2: the ballot is for another election"))
        .collect();
    assert_eq!(b2.len(), 1, "{text}");
    assert!(b2[0].trim_start().starts_with("board entries 0"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("time ")), "{text}");
}
