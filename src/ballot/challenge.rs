//! The Benaloh challenge: cast-as-intended verification.
//!
//! Before casting, a voter may challenge the ballot their device made. The device reveals every
//! vote `v` and nonce `r`; anyone recomputes `(r·G, v·G + r·K)` and compares it with the
//! ciphertext, and the voter compares the votes with their intent. A challenged ballot is spoiled:
//! it can never be cast (the board refuses a ballot whose ciphertexts match a challenged one's).
//!
//! The voter's device (or a second device the voter trusts) checks the whole
//! [`ChallengedBallot`] and submits only its [`SpoiledBallot`]: the election, the channel, the
//! ciphertexts, their openings, the ballot digest and the tracking code, and **not** the
//! nullifier, the credential or the eligibility proof, which would tie the revealed votes to the
//! voter's roll entry and to the ballot they cast next. The board checks and records that form
//! alone, so it never learns whose challenge it holds (spec §7.6, §8.2).

use curve25519_dalek::scalar::Scalar;
use serde::{Deserialize, Serialize};

use super::{Ballot, BallotError, TrackingCode, count16};
use crate::codec::{Reader, Wire, wire_serde};
use crate::digest::BallotDigest;
use crate::election::{BaseHash, Election};
use crate::elgamal::Ciphertext;
use crate::error::EncodingError;
use crate::manifest::{ChannelIndex, MAX_CONTESTS, MAX_OPTIONS};
use crate::transcript::PROTOCOL_VERSION;

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
    const MAX_LEN: usize = 36;

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
crate::codec::wire_bytes!(Opening);

/// A challenged (spoiled) ballot with its openings, per contest, per option.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengedBallot {
    /// The ballot as it was shown to the voter.
    pub ballot: Ballot,
    /// The revealed votes and nonces.
    #[serde(deserialize_with = "openings_json")]
    pub openings: Vec<Vec<Opening>>,
}

crate::codec::wire_bytes!(ChallengedBallot);

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
        out.extend_from_slice(&count16(self.openings.len()));
        for contest in &self.openings {
            out.extend_from_slice(&count16(contest.len()));
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
        let contests = r.count16("challenged_ballot.contests", MAX_CONTESTS)?;
        let mut openings = Vec::with_capacity(contests);
        for _ in 0..contests {
            let n = r.count16("challenged_ballot.openings", MAX_OPTIONS)?;
            let contest = (0..n)
                .map(|_| Opening::decode(r.take(36, "challenged_ballot.opening")?))
                .collect::<Result<Vec<_>, _>>()?;
            openings.push(contest);
        }
        r.finish(Self::NAME)?;
        Ok(Self { ballot, openings })
    }
}

/// One spoiled selection: the ciphertext and what it opens to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpoiledSelection {
    /// The ciphertext as it was in the ballot.
    pub ciphertext: Ciphertext,
    /// Its opening.
    pub opening: Opening,
}

/// A Benaloh challenge as the voter's device submits it and the board records it: the public
/// form of a challenged ballot, holding only what its check needs.
///
/// It carries the election's base hash, the channel, every ciphertext with its opening, the
/// ballot digest `SHA-256(ballot)` and the tracking code; **never** the nullifier, the
/// credential, the eligibility proof, the range proofs or the countersignature (spec §7.6): a
/// challenge names no voter, and the board checks it without knowing who submits it.
///
/// # Layout
///
/// ```text
/// "NVS" ‖ version u16 ‖ election (32) ‖ channel u8 ‖ tracking code (32) ‖ ballot digest (32)
///       ‖ contests u16 ‖ per contest: selections u16 ‖ per selection: ciphertext (64) ‖ opening (36)
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpoiledBallot {
    /// The election's base hash (checked against the election, and in the tracking code).
    pub election: BaseHash,
    /// The channel the ballot was prepared for (in the tracking code).
    pub channel: ChannelIndex,
    /// The tracking code the voter was shown.
    pub tracking_code: TrackingCode,
    /// `SHA-256` of the whole ballot encoding: binds the parts not published. Hiding only
    /// because its preimage holds unpublished random proof commitments (spec §7.6).
    pub ballot_digest: BallotDigest,
    /// Per contest, per option.
    #[serde(deserialize_with = "spoiled_contests_json")]
    pub contests: Vec<Vec<SpoiledSelection>>,
}

fn spoiled_contests_json<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<Vec<SpoiledSelection>>, D::Error> {
    crate::codec::bounded_nested(d, "spoiled_ballot.contests", MAX_CONTESTS, MAX_OPTIONS)
}

fn openings_json<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Vec<Opening>>, D::Error> {
    crate::codec::bounded_nested(d, "challenged_ballot.openings", MAX_CONTESTS, MAX_OPTIONS)
}

/// The magic bytes of an encoded spoiled ballot.
pub const SPOILED_MAGIC: &[u8; 3] = b"NVS";

impl SpoiledBallot {
    /// The tracking code recomputed from the published fields (spec §7.5): election, channel,
    /// the ciphertexts in order and the ballot digest.
    pub fn recomputed_code(&self) -> TrackingCode {
        TrackingCode::of(
            &self.election,
            self.channel,
            self.contests.iter().flatten().map(|s| &s.ciphertext),
            self.ballot_digest.as_bytes(),
        )
    }

