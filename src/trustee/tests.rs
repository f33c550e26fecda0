//! A whole ceremony as it runs in practice: every trustee saves its state to bytes and reloads
//! it between rounds, every package (the sealed shares of round 3 too) travels as JSON;
//! then the election is set up from the outcome and its tally decrypted.

use crate::board::EntryDigest;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::*;
use crate::credential::{PublicCredential, Roll};
use crate::election::Election;
use crate::elgamal::{Ciphertext, CiphertextSum};
use crate::manifest::Manifest;
use crate::testing::test_rng;

fn wire<T: Serialize + DeserializeOwned>(value: &T) -> T {
    serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
}

fn wire_all<T: Serialize + DeserializeOwned>(values: &[T]) -> Vec<T> {
    values.iter().map(wire).collect()
}

#[test]
fn ceremony_with_saves_and_wire_formats_then_decryption() {
    let authority =
        Element::from_point_as(RistrettoPoint::mul_base(&Scalar::from(77u8)), "a").unwrap();
    let manifest = Manifest::leadership(authority, crate::testing::test_authorities(0)).unwrap();
    let policy = manifest.trustees();
    let mut rng = test_rng(42);

    let mut saved = Vec::new();
    let mut p1 = Vec::new();
    for t in TrusteeIndex::all(policy) {
        let (s, p) = part1(t, policy, &manifest, &mut rng).unwrap();
        saved.push(s.to_secret_bytes());
        p1.push(p);
    }
    let p1 = wire_all(&p1);

    let mut p2 = Vec::new();
    for bytes in &mut saved {
        let s = round1::SecretPackage::from_secret_bytes(bytes).unwrap();
        let (next, p) = part2(&s, &p1).unwrap();
        *bytes = next.to_secret_bytes();
        p2.push(p);
    }
    let p2 = wire_all(&p2);

    let mut p3 = Vec::new();
    for bytes in &mut saved {
        let s = round2::SecretPackage::from_secret_bytes(bytes).unwrap();
        let (next, p) = part3(&s, &p1, &p2).unwrap();
        *bytes = next.to_secret_bytes();
        p3.push(p);
    }
    let p3 = wire_all(&p3);

    let mut p4 = Vec::new();
    for bytes in &mut saved {
        let s = round3::SecretPackage::from_secret_bytes(bytes).unwrap();
        let (next, p) = part4(&s, &p3).unwrap();
        *bytes = next.to_secret_bytes();
        p4.push(p);
    }
    let p4 = wire_all(&p4);

    let p5: Vec<_> = saved
        .iter()
        .map(|bytes| {
            let s = round4::SecretPackage::from_secret_bytes(bytes).unwrap();
            resolve_complaints(&s, &p4).unwrap()
        })
        .collect();
    let p5 = wire_all(&p5);

    let mut keys: Vec<TrusteeKey> = Vec::new();
    let mut public = None;
    for bytes in &saved {
        let s = round4::SecretPackage::from_secret_bytes(bytes).unwrap();
        let (key, p) = finish(&s, &p4, &p5).unwrap();
        keys.push(TrusteeKey::from_secret_bytes(&key.to_secret_bytes()).unwrap());
        if let Some(previous) = &public {
            assert_eq!(previous, &p);
        }
        public = Some(p);
    }
    let public: PublicKeySet = wire(&public.unwrap());
    assert_eq!(
        verify_ceremony(&manifest, &p1, &p2, &p4, &p5).unwrap(),
        public
    );

    // The election, with the ceremony digest in its base hash, and a tally.
    let voter = Element::from_point_as(RistrettoPoint::mul_base(&Scalar::from(5u8)), "x").unwrap();
    let election = Election::new(
        manifest,
        public.election_key(),
        public.ceremony_digest(),
        Roll::new(vec![PublicCredential::new(voter)]).unwrap(),
    );
    let key = election.key().clone();
    let votes = [[1u64, 0], [0, 1], [1, 0], [1, 0], [0, 1]];
    let ballots: Vec<[Ciphertext; 2]> = votes
        .iter()
        .zip(1u64..)
        .map(|(v, r)| {
            [
                key.encrypt(&Scalar::from(v[0]), &Scalar::from(r * 31)),
                key.encrypt(&Scalar::from(v[1]), &Scalar::from(r * 37)),
            ]
        })
        .collect();
    let aggregates: Vec<CiphertextSum> = (0..2)
        .map(|o| Ciphertext::sum(ballots.iter().map(|b| &b[o])))
        .collect();

    // Trustees 2, 4 and 5 are present, each with its key reloaded from disk after decrypting.
    let head = BoardHead::new(EntryDigest::genesis(election.base_hash()), 7);
    let shares: Vec<DecryptionShare> = [1usize, 3, 4]
        .iter()
        .map(|&t| {
            let share = keys[t]
                .decrypt_share(&election, &head, &aggregates, &mut rng)
                .unwrap();
            let reloaded = TrusteeKey::from_secret_bytes(&keys[t].to_secret_bytes()).unwrap();
            assert_eq!(reloaded.decrypted_for(), Some(head));
            wire(&share)
        })
        .collect();
    let result = combine(&public, &election, &head, &aggregates, &shares, 5).unwrap();
    assert_eq!(result.values(), &[3, 2]);
    verify_decryption(
        &public,
        &election,
        &head,
        &aggregates,
        &shares,
        result.values(),
    )
    .unwrap();
}
