//! `nullivote`: the command line. A thin layer over the library.
//!
//! ```text
//! nullivote verify <record-dir> [--expect BASE-HASH] [--json]
//! nullivote lookup <record-dir> (--code-file FILE | --tracking-code HEX) [--expect BASE-HASH] [--json]
//! nullivote check-receipt <record-dir> RECEIPT.json [--json]
//!
//! nullivote manifest leadership --out DIR (--intake-key HEX | --intake-secret-out FILE)
//!                               (--board-key HEX | --board-secret-out FILE)
//!                               (--admin-key HEX | --admin-secret-out FILE)
//! nullivote manifest check FILE
//! nullivote authority new --secret-out FILE
//! nullivote trustee round1 DIR --index I --secret FILE
//! nullivote trustee round2 DIR --secret FILE [--index I]        (likewise round3, round5, finish)
//! nullivote trustee round4 DIR --secret FILE [--index I] [--complain-about-missing]
//!                          (every step after round 1 also takes --deadline-passed)
//! nullivote credentials issue DIR --count N --codes-out FILE
//! nullivote cast DIR --channel NAME --code-file FILE --choice 1,0[;0,1,1] --board-secret FILE
//!                    [--receipt-out FILE] [--authority-secret FILE]
//! nullivote challenge DIR --channel NAME --code-file FILE --choice 1,0[;0,1,1] --board-secret FILE
//!                    [--receipt-out FILE]
//! nullivote close DIR (--channel NAME | --voting) --admin-secret FILE --board-secret FILE
//! nullivote tally DIR
//! nullivote decrypt DIR --key FILE [--head HEX | --yes]
//! nullivote publish DIR
//! ```
//!
//! # One election, one directory
//!
//! Every step an official runs by hand is one command that reads and writes the files of the
//! record directory `DIR` (the files `nullivote verify` reads, named as in
//! [`nullivote::record`]), so a ceremony runs across machines by copying `DIR` (or parts of it)
//! between them; nothing is kept anywhere else but in the secret files each party names on the
//! command line:
//!
//! | step | who | reads | writes |
//! | --- | --- | --- | --- |
//! | `manifest leadership` | administrator | the offices' public keys (or draws them) | `manifest.json` naming the postal intake's, the board operator's and the administrator's keys, each office its own (a custom election: write the JSON, check it with `manifest check`, copy it to `DIR/manifest.json`); the secrets it draws, outside `DIR` |
//! | `authority new` | each office: channel authority (postal intake), board operator, administrator | | its secret file; prints the public key for the manifest |
//! | `trustee round1`…`finish` | each trustee | `manifest.json`, `ceremony/` | `ceremony/roundN-<i>.json` (round 3's shares each sealed for their recipient), its secret file, `ceremony.json` |
//! | `credentials issue` | registrar | `manifest.json` | `roll.json`, the codes file |
//! | `cast`, `challenge` | board operator, with `--board-secret` (for the voter's device or the intake) | the election, `board.jsonl` | `board.jsonl` (the ballot, or the refusal: an entry too); the board's signed receipt (`--receipt-out`, for the voter) |
//! | `close` | administrator, with `--admin-secret` (signs the close), and board operator, with `--board-secret` (signs the receipt) | the election, `board.jsonl` | `board.jsonl`; at the close of voting `board-head.json`, the board's signature of its final head |
//! | `tally` | anyone | the election, the board | `tally.json`; prints the board head to publish |
//! | `decrypt` | each trustee | the election, the board, `tally.json`, its key | its key (records the head it decrypted), `shares/share-<l>.json` |
//! | `publish` | administrator | everything above | `decryption.json`, `result.json`, `record.json` (with the board's signature from `board-head.json`); removes `ceremony/`, `shares/`, `board-head.json` |
//! | `verify` | anyone | the published record | nothing; prints every check and the verified result |
//! | `lookup` | a member (their code), or anyone (a tracking code) | the published record, verified first; the code file or standard input | nothing; prints the member's ballots and refusals, which counts and why |
//! | `check-receipt` | the holder of a receipt | the published record, the receipt | nothing; confirms the entry, or prints the evidence that the board dropped or changed it (exit 1) |
//!
//! Choices made here, and why:
//!
//! * **The library decides; the command line only moves files.** Every check is the library's
//!   (manifest validation, the ceremony rounds, `Board::resume` re-verifying the whole chain
//!   before a submission, `combine` skipping and naming bad shares), so a command accepts
//!   exactly what `nullivote verify` will.
//! * **One secret file per trustee**, replaced round after round (`to_secret_bytes`), and by the
//!   trustee's key at `finish`: a trustee carries one file, and its kind byte says which step is
//!   next, so running a step out of order says what to run instead. Secrets are saved before
//!   the public package is written, and re-running a step after a crash re-sends the identical
//!   package (see `nullivote/ceremony.rs`).
//! * **No secret in the shared directory.** Each key-generation share is sealed for its
//!   recipient (spec §10.5) before it is written to `ceremony/`; the secret files each party
//!   names on the command line are the only secrets, and belong outside `DIR`.
//! * **Each office its own key, and the board answers for every entry.** The manifest names
//!   the board operator's and the administrator's keys, distinct from each other and from every
//!   channel authority (`manifest leadership` refuses a shared key). Every command that changes
//!   the board takes the board's secret (`--board-secret`), and a key that is not the
//!   manifest's is refused (exit 2) before anything is done; the board signs a receipt for
//!   every entry, a refused submission included (a refusal is an entry of the chain, so the
//!   submitter holds the board's word for it), and `--receipt-out` saves it. Only the
//!   administrator closes: `close` takes `--admin-secret`, whose key signs the close for its
//!   place on the board. At the close of voting the board signs its final head
//!   (`board-head.json`), which `publish` puts in `record.json` and `verify` checks; nothing is
//!   submitted after it, not even a refusal.
//! * **Writes are atomic** (a temporary file with a random name, created exclusively, renamed
//!   into place), secrets are created with mode 0600, never overwritten by a new secret, and
//!   never written into a directory every user may write into nor into the record directory;
//!   the board is changed by one command at a time (`board.lock`).
//! * **Reads are bounded**: every file is a regular file (in the record directory not even a
//!   symbolic link), read through a bounded reader; secrets come from files or standard input,
//!   never from arguments (`--code-file`; `--choice` is an argument, visible in the process
//!   list, and its help says so).
//! * **A published record directory holds exactly the record**: `publish` refuses a directory
//!   holding anything but the record's files and the known working files (`ceremony/`,
//!   `shares/`, `board-head.json`, `board.lock`), and removes the working files once they are
//!   folded into the record; `verify` refuses any other entry. A receipt (`--receipt-out`) is
//!   never written into `DIR` either.
//! * **Nothing reaches the terminal raw**: every line printed goes through `say!`/`warn!`,
//!   which escape control, format and bidirectional characters (`nullivote::record::text::escape`),
//!   and the JSON report through `nullivote::record::text::escape_json`.
//! * **Nothing is decrypted but the recomputed tally**: `decrypt` and `publish` recompute the
//!   tally from the board and refuse a `tally.json` that differs.
//! * **One tally per trustee, of a head it confirmed**: `decrypt` prints the board head, the
//!   number of entries and the ballots counted, asks the trustee to type `yes` (`--yes` when
//!   standard input is not a terminal), or compares the head with the published one given as
//!   `--head HEX` and refuses another, and saves the head in the key file before writing the
//!   share; a key that decrypted one head refuses any other (exit 1) and re-writes the identical
//!   share for the same one. Every share's proofs bind the head.
//! * **The verifier is anchored by the base hash**: `verify --expect HEX` fails (V3) unless the
//!   record's base hash is the one published before voting; without `--expect` its first and
//!   last lines say that only internal consistency was checked.
//! * **A member checks their own ballots on a verified record only**: `lookup` verifies the
//!   record first, as `verify` does (anchored with `--expect`, or NOT ANCHORED on its first and
//!   last lines), and answers nothing for a record that does not verify; it reads the code
//!   like `cast` (a file or standard input, refused at once if its check symbols fail) and
//!   never prints the code or the secret derived from it (`nullivote/member.rs`,
//!   [`nullivote::lookup`]).
//! * **Every bad input is one line naming its file**: a missing file (with the command that
//!   writes it), malformed JSON (line and column), a value the library refuses, a record or
//!   secret of another protocol version, a file of another election (a ceremony run for
//!   another manifest, a board that does not chain from this election's base hash, a
//!   `record.json` of another election id or base hash, a key of another ceremony).
//!
//! # Exit status
//!
//! `0` success; `2` a usage error or bad input (the command did nothing, or nothing that
//! matters), a secret key that is not the office's the manifest names among them; `1` the
//! protocol said no: a refused ballot or challenge (whose refusal entry is on the board, with
//! its receipt), a refused phase change, a misbehaving trustee, a decryption that fails.
//! `verify` keeps its own: `0` only if every check passes, `1` otherwise. `lookup`: `0` when it
//! answered, whatever the answer (nothing cast, not on the roll, not on the board), `1` when
//! the record cannot be read or does not verify, `2` for a usage error or bad input (a
//! mistyped code).

