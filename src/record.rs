//! The election record: everything an independent verifier needs, as a directory of JSON files
//! a person can read (`spec/record.md` documents every file and field).
//!
//! | file | content | checked by |
//! | --- | --- | --- |
//! | `record.json` | [`RecordHeader`]: format, version, election id, base hash, board head and the board's signature of it | V1, V3, V4 |
//! | `manifest.json` | the [`Manifest`] | V1 |
//! | `ceremony.json` | [`Ceremony`]: the key ceremony's public packages and the resulting keys | V2 |
//! | `roll.json` | the [`Roll`] of public credentials | V3 |
//! | `board.jsonl` | the board, one [`Entry`] a line (refused submissions included) | V4–V7 |
//! | `tally.json` | the [`Tally`]: decisions, aggregates, per-channel counts | V8, V9 |
//! | `decryption.json` | [`DecryptionRecord`]: the trustees' decryption shares with proofs | V10 |
//! | `result.json` | the [`ElectionResult`] | V11 |
//!
//! Loading is strict: a directory holding anything but these eight files, a file that is not a
//! regular file (a symbolic link, a FIFO, a device), unknown and duplicate keys, other versions,
//! non-canonical values, oversized files (by their size, or by what a bounded reader gets from
//! them: [`open_bounded`]) and files that are not in canonical form are refused with a
//! [`LoadError`] naming the file, the line and the check.
//!
//! **Every file is read in exactly one form** (issue 17): the bytes [`ElectionRecord::write`]
//! writes for the values the file parses to. A `.json` file is its value pretty-printed by
//! serde_json (two-space indents) and one `\n`; a `.jsonl` file is one line per value, each the
//! value as compact JSON (`serde_json::to_string`) and one `\n`, the last line too. After
//! parsing, the reader writes the value again into a comparing writer and refuses the file at
//! the first byte that differs, naming its line, its offset and both bytes; so any change of a
//! record's bytes either fails to parse, is refused here, or changes a value that a check of
//! the verifier catches.

/// Text from a record made harmless to print, and the characters no name may hold (spec §6.1):
/// what the command line applies to everything it shows.
pub mod text {
    pub use crate::text::{escape, escape_json, is_hidden};
}

use std::fs;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::board::{BoardSource, Entry};
use crate::check::CheckId;
use crate::credential::Roll;
use crate::digest::EntryDigest;
use crate::election::BaseHash;
use crate::manifest::Manifest;
use crate::tally::{ChannelCounts, Tally};
use crate::transcript::PROTOCOL_VERSION;
use crate::trustee::{CeremonyTranscript, DecryptionShare, PublicKeySet, TrusteeIndex};

/// The `format` field of every record header.
pub const RECORD_FORMAT: &str = "nullivote-record";

/// The largest board a record may hold (`board.jsonl`: the board of 10⁶ ballots is about
/// 2.5 GB).
pub const MAX_FILE_BYTES: u64 = 16 << 30;

/// The largest of the other files (manifest, ceremony, roll of 10⁷ entries, tally, decryption,
/// result): a roll of 10⁷ entries is about 670 MB of JSON.
pub const MAX_SMALL_FILE_BYTES: u64 = 1 << 30;

/// `record.json`: what the record is and the values everything else must match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordHeader {
    /// Always [`RECORD_FORMAT`].
    pub format: String,
    /// The protocol version; only [`PROTOCOL_VERSION`] is read.
    pub version: u16,
    /// The manifest's election id.
    pub election_id: String,
    /// The election's base hash.
    pub base_hash: BaseHash,
    /// The digest of the board's last entry.
    pub board_head: EntryDigest,
    /// Number of board entries.
    pub board_entries: u64,
    /// The board's signature of its final head ([`crate::board::Statement::FinalHead`]:
    /// `board_entries`, `board_head`), under the manifest's board key.
    pub board_signature: crate::board::Signature,
}

/// `ceremony.json`: the key ceremony's public packages and the key set they give.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ceremony {
    /// Every broadcast package.
    pub transcript: CeremonyTranscript,
    /// The joint key, verification shares and qualified trustees.
    pub public: PublicKeySet,
}

/// `decryption.json`: the decryption shares combined into the result.
///
/// Every share names the board it decrypts ([`DecryptionShare::head`]: `board_head`,
/// `board_entries`) and its proofs bind it; V10 requires it to be this record's
/// ([`RecordHeader::board_head`], [`RecordHeader::board_entries`]), so the board cannot change
/// after the decryption and a doctored board's shares cannot stand for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptionRecord {
    /// The shares used (at least the threshold), each with its proofs, each bound to the
    /// header's board head and number of entries.
    pub shares: Vec<DecryptionShare>,
}

/// One option's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionResult {
    /// The option's name in the manifest.
    pub name: String,
    /// Its votes.
    pub votes: u64,
}

/// One contest's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContestResult {
    /// The contest's name in the manifest.
    pub name: String,
    /// Its options, in manifest order.
    pub options: Vec<OptionResult>,
}

/// One channel's counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelResult {
    /// The channel's name in the manifest.
    pub name: String,
    /// Cast, superseded, refused, counted.
    pub counts: ChannelCounts,
}

/// `result.json`: the announced result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionResult {
    /// Per contest, per option.
    pub contests: Vec<ContestResult>,
    /// Per channel.
    pub channels: Vec<ChannelResult>,
    /// The trustees whose shares were combined.
    pub trustees: Vec<TrusteeIndex>,
}

