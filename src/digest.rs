//! The 32-byte digests of the protocol, one type per thing digested.
//!
//! Each is a SHA-256 output with its own domain tag (spec §3), and each gets its own type so
//! that a signature cannot be handed the wrong one: a manifest digest where a ceremony digest
//! belongs, or a ballot's digest where a board entry's does. They share one shape: 32 bytes on
//! the wire, 64 lowercase hex characters in JSON and in `Display`, the type's name and the hex
//! in `Debug`. None of them is secret.
//!
//! | type | digest of | computed by |
//! |---|---|---|
//! | [`BaseHash`] | the election: manifest, key, ceremony, roll (§3.3) | [`crate::Election::new`] |
//! | [`ManifestDigest`] | the manifest's canonical encoding (§4) | [`crate::Manifest::digest`] |
//! | [`CeremonyDigest`] | the key ceremony's public packages (§10.4) | [`crate::PublicKeySet::ceremony_digest`] |
//! | [`RollDigest`] | the roll of public credentials (§5.2) | [`crate::Roll::digest`] |
//! | [`BallotDigest`] | a ballot's encoding (§6) | [`crate::Ballot::digest`] |
//! | [`EntryDigest`] | a board entry, chaining it to every earlier one (§11.1) | `board::Entry::digest` |

use crate::codec::{Wire, decode_hex, wire_bytes, wire_serde};
use crate::error::EncodingError;

/// Declares one digest type: a `[u8; 32]` newtype with the shared constructors, accessors,
/// formatting, codec and serde.
macro_rules! digest_type {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        ///
        /// # Layout
        ///
        /// 32 bytes (SHA-256 output). In JSON, 64 lowercase hex characters.
        ///
        /// Any 32 bytes are a digest (there is nothing to validate), so the bytes are a public
        /// field as well as [`new`](Self::new) and [`as_bytes`](Self::as_bytes).
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The digest with these bytes (to rebuild one read from elsewhere; the protocol
            /// computes its own).
            pub const fn new(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }

            /// The digest's bytes.
            pub const fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl From<[u8; 32]> for $name {
            fn from(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), hex::encode(self.0))
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl core::str::FromStr for $name {
            type Err = EncodingError;

            /// Reads the digest from its 64 lowercase hex characters, as `Display` and JSON
            /// write it (surrounding whitespace is not accepted).
            fn from_str(text: &str) -> Result<Self, EncodingError> {
                if text.len() != 64 {
                    return Err(EncodingError::WrongLength {
                        field: $field,
                        expected: 64,
                        actual: text.len(),
                    });
                }
                Self::decode(&decode_hex(text, $field)?)
            }
        }

        impl Wire for $name {
            const NAME: &'static str = $field;
            const MAX_LEN: usize = 32;

            fn encode(&self) -> Vec<u8> {
                self.0.to_vec()
            }

            fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
                let array: [u8; 32] = bytes.try_into().map_err(|_| EncodingError::WrongLength {
                    field: Self::NAME,
                    expected: 32,
                    actual: bytes.len(),
                })?;
                Ok(Self(array))
            }
        }

        wire_serde!($name);
        wire_bytes!($name);
    };
}

digest_type!(
    /// The election's base hash: the digest every proof of the election binds to.
    BaseHash,
    "base_hash"
);

digest_type!(
    /// The digest of a manifest's canonical encoding.
    ManifestDigest,
    "manifest_digest"
);

digest_type!(
    /// The digest of a key ceremony's public packages, which enters the base hash (an all-zero
    /// digest for a single-key test election).
    CeremonyDigest,
    "ceremony_digest"
);

digest_type!(
    /// The digest of a roll of public credentials.
    RollDigest,
    "roll_digest"
);

digest_type!(
    /// The digest of a ballot's encoding (what a spoiled ballot names and the tracking code
    /// covers).
    BallotDigest,
    "ballot_digest"
);

digest_type!(
    /// The digest of a board entry. Each entry names its predecessor's, so an entry's digest
    /// fixes every entry before it; the chain starts from the base hash
    /// ([`EntryDigest::genesis`]).
    EntryDigest,
    "entry_digest"
);

impl EntryDigest {
    /// What entry 0 names as its previous entry: the election's base hash.
    pub const fn genesis(base_hash: &BaseHash) -> Self {
        Self(base_hash.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_reads_back_only_from_exactly_32_bytes() {
        let d = EntryDigest::new([7; 32]);
        assert_eq!(EntryDigest::from_bytes(&d.to_bytes()), Ok(d));
        assert_eq!(
            EntryDigest::from_bytes(&[7; 31]),
            Err(EncodingError::WrongLength {
                field: "entry_digest",
                expected: 32,
                actual: 31
            })
        );
        assert!(EntryDigest::from_bytes(&[7; 33]).is_err());
    }

    #[test]
    fn a_digest_is_hex_in_display_json_and_debug() {
        let d = ManifestDigest::new([0xab; 32]);
        let hex = "ab".repeat(32);
        assert_eq!(d.to_string(), hex);
        assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{hex}\""));
        assert_eq!(format!("{d:?}"), format!("ManifestDigest({hex})"));
        assert_eq!(
            serde_json::from_str::<ManifestDigest>(&format!("\"{hex}\"")).unwrap(),
            d
        );
        assert!(serde_json::from_str::<ManifestDigest>("\"ab\"").is_err());
        assert_eq!(hex.parse::<ManifestDigest>(), Ok(d));
    }

    #[test]
    fn a_digest_parses_only_from_64_lowercase_hex_characters() {
        let ok = "0f".repeat(32);
        assert_eq!(ok.parse::<BaseHash>(), Ok(BaseHash::new([0x0f; 32])));
        for bad in [
            "0f".repeat(31),
            "0f".repeat(33),
            "0F".repeat(32),
            format!(" {}", &ok[1..]),
            format!("{}g", &ok[1..]),
        ] {
            assert!(bad.parse::<BaseHash>().is_err(), "{bad:?}");
        }
        assert_eq!(
            "ab".parse::<BaseHash>(),
            Err(EncodingError::WrongLength {
                field: "base_hash",
                expected: 64,
                actual: 2
            })
        );
    }

    #[test]
    fn the_chain_starts_from_the_base_hash() {
        let base = BaseHash::new([3; 32]);
        assert_eq!(EntryDigest::genesis(&base).as_bytes(), base.as_bytes());
    }
}
