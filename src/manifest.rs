//! The election manifest: the administrator's public description of an election.
//!
//! A [`Manifest`] names the election, its contests and their selection rules, the channels a
//! ballot may arrive on (with their precedence, their rule for a voter who casts twice, and the
//! authority that must countersign), and the trustees' threshold policy. Its canonical encoding
//! ([`Manifest`]'s `# Layout`) is what the election's base hash covers, so every proof of the
//! election binds to it.
//!
//! # One way in, one set of checks
//!
//! A `Manifest` exists only if it is valid. Every way of obtaining one ends in the same private
//! check, `Manifest::validate`:
//!
//! - [`Manifest::new`] takes the parts and validates them;
//! - JSON deserializes into a private unchecked mirror (`#[serde(try_from)]`), which
//!   [`Manifest::new`] then validates;
//! - [`Manifest::from_bytes`] parses the binary layout into the same unchecked mirror, which
//!   [`Manifest::new`] then validates. Its parser judges only form (magic, version, lengths,
//!   UTF-8, tags, canonical points), never meaning;
//! - [`Wire::decode`] is [`Manifest::from_bytes`] with its error narrowed to an
//!   [`EncodingError`] (see [`Manifest`]'s `Wire` implementation for the mapping).
//!
//! # Names are compared as bytes
//!
//! Election ids, contest, option and channel names are compared strictly as UTF-8 bytes and are
//! never normalised (no Unicode normalisation, case folding or whitespace collapsing): `"a b"` and
//! `"a  b"`, or `"é"` in NFC and in NFD, are different names, and two election ids that differ in
//! any byte give different digests, base hashes and nullifier bases. The election id and every
//! name refuse control, format (bidirectional and zero-width) and line-separator characters
//! ([`crate::text::is_hidden`]), and the election id also leading or trailing whitespace, so that
//! what an administrator, a voter or a verifier's screen shows is what is hashed (issue #22,
//! finding 3: an option name holding terminal escapes made a valid record *display* another
//! result than its JSON).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::hash::Hash;

use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

pub use crate::digest::ManifestDigest;

use crate::codec::{Reader, Wire};
use crate::error::EncodingError;
use crate::group::Element;
use crate::proofs::range::MAX_BRANCHES;
use crate::text::is_hidden;
use crate::transcript::PROTOCOL_VERSION;

/// The most contests a manifest may have.
pub const MAX_CONTESTS: usize = 64;
/// The most options a contest may have.
pub const MAX_OPTIONS: usize = 64;
/// The most channels a manifest may have.
pub const MAX_CHANNELS: usize = 16;
/// The most trustees an election may have.
pub const MAX_TRUSTEES: u16 = 255;
/// The longest election id or name, in bytes of UTF-8.
pub const MAX_NAME_LEN: usize = 256;

/// The magic bytes that open a manifest's binary encoding.
pub const MAGIC: &[u8; 3] = b"NVM";

/// The smallest encoding of a contest: an empty name, no options, three `u32`.
const CONTEST_MIN_LEN: usize = 2 + 2 + 3 * 4;
/// The smallest encoding of an option: an empty name.
const OPTION_MIN_LEN: usize = 2;
/// The smallest encoding of a channel: an empty name, rank, rule, authority flag.
const CHANNEL_MIN_LEN: usize = 2 + 1 + 1 + 1;

/// One question on the ballot.
///
/// A ballot gives each option between 0 and `option_limit` votes, and the contest between
/// `min_selections` and `max_selections` votes in total. Both ranges are proven in zero
/// knowledge, so each must have at most [`MAX_BRANCHES`] values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contest {
    /// The contest's name, unique in the manifest.
    pub name: String,
    /// The options (candidates), unique in the contest, in ballot order.
    #[serde(deserialize_with = "options_json")]
    pub options: Vec<String>,
    /// The fewest votes a ballot may give in this contest, over all options.
    pub min_selections: u32,
    /// The most votes a ballot may give in this contest, over all options.
    pub max_selections: u32,
    /// The most votes one option may receive in one ballot; 1 for ordinary contests.
    pub option_limit: u32,
}

/// What happens when one voter casts twice on the same channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelRule {
    /// The later ballot supersedes the earlier one (revoting, e.g. online).
    LastWins,
    /// The earlier ballot stands and the later one is set aside (e.g. postal: the first paper
    /// ballot scanned counts).
    FirstWins,
    /// The second ballot is refused outright; the first stands.
    RejectSecond,
}

impl ChannelRule {
    /// The rule's byte in the binary encoding.
    fn to_byte(self) -> u8 {
        match self {
            Self::LastWins => 0,
            Self::FirstWins => 1,
            Self::RejectSecond => 2,
        }
    }

    /// The rule of a byte of the binary encoding.
    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(Self::LastWins),
            1 => Some(Self::FirstWins),
            2 => Some(Self::RejectSecond),
            _ => None,
        }
    }
}

/// The position of a channel in its manifest's channel list (0 for the first).
///
/// Ballots, board entries, refusals and lookups name their channel by this index, one byte on
/// the wire and a bare number in JSON. An index is only meaningful together with its manifest:
/// [`Manifest::channel_index`] finds one by name, [`Manifest::channel`] resolves one, and
/// every decoder that takes an index from untrusted bytes checks it against the manifest.
///
/// ```
/// # use nullivote::Manifest;
/// # use nullivote::manifest::ChannelIndex;
/// # fn show(manifest: &Manifest) {
/// let online: ChannelIndex = manifest.channel_index("online").expect("the manifest has it");
/// assert_eq!(manifest.channel(online).map(|c| c.name.as_str()), Some("online"));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChannelIndex(u8);

impl ChannelIndex {
    /// The index `i` (whether a manifest has a channel there is the manifest's to say).
    pub const fn new(i: u8) -> Self {
        Self(i)
    }

    /// The index as its wire byte.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The index as a position in [`Manifest::channels`].
    pub const fn as_usize(self) -> usize {
        self.0 as usize
    }
}

impl From<u8> for ChannelIndex {
    fn from(i: u8) -> Self {
        Self(i)
    }
}

impl From<ChannelIndex> for u8 {
    fn from(i: ChannelIndex) -> Self {
        i.0
    }
}

impl From<ChannelIndex> for usize {
    fn from(i: ChannelIndex) -> Self {
        usize::from(i.0)
    }
}

impl From<ChannelIndex> for u64 {
    fn from(i: ChannelIndex) -> Self {
        u64::from(i.0)
    }
}

impl fmt::Display for ChannelIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A way of casting a ballot (online, postal, ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// The channel's name, unique in the manifest.
    pub name: String,
    /// Precedence: when one voter casts on two channels, the ballot of the channel with the
    /// HIGHER rank counts (postal 2 above online 1). Ranks are unique in a manifest.
    pub rank: u8,
    /// What happens when one voter casts twice on this channel.
    pub rule: ChannelRule,
    /// The public key of the channel authority that must countersign every ballot of this
    /// channel; `None` if no countersignature is required. Required in JSON (`null` for none),
    /// so that leaving it out cannot silently drop the requirement.
    #[serde(deserialize_with = "required_option")]
    pub authority: Option<Element>,
}

/// The keys of the two offices that answer for the board (spec §8.3): the board operator, who
/// signs every receipt, refusal and the final head, and the election administrator, who alone
/// closes a channel or the vote. Each is a Schnorr public key `P = x·G`.
///
/// The two keys and every channel authority must be pairwise distinct
/// ([`ManifestError::SharedKey`]): a board that could sign its own closes could end voting
/// early or cut the board short, and a board that is the postal intake could countersign
/// postal ballots it admits itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorities {
    /// The board operator's key: signs receipts, refusal receipts and the final head.
    pub board: Element,
    /// The election administrator's key: signs every close entry of the board.
    pub administrator: Element,
}

/// The trustees' threshold policy: `count` trustees (n), any `threshold` (k) of whom decrypt.
///
/// Only valid policies exist, `1 ≤ k ≤ n ≤` [`MAX_TRUSTEES`]: [`TrusteePolicy::new`] is the one
/// constructor, and JSON goes through it. JSON: `{"count": n, "threshold": k}` (unknown,
/// duplicate and missing keys refused).
///
/// ```
/// use nullivote::manifest::{PolicyError, TrusteePolicy};
///
/// let policy = TrusteePolicy::new(3, 5).unwrap(); // any 3 of 5 trustees
/// assert_eq!((policy.threshold(), policy.count()), (3, 5));
/// assert_eq!(TrusteePolicy::new(0, 5), Err(PolicyError::ZeroThreshold));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PolicyParts")]
pub struct TrusteePolicy {
    count: u16,
    threshold: u16,
}

impl TrusteePolicy {
    /// The policy "any `threshold` of `count` trustees" (k of n).
    ///
    /// # Errors
    /// [`PolicyError::TooManyTrustees`] if `count > MAX_TRUSTEES`, then
    /// [`PolicyError::ZeroThreshold`] if `threshold` is 0, then
    /// [`PolicyError::ThresholdAboveCount`] if `threshold > count`.
    pub fn new(threshold: u16, count: u16) -> Result<Self, PolicyError> {
        if count > MAX_TRUSTEES {
            Err(PolicyError::TooManyTrustees { count })
        } else if threshold == 0 {
            Err(PolicyError::ZeroThreshold)
        } else if threshold > count {
            Err(PolicyError::ThresholdAboveCount { threshold, count })
        } else {
            Ok(Self { count, threshold })
        }
    }

