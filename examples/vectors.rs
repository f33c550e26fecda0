//! Generates the known-answer vectors of `spec/vectors/` (see `spec/protocol.md` §9).
//!
//! ```text
//! cargo run --release --example vectors -- spec/vectors
//! ```
//!
//! Everything is deterministic: fixed scalars, credential codes drawn from a seeded ChaCha20, and
//! ballots built with seeded ChaCha20 RNGs (whose output the hedged nonce derivation of §7.3
//! absorbs). Running it twice writes identical files. `tests/vectors.rs` checks the files against
//! the library and against the independent reading of the spec in `spec/reference.rs`.
//!
//! Values marked `test_only_secret` are secrets published here only so that the vectors can be
//! recomputed; in an election they never leave their holder.

#[allow(dead_code)]
#[path = "../spec/reference.rs"]
mod reference;

use nullivote::board::EntryDigest;
use nullivote::trustee::CeremonyDigest;
use std::path::{Path, PathBuf};

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use nullivote::AuthorityKey;
use nullivote::Election;
use nullivote::Element;
use nullivote::ballot::{Ballot, BallotError, prepare};
use nullivote::credential::{CredentialCode, CredentialSecret, Roll};
use nullivote::hazmat::SecretScalar;
use nullivote::hazmat::Wire;
use nullivote::hazmat::{Ciphertext, ElectionKey};
use nullivote::hazmat::{transcript::election_transcript, transcript::purpose};
use nullivote::manifest::ChannelIndex;
use nullivote::manifest::{Authorities, Manifest};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use serde_json::{Value, json};

/// The election key's secret `k` (test only): `K = k·G`.
const ELECTION_KEY_SECRET: u64 = 0x5eed;
/// The postal intake authority's secret `a` (test only): `A = a·G`.
const AUTHORITY_SECRET: u64 = 0xa11ce;
/// The board operator's secret of the vectors' manifest (test only).
const BOARD_SECRET: u64 = 0xb0a4d;
/// The administrator's secret of the vectors' manifest (test only).
const ADMINISTRATOR_SECRET: u64 = 0xad31;
/// An impostor's secret, for a countersignature by the wrong key.
const IMPOSTOR_SECRET: u64 = 666;
/// The seed of the ChaCha20 RNG that draws the credential codes.
const CODE_SEED: u64 = 2022;
/// How many codes are drawn; the first [`VOTERS`] are on the roll, the rest are not.
const CODES: usize = 5;
/// Voters on the roll.
const VOTERS: usize = 3;
/// Channel indices of the leadership manifest.
const ONLINE: ChannelIndex = ChannelIndex::new(0);
const POSTAL: ChannelIndex = ChannelIndex::new(1);

fn h(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(bytes)
}

fn sc(s: &Scalar) -> String {
    hex::encode(s.as_bytes())
}

fn key_of(secret: u64) -> Element {
    Element::from_point(RistrettoPoint::mul_base(&Scalar::from(secret))).unwrap()
}

/// The vectors' leadership manifest: intake `a·G`, board `b·G`, administrator `d·G`.
fn leadership() -> Manifest {
    Manifest::leadership(
        key_of(AUTHORITY_SECRET),
        Authorities {
            board: key_of(BOARD_SECRET),
            administrator: key_of(ADMINISTRATOR_SECRET),
        },
    )
    .unwrap()
}

/// The codes: `CredentialCode::generate` called [`CODES`] times on `ChaCha20Rng::seed_from_u64(CODE_SEED)`.
fn codes() -> Vec<CredentialCode> {
    let mut rng = ChaCha20Rng::seed_from_u64(CODE_SEED);
    (0..CODES)
        .map(|_| CredentialCode::generate(&mut rng))
        .collect()
}

struct Fixture {
    manifest: Manifest,
    key: ElectionKey,
    codes: Vec<CredentialCode>,
    secrets: Vec<CredentialSecret>,
    roll: Roll,
    election: Election,
    authority: AuthorityKey,
}

fn fixture(ceremony: [u8; 32], voters: usize) -> Fixture {
    let manifest = leadership();
    let key = ElectionKey::new(key_of(ELECTION_KEY_SECRET));
    let codes = codes();
    let secrets: Vec<_> = codes
        .iter()
        .map(|c| CredentialSecret::derive(c, manifest.election_id()))
        .collect();
    let roll = Roll::new(secrets[..voters].iter().map(|s| s.public()).collect()).unwrap();
    let election = Election::new(
        manifest.clone(),
        key.clone(),
        CeremonyDigest(ceremony),
        roll.clone(),
    );
    Fixture {
        manifest,
        key,
        codes,
        secrets,
        roll,
        election,
        authority: AuthorityKey::from_secret(SecretScalar::new(Scalar::from(AUTHORITY_SECRET)))
            .unwrap(),
    }
}

