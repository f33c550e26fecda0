//! `nullivote verify`: the verifier's report as text for people, or as one JSON value for
//! programs (`--json`, described by `spec/report.schema.json`).

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use nullivote::record::ElectionRecord;
use nullivote::verifier::{
    CheckReport, Counts, Failure, Location, Options, Progress, REPORT_VERSION, Report,
    VERIFIER_VERSION, verify_dir_with,
};

use crate::terminal::Bars;
use crate::{anchor_warning, parse_expected, print_json};

/// Verifies the record in `dir` (against `expect`, the published base hash, if given) and
/// prints the report: exit 0 only if every check passed, 1 otherwise or if the record cannot
/// be read, 2 for an `--expect` that is not a base hash.
pub fn verify_command(dir: &Path, expect: Option<&str>, json: bool) -> ExitCode {
    let expected_base_hash = match expect.map(parse_expected).transpose() {
        Ok(expected) => expected,
        Err(message) => {
            warn!("nullivote: {message}");
            return ExitCode::from(2);
        }
    };
    let options = Options { expected_base_hash };
    let bars = Bars::new();
    // The board is read a block at a time as it is verified.
    let (record, report) = match verify_dir_with(dir, &options, &bars) {
        Ok(done) => done,
        Err(e) => {
            bars.finish();
            if json {
                print_json(&serde_json::json!({
                    "report_version": REPORT_VERSION,
                    "verifier_version": VERIFIER_VERSION,
                    "protocol_version": nullivote::PROTOCOL_VERSION,
                    "passed": false,
                    "anchored": false,
                    "expected_base_hash": expected_base_hash,
                    "base_hash": null,
                    "error": { "check": e.check, "file": e.file, "line": e.line, "message": e.message },
                }));
            } else {
                warn!("nullivote: the record cannot be read: {e}");
            }
            return ExitCode::FAILURE;
        }
    };
    if json {
        print_json(&serde_json::json!({
            "report_version": report.report_version,
            "verifier_version": report.verifier_version,
            "protocol_version": report.protocol_version,
            "passed": report.passed(),
            "anchored": report.anchor.anchored,
            "expected_base_hash": report.anchor.expected_base_hash,
            "base_hash": report.anchor.base_hash,
            "report": report,
        }));
    } else {
        print_report(&record, &report);
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The report in words: what the record is of, every check, what was counted, the verified
/// result, how long it took. A file of another election is named first (before the anchor's
/// line), and a run of failures with the same message is one line.
fn print_report(record: &ElectionRecord, report: &Report) {
    for other in &report.other_election {
        say!("{other}");
    }
    let warning = anchor_warning(report);
    if let Some(line) = &warning {
        say!("{line}");
    }
    if warning.is_some() || !report.other_election.is_empty() {
        say!();
    }
    say!("election {}", record.header.election_id);
    say!(
        "base hash {}",
        hex::encode(record.header.base_hash.as_bytes())
    );
    say!("board head {}", hex::encode(report.board_head.as_bytes()));
    say!("{} board entries", report.board_entries);
    say!(
        "verifier {}, protocol version {}, report version {}",
        report.verifier_version,
        report.protocol_version,
        report.report_version
    );
    say!();
    for check in &report.checks {
        print_check(record, check);
    }
    say!();
    print_counts(&report.counts);
    if let Some(result) = &report.result {
        say!();
        say!("verified result:");
        for contest in &result.contests {
            say!("  {}", contest.name);
            for option in &contest.options {
                say!("    {:<24} {:>9}", option.name, option.votes);
            }
        }
        say!();
        say!("per channel:              cast  superseded   refused   counted");
        for c in &result.channels {
            let k = c.counts;
            say!(
                "  {:<18} {:>9} {:>11} {:>9} {:>9}",
                c.name,
                k.cast,
                k.superseded,
                k.refused,
                k.counted
            );
        }
        let trustees: Vec<String> = result.trustees.iter().map(|t| t.to_string()).collect();
        say!("decrypted by trustees {}", trustees.join(", "));
    }
    say!();
    let stages: Vec<String> = report
        .timings
        .stages
        .iter()
        .map(|t| format!("{} {}", t.stage.words(), seconds(t.elapsed)))
        .collect();
    say!(
        "time {} ({})",
        seconds(report.timings.total),
        stages.join(", ")
    );
    say!();
    if report.result.is_some() {
        if report.anchor.anchored {
            say!(
                "all {} checks passed; the record is anchored to the expected base hash {}",
                report.checks.len(),
                hex::encode(report.anchor.base_hash.as_bytes())
            );
        } else {
            say!(
                "all {} checks passed (internal consistency only)",
                report.checks.len()
            );
        }
    } else {
        let failed: Vec<&str> = report.failed().map(|c| c.id.as_str()).collect();
        say!("verification FAILED: {}", failed.join(", "));
    }
    if let Some(line) = &warning {
        say!("{line}");
    }
}

/// One check's line and its failures, a run of failures with one message on one line.
fn print_check(record: &ElectionRecord, check: &CheckReport) {
    let status = match (check.ran, check.failure_count) {
        (false, _) => "not run".to_string(),
        (true, 0) => "ok".to_string(),
        (true, n) => format!("FAILED ({n})"),
    };
    say!("  {:<4} {:<72} {status}", check.id, check.title);
    for run in check
        .failures
        .chunk_by(|a: &Failure, b: &Failure| a.message == b.message)
    {
        let at = match run {
            [one] => one.location.named(&record.manifest).to_string(),
            _ => locations(record, run),
        };
        say!("         {at}: {}", run[0].message);
    }
    if check.failure_count > check.failures.len() {
        say!(
            "         ... and {} more",
            check.failure_count - check.failures.len()
        );
    }
}

/// The most ranges or locations a line names before `…`.
const SHOWN: usize = 8;

/// The locations of a run of failures: board positions as ranges (`board entries 0–15, 17`),
/// other locations one by one.
fn locations(record: &ElectionRecord, run: &[Failure]) -> String {
    let positions: Option<Vec<u64>> = run
        .iter()
        .map(|f| match f.location {
            Location::BoardEntry(position) | Location::Ballot { position, .. } => Some(position),
            _ => None,
        })
        .collect();
    let (named, separator) = match &positions {
        Some(positions) => (ranges(positions), ", "),
        None => (
            run.iter()
                .map(|f| f.location.named(&record.manifest).to_string())
                .collect(),
            "; ",
        ),
    };
    let more = if named.len() > SHOWN { ", …" } else { "" };
    let shown: Vec<&str> = named.iter().take(SHOWN).map(String::as_str).collect();
    let shown = shown.join(separator);
    match positions {
        Some(_) => format!("board entries {shown}{more} ({} failures)", run.len()),
        None => format!("{shown}{more}"),
    }
}

/// Consecutive positions as ranges, in their order: `[0, 1, 2, 5]` is `0–2`, `5`.
fn ranges(positions: &[u64]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = positions;
    while let Some((&first, _)) = rest.split_first() {
        let len = rest
            .iter()
            .zip(first..)
            .take_while(|(p, q)| **p == *q)
            .count();
        let last = rest[len - 1];
        out.push(if len == 1 {
            first.to_string()
        } else {
            format!("{first}–{last}")
        });
        rest = &rest[len..];
    }
    out
}

/// The board's entries by kind, and what precedence made of its ballots.
fn print_counts(counts: &Counts) {
    let refused = counts
        .refused
        .by_code()
        .map(|(code, n)| (code.replace('_', " "), n));
    say!(
        "ballots: {} cast, {} verified (B1-B9), {} challenged, {} refused{}",
        counts.cast,
        counts.verified,
        counts.challenged,
        counts.refused.total(),
        breakdown(&refused)
    );
    match (counts.superseded, counts.counted) {
        (Some(superseded), Some(counted)) => say!(
            "decisions: {} superseded{}, {counted} counted",
            superseded.total(),
            breakdown(&superseded.by_reason())
        ),
        _ => say!("decisions: not recomputed (V8 did not run)"),
    }
}

/// The causes that have a count, ` (last wins 164, channel precedence 258)`, or nothing.
fn breakdown(counts: &[(impl std::fmt::Display, u64)]) -> String {
    let named: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(cause, n)| format!("{cause} {n}"))
        .collect();
    if named.is_empty() {
        String::new()
    } else {
        format!(" ({})", named.join(", "))
    }
}

/// `1.52 s`, `152 ms`, `0.4 ms`.
fn seconds(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_as_ranges() {
        assert_eq!(ranges(&[0, 1, 2, 5, 7, 8]), ["0–2", "5", "7–8"]);
        assert_eq!(ranges(&[4]), ["4"]);
        assert!(ranges(&[]).is_empty());
        assert_eq!(ranges(&[3, 2]), ["3", "2"]);
    }

    #[test]
    fn durations_read_in_seconds_or_milliseconds() {
        assert_eq!(seconds(Duration::from_millis(1520)), "1.52 s");
        assert_eq!(seconds(Duration::from_millis(152)), "152 ms");
        assert_eq!(seconds(Duration::from_micros(400)), "0.4 ms");
    }
}
