//! The Benaloh challenge: cast-as-intended verification.
//!
//! Before casting, a voter may challenge the ballot their device made. The device reveals every
//! vote `v` and nonce `r`; anyone recomputes `(r·G, v·G + r·K)` and compares it with the
//! ciphertext, and the voter compares the votes with their intent. A challenged ballot is spoiled:
//! it can never be cast (the board refuses a ballot whose ciphertexts match a challenged one's).

use curve25519_dalek::scalar::Scalar;
use serde::{Deserialize, Serialize};

use super::{Ballot, BallotError};
use crate::codec::{Reader, Wire, wire_serde};
use crate::election::Election;
use crate::error::EncodingError;

/// A revealed selection: the vote and the encryption nonce. Public once revealed.
///
/// # Layout
///
/// 36 bytes: value (u32 big-endian) ‖ nonce (32, canonical scalar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opening {
    /// The vote `v`.
    pub value: u32,
    /// The nonce `r`.
    pub nonce: Scalar,
}

impl Wire for Opening {
    const NAME: &'static str = "opening";

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(36);
        out.extend_from_slice(&self.value.to_be_bytes());
        out.extend_from_slice(self.nonce.as_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes);
        let v = r.take(4, "opening.value")?;
        let value = u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
        let nonce = r.scalar("opening.nonce")?;
        r.finish(Self::NAME)?;
        Ok(Self { value, nonce })
    }
}

wire_serde!(Opening);

/// A challenged (spoiled) ballot with its openings, per contest, per option.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengedBallot {
    /// The ballot as it was shown to the voter.
    pub ballot: Ballot,
    /// The revealed votes and nonces.
    pub openings: Vec<Vec<Opening>>,
}

impl Wire for ChallengedBallot {
    const NAME: &'static str = "challenged_ballot";

    /// # Layout
    ///
    /// ballot length (u32) ‖ ballot encoding ‖ contests (u16) ‖ per contest: openings (u16) ‖
    /// that many [`Opening`]s (36 bytes each). All integers big-endian.
    fn encode(&self) -> Vec<u8> {
        let ballot = self.ballot.encode();
        let mut out = Vec::with_capacity(ballot.len() + 64);
        out.extend_from_slice(&(ballot.len() as u32).to_be_bytes());
        out.extend_from_slice(&ballot);
        out.extend_from_slice(&(self.openings.len() as u16).to_be_bytes());
        for contest in &self.openings {
            out.extend_from_slice(&(contest.len() as u16).to_be_bytes());
            for opening in contest {
                out.extend_from_slice(&opening.encode());
            }
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes);
        let len = r.take(4, "challenged_ballot.ballot_len")?;
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let ballot = Ballot::decode(r.take(len, "challenged_ballot.ballot")?)?;
        let contests = usize::from(r.u16("challenged_ballot.contests")?);
        if contests > crate::manifest::MAX_CONTESTS {
            return Err(EncodingError::TooMany {
                field: "challenged_ballot.contests",
                count: contests,
                limit: crate::manifest::MAX_CONTESTS,
            });
        }
        let mut openings = Vec::with_capacity(contests);
        for _ in 0..contests {
            let n = usize::from(r.u16("challenged_ballot.openings")?);
            if n > crate::manifest::MAX_OPTIONS {
                return Err(EncodingError::TooMany {
                    field: "challenged_ballot.openings",
                    count: n,
                    limit: crate::manifest::MAX_OPTIONS,
                });
            }
            let contest = (0..n)
                .map(|_| Opening::decode(r.take(36, "challenged_ballot.opening")?))
                .collect::<Result<Vec<_>, _>>()?;
            openings.push(contest);
        }
        r.finish(Self::NAME)?;
        Ok(Self { ballot, openings })
    }
}

/// Why a challenged ballot does not open to what it claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeError {
    /// The ballot itself fails a check.
    #[error("the challenged ballot is invalid: {0}")]
    Ballot(#[from] BallotError),
    /// The openings do not have the ballot's shape.
    #[error("the openings do not match the ballot's contests and options")]
    Shape,
    /// A ciphertext is not the encryption of its opening.
    #[error(
        "contest {contest}, option {option}: the ciphertext does not open to the revealed vote"
    )]
    Mismatch {
        /// The contest index.
        contest: usize,
        /// The option index.
        option: usize,
    },
}

impl ChallengedBallot {
    /// Checks the ballot and that every ciphertext is the encryption of its opening; returns the
    /// revealed votes for the voter to compare with their intent.
    ///
    /// # Errors
    /// The ballot's first failing check, or the first selection that does not open.
    pub fn verify(&self, election: &Election) -> Result<Vec<Vec<u32>>, ChallengeError> {
        self.ballot.verify(election)?;
        if self.openings.len() != self.ballot.contests.len()
            || self
                .openings
                .iter()
                .zip(&self.ballot.contests)
                .any(|(o, c)| o.len() != c.selections.len())
        {
            return Err(ChallengeError::Shape);
        }
        for (i, (openings, contest)) in self.openings.iter().zip(&self.ballot.contests).enumerate()
        {
            for (j, (opening, selection)) in openings.iter().zip(&contest.selections).enumerate() {
                let expected = election
                    .key()
                    .encrypt(&Scalar::from(opening.value), &opening.nonce);
                if expected != selection.ciphertext {
                    return Err(ChallengeError::Mismatch {
                        contest: i,
                        option: j,
                    });
                }
            }
        }
        Ok(self
            .openings
            .iter()
            .map(|c| c.iter().map(|o| o.value).collect())
            .collect())
    }
}
