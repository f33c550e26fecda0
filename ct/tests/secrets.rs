//! Every secret type of nullivote: `Debug` (plain and `{:#?}`) prints none of its secret, it has no
//! `Display`, `Clone`, `Copy` or serde, and where it implements `Zeroize`, `.zeroize()` wipes the
//! secret. (That dropping wipes it is `tests/wipe.rs`.)
//!
//! The secret types: `SecretScalar`, `CredentialCode`, `CredentialSecret`, `RangeWitness`,
//! `PreparedBallot`, `TrusteeKey`, `round1..=round4::SecretPackage`, `round3::PrivateShare`.

#![allow(unsafe_code)]

use curve25519_dalek::scalar::Scalar;
use nullivote::ballot::{PreparedBallot, prepare};
use nullivote::credential::{CredentialCode, CredentialSecret};
use nullivote::proofs::RangeWitness;
use nullivote::secret::SecretScalar;
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
        trait Clone_ { fn clone_(&self) -> bool { false } }
        impl<T> Clone_ for P<T> {}
        #[allow(dead_code)]
        trait Copy_ { fn copy_(&self) -> bool { false } }
        impl<T> Copy_ for P<T> {}
        #[allow(dead_code)]
        trait Display_ { fn display_(&self) -> bool { false } }
        impl<T> Display_ for P<T> {}
        #[allow(dead_code)]
        trait Ser_ { fn ser_(&self) -> bool { false } }
        impl<T> Ser_ for P<T> {}
        #[allow(dead_code)]
        trait De_ { fn de_(&self) -> bool { false } }
        impl<T> De_ for P<T> {}
        #[allow(dead_code)]
        impl<T: Clone> P<T> { fn clone_(&self) -> bool { true } }
        #[allow(dead_code)]
        impl<T: Copy> P<T> { fn copy_(&self) -> bool { true } }
        #[allow(dead_code)]
        impl<T: core::fmt::Display> P<T> { fn display_(&self) -> bool { true } }
        #[allow(dead_code)]
        impl<T: serde::Serialize> P<T> { fn ser_(&self) -> bool { true } }
        #[allow(dead_code)]
        impl<T: serde::de::DeserializeOwned> P<T> { fn de_(&self) -> bool { true } }
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
    let element = traits_of!(nullivote::group::Element);
    assert_eq!(element.map(|(_, b)| b), [true; 5], "probe self-test on Element");
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
        ("round3::PrivateShare", traits_of!(round3::PrivateShare)),
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
    assert!(offending.is_empty(), "secret types with these traits: {offending:?}");
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
    shares: Vec<round3::PrivateShare>,
    r4: Vec<round4::SecretPackage>,
    keys: Vec<TrusteeKey>,
    /// Coefficients of each trustee, from its saved round-1 bytes.
    coefficients: Vec<Vec<[u8; 32]>>,
}

fn rounds() -> Rounds {
    let authority = SecretScalar::new(scalar(&mut public_rng(90)));
    let manifest = fixtures::with_policy(&authority, 4, 3);
    let policy = manifest.trustees();
    let (n, k) = (usize::from(policy.count), usize::from(policy.threshold));
    let mut rng = public_rng(91);
    let (r1, p1): (Vec<_>, Vec<_>) = (1..=policy.count)
        .map(|i| part1(TrusteeIndex::new(i).unwrap(), policy, &manifest, &mut rng).unwrap())
        .unzip();
    let coefficients = r1
        .iter()
        .map(|s| fixtures::coefficients_of(&s.to_secret_bytes(), k))
        .collect();
    let (r2, p2): (Vec<_>, Vec<_>) = r1.iter().map(|s| part2(s, &p1).unwrap()).unzip();
    let mut r3 = Vec::new();
    let mut inboxes: Vec<Vec<round3::PrivateShare>> = (0..n).map(|_| Vec::new()).collect();
    let mut shares = Vec::new();
    for s in &r2 {
        let (s3, out) = part3(s, &p1, &p2).unwrap();
        r3.push(s3);
        for share in out {
            // Keep one copy for the tests (decoded from its own secret bytes), deliver the other.
            shares.push(round3::PrivateShare::from_secret_bytes(&share.to_secret_bytes()).unwrap());
            inboxes[usize::from(share.to().get()) - 1].push(share);
        }
    }
    let (r4, p4): (Vec<_>, Vec<_>) = r3
        .iter()
        .zip(&inboxes)
        .map(|(s, inbox)| part4(s, inbox).unwrap())
        .unzip();
    let p5: Vec<_> = r4.iter().map(|s| resolve_complaints(s, &p4).unwrap()).collect();
    let keys = r4.iter().map(|s| finish(s, &p4, &p5).unwrap().0).collect();
    Rounds {
        r1,
        r2,
        r3,
        shares,
        r4,
        keys,
        coefficients,
    }
}

