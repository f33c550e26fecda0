//! Exponential ElGamal on ristretto255 under the election key.
//!
//! `Enc_K(v; r) = (A, B) = (r·G, v·G + r·K)`. Ciphertexts add componentwise, adding plaintexts:
//! `Enc(v₁; r₁) + Enc(v₂; r₂) = Enc(v₁ + v₂; r₁ + r₂)`. A plaintext is recovered only as `v·G`,
//! from which a bounded discrete logarithm ([`crate::dlog`]) gives `v`.

use std::sync::Arc;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;

use crate::codec::{Reader, Wire, wire_serde};
use crate::error::EncodingError;
use crate::group::Element;

/// The election public key `K`, with a fixed-base table for fast constant-time multiplication.
///
/// Published. Built once per election and shared (cloning shares the table).
#[derive(Clone)]
pub struct ElectionKey {
    element: Element,
    table: Arc<RistrettoBasepointTable>,
}

impl ElectionKey {
    /// Wraps a decoded key (already refused if it was the identity) and builds its table.
    pub fn new(element: Element) -> Self {
        Self {
            table: Arc::new(RistrettoBasepointTable::create(element.point())),
            element,
        }
    }

    /// The key as a group element.
    pub fn element(&self) -> &Element {
        &self.element
    }

    /// `s·K`, constant time in `s`.
    pub fn mul(&self, s: &Scalar) -> RistrettoPoint {
        &*self.table * s
    }

    /// Encrypts `v` with nonce `r`: `(r·G, v·G + r·K)`. Constant time in `v` and `r`.
    pub fn encrypt(&self, v: &Scalar, r: &Scalar) -> Ciphertext {
        let a = RISTRETTO_BASEPOINT_TABLE * r;
        let b = RISTRETTO_BASEPOINT_TABLE * v + self.mul(r);
        Ciphertext {
            a: Element::from_point_unchecked(a),
            b: Element::from_point_unchecked(b),
        }
    }
}

impl core::fmt::Debug for ElectionKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ElectionKey({})", self.element)
    }
}

impl PartialEq for ElectionKey {
    fn eq(&self, other: &Self) -> bool {
        self.element == other.element
    }
}

impl Eq for ElectionKey {}

/// An ElGamal ciphertext as published in a ballot: `(A, B) = (r·G, v·G + r·K)`.
///
/// Neither component may be the identity: `A = 0` would leave `B = v·G` in the clear.
///
/// # Layout
///
/// 64 bytes: `A` (32) ‖ `B` (32), each a canonical ristretto255 encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ciphertext {
    /// `A = r·G`.
    pub a: Element,
    /// `B = v·G + r·K`.
    pub b: Element,
}

impl Ciphertext {
    /// Length of the encoding.
    pub const LEN: usize = 64;

    /// The homomorphic sum of ciphertexts, as raw points (a sum may be the identity).
    pub fn sum<'a>(ciphertexts: impl IntoIterator<Item = &'a Ciphertext>) -> CiphertextSum {
        let mut acc = CiphertextSum::zero();
        for c in ciphertexts {
            acc.add(c);
        }
        acc
    }
}

impl Wire for Ciphertext {
    const NAME: &'static str = "ciphertext";
    const MAX_LEN: usize = Self::LEN;

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.extend_from_slice(self.a.as_bytes());
        out.extend_from_slice(self.b.as_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes);
        let a = r.element("ciphertext.a")?;
        let b = r.element("ciphertext.b")?;
        r.finish(Self::NAME)?;
        Ok(Self { a, b })
    }
}

wire_serde!(Ciphertext);
crate::codec::wire_bytes!(Ciphertext);

/// A homomorphic sum of ciphertexts (an aggregate, such as a tally).
///
/// The identity is allowed in both components, deliberately: the sum of no ciphertexts is
/// `(0, 0)`. Published aggregates are always recomputed by the verifier from the ballots and
/// compared, so a decoded aggregate is never trusted on its own.
///
/// # Layout
///
/// 64 bytes: `ΣA` (32) ‖ `ΣB` (32), canonical ristretto255 encodings (the identity is 32 zero
/// bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CiphertextSum {
    /// `Σ Aᵢ`.
    pub a: RistrettoPoint,
    /// `Σ Bᵢ`.
    pub b: RistrettoPoint,
}

impl CiphertextSum {
    /// The sum of no ciphertexts, `(0, 0)`: an encryption of 0 with nonce 0.
    pub fn zero() -> Self {
        use curve25519_dalek::traits::Identity;
        Self {
            a: RistrettoPoint::identity(),
            b: RistrettoPoint::identity(),
        }
    }

