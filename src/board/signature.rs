//! The signatures that make the board answer for what it says (spec §3.9, §4.1, §11.2).
//!
//! Two offices sign, each with the key the manifest names ([`crate::manifest::Authorities`]):
//!
//! | statement | signer | purpose | absorbed, in order |
//! | --- | --- | --- | --- |
//! | [`Statement::Receipts`] | board | `board-receipt` | first position u64, count u64, Merkle root of the batch's receipt leaves |
//! | [`Statement::FinalHead`] | board | `board-final-head` | entries u64, head |
//! | [`Statement::Close`] | administrator | `administrator-close` | position u64, previous, kind u8, channel u8 |
//!
//! A signature is a Schnorr proof of knowledge of the signer's secret `x` (`P = x·G`,
//! [`SchnorrProof`]) under `election_transcript(purpose, base_hash)` after the statement's
//! fields: it verifies in this election only, for this statement only, under this key only.
//!
//! * Every entry the board appends gets a [`Receipt`]: an admitted ballot, a challenge, a
//!   refusal (a refusal is an entry of the chain, so its receipt is the receipt of that entry),
//!   a close. The head after an entry is its digest, so a receipt also signs the head. The board
//!   signs a batch of consecutive entries at once: one signature on the Merkle root of their
//!   receipt leaves ([`super::merkle`]), each receipt carrying its path to that root.
//! * Two valid receipts that give one position two entry digests prove that the board
//!   equivocated ([`equivocation`]); a valid receipt whose entry is not the published one at its
//!   position proves that the board dropped or changed it.
//! * The administrator signs each close for the position and previous head where it goes, so a
//!   close cannot be moved: a prefix of a board with closes appended is not a valid board.

use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use super::merkle::MerklePath;
use crate::authority::AuthorityKey;
use crate::ballot::TrackingCode;
use crate::codec::{Wire, wire_serde};
use crate::digest::EntryDigest;
use crate::election::{BaseHash, Election};
use crate::error::EncodingError;
use crate::group::Element;
use crate::manifest::ChannelIndex;
use crate::proofs::ProofError;
use crate::proofs::schnorr::{SchnorrProof, SchnorrStatement};
use crate::transcript::{label, purpose};

/// The "RNG" of a deterministic signature: it adds no entropy to merlin's transcript RNG, whose
/// output is then a function of the transcript (the statement) and the secret it was rekeyed
/// with. It claims `CryptoRng` only for that use: the randomness of a signature's nonce comes
/// from the secret, not from it. (Tests use it as an RNG stuck at zero: `testing::ZeroRng`.)
pub(crate) struct Deterministic;

impl RngCore for Deterministic {
    fn next_u32(&mut self) -> u32 {
        0
    }
    fn next_u64(&mut self) -> u64 {
        0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(0);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        dest.fill(0);
        Ok(())
    }
}

impl CryptoRng for Deterministic {}

/// What a close entry closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Close {
    /// One channel (its index in the manifest).
    Channel(ChannelIndex),
    /// Voting, on every channel.
    Voting,
}

/// A statement one office signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statement {
    /// The board appended the `count` entries from position `first`: `root` is the Merkle root
    /// of their receipt leaves ([`super::merkle::leaf`]: position, entry digest, tracking code).
    Receipts {
        /// The first entry's position.
        first: u64,
        /// The number of entries.
        count: u64,
        /// The root of the tree of their leaves.
        root: [u8; 32],
    },
    /// The board's last head: the chain of `entries` entries ends at `head`.
    FinalHead {
        /// The number of entries.
        entries: u64,
        /// The digest of the last entry.
        head: EntryDigest,
    },
    /// The administrator closes a channel or voting by the entry at `position`, which follows
    /// the entry whose digest is `previous`.
    Close {
        /// The close entry's position.
        position: u64,
        /// The digest of the entry before it (the base hash at position 0).
        previous: EntryDigest,
        /// What it closes.
        close: Close,
    },
}

impl Statement {
    /// The transcript of the statement: its purpose, the base hash, then every field.
    pub(crate) fn transcript(&self, election: &Election) -> Transcript {
        let bytes = election.base_hash().as_bytes();
        match *self {
            Self::Receipts { first, count, root } => {
                // The prefix built once per election (a signature per batch of entries).
                let mut t = election.transcript(purpose::BOARD_RECEIPT);
                t.append_u64(label::BATCH_FIRST, first);
                t.append_u64(label::BATCH_COUNT, count);
                t.append_message(label::RECEIPTS_ROOT, &root);
                t
            }
            Self::FinalHead { entries, head } => {
                let mut t =
                    crate::transcript::election_transcript(purpose::BOARD_FINAL_HEAD, bytes);
                t.append_u64(label::BOARD_ENTRIES, entries);
                t.append_message(label::BOARD_HEAD, head.as_bytes());
                t
            }
            Self::Close {
                position,
                previous,
                close,
            } => {
                let mut t =
                    crate::transcript::election_transcript(purpose::ADMINISTRATOR_CLOSE, bytes);
                t.append_u64(label::POSITION, position);
                t.append_message(label::PREVIOUS, previous.as_bytes());
                let (kind, channel) = match close {
                    Close::Channel(c) => (2u8, c.get()),
                    Close::Voting => (3u8, 0),
                };
                t.append_message(label::KIND, &[kind]);
                t.append_u64(label::CHANNEL, u64::from(channel));
                t
            }
        }
    }
}

