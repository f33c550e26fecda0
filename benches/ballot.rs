//! What a ballot costs, and what it is made of.
//!
//! Four criterion groups, each answering a question a deployer asks:
//!
//! * `primitives`: what one group operation costs on this machine: fixed-base multiplication by
//!   `G` (`fixed_base_ct_G`) and by another point's table (`fixed_base_ct_table`, as for the
//!   election key `K` and the nullifier base `H_E`), variable-base multiplication
//!   (`variable_base_ct`), `compress`, `decompress`, one merlin append + 64-byte challenge
//!   reduced mod ℓ (`merlin_challenge`), and the **per-point** cost of a vartime multiscalar
//!   multiplication (`vartime_msm/n`, `Throughput::Elements(n)`) at the sizes the ballot
//!   verifiers use (21, 39, 69: one 1-of-2/5/10 ballot; 1155, 2307, 4227: batches of 64
//!   1-of-2/5/10 ballots; 18435: a batch of 1024 1-of-2 ballots) and at round sizes 64, 1024,
//!   16384. At the ballots' sizes as many scalars are 128-bit as the verifier's fold has there
//!   ([`msm_short_scalars`]: a ballot's commitments, spec §4.4), the rest full; at the round
//!   sizes all are full.
//! * `proofs`: each proof alone, prove (`_ct`) and verify (`_vartime`): Schnorr, DLEQ (with
//!   plain variable-base multiplications, and with fixed-base tables as the eligibility proof
//!   uses), the selection range proof `0..=1`, and the contest-sum range proof `1..=1` over the
//!   two ciphertexts of a 1-of-2 contest.
//! * `ballot_build`: [`nullivote::ballot::prepare`] for one contest of 1-of-2, 1-of-5, 1-of-10
//!   (`Throughput::Elements(1)`: ballots per second).
//! * `ballot_verify`: [`Ballot::verify`] alone, [`nullivote::ballot::verify_batch`] over 64,
//!   1,024 and 16,384 1-of-2 ballots on one core (`_1core`: a one-thread rayon pool) and on every
//!   core (`_all_cores`), the accumulation of their equations without the MSM
//!   (`accumulate_only_1core`: transcripts, proof digests, pushes; not the coefficients
//!   `ρ_{g,t}` and their products, computed when the fold is evaluated), [`Wire::decode`] of the
//!   same ballots from bytes (`decode_1-of-2`, one core; it decompresses every point), and decode +
//!   verify from bytes (`decode_verify_1-of-2_1core` / `_all_cores`: what a verifier of a
//!   published record pays), all with `Throughput::Elements(ballots)` so single and batched read
//!   alike. Beside each batch size, its floor measured in the same run with the exact counts of
//!   those ballots (printed when the bench starts): `floor_decompress_1-of-2_{1core,all_cores}/B`
//!   decompresses as many distinct points as the batch decodes, and `floor_msm_1-of-2_{1core,
//!   all_cores}/B` is one vartime MSM over as many random points as the batch's equations have
//!   (dynamic points plus the shared bases); on every core, the same work cut into one equal part
//!   per rayon thread, run side by side (`verify_batch` cuts a batch the same way).
//!
//! The 16,384 ballots are built once, in parallel (the smaller batches are their prefixes).
//! Run with `cargo bench --bench ballot` (about seven minutes on two cores), then
//! `cargo run --release --example bench_report` for the table of medians, spreads and ratios.
//!
//! # Operation counts (the floor)
//!
//! Counted from the code (`ballot/build.rs`, `ballot/verify.rs`, `proofs/*.rs`, `elgamal.rs`,
//! `nullifier.rs`, `mod.rs` of `ballot`). For contest `i` let `nᵢ` be its options,
//! `bᵢ = option_limitᵢ + 1` the branches of each selection proof and
//! `sᵢ = max_selectionsᵢ − min_selectionsᵢ + 1` the branches of its sum proof.
//!
//! **Build** (`prepare`; no countersignature). `X = x·G` is computed twice (roll check and
//! eligibility), `N = x·H_E` once; each ciphertext is 2 G-table + 1 K-table mults and 2
//! compressions; each range-proof branch is 2 G-table + 1 K-table mults and 2 compressions
//! (simulated and real branches alike: the prover is constant time); the eligibility DLEQ is
//! 1 G-table + 1 H_E-table mult and 2 compressions. No variable-base mult, no MSM.
//!
//! ```text
//! fixed-base G        3 + Σᵢ [ nᵢ(2 + 2bᵢ) + 2sᵢ ]
//! fixed-base table    2 + Σᵢ [ nᵢ(1 + bᵢ) + sᵢ ]        (K: Σᵢ…, H_E: 2)
//! compress            5 + Σᵢ [ nᵢ(2 + 2bᵢ) + 2sᵢ ]
//! merlin challenges   1 + Σᵢ (nᵢ + 1)                   (+ as many hedged RNGs, + 1 for nonces)
//! ```
//!
//! A countersignature (postal intake) adds 2 G-table mults and 2 compressions.
//!
//! **Verify** (`Ballot::verify`): no compression and no fixed- or variable-base mult; one vartime
//! MSM. Shared bases `G`, `K`, `H_E` (+ one per channel authority) are folded; each range-proof
//! branch adds its 2 commitments, each selection proof its ciphertext `A`, `B`; the contest-sum
//! proof adds its terms on `ΣA`, `ΣB` to the selections' own points (no new point, no point
//! addition; spec §4.4); the DLEQ adds `R₁`, `X`, `R₂`, `N`; a countersignature adds `R`. So the
//! dynamic points are exactly the points the ballot decodes.
//!
//! ```text
//! dynamic points D    4 + Σᵢ [ nᵢ(2bᵢ + 2) + 2sᵢ ]      (+1 countersigned; = decode)
//! one ballot          vartime MSM of D + 3 (+ authorities) points
//! batch of B ballots  one vartime MSM of C·D + 3 (+ authorities) points per chunk of C ballots
//! merlin challenges   1 + Σᵢ (nᵢ + 1)                   (one per proof; + a SHA-256 digest each)
//! decode              4 + Σᵢ [ nᵢ(2 + 2bᵢ) + 2sᵢ ] decompressions (+1 countersigned)
//! ```
//!
//! `verify_batch` cuts the batch into one chunk per rayon thread (`C = ⌈B/threads⌉`, at most
//! 4096) and evaluates the chunks in parallel: on one core a batch of up to 4096 ballots is one
//! MSM of `B·D + 3` points; on `t` cores the wall-clock floor is `t` MSMs of `C·D + 3` points
//! run side by side.
//!
//! **The benched shape**: one contest 1-of-n (`bᵢ = 2`, `sᵢ = 1`), online channel, no authority:
//!
//! ```text
//!                       formula     1-of-2   1-of-5   1-of-10
//! build  fixed-base G   6n + 5        17       35       65
//! build  fixed-base T   3n + 3         9       18       33     (K: 3n+1, H_E: 2)
//! build  compress       6n + 7        19       37       67
//! verify MSM points     6n + 9        21       39       69     (one ballot)
//! batch  points/ballot  6n + 6        18       36       66     (+3 per chunk)
//! decode decompress     6n + 6        18       36       66
//! ```
//!
//! so, with the medians of `primitives` and of the floor benches of `ballot_verify`,
//!
//! ```text
//! build_floor(n)        = (6n+5)·fixed_base_ct_G + (3n+3)·fixed_base_ct_table + (6n+7)·compress
//! verify_floor(n)       = vartime_msm(6n+9)                        (one call of that size)
//! batch_64_floor(n)     = vartime_msm(64(6n+6)+3)                  (one core)
//! decode_floor(n)       = (6n+6)·decompress
//! batch_floor(B)        = floor_msm_1-of-2_{cores}(B)              (one MSM of 18B+3 points)
//! decode_floor(B)       = floor_decompress_1-of-2_1core(B)         (18B decompressions)
//! decode_verify_floor(B)= floor_decompress_1-of-2_{cores}(B) + floor_msm_1-of-2_{cores}(B)
//! ```
//!
//! and the ratio measured/floor is what the protocol's bookkeeping (transcripts, hedged RNGs,
//! encodings, allocation, and for large batches the cut into chunks of at most 4,096 ballots)
//! adds on top of its group operations. `examples/bench_report.rs` computes every ratio.
//!
//! | question | bench | floor |
//! | --- | --- | --- |
//! | ballots cast per second | `ballot_build/prepare_ct/1-of-n` | `build_floor(n)` |
//! | ballots verified per second, one at a time | `ballot_verify/verify_vartime/1-of-n` | `verify_floor(n)` |
//! | …batched, one core | `ballot_verify/verify_batch_vartime_1-of-2_1core/B` | `batch_floor(B)` |
//! | …batched, all cores | `ballot_verify/verify_batch_vartime_1-of-2_all_cores/B` | `batch_floor(B)` |
//! | …from bytes, as a record verifier | `ballot_verify/decode_verify_1-of-2_{1core,all_cores}/B` | `decode_verify_floor(B)` |

