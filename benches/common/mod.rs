//! What the benches share: counting the group operations a ballot or a board entry costs a
//! verifier, and timing those operations alone (the *floor*) on one core or on every core.
//!
//! Not a bench target of its own (cargo only discovers `benches/*.rs` and `benches/*/main.rs`);
//! `ballot.rs` and `record.rs` include it with `mod common;`.

// Each bench uses a part of this module.
#![allow(dead_code)]

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rayon::prelude::*;

use nullivote::Election;
use nullivote::Element;
use nullivote::ballot::Ballot;
use nullivote::ballot::Eligibility;
use nullivote::board::{Entry, Payload};
use nullivote::hazmat::proofs::Msm;

/// The points a verifier decompresses to decode `ballot`: its nullifier, two per ciphertext, two
/// per branch of every range proof, the eligibility proof's roll entry and two commitments, and
/// a countersignature's commitment.
pub fn ballot_points(ballot: &Ballot) -> usize {
    let contests: usize = ballot
        .contests
        .iter()
        .map(|c| {
            let selections: usize = c
                .selections
                .iter()
                .map(|s| 2 + 2 * s.proof.branches())
                .sum();
            selections + 2 * c.sum_proof.branches()
        })
        .sum();
    let eligibility = match &ballot.eligibility {
        Eligibility::Pseudonymous { .. } => 3,
        // A future kind: count it when it exists.
        _ => 0,
    };
    1 + contests + eligibility + usize::from(ballot.countersignature.is_some())
}

/// The points of `ballot` whose scalar in the verifier's fold is a 128-bit coefficient alone
/// (spec §4.4: a commitment appears in one equation, with coefficient `+1`): two per branch of
/// every range proof, the eligibility proof's two commitments and a countersignature's one. The
/// others (ciphertexts, roll entry, nullifier) and the shared bases get full scalars. 12 of the
/// 18 points of a 1-of-2 ballot (the library's test
/// `a_ballots_commitments_get_short_scalars_in_the_fold` holds the fold to that).
pub fn ballot_short_points(ballot: &Ballot) -> usize {
    let ranges: usize = ballot
        .contests
        .iter()
        .map(|c| {
            let selections: usize = c.selections.iter().map(|s| 2 * s.proof.branches()).sum();
            selections + 2 * c.sum_proof.branches()
        })
        .sum();
    let eligibility = match &ballot.eligibility {
        Eligibility::Pseudonymous { .. } => 2,
        _ => 0,
    };
    ranges + eligibility + usize::from(ballot.countersignature.is_some())
}

/// Whether scalar `i` of `len`, of which `short` are short, is one of them: the short ones
/// spread evenly, so that every part of a split multiscalar multiplication has the same mix.
pub fn is_short(i: usize, short: usize, len: usize) -> bool {
    let at = |i: usize| (i as u128 * short as u128) / len.max(1) as u128;
    at(i + 1) != at(i)
}

/// A uniform scalar below 2¹²⁸, as the fold's coefficients `ρ_{g,t}` are.
pub fn short_scalar(rng: &mut ChaCha20Rng) -> Scalar {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes[..16]);
    Scalar::from_bytes_mod_order(bytes)
}

/// The points of a board entry: a ballot's ([`ballot_points`]), a spoiled ballot's two per
/// ciphertext, none for a phase change.
pub fn entry_points(entry: &Entry) -> usize {
    match &entry.payload {
        Payload::Ballot(b) => ballot_points(b),
        Payload::Spoiled(s) => 2 * s.contests.iter().map(Vec::len).sum::<usize>(),
        _ => 0,
    }
}

/// The shared bases of `election`'s equations as [`Msm::with_shared`] registers them: `G`, then
/// each distinct base of [`Election::shared_bases`].
pub fn shared_points(election: &Election) -> usize {
    let mut all = vec![Element::generator()];
    for b in election.shared_bases() {
        if !all.contains(&b) {
            all.push(b);
        }
    }
    all.len()
}

