//! The independent verifier of an [`ElectionRecord`]: an ordered list of numbered checks
//! ([`CheckId`]), each specified in `spec/protocol.md` §16, reporting every failure with its
//! [`Location`] (a board entry, a ballot and its contest and option, a trustee, a decision, an
//! aggregate, a file), the ballot check it failed ([`BallotCheck`], for a ballot) and a message
//! in words.
//!
//! | check | what |
//! | --- | --- |
//! | V1 | the record header and manifest are well formed and agree |
//! | V2 | the key ceremony: round-1 digests, reveals, proofs of possession, complaints, joint key and verification shares recomputed |
//! | V3 | the base hash recomputed from manifest, joint key, ceremony digest and roll |
//! | V4 | the board chain: positions, links, head, the board's signature of its final head, the close of voting last |
//! | V5 | every cast ballot (B1–B9), batched on every core |
//! | V6 | every challenged (spoiled) ballot opens to its ciphertexts and tracking code |
//! | V7 | the board's admission rules: phases and the administrator's signed closes, ciphertext reuse, precedence refusals, duplicates, and every refusal entry's reason where the record lets it be recomputed |
//! | V8 | the decision list recomputed from the board |
//! | V9 | the tally recomputed: aggregates and per-channel counts |
//! | V10 | every decryption share's proof, and at least the threshold of them |
//! | V11 | the result: each announced value `v` satisfies `v·G = B − Σ λ_l·D_l` |
//!
//! A check that cannot run because an earlier one left nothing to check against says so.
//!
//! # Internal consistency, and the anchor
//!
//! The checks establish that the record is **consistent**: every ballot, proof, decision,
//! aggregate and share fits the manifest, key ceremony and roll the record itself holds. They
//! cannot tell whether that is the election the members voted in: anyone can make a consistent
//! record of a fabricated election under the real election id (another ceremony, roll or
//! board), and only its base hash differs. The **anchor** is the base hash the election
//! authority published before voting (on its website, in the notice to members): with
//! [`Options::expected_base_hash`] ([`verify_with`], [`verify_dir_with`]; the command line's
//! `--expect HEX`), V3 also requires the recomputed base hash to equal it, and the report's
//! [`Anchor`] says whether the record was anchored. Without it, a passing report proves internal
//! consistency only; [`Report::anchor`] holds the base hash to compare with the published one.
//!
//! # The report
//!
//! Besides the checks, a [`Report`] says what it is of and what was found on the way: its
//! versions ([`REPORT_VERSION`], [`VERIFIER_VERSION`], the protocol's), the election id, the
//! board's head and entries as read, the files of another election ([`OtherElection`]: the cause
//! of thousands of identical failures, named once), what was counted on the board ([`Counts`]:
//! ballots cast, verified, challenged, refused by reason code, superseded by rule, counted) and
//! how long each stage took ([`Timings`], measurements, not findings). Its JSON, as `nullivote
//! verify --json` prints it, is described by `spec/report.schema.json` (`spec/protocol.md`
//! §16.3).

pub use crate::check::CheckId;
pub use counts::{Counts, RefusedCounts, SupersededCounts};
pub use other_election::OtherElection;
pub use timings::{Stage, StageTiming, Timings};

mod counts;
mod other_election;
mod timings;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::ballot::{Ballot, BallotCheck, BallotError, ChallengeError, verify_batch};
use crate::board::{ChainProblem, ChainReplay, Entry, EntryDigest, Payload, Refusal, cast_ballots};
use crate::election::{BaseHash, Election};
use crate::elgamal::Ciphertext;
use crate::manifest::{ChannelIndex, Manifest};
use crate::record::{ElectionRecord, ElectionResult, LoadError};
use crate::tally::{Tally, push_ciphertexts};
use crate::trustee::{BoardHead, combine, verify_decryption};
use other_election::ChainStart;
use timings::Stopwatch;

/// How many failures a check keeps in full; the rest are counted.
pub const MAX_FAILURES_KEPT: usize = 100;

/// The version of the report's layout ([`Report::report_version`], `spec/protocol.md` §16.3 and
/// `spec/report.schema.json`): raised whenever a key of the JSON report is removed, renamed or
/// changes its meaning (a new key does not raise it).
pub const REPORT_VERSION: u32 = 1;

