//! Channel precedence: which ballot of each voter counts.
//!
//! Ballots are grouped by nullifier (all 32 bytes). In each group:
//!
//! 1. the ballots of the highest-ranked channel present survive the others, whatever the order
//!    of arrival: every ballot of a lower-ranked channel is superseded by the group's winner
//!    ([`Reason::Precedence`]);
//! 2. among the ballots of that channel, the channel's [`ChannelRule`] picks the winner: the
//!    latest on the board ([`ChannelRule::LastWins`]) or the earliest
//!    ([`ChannelRule::FirstWins`], [`ChannelRule::RejectSecond`]).
//!
//! "Latest" and "earliest" are board positions, never clocks. The [`Outcome`] is a pure function
//! of the multiset of `(position, nullifier, channel)`: the same board gives the same counted
//! list and the same decision list on any machine and in any processing order.

use serde::{Deserialize, Serialize};

use crate::manifest::{ChannelIndex, ChannelRule, Manifest};
use crate::nullifier::Nullifier;

/// What precedence needs to know of one cast ballot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CastBallot {
    /// The ballot's position on the board.
    pub position: u64,
    /// Its nullifier.
    pub nullifier: Nullifier,
    /// Its channel's index in the manifest.
    pub channel: ChannelIndex,
}

/// Why a ballot does not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The voter has a ballot on a higher-ranked channel.
    Precedence,
    /// A later ballot on the same channel replaces it (the channel's rule is last-wins).
    LastWins,
    /// An earlier ballot on the same channel stands (the channel's rule is first-wins).
    FirstWins,
    /// An earlier ballot on the same channel stands and a second is refused (reject-second).
    RejectSecond,
}

/// The rule's name in words (`channel precedence`, `last wins`, `first wins`, `reject second`:
/// the manifest's rules `last_wins`, `first_wins`, `reject_second`, and the ranks of channels).
impl core::fmt::Display for Reason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Precedence => "channel precedence",
            Self::LastWins => "last wins",
            Self::FirstWins => "first wins",
            Self::RejectSecond => "reject second",
        })
    }
}

impl Reason {
    fn of_rule(rule: ChannelRule) -> Self {
        match rule {
            ChannelRule::LastWins => Self::LastWins,
            ChannelRule::FirstWins => Self::FirstWins,
            ChannelRule::RejectSecond => Self::RejectSecond,
        }
    }
}

/// One entry of the decision list: the ballot at `superseded` does not count because the ballot
/// at `by` does, for `reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Board position of the ballot that does not count.
    pub superseded: u64,
    /// Board position of the voter's ballot that counts.
    pub by: u64,
    /// The rule applied.
    pub reason: Reason,
}

/// `entry 3 superseded by entry 7 (last wins)`.
impl core::fmt::Display for Decision {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "entry {} superseded by entry {} ({})",
            self.superseded, self.by, self.reason
        )
    }
}

/// The result of precedence over a board: which ballots count, and why the others do not.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// Board positions of the ballots that count, ascending; one per nullifier.
    pub counted: Vec<u64>,
    /// Every ballot that does not count, ascending by `superseded`.
    pub decisions: Vec<Decision>,
}

/// A cast ballot names a channel the manifest does not have (the board verifies ballots, so
/// this means the input did not come from a verified board).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the ballot at board position {position} names unknown channel {channel}")]
pub struct UnknownChannel {
    /// The ballot's board position.
    pub position: u64,
    /// The channel index.
    pub channel: ChannelIndex,
}

