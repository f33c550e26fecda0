//! Bounded discrete logarithms, for reading decrypted tallies.
//!
//! Decrypting an aggregate gives `M = v·G`, where `v` is a count no larger than a known bound
//! (ballots × the option's limit). [`DiscreteLog`] recovers `v` by baby-step giant-step: with
//! `m = ⌈√(max + 1)⌉` it stores the baby steps `j·G` for `0 ≤ j < m`, then walks the giant steps
//! `M − i·m·G` for `0 ≤ i < m` until one is a baby step, giving `v = i·m + j`. Every `v` in
//! `0..=max` is found, since `m² ≥ max + 1`; anything else is refused after at most `m` giant
//! steps, so an aggregate that is out of range (a forged tally, or a point that is no small
//! multiple of `G`) costs bounded time, never a hang.
//!
//! # Timing
//!
//! **Variable time**: the table lookups and the number of steps depend on `v`. Use it only on
//! public data, the decrypted tally points that are published with their decryption proofs;
//! never on anything secret.
//!
//! # Memory
//!
//! The table holds `m` entries of 36 bytes plus hash-map overhead (about 60 bytes each): for the
//! largest bound [`MAX_BOUND`] = 2⁴⁰, `m = 2²⁰ + 1` and about 64 MiB, built in about a second.
//! Build one table per bound and reuse it for every option that shares the bound.

use core::fmt;
use std::collections::HashMap;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;

/// The largest bound a [`DiscreteLog`] accepts: 2⁴⁰, for about 2²⁰ table entries.
pub const MAX_BOUND: u64 = 1 << 40;

/// How many points are compressed together (one field inversion per batch), at most.
const BATCH: usize = 256;

/// Why a discrete logarithm was not found or a table not built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DlogError {
    /// The point is not `v·G` for any `v` in `0..=bound`.
    #[error("the point is not v·G for any v in 0..={bound}")]
    OutOfRange {
        /// The table's bound.
        bound: u64,
    },
    /// A bound above [`MAX_BOUND`], refused to keep memory bounded.
    #[error("the bound {max} exceeds the limit of {limit}")]
    BoundTooLarge {
        /// The bound asked for.
        max: u64,
        /// [`MAX_BOUND`].
        limit: u64,
    },
}

/// A baby-step giant-step table for discrete logarithms base `G` in `0..=max`.
///
/// Variable time, for public data only (see the module docs).
pub struct DiscreteLog {
    max: u64,
    /// The number of baby steps, `m = ⌈√(max + 1)⌉ ≤ 2²⁰ + 1`.
    m: u64,
    /// `enc(2·j·G) ↦ j` for `0 ≤ j < m`. Doubling is injective in a group of odd order, and
    /// dalek compresses doubled points in batches, with one inversion per batch.
    baby: HashMap<[u8; 32], u32>,
    /// The giant step `−m·G`.
    giant: RistrettoPoint,
}

impl DiscreteLog {
    /// Builds the table for values `0..=max`.
    ///
    /// # Errors
    /// [`DlogError::BoundTooLarge`] if `max` exceeds [`MAX_BOUND`].
    pub fn new(max: u64) -> Result<Self, DlogError> {
        if max > MAX_BOUND {
            return Err(DlogError::BoundTooLarge {
                max,
                limit: MAX_BOUND,
            });
        }
        let m = ceil_sqrt(max + 1);
        let steps = u32::try_from(m).expect("m ≤ 2²⁰ + 1 for max ≤ 2⁴⁰");
        let mut baby = HashMap::with_capacity(steps as usize);
        let mut point = RistrettoPoint::identity();
        let mut j = 0u32;
        while j < steps {
            let n = (steps - j).min(BATCH as u32);
            let mut batch = Vec::with_capacity(n as usize);
            for _ in 0..n {
                batch.push(point);
                point += RISTRETTO_BASEPOINT_POINT;
            }
            for (k, c) in (j..).zip(RistrettoPoint::double_and_compress_batch(&batch)) {
                baby.insert(c.to_bytes(), k);
            }
            j += n;
        }
        let giant = -RistrettoPoint::mul_base(&Scalar::from(m));
        Ok(Self {
            max,
            m,
            baby,
            giant,
        })
    }

    /// The largest value this table finds.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Finds `v` in `0..=max` with `v·G = point`. **Variable time**: public data only.
    ///
    /// Takes at most `m = ⌈√(max + 1)⌉` giant steps. Small values are found first: the giant
    /// steps are compressed in batches that grow from 1 to 256.
    ///
    /// # Errors
    /// [`DlogError::OutOfRange`] if there is no such `v`.
    pub fn solve(&self, point: &RistrettoPoint) -> Result<u64, DlogError> {
        let out_of_range = DlogError::OutOfRange { bound: self.max };
        let mut current = *point;
        let mut i = 0u64;
        let mut batch_len = 1u64;
        while i < self.m {
            let n = (self.m - i).min(batch_len);
            let mut batch = Vec::with_capacity(n as usize);
            for _ in 0..n {
                batch.push(current);
                current += self.giant;
            }
            for (k, c) in (i..).zip(RistrettoPoint::double_and_compress_batch(&batch)) {
                if let Some(&j) = self.baby.get(c.as_bytes()) {
                    // The only v < m² with v·G = point (m² < ℓ): there is no other to find.
                    let v = k * self.m + u64::from(j);
                    return if v <= self.max {
                        Ok(v)
                    } else {
                        Err(out_of_range)
                    };
                }
            }
            i += n;
            batch_len = (batch_len * 2).min(BATCH as u64);
        }
        Err(out_of_range)
    }
}

