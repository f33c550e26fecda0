//! Every secret type of nullivote: `Debug` (plain and `{:#?}`) prints none of its secret, it has no
//! `Display`, `Clone`, `Copy` or serde, and where it implements `Zeroize`, `.zeroize()` wipes the
//! secret. (That dropping wipes it is `tests/wipe.rs`.)
//!
//! The secret types: `SecretScalar`, `CredentialCode`, `CredentialSecret`, `RangeWitness`,
//! `PreparedBallot`, `TrusteeKey`, `round1..=round4::SecretPackage`, and the board's and the
//! administrator's `AuthorityKey`.
//!
//! The shares of the key ceremony travel sealed, in a public `round3::Package` (broadcast): its
//! `Debug` and JSON must show none of the plaintext shares `f_i(l)`, no coefficient and no
//! share-encryption secret `e_i` (that it does carry the shares is checked by opening them here,
//! independently of the crate). No secret package's `Debug` prints `e_i`, and `.zeroize()` leaves
//! no copy of it in a saved state.

#![allow(unsafe_code)]

use curve25519_dalek::scalar::Scalar;
use nullivote::AuthorityKey;
use nullivote::ballot::{PreparedBallot, prepare};
use nullivote::credential::{CredentialCode, CredentialSecret};
use nullivote::hazmat::SecretScalar;
use nullivote::hazmat::Wire;
use nullivote::hazmat::proofs::RangeWitness;
use nullivote::trustee::{
    TrusteeIndex, TrusteeKey, finish, part1, part2, part3, part4, resolve_complaints, round1,
    round2, round3, round4,
};
use nullivote_ct::fixtures::{self, public_rng, scalar};
use zeroize::Zeroize;

// --- what must not be printed --------------------------------------------------------------

/// The 32-byte little-endian integer as decimal.
fn decimal(le: &[u8; 32]) -> String {
    let mut n: Vec<u8> = le.iter().rev().copied().collect(); // big-endian digits base 256
    let mut digits = Vec::new();
    while n.iter().any(|&b| b != 0) {
        let mut rem = 0u32;
        for b in n.iter_mut() {
            let cur = (rem << 8) | u32::from(*b);
            *b = (cur / 10) as u8;
            rem = cur % 10;
        }
        digits.push(b'0' + rem as u8);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap()
}

/// Every way a 32-byte secret could plausibly be printed.
fn forms(secret: &[u8; 32]) -> Vec<String> {
    let be: Vec<u8> = secret.iter().rev().copied().collect();
    let mut forms = vec![
        hex::encode(secret),
        hex::encode_upper(secret),
        hex::encode(&be),
        hex::encode_upper(&be),
        decimal(secret),
        format!("{secret:?}"),
        format!("{:?}", &secret[..8]),
    ];
    if let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(*secret)) {
        forms.push(format!("{s:?}"));
    }
    // Any 8 consecutive bytes in hex: catches truncated or partial printing.
    for w in secret.windows(8) {
        forms.push(hex::encode(w));
    }
    forms
}

/// Asserts that neither `{:?}` nor `{:#?}` of `value` shows any form of any of `secrets`.
fn assert_debug_hides<T: core::fmt::Debug>(what: &str, value: &T, secrets: &[[u8; 32]]) {
    assert!(!secrets.is_empty(), "{what}: nothing to look for");
    for text in [format!("{value:?}"), format!("{value:#?}")] {
        for secret in secrets {
            for form in forms(secret) {
                assert!(
                    !text.contains(&form),
                    "{what}: Debug shows a secret ({form}) in: {text}"
                );
            }
        }
    }
}

// --- trait probes (autoref specialisation: the inherent method wins when the bound holds) ---

