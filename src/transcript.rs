//! Fiat-Shamir transcripts: every label of the protocol, in one place, and the typed operations on
//! a [`merlin::Transcript`] that the proofs use.
//!
//! Every transcript of an election starts the same way ([`election_transcript`]):
//!
//! ```text
//! Transcript::new("nullivote")
//! append_u64("version", PROTOCOL_VERSION)
//! append_message("purpose", <one of purpose::*>)
//! append_message("base-hash", <the election's 32-byte base hash>)
//! ```
//!
//! then the caller absorbs the context of the proof (contest and option indices, the ballot body),
//! then the proof absorbs its own domain separator and its whole statement, and only then its
//! commitments. Challenges are 64 bytes reduced modulo ℓ. `spec/protocol.md` §3 lists every
//! transcript in order.

use curve25519_dalek::scalar::Scalar;
use merlin::{Transcript, TranscriptRng};
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

use crate::group::Element;

/// The protocol version absorbed by every transcript and written in every versioned object.
pub const PROTOCOL_VERSION: u16 = 2;

/// The label of every nullivote transcript (`merlin::Transcript::new`).
pub const TRANSCRIPT_LABEL: &[u8] = b"nullivote";

/// The tag of `crate::group::hash_to_group`.
pub const HASH_TO_GROUP_TAG: &[u8] = b"nullivote/1/hash-to-group";

/// The tag of the derivation of a credential secret from a credential code
/// ([`crate::credential::CredentialSecret::derive`]).
pub const CREDENTIAL_TAG: &[u8] = b"nullivote/1/credential";

/// The tag of the election's base hash ([`crate::election::base_hash`]).
pub const BASE_HASH_TAG: &[u8] = b"nullivote/1/base-hash";

/// The domain of the nullifier base `H_E = hash_to_group(NULLIFIER_BASE_DOMAIN, base_hash)`.
pub const NULLIFIER_BASE_DOMAIN: &[u8] = b"nullifier-base";

/// The tag of a ballot's tracking code ([`crate::ballot::Ballot::tracking_code`]).
pub const TRACKING_CODE_TAG: &[u8] = b"nullivote/1/tracking-code";

/// The tag of the digest of the aggregates a trustee key decrypted, kept in the key's saved
/// state so that it decrypts one tally only (§10.8, §14.1; never published).
pub const DECRYPTED_TALLY_TAG: &[u8] = b"nullivote/1/decrypted-tally";

/// What a transcript is for: the first thing after the version, distinct for each use.
pub mod purpose {
    /// An encrypted selection is in its option's range (0..=limit).
    pub const SELECTION: &[u8] = b"selection";
    /// The sum of a contest's selections is within its selection limits.
    pub const CONTEST_SUM: &[u8] = b"contest-sum";
    /// The nullifier and the roll entry share the credential secret; signs the ballot.
    pub const ELIGIBILITY: &[u8] = b"eligibility";
    /// A channel authority's countersignature of a ballot.
    pub const COUNTERSIGNATURE: &[u8] = b"countersignature";
    /// Derivation of a ballot's encryption nonces (not a proof; hedged nonce generation).
    pub const BALLOT_NONCES: &[u8] = b"ballot-nonces";
    /// A trustee's proof of possession of a polynomial coefficient.
    pub const TRUSTEE_POSSESSION: &[u8] = b"trustee-possession";
    /// A trustee's decryption share is correct.
    pub const DECRYPTION_SHARE: &[u8] = b"decryption-share";
    /// Hedged generation of a trustee's polynomial coefficients (not a proof; the transcript RNG
    /// of [`crate::trustee::dkg::part1`]).
    pub const TRUSTEE_COEFFICIENTS: &[u8] = b"trustee-coefficients";
    /// The domain of a trustee's round-1 commitment digest (SHA-256, not a transcript).
    pub const TRUSTEE_COMMITMENT: &[u8] = b"trustee-commitment";
    /// A trustee's proof of possession of its share-encryption key `E_i` (a transcript).
    pub const TRUSTEE_ENCRYPTION_KEY: &[u8] = b"trustee-encryption-key";
    /// The domain of the seed of that proof's deterministic nonce (SHA-256, not a transcript).
    pub const TRUSTEE_ENCRYPTION_NONCE: &[u8] = b"trustee-encryption-nonce";
    /// The domain of the HKDF info and the AEAD associated data of a sealed share.
    pub const TRUSTEE_SHARE_SEAL: &[u8] = b"trustee-share-seal";
    /// The domain of the digest of every trustee's round-1 digest and round-2 reveal (SHA-256).
    pub const TRUSTEE_REVEALS: &[u8] = b"trustee-reveals";
    /// The domain of the key-generation ceremony digest (SHA-256, not a transcript).
    pub const TRUSTEE_CEREMONY: &[u8] = b"trustee-ceremony";
    /// The weights of the check that a public key set's verification shares lie on one
    /// polynomial of degree below the threshold, whose value at 0 is the joint key.
    pub const TRUSTEE_KEY_CHECK: &[u8] = b"trustee-key-check";
    /// The board's signature of a batch of receipts: the root of their leaves (§3.9).
    pub const BOARD_RECEIPT: &[u8] = b"board-receipt";
    /// The board's signature of its final head (§3.9).
    pub const BOARD_FINAL_HEAD: &[u8] = b"board-final-head";
    /// The administrator's signature of a close entry (§3.9).
    pub const ADMINISTRATOR_CLOSE: &[u8] = b"administrator-close";
}

