//! A board's admission state, saved between processes, so that a command line that admits one
//! ballot per process does not re-verify the whole board each time (issue 24).
//!
//! [`Board::snapshot`] writes what the admission rules (§11.3) and the receipts need of every
//! entry: its digest, its tracking code and its kind, and the rules' state (closed channels,
//! the close of voting, the refusal counts per channel, the first ciphertext component of every
//! cast or challenged ballot, and every cast ballot's position, nullifier and channel).
//! [`Board::from_snapshot`] reads it back into a board that holds none of the earlier entries
//! themselves and appends after them exactly as the board that wrote it would have.
//!
//! # What it trusts, and why it stays fail-stop
//!
//! A snapshot is the board operator's own cache of its own log, written after the entries it
//! covers were verified (B1–B9) and made durable: reopening from it re-runs no proof. It is
//! checked for form (magic, lengths, a SHA-256 of its contents against a torn write), for this
//! election (the base hash), and for consistency (every position in range and of the right
//! kind, the head the digest of its last entry); its user checks that it is the snapshot of
//! the log it serves (the same number of entries and the same head, which fixes every earlier
//! entry through the chain) and otherwise re-verifies the whole log. A snapshot that passes and
//! still lies (written by someone who can write the board's files) can only make the board
//! refuse or admit a ballot wrongly, and every such decision is on the board, where the
//! verifier recomputes it from the entries themselves (V7, V8): the published record is never
//! trusted for what a snapshot says.
//!
//! # Layout
//!
//! ```text
//! snapshot   = magic "nullivote/board-state/1\n" (24) ‖ base hash (32) ‖ n u64 ‖ head (32)
//!              ‖ n × ( digest (32) ‖ tracking code (32) ‖ kind u8 )
//!              ‖ closed u8 ‖ closed × channel u8 ‖ voting closed u8 (0 or 1)
//!              ‖ channels u8 ‖ channels × refusals u64
//!              ‖ components u64 ‖ components × ( A (32) ‖ position u64 ‖ challenged u8 ), by (position, A)
//!              ‖ cast u64 ‖ cast × ( position u64 ‖ nullifier (32) ‖ channel u8 )
//!              ‖ SHA-256 of everything before (32)
//! ```
//!
//! All integers big-endian. It is a working file of the operator, not part of the record, and
//! its form may change between versions (an unreadable snapshot is rebuilt from the log).

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::rules::BoardState;
use super::{Board, BoardKeyError, EntryDigest};
use crate::authority::AuthorityKey;
use crate::ballot::TrackingCode;
use crate::codec::{Reader, Wire};
use crate::election::{BaseHash, Election};
use crate::error::EncodingError;
use crate::manifest::ChannelIndex;
use crate::nullifier::Nullifier;
use crate::precedence::CastBallot;

/// The bytes that open a board snapshot.
pub const SNAPSHOT_MAGIC: &[u8; 24] = b"nullivote/board-state/1\n";

/// What a board keeps of an entry it does not hold.
#[derive(Clone, Copy, Debug)]
pub(super) struct Past {
    pub(super) digest: EntryDigest,
    pub(super) code: TrackingCode,
    pub(super) kind: u8,
}