/// `(Clone, Copy, Display, Serialize, DeserializeOwned)` of a concrete type.
macro_rules! traits_of {
    ($t:ty) => {{
        struct P<T>(core::marker::PhantomData<T>);
        #[allow(dead_code)]
        trait Clone_ {
            fn clone_(&self) -> bool {
                false
            }
        }
        impl<T> Clone_ for P<T> {}
        #[allow(dead_code)]
        trait Copy_ {
            fn copy_(&self) -> bool {
                false
            }
        }
        impl<T> Copy_ for P<T> {}
        #[allow(dead_code)]
        trait Display_ {
            fn display_(&self) -> bool {
                false
            }
        }
        impl<T> Display_ for P<T> {}
        #[allow(dead_code)]
        trait Ser_ {
            fn ser_(&self) -> bool {
                false
            }
        }
        impl<T> Ser_ for P<T> {}
        #[allow(dead_code)]
        trait De_ {
            fn de_(&self) -> bool {
                false
            }
        }
        impl<T> De_ for P<T> {}
        #[allow(dead_code)]
        impl<T: Clone> P<T> {
            fn clone_(&self) -> bool {
                true
            }
        }
        #[allow(dead_code)]
        impl<T: Copy> P<T> {
            fn copy_(&self) -> bool {
                true
            }
        }
        #[allow(dead_code)]
        impl<T: core::fmt::Display> P<T> {
            fn display_(&self) -> bool {
                true
            }
        }
        #[allow(dead_code)]
        impl<T: serde::Serialize> P<T> {
            fn ser_(&self) -> bool {
                true
            }
        }
        #[allow(dead_code)]
        impl<T: serde::de::DeserializeOwned> P<T> {
            fn de_(&self) -> bool {
                true
            }
        }
        let p = P::<$t>(core::marker::PhantomData);
        [
            ("Clone", p.clone_()),
            ("Copy", p.copy_()),
            ("Display", p.display_()),
            ("Serialize", p.ser_()),
            ("Deserialize", p.de_()),
        ]
    }};
}

#[test]
fn the_trait_probe_works() {
    // `Element` has all five; `Scalar` (dalek without its serde feature) Clone and Copy only.
    let element = traits_of!(nullivote::Element);
    assert_eq!(
        element.map(|(_, b)| b),
        [true; 5],
        "probe self-test on Element"
    );
    let scalar = traits_of!(Scalar);
    assert_eq!(
        scalar.map(|(_, b)| b),
        [true, true, false, false, false],
        "probe self-test on Scalar"
    );
}

#[test]
fn no_secret_type_is_clone_copy_display_or_serde() {
    let all = [
        ("SecretScalar", traits_of!(SecretScalar)),
        ("CredentialCode", traits_of!(CredentialCode)),
        ("CredentialSecret", traits_of!(CredentialSecret)),
        ("RangeWitness", traits_of!(RangeWitness)),
        ("PreparedBallot", traits_of!(PreparedBallot)),
        ("TrusteeKey", traits_of!(TrusteeKey)),
        ("round1::SecretPackage", traits_of!(round1::SecretPackage)),
        ("round2::SecretPackage", traits_of!(round2::SecretPackage)),
        ("round3::SecretPackage", traits_of!(round3::SecretPackage)),
        ("round4::SecretPackage", traits_of!(round4::SecretPackage)),
        ("AuthorityKey", traits_of!(AuthorityKey)),
    ];
    let offending: Vec<String> = all
        .iter()
        .flat_map(|(ty, traits)| {
            traits
                .iter()
                .filter(|(_, has)| *has)
                .map(move |(tr, _)| format!("{ty}: {tr}"))
        })
        .collect();
    assert!(
        offending.is_empty(),
        "secret types with these traits: {offending:?}"
    );
}

// --- fixtures -------------------------------------------------------------------------------

fn bytes(s: &Scalar) -> [u8; 32] {
    s.to_bytes()
}