/// A signature of one office on one [`Statement`].
///
/// # Layout
///
/// 64 bytes, a [`SchnorrProof`]: commitment `R` (32) ‖ response `s` (32, canonical). In JSON, 128
/// hex characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature(SchnorrProof);

impl Signature {
    /// The signature of a Schnorr proof made under a statement's transcript.
    pub(crate) fn from_proof(proof: SchnorrProof) -> Self {
        Self(proof)
    }

    /// Verifies the signature of `statement` in `election` under `public`.
    ///
    /// # Errors
    /// [`ProofError::Invalid`] if it is not that office's signature of that statement in that
    /// election.
    pub fn verify(
        &self,
        election: &Election,
        statement: &Statement,
        public: &Element,
    ) -> Result<(), ProofError> {
        let mut t = statement.transcript(election);
        self.0.verify(&SchnorrStatement { public: *public }, &mut t)
    }
}

impl Wire for Signature {
    const NAME: &'static str = "signature";
    const MAX_LEN: usize = SchnorrProof::LEN;

    fn encode(&self) -> Vec<u8> {
        self.0.encode()
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        SchnorrProof::decode(bytes).map(Self)
    }
}

wire_serde!(Signature);
crate::codec::wire_bytes!(Signature);

/// What a voter (or the postal intake) gets back for every submission, accepted or refused, and
/// what the administrator gets for a close: the board's signed word that the entry is at
/// `position` of the chain of election `election`, with digest `entry`.
///
/// # JSON
///
/// `{"election": hex, "position": n, "entry": hex, "tracking_code": hex, "batch_first": n,
/// "batch_count": n, "path": [hex, …], "signature": hex}`: what `nullivote check-receipt` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The base hash of the election (the signature binds it: this field only lets a check say
    /// plainly that a receipt is of another election).
    pub election: BaseHash,
    /// The entry's position on the board.
    pub position: u64,
    /// The entry's digest: it chains every later entry to this one.
    pub entry: EntryDigest,
    /// The tracking code of the ballot, challenge or refused submission (all zeros for a close).
    pub tracking_code: TrackingCode,
    /// The first position of the batch the board signed this receipt in.
    pub batch_first: u64,
    /// The number of entries of that batch.
    pub batch_count: u64,
    /// The path from this receipt's leaf to the batch's root.
    pub path: MerklePath,
    /// The board's signature of [`Statement::Receipts`] for the batch.
    pub signature: Signature,
}

/// Why a receipt does not hold.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptError {
    /// The receipt names another election.
    #[error(
        "the receipt is of another election (base hash {}, this election's is {})",
        hex::encode(.found.as_bytes()),
        hex::encode(.expected.as_bytes())
    )]
    OtherElection {
        /// Its base hash.
        found: BaseHash,
        /// This election's.
        expected: BaseHash,
    },
    /// The signature is not the board's on these values: forged or altered.
    #[error(
        "the signature is not the board's on this position, entry and tracking code: the receipt was forged or altered"
    )]
    BadSignature,
}

impl Receipt {
    /// The board's receipt for the entry at `position` with digest `entry`, signed alone (a
    /// batch of one).
    pub fn sign(
        board: &AuthorityKey,
        election: &Election,
        position: u64,
        entry: EntryDigest,
        tracking_code: TrackingCode,
    ) -> Self {
        Self::sign_batch(board, election, position, &[(entry, tracking_code)])
            .pop()
            .expect("one receipt for one entry")
    }

