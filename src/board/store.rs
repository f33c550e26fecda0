//! A persistent bulletin board: the [`Board`] of one election, backed by an append-only log on
//! disk, that acknowledges nothing before it is durable.
//!
//! [`DurableBoard::open`] reads the log, drops a torn final write, re-verifies the whole chain
//! ([`Board::resume`]) and serves the board only if it verifies (fail-stop). Every accepted
//! submission is appended to the log and `fsync`ed (`File::sync_data`) before its [`Receipt`] is
//! returned; a resubmitted ballot gets its original receipt and writes nothing.
//!
//! # Why an append-only file, not an embedded database
//!
//! * The board is already an append-only hash chain: every entry names its position and the
//!   digest of the one before it, so the chain itself detects damage, deletion and reordering. A
//!   database would add a second, weaker integrity layer (page checksums) under it, not replace
//!   the chain check that must run on every start anyway.
//! * One writer appends, never updates or deletes, and reads everything once at start: the
//!   access pattern of a log, not of a B-tree. Durability needs exactly one `write` and one
//!   `fsync` per acknowledgement (a batch shares one `fsync`), the same as SQLite's WAL mode at
//!   its safest setting, with nothing else between the bytes and the disk.
//! * No C dependency (SQLite is C; `rusqlite` bundles or links it) in a crate that forbids
//!   `unsafe`, and nothing to configure wrongly (`synchronous=FULL`, journal mode, locking).
//! * The log is the board: anyone can re-verify it from its bytes with this documented layout,
//!   with no database engine of a given version.
//!
//! # Layout
//!
//! A directory holds `board.log`: the chain, refusals included (they are entries, kind 4).
//!
//! ```text
//! board.log = header ‖ record*
//! header    = "nullivote/board/1\n" (18 bytes) ‖ base hash (32 bytes)            50 bytes
//! record    = u32be(n) ‖ body (n bytes) ‖ digest (32 bytes)                     n + 36 bytes
//! body      = u64be(position) ‖ previous (32 bytes) ‖ kind u8 ‖ payload (n − 41 bytes)
//! digest    = SHA-256( u64be(len(tag)) ‖ tag ‖ body ),   tag = "nullivote/1/board-entry"
//! ```
//!
//! The body is exactly the [`Entry`]: its position, the digest of the previous entry (the base
//! hash for position 0), the payload's kind byte ([`Payload::kind`]) and its binary encoding
//! ([`Payload::encode`]). So `digest` is the entry's chain digest ([`Entry::digest`]): each
//! record checks itself, and the next record's `previous` checks it again. `41 ≤ n ≤`
//! [`MAX_RECORD_BODY`]. All integers are big-endian. The header binds the file to one election.
//!
//! # Recovery
//!
//! Records are read in order. The first record that is incomplete (its length, body or digest
//! runs past the end of the file), has a length out of bounds, or whose digest does not match
//! its body is either a torn write or damage:
//!
//! * if no complete, self-consistent record (length in bounds, a position at least the bad
//!   record's and at most as far beyond it as the tail has bytes, which any genuine later
//!   record satisfies, a matching digest) starts anywhere after it, it is the remains of the last,
//!   unacknowledged append (a torn write, or zeros a crash left at the end): it is cut off
//!   (`set_len`, then `fsync`);
//! * otherwise a record in the middle of the board is damaged, which no crash can cause: the
//!   board is not served ([`StoreError::Damaged`] names the position and byte offset).
//!
//! A record whose digest matches but whose payload does not decode, a chain that does not verify
//! ([`StoreError::Chain`]), and a header of another election are refused too. Nothing is
//! truncated unless the board is served. Before serving, the log is `fsync`ed, so a record a
//! killed writer wrote but had not yet synced is durable before its receipt is re-sent.
//!
//! The last record cannot be told apart from a torn write if its own bytes are damaged after it
//! was acknowledged (bit rot): it is then cut off like a torn write. Every receipt names the
//! position and digest of its entry, and the published head is what voters and verifiers check,
//! so such a loss is detectable outside the machine; keeping the log on redundant storage is the
//! operator's part.
//!
//! # Failures while running
//!
//! If a write or an `fsync` fails, the entry is not acknowledged, the log is cut back to its
//! last acknowledged length (best effort), the in-memory board drops the entry, and the handle
//! stops: every later submission gets [`StoreError::Stopped`]. After a failed `fsync` the kernel
//! may have dropped the dirty pages and a retry can falsely succeed (PostgreSQL's "fsyncgate"),
//! so the only safe continuation is to reopen, which re-reads what is really on disk. An entry
//! that was not acknowledged may then be absent or present (once); resubmitting it is safe.
//!
//! # Refusals
//!
//! A refused submission is an entry of the chain ([`super::refusal`]), written and `fsync`ed
//! like any other before its signed refusal receipt is returned: a board that signed a refusal
//! and lost it would hold the evidence of its own dropping. The cost (an `fsync` per refusal, or
//! one per batch) is the price of answering for refusals; limiting how fast one client may
//! submit is the server's job.
//!
//! # One writer
//!
//! Exactly one process may open a directory at a time; the operator's supervisor ensures it (the
//! standard library of the supported Rust version has no portable file lock).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::{
    AuthorityKey, Board, ChainErrors, Close, ENTRY_TAG, Entry, Payload, Receipt, Refused,
    ResumeError, Signature,
};
use crate::ballot::{Ballot, SpoiledBallot};
use crate::digest::EntryDigest;
use crate::election::{BaseHash, Election};

