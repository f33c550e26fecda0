//! Batch verification: many linear equations `Σ sᵢ·Pᵢ = 0` folded into one vartime multiscalar
//! multiplication.
//!
//! Every proof pushes its equations, each written with its commitment's coefficient `+1`
//! (`R + c·P − s·G = 0`), and closes them as a *group* with [`Msm::end_group`], naming a digest
//! that determines every term of the group: its [`proof_digest`], a SHA-256 of its Fiat-Shamir
//! challenge (which hashes its statement and commitments) and its scalars. Then every equation
//! `t` of every group `g` is multiplied by a 128-bit coefficient `ρ_{g,t}` derived from a `seed`
//! that hashes the digests of *every* group of the batch, in order:
//!
//! ```text
//! seed    = SHA-256( u64be(len(tag)) ‖ tag ‖ digest_0 ‖ digest_1 ‖ … )     tag = "nullivote/1/batch"
//! ρ_{g,t} = the first 16 bytes of SHA-256( seed ‖ u64be(g) ‖ u64be(t) ), little-endian
//! check:    Σ_g Σ_t ρ_{g,t} · E_{g,t} = 0
//! ```
//!
//! * **Sound**: every `E_{g,t}` is fixed before the seed is (it hashes every proof whole), and for
//!   fixed errors, with the other coefficients fixed, at most one value in `[0, 2¹²⁸)` of the
//!   coefficient of a failing equation makes the sum vanish (`2¹²⁸ < ℓ`), so a fold with a
//!   failing equation passes with probability at most `2⁻¹²⁸` per attempt (the small-exponent
//!   test of Bellare, Garay and Rabin, 1998). Coefficients that depended only on each proof's own
//!   transcript would let a prover who writes thousands of proofs make their errors cancel (a
//!   k-sum problem, which Wagner's algorithm solves in about 2³¹ work for 4096 proofs); with `ρ`
//!   depending on the whole batch, no proof can be adjusted without changing every coefficient.
//! * **Fast**: a commitment appears in one equation with coefficient `+1`, so its scalar in the
//!   multiscalar multiplication is `ρ_{g,t}` itself, 128 bits, whose upper digits are zero and
//!   cost no point addition (12 of the 18 points of an online 1-of-2 ballot are commitments).
//!   Full 253-bit coefficients (the powers of `w` times a 253-bit `ρ_g`, nullivote's first
//!   fold) made the 160,000-member record's verifier about 10 % slower.
//!
//! The result is reproducible and does not depend on how the batch is split across threads:
//! groups are numbered in item order. Points shared by many equations (the base point `G`, the
//! election key, the nullifier base, channel authority keys) are registered once and their
//! coefficients summed, so they are multiplied once per chunk.
//!
//! Everything here is **variable time** and must only ever see public data.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha256};

use crate::group::Element;

/// The most terms of one kind [`verify_batch`] reserves ahead for a chunk (about 25 MB of
/// points; a chunk of 4096 1-of-2 ballots needs 73,728). Past it, buffers grow by doubling.
pub const MAX_RESERVED_TERMS: usize = 1 << 17;

/// The tag of a batch's seed.
pub const BATCH_TAG: &[u8] = b"nullivote/1/batch";

/// The tag of a proof's digest ([`proof_digest`]).
pub const PROOF_DIGEST_TAG: &[u8] = b"nullivote/1/proof-digest";

/// A proof's digest in the fold (spec §4.4): its Fiat-Shamir challenge `c`, which binds its
/// transcript (the election, the context, the whole statement and the commitments), then the
/// rest of the proof, its scalars in their wire order:
///
/// ```text
/// digest = SHA-256( u64be(24) ‖ "nullivote/1/proof-digest"
///                  ‖ enc(c) ‖ enc(x_0) ‖ … ‖ enc(x_{k−1}) )
/// ```
///
/// so it fixes everything the proof's equations depend on. Every field is 32 bytes, so the input
/// encodes `(c, x_0, …)` injectively; which proof it is and what each `x_i` means are fixed by
/// the transcript that `c` hashes.
pub fn proof_digest<'a>(
    challenge: &Scalar,
    scalars: impl IntoIterator<Item = &'a Scalar>,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((PROOF_DIGEST_TAG.len() as u64).to_be_bytes());
    h.update(PROOF_DIGEST_TAG);
    h.update(challenge.as_bytes());
    for x in scalars {
        h.update(x.as_bytes());
    }
    h.finalize().into()
}

/// Where the terms of an equation end, in each kind of term.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Ends {
    dynamic: usize,
    shared: usize,
    slot: usize,
}

