//! `nullivote`: the command line. A thin layer over the library.
//!
//! ```text
//! nullivote verify <record-dir> [--json]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nullivote::record::ElectionRecord;
use nullivote::terminal::Bars;
use nullivote::verifier::{Progress, Report, verify};

/// Verifiable multi-channel elections.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check an election record: every proof, the board, the channel precedence decisions, the
    /// tally and its decryption. Exits 0 only if every check passes.
    Verify {
        /// The record directory (record.json, manifest.json, board.jsonl, ...).
        record: PathBuf,
        /// Print a machine-readable JSON report on standard output.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Verify { record, json } => verify_command(&record, json),
    }
}

fn verify_command(dir: &std::path::Path, json: bool) -> ExitCode {
    let bars = Bars::new();
    bars.start("reading", 1);
    let record = match ElectionRecord::read(dir) {
        Ok(record) => record,
        Err(e) => {
            bars.finish();
            if json {
                let report = serde_json::json!({ "passed": false, "error": { "check": e.check, "file": e.file, "line": e.line, "message": e.message } });
                println!("{report}");
            } else {
                eprintln!("nullivote: the record cannot be read: {e}");
            }
            return ExitCode::FAILURE;
        }
    };
    bars.finish();
    let report = verify(&record, &bars);
    if json {
        let value = serde_json::json!({ "passed": report.passed(), "report": report });
        println!("{value}");
    } else {
        print_report(&record, &report, &bars);
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn print_report(record: &ElectionRecord, report: &Report, bars: &Bars) {
    println!("election {}", record.header.election_id);
    println!(
        "base hash {}",
        hex::encode(record.header.base_hash.as_bytes())
    );
    println!("{} board entries\n", record.board.len());
    for check in &report.checks {
        let status = match (check.ran, check.failure_count) {
            (false, _) => "not run".to_string(),
            (true, 0) => "ok".to_string(),
            (true, n) => format!("FAILED ({n})"),
        };
        println!("  {:<4} {:<72} {status}", check.id, check.title);
        for f in &check.failures {
            println!("         {}: {}", f.location, f.message);
        }
        if check.failure_count > check.failures.len() {
            println!(
                "         ... and {} more",
                check.failure_count - check.failures.len()
            );
        }
    }
    match &report.result {
        Some(result) => {
            println!("\nverified result:");
            for contest in &result.contests {
                println!("  {}", contest.name);
                for option in &contest.options {
                    println!("    {:<24} {:>9}", option.name, option.votes);
                }
            }
            println!("\nper channel:              cast  superseded   refused   counted");
            for c in &result.channels {
                let k = c.counts;
                println!(
                    "  {:<18} {:>9} {:>11} {:>9} {:>9}",
                    c.name, k.cast, k.superseded, k.refused, k.counted
                );
            }
            let trustees: Vec<u16> = result.trustees.iter().map(|t| t.get()).collect();
            println!("decrypted by trustees {trustees:?}");
            println!("\nall {} checks passed", report.checks.len());
        }
        None => {
            let failed: Vec<&str> = report.failed().map(|c| c.id).collect();
            println!("\nverification FAILED: {}", failed.join(", "));
        }
    }
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprintln!();
        for (stage, secs) in bars.timings() {
            eprintln!("  {stage:<12} {secs:>8.2} s");
        }
    }
}
