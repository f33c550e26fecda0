//! Refusals as entries of the chain (kind 4): the board answers for everything it refuses, in
//! the chain whose head it signs, and the verifier recomputes every reason the record lets it
//! recompute (spec §11.6).
//!
//! A refusal entry says what was refused (a cast ballot, by its tracking code, which is a digest
//! of all its bytes, and its nullifier; or a challenge, by the tracking code it claimed), on
//! which channel, and why, with what the reason rests on. Replaying the board, the verifier
//! checks each against the state at its position:
//!
//! | reason | checked |
//! | --- | --- |
//! | voting closed, channel closed, unknown channel | exactly: the phase at that position |
//! | spoiled (a challenged ballot cast) | the tracking code, or the reused component, is the challenged entry's |
//! | ciphertext reused | the component is a ciphertext's of the named entry, cast |
//! | superseded | precedence recomputed for (nullifier, channel) names the same entry and rule |
//! | invalid ballot, invalid challenge | only that no earlier rule applied |
//!
//! A refusal entry's nullifier is what the refused bytes carried, never proven: the board
//! applies the cheap rules (phase, reuse, precedence) before any proof, so anyone can put a
//! member's public nullifier into bytes that get refused. A member's lookup lists such entries
//! as refusals under their nullifier, not as ballots of theirs.
//!
//! An invalid ballot's bytes are not published (anyone could make the board publish anything),
//! so the verifier cannot see why it failed; its submitter holds the signed refusal receipt, and
//! the tracking code in it is a digest of the ballot: publishing the ballot shows anyone whether
//! the refusal was right.

use serde::{Deserialize, Serialize};

use crate::ballot::TrackingCode;
use crate::codec::Reader;
use crate::error::EncodingError;
use crate::group::Element;
use crate::manifest::ChannelIndex;
use crate::nullifier::Nullifier;
use crate::precedence::Reason;

use super::rules::Refusal;

/// What was submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Submission {
    /// A ballot to cast.
    Cast,
    /// A challenge (a spoiled ballot).
    Challenge,
}

/// Why a submission was refused, with what the reason rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RefusalCode {
    /// The ballot failed a check (B1–B9): not recomputable from the record.
    InvalidBallot,
    /// The challenge failed its check: not recomputable from the record.
    InvalidChallenge,
    /// Voting had closed.
    VotingClosed,
    /// The channel had closed.
    ChannelClosed,
    /// The channel is not in the manifest.
    UnknownChannel,
    /// The ballot was challenged at `position` (by its tracking code, or a ciphertext shared with
    /// that challenge) and can never be cast.
    Spoiled {
        /// The challenge's entry.
        position: u64,
    },
    /// The ballot reuses a ciphertext of the cast ballot at `position`.
    CiphertextReused {
        /// The entry whose ciphertext is reused.
        position: u64,
    },
    /// Precedence ignores the ballot forever: the voter's ballot at `by` counts instead.
    Superseded {
        /// The entry that takes precedence.
        by: u64,
        /// The rule.
        reason: Reason,
    },
}

impl RefusalCode {
    /// The code of a live board's refusal, if it is one a voter's submission can get (a refused
    /// phase change is not an entry).
    pub fn of(refusal: &Refusal) -> Option<Self> {
        Some(match *refusal {
            Refusal::Invalid(_) => Self::InvalidBallot,
            Refusal::Challenge(_) => Self::InvalidChallenge,
            Refusal::VotingClosed => Self::VotingClosed,
            Refusal::ChannelClosed { .. } => Self::ChannelClosed,
            Refusal::UnknownChannel { .. } => Self::UnknownChannel,
            Refusal::Spoiled { position } => Self::Spoiled { position },
            Refusal::CiphertextReused { position } => Self::CiphertextReused { position },
            Refusal::Superseded { by, reason } => Self::Superseded { by, reason },
            Refusal::Duplicate { .. }
            | Refusal::WrongPhase(_)
            | Refusal::UnauthorisedClose
            | Refusal::UnfoundedRefusal(_) => return None,
        })
    }
}

impl core::fmt::Display for RefusalCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::InvalidBallot => f.write_str("invalid ballot"),
            Self::InvalidChallenge => f.write_str("invalid challenge"),
            Self::VotingClosed => f.write_str("voting is closed"),
            Self::ChannelClosed => f.write_str("the channel is closed"),
            Self::UnknownChannel => f.write_str("the channel is not in the manifest"),
            Self::Spoiled { position } => {
                write!(f, "challenged at entry {position}: can never be cast")
            }
            Self::CiphertextReused { position } => {
                write!(f, "reuses a ciphertext of entry {position}")
            }
            Self::Superseded { by, reason } => {
                write!(
                    f,
                    "the voter's ballot at entry {by} takes precedence ({reason})"
                )
            }
        }
    }
}

