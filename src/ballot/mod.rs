//! Ballots: what a voter's device (online) or the postal intake (paper) casts.
//!
//! A ballot holds, for every contest of the manifest, one ElGamal ciphertext per option with a
//! range proof that it encrypts `0..=option_limit`, and a range proof that the contest's sum lies
//! in `min_selections..=max_selections`; the voter's [`Nullifier`]; the [`Eligibility`] proof,
//! whose transcript absorbs the whole body so that it signs the ballot; and, on channels that
//! require it, the channel authority's countersignature.
//!
//! * making a ballot: [`prepare`] gives a [`PreparedBallot`]; a channel authority countersigns
//!   it ([`crate::AuthorityKey::countersign`]);
//! * verifying one: the numbered checks B1–B9 ([`Ballot::verify`], [`BallotError::check`]),
//!   alone and batched ([`verify_batch`]);
//! * the Benaloh challenge (cast-as-intended): [`PreparedBallot::challenge`],
//!   [`SpoiledBallot`].

mod build;
mod challenge;
mod verify;

pub use crate::digest::BallotDigest;
pub use crate::nullifier::{Eligibility, Nullifier};
pub use build::countersign;
pub use build::{ChoiceError, PreparedBallot, prepare};
pub use challenge::{ChallengeError, ChallengedBallot, Opening, SpoiledBallot, SpoiledSelection};
pub use verify::{BallotCheck, BallotError, verify_batch};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::codec::{Reader, Wire};
use crate::election::BaseHash;
use crate::elgamal::Ciphertext;
use crate::error::EncodingError;
use crate::manifest::{ChannelIndex, MAX_CONTESTS, MAX_OPTIONS};
use crate::proofs::{RangeProof, SchnorrProof};
use crate::transcript::{PROTOCOL_VERSION, TRACKING_CODE_TAG};

/// The magic bytes at the start of an encoded ballot.
pub const BALLOT_MAGIC: &[u8; 3] = b"NVB";

/// One option's encrypted vote and its proof that it encrypts `0..=option_limit`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedSelection {
    /// `Enc_K(v; r)`.
    pub ciphertext: Ciphertext,
    /// Range proof of `v ∈ 0..=option_limit`.
    pub proof: RangeProof,
}

/// One contest's selections and the proof that their sum is within the selection limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContestBallot {
    /// One selection per option, in the manifest's order.
    #[serde(deserialize_with = "selections_json")]
    pub selections: Vec<EncryptedSelection>,
    /// Range proof of `Σ v ∈ min_selections..=max_selections` over the sum of the ciphertexts.
    pub sum_proof: RangeProof,
}

/// A cast ballot.
///
/// # Layout
///
/// ```text
/// body         = "NVB" ‖ version u16 ‖ base_hash (32) ‖ channel u8 ‖ nullifier (32)
///                ‖ contests u16 ‖ per contest: ( selections u16
///                    ‖ per selection: ( ciphertext (64) ‖ range proof ) ‖ sum range proof )
/// ballot       = body ‖ eligibility ‖ has_countersignature u8 (0 or 1) ‖ [ schnorr proof (64) ]
/// ```
///
/// All integers big-endian; range proofs are self-delimiting by their branch count
/// ([`RangeProof`]). The JSON form carries the same fields, each leaf in its own hex codec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    /// The protocol version; only [`PROTOCOL_VERSION`] is accepted.
    pub version: Version,
    /// The election's base hash.
    pub election: BaseHash,
    /// The index in the manifest of the channel the ballot was cast on.
    pub channel: ChannelIndex,
    /// The voter's nullifier.
    pub nullifier: Nullifier,
    /// One entry per contest of the manifest, in order.
    #[serde(deserialize_with = "contests_json")]
    pub contests: Vec<ContestBallot>,
    /// The eligibility proof, which signs the body.
    pub eligibility: Eligibility,
    /// The channel authority's countersignature, on channels that require one (`null` in JSON
    /// otherwise; the key is required).
    #[serde(deserialize_with = "crate::codec::required")]
    pub countersignature: Option<SchnorrProof>,
}

/// JSON applies the binary decoder's limits, before decoding what lies past them.
fn contests_json<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ContestBallot>, D::Error> {
    crate::codec::bounded_vec(d, "ballot.contests", MAX_CONTESTS)
}

