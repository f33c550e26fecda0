//! Secret scalars: credential secrets, encryption nonces, proof nonces, polynomial coefficients
//! and key shares.
//!
//! A [`SecretScalar`] wipes itself on drop, is neither `Copy` nor `Clone`, prints as
//! `<redacted>`, has no serde, and compares only in constant time.

use core::fmt;

use curve25519_dalek::scalar::Scalar;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A scalar that must stay secret.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretScalar(Scalar);

impl SecretScalar {
    /// Takes ownership of a secret value.
    pub fn new(value: Scalar) -> Self {
        Self(value)
    }

    /// The value, for arithmetic. Callers must not branch on it or index with it.
    pub fn expose(&self) -> &Scalar {
        &self.0
    }
}

impl ConstantTimeEq for SecretScalar {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl fmt::Debug for SecretScalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretScalar(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_nothing_secret() {
        let s = SecretScalar::new(Scalar::from(123456789u64));
        let text = format!("{s:?}");
        assert!(!text.contains("123456789"));
        assert!(!text.contains(&hex::encode(Scalar::from(123456789u64).as_bytes())));
        assert!(text.contains("redacted"));
    }

    #[test]
    fn zeroize_wipes_the_value() {
        let mut s = SecretScalar::new(Scalar::from(42u8));
        s.zeroize();
        assert_eq!(*s.expose(), Scalar::ZERO);
    }

    #[test]
    fn equality_is_by_value() {
        let a = SecretScalar::new(Scalar::from(5u8));
        assert!(bool::from(a.ct_eq(&SecretScalar::new(Scalar::from(5u8)))));
        assert!(!bool::from(a.ct_eq(&SecretScalar::new(Scalar::from(6u8)))));
    }
}
