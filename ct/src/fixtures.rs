//! Small elections built with nullivote's public API only.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::scalar::Scalar;
use nullivote::Election;
use nullivote::Element;
use nullivote::credential::{CredentialCode, CredentialSecret, Roll};
use nullivote::hazmat::ElectionKey;
use nullivote::hazmat::SecretScalar;
use nullivote::manifest::{Authorities, Channel, ChannelRule, Contest, Manifest, TrusteePolicy};
use nullivote::trustee::CeremonyDigest;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};

use crate::vg;

/// A deterministic RNG whose output is public (setting up statements, keys that are not the
/// secret under test).
pub fn public_rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// An RNG whose every output byte is marked secret (undefined) before the caller sees it: the OS
/// randomness that merlin's `TranscriptRng` mixes into every nonce, and the randomness of key and
/// code generation. Outside valgrind it is a plain ChaCha20.
pub struct PoisonRng(ChaCha20Rng);

impl PoisonRng {
    /// Seeded deterministically (reproducible runs).
    pub fn new(seed: u64) -> Self {
        Self(ChaCha20Rng::seed_from_u64(seed))
    }
}

impl RngCore for PoisonRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest);
        vg::poison_raw(dest.as_ptr(), dest.len());
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for PoisonRng {}

/// A uniformly random scalar from a public RNG.
pub fn scalar(rng: &mut impl RngCore) -> Scalar {
    let mut wide = [0u8; 64];
    rng.fill_bytes(&mut wide);
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// `s·G` as an element.
pub fn element(s: &Scalar) -> Element {
    Element::from_point(RISTRETTO_BASEPOINT_TABLE * s).expect("non-zero scalar")
}

/// The board's and the administrator's keys of the manifests here: public keys of fixed
/// secrets, which are not under test where these manifests are used (the harness's board
/// signatures use keys of their own).
pub fn authorities() -> Authorities {
    Authorities {
        board: element(&Scalar::from(0xb0a4d_u64)),
        administrator: element(&Scalar::from(0xad31_u64)),
    }
}

/// The leadership manifest (one 0/1 contest, exactly one selection; online and countersigned
/// postal channels; 5 trustees, threshold 3) with the given postal authority.
pub fn leadership(authority: &SecretScalar) -> Manifest {
    Manifest::leadership(element(authority.expose()), authorities()).expect("distinct keys")
}

/// Two contests: the leadership one (0/1 per option, exactly one), and one where each of three
/// options takes `0..=3` votes and the contest `0..=6`, so that `prepare` proves ranges of 2, 4
/// and 7 values.
pub fn two_contests(authority: &SecretScalar) -> Manifest {
    Manifest::new(
        "ct-two-contests",
        vec![
            Contest {
                name: "leader".to_owned(),
                options: vec!["a".to_owned(), "b".to_owned()],
                min_selections: 1,
                max_selections: 1,
                option_limit: 1,
            },
            Contest {
                name: "points".to_owned(),
                options: vec!["x".to_owned(), "y".to_owned(), "z".to_owned()],
                min_selections: 0,
                max_selections: 6,
                option_limit: 3,
            },
        ],
        vec![
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
                authority: Some(element(authority.expose())),
            },
        ],
        TrusteePolicy::new(3, 5).expect("3 of 5"),
        authorities(),
    )
    .expect("valid manifest")
}

/// One voter, the election key `x·G` for a public `x` (so the harness can decrypt its outputs),
/// and an election over `manifest` with that voter on the roll.
pub struct Voter {
    /// The voter's code, in display form.
    pub code: String,
    /// The election.
    pub election: Election,
    /// The election key's secret (public to the harness; not under test here).
    pub key_secret: Scalar,
}

/// Builds the election of one voter whose code is drawn from `seed`.
pub fn voter(manifest: Manifest, seed: u64) -> Voter {
    let mut rng = public_rng(seed);
    let code = CredentialCode::generate(&mut rng);
    let secret = CredentialSecret::derive(&code, manifest.election_id());
    let roll = Roll::new(vec![secret.public()]).expect("roll");
    let key_secret = scalar(&mut rng);
    let key = ElectionKey::new(element(&key_secret));
    let election = Election::new(manifest, key, CeremonyDigest([0; 32]), roll);
    Voter {
        code: code.expose().to_owned(),
        election,
        key_secret,
    }
}

