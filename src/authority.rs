//! The offices' keys: the board operator's, the administrator's, and each channel authority's
//! (the postal intake's). The manifest names their public keys ([`crate::Authorities`],
//! [`crate::manifest::Channel::authority`]); each office keeps its [`AuthorityKey`].
//!
//! | office | signs | with |
//! | --- | --- | --- |
//! | board operator | every receipt, the final head | [`crate::Board`] (spec §11.2) |
//! | administrator | every close of a channel or of voting | [`crate::Board::close_as`] (§11.5) |
//! | channel authority (postal intake) | every ballot of its channel | [`AuthorityKey::countersign`] (§8.3) |
//!
//! # The key file
//!
//! [`AuthorityKey::to_text`] (what [`AuthorityKey::save`] writes and `nullivote authority new`
//! writes) is one line: the 64 lowercase hex characters of the canonical encoding of the
//! non-zero scalar `x`, then a newline. [`AuthorityKey::from_text`] accepts that line with or
//! without surrounding whitespace, and nothing else.

use std::path::Path;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use crate::ballot::{ChoiceError, PreparedBallot};
use crate::board::{Signature, Statement};
use crate::codec::decode_hex;
use crate::election::Election;
use crate::group::{Element, SCALAR_LEN, decode_scalar};
use crate::proofs::schnorr::{SchnorrProof, SchnorrStatement};
use crate::secret::SecretScalar;
use crate::transcript::random_scalar;

/// A signing key of an office: a secret `x` and its public key `P = x·G`.
///
/// The secret wipes itself on drop and is never printed (`Debug` shows the public key only).
pub struct AuthorityKey {
    secret: SecretScalar,
    public: Element,
}

/// Why a key file or key bytes were refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not one line of 64 lowercase hex characters encoding a canonical non-zero scalar.
    #[error(
        "not a secret key file (one line of 64 lowercase hex characters, as written by \
         `nullivote authority new`)"
    )]
    Malformed,
    /// The file could not be read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl AuthorityKey {
    /// A fresh key from `rng` (pass [`crate::OsRng`]).
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        loop {
            let secret = SecretScalar::new(random_scalar(rng));
            if let Some(key) = Self::from_secret(secret) {
                return key;
            }
        }
    }

    /// The key of a secret scalar; `None` for zero (whose public key is the identity).
    pub fn from_secret(secret: SecretScalar) -> Option<Self> {
        let point = RISTRETTO_BASEPOINT_TABLE * secret.expose();
        let public = Element::from_point_as(point, "authority key").ok()?;
        Some(Self { secret, public })
    }

    /// The public key `P`, the one the manifest names.
    pub fn public(&self) -> Element {
        self.public
    }

    /// The secret scalar (for the signing code of the crate).
    pub(crate) fn secret(&self) -> &SecretScalar {
        &self.secret
    }

    /// The secret scalar, for the constant-time tests that mark its memory (feature
    /// `internals`: no stability promise; never enable it in a deployment).
    #[cfg(feature = "internals")]
    pub fn expose_secret(&self) -> &SecretScalar {
        &self.secret
    }

    /// The canonical 32-byte encoding of the secret `x`, wiped when dropped.
    pub fn to_bytes(&self) -> Zeroizing<[u8; SCALAR_LEN]> {
        Zeroizing::new(self.secret.expose().to_bytes())
    }

    /// The key of a canonical 32-byte encoding of a non-zero scalar.
    ///
    /// # Errors
    /// [`KeyError::Malformed`] for a wrong length, a non-canonical scalar or zero.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let scalar = decode_scalar(bytes, "authority key").map_err(|_| KeyError::Malformed)?;
        Self::from_secret(SecretScalar::new(scalar)).ok_or(KeyError::Malformed)
    }

    /// The key file's text: 64 lowercase hex characters and a newline, wiped when dropped.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(hex::encode(self.to_bytes().as_slice()));
        text.push('\n');
        text
    }

    /// The key of a key file's text (surrounding whitespace is ignored).
    ///
    /// # Errors
    /// [`KeyError::Malformed`] for anything but the hex of a canonical non-zero scalar.
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        // The codec's decoder: lowercase only, and no branch on the secret's digits.
        let bytes = Zeroizing::new(
            decode_hex(text.trim(), "authority key").map_err(|_| KeyError::Malformed)?,
        );
        Self::from_bytes(&bytes)
    }

    /// Writes the key file at `path`: created, never overwritten, readable by its owner only
    /// (mode 0600 on Unix, from its creation).
    ///
    /// # Errors
    /// [`KeyError::Io`] if `path` exists or cannot be created.
    pub fn save(&self, path: &Path) -> Result<(), KeyError> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path)?;
        file.write_all(self.to_text().as_bytes())?;
        file.sync_all()?;
        Ok(())
    }

    /// Reads the key file at `path` (at most 4 KiB).
    ///
    /// # Errors
    /// [`KeyError::Io`] if it cannot be read, [`KeyError::Malformed`] if it is not a key file.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        use std::io::Read;
        let mut text = Zeroizing::new(String::new());
        std::fs::File::open(path)?
            .take(4096)
            .read_to_string(&mut text)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::InvalidData => KeyError::Malformed,
                _ => KeyError::Io(e),
            })?;
        Self::from_text(&text)
    }

    /// Signs `statement` in `election`, deterministically: the nonce is derived from the
    /// transcript of the whole statement rekeyed with the secret (merlin's transcript RNG given
    /// no further entropy), as EdDSA derives it from the message and key. The same statement
    /// gets the same signature (a resubmitted ballot gets a byte-identical receipt), and two
    /// statements never share a nonce, since the transcript absorbs every field of the
    /// statement before the nonce is drawn.
    pub fn sign(&self, election: &Election, statement: &Statement) -> Signature {
        let mut t = statement.transcript(election);
        let proof = SchnorrProof::prove(
            &self.secret,
            &SchnorrStatement {
                public: self.public,
            },
            &mut t,
            &mut crate::board::Deterministic,
        );
        Signature::from_proof(proof)
    }

    /// Countersigns a postal (or any countersigned channel's) ballot as its channel authority:
    /// [`PreparedBallot::countersign`] with this key.
    ///
    /// # Errors
    /// [`ChoiceError::NoAuthority`] if the ballot's channel takes no countersignature, and
    /// [`ChoiceError::WrongAuthority`] if this is not the key the manifest names for it.
    pub fn countersign<R: RngCore + CryptoRng>(
        &self,
        election: &Election,
        ballot: &mut PreparedBallot,
        rng: &mut R,
    ) -> Result<(), ChoiceError> {
        ballot.countersign(election, self, rng)
    }
}