/// The name of the chain's log in a board directory.
pub const LOG_FILE: &str = "board.log";
/// The first bytes of a board log.
pub const MAGIC: &[u8; 18] = b"nullivote/board/1\n";
/// The length of a board log's header: the magic and the base hash.
pub const HEADER_LEN: u64 = 18 + 32;
/// The largest body a record may have (64 MiB; a ballot of the largest manifest is far smaller).
pub const MAX_RECORD_BODY: u32 = 1 << 26;
/// The smallest body: position, previous, kind.
const MIN_BODY: u32 = 8 + 32 + 1;
/// Length prefix and digest around a body.
const FRAME_OVERHEAD: u64 = 4 + 32;

/// Why a board store cannot be opened or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file system failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The file does not begin with a board log's header.
    #[error("{} is not a nullivote board log", path.display())]
    NotABoard {
        /// The file.
        path: PathBuf,
    },
    /// The log belongs to another election.
    #[error(
        "{} holds the board of another election (base hash {})",
        path.display(),
        hex::encode(.found.as_bytes())
    )]
    OtherElection {
        /// The file.
        path: PathBuf,
        /// The base hash in its header.
        found: BaseHash,
    },
    /// A record before the end of the log is damaged: not a torn write, so the board is not
    /// served.
    #[error(
        "{}: board entry {position} (byte {offset}) is damaged: {problem}; a crash can only tear the last entry, so the board is not served",
        path.display()
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// The damaged entry's position.
        position: u64,
        /// Its byte offset in the file.
        offset: u64,
        /// What is wrong.
        problem: String,
    },
    /// The chain read from disk does not verify: the board is not served.
    #[error("the board's chain does not verify: {0}")]
    Chain(ChainErrors),
    /// The signing key given is not the manifest's board key.
    #[error("the signing key given is not the board key the manifest names")]
    NotTheBoardKey,
    /// An earlier write failed; this handle serves nothing more. Reopen the board.
    #[error("the board stopped after a failed write ({reason}); reopen it")]
    Stopped {
        /// The failure that stopped it.
        reason: String,
    },
}

/// Why a submission to a [`DurableBoard`] got no receipt.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// The board's rules refused it (as [`Board`] would); the refusal entry is durable.
    #[error(transparent)]
    Refused(#[from] Box<Refused>),
    /// The store failed: nothing was acknowledged.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What [`DurableBoard::open`] found and repaired.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Entries read back and re-verified.
    pub entries: u64,
    /// Bytes of a torn final record cut off the log (0 if the log ended cleanly).
    pub torn_bytes: u64,
    /// Whether the log was created by this open.
    pub created: bool,
}

/// A [`Board`] whose every entry is on disk before it is acknowledged.
pub struct DurableBoard {
    board: Board,
    dir: PathBuf,
    log: File,
    /// The length of the log up to the last acknowledged record.
    log_len: u64,
    recovery: Recovery,
    stopped: Option<String>,
}

/// The digest of a record body: the entry's chain digest.
fn body_digest(body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((ENTRY_TAG.len() as u64).to_be_bytes());
    h.update(ENTRY_TAG);
    h.update(body);
    h.finalize().into()
}