mod common;

use nullivote::trustee::CeremonyDigest;
use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group,
    criterion_main, measurement::WallTime,
};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rayon::prelude::*;

use nullivote::manifest::ChannelIndex;

use nullivote::Election;
use nullivote::Element;
use nullivote::ballot::{Ballot, prepare, verify_batch};
use nullivote::credential::{CredentialCode, CredentialSecret, Roll};
use nullivote::hazmat::ElectionKey;
use nullivote::hazmat::SecretScalar;
use nullivote::hazmat::Wire;
use nullivote::hazmat::{
    proofs::DleqProof, proofs::DleqStatement, proofs::Msm, proofs::RangeProof,
    proofs::RangeStatement, proofs::RangeWitness, proofs::SchnorrProof, proofs::SchnorrStatement,
};
use nullivote::hazmat::{transcript::election_transcript, transcript::purpose};
use nullivote::manifest::{Channel, ChannelRule, Contest, Manifest, TrusteePolicy};

/// Options per contest of the benched ballots (one contest, exactly one selection).
const OPTIONS: [usize; 3] = [2, 5, 10];
/// Ballots per batch (1-of-2).
const BATCHES: [usize; 3] = [64, 1024, 16384];
/// Multiscalar sizes: one 1-of-2/5/10 ballot (6n + 9), round sizes, the one-core batches of 64
/// 1-of-2/5/10 ballots (64·(6n + 6) + 3) and of 1024 1-of-2 ballots (18·B + 3).
const MSM_SIZES: [usize; 10] = [21, 39, 64, 69, 1024, 1155, 2307, 4227, 16384, 18435];
/// How many of the `points` scalars of [`MSM_SIZES`] are 128-bit: as many as the verifier's fold
/// gives a 1-of-n ballot's commitments (`4n + 4` of its `6n + 6` points: 2 per branch of its
/// `n` two-branch selection proofs and of its one-branch sum proof, and the eligibility proof's
/// 2), per ballot of a one-ballot or batched MSM; none at the round sizes.
fn msm_short_scalars(points: usize) -> usize {
    let short = |n: usize| 4 * n + 4;
    match points {
        // One 1-of-2/5/10 ballot: 6n + 9 points.
        21 => short(2),
        39 => short(5),
        69 => short(10),
        // Batches of 64 1-of-2/5/10 ballots, 64·(6n + 6) + 3, and of 1024 1-of-2 ones.
        1155 => 64 * short(2),
        2307 => 64 * short(5),
        4227 => 64 * short(10),
        18435 => 1024 * short(2),
        _ => 0,
    }
}

