//! The election as the record directory describes it: the manifest, and once the ceremony and
//! the registrar are done, the election (manifest, joint key, ceremony digest, roll) that every
//! ballot binds to, and the board.
//!
//! Every command that reads a record directory checks, before anything else, that it is one
//! this nullivote reads: if `record.json` is there (a published record), its format and version
//! must be this nullivote's and its election id the manifest's.

use std::path::{Path, PathBuf};

use nullivote::Election;
use nullivote::board::EntryDigest;
use nullivote::credential::Roll;
use nullivote::hazmat::transcript::PROTOCOL_VERSION;
use nullivote::manifest::{ChannelIndex, Manifest};
use nullivote::record::{Ceremony, RECORD_FORMAT, RecordHeader};
use nullivote::tally::Tally;
use nullivote::{
    AuthorityKey,
    board::{Board, BoardState, Entry, ResumeError, verify_chain},
};

use crate::files::{
    Fail, Outcome, absent, parse_json, read_json, read_lines_or_empty, read_tail, read_text,
    replace,
};
use nullivote::record::max_board_line_bytes;

/// The subdirectories the command line writes working files into: the trustees' broadcast
/// packages and the decryption shares.
/// The board's admission state, a working file of the board operator (see
/// [`Context::board`]); `publish` removes it.
pub const BOARD_STATE_FILE: &str = "board.state";

pub const SUBDIRECTORIES: [&str; 2] = ["ceremony", "shares"];

/// The record directory.
pub struct Dir(PathBuf);

impl Dir {
    /// A record directory, which must exist.
    pub fn open(path: &Path) -> Outcome<Self> {
        if !path.is_dir() {
            return Err(Fail::file(path, "no such record directory"));
        }
        let dir = Self(path.to_path_buf());
        dir.check_subdirectories()?;
        Ok(dir)
    }

    /// The working subdirectories, where they exist, are directories of their own, not
    /// symbolic links (which would make a command read, or write a package or share, elsewhere
    /// than in the record directory); the files in them are checked when they are read.
    fn check_subdirectories(&self) -> Outcome {
        for name in SUBDIRECTORIES {
            let path = self.file(name);
            match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => {}
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(Fail::file(
                        &path,
                        "is a symbolic link; a record directory's subdirectories must be \
                         directories of their own",
                    ));
                }
                Ok(_) => return Err(Fail::file(&path, "is not a directory")),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Fail::file(&path, format!("cannot read: {e}"))),
            }
        }
        Ok(())
    }

    /// A record directory to write into, created if needed.
    pub fn create(path: &Path) -> Outcome<Self> {
        std::fs::create_dir_all(path)
            .map_err(|e| Fail::file(path, format!("cannot create the directory: {e}")))?;
        Ok(Self(path.to_path_buf()))
    }

    /// A file of the record.
    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `manifest.json`, after checking `record.json` if there is one.
    pub fn manifest(&self) -> Outcome<Manifest> {
        let path = self.file("manifest.json");
        let manifest: Manifest = read_json(&path, "manifest")?;
        if let Some(header) = self.header()?
            && header.election_id != manifest.election_id()
        {
            return Err(Fail::file(
                &self.file("record.json"),
                format!(
                    "is the record of election {:?}, but manifest.json is election {:?}",
                    header.election_id,
                    manifest.election_id()
                ),
            ));
        }
        Ok(manifest)
    }

    /// `record.json`, if the record was published: only this nullivote's format and version.
    pub fn header(&self) -> Outcome<Option<RecordHeader>> {
        let path = self.file("record.json");
        if absent(&path) {
            return Ok(None);
        }
        let text = read_text(&path)?;
        // The version first, whatever else changed in another version's header.
        let value: serde_json::Value = parse_json(&path, &text, "record header")?;
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        let format = value.get("format").and_then(serde_json::Value::as_str);
        if format != Some(RECORD_FORMAT) {
            return Err(Fail::file(
                &path,
                format!("not a nullivote record header (its format is not {RECORD_FORMAT:?})"),
            ));
        }
        if version != Some(u64::from(PROTOCOL_VERSION)) {
            let found = version.map_or_else(|| "no".to_string(), |v| v.to_string());
            return Err(Fail::file(
                &path,
                format!(
                    "a record of version {found}; this nullivote reads version {PROTOCOL_VERSION}"
                ),
            ));
        }
        parse_json(&path, &text, "record header").map(Some)
    }

    /// The election: manifest, `ceremony.json` (re-verified) and `roll.json`.
    pub fn election(&self) -> Outcome<Context> {
        let manifest = self.manifest()?;
        let path = self.file("ceremony.json");
        let ceremony: Ceremony = read_json(&path, "key ceremony")?;
        if *ceremony.public.manifest_digest() != manifest.digest() {
            return Err(Fail::file(
                &path,
                "the key ceremony was run for another manifest than manifest.json",
            ));
        }
        match ceremony.transcript.verify(&manifest) {
            Ok(public) if public == ceremony.public => {}
            Ok(_) => {
                return Err(Fail::file(
                    &path,
                    "the published key set is not the one its packages give",
                ));
            }
            Err(e) => return Err(Fail::file(&path, format!("the ceremony fails: {e}"))),
        }
        let roll: Roll = read_json(&self.file("roll.json"), "roll")?;
        let election = Election::new(
            manifest.clone(),
            ceremony.public.election_key(),
            ceremony.public.ceremony_digest(),
            roll,
        );
        if let Some(header) = self.header()?
            && header.base_hash != *election.base_hash()
        {
            return Err(Fail::file(
                &self.file("record.json"),
                "its base hash is not that of manifest.json, ceremony.json and roll.json: it is \
                 the record of another election",
            ));
        }
        Ok(Context {
            dir: Dir(self.0.clone()),
            manifest,
            ceremony,
            election,
        })
    }
}

