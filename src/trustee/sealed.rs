//! The key ceremony's private channel: every share `s_{i→l}` travels sealed, readable by its
//! recipient alone (spec §10.5, "Sealed shares").
//!
//! Each trustee `i` has an **encryption key** `E_i = e_i·G`, published in its round-2 reveal
//! with a proof of possession (so no trustee can publish another's key as its own). The secret
//! `e_i` is drawn in round 1 with the coefficients, independently of them, and saved in every
//! round state until [`super::dkg::finish`]; it is never derived from the polynomial, because a
//! polynomial can become known to `k` colluders (a public answer to a complaint adds one point
//! to their `k − 1`), and `e_i` must not follow from it.
//!
//! Dealer `i` seals `s_{i→l}` for trustee `l` with a key only `i` and `l` can compute, the
//! ristretto255 Diffie-Hellman value `e_i·E_l = e_l·E_i`, bound to the dealing:
//!
//! ```text
//! key    = HKDF-SHA-256(salt = md, ikm = enc(e_i·E_l),
//!                       info = prefix("trustee-share-seal") ‖ R ‖ u16be(i) ‖ u16be(l) ‖ enc(E_i) ‖ enc(E_l))   32 bytes
//! sealed = ChaCha20-Poly1305(key, nonce = 0¹², aad = prefix("trustee-share-seal") ‖ md ‖ u16be(i) ‖ u16be(l),
//!                            plaintext = enc(s_{i→l}))                                                             48 bytes
//! ```
//!
//! `prefix(p)` is the prefix of every trustee digest (`u64be(9) ‖ "nullivote" ‖ u16be(version) ‖
//! u64be(len p) ‖ p`) and `R` the digest of rounds 1–2, which fixes every dealer's commitments,
//! hence the plaintext `f_i(l)`. So the key is unique to the ordered pair `(i, l)`, the two keys,
//! the manifest and the dealing, and it seals exactly one plaintext: the fixed nonce is never
//! used with two messages, and sealing is deterministic, so a dealer that re-runs round 3 after a
//! crash re-sends the identical ciphertext. The tag authenticates the share as coming from `i`
//! (or from `l` itself, who knows the same key), for this manifest, dealing and direction: a share
//! moved to another recipient, pair, direction, dealing or election does not open. A share that
//! does not open is treated as a bad share: the recipient complains in public and the dealer
//! must reveal it (§10.6).

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::scalar::Scalar;
use hkdf::Hkdf;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use super::{TrusteeIndex, tagged_hash, trustee_prefix};
use crate::codec::{Reader, Wire, wire_serde};
use crate::digest::ManifestDigest;
use crate::error::EncodingError;
use crate::group::Element;
use crate::proofs::{SchnorrProof, SchnorrStatement};
use crate::secret::SecretScalar;
use crate::transcript::{election_transcript, label, purpose};

/// A sealed share: the 32-byte ciphertext of `enc(s_{i→l})` and its 16-byte tag.
///
/// # Layout
///
/// ```text
/// 32 ciphertext ‖ 16 Poly1305 tag
/// ```
///
/// Public: it may be broadcast. JSON: 96 lower-case hex characters.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SealedShare([u8; SealedShare::LEN]);

impl SealedShare {
    /// Length of the encoding.
    pub const LEN: usize = 48;
}

impl core::fmt::Debug for SealedShare {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SealedShare({})", hex::encode(self.0))
    }
}

impl Wire for SealedShare {
    const NAME: &'static str = "sealed_share";
    const MAX_LEN: usize = Self::LEN;

    fn encode(&self) -> Vec<u8> {
        self.0.to_vec()
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes);
        let sealed = r.take(Self::LEN, Self::NAME)?;
        let mut out = [0u8; Self::LEN];
        out.copy_from_slice(sealed);
        r.finish(Self::NAME)?;
        Ok(Self(out))
    }
}

wire_serde!(SealedShare);
crate::codec::wire_bytes!(SealedShare);