    /// The board's receipts for the consecutive entries from position `first` (their digests
    /// and tracking codes), under one signature of the root of their leaves.
    ///
    /// # Panics
    /// If `entries` is empty or longer than [`super::merkle::MAX_BATCH`] (the board signs
    /// batches it made).
    pub fn sign_batch(
        board: &AuthorityKey,
        election: &Election,
        first: u64,
        entries: &[(EntryDigest, TrackingCode)],
    ) -> Vec<Self> {
        use rayon::prelude::*;
        assert!(
            !entries.is_empty() && entries.len() as u64 <= super::merkle::MAX_BATCH,
            "a batch of 1 to 2^24 receipts"
        );
        let leaves: Vec<[u8; 32]> = entries
            .par_iter()
            .enumerate()
            .map(|(i, (entry, code))| super::merkle::leaf(first + i as u64, entry, code))
            .collect();
        let count = entries.len() as u64;
        let (root, paths) = super::merkle::root_and_paths(&leaves);
        let statement = Statement::Receipts { first, count, root };
        let signature = board.sign(election, &statement);
        entries
            .par_iter()
            .zip(paths)
            .enumerate()
            .map(|(i, (&(entry, tracking_code), path))| Self {
                election: *election.base_hash(),
                position: first + i as u64,
                entry,
                tracking_code,
                batch_first: first,
                batch_count: count,
                path,
                signature,
            })
            .collect()
    }

    /// The statement the receipt's signature is on (its batch's root recomputed from the leaf
    /// and the path), if the receipt's position is in its batch and its path has the right
    /// length.
    pub fn statement(&self) -> Option<Statement> {
        let index = self.position.checked_sub(self.batch_first)?;
        let leaf = super::merkle::leaf(self.position, &self.entry, &self.tracking_code);
        let root = super::merkle::root_from_path(index, self.batch_count, leaf, self.path.nodes())?;
        Some(Statement::Receipts {
            first: self.batch_first,
            count: self.batch_count,
            root,
        })
    }

    /// Checks that the receipt is of `election` and signed by its board (the manifest's board
    /// key).
    ///
    /// # Errors
    /// The [`ReceiptError`].
    pub fn verify(&self, election: &Election) -> Result<(), ReceiptError> {
        if self.election != *election.base_hash() {
            return Err(ReceiptError::OtherElection {
                found: self.election,
                expected: *election.base_hash(),
            });
        }
        let key = election.manifest().authorities().board;
        let statement = self.statement().ok_or(ReceiptError::BadSignature)?;
        self.signature
            .verify(election, &statement, &key)
            .map_err(|_| ReceiptError::BadSignature)
    }
}