/// The version of this verifier: the crate's (`Cargo.toml`).
pub const VERIFIER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Board entries read, verified and replayed per block (one call of the batch verifier over
/// their cast ballots, one progress step).
pub const BALLOTS_PER_STEP: usize = 4096;

/// Receives progress of long stages; the command line draws bars with it.
pub trait Progress: Sync {
    /// A stage of `total` steps begins.
    fn start(&self, stage: &str, total: u64);
    /// `n` more steps are done.
    fn advance(&self, n: u64);
    /// The stage is done.
    fn finish(&self);
}

/// Reports no progress.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// Where in the record a failure is.
///
/// Every index is the record's own: board positions and contest, option and channel indices
/// count from 0 (a position on the board, in the manifest's lists and in `tally.json`'s, as
/// `spec/protocol.md` §6.1 and §11 number them); trustees are numbered from 1 (their index `l`,
/// §10). [`Display`](fmt::Display) gives the text report's words (`board entry 17`, `tally.json
/// contest 0 option 1`); [`Location::named`] adds the manifest's names of contests, options and
/// channels. In JSON a location is an object whose `kind` says which variant it is
/// (`{"kind": "board_entry", "position": 17}`; every kind in `spec/protocol.md` §16.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Location {
    /// A file of the record (`record.json`, `ceremony.json`, `decryption.json`,
    /// `result.json`, ...), or one field of it (`record.json` `board_signature`, `tally.json`
    /// `counted`, `decisions`, `aggregates`, `counts`). JSON: `{"kind": "file", "file",
    /// "field"}` (`field` `null` for the whole file).
    File {
        /// The file's name in the record directory.
        file: &'static str,
        /// The field, if the failure is of one field.
        field: Option<&'static str>,
    },
    /// Trustees, by index (from 1), in a file: the culprits of a key ceremony that does not
    /// verify (`ceremony.json`, V2), or the trustees whose decryption shares fail
    /// (`decryption.json`, V10). JSON: `{"kind": "trustees", "file", "trustees": [l, ...]}`.
    Trustees {
        /// `ceremony.json` or `decryption.json`.
        file: &'static str,
        /// The trustees' indices, as the error names them (at least one).
        trustees: Vec<u16>,
    },
    /// The base hash the verifier was asked to expect (V3, [`Options::expected_base_hash`]).
    /// JSON: `{"kind": "expected_base_hash"}`.
    ExpectedBaseHash,
    /// The entry of `board.jsonl` at this position (from 0): V4, V7. JSON: `{"kind":
    /// "board_entry", "position"}`.
    BoardEntry(u64),
    /// The ballot of the board entry at `position`: a cast ballot (V5) or a challenged one
    /// (V6), with the contest and option the failing check names, if it names one. Displayed
    /// as its board entry (the message names the contest and option). JSON: `{"kind":
    /// "ballot", "position", "contest", "option"}` (`null` where none is named).
    Ballot {
        /// The board entry holding the ballot.
        position: u64,
        /// The contest (its index in the manifest), if the check names one.
        contest: Option<usize>,
        /// The option (its index in the contest), if the check names one.
        option: Option<usize>,
    },
    /// `tally.json`'s aggregates of a contest, or of one of its options (V9). JSON: `{"kind":
    /// "aggregate", "contest", "option"}` (`option` `null` for the contest's list).
    Aggregate {
        /// The contest's index in the manifest.
        contest: usize,
        /// The option's index in the contest, if the failure is of one option's aggregate.
        option: Option<usize>,
    },
    /// `tally.json`'s counts of the channel at this index (V9). JSON: `{"kind":
    /// "channel_counts", "channel"}`.
    ChannelCounts(ChannelIndex),
    /// `tally.json`'s decision at this index of its list (V8). JSON: `{"kind": "decision",
    /// "index"}`.
    Decision(usize),
}

impl Location {
    /// The whole file `file` of the record.
    fn file_only(file: &'static str) -> Self {
        Self::File { file, field: None }
    }

    /// The field `field` of the record's file `file`.
    fn field(file: &'static str, field: &'static str) -> Self {
        Self::File {
            file,
            field: Some(field),
        }
    }

    /// `trustees` in `file`, or the whole file if the error names no trustee.
    fn trustees(file: &'static str, trustees: Vec<u16>) -> Self {
        if trustees.is_empty() {
            Self::file_only(file)
        } else {
            Self::Trustees { file, trustees }
        }
    }

    /// The record file the location is in (`None` for [`Location::ExpectedBaseHash`], which
    /// is not in the record).
    pub fn file(&self) -> Option<&'static str> {
        match self {
            Self::File { file, .. } | Self::Trustees { file, .. } => Some(file),
            Self::ExpectedBaseHash => None,
            Self::BoardEntry(_) | Self::Ballot { .. } => Some("board.jsonl"),
            Self::Aggregate { .. } | Self::ChannelCounts(_) | Self::Decision(_) => {
                Some("tally.json")
            }
        }
    }

    /// The location with the names `manifest` gives its contest, option or channel, for
    /// people: `tally.json contest 0 (leader) option 1 (Rishi Sunak)`, `tally.json channel 1
    /// (postal)`; other locations as [`Display`](fmt::Display) writes them.
    pub fn named<'a>(&'a self, manifest: &'a Manifest) -> impl fmt::Display + 'a {
        NamedLocation {
            location: self,
            names: Names(manifest),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { file, field: None } => f.write_str(file),
            Self::File {
                file,
                field: Some(field),
            } => write!(f, "{file} {field}"),
            Self::Trustees { file, trustees } => {
                let list = trustees
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                match trustees.len() {
                    0 => f.write_str(file),
                    1 => write!(f, "{file}, trustee {list}"),
                    _ => write!(f, "{file}, trustees {list}"),
                }
            }
            Self::ExpectedBaseHash => f.write_str("expected base hash"),
            Self::BoardEntry(position) | Self::Ballot { position, .. } => {
                write!(f, "board entry {position}")
            }
            Self::Aggregate {
                contest,
                option: None,
            } => write!(f, "tally.json contest {contest}"),
            Self::Aggregate {
                contest,
                option: Some(option),
            } => write!(f, "tally.json contest {contest} option {option}"),
            Self::ChannelCounts(channel) => write!(f, "tally.json channel {channel}"),
            Self::Decision(index) => write!(f, "tally.json decision {index}"),
        }
    }
}

/// A [`Location`] with the manifest's names ([`Location::named`]).
struct NamedLocation<'a> {
    location: &'a Location,
    names: Names<'a>,
}

impl fmt::Display for NamedLocation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = &self.names;
        match *self.location {
            Location::Aggregate { contest, option } => {
                write!(f, "tally.json {}", names.contest(contest))?;
                match option {
                    Some(option) => write!(f, " {}", names.option(contest, option)),
                    None => Ok(()),
                }
            }
            Location::ChannelCounts(channel) => {
                write!(f, "tally.json {}", names.channel(channel))
            }
            ref other => other.fmt(f),
        }
    }
}