    /// The number of trustees, n (`1..=MAX_TRUSTEES`).
    pub fn count(self) -> u16 {
        self.count
    }

    /// The number of trustees needed to decrypt, k (`1..=n`).
    pub fn threshold(self) -> u16 {
        self.threshold
    }

    /// The two numbers as they are encoded.
    fn parts(self) -> PolicyParts {
        PolicyParts {
            count: self.count,
            threshold: self.threshold,
        }
    }
}

/// Why a trustee policy is refused: it must be `1 ≤ k ≤ n ≤` [`MAX_TRUSTEES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The trustee threshold is 0.
    #[error("trustee threshold is 0")]
    ZeroThreshold,
    /// The trustee threshold exceeds the number of trustees.
    #[error("trustee threshold {threshold} is more than the {count} trustees")]
    ThresholdAboveCount {
        /// k.
        threshold: u16,
        /// n.
        count: u16,
    },
    /// More than [`MAX_TRUSTEES`] trustees.
    #[error("{count} trustees, more than the limit of {MAX_TRUSTEES}")]
    TooManyTrustees {
        /// n.
        count: u16,
    },
}

/// A trustee policy as decoded, not yet validated.
#[derive(Clone, Copy, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
#[serde(deny_unknown_fields)]
struct PolicyParts {
    count: u16,
    threshold: u16,
}

impl TryFrom<PolicyParts> for TrusteePolicy {
    type Error = PolicyError;

    fn try_from(parts: PolicyParts) -> Result<Self, PolicyError> {
        Self::new(parts.threshold, parts.count)
    }
}

/// A validated election manifest.
///
/// Only valid manifests exist: see the module documentation for the single path every
/// constructor and decoder goes through.
///
/// # JSON
///
/// An object with exactly the keys `election_id`, `contests`, `channels`, `trustees`,
/// `authorities` (unknown, duplicate and missing keys refused, also inside contests, channels,
/// the trustee policy and the authorities: `board`, `administrator`);
/// channel rules are `"last_wins"`, `"first_wins"`, `"reject_second"`; an authority is the hex
/// of its 32-byte encoding, or `null`.
///
/// # Layout
///
/// The canonical binary encoding, over which [`Manifest::digest`] and the base hash are
/// computed. A *string* is its byte length `L` as u16 big-endian followed by its `L` bytes of
/// UTF-8 (no terminator, no normalisation). All integers are big-endian.
///
/// ```text
/// size      field
/// 3         magic "NVM" (4e 56 4d)
/// 2         version, u16 = PROTOCOL_VERSION (2); other versions are refused
/// 2 + L     election_id, string
/// 2         C, the number of contests, u16 (1..=64)
/// C ×       contest:
///   2 + L     name, string
///   2         O, the number of options, u16 (1..=64)
///   O ×       option name, string
///   4         min_selections, u32
///   4         max_selections, u32
///   4         option_limit, u32
/// 2         H, the number of channels, u16 (1..=16)
/// H ×       channel:
///   2 + L     name, string
///   1         rank, u8
///   1         rule, u8: 0 last_wins, 1 first_wins, 2 reject_second
///   1         authority flag, u8: 0 none, 1 present
///   32        authority, only if the flag is 1: canonical ristretto255 encoding, not the identity
/// 2         trustee count n, u16
/// 2         threshold k, u16
/// 32        board key: canonical ristretto255 encoding, not the identity
/// 32        administrator key: canonical ristretto255 encoding, not the identity
/// ```
///
/// Nothing may follow. Decoding checks every count against the bytes left before allocating
/// for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ManifestUnchecked")]
pub struct Manifest {
    election_id: String,
    contests: Vec<Contest>,
    channels: Vec<Channel>,
    trustees: TrusteePolicy,
    authorities: Authorities,
}

/// The parts of a manifest, parsed but not yet validated: what JSON and binary decode into.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Clone, Serialize))]
#[serde(deny_unknown_fields)]
struct ManifestUnchecked {
    election_id: String,
    #[serde(deserialize_with = "contests_json")]
    contests: Vec<Contest>,
    #[serde(deserialize_with = "channels_json")]
    channels: Vec<Channel>,
    trustees: PolicyParts,
    authorities: Authorities,
}

/// JSON lists are refused at the element past their limit, before it is decoded.
fn contests_json<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Contest>, D::Error> {
    crate::codec::bounded_vec(d, "manifest.contests", MAX_CONTESTS)
}

fn channels_json<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Channel>, D::Error> {
    crate::codec::bounded_vec(d, "manifest.channels", MAX_CHANNELS)
}

fn options_json<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    crate::codec::bounded_vec(d, "manifest.contests.options", MAX_OPTIONS)
}

impl TryFrom<ManifestUnchecked> for Manifest {
    type Error = ManifestError;

    fn try_from(parts: ManifestUnchecked) -> Result<Self, ManifestError> {
        let trustees = match TrusteePolicy::try_from(parts.trustees) {
            Ok(trustees) => trustees,
            Err(e) => {
                // The first error in the order of `Manifest::new`: the policy after the channels.
                check_election_id(&parts.election_id)?;
                check_contests(&parts.contests)?;
                check_channels(&parts.channels)?;
                return Err(e.into());
            }
        };
        Self::new(
            parts.election_id,
            parts.contests,
            parts.channels,
            trustees,
            parts.authorities,
        )
    }
}

impl Manifest {
    /// Validates the parts of a manifest.
    ///
    /// # Errors
    /// The first [`ManifestError`] found, checking the election id, then the contests in order,
    /// then the channels, then the keys (the trustee policy is valid by construction,
    /// [`TrusteePolicy::new`]; the decoders check it after the channels).
    pub fn new(
        election_id: impl Into<String>,
        contests: Vec<Contest>,
        channels: Vec<Channel>,
        trustees: TrusteePolicy,
        authorities: Authorities,
    ) -> Result<Self, ManifestError> {
        let manifest = Self {
            election_id: election_id.into(),
            contests,
            channels,
            trustees,
            authorities,
        };
        manifest.validate()?;
        Ok(manifest)
    }

    /// The manifest of the 2022 UK Conservative leadership ballot: one contest `"leader"`
    /// between Liz Truss and Rishi Sunak (exactly one selection); an `"online"` channel (rank 1,
    /// last ballot wins, no countersignature) and a `"postal"` channel above it (rank 2, first
    /// ballot wins, countersigned by `intake_authority`); 5 trustees, any 3 of whom decrypt; the
    /// board and the administrator of `authorities`.
    ///
    /// # Errors
    /// [`ManifestError::SharedKey`] if the intake, board and administrator keys are not
    /// pairwise distinct (every other part is a constant that satisfies every check: see the
    /// test `leadership_is_valid`).
    pub fn leadership(
        intake_authority: Element,
        authorities: Authorities,
    ) -> Result<Manifest, ManifestError> {
        let manifest = Manifest {
            election_id: "uk-conservative-leadership-2022".to_owned(),
            contests: vec![Contest {
                name: "leader".to_owned(),
                options: vec!["Liz Truss".to_owned(), "Rishi Sunak".to_owned()],
                min_selections: 1,
                max_selections: 1,
                option_limit: 1,
            }],
            channels: vec![
                Channel {
                    name: "online".to_owned(),
                    rank: 1,
                    rule: ChannelRule::LastWins,
                    authority: None,
                },
                Channel {
                    name: "postal".to_owned(),
                    rank: 2,
                    rule: ChannelRule::FirstWins,
                    authority: Some(intake_authority),
                },
            ],
            trustees: TrusteePolicy {
                count: 5,
                threshold: 3,
            }, // 3 of 5 ≤ MAX_TRUSTEES: valid
            authorities,
        };
        check_keys(&manifest.channels, authorities)?;
        Ok(manifest)
    }

    /// Decodes and validates the binary encoding (see `# Layout`).
    ///
    /// # Errors
    /// [`ManifestError::Encoding`] or [`ManifestError::InvalidUtf8`] for bytes that are not the
    /// layout, and otherwise the same errors as [`Manifest::new`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        Self::try_from(parse(bytes)?)
    }

    /// SHA-256 of the canonical encoding.
    pub fn digest(&self) -> ManifestDigest {
        ManifestDigest(Sha256::digest(self.encode()).into())
    }

    /// The election id, compared strictly as bytes.
    pub fn election_id(&self) -> &str {
        &self.election_id
    }

    /// The contests, in ballot order.
    pub fn contests(&self) -> &[Contest] {
        &self.contests
    }

    /// The contest at index `i`.
    pub fn contest(&self, i: usize) -> Option<&Contest> {
        self.contests.get(i)
    }

    /// The channels, in manifest order (not rank order).
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// The channel at index `i`, if the manifest has one there.
    pub fn channel(&self, i: ChannelIndex) -> Option<&Channel> {
        self.channels.get(i.as_usize())
    }

    /// The index of the channel named exactly `name` (compared as bytes).
    pub fn channel_index(&self, name: &str) -> Option<ChannelIndex> {
        let i = self.channels.iter().position(|c| c.name == name)?;
        u8::try_from(i).ok().map(ChannelIndex)
    }

    /// Every channel with its index, in manifest order.
    pub fn indexed_channels(&self) -> impl Iterator<Item = (ChannelIndex, &Channel)> {
        // `Manifest::new` caps the channels at MAX_CHANNELS (16), so each index fits a byte.
        (0..=u8::MAX).map(ChannelIndex).zip(&self.channels)
    }

    /// The trustees' threshold policy.
    pub fn trustees(&self) -> TrusteePolicy {
        self.trustees
    }

    /// The board operator's and the administrator's keys.
    pub fn authorities(&self) -> Authorities {
        self.authorities
    }

    /// Every check of a manifest; the only one, whatever the way in.
    fn validate(&self) -> Result<(), ManifestError> {
        check_election_id(&self.election_id)?;
        check_contests(&self.contests)?;
        check_channels(&self.channels)?;
        check_keys(&self.channels, self.authorities)
    }
}

