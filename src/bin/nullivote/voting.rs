//! The vote: casting, challenging, closing. Each command reopens the board under
//! `board.lock` from `board.state`, the board's admission state, when that is the state of
//! `board.jsonl` as it is (otherwise it reads and re-verifies every entry, and a board whose
//! chain does not verify is not served: `Context::board`), submits one thing, appends the new
//! entry to `board.jsonl` durably, then saves the state.
//!
//! The board answers for every entry it appends: each command is run by the board operator,
//! with the board's secret key (`--board-secret FILE`, the manifest's board key), and the board
//! signs a [`Receipt`] of the entry: an admitted ballot, a challenge, a refusal (a refused
//! submission is an entry too, with its reason, and exits 1), a close. `--receipt-out FILE`
//! saves the receipt as JSON for the voter (what `nullivote check-receipt` reads). Only the
//! administrator closes (`--admin-secret FILE`, the manifest's administrator key, signs the
//! close for its place on the board); at the close of voting the board signs its final head,
//! saved in `board-head.json` until `publish` folds it into `record.json`.
//!
//! Once voting has closed, a submission is refused without touching the board: the board's
//! final head is signed, and its tally may be published.
//!
//! The credential code is the member's secret: it is read from a file (`--code-file FILE`) or
//! from standard input (`--code-file -`), never from the command line, where every user of the
//! machine sees it in the process list (issue #22, finding 9). The votes (`--choice`) are an
//! argument, and so are visible there too: the help text and the README say so.

use std::path::Path;

use nullivote::ballot::prepare;
use nullivote::board::{Board, Close, Receipt, Refusal, Refused, Statement};
use nullivote::credential::{CredentialCode, CredentialSecret};
use nullivote::manifest::{ChannelIndex, Manifest};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};

use crate::context::{Context, Dir};
use crate::files::{
    BoardLock, Fail, Outcome, absent, append, create, inside, json_bytes, lines_bytes, read_json,
    read_secret_within, read_standard_input, replace,
};
use crate::setup::read_authority;

/// What the board operator needs to change the board for a submission.
pub struct Submit<'a> {
    /// `--board-secret FILE`: the board operator's secret key.
    pub board_secret: &'a Path,
    /// `--receipt-out FILE`: where to save the signed receipt.
    pub receipt_out: Option<&'a Path>,
}

/// What a voter asked for.
pub struct Vote<'a> {
    /// The record directory.
    pub dir: &'a Path,
    /// The channel's name.
    pub channel: &'a str,
    /// The file holding the credential code, or `-` for standard input.
    pub code_file: &'a Path,
    /// `--choice`: per contest (`;`), per option (`,`), the votes.
    pub choice: &'a str,
}

/// Parses `--choice`: contests separated by `;`, options by `,`.
pub fn parse_choice(text: &str, manifest: &Manifest) -> Outcome<Vec<Vec<u32>>> {
    let choices = text
        .split(';')
        .map(|contest| {
            contest
                .split(',')
                .map(|v| {
                    v.trim().parse::<u32>().map_err(|_| {
                        Fail::input(format!(
                            "--choice {text:?}: {:?} is not a number of votes (write the votes \
                             of each option, e.g. 1,0 for one contest or 1,0;0,1,1 for two)",
                            v.trim()
                        ))
                    })
                })
                .collect::<Outcome<Vec<u32>>>()
        })
        .collect::<Outcome<Vec<_>>>()?;
    let shape: Vec<String> = manifest
        .contests()
        .iter()
        .map(|c| format!("{} ({})", c.name, c.options.join(", ")))
        .collect();
    let fits = choices.len() == manifest.contests().len()
        && choices
            .iter()
            .zip(manifest.contests())
            .all(|(c, contest)| c.len() == contest.options.len());
    if !fits {
        return Err(Fail::input(format!(
            "--choice {text:?}: the ballot has {} contest(s): {}",
            shape.len(),
            shape.join("; ")
        )));
    }
    Ok(choices)
}

/// The most bytes a credential code file (or standard input) may hold: a code is 34
/// characters.
const CODE_FILE_BYTES: u64 = 4096;

/// Reads the credential code from `--code-file FILE` (`-`: standard input): one code, on one
/// line. Nothing of the file's content is ever echoed in an error.
pub fn read_code(file: &Path) -> Outcome<CredentialCode> {
    let (bytes, name) = if file == Path::new("-") {
        (
            read_standard_input("--code-file -", CODE_FILE_BYTES)?,
            "standard input".to_string(),
        )
    } else {
        let bytes = read_secret_within(file, CODE_FILE_BYTES)?;
        (bytes, file.display().to_string())
    };
    let bad = |why: &str| Fail::input(format!("--code-file: {name}: {why}"));
    let text = std::str::from_utf8(&bytes).map_err(|_| bad("is not UTF-8 text"))?;
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    if lines > 1 {
        return Err(bad(&format!(
            "holds {lines} lines; it must hold the member's one credential code"
        )));
    }
    CredentialCode::parse(text).map_err(|e| bad(&e.to_string()))
}

