//! A file of the record that belongs to another election ([`OtherElection`]): a `board.jsonl`
//! whose chain starts from another base hash, or a `record.json` naming another base hash. Its
//! checks fail by the thousand (every ballot is "for another election"); the report names the
//! cause once, first.

use std::fmt;

use serde::Serialize;

use crate::board::{Entry, Payload};
use crate::election::BaseHash;

/// A file of the record that is of another election than the one the record's manifest,
/// ceremony and roll give (V3's recomputed base hash, "this election").
///
/// * `board.jsonl`: its first entry names another base hash as its predecessor (the chain of
///   every board starts from its election's base hash, `spec/protocol.md` §11.1), and its first
///   ballot or challenge is of that election too.
/// * `record.json`: its `base_hash` is another.
///
/// [`Display`](fmt::Display) gives the line the text report prints first: `board.jsonl belongs
/// to another election: its chain starts from base hash 5e1f…, this election's is 9cab…`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OtherElection {
    /// The file: `board.jsonl` or `record.json`.
    pub file: &'static str,
    /// The base hash of the election the file belongs to.
    pub base_hash: BaseHash,
    /// This election's base hash, recomputed from the manifest, the ceremony and the roll (V3).
    pub election_base_hash: BaseHash,
}

impl fmt::Display for OtherElection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (found, ours) = (
            hex::encode(self.base_hash.as_bytes()),
            hex::encode(self.election_base_hash.as_bytes()),
        );
        match self.file {
            "board.jsonl" => write!(
                f,
                "board.jsonl belongs to another election: its chain starts from base hash \
                 {found}, this election's is {ours}"
            ),
            file => write!(
                f,
                "{file} belongs to another election: its base_hash is {found}, this \
                 election's (from manifest.json, ceremony.json and roll.json) is {ours}"
            ),
        }
    }
}

/// Where the board's chain starts, read as the blocks go by: the base hash its first entry
/// names as its predecessor, and the election of its first ballot or challenge.
#[derive(Default)]
pub(super) struct ChainStart {
    previous: Option<BaseHash>,
    named: Option<BaseHash>,
    read: bool,
}

impl ChainStart {
    /// Reads the next block of the board.
    pub(super) fn feed(&mut self, block: &[Entry]) {
        if !self.read {
            self.previous = block
                .first()
                .filter(|e| e.position == 0)
                .map(|e| BaseHash::new(*e.previous.as_bytes()));
            self.read = !block.is_empty();
        }
        if self.named.is_none() {
            self.named = block.iter().find_map(|e| match &e.payload {
                Payload::Ballot(b) => Some(b.election),
                Payload::Spoiled(s) => Some(s.election),
                _ => None,
            });
        }
    }

    /// The base hash the chain starts from, if the board's first ballot or challenge is of
    /// that election too (so that a first entry merely changed is not taken for a board of
    /// another election).
    pub(super) fn start(&self) -> Option<BaseHash> {
        self.previous.filter(|p| self.named == Some(*p))
    }
}

/// The files that belong to another election than `election_base_hash`: `record.json`, by its
/// `base_hash`, and `board.jsonl`, by the start of its chain (`board_start`,
/// [`ChainStart::start`]).
pub(super) fn other_elections(
    header_base_hash: &BaseHash,
    board_start: Option<BaseHash>,
    election_base_hash: &BaseHash,
) -> Vec<OtherElection> {
    let of = |file, base_hash: BaseHash| {
        (base_hash != *election_base_hash).then_some(OtherElection {
            file,
            base_hash,
            election_base_hash: *election_base_hash,
        })
    };
    [
        of("record.json", *header_base_hash),
        board_start.and_then(|start| of("board.jsonl", start)),
    ]
    .into_iter()
    .flatten()
    .collect()
}