/// Labels of the messages absorbed into transcripts.
pub mod label {
    /// `append_u64`: the protocol version.
    pub const VERSION: &[u8] = b"version";
    /// The purpose of the transcript.
    pub const PURPOSE: &[u8] = b"purpose";
    /// The election's base hash.
    pub const BASE_HASH: &[u8] = b"base-hash";
    /// A proof's own domain separator.
    pub const DOMAIN: &[u8] = b"dom-sep";
    /// The index of a contest in the manifest.
    pub const CONTEST: &[u8] = b"contest";
    /// The index of an option in its contest.
    pub const OPTION: &[u8] = b"option";
    /// The whole encoded ballot body.
    pub const BALLOT_BODY: &[u8] = b"ballot-body";
    /// The ballot body and its eligibility proof, as countersigned by a channel authority.
    pub const SIGNED_BALLOT: &[u8] = b"signed-ballot";
    /// A ballot's nullifier.
    pub const NULLIFIER: &[u8] = b"nullifier";
    /// The number of ciphertexts in a range statement.
    pub const CIPHERTEXT_COUNT: &[u8] = b"ciphertexts";
    /// A channel's index in the manifest.
    pub const CHANNEL: &[u8] = b"channel";
    /// A generator of a statement.
    pub const BASE: &[u8] = b"base";
    /// A public point of a statement.
    pub const PUBLIC: &[u8] = b"public";
    /// The first component of a ciphertext.
    pub const CIPHERTEXT_A: &[u8] = b"ciphertext-a";
    /// The second component of a ciphertext.
    pub const CIPHERTEXT_B: &[u8] = b"ciphertext-b";
    /// The election public key.
    pub const ELECTION_KEY: &[u8] = b"election-key";
    /// The lower bound of a range.
    pub const RANGE_LOW: &[u8] = b"range-low";
    /// The upper bound of a range.
    pub const RANGE_HIGH: &[u8] = b"range-high";
    /// A commitment.
    pub const COMMITMENT: &[u8] = b"commitment";
    /// The Fiat-Shamir challenge.
    pub const CHALLENGE: &[u8] = b"challenge";
    /// A weight of the key-set check (§3.7).
    pub const WEIGHT: &[u8] = b"weight";
    /// Witness bytes rekeying a transcript RNG.
    pub const WITNESS: &[u8] = b"witness";
    /// A trustee's index.
    pub const TRUSTEE: &[u8] = b"trustee";
    /// A coefficient's index.
    pub const COEFFICIENT: &[u8] = b"coefficient";
    /// The round of the key-generation ceremony.
    pub const ROUND: &[u8] = b"round";
    /// The index of an aggregate (one option's tally) in a decryption.
    pub const AGGREGATE: &[u8] = b"aggregate";
    /// The digest of the board's last entry at the close of voting, which a decryption share
    /// binds (§3.7, §14.1).
    pub const BOARD_HEAD: &[u8] = b"board-head";
    /// The number of entries of the board whose head a decryption share binds.
    pub const BOARD_ENTRIES: &[u8] = b"board-entries";
    /// A trustee's verification share `X_l`.
    pub const VERIFICATION_SHARE: &[u8] = b"verification-share";
    /// The digest of the manifest (key generation, before the base hash exists).
    pub const MANIFEST: &[u8] = b"manifest-digest";
    /// The number of trustees, n.
    pub const TRUSTEE_COUNT: &[u8] = b"trustee-count";
    /// The threshold, k.
    pub const THRESHOLD: &[u8] = b"threshold";
    /// A board entry's position.
    pub const POSITION: &[u8] = b"position";
    /// The first position of a batch of receipts.
    pub const BATCH_FIRST: &[u8] = b"batch-first";
    /// The number of receipts of a batch.
    pub const BATCH_COUNT: &[u8] = b"batch-count";
    /// The Merkle root of a batch's receipt leaves.
    pub const RECEIPTS_ROOT: &[u8] = b"receipts-root";
    /// A board entry's digest.
    pub const ENTRY: &[u8] = b"entry";
    /// The digest of the board entry before a close.
    pub const PREVIOUS: &[u8] = b"previous";
    /// A tracking code.
    pub const TRACKING_CODE: &[u8] = b"tracking-code";
    /// A board entry's kind byte.
    pub const KIND: &[u8] = b"kind";
}