fn prepare_ballot(
    ctx: &Context,
    vote: &Vote<'_>,
) -> Outcome<(ChannelIndex, nullivote::ballot::PreparedBallot)> {
    let channel = ctx.channel(vote.channel)?;
    let choices = parse_choice(vote.choice, &ctx.manifest)?;
    let code = read_code(vote.code_file)?;
    let secret = CredentialSecret::derive(&code, ctx.manifest.election_id());
    let prepared =
        prepare(&ctx.election, channel, &secret, &choices, &mut OsRng).map_err(|e| match e {
            nullivote::ballot::ChoiceError::NotOnRoll => Fail::input(format!(
                "--code-file: this credential code is not on {} (mistyped, or of another election)",
                ctx.dir.file("roll.json").display()
            )),
            other => Fail::input(format!("--choice: {other}")),
        })?;
    Ok((channel, prepared))
}

/// The board, if voting is still open. Once voting has closed, a submission is refused without
/// touching the board: the board signed its final head at the close, and the tally may already
/// be computed and published.
fn open_board(ctx: &Context, key: nullivote::AuthorityKey) -> Outcome<Board> {
    let board = ctx.board(key)?;
    if board.voting_closed() {
        return Err(Fail::refused(format!(
            "refused: voting closed at board entry {}; nothing was submitted",
            board.entry_count().saturating_sub(1)
        )));
    }
    Ok(board)
}

/// Appends the entries the board took since it was opened (`held` were held then) to
/// `board.jsonl`, durably, then saves the board's admission state for the next command. A
/// command killed between the two leaves a state of a shorter log, which the next command
/// does not use: it re-verifies the whole board instead ([`Context::board`]).
fn write_board(ctx: &Context, board: &Board, held: usize) -> Outcome {
    let path = ctx.dir.file("board.jsonl");
    append(&path, &lines_bytes(&path, &board.entries()[held..])?)?;
    ctx.save_state(board)
}

/// Refuses, before anything is done, a `--receipt-out FILE` that exists (a receipt is never
/// overwritten, and the board must not take an entry whose receipt cannot be saved) or that is
/// inside the record directory (which `publish` requires to hold only the record).
fn check_receipt_out(ctx: &Context, receipt_out: Option<&Path>) -> Outcome {
    let Some(path) = receipt_out else {
        return Ok(());
    };
    if !absent(path) {
        return Err(Fail::file(
            path,
            "already exists; refusing to overwrite it (--receipt-out); nothing was submitted",
        ));
    }
    if inside(path, ctx.dir.path()) {
        return Err(Fail::input(format!(
            "--receipt-out {}: is inside the record directory {}, which holds only the record; \
             keep the receipt elsewhere",
            path.display(),
            ctx.dir.path().display()
        )));
    }
    Ok(())
}

/// Saves the receipt as JSON if asked (`--receipt-out FILE`).
fn save_receipt(receipt: &Receipt, receipt_out: Option<&Path>) -> Outcome {
    match receipt_out {
        Some(path) => create(path, &json_bytes(path, receipt)?, false),
        None => Ok(()),
    }
}

fn print_receipt(what: &str, receipt: &Receipt, receipt_out: Option<&Path>) {
    say!("{what} at board entry {}", receipt.position);
    // A close holds no submission: its tracking code is all zeros.
    if receipt.tracking_code.0 != [0; 32] {
        say!("tracking code {}", receipt.tracking_code);
    }
    say!("entry digest  {}", hex::encode(receipt.entry.as_bytes()));
    say!(
        "signature     {}",
        hex::encode(nullivote::hazmat::Wire::encode(&receipt.signature))
    );
    match receipt_out {
        Some(path) => say!("signed by the board; receipt saved in {}", path.display()),
        None => say!("signed by the board"),
    }
}

/// Why the board refused, a channel named by its name.
fn reason(ctx: &Context, refusal: &Refusal) -> String {
    match refusal {
        Refusal::ChannelClosed { channel } => match ctx.manifest.channel(*channel) {
            Some(c) => format!("channel {} is closed", c.name),
            None => refusal.to_string(),
        },
        other => other.to_string(),
    }
}