fn frame(entry: &Entry, digest: &EntryDigest, out: &mut Vec<u8>) {
    let payload = entry.payload.to_bytes();
    // A payload past u32::MAX would be refused on reading anyway; saturate rather than wrap.
    let n = u32::try_from(payload.len() + MIN_BODY as usize).unwrap_or(u32::MAX);
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&entry.position.to_be_bytes());
    out.extend_from_slice(entry.previous.as_bytes());
    out.push(entry.payload.kind());
    out.extend_from_slice(&payload);
    out.extend_from_slice(digest.as_bytes());
}

/// The bytes of `entry`'s record in a board log (see the module's layout).
pub fn encode_record(entry: &Entry) -> Vec<u8> {
    let mut out = Vec::new();
    frame(entry, &entry.digest(), &mut out);
    out
}

/// One record as read, before its payload is decoded.
struct RawRecord {
    offset: u64,
    position: u64,
    previous: [u8; 32],
    kind: u8,
    payload: Vec<u8>,
    digest: [u8; 32],
}

/// Checks the record starting at `bytes[0]`, if it is complete and consistent: its length.
fn check_frame(bytes: &[u8]) -> Result<usize, &'static str> {
    let Some(len) = bytes.get(..4) else {
        return Err("incomplete length");
    };
    let n = u32::from_be_bytes(len.try_into().unwrap_or_default());
    if !(MIN_BODY..=MAX_RECORD_BODY).contains(&n) {
        return Err("length out of bounds");
    }
    let n = n as usize;
    let total = 4 + n + 32;
    if bytes.len() < total {
        return Err("incomplete record");
    }
    if body_digest(&bytes[4..4 + n]) != bytes[4 + n..total] {
        return Err("digest does not match");
    }
    Ok(total)
}

/// Whether a complete, self-consistent record of position `position` or later starts anywhere in
/// `tail` after its first byte (the bad record's start).
fn later_record_in(tail: &[u8], position: u64) -> bool {
    (1..tail.len()).any(|k| {
        let rest = &tail[k..];
        let plausible = rest.len() >= 4 + MIN_BODY as usize + 32
            && rest[4..12]
                .try_into()
                .map(u64::from_be_bytes)
                .is_ok_and(|p| p >= position && p - position <= tail.len() as u64);
        plausible && check_frame(rest).is_ok()
    })
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Makes a directory entry (a created or renamed file) durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Creates an empty log atomically: header to a temporary file, `fsync`, rename, `fsync` the
/// directory. A crash leaves either no log or a complete header.
fn create_log(dir: &Path, base_hash: &BaseHash) -> Result<(), StoreError> {
    let tmp = dir.join(format!("{LOG_FILE}.new"));
    let mut file = File::create(&tmp).map_err(io_error(&tmp))?;
    let mut header = MAGIC.to_vec();
    header.extend_from_slice(base_hash.as_bytes());
    file.write_all(&header)
        .and_then(|()| file.sync_all())
        .map_err(io_error(&tmp))?;
    drop(file);
    let path = dir.join(LOG_FILE);
    fs::rename(&tmp, &path).map_err(io_error(&path))?;
    sync_dir(dir)
}

/// Reads the header and every intact record; returns the records and where the intact part
/// ends (the file's length if nothing is torn).
fn read_log(
    path: &Path,
    file: &File,
    base_hash: &BaseHash,
) -> Result<(Vec<RawRecord>, u64), StoreError> {
    let err = io_error(path);
    let file_len = file.metadata().map_err(&err)?.len();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    reader.seek(SeekFrom::Start(0)).map_err(&err)?;
    let mut header = [0u8; HEADER_LEN as usize];
    if file_len < HEADER_LEN {
        return Err(StoreError::NotABoard {
            path: path.to_path_buf(),
        });
    }
    reader.read_exact(&mut header).map_err(&err)?;
    if header[..MAGIC.len()] != MAGIC[..] {
        return Err(StoreError::NotABoard {
            path: path.to_path_buf(),
        });
    }
    let found = BaseHash(header[MAGIC.len()..].try_into().unwrap_or_default());
    if found != *base_hash {
        return Err(StoreError::OtherElection {
            path: path.to_path_buf(),
            found,
        });
    }

    let mut records = Vec::new();
    let mut offset = HEADER_LEN;
    'records: while offset < file_len {
        let remaining = file_len - offset;
        let problem = 'frame: {
            if remaining < 4 {
                break 'frame "incomplete length";
            }
            let mut len = [0u8; 4];
            reader.read_exact(&mut len).map_err(&err)?;
            let n = u32::from_be_bytes(len);
            if !(MIN_BODY..=MAX_RECORD_BODY).contains(&n) {
                break 'frame "length out of bounds";
            }
            if remaining < u64::from(n) + FRAME_OVERHEAD {
                break 'frame "incomplete record";
            }
            let mut body = vec![0u8; n as usize];
            let mut digest = [0u8; 32];
            reader.read_exact(&mut body).map_err(&err)?;
            reader.read_exact(&mut digest).map_err(&err)?;
            if body_digest(&body) != digest {
                break 'frame "digest does not match";
            }
            let position = u64::from_be_bytes(body[..8].try_into().unwrap_or_default());
            let previous = body[8..40].try_into().unwrap_or_default();
            let kind = body[40];
            body.drain(..41);
            records.push(RawRecord {
                offset,
                position,
                previous,
                kind,
                payload: body,
                digest,
            });
            offset += u64::from(n) + FRAME_OVERHEAD;
            continue 'records;
        };
        // A bad record: a torn tail if nothing intact follows it, damage otherwise.
        let mut tail = Vec::new();
        reader.seek(SeekFrom::Start(offset)).map_err(&err)?;
        reader.read_to_end(&mut tail).map_err(&err)?;
        let position = records.len() as u64;
        if later_record_in(&tail, position) {
            return Err(StoreError::Damaged {
                path: path.to_path_buf(),
                position,
                offset,
                problem: problem.to_string(),
            });
        }
        return Ok((records, offset));
    }
    Ok((records, offset))
}

