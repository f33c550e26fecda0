//! What the verifier counted on the board ([`Counts`], in the [`Report`](super::Report)): cast
//! ballots and how many of them passed B1–B9, challenged ballots, refusal entries by reason
//! code, and, once the decision list is recomputed (V8), the ballots superseded by each rule and
//! the ballots counted.

use serde::Serialize;

use crate::board::{Entry, Payload, RefusalCode};
use crate::precedence::{Outcome, Reason};

/// The board's entries by kind, and what channel precedence made of its cast ballots
/// (`spec/protocol.md` §16.3).
///
/// `cast`, `verified`, `challenged` and `refused` are counted as the board is read, whatever
/// the checks find; `superseded` and `counted` come from the decision list the verifier
/// recomputes (V8) and are `None` when V8 did not run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Counts {
    /// Cast ballots on the board (entries of kind 0).
    pub cast: u64,
    /// Cast ballots that passed every ballot check, B1–B9 (V5).
    pub verified: u64,
    /// Challenged (spoiled) ballots on the board (entries of kind 1), whose openings V6 checks.
    pub challenged: u64,
    /// Refused submissions on the board (entries of kind 4), by the reason code the board gave,
    /// which V7 recomputes where the record allows.
    pub refused: RefusedCounts,
    /// Cast ballots that do not count, by the rule that set each aside (the recomputed decision
    /// list; `None` if V8 did not run).
    pub superseded: Option<SupersededCounts>,
    /// Cast ballots that count (`None` if V8 did not run).
    pub counted: Option<u64>,
}

impl Counts {
    /// Counts the entries of one block of the board, `invalid` of whose cast ballots failed
    /// B1–B9.
    pub(super) fn add_block(&mut self, block: &[Entry], invalid: usize) {
        let mut cast = 0u64;
        for entry in block {
            match &entry.payload {
                Payload::Ballot(_) => cast += 1,
                Payload::Spoiled(_) => self.challenged += 1,
                Payload::Refused(r) => self.refused.add(&r.reason),
                Payload::CloseChannel { .. } | Payload::CloseVoting { .. } => {}
            }
        }
        self.cast += cast;
        self.verified += cast.saturating_sub(invalid as u64);
    }

    /// Adds what the recomputed decision list says: the ballots superseded by each rule, and
    /// those counted.
    pub(super) fn add_outcome(&mut self, outcome: &Outcome) {
        let mut superseded = SupersededCounts::default();
        for decision in &outcome.decisions {
            superseded.add(decision.reason);
        }
        self.superseded = Some(superseded);
        self.counted = Some(outcome.counted.len() as u64);
    }
}

/// Cast ballots superseded, by the precedence rule ([`Reason`], named in JSON as the
/// decision list names it: `precedence`, `last_wins`, `first_wins`, `reject_second`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SupersededCounts {
    /// The voter has a ballot on a higher-ranked channel ([`Reason::Precedence`]).
    pub precedence: u64,
    /// A later ballot on the same channel replaces it ([`Reason::LastWins`]).
    pub last_wins: u64,
    /// An earlier ballot on the same channel stands ([`Reason::FirstWins`]).
    pub first_wins: u64,
    /// An earlier ballot on the same channel stands ([`Reason::RejectSecond`]).
    pub reject_second: u64,
}

impl SupersededCounts {
    fn add(&mut self, reason: Reason) {
        *match reason {
            Reason::Precedence => &mut self.precedence,
            Reason::LastWins => &mut self.last_wins,
            Reason::FirstWins => &mut self.first_wins,
            Reason::RejectSecond => &mut self.reject_second,
        } += 1;
    }

    /// Every rule with its count, in the order of the fields.
    pub fn by_reason(&self) -> [(Reason, u64); 4] {
        [
            (Reason::Precedence, self.precedence),
            (Reason::LastWins, self.last_wins),
            (Reason::FirstWins, self.first_wins),
            (Reason::RejectSecond, self.reject_second),
        ]
    }

    /// All superseded ballots.
    pub fn total(&self) -> u64 {
        self.by_reason().iter().map(|(_, n)| n).sum()
    }
}