/// The outcome of a submission: the board changed (the entry admitted, or its refusal
/// appended) is written, then the receipt saved and printed; a refusal exits 1 with its reason.
fn finish(
    ctx: &Context,
    board: &Board,
    grew: Option<usize>,
    submitted: Result<Receipt, Box<Refused>>,
    what: &str,
    receipt_out: Option<&Path>,
) -> Outcome<Receipt> {
    if let Some(held) = grew {
        write_board(ctx, board, held)?;
    }
    match submitted.map_err(|refused| *refused) {
        Ok(receipt) => {
            save_receipt(&receipt, receipt_out)?;
            print_receipt(what, &receipt, receipt_out);
            Ok(receipt)
        }
        Err(Refused {
            refusal,
            receipt: Some(receipt),
        }) => {
            save_receipt(&receipt, receipt_out)?;
            print_receipt("refusal recorded", &receipt, receipt_out);
            Err(Fail::refused(format!(
                "refused: {} (tracking code {}; the refusal is board entry {}, with the board's \
                 signed receipt)",
                reason(ctx, &refusal),
                receipt.tracking_code,
                receipt.position
            )))
        }
        Err(Refused {
            refusal,
            receipt: None,
        }) => Err(Fail::refused(format!(
            "refused: {refusal}; nothing was written"
        ))),
    }
}

/// `nullivote cast DIR --channel NAME --code-file FILE --choice ... --board-secret FILE
/// [--receipt-out FILE] [--authority-secret FILE]`.
pub fn cast(vote: &Vote<'_>, submit: &Submit<'_>, authority: Option<&Path>) -> Outcome {
    let ctx = Dir::open(vote.dir)?.election()?;
    let key = ctx.board_key(submit.board_secret)?;
    check_receipt_out(&ctx, submit.receipt_out)?;
    let channel_index = ctx.channel(vote.channel)?;
    let needs = ctx
        .manifest
        .channel(channel_index)
        .and_then(|c| c.authority)
        .is_some();
    let authority = match (needs, authority) {
        (true, None) => {
            return Err(Fail::input(format!(
                "channel {:?} takes only ballots countersigned by its authority: pass \
                 --authority-secret FILE",
                vote.channel
            )));
        }
        (false, Some(_)) => {
            return Err(Fail::input(format!(
                "channel {:?} takes no countersignature: leave out --authority-secret",
                vote.channel
            )));
        }
        (true, Some(path)) => Some(read_authority(path)?),
        (false, None) => None,
    };
    let (_, mut prepared) = prepare_ballot(&ctx, vote)?;
    if let Some(key) = &authority {
        prepared
            .countersign(&ctx.election, key, &mut OsRng)
            .map_err(|e| Fail::input(format!("--authority-secret: {e}")))?;
    }
    let _lock = BoardLock::take(ctx.dir.path())?;
    let mut board = open_board(&ctx, key)?;
    let before = board.entries().len();
    let submitted = board.submit(prepared.cast());
    let grew = (board.entries().len() != before).then_some(before);
    let what = format!("ballot cast on {}", vote.channel);
    finish(&ctx, &board, grew, submitted, &what, submit.receipt_out).map(drop)
}

/// `nullivote challenge DIR --channel NAME --code-file FILE --choice ... --board-secret FILE
/// [--receipt-out FILE]`.
pub fn challenge(vote: &Vote<'_>, submit: &Submit<'_>) -> Outcome {
    let ctx = Dir::open(vote.dir)?.election()?;
    let key = ctx.board_key(submit.board_secret)?;
    check_receipt_out(&ctx, submit.receipt_out)?;
    let (_, prepared) = prepare_ballot(&ctx, vote)?;
    let challenged = prepared.challenge();
    let opened = challenged
        .verify(&ctx.election)
        .map_err(|e| Fail::refused(format!("the challenged ballot does not open: {e}")))?;
    let _lock = BoardLock::take(ctx.dir.path())?;
    let mut board = open_board(&ctx, key)?;
    let code = challenged.ballot.tracking_code();
    let before = board.entries().len();
    // The board receives only the spoiled form: no nullifier, credential or eligibility proof.
    let submitted = board.challenge(&challenged.spoiled());
    let grew = (board.entries().len() != before).then_some(before);
    if submitted.is_ok() {
        say!("challenged ballot, tracking code {code}, opens to:");
        for (contest, votes) in ctx.manifest.contests().iter().zip(&opened) {
            let options: Vec<String> = contest
                .options
                .iter()
                .zip(votes)
                .map(|(name, v)| format!("{name} {v}"))
                .collect();
            say!("  {}: {}", contest.name, options.join(", "));
        }
    }
    let receipt = finish(
        &ctx,
        &board,
        grew,
        submitted,
        "published as spoiled",
        submit.receipt_out,
    )?;
    say!(
        "this ballot (board entry {}) can never be cast; compare the votes above with what you \
         chose, then cast a fresh ballot",
        receipt.position
    );
    Ok(())
}