impl DurableBoard {
    /// Opens (or creates) the board of `election` in `dir`, signing with the board `key`: reads
    /// the log, cuts off a torn final record, re-verifies the whole chain and serves the board
    /// only if it verifies.
    ///
    /// # Errors
    /// [`StoreError::NotTheBoardKey`] for a key that is not the manifest's board key (checked
    /// first), [`StoreError::Damaged`] for a damaged record before the end,
    /// [`StoreError::Chain`] for a chain that does not verify, [`StoreError::NotABoard`] or
    /// [`StoreError::OtherElection`] for a wrong header, [`StoreError::Io`]. Nothing on disk is
    /// changed unless the board is served.
    pub fn open(
        dir: impl AsRef<Path>,
        election: Election,
        key: AuthorityKey,
    ) -> Result<Self, StoreError> {
        if key.public() != election.manifest().authorities().board {
            return Err(StoreError::NotTheBoardKey);
        }
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        let path = dir.join(LOG_FILE);
        let mut recovery = Recovery::default();
        if !path.exists() {
            create_log(&dir, election.base_hash())?;
            recovery.created = true;
        }
        let mut log = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io_error(&path))?;
        let file_len = log.metadata().map_err(io_error(&path))?.len();
        let (raw, intact) = read_log(&path, &log, election.base_hash())?;

        let decoded: Vec<Result<Entry, StoreError>> = raw
            .par_iter()
            .enumerate()
            .map(|(i, r)| {
                Payload::from_bytes(r.kind, &r.payload)
                    .map(|payload| Entry {
                        position: r.position,
                        previous: EntryDigest(r.previous),
                        payload,
                    })
                    .map_err(|e| StoreError::Damaged {
                        path: path.clone(),
                        position: i as u64,
                        offset: r.offset,
                        problem: format!("its payload does not decode: {e}"),
                    })
            })
            .collect();
        let entries = decoded.into_iter().collect::<Result<Vec<_>, _>>()?;
        let last = raw.last().map(|r| (EntryDigest(r.digest), r.offset));
        drop(raw);
        let board = Board::resume(election, key, entries).map_err(|e| match e {
            ResumeError::Chain(errors) => StoreError::Chain(errors),
            ResumeError::Key(_) => StoreError::NotTheBoardKey,
        })?;
        if let Some((digest, offset)) = last
            && digest != board.head()
        {
            // The payload decoded to something that encodes differently: not what was written.
            let position = board.entries().len() as u64 - 1;
            return Err(StoreError::Damaged {
                path,
                position,
                offset,
                problem: "its payload is not in canonical form".to_string(),
            });
        }

        // Served: cut off the torn tails, and make everything that will be acknowledged durable.
        if intact < file_len {
            log.set_len(intact).map_err(io_error(&path))?;
            recovery.torn_bytes = file_len - intact;
        }
        log.sync_all().map_err(io_error(&path))?;
        log.seek(SeekFrom::Start(intact)).map_err(io_error(&path))?;
        recovery.entries = board.entries().len() as u64;

