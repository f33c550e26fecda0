//! The 2022 UK Conservative leadership ballot, end to end, with nullivote.
//!
//! ```text
//! cargo run --release --example leadership_ballot -- --voters 2000 --out record --seed 7
//! cargo run --release -- verify record
//! ```
//!
//! 160,000 members by default; two candidates; five trustees with threshold three, one absent at
//! decryption; online and postal channels with postal precedence (online last-wins, postal
//! first-wins and countersigned by the intake). Members vote once on either channel, change
//! their mind from online to postal, try online after posting (refused), revote online,
//! challenge a ballot before casting, or have their online code stolen, in which case their
//! postal ballot still counts. The example prints the result, the counts per channel and the
//! decisions, checks the result against the plaintext intentions, and writes the record.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use nullivote::board::Reason;
use nullivote::simulation::{Scenario, leadership};
#[path = "../src/bin/nullivote/terminal.rs"]
mod terminal;
use terminal::Bars;

/// Run the 2022-style leadership ballot and write its election record.
#[derive(Parser)]
struct Args {
    /// Members on the roll.
    #[arg(long, default_value_t = 160_000)]
    voters: usize,
    /// Directory to write the election record to.
    #[arg(long, default_value = "leadership-record")]
    out: PathBuf,
    /// Seed for a reproducible run.
    #[arg(long, default_value_t = 2022)]
    seed: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let started = Instant::now();
    let bars = Bars::new();
    let scenario = Scenario {
        voters: args.voters,
        seed: args.seed,
        absent: vec![4],
        bad_share: None,
    };
    println!(
        "leadership ballot: {} members, trustees 3 of 5 (trustee 4 absent at decryption), seed {}",
        args.voters, args.seed
    );
    let sim = leadership(&scenario, &bars)?;
    let record = &sim.record;

    println!("\nmembers by behaviour:");
    for (behaviour, n) in &sim.behaviours {
        println!("  {:<20} {n:>8}", format!("{behaviour:?}"));
    }
    println!("\nresult:");
    for contest in &record.result.contests {
        for option in &contest.options {
            println!("  {:<20} {:>8}", option.name, option.votes);
        }
    }
    println!("\nper channel:             cast  superseded   refused   counted");
    for c in &record.result.channels {
        let k = c.counts;
        println!(
            "  {:<18} {:>8} {:>11} {:>9} {:>9}",
            c.name, k.cast, k.superseded, k.refused, k.counted
        );
    }
    let decisions = &record.tally.outcome.decisions;
    let count = |r: Reason| decisions.iter().filter(|d| d.reason == r).count();
    println!(
        "\ndecisions: {} superseded by postal precedence, {} by an online revote, {} set aside by postal first-wins",
        count(Reason::Precedence),
        count(Reason::LastWins),
        count(Reason::FirstWins)
    );
    let trustees: Vec<u16> = record.result.trustees.iter().map(|t| t.get()).collect();
    println!("decrypted by trustees {trustees:?}");

    // The members' own checks (issue #17): a lookup of their credential against their receipts,
    // or their signed receipt against the record.
    let c = sim.checks;
    println!(
        "\nmembers' checks: {} members checked, {} found something wrong: {} a ballot they did \
         not cast under their credential, {} a ballot the board dropped (their signed receipt \
         proves it); {} overrode a thief's later online ballot by post",
        c.checked, c.found_wrong, c.foreign_ballots, c.dropped_ballots, c.overridden
    );

    let announced = record.result.values();
    if announced != sim.expected {
        return Err(format!(
            "the decrypted result {announced:?} is not the members' intentions {:?}",
            sim.expected
        )
        .into());
    }
    println!(
        "the decrypted result equals the members' intentions (stolen online codes did not count; \
         an insider's ballot for an abstainer and a ballot the board dropped are as the checks \
         found them)"
    );

    let write = Instant::now();
    record.write(&args.out)?;
    let bytes: u64 = std::fs::read_dir(&args.out)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "\nrecord written to {} ({:.1} MB) in {:.1} s",
        args.out.display(),
        bytes as f64 / 1e6,
        write.elapsed().as_secs_f64()
    );
    for (stage, secs) in bars.timings() {
        println!("  {stage:<12} {secs:>8.1} s");
    }
    // The base hash is fixed before voting (manifest, key ceremony, roll): a real election
    // authority publishes it then, and verifiers anchor the record to it.
    println!(
        "total {:.1} s. Verify with: cargo run --release -- verify {} --expect {}",
        started.elapsed().as_secs_f64(),
        args.out.display(),
        hex::encode(sim.record.header.base_hash.as_bytes())
    );
    Ok(())
}