fn share_of_key(key: &TrusteeKey) -> [u8; 32] {
    let saved = key.to_secret_bytes();
    saved[saved.len() - 32..].try_into().unwrap()
}

fn value_of_share(share: &round3::PrivateShare) -> [u8; 32] {
    let saved = share.to_secret_bytes();
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
    let make = || prepare(&voter.election, 0, &secret, &choices, &mut public_rng(82)).unwrap();
    let (a, b) = (make(), make());
    assert_eq!(a.ballot(), b.ballot(), "prepare is deterministic for one RNG seed");
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
        assert!(!debug.contains(&form), "CredentialCode: Debug shows {form} in {debug}");
    }

    let secret = CredentialSecret::derive(&code, "ct-election");
    assert_debug_hides("CredentialSecret", &secret, &[bytes(secret.expose())]);

    let nonce = SecretScalar::new(scalar(&mut rng));
    let witness = RangeWitness::new(0xdead_beef, &nonce);
    assert_debug_hides("RangeWitness", &witness, &[bytes(nonce.expose())]);
    let text = format!("{witness:?}{witness:#?}");
    for form in ["3735928559", "deadbeef", "DEADBEEF", "efbeadde"] {
        assert!(!text.contains(form), "RangeWitness: Debug shows its value: {text}");
    }

    let (ballot, x, nonces) = prepared();
    let mut secrets = nonces;
    secrets.push(x);
    assert_debug_hides("PreparedBallot", &ballot, &secrets);

    let r = rounds();
    for key in &r.keys {
        assert_debug_hides("TrusteeKey", key, &[share_of_key(key)]);
    }
    for (i, a) in r.coefficients.iter().enumerate() {
        assert_debug_hides("round1::SecretPackage", &r.r1[i], a);
        assert_debug_hides("round2::SecretPackage", &r.r2[i], a);
        assert_debug_hides("round3::SecretPackage", &r.r3[i], a);
        // Round 4 also holds the shares received (and its own f_l(l)).
        let me = u16::try_from(i + 1).unwrap();
        let mut secrets = a.clone();
        secrets.extend(
            r.coefficients
                .iter()
                .map(|dealer| bytes(&fixtures::evaluate(dealer, me))),
        );
        assert_debug_hides("round4::SecretPackage", &r.r4[i], &secrets);
    }
    for share in &r.shares {
        assert_debug_hides("round3::PrivateShare", share, &[value_of_share(share)]);
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
    assert_eq!(core::mem::size_of::<RangeWitness>(), 36, "RangeWitness layout assumed");
    assert!(raw(&witness).iter().any(|&b| b != 0));
    witness.zeroize();
    assert!(raw(&witness).iter().all(|&b| b == 0), "RangeWitness: value and nonce wiped");

    let mut r = rounds();
    for key in &mut r.keys {
        assert_ne!(share_of_key(key), [0; 32]);
        key.zeroize();
        assert_eq!(share_of_key(key), [0; 32], "TrusteeKey: share wiped");
    }
    for share in &mut r.shares {
        assert_ne!(value_of_share(share), [0; 32]);
        share.zeroize();
        assert_eq!(value_of_share(share), [0; 32], "PrivateShare: value wiped");
    }
    let contains = |hay: &[u8], needle: &[u8; 32]| hay.windows(32).any(|w| w == needle);
    for (i, a) in r.coefficients.iter().enumerate() {
        macro_rules! wiped {
            ($what:expr, $pkg:expr) => {{
                let pkg = $pkg;
                assert!(a.iter().all(|c| contains(&pkg.to_secret_bytes(), c)));
                pkg.zeroize();
                let after = pkg.to_secret_bytes();
                assert!(
                    a.iter().all(|c| !contains(&after, c)),
                    "{}: a coefficient survives zeroize()",
                    $what
                );
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
        assert!(received.iter().all(|s| contains(&r.r4[i].to_secret_bytes(), s)));
        wiped!("round4::SecretPackage", &mut r.r4[i]);
        let after = r.r4[i].to_secret_bytes();
        assert!(
            received.iter().all(|s| !contains(&after, s)),
            "round4::SecretPackage: a received share survives zeroize()"
        );
    }
}