/// Domain separators of the proofs, absorbed under [`label::DOMAIN`] with their size parameters.
pub mod domain {
    /// Schnorr proof of knowledge of a discrete logarithm.
    pub const SCHNORR: &[u8] = b"schnorr";
    /// Chaum-Pedersen proof of equality of discrete logarithms.
    pub const DLEQ: &[u8] = b"dleq";
    /// Disjunctive Chaum-Pedersen proof that a ciphertext encrypts a value in a range.
    pub const RANGE: &[u8] = b"range";
}

/// Starts the transcript of one proof (or nonce derivation) of an election.
pub fn election_transcript(purpose: &'static [u8], base_hash: &[u8; 32]) -> Transcript {
    let mut t = Transcript::new(TRANSCRIPT_LABEL);
    t.append_u64(label::VERSION, u64::from(PROTOCOL_VERSION));
    t.append_message(label::PURPOSE, purpose);
    t.append_message(label::BASE_HASH, base_hash);
    t
}

/// Typed operations on a transcript.
pub(crate) trait TranscriptProtocol {
    /// Absorbs a proof's domain separator.
    fn domain_sep(&mut self, domain: &'static [u8]);
    /// Absorbs a group element by its canonical encoding.
    fn append_element(&mut self, label: &'static [u8], element: &Element);
    /// Squeezes a challenge: 64 bytes reduced modulo ℓ.
    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar;
    /// A hedged RNG: the transcript so far, rekeyed with the witness, finalised with `rng`.
    /// A broken `rng` alone leaks nothing; a fixed statement and witness alone repeat nothing.
    fn witness_rng<R: RngCore + CryptoRng>(
        &self,
        witness: &[&Scalar],
        rng: &mut R,
    ) -> TranscriptRng;
}

impl TranscriptProtocol for Transcript {
    fn domain_sep(&mut self, domain: &'static [u8]) {
        self.append_message(label::DOMAIN, domain);
    }

    fn append_element(&mut self, label: &'static [u8], element: &Element) {
        self.append_message(label, element.as_bytes());
    }

    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar {
        let mut wide = [0u8; 64];
        self.challenge_bytes(label, &mut wide);
        Scalar::from_bytes_mod_order_wide(&wide)
    }

    fn witness_rng<R: RngCore + CryptoRng>(
        &self,
        witness: &[&Scalar],
        rng: &mut R,
    ) -> TranscriptRng {
        let mut builder = self.build_rng();
        for w in witness {
            builder = builder.rekey_with_witness_bytes(label::WITNESS, w.as_bytes());
        }
        builder.finalize(rng)
    }
}

/// Draws a uniformly random scalar (64 bytes reduced modulo ℓ), wiping the bytes.
pub(crate) fn random_scalar<R: RngCore + ?Sized>(rng: &mut R) -> Scalar {
    let mut wide = [0u8; 64];
    rng.fill_bytes(&mut wide);
    let s = Scalar::from_bytes_mod_order_wide(&wide);
    wide.zeroize();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_and_domains_are_distinct() {
        let purposes = [
            purpose::SELECTION,
            purpose::CONTEST_SUM,
            purpose::ELIGIBILITY,
            purpose::COUNTERSIGNATURE,
            purpose::BALLOT_NONCES,
            purpose::TRUSTEE_POSSESSION,
            purpose::DECRYPTION_SHARE,
            purpose::TRUSTEE_COEFFICIENTS,
            purpose::TRUSTEE_KEY_CHECK,
            purpose::TRUSTEE_ENCRYPTION_KEY,
            purpose::BOARD_RECEIPT,
            purpose::BOARD_FINAL_HEAD,
            purpose::ADMINISTRATOR_CLOSE,
            // The domains of plain digests, distinct from every transcript purpose too.
            purpose::TRUSTEE_COMMITMENT,
            purpose::TRUSTEE_REVEALS,
            purpose::TRUSTEE_CEREMONY,
            purpose::TRUSTEE_ENCRYPTION_NONCE,
            purpose::TRUSTEE_SHARE_SEAL,
        ];
        for (i, a) in purposes.iter().enumerate() {
            for b in &purposes[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_ne!(domain::SCHNORR, domain::DLEQ);
        assert_ne!(domain::DLEQ, domain::RANGE);
    }

    #[test]
    fn transcripts_of_other_elections_or_purposes_differ() {
        let mut a = election_transcript(purpose::SELECTION, &[1; 32]);
        let mut b = election_transcript(purpose::SELECTION, &[2; 32]);
        let mut c = election_transcript(purpose::CONTEST_SUM, &[1; 32]);
        let ca = a.challenge_scalar(label::CHALLENGE);
        assert_ne!(ca, b.challenge_scalar(label::CHALLENGE));
        assert_ne!(ca, c.challenge_scalar(label::CHALLENGE));
    }
}
