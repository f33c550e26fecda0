//! The election context every proof binds to: manifest, election key, roll, and the base hash
//! over all of them.
//!
//! ```text
//! base_hash = SHA-256( u64be(len(tag)) ‖ tag ‖ u16be(version)
//!                    ‖ manifest digest ‖ K ‖ ceremony digest ‖ roll digest )
//! H_E       = hash_to_group("nullifier-base", base_hash)
//! ```
//!
//! with `tag = "nullivote/1/base-hash"`. The ceremony digest commits to the trustees' public
//! key-generation packages (see [`crate::trustee`] once it exists; an all-zero digest is used by
//! single-key test elections). Every transcript of the election starts with `base_hash`
//! ([`crate::transcript::election_transcript`]), so no proof verifies in any other election.

use std::sync::Arc;

use curve25519_dalek::RistrettoPoint;
use curve25519_dalek::ristretto::RistrettoBasepointTable;
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha256};

use crate::credential::Roll;
use crate::digest::{CeremonyDigest, ManifestDigest};
use crate::elgamal::ElectionKey;
use crate::group::{Element, hash_to_group};
use crate::manifest::Manifest;
use crate::trustee::PublicKeySet;
use merlin::Transcript;

use crate::transcript::{
    BASE_HASH_TAG, NULLIFIER_BASE_DOMAIN, PROTOCOL_VERSION, election_transcript, purpose,
};

pub use crate::digest::BaseHash;

/// Computes the base hash of an election.
pub fn base_hash(
    manifest: &Manifest,
    key: &Element,
    ceremony_digest: &CeremonyDigest,
    roll: &Roll,
) -> BaseHash {
    let mut h = Sha256::new();
    h.update((BASE_HASH_TAG.len() as u64).to_be_bytes());
    h.update(BASE_HASH_TAG);
    h.update(PROTOCOL_VERSION.to_be_bytes());
    h.update(manifest.digest());
    h.update(key.as_bytes());
    h.update(ceremony_digest);
    h.update(roll.digest());
    BaseHash(h.finalize().into())
}

/// Everything public that ballots of one election are built and checked against.
///
/// Cheap to clone: the fixed-base tables are shared.
#[derive(Clone)]
pub struct Election {
    manifest: Arc<Manifest>,
    key: ElectionKey,
    roll: Arc<Roll>,
    base_hash: BaseHash,
    nullifier_base: Element,
    nullifier_table: Arc<RistrettoBasepointTable>,
    /// `election_transcript(purpose, base_hash)` for the purposes of ballots and receipts, built once and
    /// cloned per proof (each costs a keccak permutation and four absorptions to build).
    transcripts: Arc<[(&'static [u8], Transcript); 6]>,
}

/// Why [`Election::from_ceremony`] refused its parts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ElectionError {
    /// The key set was generated for another manifest.
    #[error(
        "the key ceremony was run for another manifest (digest {ceremony}, this manifest's is \
         {manifest})"
    )]
    OtherManifest {
        /// The manifest digest the key set names.
        ceremony: ManifestDigest,
        /// This manifest's digest.
        manifest: ManifestDigest,
    },
}

impl Election {
    /// The election of a manifest, the public outcome of its key ceremony and the published
    /// roll: the everyday way to fix an election (spec §5). The election key is the ceremony's
    /// joint key `K` and the base hash binds the ceremony digest.
    ///
    /// # Errors
    /// [`ElectionError::OtherManifest`] if the key set was made for another manifest (the
    /// manifest digest covers the trustee policy too).
    pub fn from_ceremony(
        manifest: Manifest,
        keys: &PublicKeySet,
        roll: Roll,
    ) -> Result<Self, ElectionError> {
        if *keys.manifest_digest() != manifest.digest() {
            return Err(ElectionError::OtherManifest {
                ceremony: *keys.manifest_digest(),
                manifest: manifest.digest(),
            });
        }
        Ok(Self::new(
            manifest,
            keys.election_key(),
            keys.ceremony_digest(),
            roll,
        ))
    }

