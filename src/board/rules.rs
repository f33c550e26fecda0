//! The board's admission rules, shared by the live board and by the verifier's replay.

use std::collections::{BTreeSet, HashMap};

use crate::ballot::ChallengeError;
use crate::ballot::{Ballot, BallotError, SpoiledBallot, TrackingCode};
use crate::election::Election;
use crate::elgamal::Ciphertext;
use crate::manifest::{ChannelIndex, ChannelRule};
use crate::precedence::{CastBallot, Reason};

use super::refusal::{RefusalCode, RefusalEntry, Submission};
use super::{Entry, Payload};

/// Why the board refused a submission (or why a published entry should have been refused).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The ballot fails a check.
    #[error("invalid ballot: {0}")]
    Invalid(BallotError),
    /// The challenge (a spoiled ballot) fails its check: another election, another shape, a
    /// tracking code that is not its own, or a ciphertext that does not open to its opening.
    #[error("invalid challenge: {0}")]
    Challenge(ChallengeError),
    /// Voting has closed.
    #[error("voting is closed")]
    VotingClosed,
    /// The ballot's channel has closed.
    #[error("channel {channel} is closed")]
    ChannelClosed {
        /// The channel.
        channel: ChannelIndex,
    },
    /// The channel is not in the manifest.
    #[error("channel {channel} is not in the manifest")]
    UnknownChannel {
        /// The channel.
        channel: ChannelIndex,
    },
    /// The ballot shares a ciphertext with a challenged (spoiled) ballot: a challenged ballot can
    /// never be cast.
    #[error("the ballot was challenged at entry {position} and can never be cast")]
    Spoiled {
        /// The challenged ballot's entry.
        position: u64,
    },
    /// The ballot reuses a ciphertext of another entry (a copied or replayed ciphertext).
    #[error("the ballot reuses a ciphertext of entry {position}")]
    CiphertextReused {
        /// The entry whose ciphertext is reused.
        position: u64,
    },
    /// Precedence would ignore this ballot forever: the voter's ballot at `by` counts instead.
    #[error("the voter's ballot at entry {by} takes precedence ({reason})")]
    Superseded {
        /// The entry that counts instead.
        by: u64,
        /// The rule.
        reason: Reason,
    },
    /// The same ballot is already on the board (in a published board: a duplicated entry).
    #[error("the same ballot is already at entry {position}")]
    Duplicate {
        /// Where it is.
        position: u64,
    },
    /// A phase entry out of order (closing a closed channel, anything after voting closed).
    #[error("out of phase: {0}")]
    WrongPhase(&'static str),
    /// A close entry without the administrator's signature for its position and previous head
    /// (the manifest's `authorities.administrator`).
    #[error("the close is not signed by the administrator for this position of the board")]
    UnauthorisedClose,
    /// (In a published board.) A refusal entry whose reason does not hold at its position.
    #[error("the refusal's reason does not hold: {0}")]
    UnfoundedRefusal(String),
}

/// The state the admission rules need, built entry by entry.
#[derive(Clone, Debug, Default)]
pub struct BoardState {
    /// The channels' names, for messages.
    pub(super) names: Vec<String>,
    pub(super) ranks: Vec<u8>,
    pub(super) rules: Vec<ChannelRule>,
    pub(super) closed: BTreeSet<ChannelIndex>,
    pub(super) voting_closed: bool,
    /// Tracking code → (entry, challenged?).
    pub(super) tracking: HashMap<TrackingCode, (u64, bool)>,
    /// First ciphertext components of every cast or challenged ballot: entry, challenged?
    pub(super) components: HashMap<[u8; 32], (u64, bool)>,
    /// Every cast ballot's (entry, channel), by the nullifier's 32-byte encoding (not the
    /// decompressed point: this map holds one key per voter).
    pub(super) by_nullifier: HashMap<[u8; 32], Vec<(u64, ChannelIndex)>>,
    pub(super) cast: Vec<CastBallot>,
    /// Refusal entries per channel index (an unknown channel's are not counted).
    pub(super) refused: Vec<u64>,
}

impl BoardState {
    /// The empty state of a new board.
    pub fn new(election: &Election) -> Self {
        let channels = election.manifest().channels();
        Self {
            names: channels.iter().map(|c| c.name.clone()).collect(),
            ranks: channels.iter().map(|c| c.rank).collect(),
            rules: channels.iter().map(|c| c.rule).collect(),
            refused: vec![0; channels.len()],
            ..Self::default()
        }
    }

