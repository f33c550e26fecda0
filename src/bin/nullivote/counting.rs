//! After the vote: the tally, the trustees' decryption shares, and the published record.
//!
//! Nobody trusts `tally.json` blindly: `decrypt` and `publish` recompute the tally from the
//! board and refuse a `tally.json` that differs, so a trustee only ever decrypts the sums of the
//! counted ballots, never a single ballot slipped in as an "aggregate".
//!
//! Nor does a trustee trust the board it is given: a board operator could hand it a doctored
//! board (one member's ballot alone, or every ballot but that one) and learn the vote from the
//! difference. So `decrypt` shows the board it is about to decrypt (election, base hash, board
//! head, entries, ballots counted per channel) and asks the trustee to type `yes` after
//! comparing the head with the one published at the close of voting (`tally` prints it), or
//! compares it with `--head HEX` and refuses another board; with standard input not a terminal
//! and no `--head` it refuses unless given `--yes`. The key file then records the
//! head, before the share is written: a key decrypts one tally (the same one again gives the
//! identical share), and every share's proofs bind the head, which `verify` checks against
//! `record.json`.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use nullivote::board::Entry;
use nullivote::board::EntryDigest;
use nullivote::hazmat::transcript::PROTOCOL_VERSION;
use nullivote::record::{DecryptionRecord, ElectionResult, FILES, RECORD_FORMAT, RecordHeader};
use nullivote::tally::Tally;
use nullivote::trustee::{BoardHead, DecryptionError, DecryptionRun, DecryptionShare, combine};
use rand_core::OsRng;

use crate::ceremony::read_key;
use crate::context::{Context, Dir};
use crate::files::{BoardLock, Fail, Outcome, absent, json_bytes, lines_bytes, read_json, replace};
use crate::voting::{BOARD_HEAD_FILE, BoardHeadFile};

fn print_counts(ctx: &Context, tally: &Tally) {
    say!("per channel:              cast  superseded   refused   counted");
    for (channel, k) in ctx.manifest.channels().iter().zip(&tally.counts) {
        say!(
            "  {:<18} {:>9} {:>11} {:>9} {:>9}",
            channel.name,
            k.cast,
            k.superseded,
            k.refused,
            k.counted
        );
    }
}

/// `nullivote tally DIR`.
pub fn tally(dir: &Path) -> Outcome {
    let ctx = Dir::open(dir)?.election()?;
    let (entries, tally) = ctx.tally()?;
    let path = ctx.dir.file("tally.json");
    replace(&path, &json_bytes(&path, &tally)?, false)?;
    say!(
        "{} written: {} ballots counted, {} superseded (decisions listed in the file)",
        path.display(),
        tally.outcome.counted.len(),
        tally.outcome.decisions.len()
    );
    print_counts(&ctx, &tally);
    let head = BoardHead::of(&ctx.election, &entries);
    say!(
        "board head {} after {} entries: publish it now; each trustee decrypts the tally of this \
         head only (`nullivote decrypt {} --key FILE --head {}`)",
        hex::encode(head.digest.as_bytes()),
        head.entries,
        ctx.dir.path().display(),
        hex::encode(head.digest.as_bytes())
    );
    Ok(())
}

fn share_path(ctx: &Context, trustee: u16) -> PathBuf {
    ctx.dir.file("shares").join(format!("share-{trustee}.json"))
}