impl Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        match self {
            Self::File { file, field } => {
                map.serialize_entry("kind", "file")?;
                map.serialize_entry("file", file)?;
                map.serialize_entry("field", field)?;
            }
            Self::Trustees { file, trustees } => {
                map.serialize_entry("kind", "trustees")?;
                map.serialize_entry("file", file)?;
                map.serialize_entry("trustees", trustees)?;
            }
            Self::ExpectedBaseHash => map.serialize_entry("kind", "expected_base_hash")?,
            Self::BoardEntry(position) => {
                map.serialize_entry("kind", "board_entry")?;
                map.serialize_entry("position", position)?;
            }
            Self::Ballot {
                position,
                contest,
                option,
            } => {
                map.serialize_entry("kind", "ballot")?;
                map.serialize_entry("position", position)?;
                map.serialize_entry("contest", contest)?;
                map.serialize_entry("option", option)?;
            }
            Self::Aggregate { contest, option } => {
                map.serialize_entry("kind", "aggregate")?;
                map.serialize_entry("contest", contest)?;
                map.serialize_entry("option", option)?;
            }
            Self::ChannelCounts(channel) => {
                map.serialize_entry("kind", "channel_counts")?;
                map.serialize_entry("channel", channel)?;
            }
            Self::Decision(index) => {
                map.serialize_entry("kind", "decision")?;
                map.serialize_entry("index", index)?;
            }
        }
        map.end()
    }
}

/// One failure: where, which ballot check if it is one, and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Where in the record.
    pub location: Location,
    /// The ballot check (B1–B9) that failed, for a V5 failure (and a V6 failure of the ballot
    /// itself); `None` otherwise.
    pub ballot_check: Option<BallotCheck>,
    /// What is wrong, in words (with the manifest's names of channels, contests and options).
    pub message: String,
}

/// The outcome of one numbered check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Which check.
    pub id: CheckId,
    /// What the check checks ([`CheckId::title`]).
    pub title: &'static str,
    /// Whether it ran (an earlier failure can leave nothing to check against).
    pub ran: bool,
    /// Number of failures found.
    pub failure_count: usize,
    /// The first [`MAX_FAILURES_KEPT`] failures.
    pub failures: Vec<Failure>,
}

impl CheckReport {
    fn new(id: CheckId) -> Self {
        Self {
            id,
            title: id.title(),
            ran: true,
            failure_count: 0,
            failures: Vec::new(),
        }
    }

    fn fail(&mut self, location: Location, message: impl Into<String>) {
        self.fail_check(location, None, message);
    }

    fn fail_check(
        &mut self,
        location: Location,
        ballot_check: Option<BallotCheck>,
        message: impl Into<String>,
    ) {
        self.failure_count += 1;
        if self.failures.len() < MAX_FAILURES_KEPT {
            self.failures.push(Failure {
                location,
                ballot_check,
                message: message.into(),
            });
        }
    }

    /// Whether the check ran and found nothing wrong.
    pub fn passed(&self) -> bool {
        self.ran && self.failure_count == 0
    }
}

/// What the record is checked against besides itself ([`verify_with`], [`verify_dir_with`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The base hash the election authority published before voting (`--expect HEX`): V3
    /// fails unless the base hash recomputed from the record equals it. `None` checks internal
    /// consistency only.
    pub expected_base_hash: Option<BaseHash>,
}

/// Whether the record was checked against a published base hash (see the
/// [module docs](self)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Anchor {
    /// The base hash recomputed from the record's manifest, key set and roll (V3): the value to
    /// compare with the one the election authority published.
    pub base_hash: BaseHash,
    /// The base hash the caller expected, if any ([`Options::expected_base_hash`]).
    pub expected_base_hash: Option<BaseHash>,
    /// Whether an expected base hash was given and equals `base_hash`.
    pub anchored: bool,
}

impl Anchor {
    /// An expected base hash was given and the record's differs (a V3 failure).
    pub fn mismatch(&self) -> bool {
        self.expected_base_hash.is_some() && !self.anchored
    }
}

/// The verifier's report: every check, and the verified result if all passed; which election,
/// board and versions it is of; what was counted on the board, and how long each stage took
/// (`spec/protocol.md` §16.3; its JSON is described by `spec/report.schema.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The version of the report's layout, [`REPORT_VERSION`].
    pub report_version: u32,
    /// The version of the verifier that wrote it, [`VERIFIER_VERSION`].
    pub verifier_version: &'static str,
    /// The protocol version the verifier reads, [`PROTOCOL_VERSION`](crate::PROTOCOL_VERSION)
    /// (a record of another version is not read).
    pub protocol_version: u16,
    /// The manifest's election id (which V1 requires `record.json`'s to equal).
    pub election_id: String,
    /// Every check, in order.
    pub checks: Vec<CheckReport>,
    /// The base hash, and whether it was compared with a published one: a report that passed
    /// without an anchor proves the record's internal consistency only.
    pub anchor: Anchor,
    /// The announced result, as verified (present only if every check passed).
    pub result: Option<ElectionResult>,
    /// The number of board entries read (which V1 compares with the header's claim).
    pub board_entries: u64,
    /// The head of the board as read: the digest of its last entry (the base hash for an
    /// empty board), which V4 requires to be `record.json`'s `board_head`.
    pub board_head: EntryDigest,
    /// The files of the record that belong to another election (usually none): the cause of
    /// the failures that follow from it, named once.
    pub other_election: Vec<OtherElection>,
    /// The board's entries by kind, and what precedence made of its ballots.
    pub counts: Counts,
    /// How long each stage took: output of the machine that verified, not a finding (compare
    /// reports without it).
    pub timings: Timings,
}

impl Report {
    /// Whether every check ran and passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(CheckReport::passed)
    }

    /// The checks that failed or did not run.
    pub fn failed(&self) -> impl Iterator<Item = &CheckReport> {
        self.checks.iter().filter(|c| !c.passed())
    }
}

/// Runs every check on `record`, whose board is in memory, without an anchor: the report
/// proves internal consistency only (see the [module docs](self); [`verify_with`]).
pub fn verify(record: &ElectionRecord, progress: &dyn Progress) -> Report {
    verify_with(record, &Options::default(), progress)
}

/// Runs every check on `record`, whose board is in memory, and checks it against `options`
/// (with [`Options::expected_base_hash`], the base hash the election authority published).
pub fn verify_with(record: &ElectionRecord, options: &Options, progress: &dyn Progress) -> Report {
    let blocks = record
        .board
        .chunks(BALLOTS_PER_STEP)
        .map(|block| Ok::<_, core::convert::Infallible>(Cow::Borrowed(block)));
    match verify_blocks(record, options, blocks, progress) {
        Ok(report) => report,
        Err(never) => match never {},
    }
}

