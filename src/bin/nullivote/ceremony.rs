//! The key ceremony, one round per command, each trustee on its own machine.
//!
//! ```text
//! DIR/ceremony/round1-<i>.json           trustee i's commitment digest           (broadcast)
//! DIR/ceremony/round2-<i>.json           its commitments, proofs, encryption key  (broadcast)
//! DIR/ceremony/round3-<i>.json           its shares, each sealed for its recipient (broadcast)
//! DIR/ceremony/round4-<i>.json           its complaints                          (broadcast)
//! DIR/ceremony/round5-<i>.json           its answers to complaints against it    (broadcast)
//! DIR/ceremony.json                      {transcript, public}: the outcome       (published)
//! ```
//!
//! `DIR/ceremony/` is the broadcast channel: copy it between the trustees' machines. Nothing
//! in it is secret: each share `s_{i→l}` in `round3-<i>.json` is sealed for trustee `l` alone
//! (ChaCha20-Poly1305 under a Diffie-Hellman key of the two trustees' published encryption
//! keys, spec §10.5), so the directory every party shares holds no secret. The packages of
//! rounds 1, 2, 4 and 5 are folded into `ceremony.json` at `finish`; round 3's are not part of
//! the record.
//!
//! Each trustee keeps ONE secret file (mode 0600) for the whole ceremony: each round replaces the
//! previous round's state with the next (`to_secret_bytes`), and `finish` replaces it with the
//! trustee's key, which `nullivote decrypt --key` reads. Every step reads the file with the
//! library's one loader, `SavedState::load`, and goes on from the state it holds. The secret is
//! saved before the matching public package is written, so a round re-run after a crash re-sends
//! the identical package from the saved state, and a package is never published twice with
//! different contents (`files::publish_once`).

use std::path::{Path, PathBuf};

use nullivote::hazmat::transcript::PROTOCOL_VERSION;
use nullivote::manifest::{Manifest, TrusteePolicy};
use nullivote::record::Ceremony;
use nullivote::trustee::dkg::SavedState;
use nullivote::trustee::{
    CeremonyError, CeremonyTranscript, TrusteeIndex, TrusteeKey, finish, part1, part2, part3,
    part4, resolve_complaints,
};
use nullivote::trustee::{dkg::round1, dkg::round2, dkg::round3, dkg::round4, dkg::round5};
use rand_core::OsRng;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::context::Dir;
use crate::files::{
    Fail, Outcome, create, json_bytes, publish_once, read_json, read_secret, replace,
};

/// Which step a trustee secret file is at (`SavedState::round`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// The state after round `1..=4`.
    Round(u8),
    /// The trustee's key: the ceremony is finished.
    Key,
}

impl Stage {
    fn of(state: &SavedState) -> Self {
        state.round().map_or(Stage::Key, Stage::Round)
    }

    fn describe(self) -> String {
        match self {
            Stage::Round(r) => format!("the state after round {r}"),
            Stage::Key => "the trustee's key (the ceremony is finished)".to_string(),
        }
    }
}

/// Reads a trustee secret file with the library's one loader, whatever step it is at; a file
/// that is not one, or one of another version, is refused with a clear message.
fn load(path: &Path) -> Outcome<SavedState> {
    let bytes = read_secret(path)?;
    SavedState::load(&bytes).map_err(|e| match e {
        CeremonyError::NotATrusteeSecret => Fail::file(path, "not a nullivote trustee secret file"),
        CeremonyError::SecretVersion { found, .. } => Fail::file(
            path,
            format!(
                "a trustee secret of version {found}; this nullivote reads version \
                 {PROTOCOL_VERSION}"
            ),
        ),
        CeremonyError::SecretKind { .. } => {
            Fail::file(path, "not a trustee secret of the key ceremony")
        }
        e => load_failure(path, e),
    })
}

/// The command that moves a secret at `stage` on.
fn next_step(stage: Stage) -> String {
    match stage {
        Stage::Round(4) => {
            "`nullivote trustee round5`, then `nullivote trustee finish`".to_string()
        }
        Stage::Round(r) => format!("`nullivote trustee round{}`", r + 1),
        Stage::Key => "`nullivote decrypt --key` once the tally is published".to_string(),
    }
}

