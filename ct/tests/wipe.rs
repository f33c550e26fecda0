//! Dropping a secret wipes it: a global allocator that, while armed, looks for registered secret
//! byte strings ("needles") in every heap block as it is freed (and in the old block of a
//! reallocation that moves). A secret value is boxed and the box dropped, so its own `Drop`
//! (`ZeroizeOnDrop`) must have cleared its memory, inline and on the heap, before the block is
//! freed; whole operations (`prepare`, the DKG rounds, `decrypt_share`) run armed too, which
//! catches heap copies of secrets that are freed without being wiped (a temporary `Vec`, a
//! reallocation of a growing one).
//!
//! The key ceremony's secrets are every coefficient `a_{i,j}`, every share `s_{i→l} = f_i(l)`
//! (sealed in round 3, opened in round 4: its plaintext bytes must not outlive the sealing or the
//! opening), every key share `x_l`, and every share-encryption secret `e_i` (which `part3`,
//! `part4` and `round3::SecretPackage::package` seal and open with; recomputed here as the crate
//! derives it from the coefficients, or read from a saved state if the crate saves it, and checked
//! against the published `E_i`). A trustee key that has decrypted a tally also keeps the seed of
//! its proof nonces.
//!
//! Stack copies are out of reach of this test (a moved-from value is not dropped in Rust).
//!
//! One `#[test]` so that nothing else runs while the allocator is armed.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use curve25519_dalek::scalar::Scalar;
use nullivote::AuthorityKey;
use nullivote::ballot::prepare;
use nullivote::credential::{CredentialCode, CredentialSecret};
use nullivote::hazmat::SecretScalar;
use nullivote::hazmat::proofs::RangeWitness;
use nullivote::hazmat::{Ciphertext, CiphertextSum};
use nullivote::trustee::{TrusteeIndex, finish, part1, part2, part3, part4, resolve_complaints};
use nullivote_ct::fixtures::{self, public_rng, scalar};

// --- the watching allocator -----------------------------------------------------------------

const MAX_NEEDLES: usize = 256;
const MAX_LEN: usize = 64;

struct Needles {
    len: [usize; MAX_NEEDLES],
    bytes: [[u8; MAX_LEN]; MAX_NEEDLES],
    count: usize,
    /// Per needle, the number of freed blocks that still held it.
    hits: [usize; MAX_NEEDLES],
}

struct Watch {
    lock: AtomicBool,
    armed: AtomicBool,
    needles: UnsafeCell<Needles>,
    frees: AtomicUsize,
}

// SAFETY: `needles` is only touched with `lock` held.
unsafe impl Sync for Watch {}

static WATCH: Watch = Watch {
    lock: AtomicBool::new(false),
    armed: AtomicBool::new(false),
    needles: UnsafeCell::new(Needles {
        len: [0; MAX_NEEDLES],
        bytes: [[0; MAX_LEN]; MAX_NEEDLES],
        count: 0,
        hits: [0; MAX_NEEDLES],
    }),
    frees: AtomicUsize::new(0),
};

impl Watch {
    fn with<R>(&self, f: impl FnOnce(&mut Needles) -> R) -> R {
        while self
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
        // SAFETY: exclusive under the lock; `f` never allocates (the allocator calls it).
        let r = f(unsafe { &mut *self.needles.get() });
        self.lock.store(false, Ordering::Release);
        r
    }

    /// Records every needle found in `block` (about to be freed).
    fn scan(&self, ptr: *const u8, size: usize) {
        if !self.armed.load(Ordering::Acquire) {
            return;
        }
        self.frees.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the block is live until the caller frees it.
        let block = unsafe { core::slice::from_raw_parts(ptr, size) };
        self.with(|n| {
            for i in 0..n.count {
                let needle = &n.bytes[i][..n.len[i]];
                if block.windows(needle.len()).any(|w| w == needle) {
                    n.hits[i] += 1;
                }
            }
        });
    }

    fn contains_any(&self, ptr: *const u8, size: usize) -> bool {
        // SAFETY: as in `scan`.
        let block = unsafe { core::slice::from_raw_parts(ptr, size) };
        self.with(|n| {
            (0..n.count).any(|i| {
                let needle = &n.bytes[i][..n.len[i]];
                block.windows(needle.len()).any(|w| w == needle)
            })
        })
    }
}

struct WipeCheck;