/// `⌈√n⌉` for `n ≥ 1`.
fn ceil_sqrt(n: u64) -> u64 {
    let r = n.isqrt();
    if r * r < n { r + 1 } else { r }
}

impl fmt::Debug for DiscreteLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiscreteLog")
            .field("max", &self.max)
            .field("baby_steps", &self.m)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::test_rng;
    use proptest::prelude::*;
    use rand_core::RngCore;

    fn times_g(v: u64) -> RistrettoPoint {
        RistrettoPoint::mul_base(&Scalar::from(v))
    }

    #[test]
    fn ceil_sqrt_is_exact() {
        for n in 1u64..10_000 {
            let r = ceil_sqrt(n);
            assert!(r * r >= n && (r - 1) * (r - 1) < n, "{n}");
        }
        assert_eq!(ceil_sqrt(MAX_BOUND + 1), (1 << 20) + 1);
        assert_eq!(ceil_sqrt(MAX_BOUND), 1 << 20);
    }

    #[test]
    fn every_value_up_to_the_bound_is_found() {
        let dlog = DiscreteLog::new(300).unwrap();
        assert_eq!(dlog.max(), 300);
        let mut p = RistrettoPoint::identity();
        for v in 0..=300u64 {
            assert_eq!(dlog.solve(&p), Ok(v));
            p += RISTRETTO_BASEPOINT_POINT;
        }
        // max + 1, and values up to m² − 1 which the table could reach, are refused.
        for v in [301u64, 302, 18 * 18 - 1, 18 * 18, 10_000] {
            assert_eq!(
                dlog.solve(&times_g(v)),
                Err(DlogError::OutOfRange { bound: 300 }),
                "{v}"
            );
        }
    }

    #[test]
    fn foreign_points_are_out_of_range() {
        let dlog = DiscreteLog::new(1000).unwrap();
        let mut rng = test_rng(1);
        for _ in 0..20 {
            let mut wide = [0u8; 64];
            rng.fill_bytes(&mut wide);
            let p = RistrettoPoint::from_uniform_bytes(&wide);
            assert_eq!(dlog.solve(&p), Err(DlogError::OutOfRange { bound: 1000 }));
        }
        // −1·G = (ℓ − 1)·G.
        assert_eq!(
            dlog.solve(&-RISTRETTO_BASEPOINT_POINT),
            Err(DlogError::OutOfRange { bound: 1000 })
        );
    }

    #[test]
    fn bound_zero_works() {
        let dlog = DiscreteLog::new(0).unwrap();
        assert_eq!(dlog.solve(&RistrettoPoint::identity()), Ok(0));
        assert_eq!(
            dlog.solve(&RISTRETTO_BASEPOINT_POINT),
            Err(DlogError::OutOfRange { bound: 0 })
        );
    }

    #[test]
    fn bounds_above_the_limit_are_refused() {
        assert_eq!(
            DiscreteLog::new(MAX_BOUND + 1).unwrap_err(),
            DlogError::BoundTooLarge {
                max: MAX_BOUND + 1,
                limit: MAX_BOUND
            }
        );
        assert!(DiscreteLog::new(u64::MAX).is_err());
    }

    /// The largest table, and a point out of range: bounded time and memory.
    #[test]
    fn the_largest_bound_works_and_terminates() {
        let dlog = DiscreteLog::new(MAX_BOUND).unwrap();
        assert_eq!(dlog.solve(&times_g(MAX_BOUND)), Ok(MAX_BOUND));
        assert_eq!(dlog.solve(&times_g(123_456_789_012)), Ok(123_456_789_012));
        assert_eq!(
            dlog.solve(&times_g(MAX_BOUND + 1)),
            Err(DlogError::OutOfRange { bound: MAX_BOUND })
        );
        assert_eq!(
            dlog.solve(&-RISTRETTO_BASEPOINT_POINT),
            Err(DlogError::OutOfRange { bound: MAX_BOUND })
        );
    }

    proptest! {
        #[test]
        fn random_values_are_found((max, v) in (0u64..=1_000_000).prop_flat_map(|max| (Just(max), 0..=max))) {
            let dlog = DiscreteLog::new(max).unwrap();
            prop_assert_eq!(dlog.solve(&times_g(v)), Ok(v));
            prop_assert_eq!(dlog.solve(&times_g(max + 1)), Err(DlogError::OutOfRange { bound: max }));
        }
    }
}