impl ElectionResult {
    /// Names the decrypted values after the manifest's contests and options.
    pub fn new(
        manifest: &Manifest,
        values: &[u64],
        counts: &[ChannelCounts],
        trustees: &[TrusteeIndex],
    ) -> Self {
        let mut values = values.iter();
        let contests = manifest
            .contests()
            .iter()
            .map(|c| ContestResult {
                name: c.name.clone(),
                options: c
                    .options
                    .iter()
                    .map(|o| OptionResult {
                        name: o.clone(),
                        votes: values.next().copied().unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect();
        let channels = manifest
            .channels()
            .iter()
            .zip(counts)
            .map(|(c, counts)| ChannelResult {
                name: c.name.clone(),
                counts: *counts,
            })
            .collect();
        Self {
            contests,
            channels,
            trustees: trustees.to_vec(),
        }
    }

    /// The votes in one list, contest by contest, option by option.
    pub fn values(&self) -> Vec<u64> {
        self.contests
            .iter()
            .flat_map(|c| c.options.iter().map(|o| o.votes))
            .collect()
    }
}

/// A complete election record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElectionRecord {
    /// `record.json`.
    pub header: RecordHeader,
    /// `manifest.json`.
    pub manifest: Manifest,
    /// `ceremony.json`.
    pub ceremony: Ceremony,
    /// `roll.json`.
    pub roll: Roll,
    /// `board.jsonl`.
    pub board: Vec<Entry>,
    /// `tally.json`.
    pub tally: Tally,
    /// `decryption.json`.
    pub decryption: DecryptionRecord,
    /// `result.json`.
    pub result: ElectionResult,
}

/// A record that could not be read: which file, which line (for JSON Lines), which check it
/// belongs to, and what was wrong.
#[derive(Debug, thiserror::Error)]
#[error("{check}: {}{}: {message}", file.display(), line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct LoadError {
    /// The file.
    pub file: PathBuf,
    /// The 1-based line, for JSON Lines files.
    pub line: Option<usize>,
    /// The verification check the file belongs to.
    pub check: CheckId,
    /// What was wrong.
    pub message: String,
}

/// The files of a record, with the check each belongs to.
pub const FILES: [(&str, CheckId); 8] = [
    ("record.json", CheckId::V1),
    ("manifest.json", CheckId::V1),
    ("ceremony.json", CheckId::V2),
    ("roll.json", CheckId::V3),
    ("board.jsonl", CheckId::V5),
    ("tally.json", CheckId::V9),
    ("decryption.json", CheckId::V10),
    ("result.json", CheckId::V11),
];

fn check_of(name: &str) -> CheckId {
    FILES
        .iter()
        .find(|(f, _)| *f == name)
        .map_or(CheckId::V1, |&(_, c)| c)
}

/// How a file to read may be reached ([`open_bounded`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    /// The path must name the file itself: a symbolic link is refused (the files of a record
    /// or of a record directory, which someone else may have put there).
    Refuse,
    /// The path may be a symbolic link to the file (a file the user named on the command line).
    Follow,
}

/// Why a file was not opened or read ([`open_bounded`], [`read_bounded`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The operating system's error (not found, permission denied, ...).
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// The path is a symbolic link, and [`Links::Refuse`] was asked.
    #[error("is a symbolic link; it must be the file itself")]
    SymbolicLink,
    /// Not a regular file: a directory, a FIFO, a device, a socket.
    #[error("is {kind}, not a regular file")]
    NotRegular {
        /// What it is.
        kind: &'static str,
    },
    /// More bytes than the limit: by its size, or by what reading it gave.
    #[error("{} is more than a record file may hold ({limit} bytes)", size.map_or_else(|| "what it holds".to_string(), |s| format!("{s} bytes")))]
    TooLarge {
        /// Its size, when its metadata told (`None`: more arrived while reading than it said).
        size: Option<u64>,
        /// The limit.
        limit: u64,
    },
}

/// What a file that is not a regular one is.
fn kind_of(file_type: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else {
        "something else"
    }
}

/// A reader that gives at most `limit` bytes of its source and fails with
/// [`FileError::TooLarge`] (as the `io::Error`'s inner error) as soon as one more arrives: a file
/// that grows while it is read, or a source whose size nothing told, never makes its reader use
/// more than `limit` bytes.
pub struct Bounded<R> {
    inner: std::io::Take<R>,
    limit: u64,
}

impl<R: Read> Bounded<R> {
    /// `source`, read through `Read::take(limit + 1)`.
    pub fn new(source: R, limit: u64) -> Self {
        Self {
            inner: source.take(limit.saturating_add(1)),
            limit,
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.inner.limit() == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                FileError::TooLarge {
                    size: None,
                    limit: self.limit,
                },
            ));
        }
        Ok(n)
    }
}

/// An `io::Error` met while reading, as a [`FileError`] (unwrapping a [`Bounded`] reader's
/// [`FileError::TooLarge`]).
fn file_error(e: std::io::Error) -> FileError {
    if e.get_ref().is_some_and(|inner| inner.is::<FileError>()) {
        let kind = e.kind();
        match e.into_inner().map(|inner| inner.downcast::<FileError>()) {
            Some(Ok(inner)) => *inner,
            _ => FileError::Io(std::io::Error::from(kind)),
        }
    } else {
        FileError::Io(e)
    }
}

/// Opens `path` for reading if it is a regular file (not a directory, FIFO, device or socket,
/// and with [`Links::Refuse`] not a symbolic link) of at most `limit` bytes, and returns it
/// read through a [`Bounded`] reader of `limit` bytes.
///
/// The type is checked on the path (`symlink_metadata`, for a clear error) and again on the
/// opened file (`fstat`), which is opened with `O_NOFOLLOW` (for [`Links::Refuse`]) and
/// `O_NONBLOCK` on unix, so that a path swapped for a link or a FIFO between the two is refused
/// too and never blocks the reader; the bounded reader then stops a file that grows.
///
/// # Errors
/// A [`FileError`] saying what the path is, or the operating system's error.
pub fn open_bounded(path: &Path, limit: u64, links: Links) -> Result<Bounded<fs::File>, FileError> {
    let meta = if links == Links::Refuse {
        fs::symlink_metadata(path)?
    } else {
        fs::metadata(path)?
    };
    if meta.file_type().is_symlink() {
        return Err(FileError::SymbolicLink);
    }
    if !meta.is_file() {
        return Err(FileError::NotRegular {
            kind: kind_of(meta.file_type()),
        });
    }
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let no_follow = if links == Links::Refuse {
            libc::O_NOFOLLOW
        } else {
            0
        };
        options.custom_flags(no_follow | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return FileError::SymbolicLink;
        }
        FileError::Io(e)
    })?;
    let opened = file.metadata()?;
    if !opened.is_file() {
        return Err(FileError::NotRegular {
            kind: kind_of(opened.file_type()),
        });
    }
    if opened.len() > limit {
        return Err(FileError::TooLarge {
            size: Some(opened.len()),
            limit,
        });
    }
    Ok(Bounded::new(file, limit))
}

/// The bytes of the file at `path`, through [`open_bounded`].
///
/// # Errors
/// As [`open_bounded`], and [`FileError::TooLarge`] if more than `limit` bytes arrive.
pub fn read_bounded(path: &Path, limit: u64, links: Links) -> Result<Vec<u8>, FileError> {
    let mut bytes = Vec::new();
    open_bounded(path, limit, links)?
        .read_to_end(&mut bytes)
        .map_err(file_error)?;
    Ok(bytes)
}

/// The limit of a record file: [`MAX_FILE_BYTES`] for JSON Lines, [`MAX_SMALL_FILE_BYTES`] for
/// the others.
fn limit_of(name: &str) -> u64 {
    if name.ends_with(".jsonl") {
        MAX_FILE_BYTES
    } else {
        MAX_SMALL_FILE_BYTES
    }
}

fn load_error(dir: &Path, name: &str, e: &FileError) -> LoadError {
    LoadError {
        file: dir.join(name),
        line: None,
        check: check_of(name),
        message: e.to_string(),
    }
}

/// Opens a record file: a regular file, not a link, within its limit.
fn open_checked(dir: &Path, name: &str) -> Result<Bounded<fs::File>, LoadError> {
    open_bounded(&dir.join(name), limit_of(name), Links::Refuse)
        .map_err(|e| load_error(dir, name, &e))
}

fn read_text(dir: &Path, name: &str) -> Result<String, LoadError> {
    let bytes = read_bounded(&dir.join(name), limit_of(name), Links::Refuse)
        .map_err(|e| load_error(dir, name, &e))?;
    String::from_utf8(bytes).map_err(|e| LoadError {
        file: dir.join(name),
        line: None,
        check: check_of(name),
        message: format!("not UTF-8 text: {e}"),
    })
}