/// Reads the record in `dir` and runs every check, reading the board a block of
/// [`BALLOTS_PER_STEP`] entries at a time: what is kept is the admission state and the admitted
/// ciphertexts (a few kilobytes per voter), not the board. Returns the record (with its board
/// left empty) and the report.
///
/// Without an anchor: the report proves internal consistency only ([`verify_dir_with`]).
///
/// # Errors
/// The first [`LoadError`]: a file that is missing or malformed (the board's lines are parsed
/// as verification reaches them).
pub fn verify_dir(
    dir: &Path,
    progress: &dyn Progress,
) -> Result<(ElectionRecord, Report), LoadError> {
    verify_dir_with(dir, &Options::default(), progress)
}

/// [`verify_dir`], checking the record against `options` as [`verify_with`] does.
///
/// # Errors
/// As [`verify_dir`].
pub fn verify_dir_with(
    dir: &Path,
    options: &Options,
    progress: &dyn Progress,
) -> Result<(ElectionRecord, Report), LoadError> {
    let started = Instant::now();
    progress.start("reading", 1);
    let read = ElectionRecord::read_without_board(dir);
    progress.finish();
    let (record, mut board) = read?;
    let read = started.elapsed();
    let blocks = std::iter::from_fn(|| match board.next_block(BALLOTS_PER_STEP) {
        Ok(block) if block.is_empty() => None,
        Ok(block) => Some(Ok(Cow::Owned(block))),
        Err(e) => Some(Err(e)),
    });
    let mut report = verify_blocks(&record, options, blocks, progress)?;
    report.timings.add_read(read);
    Ok((record, report))
}