    /// Adds a ciphertext.
    pub fn add(&mut self, c: &Ciphertext) {
        self.a += c.a.point();
        self.b += c.b.point();
    }

    /// Adds another sum.
    pub fn add_sum(&mut self, other: &CiphertextSum) {
        self.a += other.a;
        self.b += other.b;
    }
}

impl Wire for CiphertextSum {
    const NAME: &'static str = "ciphertext_sum";
    const MAX_LEN: usize = 64;

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(self.a.compress().as_bytes());
        out.extend_from_slice(self.b.compress().as_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes);
        let a = decode_point_or_identity(r.take(32, "ciphertext_sum.a")?, "ciphertext_sum.a")?;
        let b = decode_point_or_identity(r.take(32, "ciphertext_sum.b")?, "ciphertext_sum.b")?;
        r.finish(Self::NAME)?;
        Ok(Self { a, b })
    }
}

wire_serde!(CiphertextSum);
crate::codec::wire_bytes!(CiphertextSum);

/// Canonical decoding that accepts the identity (only for aggregates, see [`CiphertextSum`]).
fn decode_point_or_identity(
    bytes: &[u8],
    field: &'static str,
) -> Result<RistrettoPoint, EncodingError> {
    let array: [u8; 32] = bytes.try_into().map_err(|_| EncodingError::WrongLength {
        field,
        expected: 32,
        actual: bytes.len(),
    })?;
    curve25519_dalek::ristretto::CompressedRistretto(array)
        .decompress()
        .ok_or(EncodingError::NonCanonicalPoint { field })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(x: u64) -> ElectionKey {
        ElectionKey::new(
            Element::from_point_as(RistrettoPoint::mul_base(&Scalar::from(x)), "k").unwrap(),
        )
    }

    proptest! {
        #[test]
        fn addition_adds_plaintexts(v1 in 0u64..1000, v2 in 0u64..1000, r1 in any::<u64>(), r2 in any::<u64>(), x in 1u64..) {
            let k = key(x);
            let (r1, r2) = (Scalar::from(r1) + Scalar::ONE, Scalar::from(r2) + Scalar::ONE);
            prop_assume!(r1 + r2 != Scalar::ZERO);
            let c1 = k.encrypt(&Scalar::from(v1), &r1);
            let c2 = k.encrypt(&Scalar::from(v2), &r2);
            let sum = Ciphertext::sum([&c1, &c2]);
            let direct = k.encrypt(&Scalar::from(v1 + v2), &(r1 + r2));
            prop_assert_eq!(sum.a, *direct.a.point());
            prop_assert_eq!(sum.b, *direct.b.point());
            // Decrypting with x: B − x·A = v·G.
            let m = sum.b - sum.a * Scalar::from(x);
            prop_assert_eq!(m, RistrettoPoint::mul_base(&Scalar::from(v1 + v2)));
        }

        #[test]
        fn ciphertext_round_trips(v in 0u64..3, r in 1u64.., x in 1u64..) {
            let c = key(x).encrypt(&Scalar::from(v), &Scalar::from(r));
            prop_assert_eq!(Ciphertext::decode(&c.encode()).unwrap(), c);
            let json = serde_json::to_string(&c).unwrap();
            prop_assert_eq!(serde_json::from_str::<Ciphertext>(&json).unwrap(), c);
        }
    }

    #[test]
    fn an_empty_sum_encodes_as_zeros_and_round_trips() {
        let zero = CiphertextSum::zero();
        assert_eq!(zero.encode(), vec![0u8; 64]);
        assert_eq!(CiphertextSum::decode(&zero.encode()).unwrap(), zero);
        let c = key(3).encrypt(&Scalar::ONE, &Scalar::from(4u8));
        let sum = Ciphertext::sum([&c, &c]);
        assert_eq!(CiphertextSum::decode(&sum.encode()).unwrap(), sum);
        assert!(CiphertextSum::decode(&[0xff; 64]).is_err());
    }

    #[test]
    fn identity_first_component_is_refused() {
        let c = key(5).encrypt(&Scalar::ONE, &Scalar::from(9u8));
        let mut bytes = c.encode();
        bytes[..32].fill(0);
        assert_eq!(
            Ciphertext::decode(&bytes),
            Err(EncodingError::IdentityPoint {
                field: "ciphertext.a"
            })
        );
    }
}
