//! Voter credentials: the secret code a member holds, the credential secret `x` derived from it,
//! the public credential `X = x·G`, and the roll that publishes every `X`.
//!
//! | type | symbol | secret or published |
//! | --- | --- | --- |
//! | [`CredentialCode`] | the typed or printed code | secret, held by the member |
//! | [`CredentialSecret`] | `x = H(election, code) mod ℓ` | secret, derived on the member's device |
//! | [`PublicCredential`] | `X = x·G` | published on the roll |
//! | [`Roll`] | `(X₀, …, X_{n−1})` | published, part of the base hash |
//!
//! # The code
//!
//! A code is 28 symbols `c₀ … c₂₇` of 5 bits, written with the Crockford base-32 alphabet
//! [`ALPHABET`] (`0123456789ABCDEFGHJKMNPQRSTVWXYZ`: no `I`, `L`, `O` or `U`). The first 26 are
//! data (130 bits of entropy); the last two are check symbols chosen so that, in GF(2⁵) built with
//! the modulus `x⁵ + x² + 1` and its primitive element `α = x`,
//!
//! ```text
//! Σ_{i=0}^{27} αⁱ·cᵢ = 0    and    Σ_{i=0}^{27} α²ⁱ·cᵢ = 0.
//! ```
//!
//! These are the two parity checks of a Reed-Solomon code with roots `α` and `α²` (length 28 ≤ 31,
//! the order of `α`). Its minimum distance is 3, so every error touching one or two symbols has
//! a non-zero syndrome and is detected. In particular every single wrong symbol and every swap of
//! two neighbouring symbols (check symbols included) is detected: a swap of `cᵢ ≠ cᵢ₊₁` adds
//! `δ = cᵢ + cᵢ₊₁` at positions `i` and `i + 1`, whose first syndrome is `δ·αⁱ·(1 + α) ≠ 0`.
//!
//! A code is displayed as 7 groups of 4 symbols separated by `-`, such as
//! `7K3M-0QZ4-H8JD-RT2X-5BWN-G9EA-FP1C` (not a valid code: its check symbols are made up).
//!
//! # Timing
//!
//! Symbol decoding, formatting, the GF(2⁵) arithmetic of the checks and the derivation of `x` and
//! `X` do not branch on or index by the code's symbols. What is visible: the length of the text,
//! where its separators are, and the outcome (valid, malformed, or failing its check).

use core::fmt;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use sha2::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256, Sha512};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::codec::{Reader, Wire, wire_serde};
use crate::error::EncodingError;
use crate::group::{ELEMENT_LEN, Element};
use crate::secret::SecretScalar;
use crate::transcript::PROTOCOL_VERSION;

pub use crate::digest::RollDigest;
pub use crate::transcript::CREDENTIAL_TAG;

/// The Crockford base-32 alphabet: symbol value `v` is written `ALPHABET[v]`.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Number of data symbols in a code (5 bits each: 130 bits of entropy).
pub const DATA_SYMBOLS: usize = 26;

/// Number of symbols in a code: the data symbols and two check symbols.
pub const CODE_SYMBOLS: usize = DATA_SYMBOLS + 2;

/// Symbols per displayed group.
const GROUP: usize = 4;

/// Length of the displayed form: 7 groups of 4 and 6 dashes.
const DISPLAY_LEN: usize = CODE_SYMBOLS + CODE_SYMBOLS / GROUP - 1;

/// The largest number of entries of a [`Roll`].
pub const MAX_ROLL: usize = 10_000_000;

/// Why a typed credential code was refused.
///
/// Both variants are deliberately empty: the text was a secret (or a mistyped secret), so neither
/// the message nor `Debug` repeats any of it, nor says which symbol was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// Not 28 symbols of the code alphabet (after removing dashes and white space).
    #[error("the credential code is malformed: it must be 28 characters of the code alphabet")]
    Malformed,
    /// 28 valid symbols whose check symbols do not match: a typing mistake.
    #[error("the credential code does not pass its check: it was mistyped")]
    CheckFailed,
}

// ---------------------------------------------------------------------------------------------
// GF(2⁵) with modulus x⁵ + x² + 1, constant time.

/// The low bits of the modulus `x⁵ + x² + 1`.
const GF_REDUCE: u8 = 0b0_0101;

/// Multiplication in GF(2⁵), without branches or table lookups on its inputs.
const fn gf_mul(a: u8, b: u8) -> u8 {
    let mut a = a & 0x1f;
    let mut product = 0u8;
    let mut i = 0;
    while i < 5 {
        product ^= a & 0u8.wrapping_sub((b >> i) & 1);
        let carry = 0u8.wrapping_sub((a >> 4) & 1);
        a = ((a << 1) & 0x1f) ^ (carry & GF_REDUCE);
        i += 1;
    }
    product
}

/// `a^e` in GF(2⁵) (compile-time constants only).
const fn gf_pow(a: u8, mut e: u32) -> u8 {
    let mut result = 1u8;
    let mut base = a;
    while e > 0 {
        if e & 1 == 1 {
            result = gf_mul(result, base);
        }
        base = gf_mul(base, base);
        e >>= 1;
    }
    result
}

/// `1 / a` in GF(2⁵) for `a ≠ 0`: `a³⁰`, since the multiplicative group has order 31.
const fn gf_inv(a: u8) -> u8 {
    gf_pow(a, 30)
}

/// The primitive element `α = x`.
const ALPHA: u8 = 0b0_0010;

/// `POW[k] = αᵏ` for `k` in `0..31`.
const POW: [u8; 31] = {
    let mut table = [0u8; 31];
    let mut k = 0;
    while k < 31 {
        table[k] = gf_pow(ALPHA, k as u32);
        k += 1;
    }
    table
};

/// `α^(k mod 31)`.
const fn alpha_pow(k: usize) -> u8 {
    POW[k % 31]
}

