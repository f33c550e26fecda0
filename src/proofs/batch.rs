//! Batch verification: many linear equations `Σ sᵢ·Pᵢ = 0` folded into one vartime multiscalar
//! multiplication.
//!
//! Each proof contributes its verification equations multiplied by weights squeezed from its own
//! transcript after its whole statement, commitments and responses have been absorbed; the weights
//! are therefore reproducible and, in the random-oracle model, independent of the equations' error
//! terms (a cheating prover would have to predict a hash of its own proof). Points shared by many
//! equations (the base point `G`, the election key, the nullifier base, channel authority keys)
//! are registered once and their coefficients summed, so they are multiplied once per batch.
//!
//! Everything here is **variable time** and must only ever see public data.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};

use crate::group::Element;

/// A multiscalar-multiplication accumulator of verification equations (public data only).
#[derive(Clone)]
pub struct Msm {
    shared: Vec<(Element, Scalar)>,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
}

impl Msm {
    /// An empty accumulator with `G` as a shared base.
    pub fn new() -> Self {
        Self::with_shared(&[])
    }

    /// An empty accumulator whose shared bases are `G` and `bases`.
    pub fn with_shared(bases: &[Element]) -> Self {
        let mut shared = Vec::with_capacity(bases.len() + 1);
        shared.push((Element::generator(), Scalar::ZERO));
        for b in bases {
            if !shared.iter().any(|(e, _)| e == b) {
                shared.push((*b, Scalar::ZERO));
            }
        }
        Self {
            shared,
            scalars: Vec::new(),
            points: Vec::new(),
        }
    }

    /// Reserves room for `n` more dynamic points.
    pub fn reserve(&mut self, n: usize) {
        self.scalars.reserve(n);
        self.points.reserve(n);
    }

    /// Adds `coefficient · element`, folding it into a shared base when `element` is one.
    pub fn push(&mut self, coefficient: Scalar, element: &Element) {
        if let Some((_, c)) = self.shared.iter_mut().find(|(e, _)| e == element) {
            *c += coefficient;
        } else {
            self.scalars.push(coefficient);
            self.points.push(*element.point());
        }
    }

    /// Adds `coefficient · point` for a point computed by the verifier (never shared).
    pub fn push_point(&mut self, coefficient: Scalar, point: RistrettoPoint) {
        self.scalars.push(coefficient);
        self.points.push(point);
    }

    /// Adds `coefficient · G`.
    pub fn push_generator(&mut self, coefficient: Scalar) {
        self.shared[0].1 += coefficient;
    }

    /// Number of dynamic points so far.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether nothing has been pushed.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty() && self.shared.iter().all(|(_, c)| *c == Scalar::ZERO)
    }

    /// Moves every term of `other` into `self`.
    pub fn append(&mut self, mut other: Msm) {
        for (e, c) in other.shared.drain(..) {
            self.push(c, &e);
        }
        self.scalars.append(&mut other.scalars);
        self.points.append(&mut other.points);
    }

    /// Evaluates the sum (**variable time**: public data only).
    pub fn evaluate_vartime(&self) -> RistrettoPoint {
        RistrettoPoint::vartime_multiscalar_mul(
            self.scalars
                .iter()
                .chain(self.shared.iter().map(|(_, c)| c)),
            self.points
                .iter()
                .chain(self.shared.iter().map(|(e, _)| e.point())),
        )
    }

    /// Whether every accumulated equation holds (with overwhelming probability).
    pub fn holds_vartime(&self) -> bool {
        self.evaluate_vartime().is_identity()
    }
}

impl Default for Msm {
    fn default() -> Self {
        Self::new()
    }
}

/// The most items folded into one multiscalar multiplication: past a few thousand ballots the
/// per-point cost of Pippenger's method barely falls, while memory keeps growing.
pub const MAX_CHUNK: usize = 4096;

/// A position in an [`Msm`] to roll back to when an item turns out malformed half-way.
struct Checkpoint {
    len: usize,
    shared: Vec<Scalar>,
}

impl Msm {
    fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            len: self.points.len(),
            shared: self.shared.iter().map(|(_, c)| *c).collect(),
        }
    }

    fn rollback(&mut self, checkpoint: Checkpoint) {
        self.points.truncate(checkpoint.len);
        self.scalars.truncate(checkpoint.len);
        for ((_, c), saved) in self.shared.iter_mut().zip(checkpoint.shared) {
            *c = saved;
        }
    }
}