        if recovery.created {
            sync_dir(&dir)?;
        }

        Ok(Self {
            board,
            dir,
            log,
            log_len: intact,
            recovery,
            stopped: None,
        })
    }

    /// The board, for reading: entries, head, phase.
    pub fn board(&self) -> &Board {
        &self.board
    }

    /// What opening found and repaired.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// The board's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether a failed write stopped this handle.
    pub fn stopped(&self) -> bool {
        self.stopped.is_some()
    }

    /// Submits a ballot ([`Board::submit`]); its receipt is returned once its entry is durable.
    /// An identical ballot already on the board gets its original receipt and writes nothing.
    ///
    /// # Errors
    /// The [`Refused`] submission (its refusal entry durable), or a [`StoreError`] (nothing
    /// acknowledged).
    pub fn submit(&mut self, ballot: Ballot) -> Result<Receipt, SubmitError> {
        Ok(self.durably(|b| b.submit(ballot))??)
    }

    /// Submits many ballots ([`Board::submit_batch`]); their entries (admitted or refused) are
    /// written with one `fsync` before any receipt is returned.
    ///
    /// # Errors
    /// A [`StoreError`]: then no receipt of the batch is acknowledged.
    pub fn submit_batch(
        &mut self,
        ballots: Vec<Ballot>,
    ) -> Result<Vec<Result<Receipt, Box<Refused>>>, StoreError> {
        self.durably(|b| b.submit_batch(ballots))
    }

    /// Records a Benaloh challenge ([`Board::challenge`]), durably.
    ///
    /// # Errors
    /// The [`Refused`] challenge, or a [`StoreError`] (nothing acknowledged).
    pub fn challenge(&mut self, spoiled: &SpoiledBallot) -> Result<Receipt, SubmitError> {
        Ok(self.durably(|b| b.challenge(spoiled))??)
    }

    /// Appends the administrator's signed close ([`Board::close`]), durably.
    ///
    /// # Errors
    /// The `Refusal` (nothing written), or a [`StoreError`] (nothing acknowledged).
    pub fn close(&mut self, close: Payload) -> Result<Receipt, SubmitError> {
        Ok(self
            .durably(|b| b.close(close))?
            .map_err(|r| Box::new(Refused::from(r)))?)
    }

    /// Closes as `administrator` ([`Board::close_as`]), durably.
    ///
    /// # Errors
    /// As [`DurableBoard::close`].
    pub fn close_as(
        &mut self,
        administrator: &AuthorityKey,
        close: Close,
    ) -> Result<Receipt, SubmitError> {
        Ok(self
            .durably(|b| b.close_as(administrator, close))?
            .map_err(|r| Box::new(Refused::from(r)))?)
    }

    /// The board's signature of its final head, once voting has closed
    /// ([`Board::final_signature`]).
    pub fn final_signature(&self) -> Option<Signature> {
        self.board.final_signature()
    }

    /// Runs `op` on the board, then makes its new entries durable before returning its result;
    /// on a failed write, takes them back out and stops.
    fn durably<T>(&mut self, op: impl FnOnce(&mut Board) -> T) -> Result<T, StoreError> {
        if let Some(reason) = &self.stopped {
            return Err(StoreError::Stopped {
                reason: reason.clone(),
            });
        }
        let before = self.board.entries().len();
        let out = op(&mut self.board);
        self.persist(before)?;
        Ok(out)
    }

    /// Appends the entries from `before` on to the log with one `write` and one `fsync`.
    fn persist(&mut self, before: usize) -> Result<(), StoreError> {
        let entries = self.board.entries();
        if entries.len() == before {
            return Ok(());
        }
        let mut buf = Vec::new();
        for (i, entry) in entries.iter().enumerate().skip(before) {
            // Each entry's digest is the next one's `previous`, the last one's is the head.
            let digest = entries.get(i + 1).map_or(self.board.head(), |e| e.previous);
            frame(entry, &digest, &mut buf);
        }
        let written = self.log.write_all(&buf).and_then(|()| self.log.sync_data());
        match written {
            Ok(()) => {
                self.log_len += buf.len() as u64;
                Ok(())
            }
            Err(source) => {
                self.roll_back(before);
                let path = self.dir.join(LOG_FILE);
                self.stopped = Some(format!("{}: {source}", path.display()));
                Err(StoreError::Io { path, source })
            }
        }
    }

    /// After a failed write: cut the log back (best effort: the handle stops anyway) and rebuild
    /// the in-memory board without the unacknowledged entries.
    fn roll_back(&mut self, before: usize) {
        let _ = self.log.set_len(self.log_len);
        let _ = self.log.seek(SeekFrom::Start(self.log_len));
        self.board.truncate(before);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::prepare;
    use crate::board::Refusal;
    use crate::testing::{ONLINE, POSTAL, SUNAK, TRUSS, TestElection, test_rng};

    fn log_of(dir: &Path) -> Vec<u8> {
        fs::read(dir.join(LOG_FILE)).unwrap()
    }

    fn ballots(t: &TestElection, n: usize) -> Vec<Ballot> {
        (0..n)
            .map(|v| t.ballot(v, ONLINE, TRUSS, 100 + v as u64))
            .collect()
    }

    #[test]
    fn the_record_digest_is_the_entry_digest() {
        let t = TestElection::leadership(1, 40);
        let mut board = t.board();
        board.submit(t.ballot(0, ONLINE, TRUSS, 1)).unwrap();
        board
            .close_as(&t.administrator_key, Close::Channel(POSTAL))
            .unwrap();
        board.close_as(&t.administrator_key, Close::Voting).unwrap();
        for entry in board.entries() {
            let record = encode_record(entry);
            let n = u32::from_be_bytes(record[..4].try_into().unwrap()) as usize;
            assert_eq!(record.len(), n + 36);
            assert_eq!(body_digest(&record[4..4 + n]), entry.digest().0);
            assert_eq!(&record[4 + n..], entry.digest().as_bytes());
            assert_eq!(check_frame(&record), Ok(record.len()));
        }
    }

    #[test]
    fn a_reopened_board_continues_its_chain_and_resends_receipts() {
        let t = TestElection::leadership(4, 41);
        let dir = tempfile::tempdir().unwrap();
        let b = ballots(&t, 4);
        let (receipts, head) = {
            let mut board =
                DurableBoard::open(dir.path(), t.election.clone(), t.new_board_key()).unwrap();
            assert!(board.recovery().created);
            let receipts: Vec<Receipt> = b[..3]
                .iter()
                .map(|x| board.submit(x.clone()).unwrap())
                .collect();
            // A resubmission gets the original receipt and writes nothing.
            let len = log_of(dir.path()).len();
            assert_eq!(board.submit(b[1].clone()).unwrap(), receipts[1]);
            assert_eq!(log_of(dir.path()).len(), len);
            (receipts, board.board().head())
        };
        let mut board =
            DurableBoard::open(dir.path(), t.election.clone(), t.new_board_key()).unwrap();
        assert_eq!(
            *board.recovery(),
            Recovery {
                entries: 3,
                ..Recovery::default()
            }
        );
        assert_eq!(board.board().head(), head);
        let len = log_of(dir.path()).len();
        for (ballot, receipt) in b.iter().zip(&receipts) {
            assert_eq!(board.submit(ballot.clone()).unwrap(), *receipt);
        }
        assert_eq!(log_of(dir.path()).len(), len, "resubmissions write nothing");
        let fourth = board.submit(b[3].clone()).unwrap();
        assert_eq!(fourth.position, 3);
        assert_eq!(board.board().entries()[3].previous, head);
        board
            .close_as(&t.administrator_key, Close::Channel(POSTAL))
            .unwrap();
        board.close_as(&t.administrator_key, Close::Voting).unwrap();
        assert!(matches!(
            board.submit(t.ballot(0, ONLINE, SUNAK, 9)),
            Err(SubmitError::Refused(r)) if r.refusal == Refusal::VotingClosed && r.receipt.is_none()
        ));
        drop(board);
        let board = DurableBoard::open(dir.path(), t.election.clone(), t.new_board_key()).unwrap();
        assert_eq!(board.board().entries().len(), 6);
        assert!(board.board().voting_closed());
        // Nothing follows the close of voting, not even a refusal.
        assert_eq!(board.board().state().refused(), &[0, 0]);
        use crate::board::BoardSource;
        assert_eq!(BoardSource::entries(&board).len(), 6);
        assert_eq!(BoardSource::head(&board), board.board().head());
    }

    #[test]
    fn batches_and_challenges_are_durable() {
        let t = TestElection::leadership(3, 42);
        let dir = tempfile::tempdir().unwrap();
        let mut board =
            DurableBoard::open(dir.path(), t.election.clone(), t.new_board_key()).unwrap();
        let challenged = prepare(
            &t.election,
            ONLINE,
            &t.secrets[2],
            &[SUNAK.to_vec()],
            &mut test_rng(7),
        )
        .unwrap()
        .challenge()
        .spoiled();
        let spoiled = board.challenge(&challenged).unwrap();
        assert_eq!(board.challenge(&challenged).unwrap(), spoiled);
        let results = board.submit_batch(ballots(&t, 2)).unwrap();
        assert!(results.iter().all(Result::is_ok));
        let head = board.board().head();
        drop(board);
        let board = DurableBoard::open(dir.path(), t.election.clone(), t.new_board_key()).unwrap();
        assert_eq!(board.board().entries().len(), 3);
        assert_eq!(board.board().head(), head);
    }

    /// A board of three ballots on disk; returns the offsets of its records and the log.
    fn three_ballots(t: &TestElection, dir: &Path) -> (Vec<u64>, Vec<u8>) {
        let mut board = DurableBoard::open(dir, t.election.clone(), t.new_board_key()).unwrap();
        let mut offsets = vec![HEADER_LEN];
        for b in ballots(t, 3) {
            board.submit(b).unwrap();
            offsets.push(board.log_len);
        }
        (offsets, log_of(dir))
    }

    #[test]
    fn a_torn_tail_is_cut_off() {
        let t = TestElection::leadership(4, 43);
        let dir = tempfile::tempdir().unwrap();
        let (offsets, log) = three_ballots(&t, dir.path());
        let next = {
            let board =
                DurableBoard::open(dir.path(), t.election.clone(), t.new_board_key()).unwrap();
            let mut b = t.resume(board.board().entries().to_vec()).unwrap();
            b.submit(t.ballot(3, ONLINE, SUNAK, 5)).unwrap();
            encode_record(&b.entries()[3])
        };
        let cuts = [
            1,
            3,
            4,
            5,
            45,
            next.len() / 2,
            next.len() - 32,
            next.len() - 1,
        ];
        let mut tails: Vec<Vec<u8>> = cuts.iter().map(|&cut| next[..cut].to_vec()).collect();
        // A complete record with a wrong digest, and zeros a crash left at the end.
        let mut wrong = next.clone();
        *wrong.last_mut().unwrap() ^= 1;
        tails.push(wrong);
        tails.push(vec![0; 4096]);
        for tail in tails {
            let mut torn = log.clone();
            torn.extend_from_slice(&tail);
            fs::write(dir.path().join(LOG_FILE), &torn).unwrap();
            let board =
                DurableBoard::open(dir.path(), t.election.clone(), t.new_board_key()).unwrap();
            assert_eq!(board.recovery().torn_bytes, tail.len() as u64);
            assert_eq!(board.recovery().entries, 3);
            assert_eq!(log_of(dir.path()), log, "cut back to the intact records");
        }
        // The last record itself torn: the board is served without it.
        let mut torn = log.clone();
        torn.truncate(log.len() - 10);
        fs::write(dir.path().join(LOG_FILE), &torn).unwrap();
        let mut board =
            DurableBoard::open(dir.path(), t.election.clone(), t.new_board_key()).unwrap();
        assert_eq!(board.recovery().entries, 2);
        assert_eq!(board.recovery().torn_bytes, offsets[3] - offsets[2] - 10);
        // The unacknowledged ballot can be submitted again, at the same place.
        let again = board.submit(t.ballot(2, ONLINE, TRUSS, 102)).unwrap();
        assert_eq!(again.position, 2);
        assert_eq!(log_of(dir.path()), log);
    }

    #[test]
    fn a_damaged_entry_in_the_middle_is_refused_naming_it() {
        let t = TestElection::leadership(3, 44);
        let dir = tempfile::tempdir().unwrap();
        let (offsets, log) = three_ballots(&t, dir.path());
        let (start, end) = (offsets[1] as usize, offsets[2] as usize);
        for i in start..end {
            for mask in [0x01u8, 0x80] {
                let mut damaged = log.clone();
                damaged[i] ^= mask;
                fs::write(dir.path().join(LOG_FILE), &damaged).unwrap();
                match DurableBoard::open(dir.path(), t.election.clone(), t.new_board_key()) {
                    Err(StoreError::Damaged {
                        position, offset, ..
                    }) => assert_eq!((position, offset), (1, start as u64), "byte {i}"),
                    Err(e) => panic!("byte {i}: {e}"),
                    Ok(_) => panic!("byte {i} xor {mask:#04x} was served"),
                }
                assert_eq!(log_of(dir.path()), damaged, "nothing changed on refusal");
            }
        }
        // Two entries swapped: every record is intact, the chain is not.
        let mut swapped = log[..start].to_vec();
        swapped.extend_from_slice(&log[end..]);
        swapped.extend_from_slice(&log[start..end]);
        fs::write(dir.path().join(LOG_FILE), &swapped).unwrap();
        let err = DurableBoard::open(dir.path(), t.election.clone(), t.new_board_key())
            .err()
            .unwrap();
        assert!(
            matches!(&err, StoreError::Chain(e) if e[0].position == 1),
            "{err}"
        );
        // The header of another election, and a file that is no board.
        let other = TestElection::leadership(3, 45);
        fs::write(dir.path().join(LOG_FILE), &log).unwrap();
        assert!(matches!(
            DurableBoard::open(dir.path(), other.election.clone(), other.new_board_key()),
            Err(StoreError::OtherElection { .. })
        ));
        fs::write(dir.path().join(LOG_FILE), b"nullivote/board/2\n").unwrap();
        assert!(matches!(
            DurableBoard::open(dir.path(), t.election.clone(), t.new_board_key()),
            Err(StoreError::NotABoard { .. })
        ));
    }

    #[test]
    fn a_failed_write_acknowledges_nothing_and_stops_the_board() {
        let t = TestElection::leadership(3, 46);
        let dir = tempfile::tempdir().unwrap();
        let mut board =
            DurableBoard::open(dir.path(), t.election.clone(), t.new_board_key()).unwrap();
        let first = board.submit(t.ballot(0, ONLINE, TRUSS, 1)).unwrap();
        let head = board.board().head();
        // Swap the log for a read-only handle: the next write fails.
        board.log = File::open(dir.path().join(LOG_FILE)).unwrap();
        let second = t.ballot(1, ONLINE, SUNAK, 2);
        assert!(matches!(
            board.submit(second.clone()),
            Err(SubmitError::Store(StoreError::Io { .. }))
        ));
        assert_eq!(board.board().entries().len(), 1, "the entry is not kept");
        assert_eq!(board.board().head(), head);
        assert!(board.stopped());
        assert!(matches!(
            board.close_as(&t.administrator_key, Close::Voting),
            Err(SubmitError::Store(StoreError::Stopped { .. }))
        ));
        drop(board);
        let mut board =
            DurableBoard::open(dir.path(), t.election.clone(), t.new_board_key()).unwrap();
        assert_eq!(board.board().entries().len(), 1);
        assert_eq!(board.submit(t.ballot(0, ONLINE, TRUSS, 1)).unwrap(), first);
        assert_eq!(board.submit(second).unwrap().position, 1);
    }

    /// A refusal is an entry like any other: durable before its receipt is returned, there
    /// after a restart with the same receipt, counted by the state.
    #[test]
    fn a_refusal_is_durable_and_its_receipt_resent() {
        let t = TestElection::leadership(2, 47);
        let dir = tempfile::tempdir().unwrap();
        let mut board =
            DurableBoard::open(dir.path(), t.election.clone(), t.new_board_key()).unwrap();
        board.submit(t.ballot(0, POSTAL, TRUSS, 1)).unwrap();
        let refused = match board.submit(t.ballot(0, ONLINE, TRUSS, 2)) {
            Err(SubmitError::Refused(r)) => r,
            other => panic!("expected a refusal, got {other:?}"),
        };
        let receipt = refused.receipt.expect("a refusal entry's receipt");
        assert_eq!(receipt.position, 1);
        assert_eq!(receipt.verify(&t.election), Ok(()));
        let len = log_of(dir.path()).len();
        drop(board);
        let board = DurableBoard::open(dir.path(), t.election.clone(), t.new_board_key()).unwrap();
        assert_eq!(log_of(dir.path()).len(), len);
        assert_eq!(board.board().state().refused(), &[1, 0]);
        assert_eq!(board.board().receipt_of(1), Some(receipt));
        assert!(matches!(
            &board.board().entries()[1].payload,
            Payload::Refused(r) if r.channel == ONLINE
        ));
    }
}