/// A DKG run round by round (n = 4, k = 3), keeping every secret package.
struct Rounds {
    r1: Vec<round1::SecretPackage>,
    r2: Vec<round2::SecretPackage>,
    r3: Vec<round3::SecretPackage>,
    r4: Vec<round4::SecretPackage>,
    keys: Vec<TrusteeKey>,
    /// The ceremony's outcome and manifest (to decrypt with a key).
    public: nullivote::trustee::PublicKeySet,
    manifest: nullivote::manifest::Manifest,
    /// The public packages: digests, reveals (with the encryption keys `E_i`), sealed shares.
    p1: Vec<round1::Package>,
    p2: Vec<round2::Package>,
    p3: Vec<round3::Package>,
    manifest_digest: [u8; 32],
    /// Coefficients of each trustee, from its saved round-1 bytes.
    coefficients: Vec<Vec<[u8; 32]>>,
    /// `e_i` of each trustee, derived from its coefficients or read from its saved state (see
    /// `fixtures::encryption_secret`; checked against `E_i`).
    encryption_secrets: Vec<[u8; 32]>,
}

fn rounds() -> Rounds {
    let authority = SecretScalar::new(scalar(&mut public_rng(90)));
    let manifest = fixtures::with_policy(&authority, 4, 3);
    let policy = manifest.trustees();
    let k = usize::from(policy.threshold());
    let manifest_digest = manifest.digest().0;
    let mut rng = public_rng(91);
    let (r1, p1): (Vec<_>, Vec<_>) = (1..=policy.count())
        .map(|i| part1(TrusteeIndex::new(i).unwrap(), policy, &manifest, &mut rng).unwrap())
        .unzip();
    let coefficients: Vec<Vec<[u8; 32]>> = r1
        .iter()
        .map(|s| fixtures::coefficients_of(&s.to_secret_bytes(), k))
        .collect();
    let (r2, p2): (Vec<_>, Vec<_>) = r1.iter().map(|s| part2(s, &p1).unwrap()).unzip();
    // e_i·G is the published E_i (checked by the fixture).
    let encryption_secrets: Vec<[u8; 32]> = (1..=policy.count())
        .zip(&coefficients)
        .zip(r1.iter().zip(&p2))
        .map(|((_, a), (s, reveal))| {
            bytes(&fixtures::encryption_secret(
                a.len(),
                &s.to_secret_bytes(),
                reveal.encryption_key(),
            ))
        })
        .collect();
    let (r3, p3): (Vec<_>, Vec<_>) = r2.iter().map(|s| part3(s, &p1, &p2).unwrap()).unzip();
    let (r4, p4): (Vec<_>, Vec<_>) = r3.iter().map(|s| part4(s, &p3).unwrap()).unzip();
    assert!(
        p4.iter().all(|p| p.accused().is_empty()),
        "every sealed share opened and checked"
    );
    let p5: Vec<_> = r4
        .iter()
        .map(|s| resolve_complaints(s, &p4).unwrap())
        .collect();
    let (keys, publics): (Vec<_>, Vec<_>) = r4.iter().map(|s| finish(s, &p4, &p5).unwrap()).unzip();
    let public = publics.into_iter().next().unwrap();
    Rounds {
        r1,
        r2,
        r3,
        r4,
        keys,
        public,
        manifest,
        p1,
        p2,
        p3,
        manifest_digest,
        coefficients,
        encryption_secrets,
    }
}

