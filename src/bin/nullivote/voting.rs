//! The vote: casting, challenging, closing. Each command reopens the board from `board.jsonl`
//! with [`Board::resume`](nullivote::board::Board::resume), which re-verifies every entry (a
//! board whose chain does not verify is not served), submits one thing, and rewrites
//! `board.jsonl` (and `refusals.jsonl` on a refusal) in one step, under `board.lock`.
//!
//! The credential code is the member's secret: it is read from a file (`--code-file FILE`) or
//! from standard input (`--code-file -`), never from the command line, where every user of the
//! machine sees it in the process list (issue #22, finding 9). The votes (`--choice`) are an
//! argument, and so are visible there too: the help text and the README say so.

use std::path::Path;

use nullivote::ballot::prepare;
use nullivote::board::{Board, Payload, Receipt, Refusal};
use nullivote::credential::{CredentialCode, CredentialSecret};
use nullivote::manifest::Manifest;
use nullivote::record::RefusalRecord;
use rand_core::OsRng;

use crate::context::{Context, Dir};
use crate::files::{
    BoardLock, Fail, Outcome, lines_bytes, read_secret_within, read_standard_input, replace,
};
use crate::setup::read_authority;

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
) -> Outcome<(u8, nullivote::ballot::PreparedBallot)> {
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
/// touching the board or the refusal log: the tally, whose counts include the log, may already
/// be computed and published.
fn open_board(ctx: &Context) -> Outcome<Board> {
    let board = ctx.board()?;
    if let Some(last) = board.entries().last()
        && matches!(last.payload, Payload::CloseVoting)
    {
        return Err(Fail::refused(format!(
            "refused: voting closed at board entry {}; nothing was submitted",
            last.position
        )));
    }
    Ok(board)
}

fn write_board(ctx: &Context, board: &Board) -> Outcome {
    let path = ctx.dir.file("board.jsonl");
    replace(&path, &lines_bytes(&path, board.entries())?, false)
}

/// Logs a refusal in `refusals.jsonl` and returns the failure to report.
fn refuse(
    ctx: &Context,
    code: nullivote::ballot::TrackingCode,
    channel: u8,
    why: &Refusal,
) -> Fail {
    let path = ctx.dir.file("refusals.jsonl");
    let logged = ctx.refusals().and_then(|mut refusals| {
        refusals.push(RefusalRecord {
            tracking_code: code,
            channel,
            reason: why.to_string(),
        });
        replace(&path, &lines_bytes(&path, &refusals)?, false)
    });
    match logged {
        Ok(()) => Fail::refused(format!(
            "refused: {why} (tracking code {code}; logged in {})",
            path.display()
        )),
        Err(fail) => Fail::refused(format!("refused: {why}; and the refusal log: {fail}")),
    }
}

fn print_receipt(what: &str, receipt: &Receipt) {
    say!("{what} at board entry {}", receipt.position);
    say!("tracking code {}", receipt.tracking_code);
    say!("entry digest  {}", hex::encode(receipt.entry.as_bytes()));
}

/// `nullivote cast DIR --channel NAME --code-file FILE --choice ... [--authority-secret FILE]`.
pub fn cast(vote: &Vote<'_>, authority: Option<&Path>) -> Outcome {
    let ctx = Dir::open(vote.dir)?.election()?;
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
    let (channel, mut prepared) = prepare_ballot(&ctx, vote)?;
    if let Some(key) = &authority {
        prepared
            .countersign(&ctx.election, key, &mut OsRng)
            .map_err(|e| Fail::input(format!("--authority-secret: {e}")))?;
    }
    let _lock = BoardLock::take(ctx.dir.path())?;
    let mut board = open_board(&ctx)?;
    let ballot = prepared.cast();
    let code = ballot.tracking_code();
    match board.submit(ballot) {
        Ok(receipt) => {
            write_board(&ctx, &board)?;
            print_receipt(&format!("ballot cast on {}", vote.channel), &receipt);
            Ok(())
        }
        Err(why) => Err(refuse(&ctx, code, channel, &why)),
    }
}

/// `nullivote challenge DIR --channel NAME --code-file FILE --choice ...`.
pub fn challenge(vote: &Vote<'_>) -> Outcome {
    let ctx = Dir::open(vote.dir)?.election()?;
    let (channel, prepared) = prepare_ballot(&ctx, vote)?;
    let challenged = prepared.challenge();
    let opened = challenged
        .verify(&ctx.election)
        .map_err(|e| Fail::refused(format!("the challenged ballot does not open: {e}")))?;
    let _lock = BoardLock::take(ctx.dir.path())?;
    let mut board = open_board(&ctx)?;
    let code = challenged.ballot.tracking_code();
    // The board receives only the spoiled form: no nullifier, credential or eligibility proof.
    let receipt = board
        .challenge(&challenged.spoiled())
        .map_err(|why| refuse(&ctx, code, channel, &why))?;
    write_board(&ctx, &board)?;
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
    say!(
        "published as spoiled at board entry {}: this ballot can never be cast; compare the \
         votes above with what you chose, then cast a fresh ballot",
        receipt.position
    );
    Ok(())
}

/// `nullivote close DIR (--channel NAME | --voting)`.
pub fn close(dir: &Path, channel: Option<&str>) -> Outcome {
    let ctx = Dir::open(dir)?.election()?;
    let index = channel.map(|name| ctx.channel(name)).transpose()?;
    let _lock = BoardLock::take(ctx.dir.path())?;
    let mut board = ctx.board()?;
    let (receipt, what) = match (index, channel) {
        (Some(i), Some(name)) => (board.close_channel(i), format!("channel {name} closed")),
        _ => (board.close_voting(), "voting closed".to_string()),
    };
    let receipt = receipt.map_err(|why| match (why, channel) {
        (Refusal::ChannelClosed { .. }, Some(name)) => {
            Fail::refused(format!("refused: channel {name} is already closed"))
        }
        (why, _) => Fail::refused(format!("refused: {why}")),
    })?;
    write_board(&ctx, &board)?;
    say!("{what} at board entry {}", receipt.position);
    Ok(())
}
