//! The saved states: what a trustee's one secret file holds between two steps of the ceremony
//! (spec §10.8), and the one loader of it, [`SavedState::load`].

use curve25519_dalek::scalar::Scalar;
use zeroize::Zeroizing;

use super::checks::{PublicView, possession_transcript};
use super::packages::{Frame, share_matches};
use super::{round1, round2, round3, round4};
use crate::codec::{Reader, Wire};
use crate::digest::ManifestDigest;
use crate::error::EncodingError;
use crate::proofs::{SchnorrProof, SchnorrStatement};
use crate::secret::SecretScalar;
use crate::trustee::keys::TrusteeKey;
use crate::trustee::persist::{self, Kind};
use crate::trustee::{CeremonyError, TrusteeIndex, sealed};

/// A trustee's saved state: what its one secret file holds, from round 1 to the end of the
/// ceremony. Each round replaces the previous round's state with the next, and
/// [`finish`](super::finish) replaces it with the trustee's key. The file is written before the
/// matching public package is sent, so that a round re-run after a crash re-sends the identical
/// package (spec §10.3).
///
/// Secret: every state wipes itself on drop, none is `Clone` or serde, and `Debug` prints only
/// the trustee (and, in round 4, the accused dealers).
///
/// # Saved layout (spec §10.8)
///
/// Every state has the frame of [`persist`](crate::trustee) (`"NVK" ‖ u16be(version) ‖ kind`),
/// then its body. With `F = u16be(n) ‖ u16be(k) ‖ u16be(i) ‖ md` (the policy, the trustee and
/// the manifest digest), every round state begins with the same frame of its secrets,
/// `F ‖ k × enc(a_{i,j}) ‖ enc(e_i)`:
///
/// ```text
/// kind 1  round 1   frame ‖ 64·k proofs of possession π_{i,0} … π_{i,k−1}
/// kind 2  round 2   frame ‖ 64·k proofs of possession ‖ 32·n round-1 digests h_1 … h_n
/// kind 3  round 3   frame ‖ 32 R ‖ 32·n·k commitments C_{l,j} (l = 1..=n, j = 0..k)
///                         ‖ 32·n encryption keys E_1 … E_n
/// kind 4  round 4   kind 3's body ‖ n × (1 flag: 0 complained, 1 present ‖ 32 s_{m→i} if 1);
///                   the trustee's own slot holds f_i(i)
/// kind 5  the key   see TrusteeKey
/// ```
///
/// Loading re-checks what can be re-checked: the policy and index; the coefficients and `e_i`
/// canonical and non-zero; in kinds 1–2, the commitments recomputed and every proof
/// re-verified (`E_i` and `π^E_i` are recomputed from `e_i`), and in kind 2 its own `h_i` its
/// reveal's; in kinds 3–4, its own commitments `a_{i,j}·G` and its own key `e_i·G`; in kind 4,
/// every stored share consistent with its dealer's commitments and its own slot present.
#[derive(Debug)]
#[non_exhaustive]
pub enum SavedState {
    /// The state after round 1 (kind 1).
    Round1(round1::SecretPackage),
    /// The state after round 2 (kind 2).
    Round2(round2::SecretPackage),
    /// The state after round 3 (kind 3).
    Round3(round3::SecretPackage),
    /// The state after round 4 (kind 4), from which round 5 and `finish` are computed.
    Round4(round4::SecretPackage),
    /// The trustee's key (kind 5): the ceremony is finished.
    Key(TrusteeKey),
}

impl SavedState {
    /// Loads a trustee's saved state, whatever its round.
    ///
    /// # Errors
    /// [`CeremonyError::NotATrusteeSecret`] without the `"NVK"` frame;
    /// [`CeremonyError::SecretVersion`] for a secret of another version;
    /// [`CeremonyError::SecretKind`] for a kind this version does not know; and otherwise the
    /// errors of the state's own loader (`from_secret_bytes`).
    pub fn load(bytes: &[u8]) -> Result<Self, CeremonyError> {
        match persist::read_kind(&mut Reader::new(bytes))? {
            Kind::Round1 => round1::SecretPackage::from_secret_bytes(bytes).map(Self::Round1),
            Kind::Round2 => round2::SecretPackage::from_secret_bytes(bytes).map(Self::Round2),
            Kind::Round3 => round3::SecretPackage::from_secret_bytes(bytes).map(Self::Round3),
            Kind::Round4 => round4::SecretPackage::from_secret_bytes(bytes).map(Self::Round4),
            Kind::Key => TrusteeKey::from_secret_bytes(bytes).map(Self::Key),
        }
    }