/// Why [`Board::from_snapshot`] refused a snapshot.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The key is not the manifest's board key.
    #[error(transparent)]
    Key(#[from] BoardKeyError),
    /// Not a board snapshot of this version.
    #[error("not a nullivote board snapshot (or one of another version)")]
    NotASnapshot,
    /// The snapshot is of another election.
    #[error(
        "the snapshot is of another election (base hash {found}, this election's is {expected})"
    )]
    OtherElection {
        /// The base hash it names.
        found: BaseHash,
        /// This election's.
        expected: BaseHash,
    },
    /// The bytes are cut short, too long, or not what was written (its SHA-256 differs).
    #[error("the snapshot is damaged: {0}")]
    Damaged(#[from] EncodingError),
    /// The snapshot contradicts itself.
    #[error("the snapshot is inconsistent: {0}")]
    Inconsistent(&'static str),
}

impl Board {
    /// The board's admission state, to reopen it with [`Board::from_snapshot`] (see the
    /// module's `# Layout`).
    pub fn snapshot(&self) -> Vec<u8> {
        let state = &self.state;
        let n = self.entry_count();
        let mut out = Vec::with_capacity(
            SNAPSHOT_MAGIC.len()
                + 72
                + 65 * n as usize
                + 41 * state.components.len()
                + 41 * state.cast.len(),
        );
        out.extend_from_slice(SNAPSHOT_MAGIC);
        out.extend_from_slice(self.election.base_hash().as_bytes());
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(self.head.as_bytes());
        for past in &self.earlier {
            put_past(&mut out, past.digest, past.code, past.kind);
        }
        for entry in &self.entries {
            let (digest, code) = entry.digest_and_code();
            put_past(&mut out, digest, code, entry.payload.kind());
        }
        // A manifest has at most 16 channels: the counts fit a byte.
        out.push(state.closed.len() as u8);
        out.extend(state.closed.iter().map(|c| c.get()));
        out.push(u8::from(state.voting_closed));
        out.push(state.refused.len() as u8);
        for count in &state.refused {
            out.extend_from_slice(&count.to_be_bytes());
        }
        let mut components: Vec<_> = state.components.iter().collect();
        components.sort_unstable_by_key(|(a, (position, _))| (*position, **a));
        out.extend_from_slice(&(components.len() as u64).to_be_bytes());
        for (a, (position, challenged)) in components {
            out.extend_from_slice(a);
            out.extend_from_slice(&position.to_be_bytes());
            out.push(u8::from(*challenged));
        }
        out.extend_from_slice(&(state.cast.len() as u64).to_be_bytes());
        for cast in &state.cast {
            out.extend_from_slice(&cast.position.to_be_bytes());
            out.extend_from_slice(cast.nullifier.element().as_bytes());
            out.push(cast.channel.get());
        }
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        out
    }

    /// Reopens a board from its [`Board::snapshot`], signing with `key`: the board appends after
    /// the snapshot's entries without holding them ([`Board::entries`] holds only what it
    /// appends). No proof is re-verified: see the module's documentation for what the caller
    /// must check (that the snapshot is that of the log it serves).
    ///
    /// # Errors
    /// [`SnapshotError`]: the key, the form, the election, or an inconsistency, named.
    pub fn from_snapshot(
        election: Election,
        key: AuthorityKey,
        bytes: &[u8],
    ) -> Result<Self, SnapshotError> {
        if key.public() != election.manifest().authorities().board {
            return Err(BoardKeyError::NotTheBoardKey.into());
        }
        let body = bytes
            .len()
            .checked_sub(32)
            .filter(|&len| bytes.starts_with(SNAPSHOT_MAGIC) && len >= SNAPSHOT_MAGIC.len())
            .map(|len| &bytes[..len])
            .ok_or(SnapshotError::NotASnapshot)?;
        if Sha256::digest(body)[..] != bytes[body.len()..] {
            return Err(EncodingError::Invalid {
                field: "snapshot.digest",
                reason: "its SHA-256 does not match its contents (a torn or altered file)".into(),
            }
            .into());
        }
        let mut r = Reader::new(&body[SNAPSHOT_MAGIC.len()..]);
        let found = BaseHash(r.array32("snapshot.base_hash")?);
        if found != *election.base_hash() {
            return Err(SnapshotError::OtherElection {
                found,
                expected: *election.base_hash(),
            });
        }
        let n = r.u64("snapshot.entries")?;
        let head = EntryDigest(r.array32("snapshot.head")?);
        room(&r, n, 65, "snapshot.entries")?;
        let mut earlier = Vec::with_capacity(n as usize);
        for _ in 0..n {
            earlier.push(Past {
                digest: EntryDigest(r.array32("snapshot.entry.digest")?),
                code: TrackingCode(r.array32("snapshot.entry.tracking_code")?),
                kind: r.u8("snapshot.entry.kind")?,
            });
        }
        let expected_head = earlier
            .last()
            .map_or(EntryDigest::genesis(election.base_hash()), |p| p.digest);
        if head != expected_head {
            return Err(SnapshotError::Inconsistent(
                "the head is not the last entry's digest",
            ));
        }
        let mut state = BoardState::new(&election);
        let channels = election.manifest().channels().len();
        let channel = |byte: u8| {
            (usize::from(byte) < channels)
                .then_some(ChannelIndex::new(byte))
                .ok_or(SnapshotError::Inconsistent(
                    "a channel outside the manifest",
                ))
        };
        let kind_at = |position: u64| earlier.get(position as usize).map(|p| p.kind);
        for _ in 0..r.u8("snapshot.closed")? {
            state
                .closed
                .insert(channel(r.u8("snapshot.closed.channel")?)?);
        }
        state.voting_closed = match r.u8("snapshot.voting_closed")? {
            0 => false,
            1 => true,
            _ => {
                return Err(EncodingError::WrongTag {
                    field: "snapshot.voting_closed",
                }
                .into());
            }
        };
        if usize::from(r.u8("snapshot.refused")?) != channels {
            return Err(SnapshotError::Inconsistent(
                "not one refusal count per channel",
            ));
        }
        for count in &mut state.refused {
            *count = r.u64("snapshot.refused.count")?;
        }
        let components = r.u64("snapshot.components")?;
        room(&r, components, 41, "snapshot.components")?;
        for _ in 0..components {
            let a = r.array32("snapshot.component")?;
            let position = r.u64("snapshot.component.position")?;
            let challenged = r.u8("snapshot.component.challenged")?;
            if kind_at(position) != Some(challenged) || challenged > 1 {
                return Err(SnapshotError::Inconsistent(
                    "a ciphertext of an entry that is no ballot of that kind",
                ));
            }
            state.components.insert(a, (position, challenged == 1));
        }
        let count = r.u64("snapshot.cast")?;
        room(&r, count, 41, "snapshot.cast")?;
        let mut raw = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let position = r.u64("snapshot.cast.position")?;
            let nullifier = r.array32("snapshot.cast.nullifier")?;
            let channel = channel(r.u8("snapshot.cast.channel")?)?;
            if kind_at(position) != Some(0) || raw.last().is_some_and(|&(p, _, _)| p >= position) {
                return Err(SnapshotError::Inconsistent(
                    "a cast ballot out of order or at an entry that is no cast ballot",
                ));
            }
            raw.push((position, nullifier, channel));
        }
        r.finish("snapshot")?;
        // The nullifiers were checked when their ballots were admitted; decompressing them
        // (public data) is the costly part of reopening, so it runs on every core.
        let cast = raw
            .par_iter()
            .map(|&(position, nullifier, channel)| {
                Ok(CastBallot {
                    position,
                    nullifier: Nullifier::decode(&nullifier)?,
                    channel,
                })
            })
            .collect::<Result<Vec<_>, EncodingError>>()?;
        for (position, past) in earlier.iter().enumerate() {
            if past.kind <= 1 {
                state
                    .tracking
                    .insert(past.code, (position as u64, past.kind == 1));
            }
        }
        for c in &cast {
            state
                .by_nullifier
                .entry(c.nullifier.element().to_bytes())
                .or_default()
                .push((c.position, c.channel));
        }
        state.cast = cast;
        Ok(Self {
            election,
            key,
            earlier,
            entries: Vec::new(),
            head,
            state,
        })
    }
}