/// Verifies a batch of items, each adding its equations to an accumulator, in parallel on
/// every core; if the batch fails, re-verifies every item alone so that the failure names every
/// bad item.
///
/// Items are split into chunks (at most [`MAX_CHUNK`] each, at least one per thread); each chunk
/// is one multiscalar multiplication, and the batch holds if their sum is the identity. The
/// result does not depend on the number of threads: each proof's weights come from its own
/// transcript.
///
/// `accumulate` returns an error for an item that is malformed before any arithmetic (for
/// example a proof with the wrong number of branches); such an item is blamed with that error and
/// left out of the batch. Items that fail alone are blamed with `blame(index)`.
///
/// # Errors
/// Every bad item, by index, in ascending order.
pub fn verify_batch<T, E>(
    items: &[T],
    shared: &[Element],
    accumulate: impl Fn(&T, &mut Msm) -> Result<(), E> + Sync,
    blame: impl Fn(usize) -> E + Sync,
) -> Result<(), Vec<(usize, E)>>
where
    T: Sync,
    E: Send,
{
    use rayon::prelude::*;
    if items.is_empty() {
        return Ok(());
    }
    let threads = rayon::current_num_threads().max(1);
    let chunk = items.len().div_ceil(threads).clamp(1, MAX_CHUNK);
    let partial: Vec<(RistrettoPoint, Vec<(usize, E)>)> = items
        .par_chunks(chunk)
        .enumerate()
        .map(|(c, chunk_items)| {
            let mut msm = Msm::with_shared(shared);
            let mut failures = Vec::new();
            for (k, item) in chunk_items.iter().enumerate() {
                let checkpoint = msm.checkpoint();
                if let Err(e) = accumulate(item, &mut msm) {
                    msm.rollback(checkpoint);
                    failures.push((c * chunk + k, e));
                }
            }
            (msm.evaluate_vartime(), failures)
        })
        .collect();
    let sum: RistrettoPoint = partial.iter().map(|(p, _)| p).sum();
    let mut failures: Vec<(usize, E)> = partial.into_iter().flat_map(|(_, f)| f).collect();
    if sum.is_identity() {
        return if failures.is_empty() {
            Ok(())
        } else {
            Err(failures)
        };
    }
    let malformed: std::collections::HashSet<usize> = failures.iter().map(|(i, _)| *i).collect();
    let bad: Vec<(usize, E)> = items
        .par_iter()
        .enumerate()
        .filter(|(i, _)| !malformed.contains(i))
        .filter_map(|(i, item)| {
            let mut alone = Msm::with_shared(shared);
            (accumulate(item, &mut alone).is_ok() && !alone.holds_vartime()).then(|| (i, blame(i)))
        })
        .collect();
    failures.extend(bad);
    failures.sort_by_key(|(i, _)| *i);
    Err(failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_bases_fold_and_equations_check() {
        let g = Element::generator();
        let k = Element::from_point(RistrettoPoint::mul_base(&Scalar::from(7u8)), "k").unwrap();
        let mut msm = Msm::with_shared(&[k]);
        // 7·G − K = 0
        msm.push(Scalar::from(7u8), &g);
        msm.push(-Scalar::ONE, &k);
        assert_eq!(msm.len(), 0, "both bases are shared");
        assert!(msm.holds_vartime());
        msm.push_generator(Scalar::ONE);
        assert!(!msm.holds_vartime());
    }

    #[test]
    fn batch_names_every_bad_item() {
        let g = Element::generator();
        // item = (a, b): the equation a·G − b·G = 0 holds iff a == b.
        let items = [(1u8, 1u8), (2, 3), (4, 4), (5, 6)];
        let result = verify_batch(
            &items,
            &[],
            |(a, b), msm: &mut Msm| {
                msm.push(Scalar::from(*a), &g);
                msm.push(-Scalar::from(*b), &g);
                Ok::<(), usize>(())
            },
            |i| i,
        );
        assert_eq!(result, Err(vec![(1, 1), (3, 3)]));
        // The same with one item per chunk and with malformed items rolled back.
        let many: Vec<(u8, u8)> = (0..50)
            .map(|i| if i % 7 == 3 { (i, i + 1) } else { (i, i) })
            .collect();
        let result = verify_batch(
            &many,
            &[],
            |(a, b), msm: &mut Msm| {
                msm.push(Scalar::from(*a), &g);
                if *a == 10 {
                    return Err(usize::MAX); // malformed half-way: its first term is rolled back
                }
                msm.push(-Scalar::from(*b), &g);
                Ok(())
            },
            |i| i,
        );
        let expected: Vec<(usize, usize)> = (0..50)
            .filter(|i| i % 7 == 3 || *i == 10)
            .map(|i| (i, if i == 10 { usize::MAX } else { i }))
            .collect();
        assert_eq!(result, Err(expected));
        assert!(verify_batch(&items[..1], &[], |_, _| Ok::<(), usize>(()), |i| i).is_ok());
    }
}