impl core::fmt::Debug for AuthorityKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "AuthorityKey({}, <secret redacted>)", self.public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::test_rng;

    #[test]
    fn a_key_file_round_trips_and_nothing_else_loads() {
        let key = AuthorityKey::generate(&mut test_rng(1));
        let text = key.to_text();
        assert_eq!(text.len(), 65);
        assert_eq!(
            AuthorityKey::from_text(&text).unwrap().public(),
            key.public()
        );
        assert_eq!(
            AuthorityKey::from_bytes(key.to_bytes().as_slice())
                .unwrap()
                .public(),
            key.public()
        );
        for bad in [
            String::new(),
            text.to_uppercase(),
            text[..63].to_string(),
            format!("{}00", text.trim()),
            "00".repeat(32),
            "ff".repeat(32),
        ] {
            assert!(
                matches!(AuthorityKey::from_text(&bad), Err(KeyError::Malformed)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn save_writes_a_private_file_once_and_load_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let key = AuthorityKey::generate(&mut test_rng(2));
        key.save(&path).unwrap();
        assert!(matches!(key.save(&path), Err(KeyError::Io(_))));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(AuthorityKey::load(&path).unwrap().public(), key.public());
        std::fs::write(&path, b"not a key\n").unwrap();
        assert!(matches!(
            AuthorityKey::load(&path),
            Err(KeyError::Malformed)
        ));
    }

    #[test]
    fn debug_prints_no_secret() {
        let key = AuthorityKey::generate(&mut test_rng(3));
        let shown = format!("{key:?}");
        assert!(!shown.contains(&hex::encode(key.to_bytes().as_slice())));
        assert!(shown.contains("redacted"));
    }
}