/// The 28 symbol values of a code in display form (the bytes a `CredentialCode` stores).
pub fn symbols_of(text: &str) -> [u8; 28] {
    let mut out = [0u8; 28];
    let mut n = 0;
    for ch in text.bytes().filter(|&b| b != b'-') {
        let v = nullivote::credential::ALPHABET
            .iter()
            .position(|&a| a == ch)
            .expect("display form uses the alphabet");
        out[n] = v as u8;
        n += 1;
    }
    assert_eq!(n, 28);
    out
}

/// The leadership contest and channels with another trustee policy.
pub fn with_policy(authority: &SecretScalar, count: u16, threshold: u16) -> Manifest {
    let base = leadership(authority);
    Manifest::new(
        format!("ct-trustees-{count}-{threshold}"),
        base.contests().to_vec(),
        base.channels().to_vec(),
        TrusteePolicy::new(threshold, count).expect("valid policy"),
        base.authorities(),
    )
    .expect("valid manifest")
}

/// Offset of the coefficients in every DKG secret package's saved layout: the frame
/// `"NVK" ‖ version ‖ kind` (6 bytes), then `n ‖ k ‖ i ‖ manifest digest` (38 bytes).
pub const COEFFICIENTS_AT: usize = 6 + 38;

/// The `k` coefficients `a_{i,0..k}` stored in a DKG secret package's saved bytes.
pub fn coefficients_of(saved: &[u8], k: usize) -> Vec<[u8; 32]> {
    (0..k)
        .map(|j| {
            saved[COEFFICIENTS_AT + 32 * j..COEFFICIENTS_AT + 32 * (j + 1)]
                .try_into()
                .unwrap()
        })
        .collect()
}

/// `f(at) = Σ_j a_j·at^j` from coefficient bytes.
pub fn evaluate(coefficients: &[[u8; 32]], at: u16) -> Scalar {
    let x = Scalar::from(at);
    coefficients.iter().rev().fold(Scalar::ZERO, |acc, a| {
        acc * x + Scalar::from_canonical_bytes(*a).unwrap()
    })
}

/// `prefix(p) = u64be(9) ‖ "nullivote" ‖ u16be(version) ‖ u64be(len p) ‖ p`, the prefix of every
/// trustee digest (spec §10), recomputed here from its definition.
pub fn trustee_prefix(purpose: &[u8]) -> Vec<u8> {
    use nullivote::hazmat::{transcript::PROTOCOL_VERSION, transcript::TRANSCRIPT_LABEL};
    let mut out = Vec::new();
    out.extend_from_slice(&(TRANSCRIPT_LABEL.len() as u64).to_be_bytes());
    out.extend_from_slice(TRANSCRIPT_LABEL);
    out.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    out.extend_from_slice(&(purpose.len() as u64).to_be_bytes());
    out.extend_from_slice(purpose);
    out
}

/// Trustee `i`'s share-encryption secret `e_i`, read from its saved round-1 state `saved` (spec
/// §10.8, kind 1: `"NVK" ‖ version ‖ kind ‖ n ‖ k ‖ i ‖ md ‖ k coefficients ‖ e_i ‖ …`) and checked
/// against the key `E_i` its round-2 reveal publishes (`e_i·G = E_i`). Panics otherwise: the
/// needle would be wrong.
pub fn encryption_secret(k: usize, saved: &[u8], published: &Element) -> Scalar {
    let at = 6 + 38 + 32 * k;
    let e = Option::<Scalar>::from(Scalar::from_canonical_bytes(
        saved[at..at + 32].try_into().unwrap(),
    ))
    .expect("a canonical e_i");
    assert_eq!(
        &encryption_key_of(&e),
        published.as_bytes(),
        "e_i·G is not E_i"
    );
    e
}

/// `E_i = e_i·G`, to compare with the key a round-2 reveal publishes.
pub fn encryption_key_of(e: &Scalar) -> [u8; 32] {
    (RISTRETTO_BASEPOINT_TABLE * e).compress().to_bytes()
}

/// `x_l` in a trustee key's saved bytes (kind 5): the 32 bytes before the state byte that ends a
/// key that has decrypted nothing (`TrusteeKey::SECRET_LEN` bytes in all).
pub fn share_of_saved_key(saved: &[u8]) -> [u8; 32] {
    let end = nullivote::trustee::TrusteeKey::SECRET_LEN - 1;
    saved[end - 32..end].try_into().unwrap()
}