/// The transcript of a proof of possession of `e_i`:
/// `election_transcript("trustee-encryption-key", md)`, then `append_u64("trustee", i)`.
pub(crate) fn encryption_key_transcript(
    manifest_digest: &ManifestDigest,
    trustee: TrusteeIndex,
) -> merlin::Transcript {
    let mut t = election_transcript(purpose::TRUSTEE_ENCRYPTION_KEY, manifest_digest.as_bytes());
    t.append_u64(label::TRUSTEE, u64::from(trustee.get()));
    t
}

/// `E_i = e_i·G` and its proof of possession, both functions of `e_i` (non-zero): the proof's
/// nonce comes from merlin's witness RNG over the whole statement, rekeyed with `e_i` and
/// finalized with a ChaCha20 stream seeded from a digest of `e_i` (deterministic, like an
/// EdDSA nonce), so a reveal re-made from a saved state is byte-identical without the proof
/// being saved.
pub(crate) fn encryption_key(
    manifest_digest: &ManifestDigest,
    trustee: TrusteeIndex,
    e: &SecretScalar,
) -> (Element, SchnorrProof) {
    // e ≠ 0 (drawn non-zero, checked on loading), so E_i is not the identity.
    let public = Element::from_point_unchecked(RISTRETTO_BASEPOINT_TABLE * e.expose());
    let mut seed: [u8; 32] = {
        let mut h = tagged_hash(purpose::TRUSTEE_ENCRYPTION_NONCE);
        h.update(e.expose().as_bytes());
        h.finalize().into()
    };
    let mut rng = ChaCha20Rng::from_seed(seed);
    seed.zeroize();
    let mut t = encryption_key_transcript(manifest_digest, trustee);
    let proof = SchnorrProof::prove(e, &SchnorrStatement { public }, &mut t, &mut rng);
    (public, proof)
}

fn associated_data(
    manifest_digest: &ManifestDigest,
    from: TrusteeIndex,
    to: TrusteeIndex,
) -> Vec<u8> {
    let mut aad = trustee_prefix(purpose::TRUSTEE_SHARE_SEAL);
    aad.extend_from_slice(manifest_digest.as_bytes());
    aad.extend_from_slice(&from.get().to_be_bytes());
    aad.extend_from_slice(&to.get().to_be_bytes());
    aad
}

/// The two parties of one sealed share, with their published encryption keys.
pub(crate) struct Direction<'a> {
    pub(crate) manifest_digest: &'a ManifestDigest,
    /// `R`, the digest of rounds 1–2 (§10.4): binds the key to the dealing.
    pub(crate) reveals_digest: &'a [u8; 32],
    pub(crate) from: TrusteeIndex,
    pub(crate) from_key: &'a Element,
    pub(crate) to: TrusteeIndex,
    pub(crate) to_key: &'a Element,
}

