//! The group ristretto255 and the canonical encodings of its elements and scalars.
//!
//! Every point that enters nullivote from outside passes through [`Element::from_bytes`], which
//! accepts only the canonical 32-byte ristretto255 encoding (RFC 9496 §4.3.1) and refuses the
//! identity. Every scalar passes through [`decode_scalar`], which accepts only the canonical
//! little-endian encoding of an integer below ℓ. Each refusal is an [`EncodingError`] naming the
//! field it came from.
//!
//! Derived generators (the nullifier base `H_E`) come from [`hash_to_group`], which is
//! crate-private and takes only fixed labels: no public API accepts a caller's base.

use core::fmt;

use curve25519_dalek::constants::{RISTRETTO_BASEPOINT_COMPRESSED, RISTRETTO_BASEPOINT_POINT};
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use sha2::{Digest, Sha512};

use crate::codec::Wire;
use crate::error::EncodingError;

/// Length in bytes of an encoded [`Element`].
pub const ELEMENT_LEN: usize = 32;
/// Length in bytes of an encoded scalar.
pub const SCALAR_LEN: usize = 32;

/// A published, non-identity element of ristretto255 together with its canonical encoding.
///
/// Decoding happens once, on the way in; the point is kept for arithmetic and the bytes for
/// transcripts, digests and equality. Equality and hashing use the canonical bytes, which is
/// sound because ristretto255 encodings are unique.
///
/// # Layout
///
/// 32 bytes: the canonical ristretto255 encoding (RFC 9496 §4.3.2). In JSON, 64 lowercase hex
/// characters.
#[derive(Clone, Copy)]
pub struct Element {
    point: RistrettoPoint,
    bytes: CompressedRistretto,
}

impl Element {
    /// The base point `G` of ristretto255 (a constant: no compression at run time).
    pub fn generator() -> Self {
        Self {
            point: RISTRETTO_BASEPOINT_POINT,
            bytes: RISTRETTO_BASEPOINT_COMPRESSED,
        }
    }

    /// Decodes a canonical, non-identity encoding.
    ///
    /// # Errors
    /// [`EncodingError::WrongLength`] unless `bytes` is 32 bytes long,
    /// [`EncodingError::NonCanonicalPoint`] for any string that is not the canonical encoding of a
    /// group element, and [`EncodingError::IdentityPoint`] for the identity.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        Self::decode_as(bytes, <Self as Wire>::NAME)
    }

    /// Wraps a point the caller computed, refusing the identity.
    ///
    /// # Errors
    /// [`EncodingError::IdentityPoint`] if `point` is the identity.
    pub fn from_point(point: RistrettoPoint) -> Result<Self, EncodingError> {
        Self::from_point_as(point, <Self as Wire>::NAME)
    }

    /// [`Element::from_bytes`], naming `field` in its errors.
    pub(crate) fn decode_as(bytes: &[u8], field: &'static str) -> Result<Self, EncodingError> {
        let array: [u8; ELEMENT_LEN] =
            bytes.try_into().map_err(|_| EncodingError::WrongLength {
                field,
                expected: ELEMENT_LEN,
                actual: bytes.len(),
            })?;
        // The identity's only canonical encoding is 32 zero bytes, and `decompress` accepts
        // canonical encodings only: a byte comparison (variable time; points are public) spares
        // the field multiplications of `is_identity` on every decoded point.
        if array == [0u8; ELEMENT_LEN] {
            return Err(EncodingError::IdentityPoint { field });
        }
        let compressed = CompressedRistretto(array);
        let point = compressed
            .decompress()
            .ok_or(EncodingError::NonCanonicalPoint { field })?;
        Ok(Self {
            point,
            bytes: compressed,
        })
    }

    /// [`Element::from_point`], naming `field` in its errors.
    pub(crate) fn from_point_as(
        point: RistrettoPoint,
        field: &'static str,
    ) -> Result<Self, EncodingError> {
        if point.is_identity() {
            return Err(EncodingError::IdentityPoint { field });
        }
        Ok(Self::from_point_unchecked(point))
    }

    /// Wraps a computed point that is the identity only with negligible probability (a fresh
    /// commitment or ciphertext made from uniformly random nonces). Crate-private so that no
    /// input from outside reaches it.
    pub(crate) fn from_point_unchecked(point: RistrettoPoint) -> Self {
        Self {
            point,
            bytes: point.compress(),
        }
    }

    /// The group element.
    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// The canonical 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; ELEMENT_LEN] {
        self.bytes.to_bytes()
    }

    /// The canonical 32-byte encoding, borrowed.
    pub fn as_bytes(&self) -> &[u8; ELEMENT_LEN] {
        self.bytes.as_bytes()
    }
}

impl PartialEq for Element {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for Element {}

impl core::hash::Hash for Element {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.bytes.as_bytes().hash(state);
    }
}

impl PartialOrd for Element {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Element {
    /// Orders by canonical bytes (lexicographic), which is what deduplication and sorting use.
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl fmt::Debug for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Element({})", hex::encode(self.as_bytes()))
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.as_bytes()))
    }
}

impl Wire for Element {
    const NAME: &'static str = "element";
    const MAX_LEN: usize = ELEMENT_LEN;