/// Prints one line on standard output with every control, format or separator character escaped
/// ([`nullivote::record::text::escape`]): nothing an input, a record or a file name holds reaches the
/// terminal as a control (issue #22, finding 3). Every line the command line prints goes
/// through this macro or [`warn!`].
macro_rules! say {
    () => {
        println!()
    };
    ($($arg:tt)*) => {
        println!("{}", nullivote::record::text::escape(&format!($($arg)*)))
    };
}

/// [`say!`] on standard error.
macro_rules! warn {
    () => {
        eprintln!()
    };
    ($($arg:tt)*) => {
        eprintln!("{}", nullivote::record::text::escape(&format!($($arg)*)))
    };
}

#[path = "nullivote/ceremony.rs"]
mod ceremony;
#[path = "nullivote/context.rs"]
mod context;
#[path = "nullivote/counting.rs"]
mod counting;
#[path = "nullivote/files.rs"]
mod files;
#[path = "nullivote/member.rs"]
mod member;
#[path = "nullivote/setup.rs"]
mod setup;
#[path = "nullivote/terminal.rs"]
mod terminal;
#[path = "nullivote/verify.rs"]
mod verify;
#[path = "nullivote/voting.rs"]
mod voting;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Args, Parser, Subcommand};
use nullivote::BaseHash;
use nullivote::verifier::Report;