crate::codec::wire_bytes!(Manifest, to_bytes);

impl Wire for Manifest {
    const NAME: &'static str = "manifest";

    fn encode(&self) -> Vec<u8> {
        encode_parts(
            &self.election_id,
            &self.contests,
            &self.channels,
            self.trustees.parts(),
            &self.authorities,
        )
    }

    /// [`Manifest::from_bytes`], with its error narrowed to an [`EncodingError`]:
    /// [`ManifestError::Encoding`] as it is; a count or bound over its limit as
    /// [`EncodingError::TooMany`]; every other rule as [`EncodingError::Invalid`] naming the
    /// manifest field at fault, with the rule's message. Call [`Manifest::from_bytes`] for the
    /// typed error.
    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        Self::from_bytes(bytes).map_err(ManifestError::into_encoding_error)
    }
}

/// Where a name sits in a manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameSite {
    /// The name of the contest at this index.
    Contest {
        /// The contest's index.
        contest: usize,
    },
    /// The name of an option.
    Option {
        /// The contest's index.
        contest: usize,
        /// The option's index in its contest.
        option: usize,
    },
    /// The name of the channel at this index.
    Channel {
        /// The channel's index.
        channel: usize,
    },
}

impl fmt::Display for NameSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Contest { contest } => write!(f, "contest {contest}"),
            Self::Option { contest, option } => write!(f, "contest {contest}, option {option}"),
            Self::Channel { channel } => write!(f, "channel {channel}"),
        }
    }
}

/// Why a manifest is not valid. Each variant names where: the contest (index and name), the
/// option (index), the channel (name or index).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The election id is empty.
    #[error("election id: empty")]
    EmptyElectionId,
    /// The election id is longer than [`MAX_NAME_LEN`] bytes.
    #[error("election id: {len} bytes, more than the limit of {MAX_NAME_LEN}")]
    ElectionIdTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The election id contains a control, format or separator character
    /// ([`crate::text::is_hidden`]).
    #[error("election id: control or format character U+{code_point:04X} at byte {position}")]
    ElectionIdControlCharacter {
        /// The byte offset of the first such character.
        position: usize,
        /// Its code point.
        code_point: u32,
    },
    /// The election id begins or ends with whitespace.
    #[error("election id: leading or trailing whitespace")]
    ElectionIdWhitespace,
    /// A contest, option or channel name is empty.
    #[error("{site}: empty name")]
    EmptyName {
        /// Where.
        site: NameSite,
    },
    /// A contest, option or channel name contains a control, format or separator character
    /// ([`crate::text::is_hidden`]).
    #[error(
        "{site}: control or format character U+{code_point:04X} at byte {position} of the name"
    )]
    NameControlCharacter {
        /// Where.
        site: NameSite,
        /// The byte offset of the first such character in the name.
        position: usize,
        /// Its code point.
        code_point: u32,
    },
    /// A contest, option or channel name is longer than [`MAX_NAME_LEN`] bytes.
    #[error("{site}: name of {len} bytes, more than the limit of {MAX_NAME_LEN}")]
    NameTooLong {
        /// Where.
        site: NameSite,
        /// The name's length in bytes.
        len: usize,
    },
    /// The manifest has no contests.
    #[error("the manifest has no contests")]
    NoContests,
    /// The manifest has more than [`MAX_CONTESTS`] contests.
    #[error("{count} contests, more than the limit of {MAX_CONTESTS}")]
    TooManyContests {
        /// The number of contests.
        count: usize,
    },
    /// Two contests have the same name.
    #[error("contests {first} and {second} are both named {name:?}")]
    DuplicateContest {
        /// The first contest's index.
        first: usize,
        /// The second contest's index.
        second: usize,
        /// Their name.
        name: String,
    },
    /// A contest has no options.
    #[error("contest {contest} ({name:?}): no options")]
    NoOptions {
        /// The contest's index.
        contest: usize,
        /// The contest's name.
        name: String,
    },
    /// A contest has more than [`MAX_OPTIONS`] options.
    #[error("contest {contest} ({name:?}): {count} options, more than the limit of {MAX_OPTIONS}")]
    TooManyOptions {
        /// The contest's index.
        contest: usize,
        /// The contest's name.
        name: String,
        /// The number of options.
        count: usize,
    },
    /// Two options of a contest have the same name.
    #[error(
        "contest {contest} ({contest_name:?}): options {first} and {second} are both named {name:?}"
    )]
    DuplicateOption {
        /// The contest's index.
        contest: usize,
        /// The contest's name.
        contest_name: String,
        /// The first option's index.
        first: usize,
        /// The second option's index.
        second: usize,
        /// Their name.
        name: String,
    },
    /// A contest's `option_limit` is 0: no option could receive a vote.
    #[error("contest {contest} ({name:?}): option_limit is 0")]
    ZeroOptionLimit {
        /// The contest's index.
        contest: usize,
        /// The contest's name.
        name: String,
    },
    /// A contest's `option_limit + 1` values exceed [`MAX_BRANCHES`].
    #[error(
        "contest {contest} ({name:?}): option_limit {option_limit} needs more than {MAX_BRANCHES} range-proof branches"
    )]
    OptionLimitTooLarge {
        /// The contest's index.
        contest: usize,
        /// The contest's name.
        name: String,
        /// The option limit.
        option_limit: u32,
    },
    /// A contest's `min_selections` exceeds its `max_selections`.
    #[error("contest {contest} ({name:?}): min_selections {min} is more than max_selections {max}")]
    MinAboveMax {
        /// The contest's index.
        contest: usize,
        /// The contest's name.
        name: String,
        /// `min_selections`.
        min: u32,
        /// `max_selections`.
        max: u32,
    },
    /// A contest's `max_selections` exceeds what its options can receive
    /// (`options × option_limit`).
    #[error(
        "contest {contest} ({name:?}): max_selections {max} is more than its options can receive ({capacity})"
    )]
    MaxSelectionsUnreachable {
        /// The contest's index.
        contest: usize,
        /// The contest's name.
        name: String,
        /// `max_selections`.
        max: u32,
        /// `options × option_limit`.
        capacity: u64,
    },
    /// A contest's `max_selections − min_selections + 1` values exceed [`MAX_BRANCHES`].
    #[error(
        "contest {contest} ({name:?}): {min}..={max} selections need more than {MAX_BRANCHES} range-proof branches"
    )]
    SelectionRangeTooWide {
        /// The contest's index.
        contest: usize,
        /// The contest's name.
        name: String,
        /// `min_selections`.
        min: u32,
        /// `max_selections`.
        max: u32,
    },
    /// The manifest has no channels.
    #[error("the manifest has no channels")]
    NoChannels,
    /// The manifest has more than [`MAX_CHANNELS`] channels.
    #[error("{count} channels, more than the limit of {MAX_CHANNELS}")]
    TooManyChannels {
        /// The number of channels.
        count: usize,
    },
    /// Two channels have the same name.
    #[error("channels {first} and {second} are both named {name:?}")]
    DuplicateChannel {
        /// The first channel's index.
        first: usize,
        /// The second channel's index.
        second: usize,
        /// Their name.
        name: String,
    },
    /// Two channels have the same rank, so precedence between them is undefined.
    #[error("channels {first:?} and {second:?} both have rank {rank}")]
    DuplicateRank {
        /// The shared rank.
        rank: u8,
        /// The first channel's name.
        first: String,
        /// The second channel's name.
        second: String,
    },
    /// The trustee policy is not valid ([`TrusteePolicy::new`]).
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// Two offices share a key: the board, the administrator and every channel authority must
    /// each have their own (see [`Authorities`]).
    #[error("{first} and {second} have the same key; each office needs its own")]
    SharedKey {
        /// The first office (`the board`, `the administrator`, `channel "postal"'s authority`).
        first: String,
        /// The second.
        second: String,
    },
    /// A string of the binary encoding is not UTF-8.
    #[error("{field}: not valid UTF-8")]
    InvalidUtf8 {
        /// The field.
        field: &'static str,
    },
    /// Bytes that are not the binary layout.
    #[error(transparent)]
    Encoding(#[from] EncodingError),
}