/// `nullivote decrypt DIR --key FILE [--head HEX] [--yes]`.
pub fn decrypt(dir: &Path, key_path: &Path, published: Option<&str>, yes: bool) -> Outcome {
    let published = published.map(parse_head).transpose()?;
    let mut key = read_key(key_path)?;
    let ctx = Dir::open(dir)?.election()?;
    let (entries, tally) = ctx.checked_tally()?;
    let head = BoardHead::of(&ctx.election, &entries);
    let aggregates = tally.flat_aggregates();
    let trustee = key.trustee();
    let run = key
        .check_decryption(&ctx.election, &head, &aggregates)
        .map_err(|e| match e {
            DecryptionError::AlreadyDecrypted { head: done, .. } => Fail::refused(format!(
                "{}: trustee {trustee}'s key already decrypted the tally of board head {} ({} \
                 entries); this board's head is {} ({} entries). A key decrypts one tally: \
                 refusing (if this board is the published one, the earlier decryption was of \
                 another board)",
                key_path.display(),
                hex::encode(done.digest.as_bytes()),
                done.entries,
                hex::encode(head.digest.as_bytes()),
                head.entries
            )),
            other => Fail::file(key_path, other),
        })?;

    say!("trustee {trustee} is about to decrypt:");
    say!("  election    {}", ctx.manifest.election_id());
    say!(
        "  base hash   {}",
        hex::encode(ctx.election.base_hash().as_bytes())
    );
    say!("  board head  {}", hex::encode(head.digest.as_bytes()));
    say!("  entries     {}", head.entries);
    for (channel, k) in ctx.manifest.channels().iter().zip(&tally.counts) {
        say!("  counted     {:>9} on {}", k.counted, channel.name);
    }
    say!(
        "  counted     {:>9} ballots in all",
        tally.outcome.counted.len()
    );
    if let Some(published) = published
        && published != head.digest
    {
        return Err(Fail::refused(format!(
            "board.jsonl: this board's head is {}, not the published {} (--head): it is not the \
             board whose tally was published; refusing to decrypt it",
            hex::encode(head.digest.as_bytes()),
            hex::encode(published.as_bytes())
        )));
    }
    if run == DecryptionRun::Repeat {
        say!("this key decrypted this very tally before: the identical share is written again");
    } else if published.is_some() {
        say!("the board head is the published one (--head)");
    } else if !yes {
        confirm()?;
    }

    let share = key
        .decrypt_share(&ctx.election, &head, &aggregates, &mut OsRng)
        .map_err(|e| Fail::file(key_path, e))?;
    if run == DecryptionRun::First {
        // Saved before the share exists anywhere: a restarted trustee still refuses another
        // board.
        replace(key_path, &key.to_secret_bytes(), true)?;
    }
    let path = share_path(&ctx, trustee.get());
    replace(&path, &json_bytes(&path, &share)?, false)?;
    say!(
        "trustee {trustee}: decryption share of the tally of board head {} written to {}; {} \
         now decrypts this tally only",
        hex::encode(head.digest.as_bytes()),
        path.display(),
        key_path.display()
    );
    Ok(())
}

/// `--head HEX`: a board head, 64 hex characters.
fn parse_head(text: &str) -> Outcome<EntryDigest> {
    let bytes = hex::decode(text.trim())
        .map_err(|e| Fail::input(format!("--head {text:?}: not a board head in hex: {e}")))?;
    let array: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
        Fail::input(format!(
            "--head {text:?}: a board head is 32 bytes (64 hex characters), not {}",
            b.len()
        ))
    })?;
    Ok(EntryDigest(array))
}

/// Asks the trustee on the terminal to type `yes`; refuses when standard input is not a
/// terminal (`--yes` is the only way to decrypt unattended).
fn confirm() -> Outcome {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Fail::input(
            "standard input is not a terminal: compare the board head above with the one \
             published at the close of voting, then run again with --head <published head> (or \
             --yes) to decrypt",
        ));
    }
    say!(
        "compare the board head and counts with those published at the close of voting; type \
         yes to decrypt:"
    );
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Fail::input(format!("cannot read the answer: {e}")))?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Fail::input("not confirmed: nothing was decrypted"))
    }
}

/// The shares in `DIR/shares/`, each file `share-<l>.json` holding trustee `l`'s share; files
/// that cannot be read, or claim another trustee, are named and skipped. If the record was
/// published before (`publish` removes `shares/` once the shares are in `decryption.json`), the
/// shares of `decryption.json` count too, for the trustees without a file in `shares/`: so a
/// `publish` run again, or killed while it removed the working files, still finds them.
fn read_shares(ctx: &Context) -> Outcome<Vec<(PathBuf, DecryptionShare)>> {
    let dir = ctx.dir.file("shares");
    let listing = match std::fs::read_dir(&dir) {
        Ok(listing) => Some(listing),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Fail::file(&dir, format!("cannot read: {e}"))),
    };
    let mut found = Vec::new();
    for item in listing.into_iter().flatten() {
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
            (_, Ok(share)) => warn!(
                "nullivote: skipped {}: it holds trustee {}'s share",
                path.display(),
                share.trustee()
            ),
            (_, Err(fail)) => warn!("nullivote: skipped {fail}"),
        }
    }
    let published = ctx.dir.file("decryption.json");
    if !absent(&published) {
        let record: DecryptionRecord = read_json(&published, "decryption record")?;
        for share in record.shares {
            if !found.iter().any(|(_, s)| s.trustee() == share.trustee()) {
                found.push((published.clone(), share));
            }
        }
    }
    if found.is_empty() && absent(&dir) {
        return Err(Fail::file(
            &dir,
            "no decryption share yet (each trustee runs `nullivote decrypt --key`)",
        ));
    }
    found.sort_by_key(|(_, s)| s.trustee());
    Ok(found)
}