/// Voters on the roll; ballots of a batch cycle through them.
const VOTERS: usize = 8;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn random_scalar(rng: &mut ChaCha20Rng) -> Scalar {
    let mut wide = [0u8; 64];
    rng.fill_bytes(&mut wide);
    Scalar::from_bytes_mod_order_wide(&wide)
}

fn element(point: RistrettoPoint) -> Element {
    Element::from_point(point).expect("not the identity")
}

/// The election key of every bench, from a fixed secret.
fn election_key() -> ElectionKey {
    ElectionKey::new(element(RistrettoPoint::mul_base(&Scalar::from(0x5eed_u64))))
}

fn label(options: usize) -> String {
    format!("1-of-{options}")
}

/// An election with one contest of `options` options (exactly one selection, option limit 1),
/// one channel "online" (rank 1, last wins, no authority), 1 of 1 trustees, and `VOTERS`
/// voters from seeded credential codes.
struct Fixture {
    election: Election,
    secrets: Vec<CredentialSecret>,
    choices: Vec<Vec<u32>>,
}

impl Fixture {
    fn new(options: usize) -> Self {
        let contest = Contest {
            name: "contest".to_owned(),
            options: (0..options).map(|j| format!("option {j}")).collect(),
            min_selections: 1,
            max_selections: 1,
            option_limit: 1,
        };
        let channel = Channel {
            name: "online".to_owned(),
            rank: 1,
            rule: ChannelRule::LastWins,
            authority: None,
        };
        let trustees = TrusteePolicy::new(1, 1).expect("1 of 1");
        let manifest = Manifest::new(
            "bench-election",
            vec![contest],
            vec![channel],
            trustees,
            nullivote::simulation::Offices::from_seed(0).authorities(),
        )
        .expect("valid manifest");
        let mut codes = rng(options as u64);
        let secrets: Vec<_> = (0..VOTERS)
            .map(|_| {
                let code = CredentialCode::generate(&mut codes);
                CredentialSecret::derive(&code, manifest.election_id())
            })
            .collect();
        let roll = Roll::new(secrets.iter().map(CredentialSecret::public).collect()).expect("roll");
        let election = Election::new(manifest, election_key(), CeremonyDigest([0; 32]), roll);
        let mut votes = vec![0; options];
        votes[0] = 1;
        Self {
            election,
            secrets,
            choices: vec![votes],
        }
    }