/// `R`, the digest of rounds 1–2, from the public packages (spec §10):
/// `SHA-256(prefix("trustee-reveals") ‖ md ‖ u16be(n) ‖ u16be(k) ‖ h_1 ‖ … ‖ h_n
/// ‖ [u16be(i) ‖ C_{i,0..k} ‖ π_{i,0..k} ‖ E_i ‖ π^E_i] for i = 1..=n)`.
fn reveals_digest(r: &Rounds) -> [u8; 32] {
    use nullivote::hazmat::transcript::purpose;
    use sha2::{Digest, Sha256};
    let (n, k) = (r.p1.len() as u16, r.coefficients[0].len() as u16);
    let mut h = Sha256::new();
    h.update(fixtures::trustee_prefix(purpose::TRUSTEE_REVEALS));
    h.update(r.manifest_digest);
    h.update(n.to_be_bytes());
    h.update(k.to_be_bytes());
    for p in &r.p1 {
        h.update(p.digest());
    }
    for p in &r.p2 {
        h.update(p.trustee().get().to_be_bytes());
        for c in p.commitments() {
            h.update(c.as_bytes());
        }
        for proof in p.proofs() {
            h.update(proof.encode());
        }
        h.update(p.encryption_key().as_bytes());
        h.update(p.encryption_proof().encode());
    }
    h.finalize().into()
}

/// Opens the share dealer `i` sealed for `l` in `package`, independently of the crate (spec
/// §10.5): `key = HKDF-SHA-256(salt = md, ikm = enc(e_l·E_i), info = prefix("trustee-share-seal")
/// ‖ R ‖ u16be(i) ‖ u16be(l) ‖ enc(E_i) ‖ enc(E_l))`, ChaCha20-Poly1305 with nonce 0 and
/// `aad = prefix("trustee-share-seal") ‖ md ‖ u16be(i) ‖ u16be(l)`.
/// Returns the sealed bytes (ciphertext ‖ tag) and the plaintext.
fn open_sealed(r: &Rounds, package: &round3::Package, l: u16) -> (Vec<u8>, [u8; 32]) {
    use chacha20poly1305::aead::{AeadInPlace, KeyInit};
    use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
    use nullivote::hazmat::transcript::purpose;
    let i = package.dealer().get();
    let mut mine = package.shares().iter().filter(|s| s.to().get() == l);
    let sealed = mine.next().expect("a share for l").share().encode();
    assert!(mine.next().is_none(), "one share for l");
    assert_eq!(sealed.len(), 48);
    let key_i = r.p2[usize::from(i) - 1].encryption_key();
    let key_l = r.p2[usize::from(l) - 1].encryption_key();
    let e_l = Scalar::from_canonical_bytes(r.encryption_secrets[usize::from(l) - 1]).unwrap();
    let dh = (key_i.point() * e_l).compress().to_bytes();
    let mut aad = fixtures::trustee_prefix(purpose::TRUSTEE_SHARE_SEAL);
    aad.extend_from_slice(&r.manifest_digest);
    aad.extend_from_slice(&i.to_be_bytes());
    aad.extend_from_slice(&l.to_be_bytes());
    let mut info = fixtures::trustee_prefix(purpose::TRUSTEE_SHARE_SEAL);
    info.extend_from_slice(&reveals_digest(r));
    info.extend_from_slice(&i.to_be_bytes());
    info.extend_from_slice(&l.to_be_bytes());
    info.extend_from_slice(key_i.as_bytes());
    info.extend_from_slice(key_l.as_bytes());
    let mut okm = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(&r.manifest_digest), &dh)
        .expand(&info, &mut okm)
        .unwrap();
    let mut plain = [0u8; 32];
    plain.copy_from_slice(&sealed[..32]);
    let tag = Tag::from_slice(&sealed[32..]);
    if ChaCha20Poly1305::new(Key::from_slice(&okm))
        .decrypt_in_place_detached(&Nonce::default(), &aad, &mut plain, tag)
        .is_ok()
    {
        return (sealed, plain);
    }
    panic!("the share {i} sealed for {l} does not open with e_{l}");
}

fn share_of_key(key: &TrusteeKey) -> [u8; 32] {
    fixtures::share_of_saved_key(&key.to_secret_bytes())
}