unsafe impl GlobalAlloc for WipeCheck {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        WATCH.scan(ptr, layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The old block's content: if the reallocation moves it, the old block is freed as is.
        let held = WATCH.armed.load(Ordering::Acquire) && WATCH.contains_any(ptr, layout.size());
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if held && new != ptr {
            // Count it as a freed block holding the needles (rescan the new copy to name them).
            WATCH.scan(new, layout.size().min(new_size));
        }
        new
    }
}

#[global_allocator]
static ALLOC: WipeCheck = WipeCheck;

/// Runs `op` with `needles` registered and the allocator armed; returns, per needle, how many
/// freed blocks still held it.
fn watching(needles: &[&[u8]], op: impl FnOnce()) -> [usize; MAX_NEEDLES] {
    assert!(needles.len() <= MAX_NEEDLES);
    assert!(needles.iter().all(|n| n.len() <= MAX_LEN && n.len() >= 16));
    WATCH.with(|n| {
        n.count = needles.len();
        for (i, needle) in needles.iter().enumerate() {
            n.len[i] = needle.len();
            n.bytes[i][..needle.len()].copy_from_slice(needle);
            n.hits[i] = 0;
        }
    });
    WATCH.armed.store(true, Ordering::Release);
    op();
    WATCH.armed.store(false, Ordering::Release);
    WATCH.with(|n| {
        let hits = n.hits[..n.count].to_vec_no_alloc();
        n.count = 0;
        n.bytes = [[0; MAX_LEN]; MAX_NEEDLES];
        hits
    })
}

/// `to_vec` would allocate under the lock (and re-enter the allocator): copy into a fixed array.
trait NoAlloc {
    fn to_vec_no_alloc(&self) -> [usize; MAX_NEEDLES];
}

impl NoAlloc for [usize] {
    fn to_vec_no_alloc(&self) -> [usize; MAX_NEEDLES] {
        let mut out = [0; MAX_NEEDLES];
        out[..self.len()].copy_from_slice(self);
        out
    }
}

fn hits(needles: &[&[u8]], op: impl FnOnce()) -> Vec<usize> {
    let n = needles.len();
    watching(needles, op)[..n].to_vec()
}

// --- the checks -----------------------------------------------------------------------------

fn b(s: &Scalar) -> [u8; 32] {
    s.to_bytes()
}