/// The description of a fixture, shared by several files.
fn fixture_json(f: &Fixture, ceremony: &[u8; 32], voters: usize) -> Value {
    json!({
        "election_key_secret_u64_test_only_secret": ELECTION_KEY_SECRET,
        "election_key": h(f.key.element().as_bytes()),
        "authority_secret_u64_test_only_secret": AUTHORITY_SECRET,
        "authority_key": h(key_of(AUTHORITY_SECRET).as_bytes()),
        "board_secret_u64_test_only_secret": BOARD_SECRET,
        "board_key": h(key_of(BOARD_SECRET).as_bytes()),
        "administrator_secret_u64_test_only_secret": ADMINISTRATOR_SECRET,
        "administrator_key": h(key_of(ADMINISTRATOR_SECRET).as_bytes()),
        "manifest": h(f.manifest.encode()),
        "manifest_digest": h(f.manifest.digest()),
        "ceremony_digest": h(ceremony),
        "voter_codes": f.codes[..voters].iter().map(|c| c.expose().to_owned()).collect::<Vec<_>>(),
        "roll": h(f.roll.to_bytes()),
        "roll_digest": h(f.roll.digest()),
        "base_hash": h(f.election.base_hash().as_bytes()),
        "nullifier_base": h(f.election.nullifier_base().as_bytes()),
    })
}

fn write(dir: &Path, name: &str, value: &Value) {
    let text = serde_json::to_string_pretty(value).unwrap() + "\n";
    std::fs::write(dir.join(name), text).unwrap();
    println!("wrote {}", dir.join(name).display());
}

// ---------------------------------------------------------------------------------------------

fn hash_to_group_vectors() -> Value {
    let cases: Vec<Value> = [
        (
            "leadership, 3 voters, all-zero ceremony digest",
            [0u8; 32],
            3,
        ),
        ("leadership, 3 voters, ceremony digest 01…01", [1u8; 32], 3),
        (
            "leadership, 1 voter, all-zero ceremony digest",
            [0u8; 32],
            1,
        ),
    ]
    .into_iter()
    .map(|(name, ceremony, voters)| {
        let f = fixture(ceremony, voters);
        let pre = reference::base_hash_preimage(
            &f.manifest.encode(),
            f.key.element().as_bytes(),
            &ceremony,
            &f.roll.to_bytes(),
        );
        let base_hash = f.election.base_hash().as_bytes();
        let (digest, point) = reference::hash_to_group(b"nullifier-base", base_hash);
        assert_eq!(
            point.compress().as_bytes(),
            f.election.nullifier_base().as_bytes()
        );
        let mut case = fixture_json(&f, &ceremony, voters);
        let obj = case.as_object_mut().unwrap();
        obj.insert("name".into(), json!(name));
        obj.insert("base_hash_preimage".into(), json!(h(&pre)));
        obj.insert(
            "nullifier_base_preimage".into(),
            json!(h(reference::hash_to_group_preimage(
                b"nullifier-base",
                base_hash
            ))),
        );
        obj.insert("nullifier_base_sha512".into(), json!(h(digest)));
        case
    })
    .collect();
    json!({
        "description": "hash_to_group is crate-private; these vectors pin what it feeds: the base hash (§6.4) and H_E = hash_to_group(\"nullifier-base\", base_hash) (§2.2), with their SHA-256/SHA-512 preimages. The manifest is Manifest::leadership(a·G, {board: b·G, administrator: d·G}); the roll holds the public credentials of the first voter codes of credential.json.",
        "cases": cases,
    })
}

