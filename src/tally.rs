//! The homomorphic tally of the ballots that count.
//!
//! ```text
//! for every contest i and option j:   T_ij = Σ_{b ∈ counted} (A_bij, B_bij)
//! ```
//!
//! where `counted` is the [`Outcome`] of channel precedence over the board's cast ballots. No
//! ballot is decrypted; only the `T_ij` are, by the trustees. Linear in the number of ballots.

use serde::{Deserialize, Serialize};

use crate::ballot::Ballot;
use crate::board::{Entry, Payload};
use crate::election::Election;
use crate::elgamal::{Ciphertext, CiphertextSum};
use crate::precedence::{CastBallot, Outcome, UnknownChannel, decide};

/// Per channel: how many ballots were cast (accepted on the board), superseded by precedence,
/// refused by the board, and counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelCounts {
    /// Accepted on the board.
    pub cast: u64,
    /// Accepted, then superseded (a decision names them).
    pub superseded: u64,
    /// Refused on arrival: the refusal entries of the chain (kind 4) on this channel.
    pub refused: u64,
    /// Counted in the tally.
    pub counted: u64,
}

/// `cast 10, superseded 2, refused 1, counted 8`.
impl core::fmt::Display for ChannelCounts {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "cast {}, superseded {}, refused {}, counted {}",
            self.cast, self.superseded, self.refused, self.counted
        )
    }
}

/// The encrypted tally of an election, with the decisions behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tally {
    /// Which ballots count and why the others do not.
    pub outcome: Outcome,
    /// Per contest, per option: the sum of the counted ballots' ciphertexts.
    pub aggregates: Vec<Vec<CiphertextSum>>,
    /// Per channel of the manifest, in order.
    pub counts: Vec<ChannelCounts>,
}

/// The tally cannot be computed from these entries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TallyError {
    /// A cast ballot names an unknown channel.
    #[error(transparent)]
    UnknownChannel(#[from] UnknownChannel),
    /// The ciphertexts given are not one ballot's worth for every cast ballot.
    #[error("{found} ciphertexts for {ballots} cast ballots of {per_ballot} options each")]
    CiphertextCount {
        /// Cast ballots.
        ballots: usize,
        /// Options of the manifest (ciphertexts per ballot).
        per_ballot: usize,
        /// Ciphertexts given.
        found: usize,
    },
    /// A position listed as cast does not hold a ballot of the election's shape.
    #[error("board entry {position} is not a cast ballot of this election's shape")]
    NotABallot {
        /// The entry.
        position: u64,
    },
}

impl Tally {
    /// Tallies the `cast` ballots (as replayed by [`crate::board::verify_chain`] or kept by a
    /// live board) found in `entries`, and counts the refusal entries per channel. The ballots
    /// must have been verified.
    ///
    /// # Errors
    /// A [`TallyError`] if `cast` does not match `entries` or the manifest.
    pub fn compute(
        election: &Election,
        entries: &[Entry],
        cast: &[CastBallot],
    ) -> Result<Self, TallyError> {
        let mut ciphertexts = Vec::new();
        for b in cast {
            let position = b.position;
            match entries.get(position as usize).map(|e| &e.payload) {
                Some(Payload::Ballot(ballot))
                    if push_ciphertexts(election, ballot, &mut ciphertexts) => {}
                _ => return Err(TallyError::NotABallot { position }),
            }
        }
        let mut tally = Self::compute_from(election, cast, &ciphertexts)?;
        let mut refused = vec![0u64; tally.counts.len()];
        for entry in entries {
            if let Payload::Refused(r) = &entry.payload
                && let Some(count) = refused.get_mut(usize::from(r.channel))
            {
                *count += 1;
            }
        }
        tally.count_refusals(&refused);
        Ok(tally)
    }