#[test]
fn dropping_secrets_wipes_them() {
    let mut rng = public_rng(11);
    let mut failures: Vec<String> = Vec::new();
    // Needles are named by `name` in the report: (secret, freed blocks that held it).
    let mut named =
        |what: &str, needles: &[&[u8]], name: &dyn Fn(usize) -> String, op: &mut dyn FnMut()| {
            let h = hits(needles, op);
            let dirty: Vec<(String, usize)> = h
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(i, n)| (name(i), *n))
                .collect();
            let verdict = if dirty.is_empty() {
                "wiped"
            } else {
                "NOT WIPED"
            };
            println!("{verdict:>9}  {what}  {dirty:?}");
            if !dirty.is_empty() {
                failures.push(format!(
                    "{what}: (secret, freed blocks holding it) {dirty:?}"
                ));
            }
        };
    let plain = |i: usize| format!("secret #{i}");

    // Positive control: a plain boxed array is freed with its content.
    let s = scalar(&mut rng);
    let control_hits = hits(&[&b(&s)], || drop(Box::new(b(&s))));
    assert_eq!(control_hits, vec![1], "the detector sees an unwiped block");

    // SecretScalar
    let s = scalar(&mut rng);
    let mut boxed = Some(Box::new(SecretScalar::new(s)));
    named("SecretScalar (drop)", &[&b(&s)], &plain, &mut || {
        drop(boxed.take())
    });

    // CredentialCode: the symbols inline, the display text on the heap.
    let code = CredentialCode::generate(&mut rng);
    let text = code.expose().as_bytes().to_vec();
    let symbols = fixtures::symbols_of(code.expose());
    let mut boxed = Some(Box::new(code));
    named(
        "CredentialCode (drop: symbols and text)",
        &[&text[..], &symbols[..]],
        &|i| ["the text", "the symbols"][i].to_owned(),
        &mut || drop(boxed.take()),
    );

    // CredentialSecret
    let code = CredentialCode::generate(&mut rng);
    let secret = CredentialSecret::derive(&code, "ct");
    let x = b(secret.expose());
    let mut boxed = Some(Box::new(secret));
    named("CredentialSecret (drop)", &[&x], &plain, &mut || {
        drop(boxed.take())
    });

    // RangeWitness
    let nonce = SecretScalar::new(scalar(&mut rng));
    let r = b(nonce.expose());
    let mut boxed = Some(Box::new(RangeWitness::new(1, &nonce)));
    named("RangeWitness (drop)", &[&r], &plain, &mut || {
        drop(boxed.take())
    });

    // AuthorityKey (the board's, the administrator's): signing a receipt armed (its nonce is
    // derived from the transcript rekeyed with the secret), then the key dropped.
    let x = scalar(&mut rng);
    let key = AuthorityKey::from_secret(SecretScalar::new(x)).unwrap();
    let authority = SecretScalar::new(scalar(&mut rng));
    let election = fixtures::voter(fixtures::leadership(&authority), 16).election;
    named(
        "AuthorityKey::sign (the call)",
        &[&b(&x)],
        &plain,
        &mut || {
            let statement = nullivote::board::Statement::FinalHead {
                entries: 3,
                head: nullivote::board::EntryDigest([0x5a; 32]),
            };
            let signature = key.sign(&election, &statement);
            assert!(
                signature
                    .verify(&election, &statement, &key.public())
                    .is_ok()
            );
        },
    );
    let mut boxed = Some(Box::new(key));
    named("AuthorityKey (drop)", &[&b(&x)], &plain, &mut || {
        drop(boxed.take())
    });

    // prepare: the whole call armed, then the PreparedBallot dropped. Needles: x and every
    // nonce (learnt from an identical, challenged, ballot).
    let authority = SecretScalar::new(scalar(&mut rng));
    let voter = fixtures::voter(fixtures::two_contests(&authority), 12);
    let id = voter.election.manifest().election_id().to_owned();
    let secret = CredentialSecret::derive(&CredentialCode::parse(&voter.code).unwrap(), &id);
    let choices = vec![vec![0, 1], vec![3, 1, 2]];
    let make = || {
        prepare(
            &voter.election,
            nullivote::manifest::ChannelIndex::new(0),
            &secret,
            &choices,
            &mut public_rng(13),
        )
        .unwrap()
    };
    let nonces: Vec<[u8; 32]> = make()
        .challenge()
        .openings
        .iter()
        .flatten()
        .map(|o| b(&o.nonce))
        .collect();
    let x = b(secret.expose());
    let mut needles: Vec<&[u8]> = nonces.iter().map(|n| &n[..]).collect();
    needles.push(&x);
    let mut prepared = None;
    let ballot_name = |i: usize| {
        if i < nonces.len() {
            format!("encryption nonce #{i}")
        } else {
            "credential secret x".to_owned()
        }
    };
    named(
        "ballot::prepare (the call)",
        &needles,
        &ballot_name,
        &mut || prepared = Some(make()),
    );
    named("PreparedBallot (drop)", &needles, &ballot_name, &mut || {
        drop(prepared.take())
    });

    // The DKG, n = 7, k = 4, round by round. Needles: every coefficient, every f_i(l), every x_l,
    // every e_i.
    let manifest = fixtures::with_policy(&authority, 7, 4);
    let policy = manifest.trustees();
    let (n, k) = (usize::from(policy.count()), usize::from(policy.threshold()));
    let trustees: Vec<TrusteeIndex> = (1..=policy.count())
        .map(|i| TrusteeIndex::new(i).unwrap())
        .collect();
    // Sized up front (as below): a secret package may hold a secret inline, and a growing Vec
    // would free its old buffer unwiped.
    let mut r1 = Vec::with_capacity(n);
    let mut p1 = Vec::with_capacity(n);
    for &t in &trustees {
        let (s, p) = part1(t, policy, &manifest, &mut rng).unwrap();
        r1.push(s);
        p1.push(p);
    }
    let coefficients: Vec<Vec<[u8; 32]>> = r1
        .iter()
        .map(|s| fixtures::coefficients_of(&s.to_secret_bytes(), k))
        .collect();
    let shares: Vec<Vec<[u8; 32]>> = coefficients
        .iter()
        .map(|a| {
            (1..=policy.count())
                .map(|l| b(&fixtures::evaluate(a, l)))
                .collect()
        })
        .collect();
    let keys_x: Vec<[u8; 32]> = (0..n)
        .map(|l| {
            b(&shares
                .iter()
                .map(|s| Scalar::from_canonical_bytes(s[l]).unwrap())
                .sum())
        })
        .collect();
    // e_i·G is the published E_i (checked by the fixture): the needles e_i are the right ones.
    // The reveals, made once unarmed to learn E_i (part2 is deterministic: it re-makes them).
    let reveals: Vec<_> = r1.iter().map(|s| part2(s, &p1).unwrap().1).collect();
    let encryption_secrets: Vec<[u8; 32]> = (1..=policy.count())
        .zip(&coefficients)
        .zip(r1.iter().zip(&reveals))
        .map(|((_, a), (s, reveal))| {
            b(&fixtures::encryption_secret(
                a.len(),
                &s.to_secret_bytes(),
                reveal.encryption_key(),
            ))
        })
        .collect();
    let mut needles: Vec<&[u8]> = Vec::new();
    needles.extend(coefficients.iter().flatten().map(|a| &a[..]));
    needles.extend(shares.iter().flatten().map(|s| &s[..]));
    needles.extend(keys_x.iter().map(|x| &x[..]));
    needles.extend(encryption_secrets.iter().map(|e| &e[..]));
    // The seed of the proof nonces a key draws (first, from public_rng(14) below) and keeps once
    // it has decrypted a tally: the same for every key here.
    let nonce_seed: [u8; 32] = {
        use rand_core::RngCore;
        let mut seed = [0u8; 32];
        public_rng(14).fill_bytes(&mut seed);
        seed
    };
    needles.push(&nonce_seed);
    // Needle i: a_{i,j} (dealer i, coefficient j), then f_i(l) = s_{i→l}, then x_l, then e_i,
    // then the decryption nonce seed.
    let dkg_name = move |i: usize| {
        if i < n * k {
            format!("a_{{{},{}}}", i / k + 1, i % k)
        } else if i < n * k + n * n {
            let m = i - n * k;
            format!("f_{}({})", m / n + 1, m % n + 1)
        } else if i < n * k + n * n + n {
            format!("x_{}", i - n * k - n * n + 1)
        } else if i < n * k + n * n + 2 * n {
            format!("e_{}", i - n * k - n * n - n + 1)
        } else {
            "decryption nonce seed".to_owned()
        }
    };

    // The harness's own vectors are allocated once: a growing Vec would move (and free) blocks
    // holding secrets, which is the harness's doing, not nullivote's.
    let mut r2 = Vec::with_capacity(n);
    let mut p2 = Vec::with_capacity(n);
    named("dkg::part2", &needles, &dkg_name, &mut || {
        for s in &r1 {
            let (s, p) = part2(s, &p1).unwrap();
            r2.push(s);
            p2.push(p);
        }
    });
    assert_eq!(
        p2, reveals,
        "part2 re-makes the reveals the needles e_i were checked against"
    );
    named(
        "round1::SecretPackage (drop)",
        &needles,
        &dkg_name,
        &mut || r1.clear(),
    );
    let mut r3 = Vec::with_capacity(n);
    let mut p3 = Vec::with_capacity(n);
    named(
        "dkg::part3 (sealing the shares)",
        &needles,
        &dkg_name,
        &mut || {
            for s in &r2 {
                let (s, p) = part3(s, &p1, &p2).unwrap();
                r3.push(s);
                p3.push(p);
            }
        },
    );
    named(
        "round2::SecretPackage (drop)",
        &needles,
        &dkg_name,
        &mut || r2.clear(),
    );
    // Re-sending after a crash: the same sealing again, from the saved state.
    named(
        "round3::SecretPackage::package (re-seal)",
        &needles,
        &dkg_name,
        &mut || {
            for (s, p) in r3.iter().zip(&p3) {
                assert!(
                    s.package() == *p,
                    "package() re-makes the broadcast package"
                );
            }
        },
    );
    let mut r4 = Vec::with_capacity(n);
    let mut p4 = Vec::with_capacity(n);
    named(
        "dkg::part4 (opening the shares)",
        &needles,
        &dkg_name,
        &mut || {
            for s in &r3 {
                let (s, p) = part4(s, &p3).unwrap();
                r4.push(s);
                p4.push(p);
            }
        },
    );
    assert!(
        p4.iter().all(|p| p.accused().is_empty()),
        "every sealed share opened and checked"
    );
    named(
        "round3::SecretPackage (drop)",
        &needles,
        &dkg_name,
        &mut || r3.clear(),
    );
    // Public: the broadcast packages hold no share in clear, so freeing them frees no secret.
    named(
        "round3::Package (drop: public, sealed shares only)",
        &needles,
        &dkg_name,
        &mut || p3.clear(),
    );
    let p5: Vec<_> = r4
        .iter()
        .map(|s| resolve_complaints(s, &p4).unwrap())
        .collect();
    let mut keys = Vec::with_capacity(n);
    let mut public = None;
    named("dkg::finish", &needles, &dkg_name, &mut || {
        for s in &r4 {
            let (key, p) = finish(s, &p4, &p5).unwrap();
            keys.push(key);
            public = Some(p);
        }
    });
    named(
        "round4::SecretPackage (drop)",
        &needles,
        &dkg_name,
        &mut || r4.clear(),
    );
    let public = public.unwrap();

    // decrypt_share, armed, then the keys dropped.
    let election = nullivote::Election::new(
        manifest.clone(),
        public.election_key(),
        public.ceremony_digest(),
        voter.election.roll().clone(),
    );
    let key = public.election_key();
    let aggregates: Vec<CiphertextSum> = (0..3u64)
        .map(|v| {
            let c: Ciphertext = key.encrypt(&Scalar::from(v), &scalar(&mut rng));
            Ciphertext::sum([&c])
        })
        .collect();
    let head = nullivote::trustee::BoardHead::new(nullivote::board::EntryDigest([0x5a; 32]), 3);
    named(
        "TrusteeKey::decrypt_share",
        &needles,
        &dkg_name,
        &mut || {
            for key in &mut keys {
                key.decrypt_share(&election, &head, &aggregates, &mut public_rng(14))
                    .unwrap();
            }
        },
    );
    for key in &keys {
        let saved = key.to_secret_bytes();
        assert_eq!(
            saved[saved.len() - 32..],
            nonce_seed,
            "the needle is the seed the key keeps"
        );
    }
    named("TrusteeKey (drop)", &needles, &dkg_name, &mut || {
        keys.clear()
    });

    // run_ceremony (the one-process helper of examples and tests), n = 7: its part1 calls draw
    // from the RNG in the same order as part1 called here, so the same seed gives the same
    // coefficients, shares and keys (the needles).
    let seed = 15;
    let mut replay = public_rng(seed);
    let (replay1, replay_p1): (Vec<_>, Vec<_>) = trustees
        .iter()
        .map(|&t| part1(t, policy, &manifest, &mut replay).unwrap())
        .unzip();
    let coefficients: Vec<Vec<[u8; 32]>> = replay1
        .iter()
        .map(|s| fixtures::coefficients_of(&s.to_secret_bytes(), k))
        .collect();
    let reveals: Vec<_> = replay1
        .iter()
        .map(|s| part2(s, &replay_p1).unwrap().1)
        .collect();
    let shares: Vec<Vec<[u8; 32]>> = coefficients
        .iter()
        .map(|a| {
            (1..=policy.count())
                .map(|l| b(&fixtures::evaluate(a, l)))
                .collect()
        })
        .collect();
    let keys_x: Vec<[u8; 32]> = (0..n)
        .map(|l| {
            b(&shares
                .iter()
                .map(|s| Scalar::from_canonical_bytes(s[l]).unwrap())
                .sum())
        })
        .collect();
    let encryption_secrets: Vec<[u8; 32]> = (1..=policy.count())
        .zip(&coefficients)
        .zip(replay1.iter().zip(&reveals))
        .map(|((_, a), (s, reveal))| {
            b(&fixtures::encryption_secret(
                a.len(),
                &s.to_secret_bytes(),
                reveal.encryption_key(),
            ))
        })
        .collect();
    drop(replay1);
    let mut needles: Vec<&[u8]> = Vec::new();
    needles.extend(coefficients.iter().flatten().map(|a| &a[..]));
    needles.extend(shares.iter().flatten().map(|s| &s[..]));
    needles.extend(keys_x.iter().map(|x| &x[..]));
    needles.extend(encryption_secrets.iter().map(|e| &e[..]));
    needles.push(&nonce_seed);
    let mut outcome = None;
    named(
        "dkg::run_ceremony n=7 (the call)",
        &needles,
        &dkg_name,
        &mut || {
            outcome = Some(
                nullivote::trustee::run_ceremony(policy, &manifest, &mut public_rng(seed)).unwrap(),
            );
        },
    );
    let (ceremony_keys, _, _) = outcome.take().unwrap();
    let got: Vec<[u8; 32]> = ceremony_keys
        .iter()
        .map(|key| fixtures::share_of_saved_key(&key.to_secret_bytes()))
        .collect();
    assert_eq!(got, keys_x, "the replay reproduces run_ceremony's keys");
    let mut ceremony_keys = Some(ceremony_keys);
    named(
        "run_ceremony's keys (drop)",
        &needles,
        &dkg_name,
        &mut || drop(ceremony_keys.take()),
    );

    assert!(
        failures.is_empty(),
        "secrets left in freed memory:\n{}",
        failures.join("\n")
    );
}