/// The two syndromes `(Σ αⁱ·cᵢ, Σ α²ⁱ·cᵢ)` of a word of up to 28 symbols.
fn syndromes(symbols: &[u8]) -> (u8, u8) {
    let mut s1 = 0u8;
    let mut s2 = 0u8;
    for (i, &c) in symbols.iter().enumerate() {
        s1 ^= gf_mul(alpha_pow(i), c);
        s2 ^= gf_mul(alpha_pow(2 * i), c);
    }
    (s1, s2)
}

/// Coefficients of the check symbols `p = c₂₆` and `q = c₂₇` as functions of the data syndromes
/// `S₁ = Σ_{i<26} αⁱ·cᵢ` and `S₂ = Σ_{i<26} α²ⁱ·cᵢ`. The checks require
/// `α²⁶·p + α²⁷·q = S₁` and `α⁵²·p + α⁵⁴·q = S₂`; by Cramer's rule, with
/// `D = α⁸⁰ + α⁷⁹ = α⁷⁹·(1 + α) ≠ 0`: `p = (α⁵⁴·S₁ + α²⁷·S₂) / D`, `q = (α⁵²·S₁ + α²⁶·S₂) / D`.
const CHECK_COEFFS: [[u8; 2]; 2] = {
    let p = DATA_SYMBOLS;
    let q = DATA_SYMBOLS + 1;
    let det = alpha_pow(p + 2 * q) ^ alpha_pow(q + 2 * p);
    let inv = gf_inv(det);
    [
        [gf_mul(alpha_pow(2 * q), inv), gf_mul(alpha_pow(q), inv)],
        [gf_mul(alpha_pow(2 * p), inv), gf_mul(alpha_pow(p), inv)],
    ]
};

/// The two check symbols of 26 data symbols.
fn check_symbols(data: &[u8; DATA_SYMBOLS]) -> [u8; 2] {
    let (s1, s2) = syndromes(data);
    let [[a, b], [c, d]] = CHECK_COEFFS;
    [gf_mul(a, s1) ^ gf_mul(b, s2), gf_mul(c, s1) ^ gf_mul(d, s2)]
}

// ---------------------------------------------------------------------------------------------
// Symbols and characters, constant time.

/// The character of a symbol value (`0..32`), by scanning the whole alphabet.
fn symbol_char(value: u8) -> u8 {
    let mut ch = 0u8;
    for (v, &a) in (0u8..).zip(ALPHABET.iter()) {
        ch.conditional_assign(&a, value.ct_eq(&v));
    }
    ch
}

/// The value of a typed character (either case; `O` reads as `0`, `I` and `L` as `1`), and
/// whether it is one, by scanning the whole alphabet.
fn char_symbol(ch: u8) -> (u8, Choice) {
    let mut value = 0u8;
    let mut valid = Choice::from(0);
    for (v, &a) in (0u8..).zip(ALPHABET.iter()) {
        let hit = ch.ct_eq(&a) | ch.ct_eq(&a.to_ascii_lowercase());
        value.conditional_assign(&v, hit);
        valid |= hit;
    }
    for (a, v) in [(b'O', 0u8), (b'I', 1), (b'L', 1)] {
        let hit = ch.ct_eq(&a) | ch.ct_eq(&a.to_ascii_lowercase());
        value.conditional_assign(&v, hit);
        valid |= hit;
    }
    (value, valid)
}

// ---------------------------------------------------------------------------------------------

/// A member's secret credential code: what they type online, or what is printed in their postal
/// pack.
///
/// 26 random data symbols (130 bits) and 2 check symbols (see the [module docs](self) for the
/// check equations), displayed as `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX` in the alphabet
/// [`ALPHABET`].
///
/// Secret: wiped on drop, neither `Clone` nor `Copy`, prints as `<redacted>`, no serde. Compare
/// two codes with [`ConstantTimeEq`] (on the 26 data symbols).
#[derive(ZeroizeOnDrop)]
pub struct CredentialCode {
    /// The symbol values `c₀ … c₂₇`, each in `0..32`.
    symbols: [u8; CODE_SYMBOLS],
    /// The display form; allocated with its exact capacity, so it is never reallocated.
    text: String,
}