    /// The secret encoding (see `# Saved layout`), for saving to disk: what
    /// [`SavedState::load`] reads back.
    pub fn save(&self) -> Zeroizing<Vec<u8>> {
        match self {
            Self::Round1(s) => s.to_secret_bytes(),
            Self::Round2(s) => s.to_secret_bytes(),
            Self::Round3(s) => s.to_secret_bytes(),
            Self::Round4(s) => s.to_secret_bytes(),
            Self::Key(key) => key.to_secret_bytes(),
        }
    }

    /// The trustee whose state this is.
    pub fn trustee(&self) -> TrusteeIndex {
        match self {
            Self::Round1(s) => s.trustee(),
            Self::Round2(s) => s.trustee(),
            Self::Round3(s) => s.trustee(),
            Self::Round4(s) => s.trustee(),
            Self::Key(key) => key.trustee(),
        }
    }

    /// The round whose state this is, `1..=4`; `None` for the key (the ceremony is finished).
    pub fn round(&self) -> Option<u8> {
        match self {
            Self::Round1(_) => Some(1),
            Self::Round2(_) => Some(2),
            Self::Round3(_) => Some(3),
            Self::Round4(_) => Some(4),
            Self::Key(_) => None,
        }
    }
}

impl round1::SecretPackage {
    /// The secret encoding (kind 1 of [`SavedState`]), for saving to disk.
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let k = self.frame.coefficients.len();
        let mut out = persist::start(Kind::Round1, Frame::saved_len(k) + 64 * k);
        self.frame.put(&mut out);
        put_proofs(&mut out, &self.reveal.proofs);
        out
    }

    /// Loads a saved state of kind 1.
    ///
    /// # Errors
    /// [`CeremonyError::Encoding`] for bytes that are not the layout (and the frame errors of
    /// [`SavedState::load`], or [`CeremonyError::SecretKind`] for another kind);
    /// [`CeremonyError::CorruptSecret`] if the proofs do not match the coefficients.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, CeremonyError> {
        let mut r = Reader::new(bytes);
        persist::read_header(&mut r, Kind::Round1)?;
        let frame = Frame::read(&mut r)?;
        let proofs = read_proofs(&mut r, &frame)?;
        r.finish("round1_secret")?;
        let reveal = rebuild_reveal(&frame, proofs)?;
        Ok(Self { frame, reveal })
    }
}

impl round2::SecretPackage {
    /// The secret encoding (kind 2 of [`SavedState`]), for saving to disk.
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let k = self.frame.coefficients.len();
        let n = self.digests.len();
        let mut out = persist::start(Kind::Round2, Frame::saved_len(k) + 64 * k + 32 * n);
        self.frame.put(&mut out);
        put_proofs(&mut out, &self.reveal.proofs);
        for d in &self.digests {
            out.extend_from_slice(d);
        }
        out
    }

    /// Loads a saved state of kind 2.
    ///
    /// # Errors
    /// As [`round1::SecretPackage::from_secret_bytes`];
    /// also [`CeremonyError::CorruptSecret`] if the trustee's own digest is not its reveal's.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, CeremonyError> {
        let mut r = Reader::new(bytes);
        persist::read_header(&mut r, Kind::Round2)?;
        let frame = Frame::read(&mut r)?;
        let proofs = read_proofs(&mut r, &frame)?;
        let n = usize::from(frame.policy.count());
        persist::need(&r, 32 * n, "round2_secret.digests")?;
        let mut digests = Vec::with_capacity(n);
        for _ in 0..n {
            digests.push(r.array32("round2_secret.digests")?);
        }
        r.finish("round2_secret")?;
        let reveal = rebuild_reveal(&frame, proofs)?;
        if reveal.commitment_digest(&frame.manifest_digest) != digests[frame.trustee.slot()] {
            return Err(CeremonyError::CorruptSecret {
                reason: "the trustee's own round-1 digest is not its reveal's",
            });
        }
        Ok(Self {
            frame,
            reveal,
            digests,
        })
    }
}