/// `board-head.json`: the board's signature of its final head, written at the close of voting
/// and folded into `record.json` by `publish` (a working file: `publish` removes it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardHeadFile {
    /// The number of entries of the closed board.
    pub board_entries: u64,
    /// The digest of its last entry (the close of voting).
    pub board_head: nullivote::board::EntryDigest,
    /// The board's signature of [`Statement::FinalHead`] (`board_entries`, `board_head`).
    pub board_signature: nullivote::board::Signature,
}

/// The name of the working file of the board's final signature.
pub const BOARD_HEAD_FILE: &str = "board-head.json";

impl BoardHeadFile {
    /// Whether it signs `entries` entries ending at `head`, under the manifest's board key.
    pub fn signs(&self, ctx: &Context, entries: u64, head: nullivote::board::EntryDigest) -> bool {
        self.board_entries == entries
            && self.board_head == head
            && self
                .board_signature
                .verify(
                    &ctx.election,
                    &Statement::FinalHead { entries, head },
                    &ctx.manifest.authorities().board,
                )
                .is_ok()
    }
}

/// Signs the closed board's final head and saves it in `board-head.json`.
fn write_final_head(ctx: &Context, board: &mut Board) -> Outcome<BoardHeadFile> {
    let board_signature = board
        .final_signature()
        .ok_or_else(|| Fail::refused("voting is not closed: the board signs no final head"))?;
    let file = BoardHeadFile {
        board_entries: board.entry_count(),
        board_head: board.head(),
        board_signature,
    };
    let path = ctx.dir.file(BOARD_HEAD_FILE);
    replace(&path, &json_bytes(&path, &file)?, false)?;
    Ok(file)
}

/// `nullivote close DIR (--channel NAME | --voting) --admin-secret FILE --board-secret FILE`.
///
/// The administrator signs the close for the board's next position and head; the board appends
/// it with its receipt. At the close of voting the board also signs its final head
/// (`board-head.json`). Closing voting again on a board whose `board-head.json` is missing or
/// not of this board (a command killed between the two writes) only writes it again.
pub fn close(
    dir: &Path,
    channel: Option<&str>,
    admin_secret: &Path,
    board_secret: &Path,
) -> Outcome {
    let ctx = Dir::open(dir)?.election()?;
    let administrator = ctx.administrator_key(admin_secret)?;
    let key = ctx.board_key(board_secret)?;
    let index = channel.map(|name| ctx.channel(name)).transpose()?;
    let _lock = BoardLock::take(ctx.dir.path())?;
    let mut board = ctx.board(key)?;
    let held = board.entries().len();
    let (close, what) = match (index, channel) {
        (Some(i), Some(name)) => (Close::Channel(i), format!("channel {name} closed")),
        _ => (Close::Voting, "voting closed".to_string()),
    };
    if close == Close::Voting && board.voting_closed() {
        let path = ctx.dir.file(BOARD_HEAD_FILE);
        let (entries, head) = (board.entry_count(), board.head());
        let in_file = !absent(&path)
            && read_json::<BoardHeadFile>(&path, "board head")
                .is_ok_and(|f| f.signs(&ctx, entries, head));
        // Published: record.json holds the signature, and the directory holds only the record.
        let published = ctx.dir.header()?.is_some_and(|h| {
            BoardHeadFile {
                board_entries: h.board_entries,
                board_head: h.board_head,
                board_signature: h.board_signature,
            }
            .signs(&ctx, entries, head)
        });
        if in_file || published {
            return Err(Fail::refused(format!(
                "refused: voting is already closed (board entry {}; the board's signature of its \
                 final head is in {})",
                entries - 1,
                if in_file {
                    path.display().to_string()
                } else {
                    ctx.dir.file("record.json").display().to_string()
                }
            )));
        }
        write_final_head(&ctx, &mut board)?;
        say!(
            "voting was already closed at board entry {}; the board's signature of its final head \
             {} ({entries} entries) written to {}",
            entries - 1,
            hex::encode(head.as_bytes()),
            path.display()
        );
        return Ok(());
    }
    let receipt = board
        .close_as(&administrator, close)
        .map_err(|why| match (why, channel) {
            (Refusal::ChannelClosed { .. }, Some(name)) => {
                Fail::refused(format!("refused: channel {name} is already closed"))
            }
            (why, _) => Fail::refused(format!("refused: {why}")),
        })?;
    write_board(&ctx, &board, held)?;
    print_receipt(&format!("{what} by the administrator"), &receipt, None);
    if close == Close::Voting {
        let signed = write_final_head(&ctx, &mut board)?;
        say!(
            "final board head {} after {} entries, signed by the board: saved in {} until \
             `nullivote publish` puts it in record.json",
            hex::encode(signed.board_head.as_bytes()),
            signed.board_entries,
            ctx.dir.file(BOARD_HEAD_FILE).display()
        );
    }
    Ok(())
}