fn selections_json<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<EncryptedSelection>, D::Error> {
    crate::codec::bounded_vec(d, "ballot.selections", MAX_OPTIONS)
}

/// A count as written in an encoding. Counts above `u16::MAX` exist only in a ballot built in
/// memory against no manifest; they saturate, so the encoding fails to decode rather than alias
/// a shorter ballot.
pub(crate) fn count16(n: usize) -> [u8; 2] {
    u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes()
}

/// A protocol version number that this implementation reads: only [`PROTOCOL_VERSION`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Version(u16);

impl Version {
    /// The version this implementation writes.
    pub const CURRENT: Version = Version(PROTOCOL_VERSION);

    fn check(found: u16, field: &'static str) -> Result<Self, EncodingError> {
        if found == PROTOCOL_VERSION {
            Ok(Self(found))
        } else {
            Err(EncodingError::UnsupportedVersion {
                field,
                found,
                supported: PROTOCOL_VERSION,
            })
        }
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let found = u16::deserialize(deserializer)?;
        Version::check(found, "version").map_err(serde::de::Error::custom)
    }
}

/// A ballot's tracking code, shown to the voter and unique on all 32 bytes:
///
/// ```text
/// T = SHA-256( u64be(len(tag)) ‖ tag ‖ base_hash ‖ u8(channel) ‖ SHA-256(ciphertexts)
///            ‖ SHA-256(ballot encoding) )
/// ```
///
/// with `tag = "nullivote/1/tracking-code"` and `ciphertexts` every selection's 64-byte
/// ciphertext in contest, then option, order. The split lets a challenge be published without
/// its nullifier, credential and proofs ([`SpoiledBallot`]) while anyone still recomputes `T` from
/// its election, channel, ciphertexts and the ballot digest (spec §7.5, §7.6). A board
/// [`crate::board::Receipt`] ties `T` to the chain.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackingCode(pub [u8; 32]);

impl TrackingCode {
    /// `T` from the election's base hash, the channel, the ciphertexts in order and the ballot
    /// digest.
    pub fn of<'a>(
        election: &BaseHash,
        channel: ChannelIndex,
        ciphertexts: impl IntoIterator<Item = &'a Ciphertext>,
        ballot_digest: &[u8; 32],
    ) -> Self {
        let mut cts = Sha256::new();
        for c in ciphertexts {
            cts.update(c.a.as_bytes());
            cts.update(c.b.as_bytes());
        }
        let mut h = Sha256::new();
        h.update((TRACKING_CODE_TAG.len() as u64).to_be_bytes());
        h.update(TRACKING_CODE_TAG);
        h.update(election.as_bytes());
        h.update([channel.get()]);
        h.update(cts.finalize());
        h.update(ballot_digest);
        TrackingCode(h.finalize().into())
    }
}

impl core::fmt::Display for TrackingCode {
    /// The full code in hex, in groups of eight for reading aloud.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let hex = hex::encode(self.0);
        for (i, chunk) in hex.as_bytes().chunks(8).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            f.write_str(core::str::from_utf8(chunk).map_err(|_| core::fmt::Error)?)?;
        }
        Ok(())
    }
}

impl Wire for TrackingCode {
    const NAME: &'static str = "tracking_code";
    const MAX_LEN: usize = 32;

    fn encode(&self) -> Vec<u8> {
        self.0.to_vec()
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes);
        let code = r.array32(Self::NAME)?;
        r.finish(Self::NAME)?;
        Ok(Self(code))
    }
}

crate::codec::wire_serde!(TrackingCode);
crate::codec::wire_bytes!(TrackingCode);

impl core::fmt::Debug for TrackingCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TrackingCode({self})")
    }
}

/// Encodes a ballot body (see [`Ballot`]'s layout).
fn encode_body(
    version: Version,
    election: &BaseHash,
    channel: ChannelIndex,
    nullifier: &Nullifier,
    contests: &[ContestBallot],
) -> Vec<u8> {
    let per_contest: usize = contests
        .iter()
        .map(|c| 2 + c.selections.len() * (64 + 2 + 96) + 2 + 96)
        .sum();
    let mut out = Vec::with_capacity(72 + per_contest + 200);
    out.extend_from_slice(BALLOT_MAGIC);
    out.extend_from_slice(&version.0.to_be_bytes());
    out.extend_from_slice(election.as_bytes());
    out.push(channel.get());
    out.extend_from_slice(nullifier.element().as_bytes());
    out.extend_from_slice(&count16(contests.len()));
    for contest in contests {
        out.extend_from_slice(&count16(contest.selections.len()));
        for s in &contest.selections {
            out.extend_from_slice(&s.ciphertext.encode());
            out.extend_from_slice(&s.proof.encode());
        }
        out.extend_from_slice(&contest.sum_proof.encode());
    }
    out
}