/// An election set up in a record directory.
pub struct Context {
    /// The directory.
    pub dir: Dir,
    /// `manifest.json`.
    pub manifest: Manifest,
    /// `ceremony.json`.
    pub ceremony: Ceremony,
    /// The election the ballots bind to.
    pub election: Election,
}

impl Context {
    /// The index of the channel named `name`.
    pub fn channel(&self, name: &str) -> Outcome<ChannelIndex> {
        self.manifest.channel_index(name).ok_or_else(|| {
            let names: Vec<&str> = self
                .manifest
                .channels()
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            Fail::input(format!(
                "--channel {name:?}: the manifest has no such channel (it has {})",
                names.join(", ")
            ))
        })
    }

    /// `board.jsonl` (no file: an empty board), checked to belong to this election.
    pub fn entries(&self) -> Outcome<Vec<Entry>> {
        let path = self.dir.file("board.jsonl");
        let entries: Vec<Entry> = read_lines_or_empty(&path, "board entry")?;
        if let Some(first) = entries.first()
            && first.previous != EntryDigest::genesis(self.election.base_hash())
        {
            return Err(Fail::file(
                &path,
                "line 1: the board does not start from this election's base hash: it is the \
                 board of another election (or manifest.json, ceremony.json or roll.json changed)",
            ));
        }
        Ok(entries)
    }

    /// The board operator's signing key from `--board-secret FILE`: the manifest's board key,
    /// or a usage error (exit 2) before anything is done.
    pub fn board_key(&self, path: &Path) -> Outcome<AuthorityKey> {
        crate::setup::read_office_key(
            path,
            "--board-secret",
            "board operator",
            self.manifest.authorities().board,
            &self.manifest,
        )
    }

    /// The administrator's signing key from `--admin-secret FILE`: the manifest's
    /// administrator key, or a usage error (exit 2) before anything is done.
    pub fn administrator_key(&self, path: &Path) -> Outcome<AuthorityKey> {
        crate::setup::read_office_key(
            path,
            "--admin-secret",
            "administrator",
            self.manifest.authorities().administrator,
            &self.manifest,
        )
    }

    /// The live board, signing with the board operator's `key` (from [`Context::board_key`]).
    ///
    /// It is reopened from `board.state` (the board's admission state, [`Board::snapshot`])
    /// when that is the state of `board.jsonl` as it is: the length of `board.jsonl` it
    /// records is the file's, and the file's last line is the entry the state ends with (its
    /// position and digest). Then no other entry is read or re-verified, and the board holds
    /// only what it appends. An earlier line changed in place (same length) is not seen here:
    /// the chain the published record carries no longer links there, which `verify` reports
    /// (V4), as does every command that re-verifies the whole board (`tally`). Otherwise (no
    /// state, a damaged one, or a log that moved on: a command killed between the two writes)
    /// the whole board is read and re-verified as before, and a board whose chain does not
    /// verify is not served (fail-stop); the next write saves a fresh state.
    pub fn board(&self, key: AuthorityKey) -> Outcome<Board> {
        let path = self.dir.file("board.jsonl");
        if let Some(board) = self.board_from_state(&key)? {
            return Ok(board);
        }
        let entries = self.entries()?;
        Board::resume(self.election.clone(), key, entries).map_err(|e| match e {
            ResumeError::Chain(errors) => chain_failure(&path, &errors),
            other => Fail::input(format!("--board-secret: {other}")),
        })
    }