fn wrong_stage(path: &Path, found: &SavedState, step: &str, needed: Stage) -> Fail {
    let found = Stage::of(found);
    let message = if found < needed {
        format!(
            "holds {}; {step} needs {}: run {} first",
            found.describe(),
            needed.describe(),
            next_step(found)
        )
    } else {
        format!(
            "holds {}: {step} is already done; the next step is {}",
            found.describe(),
            next_step(found)
        )
    };
    Fail::file(path, message)
}

fn load_failure(path: &Path, e: CeremonyError) -> Fail {
    Fail::file(path, format!("cannot load the trustee secret: {e}"))
}

/// A ceremony error: someone misbehaved (exit 1, naming them) or the inputs are wrong (exit 2).
fn ceremony_failure(step: &str, e: CeremonyError) -> Fail {
    let culprits = e.culprits();
    if culprits.is_empty() {
        Fail::input(format!("{step}: {e}"))
    } else {
        let who: Vec<String> = culprits.iter().map(ToString::to_string).collect();
        Fail::refused(format!(
            "{step}: {e} (at fault: trustee {}); the ceremony cannot go on as it is",
            who.join(", ")
        ))
    }
}

fn index(policy: TrusteePolicy, index: u16) -> Outcome<TrusteeIndex> {
    TrusteeIndex::new(index)
        .and_then(|i| i.check(policy))
        .map_err(|e| Fail::input(format!("--index {index}: {e}")))
}

fn check_index(path: &Path, given: Option<u16>, found: TrusteeIndex) -> Outcome {
    match given {
        Some(i) if i != found.get() => Err(Fail::file(
            path,
            format!("is trustee {found}'s secret, not trustee {i}'s"),
        )),
        _ => Ok(()),
    }
}

fn package_path(dir: &Dir, round: u8, trustee: TrusteeIndex) -> PathBuf {
    dir.file("ceremony")
        .join(format!("round{round}-{trustee}.json"))
}

/// Writes a public package once (identical re-runs are no-ops).
fn publish<T: Serialize>(path: &Path, package: &T, round: u8) -> Outcome {
    publish_once(
        path,
        &json_bytes(path, package)?,
        false,
        &format!("round-{round} package"),
    )
}

/// What a step does about trustees whose package of a round is not there.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// The round's deadline has not passed: wait for them (exit 2, naming the files).
    Open,
    /// The deadline has passed (`--deadline-passed`): go on without them, by the round's
    /// rule (spec §10.6, absent trustees).
    Passed,
}

/// Every trustee's package of a round, one file each, each claiming its trustee. Missing ones:
/// while the deadline is open, wait; once it has passed, by the round's rule (spec §10.6):
/// rounds 1 and 2 exclude the missing trustees, so the ceremony stops, naming them, to restart
/// without them (no share has been dealt yet); rounds 4 and 5 go on without them (silence is no
/// complaint, and no answer).
fn packages<T: DeserializeOwned>(
    dir: &Dir,
    round: u8,
    policy: TrusteePolicy,
    deadline: Deadline,
    trustee_of: impl Fn(&T) -> TrusteeIndex,
) -> Outcome<Vec<T>> {
    let missing: Vec<TrusteeIndex> = TrusteeIndex::all(policy)
        .filter(|&i| !package_path(dir, round, i).exists())
        .collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(ToString::to_string).collect();
        match (deadline, round) {
            (Deadline::Open, _) => {
                let files: Vec<String> = missing
                    .iter()
                    .map(|&i| package_path(dir, round, i).display().to_string())
                    .collect();
                return Err(Fail::input(format!(
                    "waiting for round {round}: {} not there yet (each trustee runs `nullivote \
                     trustee round{round}`, and its package is copied into {}; once the round's \
                     deadline has passed, run again with --deadline-passed)",
                    files.join(", "),
                    dir.file("ceremony").display()
                )));
            }
            (Deadline::Passed, 1 | 2) => {
                return Err(Fail::refused(format!(
                    "round {round}: trustee {} sent no package before the deadline and is \
                     excluded (at fault: trustee {}); no share has been dealt yet, so the \
                     ceremony restarts without it: the administrator writes a manifest without \
                     the excluded trustees, and every trustee runs round 1 again with a new \
                     secret file",
                    names.join(", "),
                    names.join(", ")
                )));
            }
            (Deadline::Passed, _) => {
                warn!(
                    "nullivote: round {round}: trustee {} sent no package before the deadline: \
                     going on without it ({})",
                    names.join(", "),
                    if round == 4 {
                        "no complaint"
                    } else {
                        "no answer; a dealer complained about is excluded"
                    }
                );
            }
        }
    }
    TrusteeIndex::all(policy)
        .filter(|i| !missing.contains(i))
        .map(|i| {
            let path = package_path(dir, round, i);
            let package: T = read_json(&path, &format!("round-{round} package"))?;
            let claimed = trustee_of(&package);
            if claimed != i {
                return Err(Fail::file(
                    &path,
                    format!("holds trustee {claimed}'s package, not trustee {i}'s"),
                ));
            }
            Ok(package)
        })
        .collect()
}