/// A refused submission, as an entry of the chain (kind 4).
///
/// # Layout
///
/// ```text
/// 1         submission: 0 cast, 1 challenge
/// 32        tracking code
/// 1         channel
/// 1 (+32)   nullifier flag (0 none, 1 present) and the nullifier (cast ballots only)
/// 1 (+32)   component flag (0 none, 1 present) and the reused ciphertext component `a`
/// 1         reason: 0 invalid ballot, 1 invalid challenge, 2 voting closed, 3 channel closed,
///           4 unknown channel, 5 spoiled, 6 ciphertext reused, 7 superseded
/// 8         position (spoiled, ciphertext reused) or `by` (superseded), u64 big-endian
/// 1         rule (superseded only): 0 precedence, 1 last wins, 2 first wins, 3 reject second
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefusalEntry {
    /// A cast ballot or a challenge.
    pub submission: Submission,
    /// The refused ballot's tracking code (a digest of all its bytes), or the code a refused
    /// challenge claimed.
    pub tracking_code: TrackingCode,
    /// The channel it was submitted on.
    pub channel: ChannelIndex,
    /// The refused ballot's nullifier (a challenge has none). Required in JSON (`null`).
    #[serde(deserialize_with = "required")]
    pub nullifier: Option<Nullifier>,
    /// For a reuse, the first component `a` of the ciphertext reused. Required in JSON (`null`).
    #[serde(deserialize_with = "required")]
    pub component: Option<Element>,
    /// Why.
    pub reason: RefusalCode,
}

fn required<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

fn reason_byte(reason: Reason) -> u8 {
    match reason {
        Reason::Precedence => 0,
        Reason::LastWins => 1,
        Reason::FirstWins => 2,
        Reason::RejectSecond => 3,
    }
}

fn reason_of(byte: u8) -> Result<Reason, EncodingError> {
    Ok(match byte {
        0 => Reason::Precedence,
        1 => Reason::LastWins,
        2 => Reason::FirstWins,
        3 => Reason::RejectSecond,
        _ => {
            return Err(EncodingError::WrongTag {
                field: "refusal.rule",
            });
        }
    })
}

fn put_option(out: &mut Vec<u8>, value: Option<&Element>) {
    match value {
        None => out.push(0),
        Some(e) => {
            out.push(1);
            out.extend_from_slice(e.as_bytes());
        }
    }
}

fn read_option(r: &mut Reader<'_>, field: &'static str) -> Result<Option<Element>, EncodingError> {
    match r.u8(field)? {
        0 => Ok(None),
        1 => r.element(field).map(Some),
        _ => Err(EncodingError::WrongTag { field }),
    }
}

impl RefusalEntry {
    /// The binary encoding (see `# Layout`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 32 + 1 + 33 + 33 + 10);
        out.push(match self.submission {
            Submission::Cast => 0,
            Submission::Challenge => 1,
        });
        out.extend_from_slice(&self.tracking_code.0);
        out.push(self.channel.get());
        put_option(&mut out, self.nullifier.as_ref().map(Nullifier::element));
        put_option(&mut out, self.component.as_ref());
        match self.reason {
            RefusalCode::InvalidBallot => out.push(0),
            RefusalCode::InvalidChallenge => out.push(1),
            RefusalCode::VotingClosed => out.push(2),
            RefusalCode::ChannelClosed => out.push(3),
            RefusalCode::UnknownChannel => out.push(4),
            RefusalCode::Spoiled { position } => {
                out.push(5);
                out.extend_from_slice(&position.to_be_bytes());
            }
            RefusalCode::CiphertextReused { position } => {
                out.push(6);
                out.extend_from_slice(&position.to_be_bytes());
            }
            RefusalCode::Superseded { by, reason } => {
                out.push(7);
                out.extend_from_slice(&by.to_be_bytes());
                out.push(reason_byte(reason));
            }
        }
        out
    }

    /// Decodes the binary encoding.
    ///
    /// # Errors
    /// Bytes that are not the layout.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes);
        let submission = match r.u8("refusal.submission")? {
            0 => Submission::Cast,
            1 => Submission::Challenge,
            _ => {
                return Err(EncodingError::WrongTag {
                    field: "refusal.submission",
                });
            }
        };
        let code: [u8; 32] = r
            .take(32, "refusal.tracking_code")?
            .try_into()
            .map_err(|_| EncodingError::WrongTag {
                field: "refusal.tracking_code",
            })?;
        let channel = r.u8("refusal.channel")?;
        let nullifier = read_option(&mut r, "refusal.nullifier")?.map(Nullifier::from_element);
        let component = read_option(&mut r, "refusal.component")?;
        let reason = match r.u8("refusal.reason")? {
            0 => RefusalCode::InvalidBallot,
            1 => RefusalCode::InvalidChallenge,
            2 => RefusalCode::VotingClosed,
            3 => RefusalCode::ChannelClosed,
            4 => RefusalCode::UnknownChannel,
            5 => RefusalCode::Spoiled {
                position: r.u64("refusal.position")?,
            },
            6 => RefusalCode::CiphertextReused {
                position: r.u64("refusal.position")?,
            },
            7 => RefusalCode::Superseded {
                by: r.u64("refusal.by")?,
                reason: reason_of(r.u8("refusal.rule")?)?,
            },
            _ => {
                return Err(EncodingError::WrongTag {
                    field: "refusal.reason",
                });
            }
        };
        r.finish("refusal")?;
        Ok(Self {
            submission,
            tracking_code: TrackingCode(code),
            channel: ChannelIndex::new(channel),
            nullifier,
            component,
            reason,
        })
    }
}
