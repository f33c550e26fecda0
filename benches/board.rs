//! The board's admission throughput, and what signing its receipts costs (issue #17).
//!
//! `board/submit_batch/1024` admits a batch of 1024 fresh leadership ballots into an empty board
//! (the batched proof check, the admission rules, the chain digest, and the batch's receipts
//! under one signature of their Merkle root); `board/sign_batch/1024` signs such a batch's
//! receipts alone, and `board/sign_receipts/1024` signs 1024 receipts one by one (what one
//! signature per entry would cost). The README compares `submit_batch` with the same bench of
//! the commit before signed receipts.
//!
//! `cargo bench --bench board` (about a minute on two cores).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use nullivote::Election;
use nullivote::ballot::{Ballot, TrackingCode, prepare};
use nullivote::board::EntryDigest;
use nullivote::board::{Board, Receipt};
use nullivote::credential::{CredentialCode, CredentialSecret, Roll};
use nullivote::manifest::ChannelIndex;
use nullivote::simulation::Offices;
use nullivote::trustee::run_ceremony;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rayon::prelude::*;

const BATCH: usize = 1024;

fn election(offices: &Offices) -> (Election, Vec<CredentialSecret>) {
    let manifest = offices.leadership();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let (_, public, _) = run_ceremony(manifest.trustees(), &manifest, &mut rng).expect("ceremony");
    let secrets: Vec<CredentialSecret> = (0..BATCH)
        .map(|_| {
            CredentialSecret::derive(&CredentialCode::generate(&mut rng), manifest.election_id())
        })
        .collect();
    let roll = Roll::new(secrets.iter().map(CredentialSecret::public).collect()).expect("roll");
    let election = Election::new(
        manifest,
        public.election_key(),
        public.ceremony_digest(),
        roll,
    );
    (election, secrets)
}

fn board(c: &mut Criterion) {
    let offices = Offices::from_seed(1);
    let (election, secrets) = election(&offices);
    let ballots: Vec<Ballot> = secrets
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let mut rng = ChaCha20Rng::seed_from_u64(i as u64);
            prepare(&election, ChannelIndex::new(0), s, &[vec![1, 0]], &mut rng)
                .expect("a ballot")
                .cast()
        })
        .collect();
    let key = || Offices::from_seed(1).board;
    let mut g = c.benchmark_group("board");
    g.sample_size(10);
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function(format!("submit_batch/{BATCH}"), |b| {
        b.iter_batched(
            || {
                (
                    Board::new(election.clone(), key()).expect("the board key"),
                    ballots.clone(),
                )
            },
            |(mut board, ballots)| {
                let receipts = board.submit_batch(ballots);
                assert!(receipts.iter().all(Result::is_ok));
                board
            },
            BatchSize::LargeInput,
        )
    });
    let signer = key();
    let entries: Vec<(EntryDigest, TrackingCode)> = (0..BATCH as u64)
        .map(|p| (EntryDigest([p as u8; 32]), TrackingCode([7; 32])))
        .collect();
    g.bench_function(format!("sign_batch/{BATCH}"), |b| {
        b.iter(|| Receipt::sign_batch(&signer, &election, 0, &entries))
    });
    g.bench_function(format!("sign_receipts/{BATCH}"), |b| {
        b.iter(|| {
            (0..BATCH as u64)
                .map(|p| {
                    Receipt::sign(
                        &signer,
                        &election,
                        p,
                        EntryDigest([p as u8; 32]),
                        TrackingCode([7; 32]),
                    )
                })
                .collect::<Vec<Receipt>>()
        })
    });
    g.finish();
}

criterion_group!(benches, board);
criterion_main!(benches);