    fn ballot(&self, voter: usize, rng: &mut ChaCha20Rng) -> Ballot {
        prepare(
            &self.election,
            ChannelIndex::new(0),
            &self.secrets[voter % VOTERS],
            &self.choices,
            rng,
        )
        .expect("valid choices")
        .cast()
    }

    /// `count` ballots, built in parallel, each from its own seeded RNG.
    fn ballots(&self, count: usize) -> Vec<Ballot> {
        (0..count)
            .into_par_iter()
            .map(|i| self.ballot(i, &mut rng(1000 + i as u64)))
            .collect()
    }
}

/// A group with the common settings: small samples, short runs, 1 s warm-up.
fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    g
}

/// Settings for benches whose one iteration takes tens of milliseconds.
fn heavy(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(3));
}

fn primitives(c: &mut Criterion) {
    let mut g = group(c, "primitives");
    let mut r = rng(1);
    let s = random_scalar(&mut r);
    let p = RistrettoPoint::mul_base(&random_scalar(&mut r));
    let table = RistrettoBasepointTable::create(&p);
    let compressed = p.compress();

    g.bench_function("fixed_base_ct_G", |b| {
        b.iter(|| RISTRETTO_BASEPOINT_TABLE * black_box(&s))
    });
    g.bench_function("fixed_base_ct_table", |b| b.iter(|| &table * black_box(&s)));
    g.bench_function("variable_base_ct", |b| {
        b.iter(|| black_box(p) * black_box(s))
    });
    g.bench_function("compress", |b| b.iter(|| black_box(&p).compress()));
    g.bench_function("decompress", |b| {
        b.iter(|| CompressedRistretto::decompress(black_box(&compressed)).expect("canonical"))
    });
    let mut t = election_transcript(purpose::SELECTION, &[7; 32]);
    let bytes = compressed.to_bytes();
    g.bench_function("merlin_challenge", |b| {
        b.iter(|| {
            t.append_message(b"commitment", black_box(&bytes));
            let mut wide = [0u8; 64];
            t.challenge_bytes(b"challenge", &mut wide);
            Scalar::from_bytes_mod_order_wide(&wide)
        })
    });

    let max = MSM_SIZES[MSM_SIZES.len() - 1];
    let full: Vec<Scalar> = (0..max).map(|_| random_scalar(&mut r)).collect();
    // Distinct points without `max` full multiplications: a multiple of G plus i·P.
    let mut acc = RistrettoPoint::mul_base(&random_scalar(&mut r));
    let points: Vec<RistrettoPoint> = (0..max)
        .map(|_| {
            acc += p;
            acc
        })
        .collect();
    for n in MSM_SIZES {
        if n >= 1024 {
            heavy(&mut g);
        }
        let short = msm_short_scalars(n);
        let scalars: Vec<Scalar> = (0..n)
            .map(|i| {
                if common::is_short(i, short, n) {
                    common::short_scalar(&mut r)
                } else {
                    full[i]
                }
            })
            .collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("vartime_msm", n), &n, |b, &n| {
            b.iter(|| {
                RistrettoPoint::vartime_multiscalar_mul(
                    black_box(&scalars[..n]),
                    black_box(&points[..n]),
                )
            })
        });
    }
    g.finish();
}