/// The most paths a refusal of `publish` names.
const PATHS_NAMED: usize = 20;

/// Whether `name` is `<prefix><i><suffix>` for a trustee index `i` (1 to 255, in decimal
/// without leading zeros).
fn indexed(name: &str, prefix: &str, suffix: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|n| n.strip_suffix(suffix))
        .and_then(|n| {
            n.parse::<u8>()
                .ok()
                .filter(|i| *i >= 1 && i.to_string() == n)
        })
        .is_some()
}

/// A known working file of `ceremony/`: a trustee's broadcast package `round<N>-<i>.json`.
fn is_package(name: &str) -> bool {
    (1..=5).any(|round| indexed(name, &format!("round{round}-"), ".json"))
}

/// A known working file of `shares/`: a decryption share `share-<l>.json`.
fn is_share(name: &str) -> bool {
    indexed(name, "share-", ".json")
}

/// Why a path that is not allowed in a record directory is there, as far as its name tells.
fn what_it_is(name: &str) -> &'static str {
    if name == "private" {
        " (the trustees' private shares: never part of a record)"
    } else if name.ends_with(".secret") {
        " (a secret: keep it out of the record directory)"
    } else if name.starts_with('.') && name.ends_with(".tmp") {
        " (a temporary file of a command that was killed)"
    } else if name == "refusals.jsonl" {
        " (the refusal log of an earlier version: refusals are board entries now)"
    } else {
        ""
    }
}

/// The record directory before `publish`: only the record's files and the command line's known
/// public working files (the trustees' packages in `ceremony/`, the decryption shares in
/// `shares/`, the board's signed final head `board-head.json`, the board's admission state
/// `board.state`, and `board.lock`, which
/// `publish` holds), each a regular file or directory, never a symbolic link. Returns the working files, to remove once the record is written; refuses
/// (exit 2) naming every other path (a trustee's secret, `private/`, an unknown file).
fn working_files(dir: &Dir) -> Outcome<Vec<PathBuf>> {
    let mut working = Vec::new();
    let mut others = Vec::new();
    let listing = |path: &Path| {
        std::fs::read_dir(path).map_err(|e| Fail::file(path, format!("cannot read: {e}")))
    };
    for item in listing(dir.path())? {
        let item = item.map_err(|e| Fail::file(dir.path(), format!("cannot read: {e}")))?;
        let (path, name) = (item.path(), item.file_name());
        let kind = item
            .file_type()
            .map_err(|e| Fail::file(&path, format!("cannot read: {e}")))?;
        let name = name.to_str().unwrap_or("");
        let file = kind.is_file();
        let allowed = match name {
            _ if FILES.iter().any(|(f, _)| *f == name) => file,
            "board.lock" => file,
            BOARD_HEAD_FILE | crate::context::BOARD_STATE_FILE if file => {
                working.push(path.clone());
                true
            }
            "ceremony" | "shares" if kind.is_dir() => {
                let known = if name == "ceremony" {
                    is_package
                } else {
                    is_share
                };
                for inner in listing(&path)? {
                    let inner =
                        inner.map_err(|e| Fail::file(&path, format!("cannot read: {e}")))?;
                    let inner_name = inner.file_name();
                    let inner_file = inner.file_type().is_ok_and(|t| t.is_file());
                    if inner_file && inner_name.to_str().is_some_and(known) {
                        working.push(inner.path());
                    } else {
                        let what = what_it_is(inner_name.to_str().unwrap_or(""));
                        others.push(format!("{}{what}", inner.path().display()));
                    }
                }
                working.push(path.clone());
                true
            }
            _ => false,
        };
        if !allowed {
            let link = if kind.is_symlink() {
                " (a symbolic link)"
            } else {
                ""
            };
            others.push(format!("{}{link}{}", path.display(), what_it_is(name)));
        }
    }
    if others.is_empty() {
        // Files before their directories, for removal.
        working.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
        return Ok(working);
    }
    others.sort();
    let more = others.len().saturating_sub(PATHS_NAMED);
    others.truncate(PATHS_NAMED);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Err(Fail::file(
        dir.path(),
        format!(
            "holds what is neither a file of the record nor a known working file: {}{more}; \
             move it elsewhere (a published record directory holds exactly the record)",
            others.join(", ")
        ),
    ))
}