impl CredentialCode {
    /// Draws a fresh code: 26 uniform data symbols from `rng`, then the check symbols.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut data = Zeroizing::new([0u8; DATA_SYMBOLS]);
        rng.fill_bytes(&mut data[..]);
        for b in data.iter_mut() {
            // 32 divides 256, so the low five bits of a uniform byte are uniform.
            *b &= 0x1f;
        }
        Self::from_data(&data)
    }

    /// Parses a typed code.
    ///
    /// Case-insensitive; dashes and ASCII white space anywhere are ignored; `O` is read as `0`
    /// and `I`, `L` as `1` (Crockford's look-alikes). The result is the same code however it was
    /// typed.
    ///
    /// # Errors
    /// [`CredentialError::Malformed`] unless exactly 28 characters of the alphabet remain,
    /// [`CredentialError::CheckFailed`] if they do not satisfy the check equations. Neither
    /// error carries any of the text.
    pub fn parse(text: &str) -> Result<Self, CredentialError> {
        let mut typed = Zeroizing::new([0u8; CODE_SYMBOLS]);
        let mut n = 0usize;
        for &b in text.as_bytes() {
            if b == b'-' || b.is_ascii_whitespace() {
                continue;
            }
            if n == CODE_SYMBOLS {
                return Err(CredentialError::Malformed);
            }
            typed[n] = b;
            n += 1;
        }
        if n != CODE_SYMBOLS {
            return Err(CredentialError::Malformed);
        }
        let mut symbols = Zeroizing::new([0u8; CODE_SYMBOLS]);
        let mut valid = Choice::from(1);
        for (s, &ch) in symbols.iter_mut().zip(typed.iter()) {
            let (value, ok) = char_symbol(ch);
            *s = value;
            valid &= ok;
        }
        if !bool::from(valid) {
            return Err(CredentialError::Malformed);
        }
        let (s1, s2) = syndromes(&symbols[..]);
        if !bool::from(s1.ct_eq(&0) & s2.ct_eq(&0)) {
            return Err(CredentialError::CheckFailed);
        }
        let mut data = Zeroizing::new([0u8; DATA_SYMBOLS]);
        data.copy_from_slice(&symbols[..DATA_SYMBOLS]);
        Ok(Self::from_data(&data))
    }

    /// Builds the code of 26 data symbols (each already in `0..32`).
    fn from_data(data: &[u8; DATA_SYMBOLS]) -> Self {
        let mut symbols = [0u8; CODE_SYMBOLS];
        symbols[..DATA_SYMBOLS].copy_from_slice(data);
        symbols[DATA_SYMBOLS..].copy_from_slice(&check_symbols(data));
        let mut text = String::with_capacity(DISPLAY_LEN);
        for (i, &s) in symbols.iter().enumerate() {
            if i > 0 && i % GROUP == 0 {
                text.push('-');
            }
            text.push(char::from(symbol_char(s)));
        }
        debug_assert_eq!(text.len(), DISPLAY_LEN);
        Self { symbols, text }
    }

    /// The display form, `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX` in upper case: for printing the
    /// postal pack or showing the code to its member, and nothing else.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The 26 data symbol values, the input of the derivation of `x`.
    fn data(&self) -> &[u8] {
        &self.symbols[..DATA_SYMBOLS]
    }
}

impl ConstantTimeEq for CredentialCode {
    /// Equal if the 26 data symbols are (the check symbols follow from them).
    fn ct_eq(&self, other: &Self) -> Choice {
        self.data().ct_eq(other.data())
    }
}

impl fmt::Debug for CredentialCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialCode(<redacted>)")
    }
}

/// A member's credential secret `x` in one election.
///
/// ```text
/// x = SHA-512( len(tag) ‖ tag ‖ len(E) ‖ E ‖ c₀ ‖ … ‖ c₂₅ ) mod ℓ
/// ```
///
/// where `tag` is [`CREDENTIAL_TAG`], `E` the election identifier's UTF-8 bytes, lengths are
/// 8-byte big-endian, and each data symbol `cᵢ` of the code is one byte (its value, `0..32`). The
/// 64-byte digest is reduced with `Scalar::from_bytes_mod_order_wide`, so `x` is uniform up to a
/// bias of 2⁻²⁵⁹. The identifier is used byte for byte: ids differing in white space or Unicode
/// form give unrelated secrets (strict ids).
///
/// Secret: wiped on drop, not `Clone`, prints as `<redacted>`, no serde. (The internal state of
/// the SHA-512 computation cannot be wiped: `sha2` 0.10 offers no zeroizing; the digest is.)
pub struct CredentialSecret(SecretScalar);

impl CredentialSecret {
    /// Derives `x` from `code` for the election `election_id` (constant time in the code).
    pub fn derive(code: &CredentialCode, election_id: &str) -> Self {
        let mut hasher = Sha512::new();
        hasher.update((CREDENTIAL_TAG.len() as u64).to_be_bytes());
        hasher.update(CREDENTIAL_TAG);
        hasher.update((election_id.len() as u64).to_be_bytes());
        hasher.update(election_id.as_bytes());
        hasher.update(code.data());
        let mut wide = Zeroizing::new([0u8; 64]);
        hasher.finalize_into(GenericArray::from_mut_slice(&mut wide[..]));
        Self(SecretScalar::new(Scalar::from_bytes_mod_order_wide(&wide)))
    }

    /// The scalar `x`, for arithmetic. Callers must not branch on it or index with it.
    pub fn expose(&self) -> &Scalar {
        self.0.expose()
    }

    /// The public credential `X = x·G`, with the constant-time fixed-base table.
    pub fn public(&self) -> PublicCredential {
        let point = RISTRETTO_BASEPOINT_TABLE * self.expose();
        // x is the output of a hash reduced mod ℓ: it is 0, and X the identity, with
        // probability 2⁻²⁵².
        PublicCredential(Element::from_point_unchecked(point))
    }
}

impl ZeroizeOnDrop for CredentialSecret {}

impl fmt::Debug for CredentialSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialSecret(<redacted>)")
    }
}

/// A public credential `X = x·G`: one entry of the [`Roll`]. Published.
///
/// # Layout
///
/// 32 bytes: the canonical ristretto255 encoding of `X`, never the identity. In JSON, 64
/// lowercase hex characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicCredential(Element);

impl PublicCredential {
    /// Wraps a group element (already known not to be the identity).
    pub fn new(element: Element) -> Self {
        Self(element)
    }

    /// `X` as a group element.
    pub fn element(&self) -> &Element {
        &self.0
    }
}

impl Wire for PublicCredential {
    const NAME: &'static str = "public_credential";
    const MAX_LEN: usize = 32;

    fn encode(&self) -> Vec<u8> {
        self.0.to_bytes().to_vec()
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        Element::decode_as(bytes, Self::NAME).map(Self)
    }
}

wire_serde!(PublicCredential);
crate::codec::wire_bytes!(PublicCredential);

