//! The outcome of key generation: each trustee's secret [`TrusteeKey`] and the published
//! [`PublicKeySet`].

use core::fmt;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::decryption::BoardHead;
use super::persist::{self, Kind};
use super::{CeremonyError, IndexError, TrusteeIndex, int_scalar};
use crate::codec::Reader;
use crate::digest::{CeremonyDigest, EntryDigest, ManifestDigest};
use crate::elgamal::ElectionKey;
use crate::group::Element;
use crate::manifest::TrusteePolicy;
use crate::secret::SecretScalar;
use crate::transcript::{TranscriptProtocol, election_transcript, label, purpose};

/// The published outcome of the key-generation ceremony.
///
/// ```text
/// K   = Σ_{i∈Q} C_{i,0}                       joint (election) key
/// X_l = Σ_{i∈Q} Σ_j l^j·C_{i,j}  = x_l·G      verification share of trustee l, l = 1..=n
/// Q                                           qualified dealers, ascending
/// ceremony digest                             SHA-256 of every public package (see dkg)
/// ```
///
/// Only consistent sets exist: whatever the way in (the ceremony, or JSON), `n` verification
/// shares, `Q` ascending in `1..=n` with `|Q| ≥ k`, and `K, X_1, …, X_n` the values at
/// `0, 1, …, n` of one polynomial of degree below `k` "in the exponent" (checked with random
/// weights drawn from a transcript of the whole set). This is what makes every `k`-subset of
/// decryption shares decrypt to the same value (attack 24). That the set is the outcome of
/// given packages is checked by [`verify_ceremony`](super::verify_ceremony).
///
/// JSON (unknown keys refused):
///
/// ```text
/// {"policy": {"count": 5, "threshold": 3}, "manifest_digest": "<64 hex>",
///  "joint_key": "<64 hex>", "verification_shares": ["<64 hex>", …],
///  "qualified": [1, 2, 3, 4, 5], "ceremony_digest": "<64 hex>"}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PublicKeySetUnchecked")]
pub struct PublicKeySet {
    policy: TrusteePolicy,
    manifest_digest: ManifestDigest,
    joint_key: Element,
    verification_shares: Vec<Element>,
    qualified: Vec<TrusteeIndex>,
    ceremony_digest: CeremonyDigest,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicKeySetUnchecked {
    policy: TrusteePolicy,
    manifest_digest: ManifestDigest,
    joint_key: Element,
    verification_shares: Vec<Element>,
    qualified: Vec<TrusteeIndex>,
    ceremony_digest: CeremonyDigest,
}

impl TryFrom<PublicKeySetUnchecked> for PublicKeySet {
    type Error = CeremonyError;

    fn try_from(p: PublicKeySetUnchecked) -> Result<Self, CeremonyError> {
        Self::new(
            p.policy,
            p.manifest_digest,
            p.joint_key,
            p.verification_shares,
            p.qualified,
            p.ceremony_digest,
        )
    }
}

impl PublicKeySet {
    /// Checks and assembles a set (see the type's documentation for the checks).
    pub(crate) fn new(
        policy: TrusteePolicy,
        manifest_digest: ManifestDigest,
        joint_key: Element,
        verification_shares: Vec<Element>,
        qualified: Vec<TrusteeIndex>,
        ceremony_digest: CeremonyDigest,
    ) -> Result<Self, CeremonyError> {
        if verification_shares.len() != usize::from(policy.count()) {
            return Err(CeremonyError::InvalidKeySet {
                reason: "not one verification share per trustee",
            });
        }
        let ascending = qualified.windows(2).all(|w| w[0] < w[1]);
        let in_range = qualified.iter().all(|i| i.check(policy).is_ok());
        if !ascending || !in_range || qualified.len() < usize::from(policy.threshold()) {
            return Err(CeremonyError::InvalidKeySet {
                reason: "the qualified set is not ascending, not in 1..=n, or smaller than k",
            });
        }
        let set = Self {
            policy,
            manifest_digest,
            joint_key,
            verification_shares,
            qualified,
            ceremony_digest,
        };
        if !set.is_consistent_vartime() {
            return Err(CeremonyError::InvalidKeySet {
                reason: "the joint key and verification shares do not lie on one polynomial of \
                         degree below the threshold",
            });
        }
        Ok(set)
    }

    /// The policy `(n, k)`.
    pub fn policy(&self) -> TrusteePolicy {
        self.policy
    }

    /// The digest of the manifest the ceremony was run for.
    pub fn manifest_digest(&self) -> &ManifestDigest {
        &self.manifest_digest
    }

    /// The joint key `K`.
    pub fn joint_key(&self) -> Element {
        self.joint_key
    }