/// Removes the working files folded into the record (the packages are in `ceremony.json`, the
/// shares used in `decryption.json`), so that the directory holds exactly the record.
fn remove_working_files(working: &[PathBuf]) -> Outcome {
    for path in working {
        let removed = if path.is_dir() {
            std::fs::remove_dir(path)
        } else {
            std::fs::remove_file(path)
        };
        match removed {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Fail::file(
                    path,
                    format!("the record is written, but this working file cannot be removed: {e}"),
                ));
            }
        }
    }
    Ok(())
}

/// The board's signature of its final head `head`: from `board-head.json` (written by `close
/// --voting`), or, once published (`publish` removes `board-head.json`), from `record.json`.
fn final_signature(ctx: &Context, head: &BoardHead) -> Outcome<nullivote::board::Signature> {
    let path = ctx.dir.file(BOARD_HEAD_FILE);
    let close = format!(
        "`nullivote close {} --voting --admin-secret FILE --board-secret FILE`",
        ctx.dir.path().display()
    );
    if absent(&path) {
        if let Some(h) = ctx.dir.header()? {
            let published = BoardHeadFile {
                board_entries: h.board_entries,
                board_head: h.board_head,
                board_signature: h.board_signature,
            };
            if published.signs(ctx, head.entries, head.digest) {
                return Ok(published.board_signature);
            }
        }
        return Err(Fail::file(
            &path,
            format!(
                "missing: the board's signature of its final head, which {close} writes (on a \
                 board already closed it writes only this file)"
            ),
        ));
    }
    let signed: BoardHeadFile = read_json(&path, "board head")?;
    if !signed.signs(ctx, head.entries, head.digest) {
        return Err(Fail::file(
            &path,
            format!(
                "is not the board's signature of this board's head {} ({} entries): it names {} \
                 ({} entries), or its signature is not the board key's; run {close} again",
                hex::encode(head.digest.as_bytes()),
                head.entries,
                hex::encode(signed.board_head.as_bytes()),
                signed.board_entries
            ),
        ));
    }
    Ok(signed.board_signature)
}

/// `nullivote publish DIR`.
pub fn publish(dir: &Path) -> Outcome {
    let opened = Dir::open(dir)?;
    // Nothing else changes the board meanwhile, and `board.lock` is gone when publish is done.
    let _lock = BoardLock::take(opened.path())?;
    let working = working_files(&opened)?;
    let ctx = opened.election()?;
    let (entries, tally) = ctx.checked_tally()?;
    let head = BoardHead::of(&ctx.election, &entries);
    let board_signature = final_signature(&ctx, &head)?;
    let files = read_shares(&ctx)?;
    let shares: Vec<DecryptionShare> = files.iter().map(|(_, s)| s.clone()).collect();
    let aggregates = tally.flat_aggregates();
    let public = &ctx.ceremony.public;
    let decryption = combine(
        public,
        &ctx.election,
        &head,
        &aggregates,
        &shares,
        tally.bound(&ctx.election),
    )
    .map_err(|e| match e {
        DecryptionError::TooFewShares { skipped, .. } if skipped.is_empty() => Fail::input(format!(
            "{} valid decryption shares in {}; {} are needed: more trustees must run `nullivote \
             decrypt`",
            shares.len(),
            ctx.dir.file("shares").display(),
            public.policy().threshold()
        )),
        DecryptionError::TooFewShares {
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
        warn!(
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
        board_head: head.digest,
        board_entries: head.entries,
        board_signature,
    };
    // An empty board is still a file of the record.
    let path = ctx.dir.file("board.jsonl");
    if !path.exists() {
        replace(&path, &lines_bytes::<Entry>(&path, &[])?, false)?;
    }
    // The administrator may have written manifest.json by hand (`manifest check FILE`): the
    // record holds the same value in the one form a record file is read in (spec/record.md §1).
    let path = ctx.dir.file("manifest.json");
    replace(&path, &json_bytes(&path, &ctx.manifest)?, false)?;
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
    remove_working_files(&working)?;

    say!("result of {}:", ctx.manifest.election_id());
    for contest in &result.contests {
        say!("  {}", contest.name);
        for option in &contest.options {
            say!("    {:<24} {:>9}", option.name, option.votes);
        }
    }
    print_counts(&ctx, &tally);
    let trustees: Vec<String> = decryption.used().iter().map(ToString::to_string).collect();
    say!("decrypted by trustees {}", trustees.join(", "));
    say!(
        "record published in {}; anyone checks it against the base hash published before voting \
         with `nullivote verify {} --expect {}`",
        ctx.dir.path().display(),
        ctx.dir.path().display(),
        hex::encode(ctx.election.base_hash().as_bytes())
    );
    Ok(())
}
