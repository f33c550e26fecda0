//! After the vote: the tally, the trustees' decryption shares, and the published record.
//!
//! Nobody trusts `tally.json` blindly: `decrypt` and `publish` recompute the tally from the
//! board and refuse a `tally.json` that differs, so a trustee only ever decrypts the sums of the
//! counted ballots, never a single ballot slipped in as an "aggregate".

use std::path::{Path, PathBuf};

use nullivote::record::{
    DecryptionRecord, ElectionResult, RECORD_FORMAT, RecordHeader, RefusalRecord,
};
use nullivote::tally::Tally;
use nullivote::transcript::PROTOCOL_VERSION;
use nullivote::trustee::{DecryptionShare, TrusteeError, combine};
use rand_core::OsRng;

use crate::ceremony::read_key;
use crate::context::{Context, Dir};
use crate::files::{Fail, Outcome, json_bytes, lines_bytes, read_json, replace};

fn print_counts(ctx: &Context, tally: &Tally) {
    println!("per channel:              cast  superseded   refused   counted");
    for (channel, k) in ctx.manifest.channels().iter().zip(&tally.counts) {
        println!(
            "  {:<18} {:>9} {:>11} {:>9} {:>9}",
            channel.name, k.cast, k.superseded, k.refused, k.counted
        );
    }
}

/// `nullivote tally DIR`.
pub fn tally(dir: &Path) -> Outcome {
    let ctx = Dir::open(dir)?.election()?;
    let (_, tally) = ctx.tally()?;
    let path = ctx.dir.file("tally.json");
    replace(&path, &json_bytes(&path, &tally)?, false)?;
    println!(
        "{} written: {} ballots counted, {} superseded (decisions listed in the file)",
        path.display(),
        tally.outcome.counted.len(),
        tally.outcome.decisions.len()
    );
    print_counts(&ctx, &tally);
    Ok(())
}

fn share_path(ctx: &Context, trustee: u16) -> PathBuf {
    ctx.dir.file("shares").join(format!("share-{trustee}.json"))
}

/// `nullivote decrypt DIR --key FILE`.
pub fn decrypt(dir: &Path, key_path: &Path) -> Outcome {
    let key = read_key(key_path)?;
    let ctx = Dir::open(dir)?.election()?;
    let (_, tally) = ctx.checked_tally()?;
    let share = key
        .decrypt_share(&ctx.election, &tally.flat_aggregates(), &mut OsRng)
        .map_err(|e| Fail::file(key_path, e))?;
    let path = share_path(&ctx, key.trustee().get());
    replace(&path, &json_bytes(&path, &share)?, false)?;
    println!(
        "trustee {}: decryption share of the tally written to {}",
        key.trustee(),
        path.display()
    );
    Ok(())
}

/// The shares in `DIR/shares/`, each file `share-<l>.json` holding trustee `l`'s share; files
/// that cannot be read, or claim another trustee, are named and skipped.
fn read_shares(ctx: &Context) -> Outcome<Vec<(PathBuf, DecryptionShare)>> {
    let dir = ctx.dir.file("shares");
    let listing = match std::fs::read_dir(&dir) {
        Ok(listing) => listing,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Fail::file(
                &dir,
                "no decryption share yet (each trustee runs `nullivote decrypt --key`)",
            ));
        }
        Err(e) => return Err(Fail::file(&dir, format!("cannot read: {e}"))),
    };
    let mut found = Vec::new();
    for item in listing {
        let item = item.map_err(|e| Fail::file(&dir, format!("cannot read: {e}")))?;
        let path = item.path();
        let name = item.file_name().to_string_lossy().into_owned();
        let Some(number) = name
            .strip_prefix("share-")
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let claimed = number
            .parse::<u16>()
            .ok()
            .filter(|n| n.to_string() == number);
        match (
            claimed,
            read_json::<DecryptionShare>(&path, "decryption share"),
        ) {
            (Some(n), Ok(share)) if share.trustee().get() == n => found.push((path, share)),
            (_, Ok(share)) => eprintln!(
                "nullivote: skipped {}: it holds trustee {}'s share",
                path.display(),
                share.trustee()
            ),
            (_, Err(fail)) => eprintln!("nullivote: skipped {fail}"),
        }
    }
    found.sort_by_key(|(_, s)| s.trustee());
    Ok(found)
}