fn open(dir: &Path) -> Outcome<(Dir, Manifest)> {
    let dir = Dir::open(dir)?;
    let manifest = dir.manifest()?;
    Ok((dir, manifest))
}

/// `nullivote trustee round1 DIR --index I --secret FILE`.
pub fn round1(dir: &Path, i: u16, secret_path: &Path) -> Outcome {
    let (dir, manifest) = open(dir)?;
    let policy = manifest.trustees();
    let me = index(policy, i)?;
    let out = package_path(&dir, 1, me);
    if secret_path.exists() {
        let saved = match load(secret_path)? {
            SavedState::Round1(saved) => saved,
            found => {
                return Err(wrong_stage(secret_path, &found, "round 1", Stage::Round(0)));
            }
        };
        check_index(secret_path, Some(i), saved.trustee())?;
        publish(&out, &saved.package(), 1)?;
        say!(
            "trustee {me}: round 1 was already done; its package is in {}",
            out.display()
        );
        return Ok(());
    }
    if out.exists() {
        return Err(Fail::file(
            &out,
            format!(
                "exists, but {} does not: trustee {me} already committed with another secret file",
                secret_path.display()
            ),
        ));
    }
    let (saved, package) =
        part1(me, policy, &manifest, &mut OsRng).map_err(|e| ceremony_failure("round 1", e))?;
    create(secret_path, &saved.to_secret_bytes(), true)?;
    publish(&out, &package, 1)?;
    say!(
        "trustee {me}: round 1 package written to {}; secret state saved in {} (keep it \
         private; every later round updates it)",
        out.display(),
        secret_path.display()
    );
    Ok(())
}

/// `nullivote trustee round2 DIR [--index I] --secret FILE`.
pub fn round2(dir: &Path, i: Option<u16>, secret_path: &Path, deadline: Deadline) -> Outcome {
    let (dir, manifest) = open(dir)?;
    let policy = manifest.trustees();
    let (saved, package) = match load(secret_path)? {
        SavedState::Round1(previous) => {
            check_index(secret_path, i, previous.trustee())?;
            let r1 = packages(&dir, 1, policy, deadline, round1::Package::trustee)?;
            let (saved, package) =
                part2(&previous, &r1).map_err(|e| ceremony_failure("round 2", e))?;
            replace(secret_path, &saved.to_secret_bytes(), true)?;
            (saved, package)
        }
        SavedState::Round2(saved) => {
            check_index(secret_path, i, saved.trustee())?;
            let package = saved.package();
            (saved, package)
        }
        found => {
            return Err(wrong_stage(secret_path, &found, "round 2", Stage::Round(1)));
        }
    };
    let me = saved.trustee();
    let out = package_path(&dir, 2, me);
    publish(&out, &package, 2)?;
    say!("trustee {me}: round 2 package written to {}", out.display());
    Ok(())
}