    /// Every cast ballot accepted so far, in board order.
    pub fn cast(&self) -> &[CastBallot] {
        &self.cast
    }

    /// Whether voting has closed.
    pub fn voting_closed(&self) -> bool {
        self.voting_closed
    }

    /// The positions of the cast ballots admitted under `nullifier`, in board order: what a
    /// member sees of their own on the live board.
    pub fn ballots_of(&self, nullifier: &crate::nullifier::Nullifier) -> Vec<u64> {
        self.by_nullifier
            .get(nullifier.element().as_bytes())
            .map_or_else(Vec::new, |v| v.iter().map(|&(p, _)| p).collect())
    }

    /// The number of refusal entries of each channel, in manifest order.
    pub fn refused(&self) -> &[u64] {
        &self.refused
    }

    /// The entry holding the ballot with this tracking code, if any, and whether it was
    /// challenged (spoiled) rather than cast.
    pub fn position_of(&self, code: &TrackingCode) -> Option<(u64, bool)> {
        self.tracking.get(code).copied()
    }

    /// Channel `channel` as people read it: `channel 1 (postal)`, or `channel 7` outside the
    /// manifest.
    fn channel_text(&self, channel: ChannelIndex) -> String {
        match self.names.get(usize::from(channel)) {
            Some(name) => format!("channel {channel} ({name})"),
            None => format!("channel {channel}"),
        }
    }

    /// Voting is open, the channel exists and has not closed.
    pub(crate) fn open_channel(&self, channel: ChannelIndex) -> Result<(), Refusal> {
        if self.voting_closed {
            return Err(Refusal::VotingClosed);
        }
        if usize::from(channel) >= self.ranks.len() {
            return Err(Refusal::UnknownChannel { channel });
        }
        if self.closed.contains(&channel) {
            return Err(Refusal::ChannelClosed { channel });
        }
        Ok(())
    }