use crate::files::{Fail, Outcome};

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
        /// The base hash the election authority published before voting (64 hex characters):
        /// the record must be that election (check V3). Without it only the record's internal
        /// consistency is checked.
        #[arg(long, value_name = "BASE-HASH")]
        expect: Option<String>,
        /// Print a machine-readable JSON report on standard output.
        #[arg(long)]
        json: bool,
    },
    /// The member's check: verify the record, then show every ballot cast under a credential
    /// (or under the credential of the ballot with a tracking code), and which one counts and
    /// why. Exits 1 if the record does not verify.
    #[command(group(ArgGroup::new("query").required(true).args(["code_file", "tracking_code"])))]
    Lookup {
        /// The record directory (record.json, manifest.json, board.jsonl, ...).
        record: PathBuf,
        /// The file holding the member's credential code, or `-` to read it from standard
        /// input. The code is never given on the command line, where every user of the machine
        /// sees it in the process list, and it is never printed.
        #[arg(long, value_name = "FILE")]
        code_file: Option<PathBuf>,
        /// A ballot's tracking code (64 hex characters, dashes allowed), as `cast` or a
        /// receipt shows it.
        #[arg(long, value_name = "HEX")]
        tracking_code: Option<String>,
        /// The base hash the election authority published before voting (64 hex characters),
        /// as for `verify`: without it only the record's internal consistency is checked.
        #[arg(long, value_name = "BASE-HASH")]
        expect: Option<String>,
        /// Print the answer as JSON on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Check a receipt of the board against a published record: confirmed, or the evidence that
    /// the board dropped or changed the entry.
    CheckReceipt {
        /// The record directory.
        record: PathBuf,
        /// The receipt (JSON, as `cast --receipt-out` writes it).
        receipt: PathBuf,
        /// Print the answer as JSON on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Write or check an election manifest.
    #[command(subcommand)]
    Manifest(ManifestCommand),
    /// The offices' keys: channel authorities (the postal intake that countersigns paper
    /// ballots), the board operator, the administrator.
    #[command(subcommand)]
    Authority(AuthorityCommand),
    /// The key ceremony, one round at a time, each trustee on its own machine.
    #[command(subcommand)]
    Trustee(TrusteeCommand),
    /// The registrar's credentials and roll.
    #[command(subcommand)]
    Credentials(CredentialsCommand),
    /// Build a ballot and submit it to the board: prints the board's signed receipt, or the
    /// refusal (exit 1), which is a board entry with its own signed receipt.
    Cast {
        #[command(flatten)]
        vote: VoteArgs,
        #[command(flatten)]
        submit: SubmitArgs,
        /// The channel authority's secret file, to countersign (channels that require it).
        #[arg(long, value_name = "FILE")]
        authority_secret: Option<PathBuf>,
    },
    /// Build a ballot and challenge it (Benaloh): prints what it encrypts and publishes it as
    /// spoiled, with the board's signed receipt; it can never be cast.
    Challenge {
        #[command(flatten)]
        vote: VoteArgs,
        #[command(flatten)]
        submit: SubmitArgs,
    },
    /// Close one channel, or voting on every channel: the administrator signs the close, the
    /// board appends it. At the close of voting the board signs its final head
    /// (DIR/board-head.json, which `publish` puts in record.json).
    #[command(group(ArgGroup::new("what").required(true).args(["channel", "voting"])))]
    Close {
        /// The record directory.
        dir: PathBuf,
        /// The channel to close.
        #[arg(long)]
        channel: Option<String>,
        /// Close voting on every channel.
        #[arg(long)]
        voting: bool,
        /// The administrator's secret key file (the manifest's administrator key): signs the
        /// close.
        #[arg(long, value_name = "FILE")]
        admin_secret: PathBuf,
        /// The board operator's secret key file (the manifest's board key): signs the
        /// receipt, and at the close of voting the final head.
        #[arg(long, value_name = "FILE")]
        board_secret: PathBuf,
    },
    /// Tally the closed board: writes tally.json (encrypted sums, decisions, counts).
    Tally {
        /// The record directory.
        dir: PathBuf,
    },
    /// A trustee's decryption share of the tally: shows the board it decrypts and asks for
    /// confirmation, records the board head in the key file, writes shares/share-<index>.json.
    /// A key decrypts one tally only.
    Decrypt {
        /// The record directory.
        dir: PathBuf,
        /// The trustee's key file (its secret file after `nullivote trustee finish`); rewritten
        /// to record the board head it decrypted.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The board head published at the close of voting (64 hex characters): decrypt
        /// refuses any other board, and asks nothing when the board's head is this one.
        #[arg(long, value_name = "HEX")]
        head: Option<String>,
        /// Decrypt without asking (needed when standard input is not a terminal and no --head
        /// is given): only after comparing the board head with the one published at the close
        /// of voting.
        #[arg(long)]
        yes: bool,
    },
    /// Combine the decryption shares present and publish the result and the record.
    Publish {
        /// The record directory.
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum ManifestCommand {
    /// Write DIR/manifest.json for the 2022 leadership ballot (5 trustees, any 3 decrypt),
    /// naming the postal intake's, the board operator's and the administrator's keys (each
    /// office its own). Each key is given (`--<office>-key HEX`, from `nullivote authority
    /// new`) or drawn here, its secret saved in FILE (`--<office>-secret-out FILE`).
    #[command(group(ArgGroup::new("intake").required(true).args(["intake_key", "intake_secret_out"])))]
    #[command(group(ArgGroup::new("board").required(true).args(["board_key", "board_secret_out"])))]
    #[command(group(ArgGroup::new("admin").required(true).args(["admin_key", "admin_secret_out"])))]
    Leadership {
        /// The record directory (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The postal intake's public key (64 hex characters).
        #[arg(long, value_name = "HEX")]
        intake_key: Option<String>,
        /// Draw the postal intake's key pair and save its secret in FILE.
        #[arg(long, value_name = "FILE")]
        intake_secret_out: Option<PathBuf>,
        /// The board operator's public key (64 hex characters): signs every receipt and the
        /// final head.
        #[arg(long, value_name = "HEX")]
        board_key: Option<String>,
        /// Draw the board operator's key pair and save its secret in FILE.
        #[arg(long, value_name = "FILE")]
        board_secret_out: Option<PathBuf>,
        /// The administrator's public key (64 hex characters): signs every close.
        #[arg(long, value_name = "HEX")]
        admin_key: Option<String>,
        /// Draw the administrator's key pair and save its secret in FILE.
        #[arg(long, value_name = "FILE")]
        admin_secret_out: Option<PathBuf>,
    },
    /// Validate a manifest JSON file and print its digest.
    Check {
        /// The manifest JSON file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuthorityCommand {
    /// Draw a key pair (a channel authority's, the board operator's, the administrator's):
    /// saves the secret, prints the public key for the manifest.
    New {
        /// Where to save the secret key (mode 0600; never overwritten).
        #[arg(long, value_name = "FILE")]
        secret_out: PathBuf,
    },
}

/// A trustee's step after round 1.
#[derive(Args)]
struct TrusteeStep {
    /// The record directory (manifest.json, ceremony/).
    dir: PathBuf,
    /// The trustee's secret file, updated by each round.
    #[arg(long, value_name = "FILE")]
    secret: PathBuf,
    /// The trustee's index, checked against the secret file.
    #[arg(long)]
    index: Option<u16>,
    /// The round's deadline has passed: go on without the trustees whose packages are missing
    /// (spec §10.6). Missing from round 1 or 2: they are excluded, and the ceremony stops naming
    /// them, to restart without them (no share has been dealt). Missing from round 4: no
    /// complaint. Missing from round 5: no answer (a dealer complained about is excluded).
    /// Round 4 itself then complains about every dealer whose shares are missing.
    #[arg(long)]
    deadline_passed: bool,
}

impl TrusteeStep {
    fn deadline(&self) -> ceremony::Deadline {
        if self.deadline_passed {
            ceremony::Deadline::Passed
        } else {
            ceremony::Deadline::Open
        }
    }
}

#[derive(Subcommand)]
enum TrusteeCommand {
    /// Draw the polynomial; publish the commitment digest (ceremony/round1-<index>.json).
    Round1 {
        /// The record directory (manifest.json).
        dir: PathBuf,
        /// The trustee's index, 1 to n.
        #[arg(long)]
        index: u16,
        /// Where to create the trustee's secret file (mode 0600).
        #[arg(long, value_name = "FILE")]
        secret: PathBuf,
    },
    /// Once every digest is in: reveal the commitments and proofs.
    Round2(TrusteeStep),
    /// Once every reveal is in: check them, write the shares, each sealed for its recipient
    /// (ceremony/round3-<i>.json).
    Round3(TrusteeStep),
    /// Check the shares received; publish complaints (possibly none).
    Round4 {
        #[command(flatten)]
        step: TrusteeStep,
        /// Complain about every dealer whose share is missing or unreadable instead of stopping.
        #[arg(long)]
        complain_about_missing: bool,
    },
    /// Answer, in public, every complaint against this trustee.
    Round5(TrusteeStep),
    /// Compute the key share (replaces the secret file) and write ceremony.json.
    Finish(TrusteeStep),
}

#[derive(Subcommand)]
enum CredentialsCommand {
    /// Issue N credential codes: writes DIR/roll.json and the secret codes, one a line.
    Issue {
        /// The record directory (manifest.json).
        dir: PathBuf,
        /// The number of members.
        #[arg(long)]
        count: usize,
        /// Where to write the codes (mode 0600; line i is roll entry i - 1).
        #[arg(long, value_name = "FILE")]
        codes_out: PathBuf,
    },
}

/// A voter's ballot.
#[derive(Args)]
struct VoteArgs {
    /// The record directory.
    dir: PathBuf,
    /// The channel's name in the manifest.
    #[arg(long)]
    channel: String,
    /// The file holding the member's credential code, or `-` to read it from standard input.
    /// The code is never given on the command line, where every user of the machine sees it
    /// in the process list.
    #[arg(long, value_name = "FILE")]
    code_file: PathBuf,
    /// The votes, option by option, contests separated by `;` (e.g. `1,0` or `1,0;0,1,1`).
    /// Like every argument, it is visible to every user of the machine in the process list
    /// (`ps`): cast on a machine no one else uses.
    #[arg(long)]
    choice: String,
}

/// What the board operator gives for a submission.
#[derive(Args)]
struct SubmitArgs {
    /// The board operator's secret key file (the manifest's board key): the board signs a
    /// receipt for every entry it appends.
    #[arg(long, value_name = "FILE")]
    board_secret: PathBuf,
    /// Save the board's signed receipt (JSON) in FILE, for the voter: written whether the
    /// submission is admitted or refused (a refusal is a board entry too). Never overwritten.
    #[arg(long, value_name = "FILE")]
    receipt_out: Option<PathBuf>,
}

impl SubmitArgs {
    fn submit(&self) -> voting::Submit<'_> {
        voting::Submit {
            board_secret: &self.board_secret,
            receipt_out: self.receipt_out.as_deref(),
        }
    }
}

impl VoteArgs {
    fn vote(&self) -> voting::Vote<'_> {
        voting::Vote {
            dir: &self.dir,
            channel: &self.channel,
            code_file: &self.code_file,
            choice: &self.choice,
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version are this program's own text; an error may quote an argument,
            // which is escaped like every other message.
            if e.use_stderr() {
                for line in e.render().to_string().lines() {
                    warn!("{line}");
                }
            } else {
                print!("{}", e.render());
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let command = match cli.command {
        Command::Verify {
            record,
            expect,
            json,
        } => return verify::verify_command(&record, expect.as_deref(), json),
        other => other,
    };
    match run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(fail) => {
            warn!("nullivote: {fail}");
            fail.code()
        }
    }
}

/// Refuses a secret file named inside the record directory, before the command runs.
fn keep_secrets_out(command: &Command) -> Outcome {
    use crate::files::keep_secret_out;
    match command {
        Command::Manifest(ManifestCommand::Leadership {
            out,
            intake_secret_out,
            board_secret_out,
            admin_secret_out,
            ..
        }) => [
            ("--intake-secret-out", intake_secret_out),
            ("--board-secret-out", board_secret_out),
            ("--admin-secret-out", admin_secret_out),
        ]
        .into_iter()
        .filter_map(|(flag, secret)| secret.as_ref().map(|secret| (flag, secret)))
        .try_for_each(|(flag, secret)| keep_secret_out(flag, secret, out)),
        Command::Trustee(step) => {
            let (dir, secret) = match step {
                TrusteeCommand::Round1 { dir, secret, .. } => (dir, secret),
                TrusteeCommand::Round2(s)
                | TrusteeCommand::Round3(s)
                | TrusteeCommand::Round4 { step: s, .. }
                | TrusteeCommand::Round5(s)
                | TrusteeCommand::Finish(s) => (&s.dir, &s.secret),
            };
            keep_secret_out("--secret", secret, dir)
        }
        Command::Credentials(CredentialsCommand::Issue { dir, codes_out, .. }) => {
            keep_secret_out("--codes-out", codes_out, dir)
        }
        _ => Ok(()),
    }
}

fn run(command: Command) -> Outcome {
    keep_secrets_out(&command)?;
    match command {
        Command::Verify { .. } => Ok(()),
        Command::Lookup {
            record,
            code_file,
            tracking_code,
            expect,
            json,
        } => {
            let query = match (&code_file, &tracking_code) {
                (Some(file), _) => member::Query::Credential(file),
                (None, Some(code)) => member::Query::TrackingCode(code),
                (None, None) => {
                    return Err(Fail::input(
                        "lookup: give --code-file FILE or --tracking-code HEX",
                    ));
                }
            };
            member::lookup(&record, &query, expect.as_deref(), json)
        }
        Command::CheckReceipt {
            record,
            receipt,
            json,
        } => member::check_receipt(&record, &receipt, json),
        Command::Manifest(ManifestCommand::Leadership {
            out,
            intake_key,
            intake_secret_out,
            board_key,
            board_secret_out,
            admin_key,
            admin_secret_out,
        }) => {
            fn source<'a>(
                key: &'a Option<String>,
                secret_out: &'a Option<PathBuf>,
            ) -> Option<setup::KeySource<'a>> {
                key.as_deref()
                    .map(setup::KeySource::Public)
                    .or(secret_out.as_deref().map(setup::KeySource::SecretOut))
            }
            setup::manifest_leadership(
                &out,
                source(&intake_key, &intake_secret_out),
                source(&board_key, &board_secret_out),
                source(&admin_key, &admin_secret_out),
            )
        }
        Command::Manifest(ManifestCommand::Check { file }) => setup::manifest_check(&file),
        Command::Authority(AuthorityCommand::New { secret_out }) => {
            setup::authority_new(&secret_out)
        }
        Command::Trustee(step) => match step {
            TrusteeCommand::Round1 { dir, index, secret } => ceremony::round1(&dir, index, &secret),
            TrusteeCommand::Round2(s) => ceremony::round2(&s.dir, s.index, &s.secret, s.deadline()),
            TrusteeCommand::Round3(s) => ceremony::round3(&s.dir, s.index, &s.secret, s.deadline()),
            TrusteeCommand::Round4 {
                step: s,
                complain_about_missing,
            } => ceremony::round4(
                &s.dir,
                s.index,
                &s.secret,
                complain_about_missing || s.deadline_passed,
            ),
            TrusteeCommand::Round5(s) => ceremony::round5(&s.dir, s.index, &s.secret, s.deadline()),
            TrusteeCommand::Finish(s) => {
                ceremony::finish_ceremony(&s.dir, s.index, &s.secret, s.deadline())
            }
        },
        Command::Credentials(CredentialsCommand::Issue {
            dir,
            count,
            codes_out,
        }) => setup::credentials_issue(&dir, count, &codes_out),
        Command::Cast {
            vote,
            submit,
            authority_secret,
        } => voting::cast(&vote.vote(), &submit.submit(), authority_secret.as_deref()),
        Command::Challenge { vote, submit } => voting::challenge(&vote.vote(), &submit.submit()),
        Command::Close {
            dir,
            channel,
            voting,
            admin_secret,
            board_secret,
        } => voting::close(
            &dir,
            if voting { None } else { channel.as_deref() },
            &admin_secret,
            &board_secret,
        ),
        Command::Tally { dir } => counting::tally(&dir),
        Command::Decrypt {
            dir,
            key,
            head,
            yes,
        } => counting::decrypt(&dir, &key, head.as_deref(), yes),
        Command::Publish { dir } => counting::publish(&dir),
    }
}

/// `--expect HEX`: 64 hex characters (either case).
fn parse_expected(text: &str) -> Result<BaseHash, String> {
    let bytes = hex::decode(text.trim())
        .map_err(|e| format!("--expect {text:?}: not a base hash in hex: {e}"))?;
    let array: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
        format!(
            "--expect {text:?}: a base hash is 32 bytes (64 hex characters), not {}",
            b.len()
        )
    })?;
    Ok(BaseHash(array))
}

/// One JSON value on standard output, every control, format or separator character inside its
/// strings written as a JSON escape ([`nullivote::record::text::escape_json`]): the same value,
/// and nothing a terminal obeys.
fn print_json(value: &serde_json::Value) {
    use nullivote::record::text::escape_json;
    println!("{}", escape_json(&value.to_string()));
}

/// The first or last line of a report on the anchor, or `None` when the record was anchored.
fn anchor_warning(report: &Report) -> Option<String> {
    let anchor = &report.anchor;
    let found = hex::encode(anchor.base_hash.as_bytes());
    match anchor.expected_base_hash {
        Some(expected) if !anchor.anchored => Some(format!(
            "BASE HASH MISMATCH: this record is NOT the expected election: expected base hash {}, \
             the record's is {found}",
            hex::encode(expected.as_bytes())
        )),
        Some(_) => None,
        None => Some(format!(
            "NOT ANCHORED: only the record's internal consistency is checked, not that it is the \
             election the authority published; compare its base hash {found} with the published \
             one, or run `nullivote verify DIR --expect <published base hash>`"
        )),
    }
}