/// The checks, with the board given in consecutive blocks (the record's own `board` is
/// ignored).
fn verify_blocks<'a, E>(
    record: &ElectionRecord,
    options: &Options,
    blocks: impl Iterator<Item = Result<Cow<'a, [Entry]>, E>>,
    progress: &dyn Progress,
) -> Result<Report, E> {
    let mut watch = Stopwatch::start();
    let mut checks: Vec<CheckReport> = CheckId::ALL.into_iter().map(CheckReport::new).collect();
    let [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11] = &mut checks[..] else {
        unreachable!("CheckId::ALL has eleven entries")
    };
    let manifest = &record.manifest;
    let names = Names(manifest);

    // V1 (the number of board entries is checked once the board is read)
    if record.header.election_id != manifest.election_id() {
        v1.fail(
            Location::file_only("record.json"),
            "election_id differs from the manifest's",
        );
    }

    // V2
    let public = match record.ceremony.transcript.verify(manifest) {
        Ok(recomputed) if recomputed == record.ceremony.public => &record.ceremony.public,
        Ok(_) => {
            v2.fail(
                Location::file_only("ceremony.json"),
                "the published key set is not the one the packages give",
            );
            &record.ceremony.public
        }
        Err(e) => {
            let who = e.culprits().iter().map(|t| t.get()).collect();
            v2.fail(Location::trustees("ceremony.json", who), e.to_string());
            &record.ceremony.public
        }
    };

    watch.lap(Stage::Ceremony);

    // V3
    let election = Election::new(
        manifest.clone(),
        public.election_key(),
        public.ceremony_digest(),
        record.roll.clone(),
    );
    if *election.base_hash() != record.header.base_hash {
        v3.fail(
            Location::file_only("record.json"),
            "base_hash is not the digest of manifest, joint key, ceremony and roll",
        );
    }
    let anchor = Anchor {
        base_hash: *election.base_hash(),
        expected_base_hash: options.expected_base_hash,
        anchored: options.expected_base_hash == Some(*election.base_hash()),
    };
    if let Some(expected) = options.expected_base_hash
        && !anchor.anchored
    {
        v3.fail(
            Location::ExpectedBaseHash,
            format!(
                "the record's base hash {} is not the expected {}: this record is not the \
                 election whose base hash was published",
                hex::encode(election.base_hash().as_bytes()),
                hex::encode(expected.as_bytes())
            ),
        );
    }

    watch.lap(Stage::BaseHash);

    // V4–V7, a block at a time: every cast ballot's proofs (V5, batched on every core), then
    // the chain and the admission rules replayed in order. The ciphertexts of admitted ballots
    // are kept for the tally; the rest of each block is dropped.
    progress.start("board", record.header.board_entries);
    let BoardRead {
        replay,
        ciphertexts,
        entries,
        mut counts,
        start,
    } = replay_blocks(&election, blocks, progress)?;
    progress.finish();
    let board_head = replay.head();
    let other_election =
        other_election::other_elections(&record.header.base_hash, start, election.base_hash());
    if record.header.board_entries != entries {
        v1.fail(
            Location::file_only("record.json"),
            "board_entries differs from the number of lines of board.jsonl",
        );
    }
    let state = match replay.finish(Some(&record.header.board_head)) {
        Ok(state) => Some(state),
        Err(errors) => {
            for e in errors {
                let position = e.position;
                match e.problem {
                    ChainProblem::Refused(Refusal::Invalid(b)) => {
                        let (contest, option) = ballot_site(&b);
                        let location = Location::Ballot {
                            position,
                            contest,
                            option,
                        };
                        v5.fail_check(location, Some(b.check()), names.ballot(&b));
                    }
                    ChainProblem::Refused(Refusal::Challenge(c)) => {
                        let (contest, option, check) = match &c {
                            ChallengeError::Mismatch { contest, option } => {
                                (Some(*contest), Some(*option), None)
                            }
                            ChallengeError::Ballot(b) => {
                                let (contest, option) = ballot_site(b);
                                (contest, option, Some(b.check()))
                            }
                            _ => (None, None, None),
                        };
                        let location = Location::Ballot {
                            position,
                            contest,
                            option,
                        };
                        v6.fail_check(location, check, names.challenge(&c));
                    }
                    ChainProblem::Refused(r) => {
                        v7.fail(Location::BoardEntry(position), names.refusal(&r));
                    }
                    other => v4.fail(Location::BoardEntry(position), other.to_string()),
                }
            }
            None
        }
    };

    // V4: the board answers for its final head: its signature, under the manifest's board key,
    // of the number of entries and the head record.json names.
    let final_head = crate::board::Statement::FinalHead {
        entries: record.header.board_entries,
        head: record.header.board_head,
    };
    if record
        .header
        .board_signature
        .verify(&election, &final_head, &manifest.authorities().board)
        .is_err()
    {
        v4.fail(
            Location::field("record.json", "board_signature"),
            "is not the board's signature (the manifest's board key) of board_entries and \
             board_head in this election",
        );
    }

    // V4: a board is complete only once voting closed (the close is its last entry: nothing is
    // admitted after it). A board cut short, or never closed, is refused.
    if state.as_ref().is_some_and(|s| !s.voting_closed()) {
        v4.fail(
            Location::BoardEntry(entries.saturating_sub(1)),
            "the board does not end with the close of voting: a record is of a closed vote \
             only (a prefix of a board, or a board still open, is not a record)",
        );
    }

    watch.lap(Stage::Board);
    let board = BoardSummary {
        entries,
        head: board_head,
        other_election,
    };

    // V8, V9: recompute the tally from the board.
    let recomputed = state
        .as_ref()
        .and_then(|s| Tally::compute_from(&election, s.cast(), &ciphertexts).ok());
    drop(ciphertexts);
    let Some(mut tally) = recomputed else {
        for c in [&mut *v8, &mut *v9, &mut *v10, &mut *v11] {
            c.ran = false;
        }
        return Ok(report(record, checks, anchor, None, board, counts, watch));
    };
    if let Some(s) = &state {
        tally.count_refusals(s.refused());
    }
    counts.add_outcome(&tally.outcome);
    compare_decisions(v8, &tally, &record.tally);
    compare_tally(v9, &tally, &record.tally);
    watch.lap(Stage::Tally);

    // V10, V11: the decryption of the recomputed aggregates, by shares that bind the head V4
    // found the chain to end at (record.json's).
    let aggregates = tally.flat_aggregates();
    let head = BoardHead::new(record.header.board_head, record.header.board_entries);
    let shares = &record.decryption.shares;
    // Every share must decrypt the tally of this board: a share of another head is a share of a
    // doctored board, or of this board before entries were dropped from it (§14.2).
    for share in shares {
        if share.head() != head {
            v10.fail(
                Location::trustees("decryption.json", vec![share.trustee().get()]),
                format!(
                    "the share binds board head {} ({} entries), not record.json's board_head {} \
                     ({} entries): it decrypts another board",
                    hex::encode(share.head().digest.as_bytes()),
                    share.head().entries,
                    hex::encode(head.digest.as_bytes()),
                    head.entries
                ),
            );
        }
    }
    if let Some(w) = shares.windows(2).find(|w| w[0].trustee() >= w[1].trustee()) {
        v10.fail(
            Location::file_only("decryption.json"),
            format!(
                "the share of trustee {} is out of ascending order",
                w[1].trustee().get()
            ),
        );
    }
    match combine(
        public,
        &election,
        &head,
        &aggregates,
        shares,
        tally.bound(&election),
    ) {
        Ok(decryption) => {
            for culprit in decryption.skipped() {
                if matches!(culprit, crate::trustee::DecryptionError::ShareHead { .. }) {
                    continue; // reported above
                }
                let who = culprit.culprits().iter().map(|t| t.get()).collect();
                v10.fail(
                    Location::trustees("decryption.json", who),
                    culprit.to_string(),
                );
            }
            let claimed = record.result.values();
            if let Err(e) =
                verify_decryption(public, &election, &head, &aggregates, shares, &claimed)
            {
                v11.fail(Location::file_only("result.json"), e.to_string());
            }
            let expected = ElectionResult::new(
                manifest,
                decryption.values(),
                &tally.counts,
                decryption.used(),
            );
            if expected != record.result {
                v11.fail(
                    Location::file_only("result.json"),
                    "the announced result differs from the decryption of the tally, its counts or \
                     trustees",
                );
            }
        }
        Err(e) => {
            v10.fail(Location::file_only("decryption.json"), e.to_string());
            v11.ran = false;
        }
    }
    watch.lap(Stage::Decryption);
    let result = checks
        .iter()
        .all(CheckReport::passed)
        .then(|| record.result.clone());
    Ok(report(record, checks, anchor, result, board, counts, watch))
}

/// What the report says of the board as read.
struct BoardSummary {
    entries: u64,
    head: EntryDigest,
    other_election: Vec<OtherElection>,
}

/// The report of `record`'s checks.
fn report(
    record: &ElectionRecord,
    checks: Vec<CheckReport>,
    anchor: Anchor,
    result: Option<ElectionResult>,
    board: BoardSummary,
    counts: Counts,
    watch: Stopwatch,
) -> Report {
    Report {
        report_version: REPORT_VERSION,
        verifier_version: VERIFIER_VERSION,
        protocol_version: crate::PROTOCOL_VERSION,
        election_id: record.manifest.election_id().to_string(),
        checks,
        anchor,
        result,
        board_entries: board.entries,
        board_head: board.head,
        other_election: board.other_election,
        counts,
        timings: watch.stop(),
    }
}

/// The board as [`replay_blocks`] read it.
struct BoardRead<'e> {
    /// The replay of every entry, to finish against the published head.
    replay: ChainReplay<'e>,
    /// The admitted ballots' ciphertexts, in board order.
    ciphertexts: Vec<Ciphertext>,
    /// The number of entries.
    entries: u64,
    /// The entries by kind.
    counts: Counts,
    /// The base hash the chain starts from, if its first ballot or challenge is of that
    /// election too ([`ChainStart::start`]).
    start: Option<BaseHash>,
}