fn proofs(c: &mut Criterion) {
    let mut g = group(c, "proofs");
    let mut r = rng(2);
    let base_hash = [3u8; 32];

    // Schnorr, as a channel countersignature.
    let x = SecretScalar::new(random_scalar(&mut r));
    let schnorr = SchnorrStatement {
        public: element(RISTRETTO_BASEPOINT_TABLE * x.expose()),
    };
    let t0 = election_transcript(purpose::COUNTERSIGNATURE, &base_hash);
    let proof = SchnorrProof::prove(&x, &schnorr, &mut t0.clone(), &mut r);
    assert!(proof.verify(&schnorr, &mut t0.clone()).is_ok());
    g.bench_function("schnorr_prove_ct", |b| {
        b.iter(|| SchnorrProof::prove(&x, &schnorr, &mut t0.clone(), &mut r))
    });
    g.bench_function("schnorr_verify_vartime", |b| {
        b.iter(|| proof.verify(black_box(&schnorr), &mut t0.clone()).is_ok())
    });

    // DLEQ, as the eligibility proof: log_G X = log_H N.
    let h = RistrettoPoint::from_uniform_bytes(&[0x42; 64]);
    let h_table = RistrettoBasepointTable::create(&h);
    let dleq = DleqStatement {
        base1: element(RistrettoPoint::mul_base(&Scalar::ONE)),
        public1: schnorr.public,
        base2: element(h),
        public2: element(&h_table * x.expose()),
    };
    let t0 = election_transcript(purpose::ELIGIBILITY, &base_hash);
    let proof = DleqProof::prove(&x, &dleq, &mut t0.clone(), &mut r);
    assert!(proof.verify(&dleq, &mut t0.clone()).is_ok());
    g.bench_function("dleq_prove_ct_variable_base", |b| {
        b.iter(|| DleqProof::prove(&x, &dleq, &mut t0.clone(), &mut r))
    });
    g.bench_function("dleq_prove_ct_tables", |b| {
        b.iter(|| {
            DleqProof::prove_with(
                &x,
                &dleq,
                |k| RISTRETTO_BASEPOINT_TABLE * k,
                |k| &h_table * k,
                &mut t0.clone(),
                &mut r,
            )
        })
    });
    g.bench_function("dleq_verify_vartime", |b| {
        b.iter(|| proof.verify(black_box(&dleq), &mut t0.clone()).is_ok())
    });

    // Range 0..=1: one selection, voting 1.
    let key = election_key();
    let r1 = SecretScalar::new(random_scalar(&mut r));
    let c1 = key.encrypt(&Scalar::ONE, r1.expose());
    let selection = RangeStatement {
        key: &key,
        ciphertexts: core::slice::from_ref(&c1),
        low: 0,
        high: 1,
    };
    let w1 = RangeWitness::new(1, &r1);
    let t0 = election_transcript(purpose::SELECTION, &base_hash);
    let proof = RangeProof::prove(&w1, &selection, &mut t0.clone(), &mut r).expect("in range");
    assert!(proof.verify(&selection, &mut t0.clone()).is_ok());
    g.bench_function("range_0_to_1_prove_ct", |b| {
        b.iter(|| RangeProof::prove(&w1, &selection, &mut t0.clone(), &mut r).expect("in range"))
    });
    g.bench_function("range_0_to_1_verify_vartime", |b| {
        b.iter(|| proof.verify(black_box(&selection), &mut t0.clone()).is_ok())
    });

    // Range 1..=1 over the two ciphertexts of a 1-of-2 contest (votes 1, 0).
    let r2 = SecretScalar::new(random_scalar(&mut r));
    let c2 = key.encrypt(&Scalar::ZERO, r2.expose());
    let ciphertexts = [c1, c2];
    let sum = RangeStatement {
        key: &key,
        ciphertexts: &ciphertexts,
        low: 1,
        high: 1,
    };
    let w2 = RangeWitness::new(1, &SecretScalar::new(r1.expose() + r2.expose()));
    let t0 = election_transcript(purpose::CONTEST_SUM, &base_hash);
    let proof = RangeProof::prove(&w2, &sum, &mut t0.clone(), &mut r).expect("in range");
    assert!(proof.verify(&sum, &mut t0.clone()).is_ok());
    g.bench_function("range_1_to_1_of_2_prove_ct", |b| {
        b.iter(|| RangeProof::prove(&w2, &sum, &mut t0.clone(), &mut r).expect("in range"))
    });
    g.bench_function("range_1_to_1_of_2_verify_vartime", |b| {
        b.iter(|| proof.verify(black_box(&sum), &mut t0.clone()).is_ok())
    });
    g.finish();
}

