//! Errors of the encoding layer, shared by every decoder.
//!
//! Higher layers have their own small enums ([`crate::proofs::ProofError`],
//! [`crate::ballot::BallotError`], [`crate::manifest::ManifestError`], ...) that wrap this one
//! with the location where it happened.

/// A byte string or text that is not the canonical encoding of what it claims to be.
///
/// `field` names the field of the object being decoded (`"nullifier"`, `"range_proof.response"`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodingError {
    /// A fixed-size field of the wrong length.
    #[error("{field}: expected {expected} bytes, got {actual}")]
    WrongLength {
        /// The field.
        field: &'static str,
        /// The required length.
        expected: usize,
        /// The length found.
        actual: usize,
    },
    /// The input ended inside a field.
    #[error("{field}: input ends early ({remaining} bytes left, {needed} needed)")]
    Truncated {
        /// The field.
        field: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// Bytes after the end of a complete object.
    #[error("{field}: {count} trailing bytes after the end of the object")]
    TrailingBytes {
        /// The object.
        field: &'static str,
        /// How many bytes were left over.
        count: usize,
    },
    /// Not the canonical encoding of a ristretto255 element (RFC 9496 §4.3.1).
    #[error("{field}: not a canonical ristretto255 encoding")]
    NonCanonicalPoint {
        /// The field.
        field: &'static str,
    },
    /// The identity element where it has no meaning (a key, a tag, a base, a commitment).
    #[error("{field}: the identity element is not allowed here")]
    IdentityPoint {
        /// The field.
        field: &'static str,
    },
    /// A scalar encoding of an integer not below the group order ℓ.
    #[error("{field}: scalar is not canonical (not reduced below the group order)")]
    NonCanonicalScalar {
        /// The field.
        field: &'static str,
    },
    /// Text that is not hexadecimal.
    #[error("{field}: invalid hexadecimal")]
    InvalidHex {
        /// The field.
        field: &'static str,
    },
    /// A version header this implementation does not know.
    #[error("{field}: unsupported version {found} (this implementation reads version {supported})")]
    UnsupportedVersion {
        /// The object.
        field: &'static str,
        /// The version found.
        found: u16,
        /// The version supported.
        supported: u16,
    },
    /// A wrong type tag at the start of an object.
    #[error("{field}: wrong object tag")]
    WrongTag {
        /// The object.
        field: &'static str,
    },
    /// A well-formed encoding of a value that breaks a rule of the protocol (a manifest with
    /// `min > max`, a roll with a duplicate entry, ...). `reason` is the higher layer's message.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What rule it breaks.
        reason: String,
    },
    /// A count larger than the limit for its field.
    #[error("{field}: {count} exceeds the limit of {limit}")]
    TooMany {
        /// The field.
        field: &'static str,
        /// The count found.
        count: usize,
        /// The largest count allowed.
        limit: usize,
    },
}