/// Key 1 decrypts a tally: it then keeps the seed of its proof nonces (a secret), returned.
fn decrypt_with_first_key(r: &mut Rounds) -> [u8; 32] {
    let mut rng = public_rng(92);
    let voter = CredentialSecret::derive(
        &CredentialCode::generate(&mut rng),
        r.manifest.election_id(),
    );
    let election = nullivote::Election::new(
        r.manifest.clone(),
        r.public.election_key(),
        r.public.ceremony_digest(),
        nullivote::credential::Roll::new(vec![voter.public()]).unwrap(),
    );
    let joint = r.public.election_key();
    let aggregates: Vec<_> = (0..2u64)
        .map(|v| {
            let c = joint.encrypt(&Scalar::from(v), &scalar(&mut rng));
            nullivote::hazmat::Ciphertext::sum([&c])
        })
        .collect();
    let head = nullivote::trustee::BoardHead::new(nullivote::board::EntryDigest([0x5a; 32]), 3);
    r.keys[0]
        .decrypt_share(&election, &head, &aggregates, &mut rng)
        .unwrap();
    let saved = r.keys[0].to_secret_bytes();
    assert_eq!(saved.len(), TrusteeKey::DECRYPTED_SECRET_LEN);
    saved[saved.len() - 32..].try_into().unwrap()
}

/// A prepared ballot and its openings (the same ballot made twice from one seed: one copy is
/// challenged to learn its nonces).
fn prepared() -> (PreparedBallot, [u8; 32], Vec<[u8; 32]>) {
    let authority = SecretScalar::new(scalar(&mut public_rng(80)));
    let voter = fixtures::voter(fixtures::two_contests(&authority), 81);
    let id = voter.election.manifest().election_id().to_owned();
    let secret = CredentialSecret::derive(&CredentialCode::parse(&voter.code).unwrap(), &id);
    let choices = vec![vec![0, 1], vec![3, 1, 2]];
    let make = || {
        prepare(
            &voter.election,
            nullivote::manifest::ChannelIndex::new(0),
            &secret,
            &choices,
            &mut public_rng(82),
        )
        .unwrap()
    };
    let (a, b) = (make(), make());
    assert_eq!(
        a.ballot(),
        b.ballot(),
        "prepare is deterministic for one RNG seed"
    );
    let nonces = a
        .challenge()
        .openings
        .iter()
        .flatten()
        .map(|o| bytes(&o.nonce))
        .collect();
    (b, bytes(secret.expose()), nonces)
}

// --- Debug ----------------------------------------------------------------------------------

#[test]
#[should_panic(expected = "Debug shows a secret")]
fn the_debug_check_catches_a_printed_secret() {
    let s = scalar(&mut public_rng(3));
    assert_debug_hides("Scalar (negative control)", &s, &[bytes(&s)]);
}