/// Reads a `.json` record file: UTF-8 JSON, parsed, then required to be exactly the bytes
/// [`write_json`] writes for the value parsed ([`check_json_form`]).
fn read_json<T: DeserializeOwned + Serialize>(dir: &Path, name: &str) -> Result<T, LoadError> {
    let (value, text) = parse_json(dir, name)?;
    check_json_form(dir, name, &text, &value)?;
    Ok(value)
}

/// A `.json` record file parsed, and its text.
fn parse_json<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<(T, String), LoadError> {
    let text = read_text(dir, name)?;
    match serde_json::from_str(&text) {
        Ok(value) => Ok((value, text)),
        Err(e) => Err(LoadError {
            file: dir.join(name),
            line: Some(e.line()),
            check: check_of(name),
            message: e.to_string(),
        }),
    }
}

/// Requires `text`, read from `name`, to be exactly what [`write_json`] writes for `value`;
/// refuses it at the first byte that differs, naming its line.
fn check_json_form<T: Serialize>(
    dir: &Path,
    name: &str,
    text: &str,
    value: &T,
) -> Result<(), LoadError> {
    let bytes = text.as_bytes();
    let fail = |line, message| LoadError {
        file: dir.join(name),
        line: Some(line),
        check: check_of(name),
        message,
    };
    match canonical_difference(bytes, |out| write_json_to(out, value)) {
        Ok(None) => Ok(()),
        Ok(Some(difference)) => {
            // The line and column of the byte, as the parser's errors count them (from 1).
            let before = &bytes[..difference.offset];
            let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
            let start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            Err(fail(
                line,
                difference.message(difference.offset as u64, difference.offset - start + 1),
            ))
        }
        Err(e) => Err(fail(1, format!("cannot be written again: {e}"))),
    }
}

#[cfg(test)]
fn read_lines<T: DeserializeOwned + Serialize + Send>(
    dir: &Path,
    name: &str,
) -> Result<Vec<T>, LoadError> {
    let mut lines = JsonLines::open(dir, name)?;
    let mut all = Vec::new();
    loop {
        let block = lines.next_block(LINES_PER_BLOCK)?;
        if block.is_empty() {
            return Ok(all);
        }
        all.extend(block);
    }
}

/// Lines parsed per block by [`JsonLines`] (in parallel within the block).
const LINES_PER_BLOCK: usize = 4096;

/// The longest line of a JSON Lines file read when no manifest bounds it more tightly
/// ([`max_board_line_bytes`] bounds `board.jsonl`'s).
pub const MAX_LINE_BYTES: u64 = MAX_SMALL_FILE_BYTES;

/// The least bound [`max_board_line_bytes`] gives, whatever the manifest: room for any close,
/// refusal or small ballot.
pub const MIN_BOARD_LINE_BYTES: u64 = 16 << 10;

/// The longest line of `board.jsonl` a record of an election under `manifest` can hold
/// (spec/record.md §3): twice the JSON of its largest possible entry, and at least
/// [`MIN_BOARD_LINE_BYTES`]. A longer line is refused as soon as that many bytes are read, so a
/// hostile board costs at most this much memory per line (a real entry of the 2022 leadership
/// ballot is about 2.2 kB; its bound is 16 KiB).
///
/// The largest entry is a cast ballot whose every range proof has as many branches as the
/// manifest allows (`option_limit + 1` per selection, `max_selections − min_selections + 1`
/// per contest), with a countersignature, or a spoiled ballot with every opening, whichever is
/// longer. Its JSON is at most twice its binary leaves (each leaf is lowercase hex) plus the
/// keys and punctuation, counted generously: 512 bytes for the entry and 64 per contest and
/// per selection (128 per selection of a spoiled ballot).
pub fn max_board_line_bytes(manifest: &Manifest) -> u64 {
    use crate::proofs::RangeProof;
    let branches = |low: u32, high: u32| high.saturating_sub(low) as usize + 1;
    let (mut ballot, mut spoiled) = (0usize, 0usize);
    let (mut contests, mut selections) = (0usize, 0usize);
    for contest in manifest.contests() {
        let options = contest.options.len();
        contests += 1;
        selections += options;
        ballot += options * (64 + RangeProof::encoded_len(branches(0, contest.option_limit)))
            + RangeProof::encoded_len(branches(contest.min_selections, contest.max_selections));
        spoiled += options * (64 + 36);
    }
    // Entry: previous (32); ballot: election, nullifier, eligibility (credential 32, DLEQ 96),
    // countersignature (64); spoiled: election, tracking code, ballot digest.
    let ballot = 2 * (32 + 32 + 32 + 32 + 96 + 64 + ballot) + 512 + 64 * (contests + selections);
    let spoiled = 2 * (32 + 3 * 32 + spoiled) + 512 + 64 * contests + 128 * selections;
    (2 * ballot.max(spoiled) as u64).max(MIN_BOARD_LINE_BYTES)
}