/// The dynamic points of the verification equations of `ballots` (what [`Msm::len`] counts
/// after accumulating them; the shared bases are not included).
pub fn dynamic_points<'a>(
    ballots: impl IntoIterator<Item = &'a Ballot>,
    election: &Election,
) -> usize {
    let mut msm = Msm::with_shared(&election.shared_bases());
    let mut total = 0;
    for ballot in ballots {
        ballot
            .accumulate(election, &mut msm)
            .expect("an honest ballot");
        // Keep the accumulator small: count and restart every few thousand ballots.
        if msm.len() > 1 << 20 {
            total += msm.len();
            msm = Msm::with_shared(&election.shared_bases());
        }
    }
    total + msm.len()
}

fn random_scalar(rng: &mut ChaCha20Rng) -> Scalar {
    let mut wide = [0u8; 64];
    rng.fill_bytes(&mut wide);
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// `count` distinct points, cheaply (a random multiple of `G`, then repeated additions of a
/// second random point), built in parallel.
fn distinct_points(count: usize, seed: u64) -> Vec<RistrettoPoint> {
    const RUN: usize = 4096;
    (0..count.div_ceil(RUN))
        .into_par_iter()
        .flat_map_iter(|run| {
            let mut rng = ChaCha20Rng::seed_from_u64(seed ^ (run as u64) << 20);
            let step = RistrettoPoint::mul_base(&random_scalar(&mut rng));
            let mut acc = RistrettoPoint::mul_base(&random_scalar(&mut rng));
            let len = RUN.min(count - run * RUN);
            (0..len).map(move |_| {
                acc += step;
                acc
            })
        })
        .collect()
}

/// The inputs of a floor: `decompress` canonical encodings of distinct points, and `msm` random
/// scalars with distinct points, as many of the scalars below 2¹²⁸ as the verifier's fold has
/// (see [`ballot_short_points`]).
pub struct Floor {
    /// Encodings to decompress.
    pub compressed: Vec<CompressedRistretto>,
    /// Scalars of the multiscalar multiplication.
    pub scalars: Vec<Scalar>,
    /// Its points.
    pub points: Vec<RistrettoPoint>,
}

impl Floor {
    /// Inputs for decompressing `decompress` points and one multiscalar multiplication of `msm`,
    /// `short` of whose scalars are 128-bit ones.
    pub fn new(decompress: usize, msm: usize, short: usize, seed: u64) -> Self {
        let compressed = distinct_points(decompress, seed)
            .par_iter()
            .map(RistrettoPoint::compress)
            .collect();
        let points = distinct_points(msm, seed.wrapping_add(1));
        let scalars = (0..msm.div_ceil(4096))
            .into_par_iter()
            .flat_map_iter(|run| {
                let mut rng = ChaCha20Rng::seed_from_u64(seed.wrapping_add(2) ^ (run as u64) << 20);
                let len = 4096.min(msm - run * 4096);
                (run * 4096..run * 4096 + len).map(move |i| {
                    if is_short(i, short, msm) {
                        short_scalar(&mut rng)
                    } else {
                        random_scalar(&mut rng)
                    }
                })
            })
            .collect();
        Self {
            compressed,
            scalars,
            points,
        }
    }

    /// Decompresses every encoding, split into `threads` equal parts run side by side on the
    /// current rayon pool (one part: on the calling thread). Returns how many decompressed.
    pub fn decompress(&self, threads: usize) -> usize {
        let part = self.compressed.len().div_ceil(threads.max(1)).max(1);
        let one = |chunk: &[CompressedRistretto]| {
            chunk
                .iter()
                .filter(|c| std::hint::black_box(*c).decompress().is_some())
                .count()
        };
        if threads <= 1 {
            one(&self.compressed)
        } else {
            self.compressed.par_chunks(part).map(one).sum()
        }
    }

    /// One vartime multiscalar multiplication over every point, or with `threads` > 1 that
    /// many multiplications of equal parts run side by side (as `verify_batch` splits a batch),
    /// summed.
    pub fn msm(&self, threads: usize) -> RistrettoPoint {
        let part = self.points.len().div_ceil(threads.max(1)).max(1);
        let one = |(s, p): (&[Scalar], &[RistrettoPoint])| {
            RistrettoPoint::vartime_multiscalar_mul(
                std::hint::black_box(s),
                std::hint::black_box(p),
            )
        };
        if threads <= 1 {
            one((&self.scalars, &self.points))
        } else {
            self.scalars
                .par_chunks(part)
                .zip(self.points.par_chunks(part))
                .map(one)
                .reduce(RistrettoPoint::identity, |a, b| a + b)
        }
    }
}