/// Whether two receipts, both valid in `election`, prove that the board equivocated: the same
/// position, two entry digests (or one digest with two tracking codes).
pub fn equivocation(election: &Election, a: &Receipt, b: &Receipt) -> bool {
    a.position == b.position
        && (a.entry != b.entry || a.tracking_code != b.tracking_code)
        && a.verify(election).is_ok()
        && b.verify(election).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestElection, flip_each_byte, test_rng};

    fn receipt(t: &TestElection) -> Receipt {
        Receipt::sign(
            &t.board_key,
            &t.election,
            7,
            EntryDigest([3; 32]),
            TrackingCode([4; 32]),
        )
    }

    #[test]
    fn a_receipt_verifies_in_its_election_only() {
        let t = TestElection::leadership(3, 1);
        let r = receipt(&t);
        assert_eq!(r.verify(&t.election), Ok(()));
        let other = TestElection::leadership(4, 1);
        assert!(matches!(
            r.verify(&other.election),
            Err(ReceiptError::OtherElection { .. })
        ));
        // Another election's base hash written into the receipt: the signature fails.
        let mut moved = r;
        moved.election = *other.election.base_hash();
        assert_eq!(
            moved.verify(&other.election),
            Err(ReceiptError::BadSignature)
        );
    }

    #[test]
    fn every_changed_field_or_byte_fails() {
        let t = TestElection::leadership(3, 1);
        let r = receipt(&t);
        for changed in [
            Receipt { position: 8, ..r },
            Receipt {
                entry: EntryDigest([5; 32]),
                ..r
            },
            Receipt {
                tracking_code: TrackingCode([5; 32]),
                ..r
            },
        ] {
            assert_eq!(changed.verify(&t.election), Err(ReceiptError::BadSignature));
        }
        flip_each_byte(&r.signature.encode(), |bytes| {
            match Signature::decode(bytes) {
                Ok(s) => Receipt { signature: s, ..r }.verify(&t.election).is_err(),
                Err(_) => true,
            }
        });
    }

    #[test]
    fn a_receipt_signed_by_another_key_fails() {
        let t = TestElection::leadership(3, 1);
        let r = Receipt::sign(
            &t.administrator_key,
            &t.election,
            7,
            EntryDigest([3; 32]),
            TrackingCode([4; 32]),
        );
        assert_eq!(r.verify(&t.election), Err(ReceiptError::BadSignature));
    }

    #[test]
    fn statements_of_different_kinds_do_not_share_signatures() {
        let t = TestElection::leadership(3, 1);
        let head = EntryDigest([3; 32]);
        let final_head = Statement::FinalHead { entries: 7, head };
        let s = t.board_key.sign(&t.election, &final_head);
        let board = t.board_key.public();
        assert_eq!(s.verify(&t.election, &final_head, &board), Ok(()));
        let as_receipt = Statement::Receipts {
            first: 7,
            count: 1,
            root: head.0,
        };
        assert!(s.verify(&t.election, &as_receipt, &board).is_err());
        let close = |close| Statement::Close {
            position: 7,
            previous: head,
            close,
        };
        let admin = t.administrator_key.public();
        let c = t
            .administrator_key
            .sign(&t.election, &close(Close::Channel(ChannelIndex::new(0))));
        assert_eq!(
            c.verify(
                &t.election,
                &close(Close::Channel(ChannelIndex::new(0))),
                &admin
            ),
            Ok(())
        );
        assert!(
            c.verify(
                &t.election,
                &close(Close::Channel(ChannelIndex::new(1))),
                &admin
            )
            .is_err()
        );
        assert!(
            c.verify(&t.election, &close(Close::Voting), &admin)
                .is_err()
        );
        assert!(
            c.verify(
                &t.election,
                &close(Close::Channel(ChannelIndex::new(0))),
                &board
            )
            .is_err()
        );
    }

    #[test]
    fn signatures_are_deterministic_and_differ_per_statement() {
        let t = TestElection::leadership(3, 1);
        assert_eq!(receipt(&t), receipt(&t));
        let other = Receipt::sign(
            &t.board_key,
            &t.election,
            8,
            EntryDigest([3; 32]),
            TrackingCode([4; 32]),
        );
        // Another statement: another nonce (the commitments differ).
        assert_ne!(
            receipt(&t).signature.encode()[..32],
            other.signature.encode()[..32]
        );
    }

    /// A batch's receipts share one signature; each verifies with its own path only, and a
    /// receipt moved to another position of its batch, or given another's path or batch size,
    /// does not.
    #[test]
    fn a_batch_of_receipts_shares_one_signature() {
        let t = TestElection::leadership(3, 1);
        let entries: Vec<(EntryDigest, TrackingCode)> = (0..5u8)
            .map(|i| (EntryDigest([i; 32]), TrackingCode([i + 10; 32])))
            .collect();
        let receipts = Receipt::sign_batch(&t.board_key, &t.election, 40, &entries);
        assert_eq!(receipts.len(), 5);
        for (i, r) in receipts.iter().enumerate() {
            assert_eq!(r.position, 40 + i as u64);
            assert_eq!((r.batch_first, r.batch_count), (40, 5));
            assert_eq!(r.signature, receipts[0].signature);
            assert_eq!(r.verify(&t.election), Ok(()));
        }
        let bad = |r: Receipt| assert_eq!(r.verify(&t.election), Err(ReceiptError::BadSignature));
        bad(Receipt {
            path: receipts[1].path,
            ..receipts[0]
        });
        bad(Receipt {
            position: 41,
            ..receipts[0]
        });
        bad(Receipt {
            batch_count: 6,
            ..receipts[0]
        });
        bad(Receipt {
            batch_first: 41,
            ..receipts[0]
        });
        // Before its batch: no statement at all.
        bad(Receipt {
            position: 39,
            ..receipts[0]
        });
        // A batch of one is the receipt signed alone.
        let alone = Receipt::sign(&t.board_key, &t.election, 40, entries[0].0, entries[0].1);
        assert_eq!(
            Receipt::sign_batch(&t.board_key, &t.election, 40, &entries[..1])[0],
            alone
        );
        assert_eq!((alone.batch_count, alone.path.nodes().len()), (1, 0));
    }

    #[test]
    fn two_receipts_for_one_position_are_equivocation() {
        let t = TestElection::leadership(3, 1);
        let a = receipt(&t);
        let b = Receipt::sign(
            &t.board_key,
            &t.election,
            7,
            EntryDigest([9; 32]),
            TrackingCode([4; 32]),
        );
        assert!(equivocation(&t.election, &a, &b));
        assert!(!equivocation(&t.election, &a, &a));
        let forged = Receipt {
            signature: a.signature,
            ..b
        };
        assert!(!equivocation(&t.election, &a, &forged));
    }

    #[test]
    fn the_secret_is_not_printed() {
        let key = AuthorityKey::generate(&mut test_rng(5));
        let text = format!("{key:?}");
        assert!(!text.contains(&hex::encode(key.secret().expose().as_bytes())));
        assert!(
            AuthorityKey::from_secret(crate::secret::SecretScalar::new(
                curve25519_dalek::Scalar::ZERO
            ))
            .is_none()
        );
    }
}