    /// `K` as an election key (with its fixed-base table).
    pub fn election_key(&self) -> ElectionKey {
        ElectionKey::new(self.joint_key)
    }

    /// `X_l`, or `None` if `l > n`.
    pub fn verification_share(&self, trustee: TrusteeIndex) -> Option<&Element> {
        self.verification_shares.get(trustee.slot())
    }

    /// `X_1, …, X_n`.
    pub fn verification_shares(&self) -> &[Element] {
        &self.verification_shares
    }

    /// The qualified dealers `Q`, ascending.
    pub fn qualified(&self) -> &[TrusteeIndex] {
        &self.qualified
    }

    /// The dealers excluded after a complaint, ascending.
    pub fn excluded(&self) -> Vec<TrusteeIndex> {
        TrusteeIndex::all(self.policy)
            .filter(|i| !self.qualified.contains(i))
            .collect()
    }

    /// The ceremony digest, which enters the election's base hash
    /// ([`crate::election::base_hash`]).
    pub fn ceremony_digest(&self) -> CeremonyDigest {
        self.ceremony_digest
    }

    /// Whether `K, X_1, …, X_n` are the values at `0, 1, …, n` of one polynomial of degree
    /// below `k` in the exponent. With the nodes `1..=k` and the other points
    /// `P = {0} ∪ {k+1, …, n}` (`Y_0 = K`, `Y_p = X_p`), it checks, with weights `w_p` squeezed
    /// from a transcript of the whole set,
    ///
    /// ```text
    /// Σ_{p∈P} w_p·(Y_p − Σ_{m=1..k} λ_m(p)·X_m) = 0,   λ_m(p) = Π_{j≠m} (p − j)/(m − j)
    /// ```
    ///
    /// The weights come from `election_transcript("trustee-key-check", ceremony digest)`, then
    /// `"manifest-digest"`, `"trustee-count"` n, `"threshold"` k, `"election-key"` K and
    /// `"verification-share"` X_1 … X_n, squeezing one `"weight"` per point of `P`. The
    /// identity is then false for a single inconsistent point except with probability 1/ℓ.
    ///
    /// **Variable time** (public data).
    fn is_consistent_vartime(&self) -> bool {
        let k = i64::from(self.policy.threshold());
        let n = i64::from(self.policy.count());
        let points: Vec<i64> = core::iter::once(0).chain(k + 1..=n).collect();

        let mut t =
            election_transcript(purpose::TRUSTEE_KEY_CHECK, self.ceremony_digest.as_bytes());
        t.append_message(label::MANIFEST, self.manifest_digest.as_bytes());
        t.append_u64(label::TRUSTEE_COUNT, n as u64);
        t.append_u64(label::THRESHOLD, k as u64);
        t.append_element(label::ELECTION_KEY, &self.joint_key);
        for x in &self.verification_shares {
            t.append_element(label::VERIFICATION_SHARE, x);
        }
        let weights: Vec<Scalar> = points
            .iter()
            .map(|_| t.challenge_scalar(label::WEIGHT))
            .collect();

        // d_m = Π_{j≠m} (m − j);  λ_m(p) = N(p) / ((p − m)·d_m),  N(p) = Π_j (p − j).
        let d: Vec<Scalar> = (1..=k)
            .map(|m| {
                (1..=k)
                    .filter(|&j| j != m)
                    .map(|j| int_scalar(m - j))
                    .product()
            })
            .collect();
        let mut inverses: Vec<Scalar> = points
            .iter()
            .flat_map(|&p| (1..=k).zip(&d).map(move |(m, dm)| int_scalar(p - m) * dm))
            .collect();
        // p ∉ 1..=k and the nodes are distinct small integers: every factor is non-zero.
        Scalar::invert_batch_alloc(&mut inverses);

        let ku = k as usize;
        let mut node_coefficients = vec![Scalar::ZERO; ku];
        let mut scalars = Vec::with_capacity(points.len() + ku);
        let mut elements = Vec::with_capacity(points.len() + ku);
        for (row, (&p, w)) in points.iter().zip(&weights).enumerate() {
            let numerator: Scalar = (1..=k).map(|j| int_scalar(p - j)).product();
            let wn = w * numerator;
            for (m, acc) in node_coefficients.iter_mut().enumerate() {
                *acc += wn * inverses[row * ku + m];
            }
            scalars.push(*w);
            elements.push(if p == 0 {
                *self.joint_key.point()
            } else {
                *self.verification_shares[(p - 1) as usize].point()
            });
        }
        for (m, c) in node_coefficients.iter().enumerate() {
            scalars.push(-c);
            elements.push(*self.verification_shares[m].point());
        }
        RistrettoPoint::vartime_multiscalar_mul(&scalars, &elements).is_identity()
    }
}

/// Trustee `l`'s key: its secret share `x_l = Σ_{i∈Q} f_i(l)` of the election key, with the
/// public values it decrypts against. **Never sent.**
///
/// Secret: wiped on drop, not `Clone`, no serde, `Debug` prints only public values.
///
/// A key decrypts **one tally** ([`TrusteeKey::decrypt_share`]): what it decrypted (the board
/// head, a digest of the aggregates and the seed of the proof nonces) is part of the key and of
/// its saved layout, so that a trustee that saves its key before publishing its share refuses,
/// even after a restart, to decrypt another board ([`TrusteeKey::decrypted_for`]).
///
/// # Saved layout (`to_secret_bytes`, kind 5)
///
/// ```text
/// 3 "NVK" ‖ 2 version ‖ 1 kind = 5
/// 2 n ‖ 2 k ‖ 2 l
/// 32 manifest digest ‖ 32 ceremony digest
/// 32 joint key K ‖ 32 verification share X_l ‖ 32 secret share x_l (canonical scalar)
/// 1 state: 0 = has decrypted nothing (173 bytes in all), 1 = has decrypted (277 bytes):
///   32 board head ‖ 8 board entries (u64 big-endian)
///   ‖ 32 tally digest (SHA-256 of the aggregates, §10.8) ‖ 32 nonce seed (secret)
/// ```
///
/// Loading checks `x_l·G = X_l`; a state other than 0 or 1 is `WrongTag`.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct TrusteeKey {
    #[zeroize(skip)]
    trustee: TrusteeIndex,
    #[zeroize(skip)]
    policy: TrusteePolicy,
    #[zeroize(skip)]
    manifest_digest: ManifestDigest,
    #[zeroize(skip)]
    ceremony_digest: CeremonyDigest,
    #[zeroize(skip)]
    joint_key: Element,
    #[zeroize(skip)]
    verification_share: Element,
    share: SecretScalar,
    decrypted: Option<Decrypted>,
}