impl ManifestError {
    /// The manifest field at fault, for [`EncodingError`]s.
    fn field(&self) -> &'static str {
        match self {
            Self::EmptyElectionId
            | Self::ElectionIdTooLong { .. }
            | Self::ElectionIdControlCharacter { .. }
            | Self::ElectionIdWhitespace => "manifest.election_id",
            Self::EmptyName { site }
            | Self::NameTooLong { site, .. }
            | Self::NameControlCharacter { site, .. } => match site {
                NameSite::Contest { .. } => "manifest.contests.name",
                NameSite::Option { .. } => "manifest.contests.options",
                NameSite::Channel { .. } => "manifest.channels.name",
            },
            Self::NoContests | Self::TooManyContests { .. } => "manifest.contests",
            Self::DuplicateContest { .. } => "manifest.contests.name",
            Self::NoOptions { .. } | Self::TooManyOptions { .. } | Self::DuplicateOption { .. } => {
                "manifest.contests.options"
            }
            Self::ZeroOptionLimit { .. } | Self::OptionLimitTooLarge { .. } => {
                "manifest.contests.option_limit"
            }
            Self::MinAboveMax { .. } => "manifest.contests.min_selections",
            Self::MaxSelectionsUnreachable { .. } | Self::SelectionRangeTooWide { .. } => {
                "manifest.contests.max_selections"
            }
            Self::NoChannels | Self::TooManyChannels { .. } => "manifest.channels",
            Self::DuplicateChannel { .. } => "manifest.channels.name",
            Self::DuplicateRank { .. } => "manifest.channels.rank",
            Self::Policy(PolicyError::ZeroThreshold | PolicyError::ThresholdAboveCount { .. }) => {
                "manifest.trustees.threshold"
            }
            Self::Policy(PolicyError::TooManyTrustees { .. }) => "manifest.trustees.count",
            Self::SharedKey { .. } => "manifest.authorities",
            Self::InvalidUtf8 { field } => field,
            Self::Encoding(_) => "manifest",
        }
    }

    /// The narrowing documented on [`Manifest`]'s [`Wire::decode`].
    fn into_encoding_error(self) -> EncodingError {
        let field = self.field();
        let too_many = |count: usize, limit: usize| EncodingError::TooMany {
            field,
            count,
            limit,
        };
        match self {
            Self::Encoding(e) => e,
            Self::ElectionIdTooLong { len } | Self::NameTooLong { len, .. } => {
                too_many(len, MAX_NAME_LEN)
            }
            Self::TooManyContests { count } => too_many(count, MAX_CONTESTS),
            Self::TooManyOptions { count, .. } => too_many(count, MAX_OPTIONS),
            Self::TooManyChannels { count } => too_many(count, MAX_CHANNELS),
            Self::Policy(PolicyError::TooManyTrustees { count }) => {
                too_many(usize::from(count), usize::from(MAX_TRUSTEES))
            }
            Self::Policy(PolicyError::ThresholdAboveCount { threshold, count }) => {
                too_many(usize::from(threshold), usize::from(count))
            }
            other => EncodingError::Invalid {
                field,
                reason: other.to_string(),
            },
        }
    }
}