fn transcript_vectors() -> Value {
    let f = fixture([0; 32], VOTERS);
    let base_hash = *f.election.base_hash().as_bytes();
    let purposes: [(&str, &'static [u8]); 10] = [
        ("selection", purpose::SELECTION),
        ("contest-sum", purpose::CONTEST_SUM),
        ("eligibility", purpose::ELIGIBILITY),
        ("countersignature", purpose::COUNTERSIGNATURE),
        ("ballot-nonces", purpose::BALLOT_NONCES),
        ("trustee-possession", purpose::TRUSTEE_POSSESSION),
        ("decryption-share", purpose::DECRYPTION_SHARE),
        ("board-receipt", purpose::BOARD_RECEIPT),
        ("board-final-head", purpose::BOARD_FINAL_HEAD),
        ("administrator-close", purpose::ADMINISTRATOR_CLOSE),
    ];
    let cases: Vec<Value> = purposes
        .into_iter()
        .map(|(name, p)| {
            let mut t = election_transcript(p, &base_hash);
            let mut wide = [0u8; 64];
            t.challenge_bytes(b"challenge", &mut wide);
            let mut r = reference::election_transcript(p, &base_hash);
            assert_eq!(
                reference::challenge(&mut r, b"challenge"),
                Scalar::from_bytes_mod_order_wide(&wide)
            );
            json!({
                "purpose": name,
                "challenge_bytes": h(wide),
                "challenge_scalar": sc(&Scalar::from_bytes_mod_order_wide(&wide)),
            })
        })
        .collect();
    json!({
        "description": "The common transcript prefix of §3.1 for each purpose, with the election base hash of ballot.json, then 64 bytes squeezed with challenge_bytes(\"challenge\") and their reduction mod ℓ (§2.3).",
        "base_hash": h(base_hash),
        "cases": cases,
    })
}

fn credential_vectors() -> Value {
    let election_id = "uk-conservative-leadership-2022";
    let codes = codes();
    let valid: Vec<Value> = codes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let symbols = reference::parse_code(code.expose()).unwrap();
            let x = CredentialSecret::derive(code, election_id);
            assert_eq!(
                reference::credential_secret(election_id, &symbols),
                *x.expose()
            );
            json!({
                "index": i,
                "on_roll_of_ballot_json": i < VOTERS,
                "code": code.expose(),
                "symbols": symbols,
                "check_symbols": reference::check_symbols(&symbols[..26]),
                "x_preimage": h(reference::credential_preimage(election_id, &symbols)),
                "x_test_only_secret": sc(x.expose()),
                "public_credential": h(x.public().element().as_bytes()),
            })
        })
        .collect();
    let first = codes[0].expose().to_owned();
    let plain: String = first.chars().filter(|c| *c != '-').collect();
    // Look-alikes: every 0 typed as O, every 1 as l.
    let lookalike: String = first.replace('0', "O").replace('1', "l");
    let equivalent = vec![
        json!({"typed": first.to_lowercase(), "same_as": 0, "why": "lower case"}),
        json!({"typed": plain, "same_as": 0, "why": "no dashes"}),
        json!({"typed": format!("  {} ", first.replace('-', " ")), "same_as": 0, "why": "spaces instead of dashes, surrounding spaces"}),
        json!({"typed": lookalike, "same_as": 0, "why": "O for 0 and l for 1 (Crockford look-alikes), if the code has any"}),
    ];
    let mut invalid = Vec::new();
    let mut push = |typed: String, error: &str, why: &str| {
        let got = CredentialCode::parse(&typed).map(|_| ()).unwrap_err();
        assert_eq!(format!("{got:?}"), error, "{why}");
        assert_eq!(
            reference::parse_code(&typed).map(|_| ()).unwrap_err(),
            if error == "Malformed" {
                "malformed"
            } else {
                "check_failed"
            }
        );
        invalid.push(json!({"typed": typed, "error": error, "why": why}));
    };
    push(plain[..27].to_owned(), "Malformed", "27 symbols");
    push(format!("{plain}0"), "Malformed", "29 symbols");
    push(
        format!("U{}", &plain[1..]),
        "Malformed",
        "U is not in the alphabet",
    );
    push(
        format!("é{}", &plain[2..]),
        "Malformed",
        "non-ASCII character",
    );
    push(String::new(), "Malformed", "empty");
    for (i, why) in [
        (0usize, "first symbol changed"),
        (26, "first check symbol changed"),
        (27, "last check symbol changed"),
    ] {
        let mut chars: Vec<u8> = plain.bytes().collect();
        let v = reference::ALPHABET
            .iter()
            .position(|&a| a == chars[i])
            .unwrap();
        chars[i] = reference::ALPHABET[(v + 1) % 32];
        push(String::from_utf8(chars).unwrap(), "CheckFailed", why);
    }
    let bytes: Vec<u8> = plain.bytes().collect();
    let swap = (0..27).find(|&i| bytes[i] != bytes[i + 1]).unwrap();
    let mut swapped = bytes.clone();
    swapped.swap(swap, swap + 1);
    push(
        String::from_utf8(swapped).unwrap(),
        "CheckFailed",
        "two neighbouring symbols swapped",
    );

    let other_id = "uk-conservative-leadership-2022 ";
    let other = CredentialSecret::derive(&codes[0], other_id);
    json!({
        "description": "Credential codes (§6.2) drawn by CredentialCode::generate from ChaCha20Rng::seed_from_u64(seed), the derived secret x (test only) and public credential X = x·G, equivalent typed forms, and invalid codes with the error of CredentialCode::parse.",
        "election_id": election_id,
        "rng": "rand_chacha 0.3 ChaCha20Rng::seed_from_u64(seed); CredentialCode::generate fills 26 bytes and keeps the low 5 bits of each",
        "seed": CODE_SEED,
        "valid": valid,
        "equivalent_forms": equivalent,
        "invalid": invalid,
        "other_election": {
            "election_id": other_id,
            "code_index": 0,
            "why": "one trailing space: ids are compared as bytes, so x and X are unrelated",
            "x_test_only_secret": sc(other.expose()),
            "public_credential": h(other.public().element().as_bytes()),
        },
    })
}