/// Why a roll was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RollError {
    /// Two entries are the same public credential (compared on all 32 bytes).
    #[error("roll entries {first} and {second} are the same public credential")]
    Duplicate {
        /// The index of the first occurrence.
        first: u32,
        /// The index of the repeat.
        second: u32,
    },
    /// More entries than [`MAX_ROLL`].
    #[error("the roll has {count} entries, more than the limit of {limit}")]
    TooMany {
        /// The number of entries.
        count: usize,
        /// [`MAX_ROLL`].
        limit: usize,
    },
    /// An entry that is not a canonical, non-identity ristretto255 encoding.
    #[error("roll entry {index}: {source}")]
    Entry {
        /// The index of the entry.
        index: u32,
        /// What was wrong with it.
        source: EncodingError,
    },
    /// A malformed header, a wrong length or trailing bytes.
    #[error(transparent)]
    Encoding(#[from] EncodingError),
}

/// The published roll: the public credential of every member, in the registrar's order.
///
/// Every entry is distinct and none is the identity (an [`Element`] never is). An entry's index
/// is its position. Part of the election's base hash through [`Roll::digest`].
///
/// # Layout
///
/// ```text
/// "NVR"          3 bytes, ASCII
/// version        2 bytes, u16 big-endian: crate::transcript::PROTOCOL_VERSION
/// count          4 bytes, u32 big-endian: the number of entries n, at most MAX_ROLL
/// entries        n × 32 bytes: X₀ ‖ … ‖ X_{n−1}, each a canonical ristretto255 encoding
/// ```
///
/// Nothing may follow. [`Roll::from_bytes`] is the only decoder and refuses, in this order: a
/// wrong magic, an unknown version, a count above [`MAX_ROLL`], fewer than `32·n` bytes left (all
/// before allocating anything), a bad entry (naming its index), trailing bytes, and a duplicate
/// (naming both indices, through [`Roll::new`]).
///
/// In JSON, a roll is an array of entries, each 64 lowercase hex characters; deserializing goes
/// through [`Roll::new`] and so makes the same checks.
///
/// `Roll` does not implement [`Wire`]: its decoder must report a duplicate with both indices,
/// which [`EncodingError`] cannot express. Its codec is [`Roll::to_bytes`]/[`Roll::from_bytes`],
/// whose [`RollError`] wraps any [`EncodingError`].
#[derive(Clone, serde::Deserialize)]
#[serde(try_from = "Vec<EncodedEntry>")]
pub struct Roll {
    entries: Vec<PublicCredential>,
    index: HashMap<[u8; ELEMENT_LEN], u32>,
}

impl Roll {
    /// The magic at the start of an encoded roll.
    pub const MAGIC: &'static [u8; 3] = b"NVR";

    /// Length of the header: magic, version, count.
    pub const HEADER_LEN: usize = 3 + 2 + 4;

    /// Checks and indexes a list of public credentials.
    ///
    /// # Errors
    /// [`RollError::TooMany`] above [`MAX_ROLL`] entries; [`RollError::Duplicate`] naming the
    /// first two indices that hold the same credential.
    pub fn new(entries: Vec<PublicCredential>) -> Result<Self, RollError> {
        check_count(entries.len())?;
        let mut index = HashMap::with_capacity(entries.len());
        for (i, entry) in (0u32..).zip(entries.iter()) {
            match index.entry(entry.element().to_bytes()) {
                Entry::Occupied(first) => {
                    return Err(RollError::Duplicate {
                        first: *first.get(),
                        second: i,
                    });
                }
                Entry::Vacant(slot) => {
                    slot.insert(i);
                }
            }
        }
        Ok(Self { entries, index })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the roll has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry at index `i`.
    pub fn get(&self, i: u32) -> Option<&PublicCredential> {
        self.entries.get(usize::try_from(i).ok()?)
    }

    /// The index of `credential`, if it is on the roll (one hash-map lookup).
    pub fn position(&self, credential: &PublicCredential) -> Option<u32> {
        self.index.get(credential.element().as_bytes()).copied()
    }

    /// All entries, in order.
    pub fn entries(&self) -> &[PublicCredential] {
        &self.entries
    }

    /// `SHA-256(to_bytes())`: the roll's contribution to the base hash.
    pub fn digest(&self) -> RollDigest {
        let mut h = Sha256::new();
        h.update(self.header());
        for entry in &self.entries {
            h.update(entry.element().as_bytes());
        }
        RollDigest(h.finalize().into())
    }

    /// The canonical encoding (see [Layout](Roll#layout)).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::HEADER_LEN + ELEMENT_LEN * self.entries.len());
        out.extend_from_slice(&self.header());
        for entry in &self.entries {
            out.extend_from_slice(entry.element().as_bytes());
        }
        out
    }

    /// Decodes the canonical encoding (see [Layout](Roll#layout)).
    ///
    /// # Errors
    /// [`RollError::Encoding`] for a wrong magic ([`EncodingError::WrongTag`]), an unknown
    /// version, a short input or trailing bytes; [`RollError::TooMany`]; [`RollError::Entry`] for
    /// a non-canonical or identity entry; [`RollError::Duplicate`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RollError> {
        let mut r = Reader::new(bytes);
        if r.take(Self::MAGIC.len(), "roll.magic")? != Self::MAGIC {
            return Err(EncodingError::WrongTag { field: "roll" }.into());
        }
        let version = r.u16("roll.version")?;
        if version != PROTOCOL_VERSION {
            return Err(EncodingError::UnsupportedVersion {
                field: "roll",
                found: version,
                supported: PROTOCOL_VERSION,
            }
            .into());
        }
        let count = r.take(4, "roll.count")?;
        let count = u32::from_be_bytes([count[0], count[1], count[2], count[3]]);
        // Bounded by MAX_ROLL, so the product below fits any usize of 32 bits or more.
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        check_count(count)?;
        // The whole body must be present before anything is allocated for it.
        let body = r.take(count * ELEMENT_LEN, "roll.entries")?;
        r.finish("roll")?;
        Self::new(decode_entries(body.chunks_exact(ELEMENT_LEN).collect())?)
    }

    /// The 9-byte header of the encoding.
    fn header(&self) -> [u8; Self::HEADER_LEN] {
        let mut out = [0u8; Self::HEADER_LEN];
        out[..3].copy_from_slice(Self::MAGIC);
        out[3..5].copy_from_slice(&PROTOCOL_VERSION.to_be_bytes());
        // A roll never has more than MAX_ROLL < 2³² entries.
        let count = u32::try_from(self.entries.len()).expect("a roll has at most MAX_ROLL entries");
        out[5..].copy_from_slice(&count.to_be_bytes());
        out
    }
}