    /// Tallies the `cast` ballots given their ciphertexts: for each cast ballot in order, one
    /// ciphertext per option of the manifest, contest by contest (as [`push_ciphertexts`] lays
    /// them out). This is how a verifier that streams the board tallies without keeping it; it
    /// then adds the refusal counts of the replayed state ([`Tally::count_refusals`]).
    ///
    /// # Errors
    /// A [`TallyError`] if `ciphertexts` does not hold one ballot's worth for every cast ballot.
    pub fn compute_from(
        election: &Election,
        cast: &[CastBallot],
        ciphertexts: &[Ciphertext],
    ) -> Result<Self, TallyError> {
        let manifest = election.manifest();
        let stride: usize = manifest.contests().iter().map(|c| c.options.len()).sum();
        if ciphertexts.len() != cast.len() * stride {
            return Err(TallyError::CiphertextCount {
                ballots: cast.len(),
                per_ballot: stride,
                found: ciphertexts.len(),
            });
        }
        let outcome = decide(manifest, cast)?;
        let index_of = |position: u64| cast.binary_search_by_key(&position, |b| b.position).ok();
        let rows = outcome
            .counted
            .iter()
            .map(|&position| index_of(position).ok_or(TallyError::NotABallot { position }))
            .collect::<Result<Vec<usize>, _>>()?;
        let flat = sum_rows(&rows, ciphertexts, stride, ROWS_PER_CHUNK);
        let mut sums = flat.into_iter();
        let aggregates: Vec<Vec<CiphertextSum>> = manifest
            .contests()
            .iter()
            .map(|c| sums.by_ref().take(c.options.len()).collect())
            .collect();
        let mut counts = vec![ChannelCounts::default(); manifest.channels().len()];
        let channel_of = |position: u64| {
            cast.binary_search_by_key(&position, |b| b.position)
                .ok()
                .map(|i| usize::from(cast[i].channel))
        };
        for b in cast {
            counts[usize::from(b.channel)].cast += 1;
        }
        for &p in &outcome.counted {
            if let Some(c) = channel_of(p) {
                counts[c].counted += 1;
            }
        }
        for d in &outcome.decisions {
            if let Some(c) = channel_of(d.superseded) {
                counts[c].superseded += 1;
            }
        }
        Ok(Self {
            outcome,
            aggregates,
            counts,
        })
    }

    /// Sets the per-channel counts of refusal entries, channel by channel in manifest order
    /// ([`crate::board::BoardState::refused`]).
    pub fn count_refusals(&mut self, refused: &[u64]) {
        for (counts, &n) in self.counts.iter_mut().zip(refused) {
            counts.refused = n;
        }
    }

    /// The aggregates in one list, contest by contest, option by option (the order in which
    /// trustees decrypt them).
    pub fn flat_aggregates(&self) -> Vec<CiphertextSum> {
        self.aggregates.iter().flatten().copied().collect()
    }

    /// The largest value any aggregate can hold: counted ballots × the largest option limit.
    pub fn bound(&self, election: &Election) -> u64 {
        let limit = election
            .manifest()
            .contests()
            .iter()
            .map(|c| u64::from(c.option_limit))
            .max()
            .unwrap_or(1);
        self.outcome.counted.len() as u64 * limit
    }
}

/// Counted ballots summed per chunk on one core (the sums are then added up): about 16,000 point
/// additions for a 1-of-2 ballot's chunk.
const ROWS_PER_CHUNK: usize = 4096;

/// `Σ_{i ∈ rows} ciphertexts[i·stride + k]` for every `k < stride`, on every core, `per_chunk`
/// rows at a time. Point addition is associative and commutative, so the sums do not depend on
/// how the rows are split.
fn sum_rows(
    rows: &[usize],
    ciphertexts: &[Ciphertext],
    stride: usize,
    per_chunk: usize,
) -> Vec<CiphertextSum> {
    use rayon::prelude::*;
    let zero = || vec![CiphertextSum::zero(); stride];
    rows.par_chunks(per_chunk.max(1))
        .map(|rows| {
            let mut flat = zero();
            for &i in rows {
                for (sum, c) in flat
                    .iter_mut()
                    .zip(&ciphertexts[i * stride..(i + 1) * stride])
                {
                    sum.add(c);
                }
            }
            flat
        })
        .reduce(zero, |mut left, right| {
            for (sum, other) in left.iter_mut().zip(&right) {
                sum.add_sum(other);
            }
            left
        })
}