#[test]
fn debug_of_every_secret_type_prints_no_secret() {
    let mut rng = public_rng(1);

    let s = scalar(&mut rng);
    assert_debug_hides("SecretScalar", &SecretScalar::new(s), &[bytes(&s)]);

    let code = CredentialCode::generate(&mut rng);
    let text = code.expose().to_owned();
    let debug = [format!("{code:?}"), format!("{code:#?}")].concat();
    let compact: String = text.chars().filter(|&c| c != '-').collect();
    for form in [
        text.clone(),
        compact.clone(),
        compact.to_lowercase(),
        format!("{:?}", fixtures::symbols_of(&text)),
        format!("{:?}", &fixtures::symbols_of(&text)[..8]),
        text[..9].to_owned(),
    ] {
        assert!(
            !debug.contains(&form),
            "CredentialCode: Debug shows {form} in {debug}"
        );
    }

    let secret = CredentialSecret::derive(&code, "ct-election");
    assert_debug_hides("CredentialSecret", &secret, &[bytes(secret.expose())]);

    let x = scalar(&mut rng);
    let key = AuthorityKey::from_secret(SecretScalar::new(x)).unwrap();
    assert_debug_hides("AuthorityKey", &key, &[bytes(&x)]);
    assert!(
        format!("{key:?}").contains(&key.public().to_string()),
        "AuthorityKey: Debug names its public key"
    );

    let nonce = SecretScalar::new(scalar(&mut rng));
    let witness = RangeWitness::new(0xdead_beef, &nonce);
    assert_debug_hides("RangeWitness", &witness, &[bytes(nonce.expose())]);
    let text = format!("{witness:?}{witness:#?}");
    for form in ["3735928559", "deadbeef", "DEADBEEF", "efbeadde"] {
        assert!(
            !text.contains(form),
            "RangeWitness: Debug shows its value: {text}"
        );
    }

    let (ballot, x, nonces) = prepared();
    let mut secrets = nonces;
    secrets.push(x);
    assert_debug_hides("PreparedBallot", &ballot, &secrets);

    let mut r = rounds();
    for key in &r.keys {
        assert_debug_hides("TrusteeKey", key, &[share_of_key(key)]);
    }
    let seed = decrypt_with_first_key(&mut r);
    assert_debug_hides(
        "TrusteeKey (has decrypted)",
        &r.keys[0],
        &[share_of_key(&r.keys[0]), seed],
    );
    for (i, a) in r.coefficients.iter().enumerate() {
        // Every state holds the coefficients, and e_i or what it is derived from.
        let mut secrets = a.clone();
        secrets.push(r.encryption_secrets[i]);
        assert_debug_hides("round1::SecretPackage", &r.r1[i], &secrets);
        assert_debug_hides("round2::SecretPackage", &r.r2[i], &secrets);
        assert_debug_hides("round3::SecretPackage", &r.r3[i], &secrets);
        // Round 4 also holds the shares received (and its own f_l(l)).
        let me = u16::try_from(i + 1).unwrap();
        secrets.extend(
            r.coefficients
                .iter()
                .map(|dealer| bytes(&fixtures::evaluate(dealer, me))),
        );
        assert_debug_hides("round4::SecretPackage", &r.r4[i], &secrets);
    }
}

/// A round-3 package is public (broadcast), so it may be printed and serialized; what it must not
/// show is any share in clear. It does carry them: each opens (with the recipient's `e_l`, here
/// independently of the crate) to `f_i(l)`.
#[test]
fn a_round3_package_shows_no_share_in_clear() {
    let r = rounds();
    let n = u16::try_from(r.coefficients.len()).unwrap();
    assert_eq!(r.p3.len(), usize::from(n));
    for (i, (package, a)) in r.p3.iter().zip(&r.coefficients).enumerate() {
        let dealer = u16::try_from(i + 1).unwrap();
        assert_eq!(package.dealer().get(), dealer);
        // f_i(l) for every l (f_i(i) included: it is never sent), the coefficients, e_i.
        let mut secrets: Vec<[u8; 32]> =
            (1..=n).map(|l| bytes(&fixtures::evaluate(a, l))).collect();
        secrets.extend(a.iter().copied());
        secrets.push(r.encryption_secrets[i]);
        // Positive control: the package holds the n - 1 other shares, sealed, and each opens to
        // f_i(l); the ciphertext is not the plaintext.
        let to: Vec<u16> = package.shares().iter().map(|s| s.to().get()).collect();
        assert_eq!(to, (1..=n).filter(|&l| l != dealer).collect::<Vec<_>>());
        for l in (1..=n).filter(|&l| l != dealer) {
            let (sealed, plain) = open_sealed(&r, package, l);
            assert_eq!(
                plain,
                secrets[usize::from(l) - 1],
                "the share sealed for {l} is f_{dealer}({l})"
            );
            assert_ne!(&sealed[..32], &plain[..]);
        }
        assert_debug_hides("round3::Package", package, &secrets);
        let json = serde_json::to_string(package).unwrap();
        let pretty = serde_json::to_string_pretty(package).unwrap();
        assert!(
            json.contains("\"shares\""),
            "the JSON is the package's: {json}"
        );
        for text in [&json, &pretty] {
            for secret in &secrets {
                for form in forms(secret) {
                    assert!(
                        !text.contains(&form),
                        "round3::Package: JSON shows a secret ({form}) in: {text}"
                    );
                }
            }
        }
        // The package survives JSON unchanged (it is what is broadcast).
        let back: round3::Package = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, package);
        // Re-sending after a crash gives the identical package.
        assert_eq!(
            &r.r3[i].package(),
            package,
            "round3::SecretPackage::package() is deterministic"
        );
    }
}