/// V4–V7 over the board's blocks, in two stages that overlap: this thread reads each block and
/// verifies its cast ballots (both on every core), while a second thread replays the block
/// before (the chain and the admission rules, in order, which cannot be split across cores),
/// keeps its admitted ciphertexts and drops the rest. Without the overlap, the cores would wait
/// for each block's ordered replay. At most two blocks are held at once.
///
/// Returns the replay, the admitted ballots' ciphertexts in board order, the number of entries,
/// the entries by kind and where the chain starts.
fn replay_blocks<'a, 'e, E>(
    election: &'e Election,
    blocks: impl Iterator<Item = Result<Cow<'a, [Entry]>, E>>,
    progress: &dyn Progress,
) -> Result<BoardRead<'e>, E> {
    std::thread::scope(|scope| {
        // Rendezvous: the reader hands a block over only once the replay has taken the last.
        let (verified, to_replay) = std::sync::mpsc::sync_channel::<(Cow<'a, [Entry]>, Invalid)>(0);
        let replaying = scope.spawn(move || {
            let mut replay = ChainReplay::new(election);
            let mut ciphertexts = Vec::new();
            let mut entries = 0u64;
            for (block, invalid) in to_replay {
                for i in replay.feed(&block, invalid) {
                    if let Payload::Ballot(b) = &block[i].payload {
                        // Admitted ballots passed B4: they have the manifest's shape.
                        push_ciphertexts(election, b, &mut ciphertexts);
                    }
                }
                entries += block.len() as u64;
                progress.advance(block.len() as u64);
            }
            (replay, ciphertexts, entries)
        });
        let (mut counts, mut start) = (Counts::default(), ChainStart::default());
        for block in blocks {
            // On an error, `verified` is dropped on return: the replay ends and is joined.
            let block = block?;
            start.feed(&block);
            let ballots: Vec<(usize, &Ballot)> = cast_ballots(&block).collect();
            let refs: Vec<&Ballot> = ballots.iter().map(|(_, b)| *b).collect();
            let mut invalid = HashMap::new();
            if let Err(bad) = verify_batch(&refs, election) {
                for (k, e) in bad {
                    invalid.insert(ballots[k].0, e);
                }
            }
            counts.add_block(&block, invalid.len());
            if verified.send((block, invalid)).is_err() {
                // The replay thread is gone: it panicked, which `join` passes on below.
                break;
            }
        }
        drop(verified);
        match replaying.join() {
            Ok((replay, ciphertexts, entries)) => Ok(BoardRead {
                replay,
                ciphertexts,
                entries,
                counts,
                start: start.start(),
            }),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The cast ballots of a block that failed B1–B9, by position in the block.
type Invalid = HashMap<usize, BallotError>;

fn compare_decisions(check: &mut CheckReport, recomputed: &Tally, published: &Tally) {
    if recomputed.outcome.counted != published.outcome.counted {
        check.fail(
            Location::field("tally.json", "counted"),
            "the counted ballots are not those precedence selects",
        );
    }
    let (a, b) = (&recomputed.outcome.decisions, &published.outcome.decisions);
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x != y {
            check.fail(
                Location::Decision(i),
                format!("expected {x}; published {y}"),
            );
        }
    }
    if a.len() != b.len() {
        check.fail(
            Location::field("tally.json", "decisions"),
            format!("expected {} decisions, published {}", a.len(), b.len()),
        );
    }
}

fn compare_tally(check: &mut CheckReport, recomputed: &Tally, published: &Tally) {
    if recomputed.aggregates.len() != published.aggregates.len() {
        check.fail(
            Location::field("tally.json", "aggregates"),
            "wrong number of contests",
        );
    }
    for (i, (x, y)) in recomputed
        .aggregates
        .iter()
        .zip(&published.aggregates)
        .enumerate()
    {
        if x.len() != y.len() {
            check.fail(
                Location::Aggregate {
                    contest: i,
                    option: None,
                },
                "wrong number of options",
            );
        }
        for (j, (a, b)) in x.iter().zip(y).enumerate() {
            if a != b {
                check.fail(
                    Location::Aggregate {
                        contest: i,
                        option: Some(j),
                    },
                    "the aggregate is not the sum of the counted ballots",
                );
            }
        }
    }
    if recomputed.counts.len() != published.counts.len() {
        check.fail(
            Location::field("tally.json", "counts"),
            "wrong number of channels",
        );
    }
    // A manifest has at most 16 channels: every index is a byte.
    for ((a, b), channel) in recomputed
        .counts
        .iter()
        .zip(&published.counts)
        .zip((0..=u8::MAX).map(ChannelIndex::new))
    {
        if a != b {
            check.fail(
                Location::ChannelCounts(channel),
                format!("expected {a}; published {b}"),
            );
        }
    }
}

/// The contest and option a ballot check names, if any.
fn ballot_site(e: &BallotError) -> (Option<usize>, Option<usize>) {
    match *e {
        BallotError::OptionCount { contest, .. } | BallotError::ContestSum { contest, .. } => {
            (Some(contest), None)
        }
        BallotError::Selection {
            contest, option, ..
        } => (Some(contest), Some(option)),
        _ => (None, None),
    }
}

/// The manifest's names of channels, contests and options, for messages: each index is written
/// as the errors write it, followed by its name (`channel 1 (postal)`, `contest 0 (leader)`);
/// an index outside the manifest has no name.
struct Names<'a>(&'a Manifest);

impl Names<'_> {
    fn channel(&self, channel: ChannelIndex) -> String {
        match self.0.channel(channel) {
            Some(c) => format!("channel {channel} ({})", c.name),
            None => format!("channel {channel}"),
        }
    }

    fn contest(&self, contest: usize) -> String {
        match self.0.contest(contest) {
            Some(c) => format!("contest {contest} ({})", c.name),
            None => format!("contest {contest}"),
        }
    }

    fn option(&self, contest: usize, option: usize) -> String {
        match self.0.contest(contest).and_then(|c| c.options.get(option)) {
            Some(name) => format!("option {option} ({name})"),
            None => format!("option {option}"),
        }
    }

    /// A failed ballot check (V5): its [`BallotError`] message, with names.
    fn ballot(&self, e: &BallotError) -> String {
        match e {
            BallotError::OptionCount {
                contest,
                expected,
                found,
            } => format!(
                "B4: {}: {found} selections; the contest has {expected} options",
                self.contest(*contest)
            ),
            BallotError::Selection {
                contest,
                option,
                source,
            } => format!(
                "B6: {}, {}: selection proof: {source}",
                self.contest(*contest),
                self.option(*contest, *option)
            ),
            BallotError::ContestSum { contest, source } => format!(
                "B7: {}: selection-limit proof: {source}",
                self.contest(*contest)
            ),
            BallotError::MissingCountersignature { channel } => format!(
                "B9: {} requires its authority's countersignature",
                self.channel(*channel)
            ),
            BallotError::UnexpectedCountersignature { channel } => format!(
                "B9: {} has no authority, but the ballot is countersigned",
                self.channel(*channel)
            ),
            other => other.to_string(),
        }
    }

    /// A failed challenge (V6): its [`ChallengeError`] message, with names.
    fn challenge(&self, e: &ChallengeError) -> String {
        match e {
            ChallengeError::Mismatch { contest, option } => format!(
                "{}, {}: the ciphertext does not open to the revealed vote",
                self.contest(*contest),
                self.option(*contest, *option)
            ),
            ChallengeError::Ballot(b) => {
                format!("the challenged ballot is invalid: {}", self.ballot(b))
            }
            other => other.to_string(),
        }
    }

    /// An entry the board should have refused (V7): its [`Refusal`] message, with names.
    fn refusal(&self, r: &Refusal) -> String {
        match r {
            Refusal::ChannelClosed { channel } => format!("{} is closed", self.channel(*channel)),
            Refusal::Invalid(b) => format!("invalid ballot: {}", self.ballot(b)),
            Refusal::Challenge(c) => format!("invalid challenge: {}", self.challenge(c)),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulation::{Scenario, leadership};
    use serde_json::json;

    /// The board fed in blocks of any size gives the report of the board in one block: state,
    /// positions, links and blame carry across blocks.
    #[test]
    fn the_report_does_not_depend_on_the_block_size() {
        let scenario = Scenario {
            voters: 40,
            seed: 11,
            absent: vec![],
            bad_share: None,
        };
        let honest = leadership(&scenario, &Silent).unwrap().record;
        let cast: Vec<usize> = cast_ballots(&honest.board).map(|(i, _)| i).collect();
        let ballot = |r: &ElectionRecord, i: usize| match &r.board[i].payload {
            Payload::Ballot(b) => (**b).clone(),
            _ => unreachable!("a cast ballot"),
        };
        let mut variants = vec![("honest", honest.clone())];
        // A ballot made invalid (another ballot's ciphertext in its first selection).
        let mut r = honest.clone();
        let (a, b) = (cast[2], cast[30]);
        let mut changed = ballot(&r, b);
        changed.contests[0].selections[0].ciphertext =
            ballot(&r, a).contests[0].selections[0].ciphertext;
        r.board[b].payload = Payload::Ballot(Box::new(changed));
        variants.push(("invalid ballot", r));
        // An early entry repeated much later (a duplicate across blocks, and a broken chain).
        let mut r = honest.clone();
        r.board[cast[25]] = r.board[cast[1]].clone();
        variants.push(("duplicate", r));
        // An entry that claims the position it would have in a block of its own.
        let mut r = honest.clone();
        r.board[cast[20]].position = 0;
        variants.push(("position", r));
        for (name, record) in &variants {
            let mut whole = verify(record, &Silent);
            whole.timings = Timings::default();
            assert_eq!(whole.passed(), *name == "honest", "{name}");
            assert_eq!(whole.board_entries, record.board.len() as u64);
            for k in [1, 3, 7] {
                let blocks = record
                    .board
                    .chunks(k)
                    .map(|b| Ok::<_, core::convert::Infallible>(Cow::Borrowed(b)));
                let Ok(mut report) = verify_blocks(record, &Options::default(), blocks, &Silent);
                report.timings = Timings::default();
                assert_eq!(report, whole, "{name}, blocks of {k}");
            }
        }
    }

    #[test]
    fn check_ids_read_and_serialise_as_their_numbers_in_order() {
        let numbers: Vec<String> = (1..=11).map(|i| format!("V{i}")).collect();
        let ids: Vec<&str> = CheckId::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(ids, numbers);
        for id in CheckId::ALL {
            assert_eq!(id.to_string(), id.as_str());
            assert_eq!(serde_json::to_value(id).unwrap(), json!(id.as_str()));
            assert!(!id.title().is_empty());
        }
        assert!(CheckId::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(format!("{:<4}|", CheckId::V1), "V1  |");
        let checks: Vec<&str> = BallotCheck::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            checks,
            ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9"]
        );
        assert_eq!(serde_json::to_value(BallotCheck::B6).unwrap(), json!("B6"));
        assert_eq!(BallotCheck::B6.to_string(), "B6");
    }

    /// Every kind of location: its words (as the text report printed them before locations
    /// were typed) and its JSON object.
    #[test]
    fn locations_read_as_words_and_serialise_as_objects() {
        let cases = [
            (
                Location::file_only("record.json"),
                "record.json",
                json!({"kind": "file", "file": "record.json", "field": null}),
            ),
            (
                Location::field("record.json", "board_signature"),
                "record.json board_signature",
                json!({"kind": "file", "file": "record.json", "field": "board_signature"}),
            ),
            (
                Location::trustees("decryption.json", vec![2]),
                "decryption.json, trustee 2",
                json!({"kind": "trustees", "file": "decryption.json", "trustees": [2]}),
            ),
            (
                Location::trustees("ceremony.json", vec![1, 3]),
                "ceremony.json, trustees 1, 3",
                json!({"kind": "trustees", "file": "ceremony.json", "trustees": [1, 3]}),
            ),
            (
                Location::trustees("ceremony.json", vec![]),
                "ceremony.json",
                json!({"kind": "file", "file": "ceremony.json", "field": null}),
            ),
            (
                Location::ExpectedBaseHash,
                "expected base hash",
                json!({"kind": "expected_base_hash"}),
            ),
            (
                Location::BoardEntry(499),
                "board entry 499",
                json!({"kind": "board_entry", "position": 499}),
            ),
            (
                Location::Ballot {
                    position: 17,
                    contest: Some(0),
                    option: Some(1),
                },
                "board entry 17",
                json!({"kind": "ballot", "position": 17, "contest": 0, "option": 1}),
            ),
            (
                Location::Ballot {
                    position: 17,
                    contest: None,
                    option: None,
                },
                "board entry 17",
                json!({"kind": "ballot", "position": 17, "contest": null, "option": null}),
            ),
            (
                Location::Aggregate {
                    contest: 0,
                    option: Some(1),
                },
                "tally.json contest 0 option 1",
                json!({"kind": "aggregate", "contest": 0, "option": 1}),
            ),
            (
                Location::Aggregate {
                    contest: 0,
                    option: None,
                },
                "tally.json contest 0",
                json!({"kind": "aggregate", "contest": 0, "option": null}),
            ),
            (
                Location::ChannelCounts(ChannelIndex::new(1)),
                "tally.json channel 1",
                json!({"kind": "channel_counts", "channel": 1}),
            ),
            (
                Location::Decision(3),
                "tally.json decision 3",
                json!({"kind": "decision", "index": 3}),
            ),
        ];
        for (location, words, value) in cases {
            assert_eq!(location.to_string(), words, "{location:?}");
            assert_eq!(
                serde_json::to_value(&location).unwrap(),
                value,
                "{location:?}"
            );
        }
        assert_eq!(Location::BoardEntry(3).file(), Some("board.jsonl"));
        assert_eq!(Location::Decision(3).file(), Some("tally.json"));
        assert_eq!(Location::ExpectedBaseHash.file(), None);
        assert_eq!(
            Location::trustees("ceremony.json", vec![1]).file(),
            Some("ceremony.json")
        );
    }

    #[test]
    fn named_locations_add_the_manifests_names() {
        let manifest = crate::simulation::Offices::from_seed(1).leadership();
        let named = |l: &Location| l.named(&manifest).to_string();
        assert_eq!(
            named(&Location::Aggregate {
                contest: 0,
                option: Some(1)
            }),
            "tally.json contest 0 (leader) option 1 (Rishi Sunak)"
        );
        assert_eq!(
            named(&Location::Aggregate {
                contest: 0,
                option: None
            }),
            "tally.json contest 0 (leader)"
        );
        assert_eq!(
            named(&Location::ChannelCounts(ChannelIndex::new(1))),
            "tally.json channel 1 (postal)"
        );
        // Outside the manifest: the index alone.
        assert_eq!(
            named(&Location::Aggregate {
                contest: 4,
                option: Some(9)
            }),
            "tally.json contest 4 option 9"
        );
        assert_eq!(
            named(&Location::ChannelCounts(ChannelIndex::new(9))),
            "tally.json channel 9"
        );
        assert_eq!(named(&Location::BoardEntry(5)), "board entry 5");
    }

    /// A cast ballot that fails B6 or B9 is a V5 failure at its ballot, with the check, the
    /// contest and option it names, and the manifest's names in the message.
    #[test]
    fn a_failed_ballot_check_is_named_by_check_contest_option_and_channel() {
        let scenario = Scenario {
            voters: 30,
            seed: 5,
            absent: vec![],
            bad_share: None,
        };
        let honest = leadership(&scenario, &Silent).unwrap().record;
        let cast: Vec<(usize, Ballot)> = cast_ballots(&honest.board)
            .map(|(i, b)| (i, b.clone()))
            .collect();
        let (a, first) = &cast[1];
        let (_, donor) = &cast[2];
        let (p, postal) = cast
            .iter()
            .find(|(_, b)| b.channel == ChannelIndex::new(1))
            .expect("a postal ballot");
        let mut record = honest.clone();
        let mut changed = first.clone();
        changed.contests[0].selections[1].proof = donor.contests[0].selections[1].proof.clone();
        record.board[*a].payload = Payload::Ballot(Box::new(changed));
        let mut unsigned = postal.clone();
        unsigned.countersignature = None;
        record.board[*p].payload = Payload::Ballot(Box::new(unsigned));
        let report = verify(&record, &Silent);
        let v5 = &report.checks[4];
        assert_eq!(v5.id, CheckId::V5);
        let mut failures = v5.failures.clone();
        failures.sort_by_key(|f| match f.location {
            Location::Ballot { position, .. } => position,
            _ => u64::MAX,
        });
        let mut expected = vec![
            (
                *a,
                Location::Ballot {
                    position: *a as u64,
                    contest: Some(0),
                    option: Some(1),
                },
                BallotCheck::B6,
                "B6: contest 0 (leader), option 1 (Rishi Sunak): selection proof: the proof \
                 does not verify",
            ),
            (
                *p,
                Location::Ballot {
                    position: *p as u64,
                    contest: None,
                    option: None,
                },
                BallotCheck::B9,
                "B9: channel 1 (postal) requires its authority's countersignature",
            ),
        ];
        expected.sort_by_key(|e| e.0);
        let found: Vec<(Location, Option<BallotCheck>, &str)> = failures
            .iter()
            .map(|f| (f.location.clone(), f.ballot_check, f.message.as_str()))
            .collect();
        let expected: Vec<(Location, Option<BallotCheck>, &str)> = expected
            .into_iter()
            .map(|(_, l, c, m)| (l, Some(c), m))
            .collect();
        assert_eq!(found, expected);
        assert_eq!(
            serde_json::to_value(&failures[0]).unwrap()["ballot_check"],
            json!(failures[0].ballot_check.unwrap().as_str())
        );
    }
}