/// `nullivote trustee round3 DIR [--index I] --secret FILE`.
pub fn round3(dir: &Path, i: Option<u16>, secret_path: &Path, deadline: Deadline) -> Outcome {
    let (dir, manifest) = open(dir)?;
    let policy = manifest.trustees();
    let package = match load(secret_path)? {
        SavedState::Round2(previous) => {
            check_index(secret_path, i, previous.trustee())?;
            let r1 = packages(&dir, 1, policy, deadline, round1::Package::trustee)?;
            let r2 = packages(&dir, 2, policy, deadline, round2::Package::trustee)?;
            let (saved, package) =
                part3(&previous, &r1, &r2).map_err(|e| ceremony_failure("round 3", e))?;
            replace(secret_path, &saved.to_secret_bytes(), true)?;
            package
        }
        SavedState::Round3(saved) => {
            check_index(secret_path, i, saved.trustee())?;
            saved.package()
        }
        found => {
            return Err(wrong_stage(secret_path, &found, "round 3", Stage::Round(2)));
        }
    };
    let me = package.dealer();
    let out = package_path(&dir, 3, me);
    publish(&out, &package, 3)?;
    say!(
        "trustee {me}: {} shares, each sealed for its recipient alone, written to {}",
        package.shares().len(),
        out.display()
    );
    Ok(())
}

/// `nullivote trustee round4 DIR [--index I] --secret FILE [--complain-about-missing]`.
pub fn round4(dir: &Path, i: Option<u16>, secret_path: &Path, complain: bool) -> Outcome {
    let (dir, manifest) = open(dir)?;
    let policy = manifest.trustees();
    let package = match load(secret_path)? {
        SavedState::Round3(previous) => {
            check_index(secret_path, i, previous.trustee())?;
            let me = previous.trustee();
            let mut received = Vec::new();
            let mut missing = Vec::new();
            for dealer in TrusteeIndex::all(policy).filter(|&d| d != me) {
                let path = package_path(&dir, 3, dealer);
                match read_round3(&path, dealer) {
                    Ok(package) => received.push(package),
                    Err(fail) if complain => {
                        warn!("nullivote: complaining about trustee {dealer}: {fail}");
                    }
                    Err(_) if !path.exists() => missing.push(path.display().to_string()),
                    Err(fail) => return Err(fail),
                }
            }
            if !missing.is_empty() {
                return Err(Fail::input(format!(
                    "waiting for round 3: {} not there yet (or pass --complain-about-missing to \
                     complain, in public, about the dealers who did not send their shares)",
                    missing.join(", ")
                )));
            }
            let (saved, package) =
                part4(&previous, &received).map_err(|e| ceremony_failure("round 4", e))?;
            replace(secret_path, &saved.to_secret_bytes(), true)?;
            package
        }
        SavedState::Round4(saved) => {
            check_index(secret_path, i, saved.trustee())?;
            saved.package()
        }
        found => {
            return Err(wrong_stage(secret_path, &found, "round 4", Stage::Round(3)));
        }
    };
    let me = package.trustee();
    let out = package_path(&dir, 4, me);
    publish(&out, &package, 4)?;
    let accused: Vec<String> = package.accused().iter().map(ToString::to_string).collect();
    if accused.is_empty() {
        say!(
            "trustee {me}: every share checked; round 4 package (no complaint) written to {}",
            out.display()
        );
    } else {
        say!(
            "trustee {me}: complaints against trustee {} written to {}",
            accused.join(", "),
            out.display()
        );
    }
    Ok(())
}

/// Dealer `dealer`'s round-3 package (its sealed shares).
fn read_round3(path: &Path, dealer: TrusteeIndex) -> Outcome<round3::Package> {
    let package: round3::Package = read_json(path, "round-3 package")?;
    if package.dealer() != dealer {
        return Err(Fail::file(
            path,
            format!(
                "holds trustee {}'s package, not trustee {dealer}'s",
                package.dealer()
            ),
        ));
    }
    Ok(package)
}

/// `nullivote trustee round5 DIR [--index I] --secret FILE`.
pub fn round5(dir: &Path, i: Option<u16>, secret_path: &Path, deadline: Deadline) -> Outcome {
    let (dir, manifest) = open(dir)?;
    let policy = manifest.trustees();
    let saved = match load(secret_path)? {
        SavedState::Round4(saved) => saved,
        found => {
            return Err(wrong_stage(secret_path, &found, "round 5", Stage::Round(4)));
        }
    };
    check_index(secret_path, i, saved.trustee())?;
    let r4 = packages(&dir, 4, policy, deadline, round4::Package::trustee)?;
    let package = resolve_complaints(&saved, &r4).map_err(|e| ceremony_failure("round 5", e))?;
    let me = saved.trustee();
    let out = package_path(&dir, 5, me);
    publish(&out, &package, 5)?;
    let answered: Vec<String> = package
        .answers()
        .iter()
        .map(|a| a.accuser().to_string())
        .collect();
    if answered.is_empty() {
        say!(
            "trustee {me}: no complaint against it; round 5 package written to {}",
            out.display()
        );
    } else {
        say!(
            "trustee {me}: answered the complaints of trustee {} in {}",
            answered.join(", "),
            out.display()
        );
    }
    Ok(())
}