/// A JSON Lines file of a record, read a block of lines at a time, each block parsed on every
/// core: `board.jsonl` may be gigabytes, and a verifier need not hold it
/// ([`crate::verifier::verify_dir`]).
///
/// Every line must be exactly what [`ElectionRecord::write`] writes for the value it parses to:
/// the value as compact JSON (`serde_json::to_string`) and one `\n`, the last line too; so no
/// empty line, no white space, no `\r`, no escape the writer does not write, keys in the
/// writer's order. The check runs on the parallel parse, line by line.
pub struct JsonLines<T> {
    file: PathBuf,
    check: CheckId,
    /// The longest line accepted, not counting its newline.
    max_line: u64,
    reader: BufReader<Bounded<fs::File>>,
    line: usize,
    /// Bytes read so far (the offset of the next line in the file).
    offset: u64,
    _values: core::marker::PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + Serialize + Send> JsonLines<T> {
    /// Opens `name` in the record directory `dir`, checking its size.
    ///
    /// # Errors
    /// A [`LoadError`] if the file is missing, unreadable or too large.
    pub fn open(dir: &Path, name: &str) -> Result<Self, LoadError> {
        Ok(Self {
            file: dir.join(name),
            check: check_of(name),
            max_line: MAX_LINE_BYTES,
            reader: BufReader::with_capacity(1 << 20, open_checked(dir, name)?),
            line: 0,
            offset: 0,
            _values: core::marker::PhantomData,
        })
    }

    fn fail(&self, line: usize, message: String) -> LoadError {
        LoadError {
            file: self.file.clone(),
            line: Some(line),
            check: self.check,
            message,
        }
    }

    /// The next at most `max` values, in order (none at the end of the file).
    ///
    /// # Errors
    /// A [`LoadError`] naming the first line that cannot be read or parsed, or that is not in
    /// canonical form.
    pub fn next_block(&mut self, max: usize) -> Result<Vec<T>, LoadError> {
        self.next_block_within(max, self.max_line)
    }

    /// Refuses every line longer than `max_line` bytes (not counting its newline) as soon as
    /// that many bytes are read (the default is [`MAX_LINE_BYTES`]).
    pub fn with_max_line(mut self, max_line: u64) -> Self {
        self.max_line = max_line;
        self
    }

    /// [`JsonLines::next_block`] with lines of at most `max_line` bytes, not counting the
    /// newline (tests use a small one).
    fn next_block_within(&mut self, max: usize, max_line: u64) -> Result<Vec<T>, LoadError> {
        // Each line with its newline (the last line of a file may lack it), and its offset.
        let mut lines: Vec<(u64, Vec<u8>)> = Vec::with_capacity(max);
        let mut too_long = None;
        while lines.len() < max {
            let mut line = Vec::new();
            let read = (&mut self.reader)
                .take(max_line + 1)
                .read_until(b'\n', &mut line)
                .map_err(|e| self.fail(self.line + 1, file_error(e).to_string()))?;
            if read == 0 {
                break;
            }
            self.line += 1;
            if line.last() != Some(&b'\n') && line.len() as u64 > max_line {
                // Reported after the lines before it, which may hold an earlier error.
                too_long =
                    Some(self.fail(self.line, format!("a line of more than {max_line} bytes")));
                break;
            }
            let start = self.offset;
            self.offset += read as u64;
            lines.push((start, line));
        }
        let first = self.line + 1 - lines.len() - usize::from(too_long.is_some());
        let parsed: Vec<Result<T, LoadError>> = lines
            .par_iter()
            .enumerate()
            .map(|(i, (start, line))| {
                let fail = |message| self.fail(first + i, message);
                let text = line.strip_suffix(b"\n").unwrap_or(line);
                let value: T = serde_json::from_slice(text).map_err(|e| fail(e.to_string()))?;
                match canonical_difference(line, |out| write_line_to(out, &value)) {
                    Ok(None) => Ok(value),
                    Ok(Some(d)) => Err(fail(d.message(start + d.offset as u64, d.offset + 1))),
                    Err(e) => Err(fail(format!("cannot be written again: {e}"))),
                }
            })
            .collect();
        // The first bad line, whichever thread met it first.
        let values = parsed.into_iter().collect::<Result<Vec<T>, LoadError>>()?;
        match too_long {
            Some(e) => Err(e),
            None => Ok(values),
        }
    }

    /// Lines read so far.
    pub fn lines_read(&self) -> usize {
        self.line
    }
}

fn write_json<T: Serialize>(dir: &Path, name: &str, value: &T) -> std::io::Result<()> {
    let mut out = BufWriter::new(fs::File::create(dir.join(name))?);
    write_json_to(&mut out, value)?;
    out.flush()
}

/// The bytes of a `.json` record file: the value pretty-printed by serde_json (two-space
/// indents), then a newline.
fn write_json_to<T: Serialize>(out: &mut impl Write, value: &T) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")
}

/// The bytes of one line of a `.jsonl` record file: the value as compact JSON
/// (`serde_json::to_string`), then a newline.
fn write_line_to<T: Serialize>(out: &mut impl Write, value: &T) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// Where the bytes of a record file first differ from what its writer writes for the value they
/// parse to ([`canonical_difference`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Difference {
    /// The offset of the first byte that differs, from 0 (the length of the bytes read if they
    /// end where the writer writes more).
    offset: usize,
    /// The byte read there (`None`: the bytes end there).
    found: Option<u8>,
    /// The byte the writer writes there (`None`: it writes nothing more).
    written: Option<u8>,
}

impl Difference {
    /// The message of a [`LoadError`]: the offset of the byte (counted from the start of the
    /// file, from 0), its column in its line (from 1), and both bytes.
    fn message(&self, offset: u64, column: usize) -> String {
        let show = |byte: Option<u8>, end: &str| match byte {
            None => end.to_string(),
            Some(b) if b.is_ascii() => format!("{:?}", char::from(b)),
            Some(b) => format!("0x{b:02x}"),
        };
        format!(
            "not in canonical form: byte {offset} (column {column}) differs from what this \
             record's writer writes: {} where it writes {} (a record file is read in exactly one \
             form)",
            show(self.found, "the end of the file"),
            show(self.written, "nothing more"),
        )
    }
}

/// An `io::Write` that compares what is written with `bytes`, and stops (with an error) at the
/// first byte that differs: checking a line costs no allocation, and a line that differs early
/// is not written out.
struct Compare<'a> {
    /// The bytes read.
    bytes: &'a [u8],
    /// How many of them the writer has written so far.
    at: usize,
    /// The byte the writer wrote at `at` where the bytes read differ (`None`: none yet).
    written: Option<u8>,
}