impl Direction<'_> {
    /// The AEAD key of this direction (see the module docs), computed by `from` with
    /// `own = e_from` and `other = E_to`, or by `to` with `own = e_to` and `other = E_from`.
    fn cipher(&self, own: &SecretScalar, other: &Element) -> ChaCha20Poly1305 {
        // Constant time in the secret scalar.
        let mut dh = (other.point() * own.expose()).compress().to_bytes();
        let mut info = trustee_prefix(purpose::TRUSTEE_SHARE_SEAL);
        info.extend_from_slice(self.reveals_digest);
        info.extend_from_slice(&self.from.get().to_be_bytes());
        info.extend_from_slice(&self.to.get().to_be_bytes());
        info.extend_from_slice(self.from_key.as_bytes());
        info.extend_from_slice(self.to_key.as_bytes());
        let mut okm = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(Some(self.manifest_digest.as_bytes()), &dh)
            .expand(&info, okm.as_mut())
            .expect("32 bytes is a valid HKDF-SHA-256 output length");
        dh.zeroize();
        ChaCha20Poly1305::new(Key::from_slice(okm.as_ref()))
    }

    /// Dealer `from` seals `share` for `to`, with its own secret `e_from`.
    pub(crate) fn seal(&self, e_from: &SecretScalar, share: &SecretScalar) -> SealedShare {
        let cipher = self.cipher(e_from, self.to_key);
        let mut buffer = Zeroizing::new(share.expose().to_bytes());
        let aad = associated_data(self.manifest_digest, self.from, self.to);
        let tag = cipher
            .encrypt_in_place_detached(&Nonce::default(), &aad, buffer.as_mut())
            .expect("a 32-byte message is within ChaCha20-Poly1305's limits");
        let mut out = [0u8; SealedShare::LEN];
        out[..32].copy_from_slice(buffer.as_ref());
        out[32..].copy_from_slice(&tag);
        SealedShare(out)
    }

    /// Recipient `to` opens `sealed` with its own secret `e_to`: the share, or `None` if the
    /// tag does not verify or the plaintext is not a canonical scalar.
    pub(crate) fn open(&self, e_to: &SecretScalar, sealed: &SealedShare) -> Option<SecretScalar> {
        let cipher = self.cipher(e_to, self.from_key);
        let mut buffer = Zeroizing::new([0u8; 32]);
        buffer.copy_from_slice(&sealed.0[..32]);
        let aad = associated_data(self.manifest_digest, self.from, self.to);
        let tag = Tag::from_slice(&sealed.0[32..]);
        cipher
            .decrypt_in_place_detached(&Nonce::default(), &aad, buffer.as_mut(), tag)
            .ok()?;
        Option::<Scalar>::from(Scalar::from_canonical_bytes(*buffer)).map(SecretScalar::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i(n: u16) -> TrusteeIndex {
        TrusteeIndex::new(n).unwrap()
    }

    fn secret(v: u64) -> SecretScalar {
        SecretScalar::new(Scalar::from(v))
    }

    struct Pair {
        md: ManifestDigest,
        r: [u8; 32],
        e1: SecretScalar,
        e2: SecretScalar,
        k1: Element,
        k2: Element,
    }

    fn pair() -> Pair {
        let (e1, e2) = (secret(1111), secret(2222));
        let k1 = Element::from_point_unchecked(RISTRETTO_BASEPOINT_TABLE * e1.expose());
        let k2 = Element::from_point_unchecked(RISTRETTO_BASEPOINT_TABLE * e2.expose());
        Pair {
            md: ManifestDigest([7u8; 32]),
            r: [9u8; 32],
            e1,
            e2,
            k1,
            k2,
        }
    }

    impl Pair {
        fn one_to_two(&self) -> Direction<'_> {
            Direction {
                manifest_digest: &self.md,
                reveals_digest: &self.r,
                from: i(1),
                from_key: &self.k1,
                to: i(2),
                to_key: &self.k2,
            }
        }
    }

    #[test]
    fn the_recipient_opens_what_the_dealer_sealed_and_sealing_is_deterministic() {
        let p = pair();
        let d = p.one_to_two();
        let sealed = d.seal(&p.e1, &secret(42));
        assert_eq!(sealed, d.seal(&p.e1, &secret(42)));
        assert_ne!(sealed, d.seal(&p.e1, &secret(43)));
        let opened = d.open(&p.e2, &sealed).expect("opens");
        assert_eq!(opened.expose(), &Scalar::from(42u64));
        // The ciphertext is not the plaintext.
        assert_ne!(&sealed.0[..32], Scalar::from(42u64).as_bytes());
    }

    #[test]
    fn a_sealed_share_opens_for_no_one_else_nowhere_else_and_after_no_change() {
        let p = pair();
        let d = p.one_to_two();
        let sealed = d.seal(&p.e1, &secret(42));
        // A third party's secret.
        let e3 = secret(3333);
        assert!(d.open(&e3, &sealed).is_none());
        // Another manifest, another direction, other indices.
        let other_md = ManifestDigest([8u8; 32]);
        let other = Direction {
            manifest_digest: &other_md,
            ..p.one_to_two()
        };
        assert!(other.open(&p.e2, &sealed).is_none());
        let other_r = [10u8; 32];
        let redealt = Direction {
            reveals_digest: &other_r,
            ..p.one_to_two()
        };
        assert!(redealt.open(&p.e2, &sealed).is_none());
        let reversed = Direction {
            manifest_digest: &p.md,
            reveals_digest: &p.r,
            from: i(2),
            from_key: &p.k2,
            to: i(1),
            to_key: &p.k1,
        };
        assert!(reversed.open(&p.e1, &sealed).is_none());
        let renumbered = Direction {
            to: i(3),
            ..p.one_to_two()
        };
        assert!(renumbered.open(&p.e2, &sealed).is_none());
        // Every single flipped bit.
        for byte in 0..SealedShare::LEN {
            for bit in 0..8 {
                let mut bad = sealed;
                bad.0[byte] ^= 1 << bit;
                assert!(d.open(&p.e2, &bad).is_none(), "byte {byte} bit {bit}");
            }
        }
    }

    /// A seal that authenticates but holds no canonical scalar (a dealer sealing 32 bytes ≥ ℓ)
    /// does not open: the recipient complains as for any bad share.
    #[test]
    fn a_seal_of_a_non_canonical_scalar_does_not_open() {
        let p = pair();
        let d = p.one_to_two();
        let cipher = d.cipher(&p.e1, d.to_key);
        let mut buffer = [0xffu8; 32];
        let aad = associated_data(d.manifest_digest, d.from, d.to);
        let tag = cipher
            .encrypt_in_place_detached(&Nonce::default(), &aad, &mut buffer)
            .unwrap();
        let mut bytes = [0u8; SealedShare::LEN];
        bytes[..32].copy_from_slice(&buffer);
        bytes[32..].copy_from_slice(&tag);
        assert!(d.open(&p.e2, &SealedShare(bytes)).is_none());
        // The same path with a canonical plaintext opens (the check above is the scalar's).
        let mut canonical = Scalar::from(5u64).to_bytes();
        let tag = cipher
            .encrypt_in_place_detached(&Nonce::default(), &aad, &mut canonical)
            .unwrap();
        bytes[..32].copy_from_slice(&canonical);
        bytes[32..].copy_from_slice(&tag);
        assert!(d.open(&p.e2, &SealedShare(bytes)).is_some());
    }

    #[test]
    fn the_encryption_key_and_its_proof_are_functions_of_the_secret() {
        let md = ManifestDigest([1u8; 32]);
        let e = secret(5);
        let (key, proof) = encryption_key(&md, i(1), &e);
        assert_eq!((key, proof), encryption_key(&md, i(1), &e));
        let mut t = encryption_key_transcript(&md, i(1));
        assert!(
            proof
                .verify(&SchnorrStatement { public: key }, &mut t)
                .is_ok()
        );
        // Bound to the trustee and the manifest.
        let mut t = encryption_key_transcript(&md, i(2));
        assert!(
            proof
                .verify(&SchnorrStatement { public: key }, &mut t)
                .is_err()
        );
        let mut t = encryption_key_transcript(&ManifestDigest([2u8; 32]), i(1));
        assert!(
            proof
                .verify(&SchnorrStatement { public: key }, &mut t)
                .is_err()
        );
        // Another secret, another key.
        assert_ne!(encryption_key(&md, i(1), &secret(6)).0, key);
    }

    #[test]
    fn a_sealed_share_decodes_only_at_its_length() {
        let p = pair();
        let sealed = p.one_to_two().seal(&p.e1, &secret(9));
        let bytes = sealed.encode();
        assert_eq!(SealedShare::decode(&bytes).unwrap(), sealed);
        assert!(SealedShare::decode(&bytes[..47]).is_err());
        let mut long = bytes.clone();
        long.push(0);
        assert!(SealedShare::decode(&long).is_err());
        let json = serde_json::to_string(&sealed).unwrap();
        assert_eq!(json.len(), 2 + 96);
        assert_eq!(serde_json::from_str::<SealedShare>(&json).unwrap(), sealed);
    }
}