/// The end of a group of equations and its digest.
#[derive(Clone, Copy)]
struct Group {
    equations_end: usize,
    digest: [u8; 32],
}

/// Where a pushed point went: a shared base, or a dynamic point of the accumulator. A later
/// term on the same point can be added there ([`Msm::push_at`]) instead of repeating the point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The shared base of this index.
    Shared(u8),
    /// The dynamic point of this index.
    Dynamic(usize),
}

/// A multiscalar-multiplication accumulator of verification equations (public data only).
#[derive(Clone)]
pub struct Msm {
    bases: Vec<Element>,
    shared_terms: Vec<(u8, Scalar)>,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
    /// Terms on points already pushed (by this group or an earlier one).
    slot_terms: Vec<(Slot, Scalar)>,
    /// The end of every closed equation, in order.
    equations: Vec<Ends>,
    groups: Vec<Group>,
}

impl Msm {
    /// An empty accumulator with `G` as a shared base.
    pub fn new() -> Self {
        Self::with_shared(&[])
    }

    /// An empty accumulator whose shared bases are `G` and `bases` (at most 255 in all).
    pub fn with_shared(bases: &[Element]) -> Self {
        let mut all = Vec::with_capacity(bases.len() + 1);
        all.push(Element::generator());
        for b in bases {
            if all.len() < 255 && !all.contains(b) {
                all.push(*b);
            }
        }
        Self {
            bases: all,
            shared_terms: Vec::new(),
            scalars: Vec::new(),
            points: Vec::new(),
            slot_terms: Vec::new(),
            equations: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// Reserves room for `n` more dynamic points.
    pub fn reserve(&mut self, n: usize) {
        self.scalars.reserve(n);
        self.points.reserve(n);
    }

    /// Reserves room for `items` more items the size of everything accumulated so far (called
    /// after a chunk's first item, so that thousands of ballots grow the buffers once instead of
    /// doubling them), at most [`MAX_RESERVED_TERMS`] terms of each kind: the first item may be
    /// huge and the rest malformed and empty, so its size proves nothing about theirs.
    fn reserve_like(&mut self, items: usize) {
        let room = |len: usize| len.saturating_mul(items).min(MAX_RESERVED_TERMS);
        self.scalars.reserve(room(self.scalars.len()));
        self.points.reserve(room(self.points.len()));
        self.shared_terms.reserve(room(self.shared_terms.len()));
        self.slot_terms.reserve(room(self.slot_terms.len()));
        self.equations.reserve(room(self.equations.len()));
        self.groups.reserve(room(self.groups.len()));
    }

    /// Adds `coefficient · element`, folding it into a shared base when `element` is one, and
    /// says where it went.
    pub fn push(&mut self, coefficient: Scalar, element: &Element) -> Slot {
        // A plain byte comparison: the points are public, so no constant-time compare is
        // needed here.
        match self
            .bases
            .iter()
            .position(|b| b.as_bytes() == element.as_bytes())
        {
            // At most 255 bases: the index fits.
            Some(i) => {
                self.shared_terms.push((i as u8, coefficient));
                Slot::Shared(i as u8)
            }
            None => {
                self.scalars.push(coefficient);
                self.points.push(*element.point());
                Slot::Dynamic(self.points.len() - 1)
            }
        }
    }

    /// Adds `coefficient · P` for the point `P` already pushed at `slot` (by this proof or an
    /// earlier one of the same item), without adding `P` again: the multiscalar multiplication
    /// stays over the points the items hold.
    ///
    /// # Panics
    /// If `slot` is not one this accumulator returned (a bug of the caller, not bad input).
    pub fn push_at(&mut self, coefficient: Scalar, slot: Slot) {
        let exists = match slot {
            Slot::Shared(i) => usize::from(i) < self.bases.len(),
            Slot::Dynamic(i) => i < self.points.len(),
        };
        assert!(exists, "a slot this accumulator never returned");
        self.slot_terms.push((slot, coefficient));
    }

    /// Adds `coefficient · point` for a point computed by the verifier (never shared), and says
    /// where it went.
    pub fn push_point(&mut self, coefficient: Scalar, point: RistrettoPoint) -> Slot {
        self.scalars.push(coefficient);
        self.points.push(point);
        Slot::Dynamic(self.points.len() - 1)
    }

    /// Adds `coefficient · G`.
    pub fn push_generator(&mut self, coefficient: Scalar) {
        self.shared_terms.push((0, coefficient));
    }

    /// Where the terms pushed so far end.
    fn ends(&self) -> Ends {
        Ends {
            dynamic: self.points.len(),
            shared: self.shared_terms.len(),
            slot: self.slot_terms.len(),
        }
    }

    /// Where the last closed equation ends (where the open terms begin).
    fn closed_ends(&self) -> Ends {
        self.equations.last().copied().unwrap_or_default()
    }

    /// The index of the first equation of the open group.
    fn open_group_start(&self) -> usize {
        self.groups.last().map_or(0, |g| g.equations_end)
    }

    /// Closes the equation of the terms pushed since the last one: it gets its own coefficient
    /// `ρ_{g,t}` (see the module docs), so its error cannot cancel another equation's.
    pub fn end_equation(&mut self) {
        self.equations.push(self.ends());
    }

    /// Closes the group of equations pushed since the last group (the open terms, if any, as
    /// its last equation), naming `digest`: a hash that determines every term of the group (a
    /// proof's [`proof_digest`]).
    pub fn end_group(&mut self, digest: [u8; 32]) {
        if self.ends() != self.closed_ends() {
            self.end_equation();
        }
        self.groups.push(Group {
            equations_end: self.equations.len(),
            digest,
        });
    }

    /// The digests of the groups closed so far, in order (spec §4.4: what the batch seed
    /// hashes), so that a test can compare a fold with the vectors.
    pub fn group_digests(&self) -> impl Iterator<Item = &[u8; 32]> {
        self.groups.iter().map(|g| &g.digest)
    }

    /// Closes the terms pushed since the last group, if any, with a digest of the terms
    /// themselves (for terms that no proof closed).
    pub fn close_open_group(&mut self) {
        let first = self.open_group_start();
        if first == self.equations.len() && self.ends() == self.closed_ends() {
            return;
        }
        let start = first
            .checked_sub(1)
            .map_or_else(Ends::default, |e| self.equations[e]);
        let mut h = Sha256::new();
        for (s, p) in self.scalars[start.dynamic..]
            .iter()
            .zip(&self.points[start.dynamic..])
        {
            h.update(s.as_bytes());
            h.update(p.compress().as_bytes());
        }
        for (i, s) in &self.shared_terms[start.shared..] {
            h.update(s.as_bytes());
            h.update(self.bases[usize::from(*i)].as_bytes());
        }
        for (slot, s) in &self.slot_terms[start.slot..] {
            let point = match *slot {
                Slot::Shared(i) => *self.bases[usize::from(i)].point(),
                Slot::Dynamic(i) => self.points[i],
            };
            h.update(s.as_bytes());
            h.update(point.compress().as_bytes());
        }
        self.end_group(h.finalize().into());
    }

    /// Number of dynamic points so far.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether nothing has been pushed.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty() && self.shared_terms.is_empty() && self.slot_terms.is_empty()
    }

    /// The seed of a batch whose groups have these digests, in order (spec §4.4).
    pub fn seed<'a>(digests: impl IntoIterator<Item = &'a [u8; 32]>) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update((BATCH_TAG.len() as u64).to_be_bytes());
        h.update(BATCH_TAG);
        for d in digests {
            h.update(d);
        }
        h.finalize().into()
    }

    /// `ρ_{g,t}`: the coefficient of equation `t` of group `g`, 128 bits (spec §4.4, and the
    /// module docs).
    pub fn coefficient(seed: &[u8; 32], group: u64, equation: u64) -> Scalar {
        let mut h = Sha256::new();
        h.update(seed);
        h.update(group.to_be_bytes());
        h.update(equation.to_be_bytes());
        let mut bytes = [0u8; 32];
        bytes[..16].copy_from_slice(&h.finalize()[..16]);
        // Below 2¹²⁸ < ℓ: canonical as it is, and short in the multiscalar multiplication.
        Scalar::from_bytes_mod_order(bytes)
    }

    /// Multiplies every closed equation by its coefficient, with the groups numbered from
    /// `first_group`, and returns the scalars and points of the multiscalar multiplication: the
    /// dynamic points, then the shared bases (so the accumulator is spent; open terms are
    /// dropped).
    fn weigh(mut self, seed: &[u8; 32], first_group: u64) -> (Vec<Scalar>, Vec<RistrettoPoint>) {
        let mut shared = vec![Scalar::ZERO; self.bases.len()];
        let mut start = Ends::default();
        let mut first_equation = 0;
        for (g, group) in self.groups.iter().enumerate() {
            let g = first_group + g as u64;
            for (t, end) in self.equations[first_equation..group.equations_end]
                .iter()
                .enumerate()
            {
                let rho = Self::coefficient(seed, g, t as u64);
                // Most dynamic terms are commitments at coefficient one (and the ciphertexts
                // of a range statement wait at zero for their slot terms): those need no
                // multiplication (a byte comparison, variable time: public data).
                for s in &mut self.scalars[start.dynamic..end.dynamic] {
                    if s.as_bytes() == Scalar::ONE.as_bytes() {
                        *s = rho;
                    } else if s.as_bytes() != Scalar::ZERO.as_bytes() {
                        *s *= rho;
                    }
                }
                for (i, s) in &self.shared_terms[start.shared..end.shared] {
                    shared[usize::from(*i)] += s * rho;
                }
                // Slots name points of this equation or earlier ones, whose scalars are scaled
                // already. A contest-sum proof puts one coefficient on every selection's
                // ciphertext in turn: the product is reused while the coefficient repeats.
                let mut last: Option<(Scalar, Scalar)> = None;
                for (slot, s) in &self.slot_terms[start.slot..end.slot] {
                    let weighted = match last {
                        Some((coefficient, product)) if coefficient == *s => product,
                        _ => s * rho,
                    };
                    last = Some((*s, weighted));
                    match *slot {
                        Slot::Shared(i) => shared[usize::from(i)] += weighted,
                        Slot::Dynamic(i) => self.scalars[i] += weighted,
                    }
                }
                start = *end;
            }
            first_equation = group.equations_end;
        }
        // The shared bases join the dynamic points in the same buffers, so that the
        // multiscalar multiplication runs over two plain slices.
        self.scalars.truncate(start.dynamic);
        self.points.truncate(start.dynamic);
        self.scalars.extend_from_slice(&shared);
        self.points.extend(self.bases.iter().map(Element::point));
        (self.scalars, self.points)
    }

    /// Evaluates `Σ_{g,t} ρ_{g,t}·E_{g,t}` with the groups numbered from `first_group`
    /// (**variable time**: public data only).
    fn evaluate_with(self, seed: &[u8; 32], first_group: u64) -> RistrettoPoint {
        let (scalars, points) = self.weigh(seed, first_group);
        RistrettoPoint::vartime_multiscalar_mul(&scalars[..], &points[..])
    }

    /// Closes any open group and returns the seed of the groups (a fold of this accumulator
    /// alone).
    fn close_and_seed(&mut self) -> [u8; 32] {
        self.close_open_group();
        Self::seed(self.groups.iter().map(|g| &g.digest))
    }

    /// The scalars and points [`Msm::evaluate_vartime`] multiplies, for tests.
    #[cfg(test)]
    pub(crate) fn weighed(mut self) -> (Vec<Scalar>, Vec<RistrettoPoint>) {
        let seed = self.close_and_seed();
        self.weigh(&seed, 0)
    }

    /// Closes any open group and evaluates the randomized sum (**variable time**).
    pub fn evaluate_vartime(mut self) -> RistrettoPoint {
        let seed = self.close_and_seed();
        self.evaluate_with(&seed, 0)
    }

    /// Whether every accumulated equation holds (with overwhelming probability).
    pub fn holds_vartime(self) -> bool {
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

/// Chunks per thread once chunks can hold [`MIN_CHUNK`] items. A chunk is one multiscalar
/// multiplication on one core: with one chunk per thread, a core that is slowed (the verifier's
/// board replay runs beside the batch, and other processes share the machine) holds the whole
/// batch up while the others wait; with four, the others take over its remaining chunks.
pub const CHUNKS_PER_THREAD: usize = 4;

/// The fewest items a chunk is cut to for the sake of balance: a multiscalar multiplication has
/// a fixed cost (Pippenger's bucket sums) that a chunk of 256 ballots, about 4,600 points, keeps
/// to a few percent of the whole.
pub const MIN_CHUNK: usize = 256;

/// The items per chunk of a batch of `items` on `threads` threads: [`CHUNKS_PER_THREAD`] chunks
/// per thread while each holds at least [`MIN_CHUNK`] items, never fewer chunks than threads
/// (when there are enough items), never more than [`MAX_CHUNK`] items in one.
fn chunk_len(items: usize, threads: usize) -> usize {
    let threads = threads.max(1);
    let balanced = items.div_ceil(threads * CHUNKS_PER_THREAD);
    let one_per_thread = items.div_ceil(threads);
    balanced
        .max(MIN_CHUNK.min(one_per_thread))
        .clamp(1, MAX_CHUNK)
}

/// A position in an [`Msm`] to roll back to when an item turns out malformed half-way.
struct Checkpoint {
    ends: Ends,
    equations: usize,
    groups: usize,
}

impl Msm {
    fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            ends: self.ends(),
            equations: self.equations.len(),
            groups: self.groups.len(),
        }
    }

    fn rollback(&mut self, checkpoint: Checkpoint) {
        self.points.truncate(checkpoint.ends.dynamic);
        self.scalars.truncate(checkpoint.ends.dynamic);
        self.shared_terms.truncate(checkpoint.ends.shared);
        self.slot_terms.truncate(checkpoint.ends.slot);
        self.equations.truncate(checkpoint.equations);
        self.groups.truncate(checkpoint.groups);
    }
}