impl Write for Compare<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let rest = &self.bytes[self.at..];
        let same = rest.iter().zip(buf).take_while(|(a, b)| a == b).count();
        self.at += same;
        if same < buf.len() {
            self.written = Some(buf[same]);
            return Err(std::io::Error::other("differs from the bytes read"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether `bytes` are exactly what `write` writes: `None` if they are, else the first
/// [`Difference`].
///
/// # Errors
/// The writer's own error (a value that cannot be serialised), which never happens for the
/// record's types.
fn canonical_difference(
    bytes: &[u8],
    write: impl FnOnce(&mut Compare<'_>) -> std::io::Result<()>,
) -> std::io::Result<Option<Difference>> {
    let mut compare = Compare {
        bytes,
        at: 0,
        written: None,
    };
    let result = write(&mut compare);
    let written = match (compare.written, result) {
        (Some(written), _) => Some(written),
        (None, Err(e)) => return Err(e),
        (None, Ok(())) if compare.at == bytes.len() => return Ok(None),
        (None, Ok(())) => None,
    };
    Ok(Some(Difference {
        offset: compare.at,
        found: bytes.get(compare.at).copied(),
        written,
    }))
}

fn write_lines<T: Serialize + Sync>(dir: &Path, name: &str, values: &[T]) -> std::io::Result<()> {
    let lines: Vec<Vec<u8>> = values
        .par_iter()
        .map(|value| {
            let mut line = Vec::new();
            write_line_to(&mut line, value).map(|()| line)
        })
        .collect::<Result<_, _>>()?;
    let mut out = BufWriter::new(fs::File::create(dir.join(name))?);
    for line in lines {
        out.write_all(&line)?;
    }
    out.flush()
}

/// The most entries a refusal of a record directory names.
const ENTRIES_NAMED: usize = 10;

/// A record directory holds exactly the files of [`FILES`] (spec/record.md §1): any other entry
/// (a working file left by the command line, a trustee's secret, a subdirectory, a temporary
/// file) is refused under V1, naming it, before any file is read. Each file's own type (a
/// regular file, not a link) is checked when it is opened.
fn check_directory(dir: &Path) -> Result<(), LoadError> {
    let fail = |message: String| LoadError {
        file: dir.to_path_buf(),
        line: None,
        check: CheckId::V1,
        message,
    };
    let listing =
        fs::read_dir(dir).map_err(|e| fail(format!("cannot read the record directory: {e}")))?;
    let mut others = Vec::new();
    let mut more = false;
    for item in listing {
        let item = item.map_err(|e| fail(format!("cannot read the record directory: {e}")))?;
        let name = item.file_name();
        if FILES.iter().any(|(f, _)| name == *f) {
            continue;
        }
        if others.len() == ENTRIES_NAMED {
            more = true;
            break;
        }
        others.push(format!("{name:?}"));
    }
    if others.is_empty() {
        return Ok(());
    }
    others.sort();
    Err(fail(format!(
        "a record directory holds exactly its eight files, and this one also holds {}{}",
        others.join(", "),
        if more { ", and more" } else { "" }
    )))
}

impl ElectionRecord {
    /// The election the record's manifest, key ceremony and roll give (what every proof of the
    /// record binds to; its base hash is the one V3 recomputes).
    pub fn election(&self) -> crate::election::Election {
        let public = &self.ceremony.public;
        crate::election::Election::new(
            self.manifest.clone(),
            public.election_key(),
            public.ceremony_digest(),
            self.roll.clone(),
        )
    }

    /// Assembles the record of an election whose voting took place on `board` (a
    /// [`crate::board::Board`], or a [`crate::board::DurableBoard`]): the header (base
    /// hash, board head, the board's `board_signature` of its final head:
    /// [`crate::board::Board::final_signature`]), the manifest and roll from `election`, every
    /// board entry, with the ceremony, tally, decryption shares and result.
    #[allow(clippy::too_many_arguments)]
    pub fn assemble(
        election: &crate::election::Election,
        board: &impl BoardSource,
        board_signature: crate::board::Signature,
        ceremony: Ceremony,
        tally: Tally,
        shares: Vec<DecryptionShare>,
        result: ElectionResult,
    ) -> Self {
        let manifest = election.manifest().clone();
        let entries = board.entries();
        Self {
            header: RecordHeader {
                format: RECORD_FORMAT.to_string(),
                version: PROTOCOL_VERSION,
                election_id: manifest.election_id().to_string(),
                base_hash: *election.base_hash(),
                board_head: board.head(),
                board_entries: entries.len() as u64,
                board_signature,
            },
            manifest,
            ceremony,
            roll: election.roll().clone(),
            board: entries.to_vec(),
            tally,
            decryption: DecryptionRecord { shares },
            result,
        }
    }

    /// Writes the record as a directory of JSON files (created if needed). The directory
    /// should hold nothing else: [`ElectionRecord::read`] refuses a record directory holding
    /// any entry but the eight files.
    ///
    /// # Errors
    /// Any I/O error.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        fs::create_dir_all(dir)?;
        write_json(dir, "record.json", &self.header)?;
        write_json(dir, "manifest.json", &self.manifest)?;
        write_json(dir, "ceremony.json", &self.ceremony)?;
        write_json(dir, "roll.json", &self.roll)?;
        write_lines(dir, "board.jsonl", &self.board)?;
        write_json(dir, "tally.json", &self.tally)?;
        write_json(dir, "decryption.json", &self.decryption)?;
        write_json(dir, "result.json", &self.result)
    }

    /// Reads a record directory, refusing anything malformed or of another version, a directory
    /// holding anything but the eight files of [`FILES`], and a file that is not a regular file
    /// (a symbolic link, a FIFO, a device) or larger than its limit.
    ///
    /// # Errors
    /// The first [`LoadError`], naming the file, line and check.
    pub fn read(dir: &Path) -> Result<Self, LoadError> {
        let (mut record, mut board) = Self::read_without_board(dir)?;
        loop {
            let block = board.next_block(LINES_PER_BLOCK)?;
            if block.is_empty() {
                return Ok(record);
            }
            record.board.extend(block);
        }
    }

    /// Reads every file of a record directory but the board, which is left empty in the record
    /// and returned open, to be read a block at a time.
    ///
    /// # Errors
    /// The first [`LoadError`], naming the file, line and check.
    pub fn read_without_board(dir: &Path) -> Result<(Self, JsonLines<Entry>), LoadError> {
        check_directory(dir)?;
        // The format and version first: a record of another version may be of another form.
        let (header, text): (RecordHeader, _) = parse_json(dir, "record.json")?;
        if header.format != RECORD_FORMAT || header.version != PROTOCOL_VERSION {
            return Err(LoadError {
                file: dir.join("record.json"),
                line: None,
                check: CheckId::V1,
                message: format!(
                    "a {:?} record of version {}; this verifier reads {RECORD_FORMAT:?} version {PROTOCOL_VERSION}",
                    header.format, header.version
                ),
            });
        }
        check_json_form(dir, "record.json", &text, &header)?;
        let record = Self {
            manifest: read_json(dir, "manifest.json")?,
            ceremony: read_json(dir, "ceremony.json")?,
            roll: read_json(dir, "roll.json")?,
            board: Vec::new(),
            tally: read_json(dir, "tally.json")?,
            decryption: read_json(dir, "decryption.json")?,
            result: read_json(dir, "result.json")?,
            header,
        };
        let board = JsonLines::open(dir, "board.jsonl")?
            .with_max_line(max_board_line_bytes(&record.manifest));
        Ok((record, board))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A well-formed signature (`G ‖ 0`), for headers whose signature no test checks.
    fn test_signature() -> crate::board::Signature {
        use crate::codec::Wire;
        let mut bytes = crate::group::Element::generator().as_bytes().to_vec();
        bytes.extend([0u8; 32]);
        crate::board::Signature::decode(&bytes).unwrap()
    }

    /// The bound of `board.jsonl`'s lines (issue 24) is the floor for small manifests, grows
    /// with the widest range proofs a manifest allows, and, without its margin of two, still
    /// holds the longest real entries: a countersigned ballot with the widest proofs, and its
    /// spoiled form.
    #[test]
    fn the_board_line_bound_holds_the_largest_entries_a_manifest_allows() {
        use crate::manifest::Contest;
        use crate::testing::{POSTAL, TestElection};
        let leadership = TestElection::leadership(1, 1);
        let m = leadership.election.manifest();
        assert_eq!(max_board_line_bytes(m), MIN_BOARD_LINE_BYTES);
        let contest = |name: &str, options: usize, limit: u32, min: u32, max: u32| Contest {
            name: name.to_owned(),
            options: (0..options).map(|i| format!("option {i}")).collect(),
            min_selections: min,
            max_selections: max,
            option_limit: limit,
        };
        let wide = crate::manifest::Manifest::new(
            m.election_id().to_owned(),
            vec![contest("points", 6, 9, 0, 30), contest("board", 4, 1, 1, 3)],
            m.channels().to_vec(),
            m.trustees(),
            m.authorities(),
        )
        .unwrap();
        let bound = max_board_line_bytes(&wide);
        assert!(bound > MIN_BOARD_LINE_BYTES, "{bound}");
        let t = TestElection::with_manifest(wide, 1, 1, leadership.authority);
        let mut rng = crate::testing::test_rng(5);
        let choices = vec![vec![9, 9, 9, 3, 0, 0], vec![1, 1, 1, 0]];
        let prepare = |rng: &mut _| {
            crate::ballot::prepare(&t.election, POSTAL, &t.secrets[0], &choices, rng).unwrap()
        };
        let challenged = prepare(&mut rng).challenge();
        let mut cast = prepare(&mut rng);
        cast.countersign(&t.election, &t.authority, &mut rng)
            .unwrap();
        let mut board = t.board();
        board.challenge(&challenged.spoiled()).unwrap();
        board.submit(cast.cast()).unwrap();
        for entry in board.entries() {
            let line = serde_json::to_string(entry).unwrap().len() as u64;
            assert!(2 * line <= bound, "an entry of {line} bytes; bound {bound}");
        }
    }

    #[test]
    fn json_lines_are_read_in_blocks_and_errors_name_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let values: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
        fs::write(dir.path().join("n.jsonl"), values.join("\n") + "\n").unwrap();
        let mut lines = JsonLines::<u32>::open(dir.path(), "n.jsonl").unwrap();
        let mut all = Vec::new();
        loop {
            let block = lines.next_block(4096).unwrap();
            if block.is_empty() {
                break;
            }
            assert!(block.len() <= 4096);
            all.extend(block);
        }
        assert_eq!(all, (0..10_000).collect::<Vec<u32>>());
        assert_eq!(lines.lines_read(), 10_000);

        // A bad line in the third block is named by its line in the file, and no value after
        // it is returned.
        let mut bad = values.clone();
        bad[9_000] = "x".into();
        fs::write(dir.path().join("n.jsonl"), bad.join("\n") + "\n").unwrap();
        assert_eq!(
            read_lines::<u32>(dir.path(), "n.jsonl").unwrap_err().line,
            Some(9_001)
        );
        // Every line ends with its newline, the last too (as `write_lines` writes it), named by
        // its line; an empty line is an error.
        fs::write(dir.path().join("n.jsonl"), "1\n\n2\n").unwrap();
        assert_eq!(
            read_lines::<u32>(dir.path(), "n.jsonl").unwrap_err().line,
            Some(2)
        );
        fs::write(dir.path().join("n.jsonl"), "1\n2").unwrap();
        let error = read_lines::<u32>(dir.path(), "n.jsonl").unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(
            error.message.starts_with(
                "not in canonical form: byte 3 (column 2) differs from what this record's \
                 writer writes: the end of the file where it writes '\\n'"
            ),
            "{error}"
        );
        fs::write(dir.path().join("n.jsonl"), "1\n2\n").unwrap();
        assert_eq!(
            read_lines::<u32>(dir.path(), "n.jsonl").unwrap(),
            vec![1, 2]
        );
    }

    /// The canonical-form message for the byte at `offset` (its column from 1), read `found`,
    /// written `written`.
    fn not_canonical(offset: u64, column: usize, found: &str, written: &str) -> String {
        format!(
            "not in canonical form: byte {offset} (column {column}) differs from what this \
             record's writer writes: {found} where it writes {written} (a record file is read in \
             exactly one form)"
        )
    }

    /// Issue 17, item 2: a `.json` record file is read only in the bytes `write_json` writes for
    /// the value it parses to. Each other spelling of the same value (a space, keys reordered, an
    /// escape, compact JSON, `\r\n`, no final newline or two) is refused, naming the file, the
    /// first line that differs, the check, and the byte.
    #[test]
    fn a_json_file_is_read_only_in_its_canonical_form() {
        let dir = tempfile::tempdir().unwrap();
        let header = RecordHeader {
            format: RECORD_FORMAT.into(),
            version: PROTOCOL_VERSION,
            election_id: "e".into(),
            base_hash: BaseHash([1; 32]),
            board_head: EntryDigest([2; 32]),
            board_entries: 3,
            board_signature: test_signature(),
        };
        write_json(dir.path(), "record.json", &header).unwrap();
        let canonical = fs::read_to_string(dir.path().join("record.json")).unwrap();
        assert!(canonical.starts_with("{\n  \"format\": \"nullivote-record\",\n  \"version\": "));
        assert_eq!(
            read_json::<RecordHeader>(dir.path(), "record.json").unwrap(),
            header
        );
        let offset = |needle: &str| canonical.find(needle).unwrap() as u64;
        let lines = canonical.lines().count();
        let end = canonical.len() as u64;
        let swapped = {
            let mut all: Vec<&str> = canonical.lines().collect();
            all.swap(1, 2);
            all.join("\n") + "\n"
        };
        for (what, text, line, message) in [
            (
                "an extra space",
                canonical.replacen("\"format\": ", "\"format\":  ", 1),
                2,
                not_canonical(offset("\"format\": ") + 10, 13, "' '", "'\"'"),
            ),
            (
                "keys reordered",
                swapped,
                2,
                not_canonical(offset("\"format\"") + 1, 4, "'v'", "'f'"),
            ),
            (
                "an escaped letter",
                canonical.replacen("\"e\"", "\"\\u0065\"", 1),
                4,
                not_canonical(offset("\"e\"") + 1, 19, "'\\\\'", "'e'"),
            ),
            (
                "compact JSON",
                serde_json::to_string(&header).unwrap() + "\n",
                1,
                not_canonical(1, 2, "'\"'", "'\\n'"),
            ),
            (
                "\\r\\n line ends",
                canonical.replace('\n', "\r\n"),
                1,
                not_canonical(1, 2, "'\\r'", "'\\n'"),
            ),
            (
                "no final newline",
                canonical.trim_end().to_string(),
                lines,
                not_canonical(end - 1, 2, "the end of the file", "'\\n'"),
            ),
            (
                "two final newlines",
                canonical.clone() + "\n",
                lines + 1,
                not_canonical(end, 1, "'\\n'", "nothing more"),
            ),
        ] {
            fs::write(dir.path().join("record.json"), &text).unwrap();
            let error = read_json::<RecordHeader>(dir.path(), "record.json").unwrap_err();
            assert!(error.file.ends_with("record.json"), "{what}: {error}");
            assert_eq!(error.check, CheckId::V1, "{what}: {error}");
            assert_eq!(error.line, Some(line), "{what}: {error}");
            assert_eq!(error.message, message, "{what}: {error}");
            // The whole record's reader refuses it the same way, before any other file.
            let whole = ElectionRecord::read_without_board(dir.path())
                .map(|_| ())
                .unwrap_err();
            assert_eq!(
                (whole.line, &whole.message),
                (Some(line), &message),
                "{what}"
            );
        }
    }

    /// Issue 17, item 2: each line of a `.jsonl` record file is read only as
    /// `serde_json::to_string` of its value and one `\n`. A space, keys reordered, an escape,
    /// `\r\n`, a missing final newline, or white space alone on a line, are refused, naming the
    /// file, the line, the check and the byte (counted in the file, over blocks).
    #[test]
    fn a_json_lines_file_is_read_only_in_its_canonical_form() {
        let dir = tempfile::tempdir().unwrap();
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Line {
            tracking_code: crate::ballot::TrackingCode,
            channel: crate::manifest::ChannelIndex,
            reason: String,
        }
        let refusal = |i: u8| Line {
            tracking_code: crate::ballot::TrackingCode([i; 32]),
            channel: crate::manifest::ChannelIndex::new(i % 2),
            reason: format!("reason {i}"),
        };
        let values: Vec<Line> = (0..3).map(refusal).collect();
        write_lines(dir.path(), "board.jsonl", &values).unwrap();
        let canonical = fs::read_to_string(dir.path().join("board.jsonl")).unwrap();
        assert_eq!(
            read_lines::<Line>(dir.path(), "board.jsonl").unwrap(),
            values
        );
        let lines: Vec<&str> = canonical.lines().collect();
        let second = (lines[0].len() + 1) as u64;
        let third = second + (lines[1].len() + 1) as u64;
        let end = canonical.len() as u64;
        let with_line = |i: usize, line: String| {
            let mut all: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            all[i] = line;
            all.join("\n") + "\n"
        };
        let code = lines[1].find("\"channel\"").unwrap();
        let reordered = format!(
            "{{{},{}}}",
            &lines[1][code..lines[1].len() - 1],
            &lines[1][1..code - 1]
        );
        let reason = lines[2].find("reason 2").unwrap();
        for (what, text, line, message) in [
            (
                "an extra space",
                with_line(1, lines[1].replacen("\"channel\":", "\"channel\": ", 1)),
                2,
                not_canonical(second + code as u64 + 10, code + 11, "' '", "'1'"),
            ),
            (
                "keys reordered",
                with_line(1, reordered),
                2,
                not_canonical(second + 2, 3, "'c'", "'t'"),
            ),
            (
                "an escaped letter",
                with_line(2, lines[2].replacen("reason 2", "\\u0072eason 2", 1)),
                3,
                not_canonical(third + reason as u64, reason + 1, "'\\\\'", "'r'"),
            ),
            (
                "a \\r\\n line end",
                canonical.replacen('\n', "\r\n", 1),
                1,
                not_canonical(second - 1, lines[0].len() + 1, "'\\r'", "'\\n'"),
            ),
            (
                "no final newline",
                canonical.trim_end().to_string(),
                3,
                not_canonical(end - 1, lines[2].len() + 1, "the end of the file", "'\\n'"),
            ),
            (
                "white space before a line",
                with_line(1, format!(" {}", lines[1])),
                2,
                not_canonical(second, 1, "' '", "'{'"),
            ),
        ] {
            fs::write(dir.path().join("board.jsonl"), &text).unwrap();
            let error = read_lines::<Line>(dir.path(), "board.jsonl").unwrap_err();
            assert!(error.file.ends_with("board.jsonl"), "{what}: {error}");
            assert_eq!(error.check, CheckId::V5, "{what}: {error}");
            assert_eq!(error.line, Some(line), "{what}: {error}");
            assert_eq!(error.message, message, "{what}: {error}");
        }
        // Offsets count from the start of the file, across blocks: here the third block.
        let error = read_short_lines("1\n2\n3\n4\n 5\n").unwrap_err();
        assert_eq!(error.line, Some(5));
        assert_eq!(error.message, not_canonical(8, 1, "' '", "'5'"));
        // An empty line is refused by the parser, a trailing blank line too.
        for (text, line) in [("1\n\n2\n", 2), ("1\n2\n\n", 3), ("1\n2\n \n", 3)] {
            let error = read_short_lines(text).unwrap_err();
            assert_eq!(error.line, Some(line), "{text:?}");
            assert!(error.message.contains("EOF while parsing"), "{error}");
        }
    }

    /// A value that parses (from any number) but cannot be written.
    #[derive(Debug)]
    struct Unwritable;

    impl<'de> Deserialize<'de> for Unwritable {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            u8::deserialize(d).map(|_| Self)
        }
    }

    impl Serialize for Unwritable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no form"))
        }
    }

    /// A value its writer cannot write again is refused, naming the writer's error, rather than
    /// taken to be in canonical form (no record type does this).
    #[test]
    fn a_value_that_cannot_be_written_again_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("n.json"), "1\n").unwrap();
        let error = read_json::<Unwritable>(dir.path(), "n.json").unwrap_err();
        assert_eq!(error.line, Some(1));
        assert!(
            error
                .message
                .starts_with("cannot be written again: no form"),
            "{error}"
        );
        fs::write(dir.path().join("n.jsonl"), "1\n2\n").unwrap();
        let error = read_lines::<Unwritable>(dir.path(), "n.jsonl").unwrap_err();
        assert_eq!(error.line, Some(1));
        assert!(
            error
                .message
                .starts_with("cannot be written again: no form"),
            "{error}"
        );
    }

    /// Reads `text` as `n.jsonl` with lines of at most 8 bytes, two lines per block.
    fn read_short_lines(text: &str) -> Result<Vec<u32>, LoadError> {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("n.jsonl"), text).unwrap();
        let mut lines = JsonLines::<u32>::open(dir.path(), "n.jsonl").unwrap();
        let mut all = Vec::new();
        loop {
            let block = lines.next_block_within(2, 8)?;
            if block.is_empty() {
                return Ok(all);
            }
            all.extend(block);
        }
    }

    /// Kills the mutants of the line limit (`take(max_line + 1)`, `len > max_line`) and of the
    /// line numbers of a block that ends in a line too long.
    #[test]
    fn lines_up_to_the_limit_are_read_and_longer_ones_named() {
        // Exactly 8 bytes, with or without a newline after them, is within the limit (without
        // it, the line is read and refused for its missing newline, not for its length).
        assert_eq!(
            read_short_lines("12345678\n1\n").unwrap(),
            vec![12_345_678, 1]
        );
        let error = read_short_lines("1\n12345678").unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(
            error.message.contains("the end of the file where"),
            "{error}"
        );
        // Nine bytes is past it, with or without a newline, named by its line.
        for text in ["1\n2\n3\n123456789\n4\n", "1\n2\n3\n123456789"] {
            let error = read_short_lines(text).unwrap_err();
            assert_eq!(error.line, Some(4), "{text:?}");
            assert!(error.message.contains("more than 8 bytes"), "{error}");
        }
        // A bad line before the long one in the same block is the error, named by its line.
        let error = read_short_lines("1\n2\nx\n123456789\n").unwrap_err();
        assert_eq!(error.line, Some(3));
        assert!(!error.message.contains("more than"), "{error}");
    }

    /// Kills the mutants of the line number of a read that fails (`self.line + 1`): a file that
    /// grows past its limit while it is read (here a reader bounded to 4 bytes, which the first
    /// fill of the buffer overruns) fails at the line being read, and says why.
    #[test]
    fn a_file_that_cannot_be_read_is_named_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("n.jsonl"), "1\n23456\n").unwrap();
        let mut lines = JsonLines::<u32>::open(dir.path(), "n.jsonl").unwrap();
        let file = fs::File::open(dir.path().join("n.jsonl")).unwrap();
        lines.reader = BufReader::new(Bounded::new(file, 4));
        let error = lines.next_block(2).unwrap_err();
        assert_eq!(error.line, Some(1));
        assert!(
            error
                .message
                .contains("more than a record file may hold (4 bytes)"),
            "{error}"
        );
    }

    /// Issue #22, finding 8: the bounded reader gives exactly `limit` bytes and fails at the
    /// next one, whatever its source says about its size.
    #[test]
    fn a_bounded_reader_stops_one_byte_past_its_limit() {
        let read = |data: &[u8], limit: u64| {
            let mut out = Vec::new();
            Bounded::new(data, limit)
                .read_to_end(&mut out)
                .map(|_| out)
                .map_err(file_error)
        };
        assert_eq!(read(b"12345678", 8).unwrap(), b"12345678");
        assert_eq!(read(b"", 0).unwrap(), b"");
        for (data, limit) in [(&b"123456789"[..], 8), (b"1", 0)] {
            match read(data, limit) {
                Err(FileError::TooLarge {
                    size: None,
                    limit: l,
                }) => assert_eq!(l, limit),
                other => panic!("{other:?}"),
            }
        }
        // A source with no end (what /dev/zero gives) stops there too.
        let mut out = Vec::new();
        let error = Bounded::new(std::io::repeat(0), 1000)
            .read_to_end(&mut out)
            .unwrap_err();
        assert!(matches!(file_error(error), FileError::TooLarge { .. }));
        assert!(out.len() <= 1001);
    }

    /// Issue #22, finding 8: a record file that is a symbolic link (to a regular file, or to
    /// /dev/zero), a FIFO, a device or a directory is refused by its type before anything is
    /// read from it, naming the file and its check; a file the user names may be a link to a
    /// regular file, never to anything else.
    #[cfg(unix)]
    #[test]
    fn record_files_must_be_regular_files_and_not_links() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("real.json"), "[]").unwrap();
        std::os::unix::fs::symlink(d.join("real.json"), d.join("tally.json")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", d.join("board.jsonl")).unwrap();
        let fifo = d.join("roll.json");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        fs::create_dir(d.join("result.json")).unwrap();
        let refused = |name: &str| read_text(d, name).unwrap_err();
        let e = refused("tally.json");
        assert_eq!(
            (e.check, e.file.ends_with("tally.json")),
            (CheckId::V9, true)
        );
        assert!(e.message.contains("is a symbolic link"), "{e}");
        let e = refused("board.jsonl");
        assert!(e.message.contains("is a symbolic link"), "{e}");
        assert_eq!(e.check, CheckId::V5);
        let e = JsonLines::<Entry>::open(d, "board.jsonl")
            .map(|_| ())
            .unwrap_err();
        assert!(e.message.contains("is a symbolic link"), "{e}");
        // Opening the FIFO would block until a writer came: it is refused without waiting.
        let e = refused("roll.json");
        assert!(e.message.contains("is a FIFO"), "{e}");
        assert_eq!(e.check, CheckId::V3);
        let e = refused("result.json");
        assert!(e.message.contains("is a directory"), "{e}");

        // Followed on request: the link to a regular file is read, a link to a device is not.
        assert_eq!(
            read_bounded(&d.join("tally.json"), 10, Links::Follow).unwrap(),
            b"[]"
        );
        assert!(matches!(
            read_bounded(&d.join("board.jsonl"), 10, Links::Follow),
            Err(FileError::NotRegular { kind: "a device" })
        ));
        assert!(matches!(
            read_bounded(Path::new("/dev/zero"), 10, Links::Refuse),
            Err(FileError::NotRegular { kind: "a device" })
        ));
        // A regular file over the limit is refused by its size.
        assert!(matches!(
            read_bounded(&d.join("real.json"), 1, Links::Refuse),
            Err(FileError::TooLarge {
                size: Some(2),
                limit: 1
            })
        ));
    }

    /// Issue #22, finding 1 (the directory rule): a record directory holding anything but its
    /// eight files is refused under V1, naming every other entry (escaped), before any file is
    /// read (here no record file is even there); the eight files alone pass this step.
    #[test]
    fn a_record_directory_holds_exactly_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir(d.join("private")).unwrap();
        fs::write(d.join("trustee-1.secret"), "x").unwrap();
        fs::write(d.join("evil\u{1b}[2J"), "x").unwrap();
        let error = ElectionRecord::read_without_board(d)
            .map(|_| ())
            .unwrap_err();
        assert_eq!((error.check, error.file.as_path()), (CheckId::V1, d));
        assert!(
            error
                .message
                .ends_with("also holds \"evil\\u{1b}[2J\", \"private\", \"trustee-1.secret\""),
            "{error}"
        );
        for name in ["private", "trustee-1.secret", "evil\u{1b}[2J"] {
            let path = d.join(name);
            if path.is_dir() {
                fs::remove_dir(path).unwrap();
            } else {
                fs::remove_file(path).unwrap();
            }
        }
        for (name, _) in FILES {
            fs::write(d.join(name), "").unwrap();
        }
        // Past the directory: record.json (empty) is read and refused as JSON.
        let error = ElectionRecord::read_without_board(d)
            .map(|_| ())
            .unwrap_err();
        assert!(error.file.ends_with("record.json"), "{error}");
        // More than ten others: ten are named.
        for i in 0..12 {
            fs::write(d.join(format!("x{i:02}")), "").unwrap();
        }
        let error = ElectionRecord::read_without_board(d)
            .map(|_| ())
            .unwrap_err();
        assert!(error.message.ends_with(", and more"), "{error}");
        assert_eq!(error.message.matches("\"x").count(), 10, "{error}");
    }

    /// Kills `replace || with && in ElectionRecord::read_without_board`: a record of another
    /// version, or of another format, is refused by its header before any other file is read.
    #[test]
    fn a_header_of_another_version_or_format_is_refused_first() {
        let dir = tempfile::tempdir().unwrap();
        let header = |format: &str, version: u16| RecordHeader {
            format: format.into(),
            version,
            election_id: "e".into(),
            base_hash: BaseHash([1; 32]),
            board_head: EntryDigest([2; 32]),
            board_entries: 0,
            board_signature: test_signature(),
        };
        for (format, version) in [
            (RECORD_FORMAT, PROTOCOL_VERSION + 1),
            ("another-record", PROTOCOL_VERSION),
        ] {
            write_json(dir.path(), "record.json", &header(format, version)).unwrap();
            let error = ElectionRecord::read_without_board(dir.path())
                .map(|_| ())
                .unwrap_err();
            assert!(error.file.ends_with("record.json"), "{error}");
            assert!(
                error
                    .message
                    .contains(&format!("record of version {version}")),
                "{error}"
            );
        }
        // Another version is named as such before the file's form is checked (here compact,
        // which another version's writer may write); this version's header in that form is
        // refused for it.
        for version in [PROTOCOL_VERSION + 1, PROTOCOL_VERSION] {
            let compact = serde_json::to_string(&header(RECORD_FORMAT, version)).unwrap();
            fs::write(dir.path().join("record.json"), compact).unwrap();
            let error = ElectionRecord::read_without_board(dir.path())
                .map(|_| ())
                .unwrap_err();
            let refused_for = if version == PROTOCOL_VERSION {
                "not in canonical form".to_string()
            } else {
                format!("record of version {version}")
            };
            assert!(error.message.contains(&refused_for), "{error}");
        }
        // With the header right, reading goes on to the next file (absent here).
        write_json(
            dir.path(),
            "record.json",
            &header(RECORD_FORMAT, PROTOCOL_VERSION),
        )
        .unwrap();
        let error = ElectionRecord::read_without_board(dir.path())
            .map(|_| ())
            .unwrap_err();
        assert!(error.file.ends_with("manifest.json"), "{error}");
    }
}