/// Applies the manifest's channel precedence and in-channel rules to `cast`.
///
/// # Errors
/// [`UnknownChannel`] if a ballot names a channel outside the manifest.
pub fn decide(manifest: &Manifest, cast: &[CastBallot]) -> Result<Outcome, UnknownChannel> {
    let channels = manifest.channels();
    let mut sorted = cast.to_vec();
    for b in &sorted {
        if channels.get(usize::from(b.channel)).is_none() {
            return Err(UnknownChannel {
                position: b.position,
                channel: b.channel,
            });
        }
    }
    sorted.sort_unstable_by_key(|b| (b.nullifier, b.position));

    let mut outcome = Outcome::default();
    for group in sorted.chunk_by(|x, y| x.nullifier == y.nullifier) {
        let rank = |b: &CastBallot| channels[usize::from(b.channel)].rank;
        let top = group.iter().map(rank).max().unwrap_or_default();
        let top_channel = group
            .iter()
            .find(|b| rank(b) == top)
            .map_or(ChannelIndex::new(0), |b| b.channel);
        let rule = channels[usize::from(top_channel)].rule;
        // The group is in board order; the top channel's ballots are a subsequence of it.
        let mut top_ballots = group.iter().filter(|b| b.channel == top_channel);
        let winner = match rule {
            ChannelRule::LastWins => top_ballots.next_back(),
            ChannelRule::FirstWins | ChannelRule::RejectSecond => top_ballots.next(),
        }
        .map_or(group[0].position, |b| b.position);
        outcome.counted.push(winner);
        for b in group.iter().filter(|b| b.position != winner) {
            let reason = if b.channel == top_channel {
                Reason::of_rule(rule)
            } else {
                Reason::Precedence
            };
            outcome.decisions.push(Decision {
                superseded: b.position,
                by: winner,
                reason,
            });
        }
    }
    outcome.counted.sort_unstable();
    outcome.decisions.sort_unstable_by_key(|d| d.superseded);
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Wire;
    use crate::group::Element;
    use crate::testing::{ONLINE, POSTAL};
    use curve25519_dalek::{RistrettoPoint, Scalar};
    use proptest::prelude::*;

    fn nullifier(voter: u64) -> Nullifier {
        let p = RistrettoPoint::mul_base(&Scalar::from(voter + 1));
        Nullifier::decode(&Element::from_point_as(p, "n").unwrap().to_bytes()).unwrap()
    }

    fn manifest() -> Manifest {
        Manifest::leadership(Element::generator(), crate::testing::test_authorities(0)).unwrap()
    }

    fn cast(items: &[(u64, ChannelIndex)]) -> Vec<CastBallot> {
        // (voter, channel), positions in order
        items
            .iter()
            .enumerate()
            .map(|(i, &(voter, channel))| CastBallot {
                position: i as u64,
                nullifier: nullifier(voter),
                channel,
            })
            .collect()
    }

    #[test]
    fn postal_beats_online_in_every_arrival_order() {
        // Attack 19: {online₁, online₂, postal} of one voter, every permutation of arrival.
        let kinds = [ONLINE, ONLINE, POSTAL];
        let orders = [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ];
        for order in orders {
            let items: Vec<_> = order.iter().map(|&k| (7, kinds[k])).collect();
            let outcome = decide(&manifest(), &cast(&items)).unwrap();
            let postal_position = items.iter().position(|(_, c)| *c == POSTAL).unwrap() as u64;
            assert_eq!(outcome.counted, vec![postal_position], "{order:?}");
            assert_eq!(outcome.decisions.len(), 2);
            assert!(
                outcome
                    .decisions
                    .iter()
                    .all(|d| d.by == postal_position && d.reason == Reason::Precedence)
            );
        }
    }

    #[test]
    fn in_channel_rules() {
        // Attack 20: online is last-wins, postal first-wins.
        let online = decide(&manifest(), &cast(&[(1, ONLINE), (1, ONLINE), (1, ONLINE)])).unwrap();
        assert_eq!(online.counted, vec![2]);
        assert_eq!(
            online.decisions,
            vec![
                Decision {
                    superseded: 0,
                    by: 2,
                    reason: Reason::LastWins
                },
                Decision {
                    superseded: 1,
                    by: 2,
                    reason: Reason::LastWins
                },
            ]
        );
        let postal = decide(&manifest(), &cast(&[(1, POSTAL), (1, ONLINE), (1, POSTAL)])).unwrap();
        assert_eq!(postal.counted, vec![0]);
        assert_eq!(
            postal.decisions,
            vec![
                Decision {
                    superseded: 1,
                    by: 0,
                    reason: Reason::Precedence
                },
                Decision {
                    superseded: 2,
                    by: 0,
                    reason: Reason::FirstWins
                },
            ]
        );
    }

    #[test]
    fn voters_are_independent_and_unknown_channels_refused() {
        let outcome = decide(&manifest(), &cast(&[(1, ONLINE), (2, POSTAL), (3, ONLINE)])).unwrap();
        assert_eq!(outcome.counted, vec![0, 1, 2]);
        assert!(outcome.decisions.is_empty());
        assert_eq!(
            decide(&manifest(), &cast(&[(1, ChannelIndex::new(5))])),
            Err(UnknownChannel {
                position: 0,
                channel: ChannelIndex::new(5)
            })
        );
    }

    proptest! {
        #[test]
        fn outcome_is_independent_of_processing_order(
            items in proptest::collection::vec((0u64..6, (0u8..2).prop_map(ChannelIndex::new)), 0..40),
            seed in any::<u64>(),
        ) {
            let ballots = cast(&items);
            let expected = decide(&manifest(), &ballots).unwrap();
            let mut shuffled = ballots.clone();
            let mut rng = crate::testing::test_rng(seed);
            rand_core::RngCore::next_u32(&mut rng);
            for i in (1..shuffled.len()).rev() {
                let j = (rand_core::RngCore::next_u64(&mut rng) % (i as u64 + 1)) as usize;
                shuffled.swap(i, j);
            }
            prop_assert_eq!(decide(&manifest(), &shuffled).unwrap(), expected.clone());
            // One counted ballot per voter; every other ballot has exactly one decision.
            let voters: std::collections::BTreeSet<_> = items.iter().map(|(v, _)| *v).collect();
            prop_assert_eq!(expected.counted.len(), voters.len());
            prop_assert_eq!(expected.counted.len() + expected.decisions.len(), items.len());
        }
    }
}