impl Ballot {
    /// The canonical encoding of the body: everything the eligibility proof signs.
    pub fn body_bytes(&self) -> Vec<u8> {
        encode_body(
            self.version,
            &self.election,
            self.channel,
            &self.nullifier,
            &self.contests,
        )
    }

    /// The body followed by the eligibility proof: what a channel authority countersigns.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = self.body_bytes();
        out.extend_from_slice(&self.eligibility.encode());
        out
    }

    /// The tracking code of this ballot: the device shows it before the voter decides to cast
    /// or challenge, and a challenge of this ballot carries the same code.
    pub fn tracking_code(&self) -> TrackingCode {
        let ciphertexts = self
            .contests
            .iter()
            .flat_map(|c| &c.selections)
            .map(|s| &s.ciphertext);
        TrackingCode::of(
            &self.election,
            self.channel,
            ciphertexts,
            self.digest().as_bytes(),
        )
    }

    /// `SHA-256(ballot encoding)`.
    pub fn digest(&self) -> BallotDigest {
        BallotDigest(Sha256::digest(self.encode()).into())
    }

    fn read_range_proof(
        r: &mut Reader<'_>,
        field: &'static str,
    ) -> Result<RangeProof, EncodingError> {
        let head = r.peek_u16(field)?;
        let len = RangeProof::encoded_len(usize::from(head).max(1));
        RangeProof::decode(r.take(len, field)?)
    }
}

crate::codec::wire_bytes!(Ballot);

impl Wire for Ballot {
    const NAME: &'static str = "ballot";

    fn encode(&self) -> Vec<u8> {
        let mut out = self.signed_bytes();
        match &self.countersignature {
            None => out.push(0),
            Some(sig) => {
                out.push(1);
                out.extend_from_slice(&sig.encode());
            }
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes);
        if r.take(3, "ballot.magic")? != BALLOT_MAGIC {
            return Err(EncodingError::WrongTag {
                field: "ballot.magic",
            });
        }
        let version = Version::check(r.u16("ballot.version")?, "ballot.version")?;
        let election = BaseHash(r.array32("ballot.election")?);
        let channel = r.u8("ballot.channel")?;
        let nullifier = Nullifier::decode(r.take(32, "ballot.nullifier")?)?;
        let contest_count = r.count16("ballot.contests", MAX_CONTESTS)?;
        let mut contests = Vec::with_capacity(contest_count);
        for _ in 0..contest_count {
            let selection_count = r.count16("ballot.selections", MAX_OPTIONS)?;
            let mut selections = Vec::with_capacity(selection_count);
            for _ in 0..selection_count {
                let ciphertext = Ciphertext::decode(r.take(Ciphertext::LEN, "ballot.ciphertext")?)?;
                let proof = Self::read_range_proof(&mut r, "ballot.selection_proof")?;
                selections.push(EncryptedSelection { ciphertext, proof });
            }
            let sum_proof = Self::read_range_proof(&mut r, "ballot.sum_proof")?;
            contests.push(ContestBallot {
                selections,
                sum_proof,
            });
        }
        let eligibility = Eligibility::read(&mut r)?;
        let countersignature = match r.u8("ballot.has_countersignature")? {
            0 => None,
            1 => Some(SchnorrProof::decode(
                r.take(SchnorrProof::LEN, "ballot.countersignature")?,
            )?),
            _ => {
                return Err(EncodingError::WrongTag {
                    field: "ballot.has_countersignature",
                });
            }
        };
        r.finish(Self::NAME)?;
        Ok(Self {
            version,
            election,
            channel: ChannelIndex::new(channel),
            nullifier,
            contests,
            eligibility,
            countersignature,
        })
    }
}

#[cfg(test)]
mod tests;