fn manifest_vectors() -> Value {
    let manifest = leadership();
    let bytes = manifest.encode();
    let mut invalid = Vec::new();
    let mut push = |b: Vec<u8>, why: &str| {
        let err = Manifest::from_bytes(&b).unwrap_err();
        invalid.push(json!({"binary": h(&b), "why": why, "error_informative": err.to_string()}));
    };
    let mut trailing = bytes.clone();
    trailing.push(0);
    push(trailing, "one trailing byte");
    let mut version = bytes.clone();
    version[4] = 3;
    push(version, "version 3");
    let mut magic = bytes.clone();
    magic[0] = b'X';
    push(magic, "wrong magic");
    let n = bytes.len();
    // The trustee policy sits before the two keys of the authorities (64 bytes).
    let mut threshold = bytes.clone();
    threshold[n - 64 - 1] = 6;
    push(threshold, "threshold 6 of 5 trustees");
    let mut board = bytes.clone();
    board[n - 64..n - 32].fill(0);
    push(board, "board key is the identity");
    let mut shared = bytes.clone();
    shared.copy_within(n - 64..n - 32, n - 32);
    push(shared, "administrator key equal to the board key");
    let flag = n - 64 - 4 - 32 - 1;
    let mut rule = bytes.clone();
    rule[flag - 1] = 3;
    push(rule, "postal channel rule byte 3");
    let mut identity = bytes.clone();
    identity[flag + 1..flag + 33].fill(0);
    push(identity, "postal authority is the identity");
    let mut rank = bytes.clone();
    rank[flag - 2] = 1;
    push(rank, "postal rank 1, equal to online's");
    json!({
        "description": "The leadership manifest (Manifest::leadership(A, {board: B, administrator: D}), A = a·G, B = b·G, D = d·G) in JSON and in its binary layout (§6.1), its SHA-256 digest, and binary manifests that must be refused.",
        "authority_secret_u64_test_only_secret": AUTHORITY_SECRET,
        "authority_key": h(key_of(AUTHORITY_SECRET).as_bytes()),
        "board_secret_u64_test_only_secret": BOARD_SECRET,
        "board_key": h(key_of(BOARD_SECRET).as_bytes()),
        "administrator_secret_u64_test_only_secret": ADMINISTRATOR_SECRET,
        "administrator_key": h(key_of(ADMINISTRATOR_SECRET).as_bytes()),
        "json": serde_json::to_value(&manifest).unwrap(),
        "binary": h(&bytes),
        "digest": h(manifest.digest()),
        "invalid_binary": invalid,
    })
}

