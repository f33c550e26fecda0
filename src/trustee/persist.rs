//! The common frame of trustee secrets saved to disk (`to_secret_bytes`/`from_secret_bytes`).
//!
//! ```text
//! size  field
//! 3     magic "NVK" (4e 56 4b)
//! 2     version, u16 big-endian = PROTOCOL_VERSION (2); other versions are refused
//! 1     kind: 1 round-1 secret, 2 round-2 secret, 3 round-3 secret, 4 round-4 secret,
//!       5 trustee key (6, version 1's plaintext private share, is gone: shares travel
//!       sealed, `SealedShare`)
//! …     the kind's body, documented on its type; nothing may follow
//! ```
//!
//! One reader of the frame, [`read_kind`], serves [`SavedState::load`](super::dkg::SavedState)
//! and every kind's own loader: bytes without the frame are `NotATrusteeSecret`, another
//! version `SecretVersion`, another or an unknown kind `SecretKind`.
//!
//! All integers are big-endian; scalars are canonical 32-byte little-endian encodings and points
//! canonical ristretto255 encodings, as everywhere in nullivote.

use curve25519_dalek::scalar::Scalar;
use zeroize::Zeroizing;

use super::{CeremonyError, TrusteeIndex};
use crate::codec::Reader;
use crate::error::EncodingError;
use crate::manifest::TrusteePolicy;
use crate::secret::SecretScalar;
use crate::transcript::PROTOCOL_VERSION;

/// The magic of saved trustee secrets.
pub(crate) const MAGIC: &[u8; 3] = b"NVK";
/// Length of the frame: magic, version, kind.
pub(crate) const HEADER_LEN: usize = 3 + 2 + 1;

/// What a saved secret holds.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    Round1 = 1,
    Round2 = 2,
    Round3 = 3,
    Round4 = 4,
    Key = 5,
}

impl Kind {
    /// The kind of a kind byte this version knows.
    fn of(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::Round1),
            2 => Some(Self::Round2),
            3 => Some(Self::Round3),
            4 => Some(Self::Round4),
            5 => Some(Self::Key),
            _ => None,
        }
    }

    /// What a secret of this kind is, in words.
    fn describe(self) -> &'static str {
        match self {
            Self::Round1 => "kind 1 (the state after round 1)",
            Self::Round2 => "kind 2 (the state after round 2)",
            Self::Round3 => "kind 3 (the state after round 3)",
            Self::Round4 => "kind 4 (the state after round 4)",
            Self::Key => "kind 5 (a trustee key)",
        }
    }
}

/// A buffer of `capacity` bytes (allocated once, so no copy of a secret is left behind by a
/// reallocation) holding the frame of `kind`.
pub(crate) fn start(kind: Kind, body_len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(HEADER_LEN + body_len));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    out.push(kind as u8);
    out
}

/// Reads and checks the frame (magic and version), and returns the kind it announces: the one
/// reader of the frame, for [`SavedState::load`](super::dkg::SavedState::load) and every
/// kind's own loader.
pub(crate) fn read_kind(r: &mut Reader<'_>) -> Result<Kind, CeremonyError> {
    if r.remaining() < HEADER_LEN || r.take(MAGIC.len(), "trustee_secret")? != MAGIC {
        return Err(CeremonyError::NotATrusteeSecret);
    }
    let version = r.u16("trustee_secret.version")?;
    if version != PROTOCOL_VERSION {
        return Err(CeremonyError::SecretVersion {
            found: version,
            supported: PROTOCOL_VERSION,
        });
    }
    let byte = r.u8("trustee_secret.kind")?;
    Kind::of(byte).ok_or(CeremonyError::SecretKind {
        found: byte,
        expected: "a secret of the key ceremony (kinds 1 to 5)",
    })
}

/// Reads and checks the frame of a secret of `kind`.
pub(crate) fn read_header(r: &mut Reader<'_>, kind: Kind) -> Result<(), CeremonyError> {
    let found = read_kind(r)?;
    if found != kind {
        return Err(CeremonyError::SecretKind {
            found: found as u8,
            expected: kind.describe(),
        });
    }
    Ok(())
}

/// Reads a trustee index and checks it against `policy`.
pub(crate) fn read_index(
    r: &mut Reader<'_>,
    policy: TrusteePolicy,
    field: &'static str,
) -> Result<TrusteeIndex, CeremonyError> {
    Ok(TrusteeIndex::new(r.u16(field)?)?.check(policy)?)
}

/// Reads `u16 n ‖ u16 k` and checks the policy.
pub(crate) fn read_policy(r: &mut Reader<'_>) -> Result<TrusteePolicy, CeremonyError> {
    let count = r.u16("trustee_secret.count")?;
    let threshold = r.u16("trustee_secret.threshold")?;
    Ok(TrusteePolicy::new(threshold, count)?)
}

/// Refuses a body shorter than `needed` before anything is allocated for it.
pub(crate) fn need(
    r: &Reader<'_>,
    needed: usize,
    field: &'static str,
) -> Result<(), EncodingError> {
    if r.remaining() < needed {
        Err(EncodingError::Truncated {
            field,
            needed,
            remaining: r.remaining(),
        })
    } else {
        Ok(())
    }
}

/// Reads `count` secret scalars.
pub(crate) fn read_secrets(
    r: &mut Reader<'_>,
    count: usize,
    field: &'static str,
) -> Result<Vec<SecretScalar>, EncodingError> {
    need(r, count * 32, field)?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push(SecretScalar::new(r.scalar(field)?));
    }
    Ok(out)
}

/// Appends a secret scalar.
pub(crate) fn put_secret(out: &mut Vec<u8>, s: &Scalar) {
    out.extend_from_slice(s.as_bytes());
}
