//! The verifier's numbered checks, shared by the verifier (which runs them) and the record
//! reader (which names the check a malformed file belongs to).

use std::fmt;

use serde::Serialize;

/// The numbered checks of the verifier, in order (`spec/protocol.md` §16.1; the table of the
/// [module docs](crate::verifier)).
///
/// Displayed and serialised as its number, `"V1"` … `"V11"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum CheckId {
    /// The record header and manifest are well formed and agree.
    V1,
    /// The key ceremony recomputed.
    V2,
    /// The base hash recomputed (and compared with the expected one, if given).
    V3,
    /// The board chain, its final-head signature and the close of voting last.
    V4,
    /// Every cast ballot (B1–B9, [`BallotCheck`](crate::ballot::BallotCheck)).
    V5,
    /// Every challenged (spoiled) ballot opens.
    V6,
    /// The board's admission rules.
    V7,
    /// The decision list recomputed.
    V8,
    /// The tally recomputed.
    V9,
    /// The decryption shares and their proofs.
    V10,
    /// The result is the decryption of the tally.
    V11,
}

impl CheckId {
    /// Every check, in the order the verifier runs and reports them.
    pub const ALL: [CheckId; 11] = [
        Self::V1,
        Self::V2,
        Self::V3,
        Self::V4,
        Self::V5,
        Self::V6,
        Self::V7,
        Self::V8,
        Self::V9,
        Self::V10,
        Self::V11,
    ];

    /// The check's number, `"V1"` … `"V11"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "V1",
            Self::V2 => "V2",
            Self::V3 => "V3",
            Self::V4 => "V4",
            Self::V5 => "V5",
            Self::V6 => "V6",
            Self::V7 => "V7",
            Self::V8 => "V8",
            Self::V9 => "V9",
            Self::V10 => "V10",
            Self::V11 => "V11",
        }
    }

    /// What the check checks (the report's [`CheckReport::title`](crate::verifier::CheckReport::title)).
    pub fn title(self) -> &'static str {
        match self {
            Self::V1 => "record header and manifest well formed",
            Self::V2 => "key ceremony: digests, reveals, proofs of possession, complaints, keys",
            Self::V3 => "base hash recomputed",
            Self::V4 => "board chain: positions, links, head, final signature",
            Self::V5 => "every cast ballot (B1-B9)",
            Self::V6 => "every challenged ballot opens",
            Self::V7 => "board admission rules: signed closes, reuse, precedence, refusals",
            Self::V8 => "decision list recomputed",
            Self::V9 => "tally and per-channel counts recomputed",
            Self::V10 => "decryption shares and their proofs",
            Self::V11 => "result equals the decryption of the tally",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}