/// Deserializes an `Option` whose key must be present (`null` for `None`).
fn required_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Element>, D::Error> {
    Option::<Element>::deserialize(d)
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

fn check_election_id(id: &str) -> Result<(), ManifestError> {
    if id.is_empty() {
        return Err(ManifestError::EmptyElectionId);
    }
    if id.len() > MAX_NAME_LEN {
        return Err(ManifestError::ElectionIdTooLong { len: id.len() });
    }
    if let Some((position, c)) = id.char_indices().find(|&(_, c)| is_hidden(c)) {
        return Err(ManifestError::ElectionIdControlCharacter {
            position,
            code_point: u32::from(c),
        });
    }
    if id.trim() != id {
        return Err(ManifestError::ElectionIdWhitespace);
    }
    Ok(())
}

fn check_name(name: &str, site: NameSite) -> Result<(), ManifestError> {
    if name.is_empty() {
        return Err(ManifestError::EmptyName { site });
    }
    if name.len() > MAX_NAME_LEN {
        return Err(ManifestError::NameTooLong {
            site,
            len: name.len(),
        });
    }
    if let Some((position, c)) = name.char_indices().find(|&(_, c)| is_hidden(c)) {
        return Err(ManifestError::NameControlCharacter {
            site,
            position,
            code_point: u32::from(c),
        });
    }
    Ok(())
}

/// The indices of the first key that occurs twice, and of its second occurrence.
fn first_duplicate<K: Eq + Hash>(keys: impl IntoIterator<Item = K>) -> Option<(usize, usize)> {
    let mut seen = HashMap::new();
    for (i, key) in keys.into_iter().enumerate() {
        match seen.entry(key) {
            Entry::Occupied(first) => return Some((*first.get(), i)),
            Entry::Vacant(slot) => {
                slot.insert(i);
            }
        }
    }
    None
}

fn check_contests(contests: &[Contest]) -> Result<(), ManifestError> {
    if contests.is_empty() {
        return Err(ManifestError::NoContests);
    }
    if contests.len() > MAX_CONTESTS {
        return Err(ManifestError::TooManyContests {
            count: contests.len(),
        });
    }
    for (i, contest) in contests.iter().enumerate() {
        check_contest(i, contest)?;
    }
    match first_duplicate(contests.iter().map(|c| c.name.as_str())) {
        Some((first, second)) => Err(ManifestError::DuplicateContest {
            first,
            second,
            name: contests[second].name.clone(),
        }),
        None => Ok(()),
    }
}

fn check_contest(i: usize, contest: &Contest) -> Result<(), ManifestError> {
    check_name(&contest.name, NameSite::Contest { contest: i })?;
    check_options(i, contest)?;
    check_selections(i, contest)
}

/// Checks the number of options before looking at any of them.
fn check_options(i: usize, contest: &Contest) -> Result<(), ManifestError> {
    let options = &contest.options;
    if options.is_empty() {
        return Err(ManifestError::NoOptions {
            contest: i,
            name: contest.name.clone(),
        });
    }
    if options.len() > MAX_OPTIONS {
        return Err(ManifestError::TooManyOptions {
            contest: i,
            name: contest.name.clone(),
            count: options.len(),
        });
    }
    for (option, name) in options.iter().enumerate() {
        check_name(name, NameSite::Option { contest: i, option })?;
    }
    match first_duplicate(options.iter().map(String::as_str)) {
        Some((first, second)) => Err(ManifestError::DuplicateOption {
            contest: i,
            contest_name: contest.name.clone(),
            first,
            second,
            name: options[second].clone(),
        }),
        None => Ok(()),
    }
}

/// Checks that the selection ranges are non-empty, reachable, and provable with at most
/// [`MAX_BRANCHES`] branches each.
fn check_selections(i: usize, contest: &Contest) -> Result<(), ManifestError> {
    let name = || contest.name.clone();
    let (min, max, limit) = (
        contest.min_selections,
        contest.max_selections,
        contest.option_limit,
    );
    if limit == 0 {
        return Err(ManifestError::ZeroOptionLimit {
            contest: i,
            name: name(),
        });
    }
    if u64::from(limit) + 1 > MAX_BRANCHES as u64 {
        return Err(ManifestError::OptionLimitTooLarge {
            contest: i,
            name: name(),
            option_limit: limit,
        });
    }
    if min > max {
        return Err(ManifestError::MinAboveMax {
            contest: i,
            name: name(),
            min,
            max,
        });
    }
    let capacity = contest.options.len() as u64 * u64::from(limit);
    if u64::from(max) > capacity {
        return Err(ManifestError::MaxSelectionsUnreachable {
            contest: i,
            name: name(),
            max,
            capacity,
        });
    }
    if u64::from(max - min) + 1 > MAX_BRANCHES as u64 {
        return Err(ManifestError::SelectionRangeTooWide {
            contest: i,
            name: name(),
            min,
            max,
        });
    }
    Ok(())
}

fn check_channels(channels: &[Channel]) -> Result<(), ManifestError> {
    if channels.is_empty() {
        return Err(ManifestError::NoChannels);
    }
    if channels.len() > MAX_CHANNELS {
        return Err(ManifestError::TooManyChannels {
            count: channels.len(),
        });
    }
    for (channel, c) in channels.iter().enumerate() {
        check_name(&c.name, NameSite::Channel { channel })?;
    }
    if let Some((first, second)) = first_duplicate(channels.iter().map(|c| c.name.as_str())) {
        return Err(ManifestError::DuplicateChannel {
            first,
            second,
            name: channels[second].name.clone(),
        });
    }
    match first_duplicate(channels.iter().map(|c| c.rank)) {
        Some((first, second)) => Err(ManifestError::DuplicateRank {
            rank: channels[second].rank,
            first: channels[first].name.clone(),
            second: channels[second].name.clone(),
        }),
        None => Ok(()),
    }
}

/// The board, the administrator and every channel authority have pairwise distinct keys.
fn check_keys(channels: &[Channel], authorities: Authorities) -> Result<(), ManifestError> {
    let offices = [
        ("the board".to_owned(), authorities.board),
        ("the administrator".to_owned(), authorities.administrator),
    ]
    .into_iter()
    .chain(channels.iter().filter_map(|c| {
        c.authority
            .map(|key| (format!("channel {:?}'s authority", c.name), key))
    }));
    let offices: Vec<(String, Element)> = offices.collect();
    match first_duplicate(offices.iter().map(|(_, key)| key.to_bytes())) {
        Some((first, second)) => Err(ManifestError::SharedKey {
            first: offices[first].0.clone(),
            second: offices[second].0.clone(),
        }),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Binary encoding
// ---------------------------------------------------------------------------------------------

/// Writes the layout of the given parts. The parts of a valid manifest have every length and
/// count at most [`MAX_NAME_LEN`], so each fits its u16.
fn encode_parts(
    election_id: &str,
    contests: &[Contest],
    channels: &[Channel],
    trustees: PolicyParts,
    authorities: &Authorities,
) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    put_str(&mut out, election_id);
    put_len(&mut out, contests.len());
    for contest in contests {
        put_contest(&mut out, contest);
    }
    put_len(&mut out, channels.len());
    for channel in channels {
        put_channel(&mut out, channel);
    }
    out.extend_from_slice(&trustees.count.to_be_bytes());
    out.extend_from_slice(&trustees.threshold.to_be_bytes());
    out.extend_from_slice(authorities.board.as_bytes());
    out.extend_from_slice(authorities.administrator.as_bytes());
    out
}

/// Writes a length or count as u16; validation bounds every one by [`MAX_NAME_LEN`].
fn put_len(out: &mut Vec<u8>, len: usize) {
    debug_assert!(len <= usize::from(u16::MAX), "validated lengths fit a u16");
    out.extend_from_slice(&(len as u16).to_be_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn put_contest(out: &mut Vec<u8>, contest: &Contest) {
    put_str(out, &contest.name);
    put_len(out, contest.options.len());
    for option in &contest.options {
        put_str(out, option);
    }
    out.extend_from_slice(&contest.min_selections.to_be_bytes());
    out.extend_from_slice(&contest.max_selections.to_be_bytes());
    out.extend_from_slice(&contest.option_limit.to_be_bytes());
}

fn put_channel(out: &mut Vec<u8>, channel: &Channel) {
    put_str(out, &channel.name);
    out.push(channel.rank);
    out.push(channel.rule.to_byte());
    match &channel.authority {
        None => out.push(0),
        Some(key) => {
            out.push(1);
            out.extend_from_slice(key.as_bytes());
        }
    }
}

/// Parses the layout into unchecked parts: form only (magic, version, lengths, UTF-8, tags,
/// canonical points); every rule about meaning is left to [`Manifest::validate`].
fn parse(bytes: &[u8]) -> Result<ManifestUnchecked, ManifestError> {
    let mut r = Reader::new(bytes);
    if r.take(MAGIC.len(), "manifest.magic")? != MAGIC {
        return Err(EncodingError::WrongTag {
            field: "manifest.magic",
        }
        .into());
    }
    let version = r.u16("manifest.version")?;
    if version != PROTOCOL_VERSION {
        return Err(EncodingError::UnsupportedVersion {
            field: "manifest.version",
            found: version,
            supported: PROTOCOL_VERSION,
        }
        .into());
    }
    let election_id = read_str(&mut r, "manifest.election_id")?;
    let contests = read_list(&mut r, "manifest.contests", CONTEST_MIN_LEN, read_contest)?;
    let channels = read_list(&mut r, "manifest.channels", CHANNEL_MIN_LEN, read_channel)?;
    let trustees = PolicyParts {
        count: r.u16("manifest.trustees.count")?,
        threshold: r.u16("manifest.trustees.threshold")?,
    };
    let authorities = Authorities {
        board: r.element("manifest.authorities.board")?,
        administrator: r.element("manifest.authorities.administrator")?,
    };
    r.finish(Manifest::NAME)?;
    Ok(ManifestUnchecked {
        election_id,
        contests,
        channels,
        trustees,
        authorities,
    })
}

/// Reads a u16 count, refusing it if the bytes left cannot hold that many items of at least
/// `min_item_len` bytes, before anything is allocated for it.
fn read_count(
    r: &mut Reader<'_>,
    field: &'static str,
    min_item_len: usize,
) -> Result<usize, EncodingError> {
    let count = usize::from(r.u16(field)?);
    let needed = count * min_item_len;
    if needed > r.remaining() {
        return Err(EncodingError::Truncated {
            field,
            needed,
            remaining: r.remaining(),
        });
    }
    Ok(count)
}

/// Reads a count-prefixed list of items.
fn read_list<T>(
    r: &mut Reader<'_>,
    field: &'static str,
    min_item_len: usize,
    read_item: impl Fn(&mut Reader<'_>) -> Result<T, ManifestError>,
) -> Result<Vec<T>, ManifestError> {
    let count = read_count(r, field, min_item_len)?;
    let mut items = Vec::with_capacity(count);
    for _ in 0..count {
        items.push(read_item(r)?);
    }
    Ok(items)
}

fn read_str(r: &mut Reader<'_>, field: &'static str) -> Result<String, ManifestError> {
    let len = usize::from(r.u16(field)?);
    let bytes = r.take(len, field)?;
    let text = core::str::from_utf8(bytes).map_err(|_| ManifestError::InvalidUtf8 { field })?;
    Ok(text.to_owned())
}

fn read_u32(r: &mut Reader<'_>, field: &'static str) -> Result<u32, EncodingError> {
    let b = r.take(4, field)?;
    Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn read_contest(r: &mut Reader<'_>) -> Result<Contest, ManifestError> {
    let name = read_str(r, "manifest.contests.name")?;
    let options = read_list(r, "manifest.contests.options", OPTION_MIN_LEN, |r| {
        read_str(r, "manifest.contests.options")
    })?;
    Ok(Contest {
        name,
        options,
        min_selections: read_u32(r, "manifest.contests.min_selections")?,
        max_selections: read_u32(r, "manifest.contests.max_selections")?,
        option_limit: read_u32(r, "manifest.contests.option_limit")?,
    })
}

fn read_channel(r: &mut Reader<'_>) -> Result<Channel, ManifestError> {
    let name = read_str(r, "manifest.channels.name")?;
    let rank = r.u8("manifest.channels.rank")?;
    let rule =
        ChannelRule::from_byte(r.u8("manifest.channels.rule")?).ok_or(EncodingError::WrongTag {
            field: "manifest.channels.rule",
        })?;
    let authority = match r.u8("manifest.channels.authority")? {
        0 => None,
        1 => Some(r.element("manifest.channels.authority")?),
        _ => {
            return Err(EncodingError::WrongTag {
                field: "manifest.channels.authority",
            }
            .into());
        }
    };
    Ok(Channel {
        name,
        rank,
        rule,
        authority,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::RistrettoPoint;
    use curve25519_dalek::scalar::Scalar;
    use proptest::prelude::*;

    fn key(seed: u64) -> Element {
        Element::from_point_unchecked(RistrettoPoint::mul_base(&Scalar::from(seed)))
    }

    fn valid() -> ManifestUnchecked {
        let m = Manifest::leadership(Element::generator(), crate::testing::test_authorities(0))
            .unwrap();
        ManifestUnchecked {
            election_id: m.election_id,
            contests: m.contests,
            channels: m.channels,
            trustees: m.trustees.parts(),
            authorities: m.authorities,
        }
    }

    fn encode_unchecked(p: &ManifestUnchecked) -> Vec<u8> {
        encode_parts(
            &p.election_id,
            &p.contests,
            &p.channels,
            p.trustees,
            &p.authorities,
        )
    }

    /// Applies `tweak` to the valid leadership manifest and asserts that `Manifest::new`, JSON
    /// and the binary decoder all refuse it with `expected`: one set of checks on every path.
    fn assert_refused(tweak: impl FnOnce(&mut ManifestUnchecked), expected: ManifestError) {
        let mut parts = valid();
        tweak(&mut parts);
        let new = Manifest::try_from(parts.clone());
        assert_eq!(new, Err(expected.clone()));
        let json = serde_json::to_string(&parts).unwrap();
        let err = serde_json::from_str::<Manifest>(&json).unwrap_err();
        // JSON refuses an over-long list at the element past the limit, before decoding it.
        let bounded_in_json = matches!(
            expected,
            ManifestError::TooManyContests { .. }
                | ManifestError::TooManyOptions { .. }
                | ManifestError::TooManyChannels { .. }
        );
        if bounded_in_json {
            assert!(err.to_string().contains("exceeds the limit of"), "{err}");
        } else {
            assert_eq!(err.to_string(), expected.to_string());
        }
        let bytes = encode_unchecked(&parts);
        assert_eq!(Manifest::from_bytes(&bytes), Err(expected.clone()));
        assert_eq!(
            Manifest::decode(&bytes),
            Err(expected.into_encoding_error())
        );
    }

    fn leader() -> String {
        "leader".to_owned()
    }

    #[test]
    fn leadership_is_valid() {
        let m = Manifest::leadership(key(7), crate::testing::test_authorities(0)).unwrap();
        assert_eq!(
            Manifest::new(
                m.election_id().to_owned(),
                m.contests().to_vec(),
                m.channels().to_vec(),
                m.trustees(),
                m.authorities()
            ),
            Ok(m.clone())
        );
        let (online, postal) = (ChannelIndex::new(0), ChannelIndex::new(1));
        assert_eq!(m.channel_index("online"), Some(online));
        assert_eq!(m.channel_index("postal"), Some(postal));
        assert_eq!(m.channel_index("Postal"), None);
        assert_eq!(m.channel(postal).unwrap().authority, Some(key(7)));
        assert!(m.channel(ChannelIndex::new(2)).is_none());
        let indexed: Vec<_> = m
            .indexed_channels()
            .map(|(i, c)| (i, c.name.as_str()))
            .collect();
        assert_eq!(indexed, [(online, "online"), (postal, "postal")]);
        assert_eq!(m.contest(0).unwrap().options.len(), 2);
        assert!(m.contest(1).is_none());
    }

    #[test]
    fn leadership_round_trips_byte_identically() {
        let m = Manifest::leadership(key(7), crate::testing::test_authorities(0)).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        let from_json: Manifest = serde_json::from_str(&json).unwrap();
        assert_eq!(from_json, m);
        assert_eq!(serde_json::to_string(&from_json).unwrap(), json);
        let bytes = m.encode();
        let from_bytes = Manifest::decode(&bytes).unwrap();
        assert_eq!(from_bytes, m);
        assert_eq!(from_bytes.encode(), bytes);
        assert_eq!(from_bytes.digest(), m.digest());
    }

    /// Frozen encoding of `leadership(G)`: changing the layout must change this test on purpose.
    #[test]
    fn leadership_encoding_is_frozen() {
        let bytes = Manifest::leadership(Element::generator(), crate::testing::test_authorities(0))
            .unwrap()
            .encode();
        let expected = concat!(
            "4e564d",
            "0002",
            "001f",
            "756b2d636f6e7365727661746976652d6c6561646572736869702d32303232",
            "0001",
            "0006",
            "6c6561646572",
            "0002",
            "0009",
            "4c697a205472757373",
            "000b",
            "52697368692053756e616b",
            "00000001",
            "00000001",
            "00000001",
            "0002",
            "0006",
            "6f6e6c696e65",
            "01",
            "00",
            "00",
            "0006",
            "706f7374616c",
            "02",
            "01",
            "01",
            "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
            "0005",
            "0003",
            "54adec9f3f2ba9cbc60a12f08f00746823ed5ba4aef5b19e0a1a85c0928ffe32",
            "d651d973b703502c434ccfdbf9ab0d6e570dccb383d0edbde9d8d9c45fbb5226",
        );
        assert_eq!(hex::encode(bytes), expected);
    }

    #[test]
    fn ids_are_compared_strictly() {
        let digest = |id: &str| {
            Manifest::try_from(ManifestUnchecked {
                election_id: id.to_owned(),
                ..valid()
            })
            .unwrap()
            .digest()
        };
        assert_ne!(digest("a b"), digest("a  b"));
        // "é" precomposed (NFC) and decomposed (NFD).
        assert_ne!(digest("caf\u{e9}"), digest("cafe\u{301}"));
        assert_ne!(digest("A"), digest("a"));
    }

    // --- one test per check -----------------------------------------------------------------

    #[test]
    fn evil_empty_election_id() {
        assert_refused(|p| p.election_id.clear(), ManifestError::EmptyElectionId);
    }

    #[test]
    fn evil_long_election_id() {
        assert_refused(
            |p| p.election_id = "x".repeat(MAX_NAME_LEN + 1),
            ManifestError::ElectionIdTooLong {
                len: MAX_NAME_LEN + 1,
            },
        );
        let mut at_limit = valid();
        at_limit.election_id = "x".repeat(MAX_NAME_LEN);
        assert!(Manifest::try_from(at_limit).is_ok());
    }

    #[test]
    fn evil_control_character_in_election_id() {
        assert_refused(
            |p| p.election_id = "uk\u{0}2022".to_owned(),
            ManifestError::ElectionIdControlCharacter {
                position: 2,
                code_point: 0,
            },
        );
        assert_refused(
            |p| p.election_id = "uk-2022\n".to_owned(),
            ManifestError::ElectionIdControlCharacter {
                position: 7,
                code_point: 0x0a,
            },
        );
        // Format characters too: a right-to-left override, a zero-width space.
        assert_refused(
            |p| p.election_id = "uk\u{202e}2202".to_owned(),
            ManifestError::ElectionIdControlCharacter {
                position: 2,
                code_point: 0x202e,
            },
        );
        assert_refused(
            |p| p.election_id = "é\u{200b}".to_owned(),
            ManifestError::ElectionIdControlCharacter {
                position: 2,
                code_point: 0x200b,
            },
        );
    }

    /// Issue #22, finding 3: a name holding terminal escapes or bidirectional controls is
    /// refused wherever it sits, naming the site, the byte and the code point (never the name).
    #[test]
    fn evil_control_and_format_characters_in_names() {
        let option = NameSite::Option {
            contest: 0,
            option: 1,
        };
        for (name, position, code_point) in [
            ("Rishi\u{1b}[1A Sunak", 5, 0x1b),
            ("Rishi Sunak\r", 11, 0x0d),
            ("Rishi\u{9b}Sunak", 5, 0x9b),
            ("\u{202e}kanuS ihsiR", 0, 0x202e),
            ("Rishi\u{2066}Sunak", 5, 0x2066),
            ("Rishi\u{200f}", 5, 0x200f),
            ("Rishi\u{2028}Sunak", 5, 0x2028),
            ("Rishi\u{e0041}", 5, 0xe0041),
        ] {
            assert_refused(
                |p| p.contests[0].options[1] = name.to_owned(),
                ManifestError::NameControlCharacter {
                    site: option,
                    position,
                    code_point,
                },
            );
        }
        assert_refused(
            |p| p.contests[0].name = "leader\u{7f}".to_owned(),
            ManifestError::NameControlCharacter {
                site: NameSite::Contest { contest: 0 },
                position: 6,
                code_point: 0x7f,
            },
        );
        assert_refused(
            |p| p.channels[1].name = "post\u{61c}al".to_owned(),
            ManifestError::NameControlCharacter {
                site: NameSite::Channel { channel: 1 },
                position: 4,
                code_point: 0x61c,
            },
        );
        // The message names the code point, and holds no byte of the name.
        let error = Manifest::try_from(ManifestUnchecked {
            contests: vec![Contest {
                options: vec!["Liz Truss".into(), "\u{1b}[2J".into()],
                ..valid().contests[0].clone()
            }],
            ..valid()
        })
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "contest 0, option 1: control or format character U+001B at byte 0 of the name"
        );
        // Names in every script, with combining marks and non-breaking spaces, stay valid.
        let mut fine = valid();
        fine.contests[0].options = vec!["Liz\u{a0}Truss".into(), "Ri\u{301}shi سوناک 😀".into()];
        assert!(Manifest::try_from(fine).is_ok());
    }

    #[test]
    fn evil_whitespace_around_election_id() {
        for id in [" uk", "uk ", "uk\u{3000}", "\u{a0}uk"] {
            assert_refused(
                |p| p.election_id = id.to_owned(),
                ManifestError::ElectionIdWhitespace,
            );
        }
    }

    #[test]
    fn evil_empty_names() {
        assert_refused(
            |p| p.contests[0].name.clear(),
            ManifestError::EmptyName {
                site: NameSite::Contest { contest: 0 },
            },
        );
        assert_refused(
            |p| p.contests[0].options[1].clear(),
            ManifestError::EmptyName {
                site: NameSite::Option {
                    contest: 0,
                    option: 1,
                },
            },
        );
        assert_refused(
            |p| p.channels[1].name.clear(),
            ManifestError::EmptyName {
                site: NameSite::Channel { channel: 1 },
            },
        );
    }

    #[test]
    fn evil_long_names() {
        let long = "n".repeat(MAX_NAME_LEN + 1);
        let len = long.len();
        assert_refused(
            |p| p.contests[0].name = long.clone(),
            ManifestError::NameTooLong {
                site: NameSite::Contest { contest: 0 },
                len,
            },
        );
        assert_refused(
            |p| p.contests[0].options[0] = long.clone(),
            ManifestError::NameTooLong {
                site: NameSite::Option {
                    contest: 0,
                    option: 0,
                },
                len,
            },
        );
        assert_refused(
            |p| p.channels[0].name = long.clone(),
            ManifestError::NameTooLong {
                site: NameSite::Channel { channel: 0 },
                len,
            },
        );
    }

    #[test]
    fn evil_no_contests() {
        assert_refused(|p| p.contests.clear(), ManifestError::NoContests);
    }

    #[test]
    fn evil_too_many_contests() {
        assert_refused(
            |p| {
                let c = p.contests[0].clone();
                p.contests = (0..=MAX_CONTESTS)
                    .map(|i| Contest {
                        name: format!("c{i}"),
                        ..c.clone()
                    })
                    .collect();
            },
            ManifestError::TooManyContests {
                count: MAX_CONTESTS + 1,
            },
        );
    }

    #[test]
    fn evil_duplicate_contest() {
        assert_refused(
            |p| {
                let c = p.contests[0].clone();
                p.contests.push(c);
            },
            ManifestError::DuplicateContest {
                first: 0,
                second: 1,
                name: leader(),
            },
        );
    }

    #[test]
    fn evil_no_options() {
        assert_refused(
            |p| p.contests[0].options.clear(),
            ManifestError::NoOptions {
                contest: 0,
                name: leader(),
            },
        );
    }

    #[test]
    fn evil_too_many_options() {
        assert_refused(
            |p| p.contests[0].options = (0..=MAX_OPTIONS).map(|i| format!("o{i}")).collect(),
            ManifestError::TooManyOptions {
                contest: 0,
                name: leader(),
                count: MAX_OPTIONS + 1,
            },
        );
    }

    /// A million options are refused at the 65th, before it is decoded.
    #[test]
    fn evil_million_options_in_json() {
        let mut parts = valid();
        parts.contests[0].options = vec![String::new(); 1_000_000];
        let json = serde_json::to_string(&parts).unwrap();
        let err = serde_json::from_str::<Manifest>(&json).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("manifest.contests.options: 65 exceeds the limit of 64"),
            "{err}"
        );
    }

    #[test]
    fn evil_duplicate_option() {
        assert_refused(
            |p| p.contests[0].options[1] = "Liz Truss".to_owned(),
            ManifestError::DuplicateOption {
                contest: 0,
                contest_name: leader(),
                first: 0,
                second: 1,
                name: "Liz Truss".to_owned(),
            },
        );
    }

    #[test]
    fn evil_zero_option_limit() {
        assert_refused(
            |p| p.contests[0].option_limit = 0,
            ManifestError::ZeroOptionLimit {
                contest: 0,
                name: leader(),
            },
        );
    }

    #[test]
    fn evil_option_limit_too_large() {
        let limit = MAX_BRANCHES as u32;
        assert_refused(
            |p| p.contests[0].option_limit = limit,
            ManifestError::OptionLimitTooLarge {
                contest: 0,
                name: leader(),
                option_limit: limit,
            },
        );
        let mut at_limit = valid();
        at_limit.contests[0].option_limit = limit - 1;
        assert!(Manifest::try_from(at_limit).is_ok());
    }

    #[test]
    fn evil_min_above_max() {
        assert_refused(
            |p| p.contests[0].min_selections = 2,
            ManifestError::MinAboveMax {
                contest: 0,
                name: leader(),
                min: 2,
                max: 1,
            },
        );
    }

    #[test]
    fn evil_max_selections_unreachable() {
        assert_refused(
            |p| p.contests[0].max_selections = 3,
            ManifestError::MaxSelectionsUnreachable {
                contest: 0,
                name: leader(),
                max: 3,
                capacity: 2,
            },
        );
    }

    #[test]
    fn evil_selection_range_too_wide() {
        // 2 options × 255 = 510 reachable votes, but 0..=256 is 257 values.
        assert_refused(
            |p| {
                let c = &mut p.contests[0];
                c.option_limit = 255;
                c.min_selections = 0;
                c.max_selections = 256;
            },
            ManifestError::SelectionRangeTooWide {
                contest: 0,
                name: leader(),
                min: 0,
                max: 256,
            },
        );
        let mut at_limit = valid();
        at_limit.contests[0].option_limit = 255;
        at_limit.contests[0].min_selections = 1;
        at_limit.contests[0].max_selections = 256;
        assert!(Manifest::try_from(at_limit).is_ok());
    }

    #[test]
    fn evil_no_channels() {
        assert_refused(|p| p.channels.clear(), ManifestError::NoChannels);
    }

    #[test]
    fn evil_too_many_channels() {
        assert_refused(
            |p| {
                p.channels = (0..=MAX_CHANNELS as u8)
                    .map(|i| Channel {
                        name: format!("ch{i}"),
                        rank: i,
                        rule: ChannelRule::RejectSecond,
                        authority: None,
                    })
                    .collect();
            },
            ManifestError::TooManyChannels {
                count: MAX_CHANNELS + 1,
            },
        );
    }

    #[test]
    fn evil_duplicate_channel() {
        assert_refused(
            |p| p.channels[1].name = "online".to_owned(),
            ManifestError::DuplicateChannel {
                first: 0,
                second: 1,
                name: "online".to_owned(),
            },
        );
    }

    #[test]
    fn evil_duplicate_rank() {
        assert_refused(
            |p| p.channels[1].rank = 1,
            ManifestError::DuplicateRank {
                rank: 1,
                first: "online".to_owned(),
                second: "postal".to_owned(),
            },
        );
    }

    #[test]
    fn evil_zero_threshold() {
        assert_refused(
            |p| p.trustees.threshold = 0,
            ManifestError::Policy(PolicyError::ZeroThreshold),
        );
    }

    #[test]
    fn evil_threshold_above_count() {
        assert_refused(
            |p| p.trustees.threshold = 6,
            ManifestError::Policy(PolicyError::ThresholdAboveCount {
                threshold: 6,
                count: 5,
            }),
        );
    }

    #[test]
    fn evil_too_many_trustees() {
        assert_refused(
            |p| p.trustees.count = MAX_TRUSTEES + 1,
            ManifestError::Policy(PolicyError::TooManyTrustees {
                count: MAX_TRUSTEES + 1,
            }),
        );
    }

    // --- JSON -------------------------------------------------------------------------------

    fn leadership_json() -> serde_json::Value {
        serde_json::to_value(
            Manifest::leadership(key(7), crate::testing::test_authorities(0)).unwrap(),
        )
        .unwrap()
    }

    fn refused(value: &serde_json::Value) -> String {
        serde_json::from_value::<Manifest>(value.clone())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn json_unknown_keys_are_refused() {
        let mut v = leadership_json();
        v["policy"] = serde_json::json!(1);
        assert!(refused(&v).contains("unknown field"));
        let mut v = leadership_json();
        v["contests"][0]["weight"] = serde_json::json!(1);
        assert!(refused(&v).contains("unknown field"));
        let mut v = leadership_json();
        v["channels"][1]["closes"] = serde_json::json!("never");
        assert!(refused(&v).contains("unknown field"));
        let mut v = leadership_json();
        v["trustees"]["quorum"] = serde_json::json!(2);
        assert!(refused(&v).contains("unknown field"));
    }

    #[test]
    fn json_missing_keys_are_refused() {
        let mut v = leadership_json();
        v.as_object_mut().unwrap().remove("trustees");
        assert!(refused(&v).contains("missing field"));
        let mut v = leadership_json();
        v["contests"][0]
            .as_object_mut()
            .unwrap()
            .remove("option_limit");
        assert!(refused(&v).contains("missing field"));
        // A missing authority must not silently mean "no countersignature".
        let mut v = leadership_json();
        v["channels"][1]
            .as_object_mut()
            .unwrap()
            .remove("authority");
        assert!(refused(&v).contains("missing field `authority`"));
    }

    #[test]
    fn json_duplicate_keys_are_refused() {
        let json = serde_json::to_string(
            &Manifest::leadership(key(7), crate::testing::test_authorities(0)).unwrap(),
        )
        .unwrap();
        let doubled = json.replacen(
            "{\"election_id\":",
            "{\"election_id\":\"other\",\"election_id\":",
            1,
        );
        assert_ne!(doubled, json);
        let err = serde_json::from_str::<Manifest>(&doubled).unwrap_err();
        assert!(err.to_string().contains("duplicate field"), "{err}");
        let doubled_rank = json.replacen("\"rank\":2", "\"rank\":2,\"rank\":3", 1);
        assert_ne!(doubled_rank, json);
        assert!(serde_json::from_str::<Manifest>(&doubled_rank).is_err());
    }

    #[test]
    fn json_bad_values_are_refused() {
        let mut v = leadership_json();
        v["channels"][0]["rule"] = serde_json::json!("LastWins");
        assert!(refused(&v).contains("unknown variant"));
        let mut v = leadership_json();
        v["channels"][0]["authority"] = serde_json::json!(hex::encode([0u8; 32]));
        assert!(refused(&v).contains("identity"));
        let v = leadership_json();
        assert_eq!(v["channels"][0]["rule"], "last_wins");
        assert_eq!(v["channels"][1]["rule"], "first_wins");
        assert_eq!(v["channels"][0]["authority"], serde_json::Value::Null);
    }

    // --- binary -----------------------------------------------------------------------------

    fn leadership_bytes() -> Vec<u8> {
        Manifest::leadership(key(7), crate::testing::test_authorities(0))
            .unwrap()
            .encode()
    }

    #[test]
    fn binary_trailing_bytes_are_refused() {
        let mut bytes = leadership_bytes();
        bytes.push(0);
        assert_eq!(
            Manifest::decode(&bytes),
            Err(EncodingError::TrailingBytes {
                field: "manifest",
                count: 1
            })
        );
    }

    #[test]
    fn binary_wrong_version_and_magic_are_refused() {
        let mut bytes = leadership_bytes();
        bytes[3..5].copy_from_slice(&3u16.to_be_bytes());
        assert_eq!(
            Manifest::decode(&bytes),
            Err(EncodingError::UnsupportedVersion {
                field: "manifest.version",
                found: 3,
                supported: PROTOCOL_VERSION
            })
        );
        let mut bytes = leadership_bytes();
        bytes[0] = b'X';
        assert_eq!(
            Manifest::decode(&bytes),
            Err(EncodingError::WrongTag {
                field: "manifest.magic"
            })
        );
    }

    #[test]
    fn binary_truncations_are_refused() {
        let bytes = leadership_bytes();
        for len in 0..bytes.len() {
            let err = Manifest::from_bytes(&bytes[..len]).unwrap_err();
            assert!(
                matches!(
                    err,
                    ManifestError::Encoding(EncodingError::Truncated { .. })
                ),
                "prefix of {len} bytes: {err}"
            );
        }
    }

    #[test]
    fn binary_huge_counts_are_refused_before_allocation() {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
        bytes.extend_from_slice(&[0, 1, b'e']);
        let mut contests = bytes.clone();
        contests.extend_from_slice(&[0xff, 0xff]);
        assert_eq!(
            Manifest::from_bytes(&contests),
            Err(ManifestError::Encoding(EncodingError::Truncated {
                field: "manifest.contests",
                needed: 0xffff * CONTEST_MIN_LEN,
                remaining: 0
            }))
        );
        let mut options = bytes.clone();
        // One contest named "c" claiming 65535 options, then 12 bytes: room for the contest,
        // not for its options.
        options.extend_from_slice(&[0, 1, 0, 1, b'c', 0xff, 0xff]);
        options.extend_from_slice(&[0; 12]);
        assert!(matches!(
            Manifest::from_bytes(&options),
            Err(ManifestError::Encoding(EncodingError::Truncated {
                field: "manifest.contests.options",
                ..
            }))
        ));
        let mut long_string = bytes;
        long_string.truncate(long_string.len() - 3);
        long_string.extend_from_slice(&[0xff, 0xff, b'e']);
        assert!(matches!(
            Manifest::from_bytes(&long_string),
            Err(ManifestError::Encoding(EncodingError::Truncated {
                field: "manifest.election_id",
                needed: 0xffff,
                remaining: 1
            }))
        ));
    }

    #[test]
    fn binary_bad_utf8_tags_and_points_are_refused() {
        let bytes = leadership_bytes();
        let id_start = MAGIC.len() + 2 + 2;
        let mut bad_utf8 = bytes.clone();
        bad_utf8[id_start] = 0xff;
        assert_eq!(
            Manifest::from_bytes(&bad_utf8),
            Err(ManifestError::InvalidUtf8 {
                field: "manifest.election_id"
            })
        );
        // The last channel's authority flag sits before its key (32), the trustee policy (4) and
        // the two keys of the authorities (64).
        let flag = bytes.len() - 64 - 4 - 32 - 1;
        let rule = flag - 1;
        let mut bad_rule = bytes.clone();
        bad_rule[rule] = 3;
        assert_eq!(
            Manifest::decode(&bad_rule),
            Err(EncodingError::WrongTag {
                field: "manifest.channels.rule"
            })
        );
        let mut bad_flag = bytes.clone();
        bad_flag[flag] = 2;
        assert_eq!(
            Manifest::decode(&bad_flag),
            Err(EncodingError::WrongTag {
                field: "manifest.channels.authority"
            })
        );
        let mut identity = bytes;
        identity[flag + 1..flag + 33].fill(0);
        assert_eq!(
            Manifest::decode(&identity),
            Err(EncodingError::IdentityPoint {
                field: "manifest.channels.authority"
            })
        );
    }

    /// The authorities' keys are read canonically: the identity is refused for each.
    #[test]
    fn binary_authority_keys_are_not_the_identity() {
        let bytes = leadership_bytes();
        let end = bytes.len();
        for (start, field) in [
            (end - 64, "manifest.authorities.board"),
            (end - 32, "manifest.authorities.administrator"),
        ] {
            let mut identity = bytes.clone();
            identity[start..start + 32].fill(0);
            assert_eq!(
                Manifest::decode(&identity),
                Err(EncodingError::IdentityPoint { field })
            );
        }
        // Cut short by one byte: truncated in the administrator's key.
        assert!(Manifest::decode(&bytes[..end - 1]).is_err());
    }

    /// Each office has its own key (the board, the administrator, every channel authority),
    /// whatever the way in.
    #[test]
    fn offices_have_their_own_keys() {
        let intake = key(7);
        let a = crate::testing::test_authorities(0);
        let postal = "channel \"postal\"'s authority";
        for (authorities, first, second) in [
            (
                Authorities {
                    board: a.administrator,
                    ..a
                },
                "the board",
                "the administrator",
            ),
            (Authorities { board: intake, ..a }, "the board", postal),
            (
                Authorities {
                    administrator: intake,
                    ..a
                },
                "the administrator",
                postal,
            ),
        ] {
            let expected = ManifestError::SharedKey {
                first: first.into(),
                second: second.into(),
            };
            assert_eq!(
                Manifest::leadership(intake, authorities),
                Err(expected.clone())
            );
            let mut json = serde_json::to_value(Manifest::leadership(intake, a).unwrap()).unwrap();
            json["authorities"] = serde_json::to_value(authorities).unwrap();
            let error = serde_json::from_value::<Manifest>(json).unwrap_err();
            assert!(error.to_string().contains(&expected.to_string()), "{error}");
        }
        // The authorities are required in JSON.
        let mut json = serde_json::to_value(Manifest::leadership(intake, a).unwrap()).unwrap();
        json.as_object_mut().unwrap().remove("authorities");
        assert!(serde_json::from_value::<Manifest>(json).is_err());
    }

    #[test]
    fn binary_semantic_errors_narrow_to_encoding_errors() {
        assert_eq!(
            ManifestError::Policy(PolicyError::ThresholdAboveCount {
                threshold: 6,
                count: 5
            })
            .into_encoding_error(),
            EncodingError::TooMany {
                field: "manifest.trustees.threshold",
                count: 6,
                limit: 5
            }
        );
        assert_eq!(
            ManifestError::DuplicateRank {
                rank: 1,
                first: "a".into(),
                second: "b".into()
            }
            .into_encoding_error(),
            EncodingError::Invalid {
                field: "manifest.channels.rank",
                reason: "channels \"a\" and \"b\" both have rank 1".into()
            }
        );
    }

    // --- properties -------------------------------------------------------------------------

    fn arb_rule() -> impl Strategy<Value = ChannelRule> {
        prop_oneof![
            Just(ChannelRule::LastWins),
            Just(ChannelRule::FirstWins),
            Just(ChannelRule::RejectSecond),
        ]
    }

    /// Names made unique by an index prefix that contains no `-`.
    fn arb_names(prefix: &'static str, n: usize) -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec("[^\\p{C}\\p{Zl}\\p{Zp}]{0,20}", n).prop_map(move |tails| {
            tails
                .into_iter()
                .enumerate()
                .map(|(i, tail)| format!("{prefix}{i}-{tail}"))
                .collect()
        })
    }

    fn arb_contest(name: String) -> impl Strategy<Value = Contest> {
        (1usize..=8, 1u32..=4)
            .prop_flat_map(|(n, limit)| {
                let capacity = n as u32 * limit;
                (arb_names("o", n), Just(limit), 0..=capacity, 0..=capacity)
            })
            .prop_map(move |(options, option_limit, a, b)| Contest {
                name: name.clone(),
                options,
                min_selections: a.min(b),
                max_selections: a.max(b),
                option_limit,
            })
    }

    fn arb_contests() -> impl Strategy<Value = Vec<Contest>> {
        (1usize..=4)
            .prop_flat_map(|n| arb_names("c", n))
            .prop_flat_map(|names| names.into_iter().map(arb_contest).collect::<Vec<_>>())
    }

    fn arb_channels() -> impl Strategy<Value = Vec<Channel>> {
        (1usize..=MAX_CHANNELS)
            .prop_flat_map(|n| {
                let ranks = proptest::sample::subsequence((0..=255u8).collect::<Vec<_>>(), n)
                    .prop_shuffle();
                let rules = proptest::collection::vec(arb_rule(), n);
                let keys = proptest::collection::vec(proptest::option::of(1u64..), n);
                (arb_names("ch", n), ranks, rules, keys)
            })
            .prop_map(|(names, ranks, rules, keys)| {
                names
                    .into_iter()
                    .zip(ranks)
                    .zip(rules)
                    .zip(keys)
                    .map(|(((name, rank), rule), k)| Channel {
                        name,
                        rank,
                        rule,
                        authority: k.map(key),
                    })
                    .collect()
            })
    }

    fn arb_trustees() -> impl Strategy<Value = TrusteePolicy> {
        (1u16..=MAX_TRUSTEES).prop_flat_map(|count| {
            (1..=count).prop_map(move |threshold| TrusteePolicy::new(threshold, count).unwrap())
        })
    }

    fn arb_manifest() -> impl Strategy<Value = Manifest> {
        let id = "[a-z0-9]([^\\p{C}\\p{Zl}\\p{Zp}]{0,40}[a-z0-9])?"
            .prop_filter("no surrounding whitespace", |s: &String| s.trim() == s);
        (id, arb_contests(), arb_channels(), arb_trustees()).prop_map(
            |(id, contests, channels, trustees)| {
                Manifest::new(
                    id,
                    contests,
                    channels,
                    trustees,
                    crate::testing::test_authorities(0),
                )
                .expect("strategy yields valid")
            },
        )
    }

    proptest! {
        #[test]
        fn valid_manifests_round_trip(m in arb_manifest()) {
            let bytes = m.encode();
            let from_bytes = Manifest::decode(&bytes).unwrap();
            prop_assert_eq!(&from_bytes, &m);
            prop_assert_eq!(from_bytes.encode(), bytes);
            let json = serde_json::to_string(&m).unwrap();
            let from_json: Manifest = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&from_json, &m);
            prop_assert_eq!(serde_json::to_string(&from_json).unwrap(), json);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            if let Ok(m) = Manifest::decode(&bytes) {
                prop_assert_eq!(m.encode(), bytes);
            }
        }

        #[test]
        fn whatever_decodes_reencodes_identically(
            m in arb_manifest(),
            i in any::<prop::sample::Index>(),
            mask in 1u8..,
        ) {
            let mut bytes = m.encode();
            let i = i.index(bytes.len());
            bytes[i] ^= mask;
            if let Ok(back) = Manifest::decode(&bytes) {
                prop_assert_eq!(back.encode(), bytes);
            }
        }
    }
}