    fn fresh_ciphertexts<'a>(
        &self,
        mut ciphertexts: impl Iterator<Item = &'a Ciphertext>,
    ) -> Result<(), Refusal> {
        let reused = ciphertexts.find_map(|c| self.components.get(c.a.as_bytes()));
        match reused {
            Some(&(position, true)) => Err(Refusal::Spoiled { position }),
            Some(&(position, false)) => Err(Refusal::CiphertextReused { position }),
            None => Ok(()),
        }
    }

    /// The rules for a cast ballot, before its proofs are checked: phase, channel, fresh
    /// ciphertexts, and precedence.
    pub fn admit_ballot(&self, ballot: &Ballot) -> Result<(), Refusal> {
        self.open_channel(ballot.channel)?;
        self.fresh_ciphertexts(
            ballot
                .contests
                .iter()
                .flat_map(|c| &c.selections)
                .map(|s| &s.ciphertext),
        )?;
        self.precedence(ballot.nullifier.element().as_bytes(), ballot.channel)
    }

    /// The precedence rules for a cast ballot of `nullifier` (its 32-byte encoding) on an open
    /// `channel`: refused if an earlier ballot of the voter on a higher channel stands whatever
    /// follows, or if the channel's rule keeps the voter's first ballot on it.
    fn precedence(&self, nullifier: &[u8; 32], channel: ChannelIndex) -> Result<(), Refusal> {
        let rank = self.ranks[usize::from(channel)];
        let rule = self.rules[usize::from(channel)];
        let earlier = self
            .by_nullifier
            .get(nullifier)
            .map_or(&[][..], Vec::as_slice);
        // A higher-ranked channel's ballot stands whatever comes after it on a lower one.
        let higher = earlier
            .iter()
            .filter(|(_, c)| self.ranks[usize::from(*c)] > rank);
        let best =
            higher.max_by_key(|(p, c)| (self.ranks[usize::from(*c)], core::cmp::Reverse(*p)));
        if let Some(&(by, _)) = best {
            return Err(Refusal::Superseded {
                by,
                reason: Reason::Precedence,
            });
        }
        if matches!(rule, ChannelRule::FirstWins | ChannelRule::RejectSecond)
            && let Some(&(by, _)) = earlier.iter().find(|(_, c)| *c == channel)
        {
            let reason = if rule == ChannelRule::FirstWins {
                Reason::FirstWins
            } else {
                Reason::RejectSecond
            };
            return Err(Refusal::Superseded { by, reason });
        }
        Ok(())
    }

    /// The rules for a challenge (a spoiled ballot), before its check
    /// ([`SpoiledBallot::verify`]): phase, channel and fresh ciphertexts. A challenge names no
    /// voter, so no precedence rule applies.
    pub fn admit_spoiled(&self, spoiled: &SpoiledBallot) -> Result<(), Refusal> {
        self.open_channel(spoiled.channel)?;
        self.fresh_ciphertexts(spoiled.contests.iter().flatten().map(|s| &s.ciphertext))
    }

    /// The rules for a phase entry (its signature is checked by the caller, who has the
    /// election: [`super::check_close`]).
    pub fn admit_phase(&self, payload: &Payload) -> Result<(), Refusal> {
        match payload {
            Payload::CloseChannel { channel, .. } => self.open_channel(*channel),
            Payload::CloseVoting { .. } if self.voting_closed => {
                Err(Refusal::WrongPhase("voting is already closed"))
            }
            Payload::CloseVoting { .. } => Ok(()),
            Payload::Ballot(_) | Payload::Spoiled(_) | Payload::Refused(_) => {
                Err(Refusal::WrongPhase("not a phase entry"))
            }
        }
    }

    /// The first component of `ciphertexts` already on the board at `position`, if any: what a
    /// refusal for reuse names.
    pub(crate) fn reused_component<'a>(
        &self,
        mut ciphertexts: impl Iterator<Item = &'a Ciphertext>,
        position: u64,
    ) -> Option<crate::group::Element> {
        ciphertexts
            .find(|c| {
                self.components
                    .get(c.a.as_bytes())
                    .is_some_and(|&(p, _)| p == position)
            })
            .map(|c| c.a)
    }

    /// (Replaying a published board.) Whether the refusal entry's reason holds at this point:
    /// the board refuses in the order resubmission of a challenged ballot, phase, reuse,
    /// precedence, proofs, so each reason also requires that no earlier rule applied where the
    /// record shows it (see `super::refusal`).
    ///
    /// # Errors
    /// [`Refusal::UnfoundedRefusal`] saying what does not hold.
    pub fn check_refusal(&self, entry: &RefusalEntry) -> Result<(), Refusal> {
        let unfounded = |why: String| Err(Refusal::UnfoundedRefusal(why));
        if self.voting_closed {
            return unfounded("nothing follows the close of voting, not even a refusal".into());
        }
        let challenged_code = self.position_of(&entry.tracking_code);
        if entry.submission == Submission::Cast {
            match challenged_code {
                // The very ballot of a challenge, cast: refused before any other rule.
                Some((position, true)) => {
                    return if entry.reason == (RefusalCode::Spoiled { position })
                        && entry.component.is_none()
                    {
                        Ok(())
                    } else {
                        unfounded(format!(
                            "the ballot was challenged at entry {position}, which is the reason a board gives"
                        ))
                    };
                }
                Some((position, false)) => {
                    return unfounded(format!(
                        "the same ballot is admitted at entry {position}: a resubmission gets its receipt, not a refusal"
                    ));
                }
                None => {}
            }
            if entry.nullifier.is_none() {
                return unfounded("a refused cast ballot names its nullifier".into());
            }
        } else if entry.nullifier.is_some() {
            return unfounded("a challenge has no nullifier".into());
        }
        let phase = self.open_channel(entry.channel);
        let expected_phase = match phase {
            Err(Refusal::VotingClosed) => Some(RefusalCode::VotingClosed),
            Err(Refusal::ChannelClosed { .. }) => Some(RefusalCode::ChannelClosed),
            Err(Refusal::UnknownChannel { .. }) => Some(RefusalCode::UnknownChannel),
            _ => None,
        };
        let phase_reason = matches!(
            entry.reason,
            RefusalCode::VotingClosed | RefusalCode::ChannelClosed | RefusalCode::UnknownChannel
        );
        match (expected_phase, phase_reason) {
            (Some(expected), _) if expected == entry.reason => return Ok(()),
            (Some(expected), _) => {
                return unfounded(format!(
                    "at this point the reason is \"{expected}\", not \"{}\"",
                    entry.reason
                ));
            }
            (None, true) => {
                return unfounded(format!(
                    "{} is open at this point",
                    self.channel_text(entry.channel)
                ));
            }
            (None, false) => {}
        }
        // One encoding per refusal: the component is named exactly for a reuse.
        let reuse = matches!(
            entry.reason,
            RefusalCode::Spoiled { .. } | RefusalCode::CiphertextReused { .. }
        );
        if entry.component.is_some() != reuse {
            return unfounded(if reuse {
                "a refusal for reuse names the component reused".into()
            } else {
                "only a refusal for reuse names a component".into()
            });
        }
        let component_at = |position: u64, challenged: bool| {
            entry
                .component
                .is_some_and(|a| self.components.get(a.as_bytes()) == Some(&(position, challenged)))
        };
        // The rules run in order: a ballot refused for its proofs passed precedence first.
        let precedence = || {
            entry
                .nullifier
                .map(|n| self.precedence(&n.element().to_bytes(), entry.channel))
        };
        match entry.reason {
            RefusalCode::Spoiled { position } if component_at(position, true) => Ok(()),
            RefusalCode::Spoiled { position } => unfounded(format!(
                "no ciphertext of the refused ballot named here is the challenge's at entry {position}"
            )),
            RefusalCode::CiphertextReused { position } if component_at(position, false) => Ok(()),
            RefusalCode::CiphertextReused { position } => unfounded(format!(
                "the component named is not a ciphertext of the cast ballot at entry {position}"
            )),
            RefusalCode::Superseded { by, reason } => {
                if entry.submission != Submission::Cast {
                    return unfounded("a challenge is never superseded".into());
                }
                match precedence() {
                    Some(Err(Refusal::Superseded { by: b, reason: r }))
                        if (b, r) == (by, reason) =>
                    {
                        Ok(())
                    }
                    Some(Err(Refusal::Superseded { by: b, reason: r })) => unfounded(format!(
                        "precedence names entry {b} ({r}), not entry {by} ({reason})"
                    )),
                    _ => unfounded(format!(
                        "precedence does not refuse this voter's ballot on {}",
                        self.channel_text(entry.channel)
                    )),
                }
            }
            RefusalCode::InvalidBallot if entry.submission == Submission::Cast => {
                match precedence() {
                    Some(Err(Refusal::Superseded { by, reason })) => unfounded(format!(
                        "precedence refuses this voter's ballot first (entry {by} takes \
                         precedence, {reason}), before its proofs are checked"
                    )),
                    _ => Ok(()),
                }
            }
            RefusalCode::InvalidChallenge if entry.submission == Submission::Challenge => Ok(()),
            other => unfounded(format!("\"{other}\" is not a reason for this submission")),
        }
    }

    /// In a published board, the same ballot twice is a duplicated entry.
    pub fn refuse_duplicate(&self, code: &TrackingCode) -> Result<(), Refusal> {
        match self.position_of(code) {
            Some((position, _)) => Err(Refusal::Duplicate { position }),
            None => Ok(()),
        }
    }

    /// Updates the state with an admitted entry.
    pub fn record(&mut self, entry: &Entry) {
        let (_, code) = entry.digest_and_code();
        self.record_with_code(entry, code);
    }

    /// [`BoardState::record`] with the entry's tracking code already computed
    /// ([`Entry::digest_and_code`]).
    pub fn record_with_code(&mut self, entry: &Entry, code: TrackingCode) {
        match &entry.payload {
            Payload::Ballot(b) => {
                let cts = b
                    .contests
                    .iter()
                    .flat_map(|c| &c.selections)
                    .map(|s| &s.ciphertext);
                self.record_ciphertexts(entry.position, code, cts, false);
                self.by_nullifier
                    .entry(b.nullifier.element().to_bytes())
                    .or_default()
                    .push((entry.position, b.channel));
                self.cast.push(CastBallot {
                    position: entry.position,
                    nullifier: b.nullifier,
                    channel: b.channel,
                });
            }
            Payload::Spoiled(s) => {
                let cts = s.contests.iter().flatten().map(|s| &s.ciphertext);
                self.record_ciphertexts(entry.position, s.tracking_code, cts, true);
            }
            Payload::CloseChannel { channel, .. } => {
                self.closed.insert(*channel);
            }
            Payload::CloseVoting { .. } => self.voting_closed = true,
            Payload::Refused(r) => {
                if let Some(count) = self.refused.get_mut(usize::from(r.channel)) {
                    *count += 1;
                }
            }
        }
    }

    fn record_ciphertexts<'a>(
        &mut self,
        position: u64,
        code: TrackingCode,
        ciphertexts: impl Iterator<Item = &'a Ciphertext>,
        challenged: bool,
    ) {
        self.tracking.insert(code, (position, challenged));
        for c in ciphertexts {
            self.components
                .insert(c.a.to_bytes(), (position, challenged));
        }
    }
}