/// Refuses a count of `each`-byte items that the rest of the input cannot hold, before
/// anything is allocated for them.
fn room(r: &Reader<'_>, count: u64, each: usize, field: &'static str) -> Result<(), EncodingError> {
    let remaining = r.remaining();
    if count > (remaining / each) as u64 {
        return Err(EncodingError::Truncated {
            field,
            needed: usize::try_from(count)
                .unwrap_or(usize::MAX)
                .saturating_mul(each),
            remaining,
        });
    }
    Ok(())
}

fn put_past(out: &mut Vec<u8>, digest: EntryDigest, code: TrackingCode, kind: u8) {
    out.extend_from_slice(digest.as_bytes());
    out.extend_from_slice(&code.0);
    out.push(kind);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::Close;
    use crate::testing::{ONLINE, POSTAL, SUNAK, TRUSS, TestElection};

    /// A board with every kind of entry: ballots on both channels, a refusal, a challenge, a
    /// closed channel.
    fn busy(t: &TestElection) -> Board {
        let mut board = t.board();
        board.submit(t.ballot(0, ONLINE, TRUSS, 1)).unwrap();
        board.submit(t.ballot(1, POSTAL, SUNAK, 2)).unwrap();
        board.submit(t.ballot(1, ONLINE, TRUSS, 3)).unwrap_err(); // after the postal one
        let spoiled = t.prepared(2, ONLINE, SUNAK, 4).challenge().spoiled();
        board.challenge(&spoiled).unwrap();
        board
            .close_as(&t.administrator_key, Close::Channel(POSTAL))
            .unwrap();
        board
    }

    /// A board reopened from its snapshot answers every later submission exactly as the board
    /// that wrote it: the same receipts, entries, refusals and resubmission receipts.
    #[test]
    fn a_reopened_board_continues_exactly_as_the_original() {
        let t = TestElection::leadership(5, 3);
        let mut original = busy(&t);
        let mut reopened =
            Board::from_snapshot(t.election.clone(), t.new_board_key(), &original.snapshot())
                .unwrap();
        assert_eq!(reopened.entry_count(), original.entry_count());
        assert_eq!(reopened.first_held(), original.entry_count());
        assert_eq!(reopened.head(), original.head());
        assert_eq!(reopened.cast(), original.cast());
        assert_eq!(reopened.state().refused(), original.state().refused());
        assert_eq!(reopened.snapshot(), original.snapshot());
        let spoiled = t.prepared(2, ONLINE, SUNAK, 4).challenge().spoiled();
        type Step<'a> = Box<dyn Fn(&mut Board) -> String + 'a>;
        let steps: Vec<Step<'_>> = vec![
            Box::new(|b| format!("{:?}", b.submit(t.ballot(0, ONLINE, TRUSS, 1)))), // resubmitted
            Box::new(|b| format!("{:?}", b.challenge(&spoiled))),                   // resubmitted
            Box::new(|b| format!("{:?}", b.submit(t.ballot(3, ONLINE, SUNAK, 9)))),
            Box::new(|b| format!("{:?}", b.submit(t.ballot(1, ONLINE, SUNAK, 10)))), // precedence
            Box::new(|b| format!("{:?}", b.submit(t.ballot(4, POSTAL, SUNAK, 11)))), // closed
            Box::new(|b| format!("{:?}", b.close_as(&t.administrator_key, Close::Voting))),
        ];
        for step in &steps {
            assert_eq!(step(&mut reopened), step(&mut original));
        }
        let new = &original.entries()[original.entries().len() - reopened.entries().len()..];
        assert_eq!(reopened.entries(), new);
        assert_eq!(reopened.final_signature(), original.final_signature());
        assert_eq!(reopened.receipt_of(1), original.receipt_of(1));
    }

    /// Every check of [`Board::from_snapshot`] refuses what it is for.
    #[test]
    fn a_snapshot_that_is_damaged_foreign_or_inconsistent_is_refused() {
        let t = TestElection::leadership(5, 3);
        let board = busy(&t);
        let good = board.snapshot();
        let open = |bytes: &[u8]| {
            Board::from_snapshot(t.election.clone(), t.new_board_key(), bytes).map(|_| ())
        };
        assert_eq!(open(&good), Ok(()));
        let other = TestElection::leadership(5, 4);
        assert!(matches!(
            Board::from_snapshot(t.election.clone(), other.new_board_key(), &good),
            Err(SnapshotError::Key(_))
        ));
        assert_eq!(open(b"not a snapshot"), Err(SnapshotError::NotASnapshot));
        assert_eq!(
            open(&good[..good.len() - 1]).map_err(|e| matches!(e, SnapshotError::Damaged(_))),
            Err(true)
        );
        // Any changed byte after the magic: the digest no longer matches.
        for i in [
            SNAPSHOT_MAGIC.len(),
            SNAPSHOT_MAGIC.len() + 40,
            good.len() - 40,
            good.len() - 1,
        ] {
            let mut bad = good.clone();
            bad[i] ^= 1;
            assert!(
                matches!(open(&bad), Err(SnapshotError::Damaged(_))),
                "byte {i}"
            );
        }
        // Re-sealed with a fresh digest, each lie is caught by what it contradicts.
        let reseal = |mut body: Vec<u8>| {
            body.truncate(body.len() - 32);
            let digest = Sha256::digest(&body);
            body.extend_from_slice(&digest);
            body
        };
        assert!(matches!(
            Board::from_snapshot(other.election.clone(), other.new_board_key(), &good),
            Err(SnapshotError::OtherElection { .. })
        ));
        let head = SNAPSHOT_MAGIC.len() + 32 + 8;
        let mut bad = good.clone();
        bad[head] ^= 1;
        assert_eq!(
            open(&reseal(bad)),
            Err(SnapshotError::Inconsistent(
                "the head is not the last entry's digest"
            ))
        );
        // Entry 0 is a cast ballot: say it is a close, and the cast list points at no ballot.
        let mut bad = good.clone();
        bad[head + 32 + 64] = 2;
        assert!(matches!(
            open(&reseal(bad)),
            Err(SnapshotError::Inconsistent(_))
        ));
        // More entries claimed than the bytes hold.
        let mut bad = good.clone();
        bad[head - 8..head].copy_from_slice(&u64::MAX.to_be_bytes());
        assert!(matches!(
            open(&reseal(bad)),
            Err(SnapshotError::Damaged(EncodingError::Truncated { .. }))
        ));
    }
}