    /// Checks, in order, that the spoiled ballot is of this election, that its shape is the
    /// manifest's, that its tracking code is that of its election, channel, ciphertexts and
    /// digest, and that every ciphertext is the encryption of its opening; returns the revealed
    /// votes. This is the whole check of a challenge, by the board and by any verifier.
    ///
    /// # Errors
    /// [`ChallengeError::WrongElection`], [`ChallengeError::Shape`],
    /// [`ChallengeError::TrackingCode`] or the first [`ChallengeError::Mismatch`].
    pub fn verify(&self, election: &Election) -> Result<Vec<Vec<u32>>, ChallengeError> {
        if self.election != *election.base_hash() {
            return Err(ChallengeError::WrongElection);
        }
        let contests = election.manifest().contests();
        if self.contests.len() != contests.len()
            || self
                .contests
                .iter()
                .zip(contests)
                .any(|(s, c)| s.len() != c.options.len())
        {
            return Err(ChallengeError::Shape);
        }
        if self.recomputed_code() != self.tracking_code {
            return Err(ChallengeError::TrackingCode);
        }
        for (i, contest) in self.contests.iter().enumerate() {
            for (j, s) in contest.iter().enumerate() {
                let expected = election
                    .key()
                    .encrypt(&Scalar::from(s.opening.value), &s.opening.nonce);
                if expected != s.ciphertext {
                    return Err(ChallengeError::Mismatch {
                        contest: i,
                        option: j,
                    });
                }
            }
        }
        Ok(self
            .contests
            .iter()
            .map(|c| c.iter().map(|s| s.opening.value).collect())
            .collect())
    }
}

crate::codec::wire_bytes!(SpoiledBallot);

impl Wire for SpoiledBallot {
    const NAME: &'static str = "spoiled_ballot";

    fn encode(&self) -> Vec<u8> {
        let n: usize = self.contests.iter().map(Vec::len).sum();
        let mut out = Vec::with_capacity(107 + 2 * self.contests.len() + 100 * n);
        out.extend_from_slice(SPOILED_MAGIC);
        out.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
        out.extend_from_slice(self.election.as_bytes());
        out.push(self.channel.get());
        out.extend_from_slice(&self.tracking_code.0);
        out.extend_from_slice(self.ballot_digest.as_bytes());
        out.extend_from_slice(&count16(self.contests.len()));
        for contest in &self.contests {
            out.extend_from_slice(&count16(contest.len()));
            for s in contest {
                out.extend_from_slice(&s.ciphertext.encode());
                out.extend_from_slice(&s.opening.encode());
            }
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes);
        if r.take(3, "spoiled_ballot.magic")? != SPOILED_MAGIC {
            return Err(EncodingError::WrongTag {
                field: "spoiled_ballot.magic",
            });
        }
        let version = r.u16("spoiled_ballot.version")?;
        if version != PROTOCOL_VERSION {
            return Err(EncodingError::UnsupportedVersion {
                field: "spoiled_ballot.version",
                found: version,
                supported: PROTOCOL_VERSION,
            });
        }
        let election = BaseHash(r.array32("spoiled_ballot.election")?);
        let channel = r.u8("spoiled_ballot.channel")?;
        let tracking_code = TrackingCode(r.array32("spoiled_ballot.tracking_code")?);
        let ballot_digest = BallotDigest(r.array32("spoiled_ballot.ballot_digest")?);
        let count = r.count16("spoiled_ballot.contests", MAX_CONTESTS)?;
        let mut contests = Vec::with_capacity(count);
        for _ in 0..count {
            let n = r.count16("spoiled_ballot.selections", MAX_OPTIONS)?;
            let contest = (0..n)
                .map(|_| {
                    let ciphertext =
                        Ciphertext::decode(r.take(Ciphertext::LEN, "spoiled_ballot.ciphertext")?)?;
                    let opening = Opening::decode(r.take(36, "spoiled_ballot.opening")?)?;
                    Ok(SpoiledSelection {
                        ciphertext,
                        opening,
                    })
                })
                .collect::<Result<Vec<_>, EncodingError>>()?;
            contests.push(contest);
        }
        r.finish(Self::NAME)?;
        Ok(Self {
            election,
            channel: ChannelIndex::new(channel),
            tracking_code,
            ballot_digest,
            contests,
        })
    }
}

/// Why a challenged ballot does not open to what it claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeError {
    /// The ballot itself fails a check (only the voter's device checks the whole ballot,
    /// [`ChallengedBallot::verify`]; the board never sees it).
    #[error("the challenged ballot is invalid: {0}")]
    Ballot(#[from] BallotError),
    /// The spoiled ballot names another election's base hash.
    #[error("the challenge is for another election")]
    WrongElection,
    /// The openings do not have the ballot's shape.
    #[error("the openings do not match the ballot's contests and options")]
    Shape,
    /// The tracking code is not that of the published election, channel, ciphertexts and
    /// ballot digest.
    #[error(
        "the tracking code does not match the spoiled ballot's election, channel, ciphertexts \
         and digest"
    )]
    TrackingCode,
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
    /// The challenge the device submits and the board records: election, channel, ciphertexts,
    /// openings, ballot digest and tracking code, without the nullifier, the credential, the
    /// eligibility proof, the range proofs or the countersignature.
    pub fn spoiled(&self) -> SpoiledBallot {
        SpoiledBallot {
            election: self.ballot.election,
            channel: self.ballot.channel,
            tracking_code: self.ballot.tracking_code(),
            ballot_digest: self.ballot.digest(),
            contests: self
                .ballot
                .contests
                .iter()
                .zip(&self.openings)
                .map(|(c, o)| {
                    c.selections
                        .iter()
                        .zip(o)
                        .map(|(s, opening)| SpoiledSelection {
                            ciphertext: s.ciphertext,
                            opening: *opening,
                        })
                        .collect()
                })
                .collect(),
        }
    }

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