/// What a key decrypted: the board head, the digest of the aggregates, and the seed of the
/// proof nonces (secret: with it, re-decrypting gives the identical share).
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct Decrypted {
    #[zeroize(skip)]
    pub(crate) head: BoardHead,
    #[zeroize(skip)]
    pub(crate) tally: [u8; 32],
    seed: [u8; 32],
}

impl Decrypted {
    /// The record of a decryption of the tally `tally` (a digest) of `head`.
    pub(crate) fn new(head: BoardHead, tally: [u8; 32], seed: [u8; 32]) -> Self {
        Self { head, tally, seed }
    }

    /// The seed of the proof nonces.
    pub(crate) fn seed(&self) -> &[u8; 32] {
        &self.seed
    }
}

impl TrusteeKey {
    /// Length of the secret encoding of a key that has decrypted nothing (as the ceremony
    /// gives it).
    pub const SECRET_LEN: usize = persist::HEADER_LEN + 6 + 32 * 5 + 1;

    /// Length of the secret encoding of a key that has decrypted a tally.
    pub const DECRYPTED_SECRET_LEN: usize = Self::SECRET_LEN + 32 + 8 + 32 + 32;

    /// Assembles a key, checking `x_l·G = X_l`.
    pub(crate) fn new(
        trustee: TrusteeIndex,
        public: &PublicKeySet,
        share: SecretScalar,
    ) -> Result<Self, CeremonyError> {
        let verification_share =
            *public
                .verification_share(trustee)
                .ok_or(CeremonyError::Index(IndexError::OutOfRange {
                    index: trustee.get(),
                    count: public.policy.count(),
                }))?;
        Self::from_parts(
            trustee,
            public.policy,
            public.manifest_digest,
            public.ceremony_digest,
            public.joint_key,
            verification_share,
            share,
        )
    }

    fn from_parts(
        trustee: TrusteeIndex,
        policy: TrusteePolicy,
        manifest_digest: ManifestDigest,
        ceremony_digest: CeremonyDigest,
        joint_key: Element,
        verification_share: Element,
        share: SecretScalar,
    ) -> Result<Self, CeremonyError> {
        if RISTRETTO_BASEPOINT_TABLE * share.expose() != *verification_share.point() {
            return Err(CeremonyError::CorruptSecret {
                reason: "the secret share does not match the verification share",
            });
        }
        Ok(Self {
            trustee,
            policy,
            manifest_digest,
            ceremony_digest,
            joint_key,
            verification_share,
            share,
            decrypted: None,
        })
    }

    /// The trustee `l`.
    pub fn trustee(&self) -> TrusteeIndex {
        self.trustee
    }

    /// The policy `(n, k)`.
    pub fn policy(&self) -> TrusteePolicy {
        self.policy
    }