/// Verifies a batch of items, each adding its equations to an accumulator, in parallel on
/// every core; if the batch fails, re-verifies every item alone so that the failure names every
/// bad item.
///
/// Items are split into chunks (`chunk_len`: up to [`CHUNKS_PER_THREAD`] per thread); each chunk
/// is one multiscalar multiplication, and the batch holds if their sum is the identity. The
/// groups of all chunks share one seed (see the module docs), so the result does not depend on
/// the number of threads.
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
    let chunk = chunk_len(items.len(), rayon::current_num_threads());
    // Pass 1: every chunk's terms, grouped.
    let partial: Vec<(Msm, Vec<(usize, E)>)> = items
        .par_chunks(chunk)
        .enumerate()
        .map(|(c, chunk_items)| {
            let mut msm = Msm::with_shared(shared);
            let mut failures = Vec::new();
            for (k, item) in chunk_items.iter().enumerate() {
                let checkpoint = msm.checkpoint();
                match accumulate(item, &mut msm) {
                    Ok(()) => {
                        msm.close_open_group();
                        if k == 0 {
                            msm.reserve_like(chunk_items.len() - 1);
                        }
                    }
                    Err(e) => {
                        msm.rollback(checkpoint);
                        failures.push((c * chunk + k, e));
                    }
                }
            }
            (msm, failures)
        })
        .collect();
    let (msms, failures): (Vec<Msm>, Vec<Vec<(usize, E)>>) = partial.into_iter().unzip();
    let mut failures: Vec<(usize, E)> = failures.into_iter().flatten().collect();
    // The seed over every group of the batch, in item order.
    let seed = Msm::seed(msms.iter().flat_map(|m| m.groups.iter().map(|g| &g.digest)));
    let mut firsts = Vec::with_capacity(msms.len());
    let mut next = 0u64;
    for m in &msms {
        firsts.push(next);
        next += m.groups.len() as u64;
    }
    // Pass 2: every chunk's randomized sum.
    let sum: RistrettoPoint = msms
        .into_par_iter()
        .zip(firsts)
        .map(|(m, first)| m.evaluate_with(&seed, first))
        .sum();
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
    fn chunks_balance_the_cores_without_becoming_small() {
        // A verifier block of 4,096 ballots on two threads: eight chunks of 512.
        assert_eq!(chunk_len(4096, 2), 512);
        // Four per thread while they hold at least MIN_CHUNK items...
        assert_eq!(chunk_len(2048, 2), MIN_CHUNK);
        assert_eq!(chunk_len(1024, 2), MIN_CHUNK);
        // ...then fewer and larger, but one per thread as long as there are items for it.
        assert_eq!(chunk_len(300, 2), 150);
        assert_eq!(chunk_len(64, 2), 32);
        assert_eq!(chunk_len(1, 2), 1);
        assert_eq!(chunk_len(0, 2), 1);
        // Never more than MAX_CHUNK in one multiscalar multiplication.
        assert_eq!(chunk_len(1 << 20, 1), MAX_CHUNK);
        assert_eq!(chunk_len(100_000, 2), MAX_CHUNK);
        assert_eq!(chunk_len(16_384, 2), 2048);
        assert_eq!(chunk_len(16_384, 0), chunk_len(16_384, 1));
    }

    #[test]
    fn errors_that_cancel_across_groups_are_caught() {
        // Two "proofs" whose own equations fail by +G and −G: their plain sum cancels, but each
        // group is scaled by its own coefficient, so the batch fails.
        let g = Element::generator();
        let mut msm = Msm::new();
        msm.push(Scalar::ONE, &g);
        msm.end_group([1; 32]);
        msm.push(-Scalar::ONE, &g);
        msm.end_group([2; 32]);
        assert!(!msm.holds_vartime());
        // The same terms in one group cancel (the group's own weights are the proof's job).
        let mut one = Msm::new();
        one.push(Scalar::ONE, &g);
        one.push(-Scalar::ONE, &g);
        one.end_group([3; 32]);
        assert!(one.holds_vartime());
    }

    #[test]
    fn errors_that_cancel_across_equations_of_a_group_are_caught() {
        // One proof whose two equations fail by +G and −G: each equation has its own ρ_{g,t}.
        let g = Element::generator();
        let mut msm = Msm::new();
        msm.push(Scalar::ONE, &g);
        msm.end_equation();
        msm.push(-Scalar::ONE, &g);
        msm.end_group([1; 32]);
        assert_eq!(msm.equations.len(), 2);
        assert!(!msm.holds_vartime());
        // Ending the group right after an equation adds no empty one.
        let mut msm = Msm::new();
        msm.push(Scalar::ONE, &g);
        msm.end_equation();
        msm.end_group([1; 32]);
        assert_eq!(msm.equations.len(), 1);
    }

    #[test]
    fn coefficients_are_128_bits_and_differ_by_seed_group_and_equation() {
        let rho = |seed: u8, g, t| Msm::coefficient(&[seed; 32], g, t);
        let all = [
            rho(1, 0, 0),
            rho(1, 0, 1),
            rho(1, 1, 0),
            rho(2, 0, 0),
            rho(1, 1, 1),
        ];
        for (i, r) in all.iter().enumerate() {
            assert_eq!(r.as_bytes()[16..], [0; 16], "ρ {i} is below 2¹²⁸");
            assert_ne!(r.as_bytes()[..16], [0; 16]);
            assert!(all[..i].iter().all(|q| q != r), "ρ {i} is new");
        }
        // The spec's formula (§4.4): the first 16 bytes of SHA-256(seed ‖ u64be(g) ‖ u64be(t)).
        let mut h = Sha256::new();
        h.update([1; 32]);
        h.update(1u64.to_be_bytes());
        h.update(0u64.to_be_bytes());
        assert_eq!(rho(1, 1, 0).as_bytes()[..16], h.finalize()[..16]);
    }

    #[test]
    fn a_proofs_digest_is_the_specs_and_changes_with_every_scalar() {
        let (c, x, y) = (Scalar::from(7u8), Scalar::from(8u8), Scalar::from(9u8));
        let digest = proof_digest(&c, [&x, &y]);
        // Spec §4.4, written out.
        let mut h = Sha256::new();
        h.update(24u64.to_be_bytes());
        h.update(b"nullivote/1/proof-digest");
        h.update(c.as_bytes());
        h.update(x.as_bytes());
        h.update(y.as_bytes());
        assert_eq!(digest, <[u8; 32]>::from(h.finalize()));
        let one = Scalar::ONE;
        for (i, other) in [
            proof_digest(&one, [&x, &y]),
            proof_digest(&c, [&one, &y]),
            proof_digest(&c, [&x, &one]),
            proof_digest(&c, [&x]),
            proof_digest(&c, [&y, &x]),
        ]
        .iter()
        .enumerate()
        {
            assert_ne!(*other, digest, "change {i}");
        }
    }

    #[test]
    fn a_term_of_coefficient_one_weighs_in_with_its_short_rho() {
        let p = Element::from_point_as(RistrettoPoint::mul_base(&Scalar::from(5u8)), "p").unwrap();
        let mut msm = Msm::new();
        msm.push(Scalar::ONE, &p);
        msm.push(-Scalar::from(5u8), &Element::generator());
        msm.end_group([1; 32]);
        let (scalars, points) = msm.weighed();
        assert_eq!(points.len(), 2, "P, then the shared G");
        assert_eq!(scalars[0].as_bytes()[16..], [0; 16]);
        assert_eq!(scalars[1], -Scalar::from(5u8) * scalars[0]);
    }

    #[test]
    fn closed_equations_outside_a_group_are_closed_into_one() {
        let g = Element::generator();
        let mut msm = Msm::new();
        msm.push(Scalar::ONE, &g);
        msm.end_equation(); // closed, but in no group: not dropped
        assert!(!msm.holds_vartime());
    }

    #[test]
    fn rollback_removes_closed_equations_and_groups() {
        let g = Element::generator();
        let mut msm = Msm::new();
        let checkpoint = msm.checkpoint();
        msm.push(Scalar::ONE, &g);
        msm.end_equation();
        msm.push(Scalar::ONE, &g);
        msm.end_group([1; 32]);
        msm.push(Scalar::ONE, &g);
        msm.end_equation();
        msm.rollback(checkpoint);
        assert!(msm.equations.is_empty() && msm.groups.is_empty() && msm.is_empty());
        // What follows is weighed on its own: 5·G − 5·G in one equation holds.
        msm.push(Scalar::from(5u8), &g);
        msm.push(-Scalar::from(5u8), &g);
        msm.end_group([2; 32]);
        assert_eq!(msm.equations.len(), 1);
        assert!(msm.holds_vartime());
    }

    #[test]
    fn each_equation_weighs_in_with_its_own_group_and_index() {
        let p = |k: u8| {
            Element::from_point_as(RistrettoPoint::mul_base(&Scalar::from(k)), "p").unwrap()
        };
        let mut msm = Msm::new();
        msm.push(Scalar::ONE, &p(2));
        msm.end_group([1; 32]);
        msm.push(Scalar::ONE, &p(3));
        msm.end_equation();
        msm.push(Scalar::ONE, &p(4));
        msm.end_group([2; 32]);
        let seed = Msm::seed([&[1; 32], &[2; 32]]);
        let (scalars, _) = msm.weighed();
        // Group 0's one equation, then group 1's equations 0 and 1 (t starts again per group).
        let expected = [(0, 0), (1, 0), (1, 1)].map(|(g, t)| Msm::coefficient(&seed, g, t));
        assert_eq!(scalars[..3], expected);
    }

    #[test]
    fn open_terms_are_closed_into_a_group() {
        let g = Element::generator();
        let mut msm = Msm::new();
        msm.push(Scalar::ONE, &g);
        msm.end_group([1; 32]);
        msm.push(-Scalar::ONE, &g); // open: closed with a digest of its own terms
        msm.close_open_group();
        assert_eq!(msm.groups.len(), 2);
        assert!(!msm.holds_vartime());
    }

    #[test]
    fn shared_bases_fold_and_equations_check() {
        let g = Element::generator();
        let k = Element::from_point_as(RistrettoPoint::mul_base(&Scalar::from(7u8)), "k").unwrap();
        let mut msm = Msm::with_shared(&[k]);
        // 7·G − K = 0
        msm.push(Scalar::from(7u8), &g);
        msm.push(-Scalar::ONE, &k);
        assert_eq!(msm.len(), 0, "both bases are shared");
        assert!(msm.clone().holds_vartime());
        msm.push_generator(Scalar::ONE);
        assert!(!msm.holds_vartime());
    }

    #[test]
    fn terms_at_slots_land_on_their_points_with_their_own_group_weight() {
        let g = Element::generator();
        let p = Element::from_point_as(RistrettoPoint::mul_base(&Scalar::from(5u8)), "p").unwrap();
        // Group 1: 3·P − 15·G = 0. Group 2: 2·P (at P's slot) − 10·G = 0.
        let mut msm = Msm::new();
        let slot = msm.push(Scalar::from(3u8), &p);
        assert_eq!(slot, Slot::Dynamic(0));
        msm.push(-Scalar::from(15u8), &g);
        msm.end_group([1; 32]);
        msm.push_at(Scalar::from(2u8), slot);
        msm.push(-Scalar::from(10u8), &g);
        msm.end_group([2; 32]);
        assert_eq!(msm.len(), 1, "P is multiplied once");
        assert!(msm.clone().holds_vartime());
        // An error in group 2 alone is caught, and so is one that cancels group 1's: the two
        // groups have different weights even though their terms share a point.
        let mut bad = msm.clone();
        bad.push_at(Scalar::ONE, slot);
        assert!(!bad.holds_vartime());
        let mut cancel = Msm::new();
        let slot = cancel.push(Scalar::from(4u8), &p); // +P too many
        cancel.push(-Scalar::from(15u8), &g);
        cancel.end_group([1; 32]);
        cancel.push_at(Scalar::ONE, slot); // −P too few
        cancel.push(-Scalar::from(10u8), &g);
        cancel.end_group([2; 32]);
        assert!(!cancel.holds_vartime());
        // Shared slots work alike.
        let mut shared = Msm::new();
        let s = shared.push(Scalar::ONE, &g);
        assert_eq!(s, Slot::Shared(0));
        shared.push_at(-Scalar::ONE, s);
        assert!(shared.holds_vartime());
    }

    #[test]
    fn a_point_at_zero_gets_exactly_the_weighed_sum_of_its_slot_terms() {
        // A range statement's ciphertext: pushed at zero, then given terms at its slot by its
        // own group and by a later one (a contest sum). Beside it a commitment at one.
        let p = Element::from_point_as(RistrettoPoint::mul_base(&Scalar::from(5u8)), "p").unwrap();
        let q = Element::from_point_as(RistrettoPoint::mul_base(&Scalar::from(6u8)), "q").unwrap();
        let (a, b, c) = (Scalar::from(3u8), Scalar::from(7u8), Scalar::from(11u8));
        let mut msm = Msm::new();
        let slot = msm.push(Scalar::ZERO, &p);
        msm.push(Scalar::ONE, &q);
        msm.push_at(a, slot);
        msm.end_equation();
        msm.push_at(b, slot);
        msm.end_group([1; 32]);
        msm.push_at(c, slot);
        msm.end_group([2; 32]);
        let seed = Msm::seed([&[1; 32], &[2; 32]]);
        let rho = |g, t| Msm::coefficient(&seed, g, t);
        let (scalars, _) = msm.weighed();
        assert_eq!(
            scalars[0],
            a * rho(0, 0) + b * rho(0, 1) + c * rho(1, 0),
            "P's scalar"
        );
        assert_eq!(
            scalars[1],
            rho(0, 0),
            "Q's scalar is its equation's coefficient"
        );
    }

    #[test]
    fn an_open_group_of_slot_terms_alone_is_closed_and_checked() {
        let p = Element::from_point_as(RistrettoPoint::mul_base(&Scalar::from(5u8)), "p").unwrap();
        let mut msm = Msm::new();
        let slot = msm.push(Scalar::ZERO, &p);
        msm.end_group([1; 32]);
        msm.push_at(Scalar::ONE, slot); // P ≠ 0: must fail, not be dropped
        assert!(!msm.holds_vartime());
    }

    #[test]
    fn rollback_removes_slot_terms() {
        let g = Element::generator();
        let p = Element::from_point_as(RistrettoPoint::mul_base(&Scalar::from(5u8)), "p").unwrap();
        let mut msm = Msm::new();
        let checkpoint = msm.checkpoint();
        let slot = msm.push(Scalar::ONE, &p);
        msm.push_at(Scalar::ONE, slot);
        msm.rollback(checkpoint);
        assert!(msm.is_empty() && msm.slot_terms.is_empty());
        msm.push(Scalar::from(5u8), &g);
        msm.push(-Scalar::ONE, &p);
        assert!(msm.holds_vartime());
    }

    #[test]
    fn reserving_makes_room_ahead() {
        // `reserve(n)`: room for n more dynamic points.
        let mut msm = Msm::new();
        msm.reserve(1000);
        assert!(msm.points.capacity() >= 1000 && msm.scalars.capacity() >= 1000);
        // `reserve_like(items)`: room for `items` more items the size of those so far, so that
        // a chunk grows its buffers once (10 points, then room for 4095 more such items).
        let g = Element::generator();
        let mut msm = Msm::new();
        for _ in 0..10 {
            msm.push_point(Scalar::ONE, *g.point());
        }
        msm.end_group([1; 32]);
        msm.reserve_like(4095);
        assert!(msm.points.capacity() >= 10 * 4096);
        assert!(msm.scalars.capacity() >= 10 * 4096);
        assert!(msm.groups.capacity() >= 4096);
    }

    #[test]
    fn a_huge_first_item_reserves_a_bounded_room() {
        // One item of 100,000 points followed by 4095 items that fail before pushing anything:
        // the chunk reserves at most MAX_RESERVED_TERMS more, not 4095 × 100,000.
        let g = Element::generator();
        let mut msm = Msm::new();
        for _ in 0..100_000 {
            msm.push_point(Scalar::ONE, *g.point());
        }
        msm.end_group([1; 32]);
        msm.reserve_like(4095);
        // (Vec may round up to twice what it needs; unbounded, this would be 409,500,000.)
        assert!(msm.points.capacity() <= 2 * (100_000 + MAX_RESERVED_TERMS));
        let items: Vec<usize> = (0..4096).collect();
        let result = verify_batch(
            &items,
            &[],
            |i, msm: &mut Msm| {
                if *i > 0 {
                    return Err(*i);
                }
                for _ in 0..100_000 {
                    msm.push_point(Scalar::ZERO, *g.point());
                }
                Ok(())
            },
            |i| i,
        );
        assert_eq!(result.unwrap_err().len(), 4095);
    }

    #[test]
    #[should_panic(expected = "never returned")]
    fn a_slot_from_elsewhere_is_a_bug() {
        Msm::new().push_at(Scalar::ONE, Slot::Dynamic(0));
    }

    /// Kills `replace < with <= in Msm::push_at` on the shared bases: the first index past them
    /// is refused when pushed, not found out of bounds later.
    #[test]
    #[should_panic(expected = "never returned")]
    fn a_shared_slot_past_the_bases_is_a_bug() {
        let mut msm = Msm::new();
        assert_eq!(
            msm.push(Scalar::ONE, &Element::generator()),
            Slot::Shared(0)
        );
        msm.push_at(Scalar::ONE, Slot::Shared(1));
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