// --- Zeroize --------------------------------------------------------------------------------

/// The inline bytes of a value (the tests only read types without padding or with known layout).
fn raw<T>(value: &T) -> Vec<u8> {
    let p = value as *const T as *const u8;
    // SAFETY: reads the value's own bytes; used on `RangeWitness` (u32 + [u8; 32]: no padding).
    (0..core::mem::size_of::<T>())
        .map(|i| unsafe { core::ptr::read_volatile(p.add(i)) })
        .collect()
}

#[test]
fn zeroize_wipes_every_secret_type_that_implements_it() {
    let mut rng = public_rng(2);

    let mut s = SecretScalar::new(scalar(&mut rng));
    s.zeroize();
    assert_eq!(*s.expose(), Scalar::ZERO, "SecretScalar");

    let nonce = SecretScalar::new(scalar(&mut rng));
    let mut witness = RangeWitness::new(0xdead_beef, &nonce);
    assert_eq!(
        core::mem::size_of::<RangeWitness>(),
        36,
        "RangeWitness layout assumed"
    );
    assert!(raw(&witness).iter().any(|&b| b != 0));
    witness.zeroize();
    assert!(
        raw(&witness).iter().all(|&b| b == 0),
        "RangeWitness: value and nonce wiped"
    );

    let mut r = rounds();
    let seed = decrypt_with_first_key(&mut r);
    let contains = |hay: &[u8], needle: &[u8; 32]| hay.windows(32).any(|w| w == needle);
    for key in &mut r.keys {
        assert_ne!(share_of_key(key), [0; 32]);
        key.zeroize();
        assert_eq!(share_of_key(key), [0; 32], "TrusteeKey: share wiped");
        assert!(
            !contains(&key.to_secret_bytes(), &seed),
            "TrusteeKey: nonce seed wiped"
        );
    }
    for (i, a) in r.coefficients.iter().enumerate() {
        // e_i: derived from the coefficients when sealing or opening (then wiping them is what
        // wipes it), or saved with them; either way no copy survives zeroize().
        let e = &r.encryption_secrets[i];
        macro_rules! wiped {
            ($what:expr, $pkg:expr) => {{
                let pkg = $pkg;
                let before = pkg.to_secret_bytes();
                assert!(a.iter().all(|c| contains(&before, c)));
                pkg.zeroize();
                let after = pkg.to_secret_bytes();
                assert!(
                    a.iter().all(|c| !contains(&after, c)),
                    "{}: a coefficient survives zeroize()",
                    $what
                );
                assert!(!contains(&after, e), "{}: e_i survives zeroize()", $what);
            }};
        }
        wiped!("round1::SecretPackage", &mut r.r1[i]);
        wiped!("round2::SecretPackage", &mut r.r2[i]);
        wiped!("round3::SecretPackage", &mut r.r3[i]);
        let me = u16::try_from(i + 1).unwrap();
        let received: Vec<[u8; 32]> = r
            .coefficients
            .iter()
            .map(|dealer| bytes(&fixtures::evaluate(dealer, me)))
            .collect();
        assert!(
            received
                .iter()
                .all(|s| contains(&r.r4[i].to_secret_bytes(), s))
        );
        wiped!("round4::SecretPackage", &mut r.r4[i]);
        let after = r.r4[i].to_secret_bytes();
        assert!(
            received.iter().all(|s| !contains(&after, s)),
            "round4::SecretPackage: a received share survives zeroize()"
        );
    }
}