    /// The board from `board.state`, if that is the state of `board.jsonl` (see
    /// [`Context::board`]); `None` to read the whole board instead.
    fn board_from_state(&self, key: &AuthorityKey) -> Outcome<Option<Board>> {
        let state_path = self.dir.file(BOARD_STATE_FILE);
        let log = self.dir.file("board.jsonl");
        if absent(&state_path) {
            return Ok(None);
        }
        let Ok(bytes) = std::fs::read(&state_path) else {
            return Ok(None);
        };
        let log_len = if absent(&log) {
            0
        } else {
            std::fs::metadata(&log)
                .map_err(|e| Fail::file(&log, format!("cannot read: {e}")))?
                .len()
        };
        let Some((recorded, snapshot)) = bytes.split_first_chunk::<8>() else {
            return Ok(None);
        };
        if u64::from_be_bytes(*recorded) != log_len {
            return Ok(None);
        }
        // The key is not `Clone` (a secret): the snapshot's board gets its own copy.
        let Ok(copy) = AuthorityKey::from_bytes(&key.to_bytes()[..]) else {
            return Ok(None);
        };
        let Ok(board) = Board::from_snapshot(self.election.clone(), copy, snapshot) else {
            return Ok(None);
        };
        let last = match board.entry_count().checked_sub(1) {
            None => return Ok((log_len == 0).then_some(board)),
            Some(last) => last,
        };
        let bound = max_board_line_bytes(&self.manifest);
        let tail = read_tail(&log, log_len, bound + 1)?;
        let line = tail
            .strip_suffix(b"\n")
            .and_then(|t| t.rsplit(|&b| b == b'\n').next());
        let entry = line.and_then(|l| serde_json::from_slice::<Entry>(l).ok());
        Ok(entry
            .filter(|e| e.position == last && e.digest() == board.head())
            .map(|_| board))
    }

    /// Saves the board's admission state for the next command, after `board.jsonl` (whose
    /// length it records) has been written.
    pub fn save_state(&self, board: &Board) -> Outcome {
        let log = self.dir.file("board.jsonl");
        let len = std::fs::metadata(&log)
            .map_err(|e| Fail::file(&log, format!("cannot read: {e}")))?
            .len();
        let mut bytes = len.to_be_bytes().to_vec();
        bytes.extend_from_slice(&board.snapshot());
        replace(&self.dir.file(BOARD_STATE_FILE), &bytes, false)
    }

    /// The board's entries, re-verified, and the state they leave.
    pub fn replay(&self) -> Outcome<(Vec<Entry>, BoardState)> {
        let entries = self.entries()?;
        let state = verify_chain(&self.election, &entries, None)
            .map_err(|errors| chain_failure(&self.dir.file("board.jsonl"), &errors))?;
        Ok((entries, state))
    }

    /// The tally of the closed board (its counts of refusals are the board's refusal entries).
    pub fn tally(&self) -> Outcome<(Vec<Entry>, Tally)> {
        let (entries, state) = self.replay()?;
        if !state.voting_closed() {
            return Err(Fail::file(
                &self.dir.file("board.jsonl"),
                format!(
                    "voting is still open; the administrator closes it first with `nullivote \
                     close {} --voting --admin-secret FILE --board-secret FILE`",
                    self.dir.path().display()
                ),
            ));
        }
        let tally = Tally::compute(&self.election, &entries, state.cast())
            .map_err(|e| Fail::file(&self.dir.file("board.jsonl"), e))?;
        Ok((entries, tally))
    }

    /// The published `tally.json`, which must be the tally of the board.
    pub fn checked_tally(&self) -> Outcome<(Vec<Entry>, Tally)> {
        let (entries, tally) = self.tally()?;
        let path = self.dir.file("tally.json");
        let published: Tally = read_json(&path, "tally")?;
        if published != tally {
            return Err(Fail::file(
                &path,
                format!(
                    "is not the tally of board.jsonl; run `nullivote tally {}` again",
                    self.dir.path().display()
                ),
            ));
        }
        Ok((entries, tally))
    }
}

fn chain_failure(path: &Path, errors: &[nullivote::board::ChainError]) -> Fail {
    let more = match errors.len() {
        0 | 1 => String::new(),
        n => format!(" (and {} more problems)", n - 1),
    };
    match errors.first() {
        Some(e) => Fail::file(path, format!("{e}{more}")),
        None => Fail::file(path, "the board does not verify"),
    }
}