/// Refuses more than [`MAX_ROLL`] entries.
fn check_count(count: usize) -> Result<(), RollError> {
    if count > MAX_ROLL {
        return Err(RollError::TooMany {
            count,
            limit: MAX_ROLL,
        });
    }
    Ok(())
}

/// Decodes roll entries on every core (a roll of 160,000 members is 160,000 decompressions),
/// naming the first bad entry in order whatever the threads.
fn decode_entries(encodings: Vec<&[u8]>) -> Result<Vec<PublicCredential>, RollError> {
    use rayon::prelude::*;
    let decoded: Vec<Result<PublicCredential, RollError>> = encodings
        .par_iter()
        .enumerate()
        .map(|(index, bytes)| {
            Element::decode_as(bytes, "roll.entry")
                .map(PublicCredential)
                .map_err(|source| RollError::Entry {
                    // At most MAX_ROLL < 2³² entries.
                    index: u32::try_from(index).unwrap_or(u32::MAX),
                    source,
                })
        })
        .collect();
    decoded.into_iter().collect()
}

/// A roll entry as read from JSON: 32 bytes, not yet decompressed (the roll decompresses all
/// of them on every core).
struct EncodedEntry([u8; ELEMENT_LEN]);

impl Wire for EncodedEntry {
    const NAME: &'static str = "public_credential";
    const MAX_LEN: usize = ELEMENT_LEN;

    fn encode(&self) -> Vec<u8> {
        self.0.to_vec()
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        bytes
            .try_into()
            .map(Self)
            .map_err(|_| EncodingError::WrongLength {
                field: Self::NAME,
                expected: ELEMENT_LEN,
                actual: bytes.len(),
            })
    }
}

wire_serde!(EncodedEntry);

impl TryFrom<Vec<EncodedEntry>> for Roll {
    type Error = RollError;

    fn try_from(entries: Vec<EncodedEntry>) -> Result<Self, RollError> {
        check_count(entries.len())?;
        Self::new(decode_entries(entries.iter().map(|e| &e.0[..]).collect())?)
    }
}

impl From<Roll> for Vec<PublicCredential> {
    fn from(roll: Roll) -> Self {
        roll.entries
    }
}

impl serde::Serialize for Roll {
    /// A JSON array of the entries' hex encodings (serialized in place, without a copy).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(&self.entries)
    }
}

