//! A receipt checked against a published board: the evidence a voter holds when the board
//! dropped or changed their entry (spec §11.2).
//!
//! The board signs two kinds of statement about its chain: a [`Receipt`] for each entry when it
//! is appended, and the final head once voting closes ([`Statement::FinalHead`], in
//! `record.json`). The chain's links make the final head commit to every entry before it. So
//! once both signatures verify and the published entries link up to the signed head:
//!
//! * the entry at the receipt's position has the receipt's digest: **confirmed**;
//! * it has another digest: the board signed two entries for one position (**changed**);
//! * it has the digest but another tracking code: the board signed a receipt that names
//!   another submission's entry (**wrong tracking code**);
//! * the published board is shorter than the receipt's position: the board signed an entry it
//!   did not publish (**dropped**).
//!
//! Either of the last two is a proof, checkable by anyone with the manifest's board key, that
//! the board misbehaved: the receipt and the record's signed head together.

use serde::Serialize;

use super::{Entry, Receipt, ReceiptError, Signature, Statement};
use crate::ballot::TrackingCode;
use crate::digest::EntryDigest;
use crate::election::Election;

/// What a valid receipt shows about a published board.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum ReceiptStatus {
    /// The entry is on the board as the receipt says.
    Confirmed {
        /// Its position.
        position: u64,
    },
    /// The board published another entry at the receipt's position.
    Changed {
        /// The position.
        position: u64,
        /// The digest the receipt signs.
        receipt_entry: EntryDigest,
        /// The digest of the entry published there.
        published_entry: EntryDigest,
    },
    /// The entry at the receipt's position has the receipt's digest but not its tracking code:
    /// the board signed a receipt naming someone else's entry.
    WrongTrackingCode {
        /// The position.
        position: u64,
        /// The tracking code the receipt signs.
        receipt_code: TrackingCode,
        /// The tracking code of the entry there.
        entry_code: TrackingCode,
    },
    /// The published board ends before the receipt's position.
    Dropped {
        /// The position.
        position: u64,
        /// The number of entries published.
        published_entries: u64,
    },
}

impl ReceiptStatus {
    /// Whether the receipt proves that the board dropped or changed the entry.
    pub fn is_evidence(&self) -> bool {
        !matches!(self, Self::Confirmed { .. })
    }
}

/// Why a receipt cannot be checked against a published board.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// The receipt is not the board's, or not of this election.
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
    /// The published final head is not signed by the board: the board has said nothing about
    /// this chain that a receipt could contradict.
    #[error(
        "the board's signature of its final head ({entries} entries) does not verify: this board proves nothing about the board's conduct"
    )]
    FinalHead {
        /// The number of entries of the head.
        entries: u64,
    },
    /// The published entries do not link up to the signed head.
    #[error("board entry {position} does not chain to the signed final head")]
    Chain {
        /// The first entry that does not link.
        position: u64,
    },
}

/// A published board whose final head the board signed, with the digest and tracking code of
/// each entry: what receipts are checked against (one pass over the board for any number of
/// receipts).
pub struct SignedBoard {
    entries: Vec<(EntryDigest, TrackingCode)>,
}

impl SignedBoard {
    /// Checks that the board signed the final `head` of `entries` (`final_signature`, under the
    /// manifest's board key) and that the entries link up to it.
    ///
    /// # Errors
    /// [`EvidenceError::FinalHead`] or [`EvidenceError::Chain`].
    pub fn new(
        election: &Election,
        entries: &[Entry],
        head: &EntryDigest,
        final_signature: &Signature,
    ) -> Result<Self, EvidenceError> {
        use rayon::prelude::*;
        let count = entries.len() as u64;
        let statement = Statement::FinalHead {
            entries: count,
            head: *head,
        };
        final_signature
            .verify(
                election,
                &statement,
                &election.manifest().authorities().board,
            )
            .map_err(|_| EvidenceError::FinalHead { entries: count })?;
        let digests: Vec<(EntryDigest, TrackingCode)> =
            entries.par_iter().map(Entry::digest_and_code).collect();
        let mut previous = EntryDigest::genesis(election.base_hash());
        for (i, (entry, (digest, _))) in entries.iter().zip(&digests).enumerate() {
            if entry.position != i as u64 || entry.previous != previous {
                return Err(EvidenceError::Chain { position: i as u64 });
            }
            previous = *digest;
        }
        if previous != *head {
            return Err(EvidenceError::Chain { position: count });
        }
        Ok(Self { entries: digests })
    }

    /// Checks `receipt` against this board.
    ///
    /// # Errors
    /// [`EvidenceError::Receipt`]: a forged or foreign receipt.
    pub fn check(
        &self,
        election: &Election,
        receipt: &Receipt,
    ) -> Result<ReceiptStatus, EvidenceError> {
        receipt.verify(election)?;
        Ok(self.classify(receipt))
    }