/// Refusal entries, by reason code ([`RefusalCode`], named in JSON as `board.jsonl` names it:
/// `invalid_ballot`, …, `superseded`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RefusedCounts {
    /// The ballot failed a check, B1–B9 ([`RefusalCode::InvalidBallot`]).
    pub invalid_ballot: u64,
    /// The challenge failed its check ([`RefusalCode::InvalidChallenge`]).
    pub invalid_challenge: u64,
    /// Voting had closed ([`RefusalCode::VotingClosed`]).
    pub voting_closed: u64,
    /// The channel had closed ([`RefusalCode::ChannelClosed`]).
    pub channel_closed: u64,
    /// The channel is not in the manifest ([`RefusalCode::UnknownChannel`]).
    pub unknown_channel: u64,
    /// A challenged ballot, cast ([`RefusalCode::Spoiled`]).
    pub spoiled: u64,
    /// A ciphertext of a cast ballot, reused ([`RefusalCode::CiphertextReused`]).
    pub ciphertext_reused: u64,
    /// Precedence ignores the ballot forever ([`RefusalCode::Superseded`]).
    pub superseded: u64,
}

impl RefusedCounts {
    fn add(&mut self, code: &RefusalCode) {
        *match code {
            RefusalCode::InvalidBallot => &mut self.invalid_ballot,
            RefusalCode::InvalidChallenge => &mut self.invalid_challenge,
            RefusalCode::VotingClosed => &mut self.voting_closed,
            RefusalCode::ChannelClosed => &mut self.channel_closed,
            RefusalCode::UnknownChannel => &mut self.unknown_channel,
            RefusalCode::Spoiled { .. } => &mut self.spoiled,
            RefusalCode::CiphertextReused { .. } => &mut self.ciphertext_reused,
            RefusalCode::Superseded { .. } => &mut self.superseded,
        } += 1;
    }

    /// Every reason code, by its JSON name (`"invalid_ballot"`, …), with its count, in the
    /// order of the fields.
    pub fn by_code(&self) -> [(&'static str, u64); 8] {
        [
            ("invalid_ballot", self.invalid_ballot),
            ("invalid_challenge", self.invalid_challenge),
            ("voting_closed", self.voting_closed),
            ("channel_closed", self.channel_closed),
            ("unknown_channel", self.unknown_channel),
            ("spoiled", self.spoiled),
            ("ciphertext_reused", self.ciphertext_reused),
            ("superseded", self.superseded),
        ]
    }

    /// All refusal entries.
    pub fn total(&self) -> u64 {
        self.by_code().iter().map(|(_, n)| n).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names `by_code` and `by_reason` give are the JSON keys, and the keys are the
    /// record's own names of codes and rules.
    #[test]
    fn counts_are_named_as_the_record_names_codes_and_rules() {
        let refused = RefusedCounts::default();
        let json = serde_json::to_value(refused).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut names: Vec<&str> = refused.by_code().iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        assert_eq!(keys, names);
        for (code, name) in [
            (RefusalCode::InvalidBallot, "invalid_ballot"),
            (RefusalCode::Spoiled { position: 3 }, "spoiled"),
            (
                RefusalCode::Superseded {
                    by: 4,
                    reason: Reason::LastWins,
                },
                "superseded",
            ),
        ] {
            let value = serde_json::to_value(code).unwrap();
            let named = value
                .as_str()
                .map(str::to_string)
                .or_else(|| value.as_object().and_then(|o| o.keys().next().cloned()));
            assert_eq!(named.as_deref(), Some(name));
        }
        let superseded = serde_json::to_value(SupersededCounts::default()).unwrap();
        for (reason, _) in SupersededCounts::default().by_reason() {
            let name = serde_json::to_value(reason).unwrap();
            assert!(superseded.get(name.as_str().unwrap()).is_some(), "{name}");
        }
    }

    #[test]
    fn totals_add_every_code_and_rule() {
        let mut refused = RefusedCounts::default();
        refused.add(&RefusalCode::VotingClosed);
        refused.add(&RefusalCode::CiphertextReused { position: 1 });
        refused.add(&RefusalCode::CiphertextReused { position: 2 });
        assert_eq!(
            (
                refused.voting_closed,
                refused.ciphertext_reused,
                refused.total()
            ),
            (1, 2, 3)
        );
        let mut superseded = SupersededCounts::default();
        superseded.add(Reason::Precedence);
        superseded.add(Reason::RejectSecond);
        assert_eq!(superseded.total(), 2);
    }
}
