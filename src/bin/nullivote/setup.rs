//! Before the vote: the manifest, the channel authorities' keys, and the credentials.
//!
//! An authority secret file (a postal intake's countersigning key) is one line: the 64 lowercase
//! hex characters of the canonical encoding of a non-zero scalar. The credential codes file has
//! one code a line; line `i` (from 1) is the member of roll entry `i − 1`.

use std::path::Path;

use curve25519_dalek::{RistrettoPoint, Scalar};
use nullivote::codec::decode_hex;
use nullivote::credential::{CredentialCode, CredentialSecret, MAX_ROLL, Roll};
use nullivote::group::{Element, decode_scalar};
use nullivote::manifest::{ChannelRule, Manifest};
use nullivote::secret::SecretScalar;
use rand_core::{OsRng, RngCore};
use rayon::prelude::*;
use zeroize::Zeroizing;

use crate::context::Dir;
use crate::files::{Fail, Outcome, create, json_bytes, read_named_json, read_secret};

/// A fresh non-zero secret scalar from the OS RNG.
fn random_secret() -> SecretScalar {
    loop {
        let mut wide = Zeroizing::new([0u8; 64]);
        OsRng.fill_bytes(&mut wide[..]);
        let secret = SecretScalar::new(Scalar::from_bytes_mod_order_wide(&wide));
        if *secret.expose() != Scalar::ZERO {
            return secret;
        }
    }
}

/// `x·G` for a non-zero `x`.
fn public_of(secret: &SecretScalar) -> Outcome<Element> {
    Element::from_point(RistrettoPoint::mul_base(secret.expose()), "authority")
        .map_err(|e| Fail::input(format!("the authority key: {e}")))
}

/// Draws an authority key, saves its secret in `path` (mode 0600; never overwritten) and
/// returns the public key.
fn new_authority(path: &Path) -> Outcome<Element> {
    let secret = random_secret();
    let public = public_of(&secret)?;
    let mut text = Zeroizing::new(hex::encode(secret.expose().as_bytes()));
    text.push('\n');
    create(path, text.as_bytes(), true)?;
    Ok(public)
}

/// Reads an authority secret file.
pub fn read_authority(path: &Path) -> Outcome<SecretScalar> {
    let bytes = read_secret(path)?;
    let bad = || {
        Fail::file(
            path,
            "not an authority secret (one line of 64 lowercase hex characters, as written by \
             `nullivote authority new`)",
        )
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| bad())?;
    let raw = Zeroizing::new(decode_hex(text.trim(), "authority").map_err(|_| bad())?);
    let scalar = decode_scalar(&raw, "authority").map_err(|_| bad())?;
    let secret = SecretScalar::new(scalar);
    if *secret.expose() == Scalar::ZERO {
        return Err(bad());
    }
    Ok(secret)
}

/// `nullivote authority new --secret-out FILE`.
pub fn authority_new(secret_out: &Path) -> Outcome {
    let public = new_authority(secret_out)?;
    warn!(
        "secret key saved in {} (keep it offline)",
        secret_out.display()
    );
    say!("{public}");
    Ok(())
}

/// `nullivote manifest leadership --out DIR (--intake-key HEX | --intake-secret-out FILE)`.
pub fn manifest_leadership(
    out: &Path,
    intake_key: Option<&str>,
    intake_secret_out: Option<&Path>,
) -> Outcome {
    let dir = Dir::create(out)?;
    let path = dir.file("manifest.json");
    if path.exists() {
        return Err(Fail::file(
            &path,
            "already exists; refusing to overwrite it (the ceremony and every ballot bind to it)",
        ));
    }
    let key = match (intake_key, intake_secret_out) {
        (Some(hex), None) => {
            let bytes = decode_hex(hex.trim(), "intake key")
                .map_err(|e| Fail::input(format!("--intake-key: {e}")))?;
            Element::from_bytes(&bytes, "intake key")
                .map_err(|e| Fail::input(format!("--intake-key: {e}")))?
        }
        (None, Some(secret_out)) => {
            let key = new_authority(secret_out)?;
            warn!(
                "postal intake secret key saved in {} (keep it offline)",
                secret_out.display()
            );
            key
        }
        _ => {
            return Err(Fail::input(
                "give exactly one of --intake-key and --intake-secret-out",
            ));
        }
    };
    let manifest = Manifest::leadership(key);
    create(&path, &json_bytes(&path, &manifest)?, false)?;
    say!("{} written", path.display());
    describe(&manifest);
    Ok(())
}

/// `nullivote manifest check FILE`.
pub fn manifest_check(file: &Path) -> Outcome {
    let manifest: Manifest = read_named_json(file, "manifest")?;
    say!("{}: a valid manifest", file.display());
    describe(&manifest);
    Ok(())
}

fn describe(manifest: &Manifest) {
    say!("election id  {}", manifest.election_id());
    say!("digest       {}", hex::encode(manifest.digest()));
    for contest in manifest.contests() {
        say!(
            "contest      {}: {} ({} to {} selections, at most {} per option)",
            contest.name,
            contest.options.join(", "),
            contest.min_selections,
            contest.max_selections,
            contest.option_limit
        );
    }
    for channel in manifest.channels() {
        let rule = match channel.rule {
            ChannelRule::LastWins => "last ballot wins",
            ChannelRule::FirstWins => "first ballot wins",
            ChannelRule::RejectSecond => "a second ballot is refused",
        };
        let authority = channel
            .authority
            .map_or_else(String::new, |a| format!(", countersigned by {a}"));
        say!(
            "channel      {} (rank {}, {rule}{authority})",
            channel.name,
            channel.rank
        );
    }
    let policy = manifest.trustees();
    say!(
        "trustees     {} of {} decrypt",
        policy.threshold,
        policy.count
    );
}

/// `nullivote credentials issue DIR --count N --codes-out FILE`.
pub fn credentials_issue(dir: &Path, count: usize, codes_out: &Path) -> Outcome {
    let dir = Dir::open(dir)?;
    let manifest = dir.manifest()?;
    if count == 0 || count > MAX_ROLL {
        return Err(Fail::input(format!(
            "--count {count}: a roll has 1 to {MAX_ROLL} members"
        )));
    }
    let roll_path = dir.file("roll.json");
    if roll_path.exists() {
        return Err(Fail::file(
            &roll_path,
            "already exists; refusing to issue a second roll (every ballot binds to the first)",
        ));
    }
    let codes: Vec<CredentialCode> = (0..count)
        .map(|_| CredentialCode::generate(&mut OsRng))
        .collect();
    let entries = codes
        .par_iter()
        .map(|code| CredentialSecret::derive(code, manifest.election_id()).public())
        .collect();
    let roll = Roll::new(entries).map_err(|e| Fail::input(format!("the roll: {e}")))?;
    let mut text = Zeroizing::new(String::with_capacity(count * 36));
    for code in &codes {
        text.push_str(code.expose());
        text.push('\n');
    }
    create(codes_out, text.as_bytes(), true)?;
    create(&roll_path, &json_bytes(&roll_path, &roll)?, false)?;
    say!(
        "{} written: {count} members; their credential codes are in {} (one a line, in roll \
         order): hand each to its member and destroy the file",
        roll_path.display(),
        codes_out.display()
    );
    Ok(())
}