    /// What a receipt already verified shows about this board.
    fn classify(&self, receipt: &Receipt) -> ReceiptStatus {
        let at = usize::try_from(receipt.position)
            .ok()
            .and_then(|p| self.entries.get(p));
        match at {
            None => ReceiptStatus::Dropped {
                position: receipt.position,
                published_entries: self.entries.len() as u64,
            },
            Some(&(digest, code)) if digest == receipt.entry && code == receipt.tracking_code => {
                ReceiptStatus::Confirmed {
                    position: receipt.position,
                }
            }
            Some(&(digest, code)) if digest == receipt.entry => ReceiptStatus::WrongTrackingCode {
                position: receipt.position,
                receipt_code: receipt.tracking_code,
                entry_code: code,
            },
            Some(&(digest, _)) => ReceiptStatus::Changed {
                position: receipt.position,
                receipt_entry: receipt.entry,
                published_entry: digest,
            },
        }
    }
}

/// Checks `receipt` against the published board `entries`, whose final `head` the board signed
/// with `final_signature` (`record.json`'s `board_head`, `board_signature`). For many receipts,
/// build the [`SignedBoard`] once.
///
/// # Errors
/// An [`EvidenceError`]: a forged or foreign receipt, an unsigned head, or entries that do not
/// chain to it.
pub fn check_receipt(
    election: &Election,
    entries: &[Entry],
    head: &EntryDigest,
    final_signature: &Signature,
    receipt: &Receipt,
) -> Result<ReceiptStatus, EvidenceError> {
    // The receipt first: a forged receipt is named as such whatever the board.
    receipt.verify(election)?;
    Ok(SignedBoard::new(election, entries, head, final_signature)?.classify(receipt))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::Close;
    use crate::testing::{ONLINE, POSTAL, SUNAK, TRUSS, TestElection};

    /// An honest receipt is confirmed; a board that drops an admitted ballot (and publishes its
    /// chain without it, signing that head) or changes it is caught by the receipt; a forged
    /// receipt, an unsigned head and a broken chain are errors, not evidence.
    #[test]
    fn a_receipt_confirms_or_proves_a_dropped_or_changed_entry() {
        let t = TestElection::leadership(3, 31);
        let mut board = t.board();
        let kept = board.submit(t.ballot(0, ONLINE, TRUSS, 1)).unwrap();
        let dropped = board.submit(t.ballot(1, POSTAL, SUNAK, 2)).unwrap();
        let mut honest = t.board();
        for entry in board.entries() {
            if let super::super::Payload::Ballot(b) = &entry.payload {
                honest.submit((**b).clone()).unwrap();
            }
        }
        honest
            .close_as(&t.administrator_key, Close::Voting)
            .unwrap();
        let signature = honest.final_signature().unwrap();
        let check = |b: &crate::board::Board, s: &Signature, r: &Receipt| {
            check_receipt(&t.election, b.entries(), &b.head(), s, r)
        };
        assert_eq!(
            check(&honest, &signature, &dropped),
            Ok(ReceiptStatus::Confirmed { position: 1 })
        );

        // The board drops the postal ballot: it publishes entry 0 and the close.
        board.truncate(1);
        board.close_as(&t.administrator_key, Close::Voting).unwrap();
        let cut = board.final_signature().unwrap();
        assert_eq!(
            check(&board, &cut, &kept),
            Ok(ReceiptStatus::Confirmed { position: 0 })
        );
        let status = check(&board, &cut, &dropped).unwrap();
        assert!(status.is_evidence());
        assert!(matches!(status, ReceiptStatus::Changed { position: 1, .. }));
        // ... or publishes only entry 0 with no close (a shorter board it signs).
        board.truncate(1);
        let short = board.final_signature();
        assert!(short.is_none(), "an open board signs no final head");
        let short_head = Statement::FinalHead {
            entries: 1,
            head: board.head(),
        };
        let short = t.board_key.sign(&t.election, &short_head);
        assert_eq!(
            check(&board, &short, &dropped),
            Ok(ReceiptStatus::Dropped {
                position: 1,
                published_entries: 1
            })
        );

        // Not evidence: a receipt altered by its holder, a head the board did not sign, a
        // chain that does not link.
        let forged = Receipt {
            position: 0,
            ..dropped
        };
        assert!(matches!(
            check(&honest, &signature, &forged),
            Err(EvidenceError::Receipt(ReceiptError::BadSignature))
        ));
        assert_eq!(
            check(&honest, &cut, &dropped),
            Err(EvidenceError::FinalHead { entries: 3 })
        );
        // A receipt the board signed for entry 1's digest with entry 0's tracking code: it
        // names another submission's entry.
        let misattributed = Receipt::sign(
            &t.board_key,
            &t.election,
            1,
            dropped.entry,
            kept.tracking_code,
        );
        assert!(matches!(
            check(&honest, &signature, &misattributed),
            Ok(ReceiptStatus::WrongTrackingCode { position: 1, .. })
        ));
        let mut relinked = honest.entries().to_vec();
        relinked[1].previous = EntryDigest([9; 32]);
        assert_eq!(
            check_receipt(&t.election, &relinked, &honest.head(), &signature, &dropped),
            Err(EvidenceError::Chain { position: 1 })
        );
    }
}