/// Appends the ciphertexts of `ballot`, one per option of the manifest, contest by contest: the
/// layout [`Tally::compute_from`] reads.
///
/// Returns `false`, appending nothing, if the ballot does not have the manifest's shape.
pub fn push_ciphertexts(election: &Election, ballot: &Ballot, out: &mut Vec<Ciphertext>) -> bool {
    let contests = election.manifest().contests();
    let shaped = ballot.contests.len() == contests.len()
        && ballot
            .contests
            .iter()
            .zip(contests)
            .all(|(b, c)| b.selections.len() == c.options.len());
    if shaped {
        out.extend(
            ballot
                .contests
                .iter()
                .flat_map(|c| &c.selections)
                .map(|s| s.ciphertext),
        );
    }
    shaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::{Close, verify_chain};
    use crate::dlog::DiscreteLog;
    use crate::testing::{ONLINE, POSTAL, TestElection};
    use curve25519_dalek::Scalar;

    #[test]
    fn sums_split_across_chunks_equal_the_sums_in_one_pass() {
        // Rows 0..7 of a two-option layout; ciphertext (i, k) encrypts 10·i + k + 1 with nonce i.
        let t = TestElection::leadership(1, 1);
        let key = t.election.key().clone();
        let ciphertexts: Vec<Ciphertext> = (0..7u64)
            .flat_map(|i| (0..2u64).map(move |k| (i, k)))
            .map(|(i, k)| key.encrypt(&Scalar::from(10 * i + k + 1), &Scalar::from(i)))
            .collect();
        // Rows counted, some twice, some not at all, out of order.
        let rows = [5, 0, 3, 3, 6, 1];
        let expected = |k: u64| rows.iter().map(|&i| 10 * i as u64 + k + 1).sum::<u64>();
        let nonce: Scalar = rows.iter().map(|&i| Scalar::from(i as u64)).sum();
        for per_chunk in [1, 2, 4, 6, 100] {
            let sums = sum_rows(&rows, &ciphertexts, 2, per_chunk);
            assert_eq!(sums.len(), 2);
            for (k, sum) in sums.iter().enumerate() {
                let want = key.encrypt(&Scalar::from(expected(k as u64)), &nonce);
                assert_eq!(
                    (sum.a, sum.b),
                    (*want.a.point(), *want.b.point()),
                    "per_chunk {per_chunk}, option {k}"
                );
            }
        }
        assert_eq!(
            sum_rows(&[], &ciphertexts, 2, 3),
            vec![CiphertextSum::zero(); 2]
        );
    }

    #[test]
    fn the_tally_counts_exactly_the_surviving_ballots() {
        let t = TestElection::leadership(4, 1);
        let mut board = t.board();
        let mut cast =
            |voter: usize, channel: crate::manifest::ChannelIndex, vote: [u32; 2], seed: u64| {
                board.submit(t.ballot(voter, channel, vote, seed))
            };
        cast(0, ONLINE, [1, 0], 1).unwrap(); // superseded by the postal vote below
        cast(0, POSTAL, [0, 1], 2).unwrap(); // counts
        cast(1, ONLINE, [1, 0], 3).unwrap(); // superseded by the revote
        cast(1, ONLINE, [0, 1], 4).unwrap(); // counts
        cast(2, POSTAL, [1, 0], 5).unwrap(); // counts
        cast(2, ONLINE, [0, 1], 6).unwrap_err(); // refused: postal first
        board.close_as(&t.administrator_key, Close::Voting).unwrap();

        let state = verify_chain(&t.election, board.entries(), Some(&board.head())).unwrap();
        let tally = Tally::compute(&t.election, board.entries(), state.cast()).unwrap();
        assert_eq!(tally.outcome.counted, vec![1, 3, 4]);
        assert_eq!(
            tally.counts,
            vec![
                ChannelCounts {
                    cast: 3,
                    superseded: 2,
                    refused: 1,
                    counted: 1
                },
                ChannelCounts {
                    cast: 2,
                    superseded: 0,
                    refused: 0,
                    counted: 2
                },
            ]
        );
        // Decrypt with the test key's secret (single-key test election).
        let x = Scalar::from(0x5eed_u64);
        let dlog = DiscreteLog::new(tally.bound(&t.election)).unwrap();
        let result: Vec<u64> = tally
            .flat_aggregates()
            .iter()
            .map(|s| dlog.solve(&(s.b - s.a * x)).unwrap())
            .collect();
        assert_eq!(result, vec![1, 2]);

        // The same tally from the cast ballots' ciphertexts alone; one ballot's worth short
        // or long is an error, not a misaligned tally.
        let cast = state.cast();
        let mut ciphertexts = Vec::new();
        for b in cast {
            let Payload::Ballot(ballot) = &board.entries()[b.position as usize].payload else {
                unreachable!("a cast ballot")
            };
            assert!(push_ciphertexts(&t.election, ballot, &mut ciphertexts));
        }
        let mut again = Tally::compute_from(&t.election, cast, &ciphertexts).unwrap();
        again.count_refusals(state.refused());
        assert_eq!(again, tally);
        for wrong in [
            &ciphertexts[2..],
            &[&ciphertexts[..], &ciphertexts[..2]].concat(),
        ] {
            assert!(matches!(
                Tally::compute_from(&t.election, cast, wrong),
                Err(TallyError::CiphertextCount { .. })
            ));
        }
    }
}