    /// The joint key `K`.
    pub fn joint_key(&self) -> Element {
        self.joint_key
    }

    /// `X_l = x_l·G`.
    pub fn verification_share(&self) -> Element {
        self.verification_share
    }

    /// The digest of the manifest of the ceremony.
    pub fn manifest_digest(&self) -> &ManifestDigest {
        &self.manifest_digest
    }

    /// The ceremony digest.
    pub fn ceremony_digest(&self) -> CeremonyDigest {
        self.ceremony_digest
    }

    /// `x_l`, for arithmetic. Callers must not branch on it or index with it.
    pub(crate) fn share(&self) -> &SecretScalar {
        &self.share
    }

    /// The board whose tally this key decrypted, if it decrypted one: it decrypts that tally
    /// only (again, with the identical share), and refuses any other.
    pub fn decrypted_for(&self) -> Option<BoardHead> {
        self.decrypted.as_ref().map(|d| d.head)
    }

    /// What this key decrypted.
    pub(crate) fn decrypted(&self) -> Option<&Decrypted> {
        self.decrypted.as_ref()
    }

    /// Records the key's one decryption (the caller checked there was none).
    pub(crate) fn record_decryption(&mut self, decrypted: Decrypted) {
        debug_assert!(self.decrypted.is_none(), "a key decrypts one tally");
        self.decrypted = Some(decrypted);
    }

    /// The secret encoding (see `# Saved layout`), for saving to disk.
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let len = match self.decrypted {
            None => Self::SECRET_LEN,
            Some(_) => Self::DECRYPTED_SECRET_LEN,
        };
        let mut out = persist::start(Kind::Key, len - persist::HEADER_LEN);
        out.extend_from_slice(&self.policy.count().to_be_bytes());
        out.extend_from_slice(&self.policy.threshold().to_be_bytes());
        out.extend_from_slice(&self.trustee.get().to_be_bytes());
        out.extend_from_slice(self.manifest_digest.as_bytes());
        out.extend_from_slice(self.ceremony_digest.as_bytes());
        out.extend_from_slice(self.joint_key.as_bytes());
        out.extend_from_slice(self.verification_share.as_bytes());
        persist::put_secret(&mut out, self.share.expose());
        match &self.decrypted {
            None => out.push(0),
            Some(d) => {
                out.push(1);
                out.extend_from_slice(d.head.digest.as_bytes());
                out.extend_from_slice(&d.head.entries.to_be_bytes());
                out.extend_from_slice(&d.tally);
                out.extend_from_slice(&d.seed);
            }
        }
        debug_assert_eq!(out.len(), len);
        out
    }

    /// Loads a saved key.
    ///
    /// # Errors
    /// [`CeremonyError::Encoding`] (or an index or policy error) for bytes that are not the
    /// layout; [`CeremonyError::CorruptSecret`] unless `x_l·G = X_l`.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, CeremonyError> {
        let mut r = Reader::new(bytes);
        persist::read_header(&mut r, Kind::Key)?;
        let policy = persist::read_policy(&mut r)?;
        let trustee = persist::read_index(&mut r, policy, "trustee_key.trustee")?;
        let manifest_digest = r.array32("trustee_key.manifest_digest")?;
        let ceremony_digest = r.array32("trustee_key.ceremony_digest")?;
        let joint_key = r.element("trustee_key.joint_key")?;
        let verification_share = r.element("trustee_key.verification_share")?;
        let share = SecretScalar::new(r.scalar("trustee_key.share")?);
        let decrypted = match r.u8("trustee_key.state")? {
            0 => None,
            1 => {
                let digest = EntryDigest(r.array32("trustee_key.board_head")?);
                let entries = r.u64("trustee_key.board_entries")?;
                let tally = r.array32("trustee_key.tally_digest")?;
                let seed = Zeroizing::new(r.array32("trustee_key.nonce_seed")?);
                Some(Decrypted::new(BoardHead { digest, entries }, tally, *seed))
            }
            _ => {
                return Err(crate::error::EncodingError::WrongTag {
                    field: "trustee_key.state",
                }
                .into());
            }
        };
        r.finish("trustee_key")?;
        let mut key = Self::from_parts(
            trustee,
            policy,
            ManifestDigest::new(manifest_digest),
            CeremonyDigest::new(ceremony_digest),
            joint_key,
            verification_share,
            share,
        )?;
        key.decrypted = decrypted;
        Ok(key)
    }
}

impl fmt::Debug for TrusteeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrusteeKey")
            .field("trustee", &self.trustee)
            .field("verification_share", &self.verification_share)
            .field("share", &"<redacted>")
            .field("decrypted_for", &self.decrypted_for())
            .finish()
    }
}