/// The ceremony's transcript, in its canonical form (round 5 without the empty packages).
fn transcript(dir: &Dir, policy: TrusteePolicy, deadline: Deadline) -> Outcome<CeremonyTranscript> {
    Ok(CeremonyTranscript::new(
        packages(dir, 1, policy, deadline, round1::Package::trustee)?,
        packages(dir, 2, policy, deadline, round2::Package::trustee)?,
        packages(dir, 4, policy, deadline, round4::Package::trustee)?,
        packages(dir, 5, policy, deadline, round5::Package::dealer)?,
    ))
}

/// `nullivote trustee finish DIR [--index I] --secret FILE`.
pub fn finish_ceremony(
    dir: &Path,
    i: Option<u16>,
    secret_path: &Path,
    deadline: Deadline,
) -> Outcome {
    let (dir, manifest) = open(dir)?;
    let policy = manifest.trustees();
    let state = load(secret_path)?;
    if !matches!(state, SavedState::Round4(_) | SavedState::Key(_)) {
        return Err(wrong_stage(secret_path, &state, "finish", Stage::Round(4)));
    }
    let transcript = transcript(&dir, policy, deadline)?;
    check_index(secret_path, i, state.trustee())?;
    let (me, public) = match state {
        SavedState::Round4(saved) => {
            let (key, public) = finish(&saved, &transcript.round4, &transcript.round5)
                .map_err(|e| ceremony_failure("finish", e))?;
            replace(secret_path, &key.to_secret_bytes(), true)?;
            (key.trustee(), public)
        }
        SavedState::Key(key) => {
            let public = transcript
                .verify(&manifest)
                .map_err(|e| ceremony_failure("finish", e))?;
            if public.joint_key() != key.joint_key()
                || public.ceremony_digest() != key.ceremony_digest()
            {
                return Err(Fail::file(
                    secret_path,
                    "is a key of another ceremony than the packages in ceremony/",
                ));
            }
            (key.trustee(), public)
        }
        found => return Err(wrong_stage(secret_path, &found, "finish", Stage::Round(4))),
    };
    // What any verifier recomputes from the packages must be what this trustee computed.
    let recomputed = transcript
        .verify(&manifest)
        .map_err(|e| ceremony_failure("finish", e))?;
    if recomputed != public {
        return Err(Fail::refused(
            "finish: the packages in ceremony/ give another key set than this trustee computed",
        ));
    }
    let path = dir.file("ceremony.json");
    let ceremony = Ceremony { transcript, public };
    let written = if path.exists() {
        let existing: Ceremony = read_json(&path, "key ceremony")?;
        if existing != ceremony {
            return Err(Fail::file(
                &path,
                "differs from the ceremony the packages in ceremony/ give; remove it and run \
                 `nullivote trustee finish` again",
            ));
        }
        "was already there, identical"
    } else {
        replace(&path, &json_bytes(&path, &ceremony)?, false)?;
        "written"
    };
    let public = &ceremony.public;
    let excluded: Vec<String> = public.excluded().iter().map(ToString::to_string).collect();
    say!(
        "trustee {me}: key share saved in {}; joint election key {}",
        secret_path.display(),
        public.joint_key()
    );
    if !excluded.is_empty() {
        say!("excluded dealers: trustee {}", excluded.join(", "));
    }
    say!("{} {written}", path.display());
    Ok(())
}

/// Reads a trustee key file (`nullivote decrypt --key`).
pub fn read_key(path: &Path) -> Outcome<TrusteeKey> {
    match load(path)? {
        SavedState::Key(key) => Ok(key),
        found => Err(wrong_stage(path, &found, "decrypt", Stage::Key)),
    }
}