/// `nullivote publish DIR`.
pub fn publish(dir: &Path) -> Outcome {
    let ctx = Dir::open(dir)?.election()?;
    let (entries, tally) = ctx.checked_tally()?;
    let files = read_shares(&ctx)?;
    let shares: Vec<DecryptionShare> = files.iter().map(|(_, s)| s.clone()).collect();
    let aggregates = tally.flat_aggregates();
    let public = &ctx.ceremony.public;
    let decryption = combine(
        public,
        &ctx.election,
        &aggregates,
        &shares,
        tally.bound(&ctx.election),
    )
    .map_err(|e| match e {
        TrusteeError::TooFewShares { skipped, .. } if skipped.is_empty() => Fail::input(format!(
            "{} valid decryption shares in {}; {} are needed: more trustees must run `nullivote \
             decrypt`",
            shares.len(),
            ctx.dir.file("shares").display(),
            public.policy().threshold
        )),
        TrusteeError::TooFewShares {
            valid,
            threshold,
            skipped,
        } => {
            let invalid: Vec<String> = skipped
                .iter()
                .map(|t| match files.iter().find(|(_, s)| s.trustee() == *t) {
                    Some((path, _)) => format!("trustee {t} ({})", path.display()),
                    None => format!("trustee {t}"),
                })
                .collect();
            Fail::refused(format!(
                "only {valid} valid decryption shares; {threshold} are needed (invalid: {})",
                invalid.join(", ")
            ))
        }
        other => Fail::refused(format!("the decryption fails: {other}")),
    })?;
    for problem in decryption.skipped() {
        let named: Vec<String> = problem
            .culprits()
            .iter()
            .filter_map(|t| files.iter().find(|(_, s)| s.trustee() == *t))
            .map(|(p, _)| p.display().to_string())
            .collect();
        eprintln!(
            "nullivote: skipped {}: {problem}",
            if named.is_empty() {
                "a share".to_string()
            } else {
                named.join(", ")
            }
        );
    }
    let used: Vec<DecryptionShare> = shares
        .into_iter()
        .filter(|s| decryption.used().contains(&s.trustee()))
        .collect();
    let result = ElectionResult::new(
        &ctx.manifest,
        decryption.values(),
        &tally.counts,
        decryption.used(),
    );
    let header = RecordHeader {
        format: RECORD_FORMAT.to_string(),
        version: PROTOCOL_VERSION,
        election_id: ctx.manifest.election_id().to_string(),
        base_hash: *ctx.election.base_hash(),
        board_head: entries
            .last()
            .map_or(*ctx.election.base_hash(), |e| e.digest()),
        board_entries: entries.len() as u64,
    };
    // An empty board or refusal log is still a file of the record.
    for name in ["board.jsonl", "refusals.jsonl"] {
        let path = ctx.dir.file(name);
        if !path.exists() {
            replace(&path, &lines_bytes::<RefusalRecord>(&path, &[])?, false)?;
        }
    }
    let path = ctx.dir.file("decryption.json");
    replace(
        &path,
        &json_bytes(&path, &DecryptionRecord { shares: used })?,
        false,
    )?;
    let path = ctx.dir.file("result.json");
    replace(&path, &json_bytes(&path, &result)?, false)?;
    // record.json last: its presence says the record is complete.
    let path = ctx.dir.file("record.json");
    replace(&path, &json_bytes(&path, &header)?, false)?;

    println!("result of {}:", ctx.manifest.election_id());
    for contest in &result.contests {
        println!("  {}", contest.name);
        for option in &contest.options {
            println!("    {:<24} {:>9}", option.name, option.votes);
        }
    }
    print_counts(&ctx, &tally);
    let trustees: Vec<String> = decryption.used().iter().map(ToString::to_string).collect();
    println!("decrypted by trustees {}", trustees.join(", "));
    println!(
        "record published in {}; anyone checks it with `nullivote verify {}`",
        ctx.dir.path().display(),
        ctx.dir.path().display()
    );
    Ok(())
}