fn elgamal_vectors() -> Value {
    let key = ElectionKey::new(key_of(ELECTION_KEY_SECRET));
    let k = Scalar::from(ELECTION_KEY_SECRET);
    let pairs: [(u32, u64); 6] = [(0, 1), (1, 2), (1, 3), (2, 4), (5, 5), (0, 0xdead_beef)];
    let mut cts = Vec::new();
    let cases: Vec<Value> = pairs
        .iter()
        .map(|&(v, r)| {
            let c = key.encrypt(&Scalar::from(v), &Scalar::from(r));
            cts.push(c);
            let rp = reference::element(key.element().as_bytes()).unwrap();
            assert_eq!(reference::encrypt(&rp, u64::from(v), &Scalar::from(r)).to_vec(), c.encode());
            json!({
                "value": v,
                "nonce_u64": r,
                "nonce": sc(&Scalar::from(r)),
                "value_times_g": h(RistrettoPoint::mul_base(&Scalar::from(v)).compress().as_bytes()),
                "a": h(c.a.as_bytes()),
                "b": h(c.b.as_bytes()),
                "ciphertext": h(c.encode()),
            })
        })
        .collect();
    let sum = Ciphertext::sum(&cts);
    let total: u32 = pairs.iter().map(|p| p.0).sum();
    let m = sum.b - k * sum.a;
    assert_eq!(m, Scalar::from(total) * RISTRETTO_BASEPOINT_POINT);
    json!({
        "description": "Exponential ElGamal (§5): Enc_K(v; r) = (r·G, v·G + r·K) with K = k·G, k test only. value_times_g of 0 is the identity's encoding (all zero), which never appears in a ciphertext. The sum is the componentwise sum of all cases; B − k·A = total·G, and the bounded discrete log of that with bound 16 is total.",
        "election_key_secret_u64_test_only_secret": ELECTION_KEY_SECRET,
        "election_key": h(key.element().as_bytes()),
        "cases": cases,
        "sum": {
            "a": h(sum.a.compress().as_bytes()),
            "b": h(sum.b.compress().as_bytes()),
            "total": total,
            "total_times_g": h(m.compress().as_bytes()),
            "dlog_bound": 16,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Ballots

struct Spec {
    name: &'static str,
    voter: usize,
    channel: ChannelIndex,
    choices: [u32; 2],
    seed: u64,
}

const BALLOTS: [Spec; 4] = [
    Spec {
        name: "online-truss",
        voter: 0,
        channel: ONLINE,
        choices: [1, 0],
        seed: 1,
    },
    Spec {
        name: "postal-sunak",
        voter: 1,
        channel: POSTAL,
        choices: [0, 1],
        seed: 2,
    },
    Spec {
        name: "online-sunak",
        voter: 2,
        channel: ONLINE,
        choices: [0, 1],
        seed: 3,
    },
    Spec {
        name: "postal-truss-same-voter-as-online-truss",
        voter: 0,
        channel: POSTAL,
        choices: [1, 0],
        seed: 4,
    },
];

fn build(f: &Fixture, s: &Spec) -> Ballot {
    let mut rng = ChaCha20Rng::seed_from_u64(s.seed);
    let mut prepared = prepare(
        &f.election,
        s.channel,
        &f.secrets[s.voter],
        &[s.choices.to_vec()],
        &mut rng,
    )
    .unwrap();
    if f.manifest.channels()[usize::from(s.channel)]
        .authority
        .is_some()
    {
        prepared
            .countersign(&f.election, &f.authority, &mut rng)
            .unwrap();
    }
    prepared.cast()
}

fn reference_election(f: &Fixture) -> reference::RefElection {
    reference::RefElection::new(
        &f.manifest.encode(),
        f.key.element().as_bytes(),
        &[0; 32],
        f.roll
            .entries()
            .iter()
            .map(|e| e.element().to_bytes())
            .collect(),
    )
    .unwrap()
}

fn ballot_json(f: &Fixture, re: &reference::RefElection, s: &Spec, b: &Ballot) -> Value {
    assert_eq!(b.verify(&f.election), Ok(()));
    let trace = reference::verify_ballot(&b.encode(), re).unwrap();
    let (fold_seed, coefficients) = reference::fold(&trace);
    let ciphertexts: Vec<_> = b.contests[0]
        .selections
        .iter()
        .map(|s| h(s.ciphertext.encode()))
        .collect();
    json!({
        "name": s.name,
        "voter": s.voter,
        "channel": s.channel,
        "choices": [s.choices],
        "rng_seed": s.seed,
        "rng": "ChaCha20Rng::seed_from_u64(rng_seed) passed to prepare, then (postal) to PreparedBallot::countersign",
        "countersigned": b.countersignature.is_some(),
        "nullifier": h(b.nullifier.element().as_bytes()),
        "ciphertexts": [ciphertexts],
        "body": h(b.body_bytes()),
        "signed": h(b.signed_bytes()),
        "encoding": h(b.encode()),
        "json": serde_json::to_value(b).unwrap(),
        "tracking_code": h(b.tracking_code().0),
        "tracking_code_display": b.tracking_code().to_string(),
        "proofs": trace.iter().zip(&coefficients).map(|(p, rho)| json!({
            "proof": p.name,
            "challenge": sc(&p.challenge),
            "digest": h(p.digest),
            "coefficients": rho.iter().map(sc).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "fold_seed": h(fold_seed),
        "expected": "ok",
    })
}

fn negative(
    f: &Fixture,
    re: &reference::RefElection,
    name: &str,
    from: &str,
    change: &str,
    bytes: Vec<u8>,
    expected: &str,
) -> Value {
    let (check, message) = match Ballot::decode(&bytes) {
        Err(e) => {
            let e = BallotError::from(e);
            (e.check().as_str(), e.to_string())
        }
        Ok(b) => {
            let e = b.verify(&f.election).unwrap_err();
            (e.check().as_str(), e.to_string())
        }
    };
    assert_eq!(check, expected, "{name}: {message}");
    assert_eq!(
        reference::verify_ballot(&bytes, re).err(),
        Some(expected),
        "{name} (reference)"
    );
    json!({
        "name": name,
        "from": from,
        "change": change,
        "encoding": h(&bytes),
        "expected": expected,
        "error_informative": message,
    })
}

fn ballot_vectors() -> Value {
    let f = fixture([0; 32], VOTERS);
    let re = reference_election(&f);
    let ballots: Vec<Ballot> = BALLOTS.iter().map(|s| build(&f, s)).collect();
    assert_eq!(ballots[0].nullifier, ballots[3].nullifier);
    let positives: Vec<Value> = BALLOTS
        .iter()
        .zip(&ballots)
        .map(|(s, b)| ballot_json(&f, &re, s, b))
        .collect();

    let online = &ballots[0];
    let postal = &ballots[1];
    let other = &ballots[2];
    let on = online.encode();
    let po = postal.encode();
    let body_len = online.body_bytes().len();
    let mut neg = Vec::new();
    let mut add = |name: &str, from: &str, change: &str, bytes: Vec<u8>, expected: &str| {
        neg.push(negative(&f, &re, name, from, change, bytes, expected));
    };
    // B1
    let mut b = on.clone();
    b[4] = 3;
    add(
        "version-3",
        "online-truss",
        "version field (bytes 3..5) set to 3",
        b,
        "B1",
    );
    let mut b = on.clone();
    b.push(0);
    add(
        "trailing-byte",
        "online-truss",
        "one 0 byte appended",
        b,
        "B1",
    );
    let mut b = on.clone();
    b[38..70].fill(0);
    add(
        "identity-nullifier",
        "online-truss",
        "nullifier (bytes 38..70) set to the identity's encoding",
        b,
        "B1",
    );
    let mut b = on.clone();
    b[38..70].fill(0xff);
    add(
        "non-canonical-nullifier",
        "online-truss",
        "nullifier (bytes 38..70) set to ff…ff, not a canonical encoding",
        b,
        "B1",
    );
    let ell = {
        let mut l = [0u8; 32];
        l.copy_from_slice(
            &hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
                .unwrap(),
        );
        l
    };
    let mut b = on.clone();
    let n = b.len();
    b[n - 33..n - 1].copy_from_slice(&ell);
    add(
        "non-canonical-eligibility-response",
        "online-truss",
        "eligibility response (the 32 bytes before the final flag) set to ℓ",
        b,
        "B1",
    );
    let mut b = on.clone();
    *b.last_mut().unwrap() = 2;
    add(
        "bad-countersignature-flag",
        "online-truss",
        "countersignature flag set to 2",
        b,
        "B1",
    );
    let mut b = on.clone();
    b[body_len] = 1;
    add(
        "unknown-eligibility-kind",
        "online-truss",
        "eligibility kind byte set to 1",
        b,
        "B1",
    );
    let mut b = on.clone();
    b[72..74].copy_from_slice(&65u16.to_be_bytes());
    add(
        "too-many-selections",
        "online-truss",
        "selection count (bytes 72..74) set to 65",
        b,
        "B1",
    );
    // B2
    let mut b = on.clone();
    b[5] ^= 1;
    add(
        "other-election",
        "online-truss",
        "base hash (bytes 5..37): first byte xor 1",
        b,
        "B2",
    );
    // B3
    let mut b = on.clone();
    b[37] = 7;
    add(
        "unknown-channel",
        "online-truss",
        "channel byte (37) set to 7",
        b,
        "B3",
    );
    // B4
    let mut x = online.clone();
    x.contests.clear();
    add(
        "no-contests",
        "online-truss",
        "contests removed",
        x.encode(),
        "B4",
    );
    let mut x = online.clone();
    x.contests[0].selections.pop();
    add(
        "missing-selection",
        "online-truss",
        "the last selection removed",
        x.encode(),
        "B4",
    );
    // B5
    let mut b = on.clone();
    let outsider = CredentialSecret::derive(&f.codes[VOTERS], f.manifest.election_id()).public();
    b[body_len + 1..body_len + 33].copy_from_slice(outsider.element().as_bytes());
    add(
        "credential-not-on-roll",
        "online-truss",
        "eligibility credential replaced by credential.json's code 3 (not on the roll)",
        b,
        "B5",
    );
    // B6
    let mut x = online.clone();
    x.contests[0].selections.swap(0, 1);
    add(
        "selections-swapped",
        "online-truss",
        "the two selections swapped (attack 11)",
        x.encode(),
        "B6",
    );
    let mut x = online.clone();
    x.nullifier = other.nullifier;
    add(
        "other-nullifier",
        "online-truss",
        "nullifier replaced by online-sunak's (attack 9)",
        x.encode(),
        "B6",
    );
    let mut x = online.clone();
    let c = x.contests[0].selections[0].ciphertext;
    let k = *f.key.element().point();
    x.contests[0].selections[0].ciphertext = Ciphertext {
        a: Element::from_point(c.a.point() + RISTRETTO_BASEPOINT_POINT).unwrap(),
        b: Element::from_point(c.b.point() + k).unwrap(),
    };
    add(
        "rerandomised-ciphertext",
        "online-truss",
        "selection 0's ciphertext plus Enc(0; 1) = (G, K) (attack 10)",
        x.encode(),
        "B6",
    );
    let mut b = on.clone();
    // Selection 0's proof: n at 138..140, 2 commitments pairs at 140..268, c₀ at 268..300.
    b[268] ^= 1;
    add(
        "branch-challenge-changed",
        "online-truss",
        "selection 0's branch challenge c₀ (bytes 268..300): first byte xor 1 (attack 6)",
        b,
        "B6",
    );
    // B7
    let mut x = online.clone();
    x.contests[0].sum_proof = other.contests[0].sum_proof.clone();
    add(
        "other-sum-proof",
        "online-truss",
        "contest-sum proof replaced by online-sunak's",
        x.encode(),
        "B7",
    );
    // B8
    let mut x = online.clone();
    x.eligibility = other.eligibility.clone();
    add(
        "other-eligibility",
        "online-truss",
        "eligibility (credential and proof) replaced by online-sunak's (attack 14)",
        x.encode(),
        "B8",
    );
    let mut b = on.clone();
    let n = b.len();
    b[n - 33] ^= 1;
    add(
        "eligibility-response-changed",
        "online-truss",
        "eligibility response: first byte xor 1",
        b,
        "B8",
    );
    // B9
    let mut x = postal.clone();
    x.countersignature = None;
    add(
        "postal-without-countersignature",
        "postal-sunak",
        "countersignature removed (attack 21)",
        x.encode(),
        "B9",
    );
    let mut x = online.clone();
    x.countersignature = postal.countersignature;
    add(
        "online-with-countersignature",
        "online-truss",
        "postal-sunak's countersignature added",
        x.encode(),
        "B9",
    );
    let mut x = postal.clone();
    let impostor =
        AuthorityKey::from_secret(SecretScalar::new(Scalar::from(IMPOSTOR_SECRET))).unwrap();
    x.countersignature = Some(nullivote::hazmat::countersign(
        postal,
        &f.election,
        &impostor,
        &mut ChaCha20Rng::seed_from_u64(99),
    ));
    add(
        "countersignature-wrong-key",
        "postal-sunak",
        "countersigned by 666·G instead of the intake's key, ChaCha20Rng::seed_from_u64(99)",
        x.encode(),
        "B9",
    );
    let mut x = ballots[3].clone();
    x.countersignature = postal.countersignature;
    add(
        "countersignature-of-another-ballot",
        "postal-truss-same-voter-as-online-truss",
        "countersignature replaced by postal-sunak's",
        x.encode(),
        "B9",
    );
    let mut b = po.clone();
    let n = b.len();
    b[n - 32] ^= 1;
    add(
        "countersignature-response-changed",
        "postal-sunak",
        "countersignature response (last 32 bytes): first byte xor 1",
        b,
        "B9",
    );

    // A Benaloh challenge.
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let challenged = prepare(&f.election, ONLINE, &f.secrets[2], &[vec![1, 0]], &mut rng)
        .unwrap()
        .challenge();
    assert_eq!(challenged.verify(&f.election), Ok(vec![vec![1, 0]]));
    let openings: Vec<Value> = challenged.openings[0]
        .iter()
        .zip(&challenged.ballot.contests[0].selections)
        .map(|(o, s)| json!({"opening": h(o.encode()), "value": o.value, "nonce": sc(&o.nonce), "ciphertext": h(s.ciphertext.encode())}))
        .collect();

    json!({
        "description": "A leadership election (§7): manifest Manifest::leadership(a·G, {board: b·G, administrator: d·G}), election key k·G, ceremony digest all zero, roll of the first 3 codes of credential.json. Each ballot is built by nullivote::ballot::prepare with a seeded ChaCha20Rng; its bytes are reproducible only with this implementation's hedged nonce derivation (§7.3), while verifying needs nothing but the spec. 'proofs' lists each proof's Fiat-Shamir challenge, its digest and its equations' coefficients rho_{g,t} in the fold of the ballot alone (§4.4), whose seed is 'fold_seed'. Negative vectors change one field and name the first failing check (§7.4); error_informative is the library's message, not normative.",
        "fixture": fixture_json(&f, &[0; 32], VOTERS),
        "ballots": positives,
        "negative": neg,
        "challenged": {
            "voter": 2,
            "channel": ONLINE,
            "choices": [[1, 0]],
            "rng_seed": 5,
            "json": serde_json::to_value(&challenged).unwrap(),
            "encoding": h(challenged.encode()),
            "openings": [openings],
            "expected_votes": [[1, 0]],
            "spoiled": {
                "description": "The challenge the device submits and the board records (§7.6): election, channel, tracking code, ballot digest SHA-256(ballot), ciphertexts and openings; no nullifier, credential or proof.",
                "json": serde_json::to_value(challenged.spoiled()).unwrap(),
                "encoding": h(challenged.spoiled().encode()),
                "ballot_digest": h(challenged.ballot.digest()),
                "tracking_code": h(challenged.ballot.tracking_code().0),
            },
        },
    })
}

fn main() {
    let dir: PathBuf = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "spec/vectors".into())
        .into();
    std::fs::create_dir_all(&dir).unwrap();
    write(&dir, "hash_to_group.json", &hash_to_group_vectors());
    write(&dir, "transcript.json", &transcript_vectors());
    write(&dir, "credential.json", &credential_vectors());
    write(&dir, "manifest.json", &manifest_vectors());
    write(&dir, "elgamal.json", &elgamal_vectors());
    write(&dir, "ballot.json", &ballot_vectors());
    write(&dir, "board.json", &board_vectors());
}

/// §3.9, §11.6: the board's and the administrator's signed statements, and the encodings of a
/// refusal entry and of close entries, each signature checked by the library and by the
/// reference reading of the spec.
fn board_vectors() -> Value {
    use nullivote::board::Reason;
    use nullivote::{
        AuthorityKey,
        board::{
            Close, Entry, Payload, Receipt, RefusalCode, RefusalEntry, Signature, Statement,
            Submission, sign_close,
        },
    };
    use reference::StatementField::{Bytes, U64};
    let f = fixture([0; 32], VOTERS);
    let base = *f.election.base_hash().as_bytes();
    let key = |secret: u64| {
        AuthorityKey::from_secret(SecretScalar::new(Scalar::from(secret))).expect("nonzero")
    };
    let (board, administrator) = (key(BOARD_SECRET), key(ADMINISTRATOR_SECRET));
    let (head, previous) = ([0x33; 32], [0x44; 32]);
    // A batch of three receipts from position 5, under one signature of their root.
    let batch: Vec<([u8; 32], [u8; 32])> =
        (0..3u8).map(|i| ([0x11 + i; 32], [0x22 + i; 32])).collect();
    let receipts = Receipt::sign_batch(
        &board,
        &f.election,
        5,
        &batch
            .iter()
            .map(|(e, c)| (EntryDigest(*e), nullivote::ballot::TrackingCode(*c)))
            .collect::<Vec<_>>(),
    );
    let leaves: Vec<[u8; 32]> = batch
        .iter()
        .enumerate()
        .map(|(i, (e, c))| reference::receipt_leaf(5 + i as u64, e, c))
        .collect();
    let root = reference::receipt_root(&leaves);
    for r in &receipts {
        assert_eq!(r.verify(&f.election), Ok(()));
    }
    let final_head = Statement::FinalHead {
        entries: 9,
        head: nullivote::board::EntryDigest(head),
    };
    let final_signature = board.sign(&f.election, &final_head);
    let close = |close| {
        sign_close(
            &administrator,
            &f.election,
            7,
            nullivote::board::EntryDigest(previous),
            close,
        )
    };
    let signature_of = |payload: &Payload| match payload {
        Payload::CloseChannel { signature, .. } | Payload::CloseVoting { signature } => *signature,
        _ => unreachable!("a close"),
    };
    let (close_channel, close_voting) = (
        close(Close::Channel(ChannelIndex::new(1))),
        close(Close::Voting),
    );
    let check = |purpose: &'static [u8],
                 fields: &[(&'static [u8], reference::StatementField<'_>)],
                 public: &Element,
                 signature: &Signature| {
        let t = reference::statement_transcript(&base, purpose, fields);
        reference::check_signature(t, public.as_bytes(), &signature.encode())
            .expect("the reference accepts the library's signature");
        let mut bad = signature.encode();
        bad[40] ^= 1;
        let t = reference::statement_transcript(&base, purpose, fields);
        assert!(reference::check_signature(t, public.as_bytes(), &bad).is_err());
        h(bad)
    };
    let receipt_bad = check(
        b"board-receipt",
        &[
            (b"batch-first", U64(5)),
            (b"batch-count", U64(3)),
            (b"receipts-root", Bytes(&root)),
        ],
        &board.public(),
        &receipts[0].signature,
    );
    let head_bad = check(
        b"board-final-head",
        &[(b"board-entries", U64(9)), (b"board-head", Bytes(&head))],
        &board.public(),
        &final_signature,
    );
    let close_cases: Vec<Value> = [(&close_channel, 2u8, 1u8), (&close_voting, 3, 0)]
        .into_iter()
        .map(|(payload, kind, channel)| {
            let signature = signature_of(payload);
            let bad = check(
                b"administrator-close",
                &[
                    (b"position", U64(7)),
                    (b"previous", Bytes(&previous)),
                    (b"kind", Bytes(&[kind])),
                    (b"channel", U64(u64::from(channel))),
                ],
                &administrator.public(),
                &signature,
            );
            let entry = Entry {
                position: 7,
                previous: nullivote::board::EntryDigest(previous),
                payload: payload.clone(),
            };
            assert_eq!(nullivote::board::check_close(&f.election, &entry), Ok(()));
            json!({
                "position": 7,
                "previous": h(previous),
                "kind": kind,
                "channel": channel,
                "signature": h(signature.encode()),
                "signature_changed_must_fail": bad,
                "payload": h(payload.to_bytes()),
                "entry_json": serde_json::to_value(&entry).unwrap(),
                "entry_digest": h(entry.digest().as_bytes()),
            })
        })
        .collect();
    let refusal = RefusalEntry {
        submission: Submission::Cast,
        tracking_code: nullivote::ballot::TrackingCode([0x22; 32]),
        channel: ChannelIndex::new(0),
        nullifier: Some(nullivote::ballot::Nullifier::decode(key_of(77).as_bytes()).unwrap()),
        component: None,
        reason: RefusalCode::Superseded {
            by: 3,
            reason: Reason::Precedence,
        },
    };
    let refused_entry = Entry {
        position: 4,
        previous: nullivote::board::EntryDigest(previous),
        payload: Payload::Refused(Box::new(refusal.clone())),
    };
    assert_eq!(
        RefusalEntry::from_bytes(&refusal.to_bytes()).unwrap(),
        refusal
    );
    json!({
        "description": "The board's and the administrator's signatures (§3.9) — a batch of three receipts under one signature of the Merkle root of their leaves (§11.2), the final head, two closes — under the keys b·G and d·G of the manifest of ballot.json, in its election (base_hash), on fixed statements; each is a Schnorr proof R ‖ s (§4.1) under the statement's transcript, deterministic (§4.1). Each 'signature_changed_must_fail' flips one bit of s and must fail. Then the encodings of close entries (kind 2, 3) and of a refusal entry (kind 4, §11.6) with their entry digests (§11.1).",
        "base_hash": h(base),
        "board_secret_u64_test_only_secret": BOARD_SECRET,
        "board_key": h(board.public().as_bytes()),
        "administrator_secret_u64_test_only_secret": ADMINISTRATOR_SECRET,
        "administrator_key": h(administrator.public().as_bytes()),
        "receipts": {
            "batch_first": 5,
            "batch_count": 3,
            "entries": batch.iter().map(|(e, _)| h(e)).collect::<Vec<_>>(),
            "tracking_codes": batch.iter().map(|(_, c)| h(c)).collect::<Vec<_>>(),
            "leaves": leaves.iter().map(h).collect::<Vec<_>>(),
            "root": h(root),
            "signature": h(receipts[0].signature.encode()),
            "signature_changed_must_fail": receipt_bad,
            "json": serde_json::to_value(&receipts).unwrap(),
        },
        "final_head": {
            "board_entries": 9,
            "board_head": h(head),
            "signature": h(final_signature.encode()),
            "signature_changed_must_fail": head_bad,
        },
        "closes": close_cases,
        "refusal": {
            "payload": h(refusal.to_bytes()),
            "entry_json": serde_json::to_value(&refused_entry).unwrap(),
            "entry_digest": h(refused_entry.digest().as_bytes()),
        },
    })
}