    /// Assembles the election context from its parts and derives its base hash and nullifier
    /// base `H_E` (single-key test elections use an all-zero ceremony digest; the everyday path
    /// is [`Election::from_ceremony`]).
    pub fn new(
        manifest: Manifest,
        key: ElectionKey,
        ceremony_digest: CeremonyDigest,
        roll: Roll,
    ) -> Self {
        let base_hash = base_hash(&manifest, key.element(), &ceremony_digest, &roll);
        let h = hash_to_group(NULLIFIER_BASE_DOMAIN, base_hash.as_bytes());
        // hash_to_group's output is the identity with negligible probability (2^-252).
        let nullifier_base = Element::from_point_unchecked(h);
        Self {
            manifest: Arc::new(manifest),
            key,
            roll: Arc::new(roll),
            base_hash,
            nullifier_table: Arc::new(RistrettoBasepointTable::create(&h)),
            nullifier_base,
            transcripts: Arc::new(
                [
                    purpose::SELECTION,
                    purpose::CONTEST_SUM,
                    purpose::ELIGIBILITY,
                    purpose::COUNTERSIGNATURE,
                    purpose::BALLOT_NONCES,
                    purpose::BOARD_RECEIPT,
                ]
                .map(|p| (p, election_transcript(p, base_hash.as_bytes()))),
            ),
        }
    }

    /// `election_transcript(purpose, base_hash)`: a clone of a prefix built once for the
    /// purposes of ballots, identical to building it afresh.
    pub(crate) fn transcript(&self, purpose: &'static [u8]) -> Transcript {
        self.transcripts
            .iter()
            .find(|(p, _)| *p == purpose)
            .map_or_else(
                || election_transcript(purpose, self.base_hash.as_bytes()),
                |(_, t)| t.clone(),
            )
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The election key `K`.
    pub fn key(&self) -> &ElectionKey {
        &self.key
    }

    /// The roll of public credentials.
    pub fn roll(&self) -> &Roll {
        &self.roll
    }

    /// The base hash.
    pub fn base_hash(&self) -> &BaseHash {
        &self.base_hash
    }

    /// The nullifier base `H_E`.
    pub fn nullifier_base(&self) -> &Element {
        &self.nullifier_base
    }

    /// `s·H_E`, constant time in `s`.
    pub(crate) fn mul_nullifier_base(&self, s: &Scalar) -> RistrettoPoint {
        &*self.nullifier_table * s
    }

    /// The points shared by the equations of this election's ballots: `K`, `H_E` and the
    /// channel authorities' keys (`G` is always shared).
    pub fn shared_bases(&self) -> Vec<Element> {
        let mut bases = vec![*self.key.element(), self.nullifier_base];
        bases.extend(self.manifest.channels().iter().filter_map(|c| c.authority));
        bases
    }
}

impl core::fmt::Debug for Election {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Election")
            .field("election_id", &self.manifest.election_id())
            .field("base_hash", &self.base_hash)
            .field("key", &self.key)
            .field("roll", &self.roll.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use merlin::Transcript;

    use super::{Election, ElectionError};
    use crate::testing::TestElection;
    use crate::transcript::{election_transcript, purpose};

    fn squeeze(mut t: Transcript) -> [u8; 32] {
        let mut out = [0; 32];
        t.challenge_bytes(b"test", &mut out);
        out
    }

    #[test]
    fn from_ceremony_takes_the_key_set_of_its_own_manifest_only() {
        use crate::testing::{test_authorities, test_rng};
        let t = TestElection::leadership(2, 3);
        let manifest = t.election.manifest().clone();
        let (_, keys, _) =
            crate::trustee::run_ceremony(manifest.trustees(), &manifest, &mut test_rng(4)).unwrap();
        let roll = t.election.roll().clone();
        let election = Election::from_ceremony(manifest.clone(), &keys, roll.clone()).unwrap();
        assert_eq!(election.key(), &keys.election_key());
        // The same contests and trustees under other offices' keys: another manifest digest.
        let other =
            crate::manifest::Manifest::leadership(t.authority.public(), test_authorities(5))
                .unwrap();
        assert!(matches!(
            Election::from_ceremony(other, &keys, roll),
            Err(ElectionError::OtherManifest { .. })
        ));
    }

    #[test]
    fn cached_transcripts_equal_fresh_ones() {
        let e = TestElection::leadership(1, 0).election;
        let fresh = |p| squeeze(election_transcript(p, e.base_hash().as_bytes()));
        for p in [
            purpose::SELECTION,
            purpose::CONTEST_SUM,
            purpose::ELIGIBILITY,
            purpose::COUNTERSIGNATURE,
            purpose::BALLOT_NONCES,
            purpose::DECRYPTION_SHARE, // not cached: built afresh
        ] {
            assert_eq!(squeeze(e.transcript(p)), fresh(p));
        }
        // Each purpose has its own prefix.
        assert_ne!(fresh(purpose::SELECTION), fresh(purpose::CONTEST_SUM));
    }
}