impl PartialEq for Roll {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl Eq for Roll {}

impl fmt::Debug for Roll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Roll")
            .field("len", &self.entries.len())
            .field("digest", &hex::encode(self.digest()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::test_rng;
    use curve25519_dalek::ristretto::RistrettoPoint;
    use curve25519_dalek::traits::Identity;
    use proptest::prelude::*;

    fn codes(n: usize, seed: u64) -> Vec<CredentialCode> {
        let mut rng = test_rng(seed);
        (0..n).map(|_| CredentialCode::generate(&mut rng)).collect()
    }

    fn credential(seed: u64) -> PublicCredential {
        let code = CredentialCode::generate(&mut test_rng(seed));
        CredentialSecret::derive(&code, "election").public()
    }

    /// The symbols of a code's display form, without dashes.
    fn typed_symbols(code: &CredentialCode) -> Vec<u8> {
        code.expose().bytes().filter(|&b| b != b'-').collect()
    }

    /// Formats 28 characters in groups of 4.
    fn grouped(chars: &[u8]) -> String {
        chars
            .chunks(GROUP)
            .map(|g| core::str::from_utf8(g).unwrap())
            .collect::<Vec<_>>()
            .join("-")
    }

    #[test]
    fn gf_arithmetic_is_a_field_and_alpha_is_primitive() {
        for a in 1u8..32 {
            assert_eq!(gf_mul(a, gf_inv(a)), 1, "inverse of {a}");
            assert_eq!(gf_mul(a, 1), a);
            assert_eq!(gf_mul(a, 0), 0);
            for b in 1u8..32 {
                assert_eq!(gf_mul(a, b), gf_mul(b, a));
                assert_ne!(gf_mul(a, b), 0);
            }
        }
        let mut seen = [false; 32];
        for &p in &POW {
            assert!(!seen[usize::from(p)], "α has order below 31");
            seen[usize::from(p)] = true;
        }
        assert_eq!(gf_pow(ALPHA, 31), 1);
        // α⁵ = α² + 1 (the modulus).
        assert_eq!(POW[5], POW[2] ^ 1);
    }

    #[test]
    fn generated_codes_pass_their_checks_and_look_right() {
        for code in codes(50, 1) {
            assert_eq!(syndromes(&code.symbols), (0, 0));
            let text = code.expose();
            assert_eq!(text.len(), DISPLAY_LEN);
            let groups: Vec<&str> = text.split('-').collect();
            assert_eq!(groups.len(), 7);
            assert!(groups.iter().all(|g| g.len() == 4));
            assert!(text.bytes().all(|b| b == b'-' || ALPHABET.contains(&b)));
            let back = CredentialCode::parse(text).unwrap();
            assert!(bool::from(back.ct_eq(&code)));
            assert_eq!(back.expose(), text);
        }
    }

    /// The check code is linear, so whether an error is detected depends only on the error, not
    /// on the code it hits: `syndromes(c + e) = syndromes(e)` for a valid `c`. These two tests
    /// therefore prove detection for every code, over all positions and values.
    #[test]
    fn every_error_of_one_or_two_symbols_has_a_nonzero_syndrome() {
        for i in 0..CODE_SYMBOLS {
            for d in 1u8..32 {
                let mut e = [0u8; CODE_SYMBOLS];
                e[i] = d;
                assert_ne!(syndromes(&e), (0, 0), "substitution at {i} by +{d}");
                // An adjacent swap of cᵢ ≠ cᵢ₊₁ is the error δ at i and i + 1.
                if i + 1 < CODE_SYMBOLS {
                    e[i + 1] = d;
                    assert_ne!(syndromes(&e), (0, 0), "swap at {i} with δ = {d}");
                }
            }
        }
        // Indeed any two wrong symbols are detected (minimum distance 3).
        for i in 0..CODE_SYMBOLS {
            for j in i + 1..CODE_SYMBOLS {
                for di in 1u8..32 {
                    for dj in 1u8..32 {
                        let mut e = [0u8; CODE_SYMBOLS];
                        e[i] = di;
                        e[j] = dj;
                        assert_ne!(syndromes(&e), (0, 0), "errors at {i}, {j}");
                    }
                }
            }
        }
    }

    /// The same, through `parse`, on random codes: every single wrong symbol at every position
    /// (including the check symbols) and every adjacent swap is refused as `CheckFailed`.
    #[test]
    fn parse_detects_every_substitution_and_adjacent_swap() {
        for code in codes(12, 2) {
            let typed = typed_symbols(&code);
            for i in 0..CODE_SYMBOLS {
                for &wrong in ALPHABET.iter() {
                    if wrong == typed[i] {
                        continue;
                    }
                    let mut changed = typed.clone();
                    changed[i] = wrong;
                    assert_eq!(
                        CredentialCode::parse(&grouped(&changed)).unwrap_err(),
                        CredentialError::CheckFailed,
                        "substitution at {i}"
                    );
                }
                if i + 1 < CODE_SYMBOLS && typed[i] != typed[i + 1] {
                    let mut swapped = typed.clone();
                    swapped.swap(i, i + 1);
                    assert_eq!(
                        CredentialCode::parse(&grouped(&swapped)).unwrap_err(),
                        CredentialError::CheckFailed,
                        "swap at {i}"
                    );
                }
            }
        }
    }

    #[test]
    fn parse_is_lenient_in_form_and_gives_the_same_secret() {
        let mut rng = test_rng(3);
        // Find codes with a 0 and a 1 in them to exercise the look-alikes.
        let code = loop {
            let c = CredentialCode::generate(&mut rng);
            if c.expose().contains('0') && c.expose().contains('1') {
                break c;
            }
        };
        let text = code.expose().to_string();
        let x = CredentialSecret::derive(&code, "e").public();
        let variants = [
            text.to_lowercase(),
            text.replace('-', ""),
            text.replace('-', " "),
            format!("  {}\n", text.replace('-', "").to_lowercase()),
            text.replace('0', "O").replace('1', "I"),
            text.replace('0', "o").replace('1', "l"),
            text.replace('1', "L"),
            text.replace('-', "").replace('1', "i"),
        ];
        for v in &variants {
            let parsed = CredentialCode::parse(v).unwrap();
            assert!(bool::from(parsed.ct_eq(&code)), "{v}");
            assert_eq!(parsed.expose(), text);
            assert_eq!(CredentialSecret::derive(&parsed, "e").public(), x);
        }
    }

    #[test]
    fn malformed_text_is_refused() {
        let code = CredentialCode::generate(&mut test_rng(4));
        let text = code.expose();
        let compact: String = text.replace('-', "");
        for bad in [
            String::new(),
            compact[..27].to_string(),
            format!("{compact}0"),
            format!("{}U", &compact[..27]),
            format!("{}*", &compact[..27]),
            format!("{}é", &compact[..26]),
            format!("{}_{}", &compact[..14], &compact[14..]),
        ] {
            assert_eq!(
                CredentialCode::parse(&bad).unwrap_err(),
                CredentialError::Malformed,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn errors_and_debug_print_nothing_secret() {
        let code = CredentialCode::generate(&mut test_rng(5));
        let text = code.expose().to_string();
        let secret = CredentialSecret::derive(&code, "e");
        let groups: Vec<&str> = text.split('-').collect();
        let mut printed = vec![format!("{code:?}"), format!("{secret:?}")];

        let mut typo = typed_symbols(&code);
        typo[7] = if typo[7] == b'A' { b'B' } else { b'A' };
        let typo = grouped(&typo);
        let err = CredentialCode::parse(&typo).unwrap_err();
        assert_eq!(err, CredentialError::CheckFailed);
        printed.push(err.to_string());
        printed.push(format!("{err:?}"));
        let err = CredentialCode::parse(&format!("{text}-X")).unwrap_err();
        assert_eq!(err, CredentialError::Malformed);
        printed.push(err.to_string());
        printed.push(format!("{err:?}"));

        let scalar_hex = hex::encode(secret.expose().as_bytes());
        for p in &printed {
            for g in groups
                .iter()
                .chain(typo.split('-').collect::<Vec<_>>().iter())
            {
                assert!(!p.contains(g), "{p:?} contains {g}");
            }
            assert!(!p.contains(&scalar_hex));
            assert!(!p.contains(&scalar_hex[..8]));
        }
        assert!(printed[0].contains("redacted"));
        assert!(printed[1].contains("redacted"));
    }

    #[test]
    fn derivation_follows_the_formula() {
        let code = CredentialCode::generate(&mut test_rng(6));
        let data: Vec<u8> = typed_symbols(&code)[..DATA_SYMBOLS]
            .iter()
            .map(|&c| ALPHABET.iter().position(|&a| a == c).unwrap() as u8)
            .collect();
        let mut h = Sha512::new();
        h.update(22u64.to_be_bytes());
        h.update(b"nullivote/1/credential");
        h.update(9u64.to_be_bytes());
        h.update(b"board-7/x");
        h.update(&data);
        let expected = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let secret = CredentialSecret::derive(&code, "board-7/x");
        assert_eq!(*secret.expose(), expected);
        assert_eq!(
            *secret.public().element().point(),
            RistrettoPoint::mul_base(&expected)
        );
    }

    #[test]
    fn derivation_separates_elections_and_codes() {
        let cs = codes(3, 7);
        let x = |c: &CredentialCode, e: &str| CredentialSecret::derive(c, e).public();
        assert_ne!(x(&cs[0], "a b"), x(&cs[0], "a  b"));
        assert_ne!(x(&cs[0], "a b"), x(&cs[0], "a b "));
        // "é" precomposed and decomposed.
        assert_ne!(x(&cs[0], "caf\u{e9}"), x(&cs[0], "cafe\u{301}"));
        assert_ne!(x(&cs[0], "a b"), x(&cs[1], "a b"));
        assert_ne!(x(&cs[1], "a b"), x(&cs[2], "a b"));
        let s0 = CredentialSecret::derive(&cs[0], "a b");
        let s1 = CredentialSecret::derive(&cs[0], "a  b");
        assert!(!bool::from(s0.0.ct_eq(&s1.0)));
    }

    #[test]
    fn the_same_code_and_election_give_identical_bytes() {
        let code = CredentialCode::generate(&mut test_rng(8));
        let first = CredentialSecret::derive(&code, "E").public().encode();
        for _ in 0..5 {
            let again = CredentialCode::parse(&code.expose().to_lowercase()).unwrap();
            assert_eq!(
                CredentialSecret::derive(&again, "E").public().encode(),
                first
            );
        }
    }

    #[test]
    fn codes_compare_in_constant_time_on_their_data() {
        let cs = codes(2, 9);
        let again = CredentialCode::parse(cs[0].expose()).unwrap();
        assert!(bool::from(cs[0].ct_eq(&again)));
        assert!(!bool::from(cs[0].ct_eq(&cs[1])));
    }

    #[test]
    fn public_credential_codec_refuses_identity_and_non_canonical() {
        let x = credential(10);
        assert_eq!(PublicCredential::decode(&x.encode()).unwrap(), x);
        let json = serde_json::to_string(&x).unwrap();
        assert_eq!(json, format!("\"{}\"", hex::encode(x.element().as_bytes())));
        assert_eq!(serde_json::from_str::<PublicCredential>(&json).unwrap(), x);
        let identity = RistrettoPoint::identity().compress().to_bytes();
        assert_eq!(
            PublicCredential::decode(&identity),
            Err(EncodingError::IdentityPoint {
                field: "public_credential"
            })
        );
        assert!(
            serde_json::from_str::<PublicCredential>(&format!("\"{}\"", hex::encode(identity)))
                .is_err()
        );
    }

    fn roll_of(n: u64) -> Roll {
        Roll::new((0..n).map(|i| credential(1000 + i)).collect()).unwrap()
    }

    #[test]
    fn roll_indexes_its_entries() {
        let roll = roll_of(5);
        assert_eq!(roll.len(), 5);
        assert!(!roll.is_empty());
        for (i, e) in (0u32..).zip(roll.entries()) {
            assert_eq!(roll.position(e), Some(i));
            assert_eq!(roll.get(i), Some(e));
        }
        assert_eq!(roll.get(5), None);
        assert_eq!(roll.position(&credential(1)), None);
        let empty = Roll::new(Vec::new()).unwrap();
        assert!(empty.is_empty());
        assert_eq!(Roll::from_bytes(&empty.to_bytes()).unwrap(), empty);
    }

    #[test]
    fn roll_with_a_duplicate_is_refused_naming_both_indices() {
        let mut entries: Vec<PublicCredential> = roll_of(4).entries().to_vec();
        entries.push(entries[1]);
        let expected = RollError::Duplicate {
            first: 1,
            second: 4,
        };
        assert_eq!(Roll::new(entries.clone()).unwrap_err(), expected);
        assert!(expected.to_string().contains('1') && expected.to_string().contains('4'));

        // The same check through the binary codec and through JSON.
        let mut bytes = roll_of(4).to_bytes();
        bytes[5..9].copy_from_slice(&5u32.to_be_bytes());
        bytes.extend_from_slice(entries[1].element().as_bytes());
        assert_eq!(Roll::from_bytes(&bytes).unwrap_err(), expected);
        let json = serde_json::to_string(&entries).unwrap();
        let err = serde_json::from_str::<Roll>(&json).unwrap_err().to_string();
        assert!(err.contains("roll entries 1 and 4"), "{err}");
    }

    #[test]
    fn roll_decoding_refuses_identity_and_non_canonical_entries() {
        let roll = roll_of(3);
        let bad_entries: [(&str, [u8; 32]); 3] = [
            ("identity", [0u8; 32]),
            // RFC 9496 §A.2: a negative field element, and p itself (non-canonical).
            ("negative", {
                let mut b = [0u8; 32];
                b[0] = 1;
                b
            }),
            ("p", {
                let mut b = [0xffu8; 32];
                b[0] = 0xed;
                b[31] = 0x7f;
                b
            }),
        ];
        for (name, bad) in bad_entries {
            let mut bytes = roll.to_bytes();
            let at = Roll::HEADER_LEN + 32;
            bytes[at..at + 32].copy_from_slice(&bad);
            let err = Roll::from_bytes(&bytes).unwrap_err();
            let expected_source = if name == "identity" {
                EncodingError::IdentityPoint {
                    field: "roll.entry",
                }
            } else {
                EncodingError::NonCanonicalPoint {
                    field: "roll.entry",
                }
            };
            assert_eq!(
                err,
                RollError::Entry {
                    index: 1,
                    source: expected_source
                },
                "{name}"
            );
            // And through JSON.
            let mut json: Vec<String> = roll
                .entries()
                .iter()
                .map(|e| hex::encode(e.encode()))
                .collect();
            json[1] = hex::encode(bad);
            assert!(serde_json::from_str::<Roll>(&serde_json::to_string(&json).unwrap()).is_err());
        }
    }

    #[test]
    fn roll_decoding_refuses_bad_headers_lengths_and_counts_before_allocating() {
        let roll = roll_of(2);
        let good = roll.to_bytes();
        assert_eq!(&good[..9], b"NVR\x00\x02\x00\x00\x00\x02");

        let mut wrong_magic = good.clone();
        wrong_magic[0] = b'X';
        assert_eq!(
            Roll::from_bytes(&wrong_magic).unwrap_err(),
            RollError::Encoding(EncodingError::WrongTag { field: "roll" })
        );
        let mut wrong_version = good.clone();
        wrong_version[4] = 3;
        assert_eq!(
            Roll::from_bytes(&wrong_version).unwrap_err(),
            RollError::Encoding(EncodingError::UnsupportedVersion {
                field: "roll",
                found: 3,
                supported: 2
            })
        );
        // A huge count with no body: refused from the header alone.
        let mut huge = good[..5].to_vec();
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            Roll::from_bytes(&huge).unwrap_err(),
            RollError::TooMany {
                count: u32::MAX as usize,
                limit: MAX_ROLL
            }
        );
        let mut over = good[..5].to_vec();
        over.extend_from_slice(&(MAX_ROLL as u32 + 1).to_be_bytes());
        assert!(matches!(
            Roll::from_bytes(&over),
            Err(RollError::TooMany { .. })
        ));
        // A count within the limit but larger than the input.
        let mut short = good.clone();
        short[5..9].copy_from_slice(&(MAX_ROLL as u32).to_be_bytes());
        assert_eq!(
            Roll::from_bytes(&short).unwrap_err(),
            RollError::Encoding(EncodingError::Truncated {
                field: "roll.entries",
                needed: MAX_ROLL * 32,
                remaining: 64
            })
        );
        assert!(matches!(
            Roll::from_bytes(&good[..good.len() - 1]),
            Err(RollError::Encoding(EncodingError::Truncated { .. }))
        ));
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(
            Roll::from_bytes(&trailing).unwrap_err(),
            RollError::Encoding(EncodingError::TrailingBytes {
                field: "roll",
                count: 1
            })
        );
        for n in 0..Roll::HEADER_LEN {
            assert!(matches!(
                Roll::from_bytes(&good[..n]),
                Err(RollError::Encoding(EncodingError::Truncated { .. }))
            ));
        }
    }

    #[test]
    fn roll_digest_is_sha256_of_the_encoding() {
        let roll = roll_of(3);
        let expected: [u8; 32] = Sha256::digest(roll.to_bytes()).into();
        assert_eq!(roll.digest(), RollDigest(expected));
        assert_ne!(roll_of(2).digest(), RollDigest(expected));
    }

    proptest! {
        #[test]
        fn roll_round_trips(seeds in proptest::collection::vec(any::<[u8; 32]>(), 0..24)) {
            let entries: Vec<PublicCredential> = seeds
                .iter()
                .map(|s| {
                    let x = Scalar::from_bytes_mod_order(*s) + Scalar::ONE;
                    PublicCredential::new(Element::from_point_unchecked(RistrettoPoint::mul_base(&x)))
                })
                .collect();
            let roll = match Roll::new(entries.clone()) {
                Ok(roll) => roll,
                Err(RollError::Duplicate { .. }) => return Ok(()),
                Err(e) => panic!("{e}"),
            };
            let bytes = roll.to_bytes();
            prop_assert_eq!(bytes.len(), Roll::HEADER_LEN + 32 * entries.len());
            let back = Roll::from_bytes(&bytes).unwrap();
            prop_assert_eq!(&back, &roll);
            prop_assert_eq!(back.to_bytes(), bytes.clone());
            prop_assert_eq!(back.digest(), roll.digest());
            let json = serde_json::to_string(&roll).unwrap();
            prop_assert_eq!(&json, &serde_json::to_string(&entries).unwrap());
            let from_json: Roll = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&from_json, &roll);
            for (i, e) in (0u32..).zip(entries.iter()) {
                prop_assert_eq!(from_json.position(e), Some(i));
            }
            prop_assert_eq!(Vec::<PublicCredential>::from(roll), entries);
        }

        #[test]
        fn whatever_decodes_reencodes_identically(body in proptest::collection::vec(any::<[u8; 32]>(), 0..6)) {
            let mut bytes = b"NVR\x00\x01".to_vec();
            bytes.extend_from_slice(&(body.len() as u32).to_be_bytes());
            for b in &body {
                bytes.extend_from_slice(b);
            }
            if let Ok(roll) = Roll::from_bytes(&bytes) {
                prop_assert_eq!(roll.to_bytes(), bytes);
            }
        }

        #[test]
        fn any_single_substitution_is_caught(seed in any::<u64>(), pos in 0..CODE_SYMBOLS, delta in 1u8..32) {
            let code = CredentialCode::generate(&mut test_rng(seed));
            let mut typed = typed_symbols(&code);
            let value = ALPHABET.iter().position(|&a| a == typed[pos]).unwrap() as u8;
            typed[pos] = ALPHABET[usize::from(value ^ delta)];
            prop_assert_eq!(
                CredentialCode::parse(core::str::from_utf8(&typed).unwrap()).unwrap_err(),
                CredentialError::CheckFailed
            );
        }
    }
}