impl round3::SecretPackage {
    /// The secret encoding (kind 3 of [`SavedState`]), for saving to disk.
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let policy = self.frame.policy;
        let mut out = persist::start(Kind::Round3, round3_body_len(policy));
        self.frame.put(&mut out);
        self.view.put(&mut out);
        out
    }

    /// Loads a saved state of kind 3.
    ///
    /// # Errors
    /// [`CeremonyError::Encoding`] for bytes that are not the layout (and the frame errors of
    /// [`SavedState::load`]); [`CeremonyError::CorruptSecret`] if the trustee's own commitments
    /// are not `a_{i,j}·G` or its own encryption key is not `e_i·G`.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, CeremonyError> {
        let mut r = Reader::new(bytes);
        persist::read_header(&mut r, Kind::Round3)?;
        let frame = Frame::read(&mut r)?;
        let view = PublicView::read(&mut r, &frame)?;
        r.finish("round3_secret")?;
        Ok(Self { frame, view })
    }
}

impl round4::SecretPackage {
    /// The secret encoding (kind 4 of [`SavedState`]), for saving to disk.
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let policy = self.frame.policy;
        let n = usize::from(policy.count());
        let mut out = persist::start(Kind::Round4, round3_body_len(policy) + 33 * n);
        self.frame.put(&mut out);
        self.view.put(&mut out);
        for slot in &self.received {
            match slot {
                None => out.push(0),
                Some(s) => {
                    out.push(1);
                    persist::put_secret(&mut out, s.expose());
                }
            }
        }
        out
    }

    /// Loads a saved state of kind 4.
    ///
    /// # Errors
    /// [`CeremonyError::Encoding`] for bytes that are not the layout (and the frame errors of
    /// [`SavedState::load`]); [`CeremonyError::CorruptSecret`] if a stored share does not match
    /// its dealer's commitments, or the trustee's own slot is not `f_l(l)`.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, CeremonyError> {
        let mut r = Reader::new(bytes);
        persist::read_header(&mut r, Kind::Round4)?;
        let frame = Frame::read(&mut r)?;
        let view = PublicView::read(&mut r, &frame)?;
        let n = usize::from(frame.policy.count());
        persist::need(&r, n, "round4_secret.received")?;
        let mut received = Vec::with_capacity(n);
        for slot in 0..n {
            match r.u8("round4_secret.received")? {
                0 => received.push(None),
                1 => {
                    let s = SecretScalar::new(r.scalar("round4_secret.received")?);
                    if !share_matches(&s, &view.commitments[slot], frame.trustee) {
                        return Err(CeremonyError::CorruptSecret {
                            reason: "a stored share does not match its dealer's commitments",
                        });
                    }
                    received.push(Some(s));
                }
                _ => {
                    return Err(EncodingError::WrongTag {
                        field: "round4_secret.received",
                    }
                    .into());
                }
            }
        }
        r.finish("round4_secret")?;
        if received[frame.trustee.slot()].is_none() {
            return Err(CeremonyError::CorruptSecret {
                reason: "the trustee's own share is missing",
            });
        }
        Ok(Self {
            frame,
            view,
            received,
        })
    }
}

/// `u16be(n) ‖ u16be(k) ‖ u16be(i) ‖ md`: the spec's `F`, which begins every round state.
pub(crate) const HEAD_LEN: usize = 2 + 2 + 2 + 32;

impl Frame {
    /// The saved length of a frame with `k` coefficients: `F ‖ k × a ‖ e_i`.
    fn saved_len(k: usize) -> usize {
        HEAD_LEN + 32 * k + 32
    }

    /// Writes `F ‖ k × enc(a_{i,j}) ‖ enc(e_i)`.
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.policy.count().to_be_bytes());
        out.extend_from_slice(&self.policy.threshold().to_be_bytes());
        out.extend_from_slice(&self.trustee.get().to_be_bytes());
        out.extend_from_slice(self.manifest_digest.as_bytes());
        for a in &self.coefficients {
            persist::put_secret(out, a.expose());
        }
        persist::put_secret(out, self.encryption_secret.expose());
    }

    /// Reads `F ‖ k × enc(a_{i,j}) ‖ enc(e_i)`, checking the policy, the index and that the
    /// coefficients and `e_i` are canonical and non-zero.
    fn read(r: &mut Reader<'_>) -> Result<Self, CeremonyError> {
        let policy = persist::read_policy(r)?;
        let trustee = persist::read_index(r, policy, "trustee_secret.trustee")?;
        let manifest_digest = r.array32("trustee_secret.manifest_digest")?;
        let coefficients = persist::read_secrets(
            r,
            usize::from(policy.threshold()),
            "trustee_secret.coefficients",
        )?;
        if coefficients.iter().any(|a| *a.expose() == Scalar::ZERO) {
            return Err(CeremonyError::CorruptSecret {
                reason: "a zero coefficient",
            });
        }
        let encryption_secret = SecretScalar::new(r.scalar("trustee_secret.encryption_secret")?);
        if *encryption_secret.expose() == Scalar::ZERO {
            return Err(CeremonyError::CorruptSecret {
                reason: "a zero encryption secret",
            });
        }
        Ok(Self {
            trustee,
            policy,
            manifest_digest: ManifestDigest::new(manifest_digest),
            coefficients,
            encryption_secret,
        })
    }
}

