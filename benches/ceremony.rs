//! What the rest of an election costs: the key ceremony, decrypting the tally, and applying
//! channel precedence to a national-scale board.
//!
//! * `key_ceremony`: [`run_ceremony`] for 3-of-5 and 7-of-10 trustees, all trustees played in one
//!   process (a real ceremony runs them on separate machines; each does 1/n of this work).
//! * `decrypt_tally`: one trustee's decryption share of a 1-of-2 tally, and [`combine`] of three
//!   shares (verifying their proofs, Lagrange, bounded discrete log for 160,000 ballots).
//! * `precedence`: [`decide`] over 160,000 cast ballots of which about 10 % are second ballots
//!   of the same member on either channel (`Throughput::Elements`: ballots per second).
//!
//! Run with `cargo bench --bench ceremony`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use curve25519_dalek::{RistrettoPoint, Scalar};
use nullivote::Election;
use nullivote::Element;
use nullivote::ballot::Nullifier;
use nullivote::board::EntryDigest;
use nullivote::board::{CastBallot, decide};
use nullivote::credential::{PublicCredential, Roll};
use nullivote::hazmat::CiphertextSum;
use nullivote::hazmat::Wire;
use nullivote::manifest::{ChannelIndex, Manifest, TrusteePolicy};
use nullivote::trustee::{BoardHead, TrusteeKey, combine, run_ceremony};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

fn manifest(count: u16, threshold: u16) -> Manifest {
    let base = nullivote::simulation::Offices::from_seed(0).leadership();
    Manifest::new(
        format!("bench-{threshold}-of-{count}"),
        base.contests().to_vec(),
        base.channels().to_vec(),
        TrusteePolicy::new(threshold, count).expect("a valid policy"),
        base.authorities(),
    )
    .expect("a valid manifest")
}

fn key_ceremony(c: &mut Criterion) {
    let mut group = c.benchmark_group("key_ceremony");
    group.sample_size(10);
    for (k, n) in [(3u16, 5u16), (7, 10)] {
        let m = manifest(n, k);
        group.bench_function(BenchmarkId::from_parameter(format!("{k}_of_{n}")), |b| {
            let mut rng = ChaCha20Rng::seed_from_u64(1);
            b.iter(|| run_ceremony(m.trustees(), &m, &mut rng).expect("an honest ceremony"));
        });
    }
    group.finish();
}

fn decrypt_tally(c: &mut Criterion) {
    let mut group = c.benchmark_group("decrypt_tally");
    group.sample_size(20);
    let m = manifest(5, 3);
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let (mut keys, public, _) =
        run_ceremony(m.trustees(), &m, &mut rng).expect("an honest ceremony");
    let roll = Roll::new(vec![PublicCredential::new(Element::generator())]).expect("a roll");
    let election = Election::new(m, public.election_key(), public.ceremony_digest(), roll);
    // A tally of 160,000 ballots: 90,000 for the first option, 70,000 for the second.
    let key = public.election_key();
    let aggregates: Vec<CiphertextSum> = [90_000u64, 70_000]
        .iter()
        .map(|&v| {
            let c = key.encrypt(&Scalar::from(v), &Scalar::from(rng.next_u64()));
            CiphertextSum {
                a: *c.a.point(),
                b: *c.b.point(),
            }
        })
        .collect();
    // The tally of a board of 160,003 entries (the head is only absorbed by the proofs).
    let head = BoardHead::new(EntryDigest::genesis(election.base_hash()), 160_003);
    group.bench_function("share_1_of_2_ct", |b| {
        // A fresh copy of the key each time: a key decrypts one tally, and the first decryption
        // (drawing and recording the nonce seed) is the one measured.
        let saved = keys[0].to_secret_bytes();
        b.iter(|| {
            TrusteeKey::from_secret_bytes(&saved)
                .expect("a key")
                .decrypt_share(&election, &head, &aggregates, &mut rng)
                .expect("a share")
        });
    });
    let shares: Vec<_> = keys[..3]
        .iter_mut()
        .map(|k| {
            k.decrypt_share(&election, &head, &aggregates, &mut rng)
                .expect("a share")
        })
        .collect();
    group.bench_function("combine_3_shares_160000_ballots_vartime", |b| {
        b.iter(|| {
            combine(&public, &election, &head, &aggregates, &shares, 160_000).expect("a decryption")
        });
    });
    group.finish();
}

fn precedence(c: &mut Criterion) {
    let mut group = c.benchmark_group("precedence");
    group.sample_size(10);
    let m = nullivote::simulation::Offices::from_seed(0).leadership();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let members: Vec<Nullifier> = (0..144_000)
        .map(|_| {
            let p = RistrettoPoint::mul_base(&Scalar::from(rng.next_u64()));
            Nullifier::decode(Element::from_point(p).expect("not the identity").as_bytes())
                .expect("a nullifier")
        })
        .collect();
    let cast: Vec<CastBallot> = (0..160_000u64)
        .map(|position| {
            let member = if position < 144_000 {
                position as usize
            } else {
                (rng.next_u32() % 144_000) as usize
            };
            CastBallot {
                position,
                nullifier: members[member],
                channel: ChannelIndex::new((rng.next_u32() % 4 == 0) as u8),
            }
        })
        .collect();
    group.throughput(Throughput::Elements(cast.len() as u64));
    group.bench_function("decide_160000", |b| {
        b.iter(|| decide(&m, &cast).expect("known channels"))
    });
    group.finish();
}

criterion_group!(benches, key_ceremony, decrypt_tally, precedence);
criterion_main!(benches);