    fn encode(&self) -> Vec<u8> {
        self.to_bytes().to_vec()
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        Element::decode_as(bytes, Self::NAME)
    }
}

crate::codec::wire_serde!(Element);

/// Decodes a canonical scalar: 32 little-endian bytes of an integer below ℓ.
///
/// # Errors
/// [`EncodingError::WrongLength`] unless `bytes` is 32 bytes long; [`EncodingError::NonCanonicalScalar`]
/// for ℓ and above (including any encoding with the top bit set).
pub fn decode_scalar(bytes: &[u8], field: &'static str) -> Result<Scalar, EncodingError> {
    let array: [u8; SCALAR_LEN] = bytes.try_into().map_err(|_| EncodingError::WrongLength {
        field,
        expected: SCALAR_LEN,
        actual: bytes.len(),
    })?;
    Option::from(Scalar::from_canonical_bytes(array))
        .ok_or(EncodingError::NonCanonicalScalar { field })
}

/// Domain-separated hash onto ristretto255.
///
/// `hash_to_group(domain, data) = FromUniformBytes(SHA-512(len(tag) ‖ tag ‖ len(domain) ‖ domain ‖ data))`
/// where `tag` is [`crate::transcript::HASH_TO_GROUP_TAG`], lengths are 8-byte big-endian and
/// `FromUniformBytes` is the one-way map of RFC 9496 §4.3.4. Nobody knows a discrete logarithm of
/// the output to any other generator.
pub(crate) fn hash_to_group(domain: &'static [u8], data: &[u8]) -> RistrettoPoint {
    let tag = crate::transcript::HASH_TO_GROUP_TAG;
    let mut hasher = Sha512::new();
    hasher.update((tag.len() as u64).to_be_bytes());
    hasher.update(tag);
    hasher.update((domain.len() as u64).to_be_bytes());
    hasher.update(domain);
    hasher.update(data);
    let digest: [u8; 64] = hasher.finalize().into();
    RistrettoPoint::from_uniform_bytes(&digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::traits::Identity;
    use proptest::prelude::*;

    #[test]
    fn identity_is_refused() {
        let identity = RistrettoPoint::identity().compress();
        assert_eq!(
            Element::decode_as(identity.as_bytes(), "key"),
            Err(EncodingError::IdentityPoint { field: "key" })
        );
        assert_eq!(
            Element::from_point_as(RistrettoPoint::identity(), "key").unwrap_err(),
            EncodingError::IdentityPoint { field: "key" }
        );
    }

    #[test]
    fn wrong_lengths_are_refused() {
        let g = Element::generator().to_bytes();
        for len in [0, 31, 33] {
            let mut v = g.to_vec();
            v.resize(len, 0);
            assert_eq!(
                Element::decode_as(&v, "p"),
                Err(EncodingError::WrongLength {
                    field: "p",
                    expected: 32,
                    actual: len
                })
            );
        }
    }

    #[test]
    fn non_canonical_scalars_are_refused() {
        // ℓ = 2^252 + 27742317777372353535851937790883648493, little-endian.
        let ell: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut ell_plus_one = ell;
        ell_plus_one[0] += 1;
        let mut ell_minus_one = ell;
        ell_minus_one[0] -= 1;
        let mut top_bit = [0u8; 32];
        top_bit[31] = 0x80;
        for bad in [ell, ell_plus_one, [0xff; 32], top_bit] {
            assert_eq!(
                decode_scalar(&bad, "s"),
                Err(EncodingError::NonCanonicalScalar { field: "s" })
            );
        }
        assert!(decode_scalar(&ell_minus_one, "s").is_ok());
        assert!(decode_scalar(&[0u8; 31], "s").is_err());
    }

    #[test]
    fn the_generator_constant_is_g() {
        let g = Element::generator();
        assert_eq!(g.point().compress(), *g.bytes_for_test());
        assert_eq!(Element::decode_as(g.as_bytes(), "g").unwrap(), g);
    }

    impl Element {
        fn bytes_for_test(&self) -> &CompressedRistretto {
            &self.bytes
        }
    }

    #[test]
    fn hash_to_group_separates_domains() {
        let a = hash_to_group(b"one", b"data");
        let b = hash_to_group(b"two", b"data");
        let c = hash_to_group(b"one", b"datb");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert!(!a.is_identity());
    }

    proptest! {
        #[test]
        fn element_round_trips(seed in any::<[u8; 32]>()) {
            let s = Scalar::from_bytes_mod_order(seed);
            prop_assume!(s != Scalar::ZERO);
            let e = Element::from_point_as(RistrettoPoint::mul_base(&s), "p").unwrap();
            let back = Element::decode_as(e.as_bytes(), "p").unwrap();
            prop_assert_eq!(back, e);
            let json = serde_json::to_string(&e).unwrap();
            let from_json: Element = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(from_json, e);
        }

        #[test]
        fn whatever_decodes_reencodes_identically(bytes in any::<[u8; 32]>()) {
            if let Ok(e) = Element::decode_as(&bytes, "p") {
                prop_assert_eq!(e.to_bytes(), bytes);
            }
            if let Ok(s) = decode_scalar(&bytes, "s") {
                prop_assert_eq!(s.to_bytes(), bytes);
            }
        }
    }
}