impl PublicView {
    /// Writes `R ‖ n·k × enc(C_{l,j}) ‖ n × enc(E_l)` (dealer-major).
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.reveals_digest);
        for dealer in &self.commitments {
            for c in dealer {
                out.extend_from_slice(c.as_bytes());
            }
        }
        for key in &self.encryption_keys {
            out.extend_from_slice(key.as_bytes());
        }
    }

    /// Reads what [`PublicView::put`] writes, checking the trustee's own commitments and
    /// encryption key against the secrets of its frame.
    fn read(r: &mut Reader<'_>, frame: &Frame) -> Result<Self, CeremonyError> {
        let reveals_digest = r.array32("round3_secret.reveals_digest")?;
        let (n, k) = (
            usize::from(frame.policy.count()),
            usize::from(frame.policy.threshold()),
        );
        persist::need(r, 32 * n * k + 32 * n, "round3_secret.commitments")?;
        let mut commitments = Vec::with_capacity(n);
        for _ in 0..n {
            let mut dealer = Vec::with_capacity(k);
            for _ in 0..k {
                dealer.push(r.element("round3_secret.commitments")?);
            }
            commitments.push(dealer);
        }
        let mut encryption_keys = Vec::with_capacity(n);
        for _ in 0..n {
            encryption_keys.push(r.element("round3_secret.encryption_keys")?);
        }
        let me = frame.trustee;
        if frame.commitments() != commitments[me.slot()] {
            return Err(CeremonyError::CorruptSecret {
                reason: "the trustee's own commitments are not its coefficients'",
            });
        }
        if sealed::encryption_key(&frame.manifest_digest, me, &frame.encryption_secret).0
            != encryption_keys[me.slot()]
        {
            return Err(CeremonyError::CorruptSecret {
                reason: "the trustee's own encryption key is not its encryption secret's",
            });
        }
        Ok(Self {
            commitments,
            encryption_keys,
            reveals_digest,
        })
    }
}

/// The length of kind 3's body: the frame and the public view.
fn round3_body_len(policy: crate::manifest::TrusteePolicy) -> usize {
    let (n, k) = (usize::from(policy.count()), usize::from(policy.threshold()));
    Frame::saved_len(k) + 32 + 32 * n * k + 32 * n
}

fn put_proofs(out: &mut Vec<u8>, proofs: &[SchnorrProof]) {
    for p in proofs {
        out.extend_from_slice(&p.encode());
    }
}

fn read_proofs(r: &mut Reader<'_>, frame: &Frame) -> Result<Vec<SchnorrProof>, CeremonyError> {
    let k = usize::from(frame.policy.threshold());
    persist::need(r, k * SchnorrProof::LEN, "trustee_secret.proofs")?;
    let mut proofs = Vec::with_capacity(k);
    for _ in 0..k {
        proofs.push(SchnorrProof::decode(
            r.take(SchnorrProof::LEN, "trustee_secret.proofs")?,
        )?);
    }
    Ok(proofs)
}

/// The reveal of saved coefficients and proofs, checking the proofs.
fn rebuild_reveal(
    frame: &Frame,
    proofs: Vec<SchnorrProof>,
) -> Result<round2::Package, CeremonyError> {
    let (trustee, manifest_digest) = (frame.trustee, &frame.manifest_digest);
    let commitments = frame.commitments();
    let ok = commitments
        .iter()
        .zip(&proofs)
        .zip(0u16..)
        .all(|((c, p), j)| {
            let mut t = possession_transcript(manifest_digest, trustee, j);
            p.verify(&SchnorrStatement { public: *c }, &mut t).is_ok()
        });
    if !ok {
        return Err(CeremonyError::CorruptSecret {
            reason: "a saved proof of possession does not match its coefficient",
        });
    }
    let (encryption_key, encryption_proof) =
        sealed::encryption_key(manifest_digest, trustee, &frame.encryption_secret);
    Ok(round2::Package {
        trustee,
        commitments,
        proofs,
        encryption_key,
        encryption_proof,
    })
}