fn ballot_build(c: &mut Criterion) {
    let mut g = group(c, "ballot_build");
    g.throughput(Throughput::Elements(1));
    for options in OPTIONS {
        let fixture = Fixture::new(options);
        let mut r = rng(3);
        g.bench_with_input(
            BenchmarkId::new("prepare_ct", label(options)),
            &fixture,
            |b, f| b.iter(|| f.ballot(0, &mut r)),
        );
    }
    g.finish();
}

fn ballot_verify(c: &mut Criterion) {
    let mut g = group(c, "ballot_verify");
    g.throughput(Throughput::Elements(1));
    for options in OPTIONS {
        let fixture = Fixture::new(options);
        let ballot = fixture.ballot(0, &mut rng(4));
        assert_eq!(ballot.verify(&fixture.election), Ok(()));
        let bytes = ballot.encode();
        g.bench_with_input(
            BenchmarkId::new("verify_vartime", label(options)),
            &ballot,
            |b, ballot| b.iter(|| ballot.verify(&fixture.election).is_ok()),
        );
        g.bench_with_input(
            BenchmarkId::new("decode", label(options)),
            &bytes,
            |b, bytes| b.iter(|| Ballot::decode(black_box(bytes)).expect("canonical")),
        );
    }

    let one_core = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("thread pool");
    // Batched per ballot size: 64 ballots of each shape, on one core.
    for options in OPTIONS {
        let fixture = Fixture::new(options);
        let ballots = fixture.ballots(64);
        assert!(verify_batch(&ballots, &fixture.election).is_ok());
        g.throughput(Throughput::Elements(64));
        g.bench_with_input(
            BenchmarkId::new("verify_batch_vartime_64_1core", label(options)),
            &ballots,
            |b, ballots| {
                b.iter(|| one_core.install(|| verify_batch(ballots, &fixture.election).is_ok()))
            },
        );
    }

    // The batches of 1-of-2 ballots: the largest built once, the smaller ones its prefixes.
    let fixture = Fixture::new(2);
    let largest = fixture.ballots(BATCHES[BATCHES.len() - 1]);
    let threads = rayon::current_num_threads();
    for count in BATCHES {
        let ballots = &largest[..count];
        assert!(verify_batch(ballots, &fixture.election).is_ok());
        let encoded: Vec<Vec<u8>> = ballots.par_iter().map(Wire::encode).collect();
        // The floor's operation counts, from these very ballots: every point they decode, and
        // one MSM of every dynamic point of their equations plus the shared bases.
        let decompressed: usize = ballots.iter().map(common::ballot_points).sum();
        // The issue's floor: one MSM over the points the ballots hold, plus the shared bases;
        // the verifier's equations have exactly those points (spec §4.4).
        assert_eq!(
            common::dynamic_points(ballots, &fixture.election),
            decompressed
        );
        let msm_points = decompressed + common::shared_points(&fixture.election);
        let short: usize = ballots.iter().map(common::ballot_short_points).sum();
        let floor = common::Floor::new(decompressed, msm_points, short, 7 + count as u64);
        println!(
            "batch of {count} 1-of-2 ballots: {decompressed} points decoded, {msm_points} MSM points ({short} with 128-bit scalars), {threads} rayon threads"
        );
        heavy(&mut g);
        g.throughput(Throughput::Elements(count as u64));
        g.bench_with_input(
            BenchmarkId::new("verify_batch_vartime_1-of-2_1core", count),
            ballots,
            |b, ballots| {
                b.iter(|| one_core.install(|| verify_batch(ballots, &fixture.election).is_ok()))
            },
        );
        // The bookkeeping alone (transcripts, proof digests, pushes): the batch minus its MSM and
        // minus the weighing of the terms by their coefficients, done when the fold is evaluated.
        g.bench_with_input(
            BenchmarkId::new("accumulate_only_1-of-2_1core", count),
            ballots,
            |b, ballots| {
                b.iter(|| {
                    let mut msm = Msm::with_shared(&fixture.election.shared_bases());
                    for ballot in ballots {
                        ballot
                            .accumulate(&fixture.election, &mut msm)
                            .expect("well formed");
                    }
                    msm.len()
                })
            },
        );
        g.bench_with_input(
            BenchmarkId::new("verify_batch_vartime_1-of-2_all_cores", count),
            ballots,
            |b, ballots| b.iter(|| verify_batch(ballots, &fixture.election).is_ok()),
        );
        g.bench_with_input(
            BenchmarkId::new("decode_1-of-2", count),
            &encoded,
            |b, encoded| {
                b.iter(|| {
                    encoded
                        .iter()
                        .map(|bytes| Ballot::decode(black_box(bytes)).expect("canonical"))
                        .collect::<Vec<_>>()
                })
            },
        );
        // What a verifier of a published record pays: decode from bytes, then verify.
        let decode_verify = |encoded: &[Vec<u8>]| {
            let decoded: Vec<Ballot> = encoded
                .par_iter()
                .map(|bytes| Ballot::decode(black_box(bytes)).expect("canonical"))
                .collect();
            verify_batch(&decoded, &fixture.election).is_ok()
        };
        g.bench_with_input(
            BenchmarkId::new("decode_verify_1-of-2_1core", count),
            &encoded,
            |b, encoded| b.iter(|| one_core.install(|| decode_verify(encoded))),
        );
        g.bench_with_input(
            BenchmarkId::new("decode_verify_1-of-2_all_cores", count),
            &encoded,
            |b, encoded| b.iter(|| decode_verify(encoded)),
        );
        // Their floor: the same number of decompressions, and one MSM of the same number of
        // points (on every core: the same work in one part per thread, side by side).
        g.bench_function(
            BenchmarkId::new("floor_decompress_1-of-2_1core", count),
            |b| b.iter(|| floor.decompress(1)),
        );
        g.bench_function(BenchmarkId::new("floor_msm_1-of-2_1core", count), |b| {
            b.iter(|| floor.msm(1))
        });
        g.bench_function(
            BenchmarkId::new("floor_decompress_1-of-2_all_cores", count),
            |b| b.iter(|| floor.decompress(threads)),
        );
        g.bench_function(BenchmarkId::new("floor_msm_1-of-2_all_cores", count), |b| {
            b.iter(|| floor.msm(threads))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().nresamples(20_000);
    targets = primitives, proofs, ballot_build, ballot_verify
}
criterion_main!(benches);
