//! Before the vote: the manifest, the offices' keys, and the credentials.
//!
//! A secret key file of an office (a postal intake's countersigning key, the board operator's
//! or the administrator's signing key) is one line: the 64 lowercase hex characters of the
//! canonical encoding of a non-zero scalar `x`, whose public key `x·G` the manifest names. The
//! credential codes file has one code a line; line `i` (from 1) is the member of roll entry
//! `i − 1`.

use std::path::Path;

use nullivote::AuthorityKey;
use nullivote::Element;
use nullivote::authority::KeyError;
use nullivote::credential::{CredentialCode, CredentialSecret, MAX_ROLL, Roll};
use nullivote::hazmat::decode_hex;
use nullivote::manifest::{Authorities, ChannelRule, Manifest};
use rand_core::OsRng;
use rayon::prelude::*;
use zeroize::Zeroizing;

use crate::context::Dir;
use crate::files::{
    Fail, Outcome, absent, create, json_bytes, read_named_json, read_secret_within,
};

/// Saves `key`'s secret in `path` (mode 0600; never overwritten).
fn save_secret(path: &Path, key: &AuthorityKey) -> Outcome {
    create(path, key.to_text().as_bytes(), true)
}

/// Draws an authority key, saves its secret in `path` (mode 0600; never overwritten) and
/// returns the public key.
fn new_authority(path: &Path) -> Outcome<Element> {
    let key = AuthorityKey::generate(&mut OsRng);
    save_secret(path, &key)?;
    Ok(key.public())
}

/// The most bytes a secret key file may hold: it holds one line of 64 hex characters.
const KEY_FILE_BYTES: u64 = 4096;

/// Reads a secret key file (an authority's, the board operator's, the administrator's).
pub fn read_authority(path: &Path) -> Outcome<AuthorityKey> {
    let bytes = read_secret_within(path, KEY_FILE_BYTES)?;
    let bad = |e: &dyn std::fmt::Display| Fail::file(path, e.to_string());
    let text = std::str::from_utf8(&bytes).map_err(|_| bad(&KeyError::Malformed))?;
    AuthorityKey::from_text(text).map_err(|e| bad(&e))
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

/// How an office's key comes into the manifest: its public key given in hex (`--<office>-key
/// HEX`), or a key pair drawn here whose secret is saved in a file (`--<office>-secret-out
/// FILE`).
#[derive(Clone, Copy)]
pub enum KeySource<'a> {
    /// The public key, 64 hex characters.
    Public(&'a str),
    /// Draw a key pair; save the secret in this file.
    SecretOut(&'a Path),
}

/// One office of `manifest leadership`: its flags' stem and its name in messages.
struct Office<'a> {
    flag: &'static str,
    name: &'static str,
    source: Option<KeySource<'a>>,
}

/// A key of an office, and the secret drawn for it (to save once the manifest is valid).
fn office_key<'a>(office: &Office<'a>) -> Outcome<(Element, Option<(AuthorityKey, &'a Path)>)> {
    let flag = office.flag;
    match office.source {
        Some(KeySource::Public(hex)) => {
            let bytes = decode_hex(hex.trim(), "key")
                .map_err(|e| Fail::input(format!("--{flag}-key: {e}")))?;
            let key = Element::from_bytes(&bytes)
                .map_err(|e| Fail::input(format!("--{flag}-key: {e}")))?;
            Ok((key, None))
        }
        Some(KeySource::SecretOut(path)) => {
            if !absent(path) {
                return Err(Fail::file(
                    path,
                    format!("already exists; refusing to overwrite it (--{flag}-secret-out)"),
                ));
            }
            let key = AuthorityKey::generate(&mut OsRng);
            Ok((key.public(), Some((key, path))))
        }
        None => Err(Fail::input(format!(
            "give exactly one of --{flag}-key and --{flag}-secret-out"
        ))),
    }
}

/// `nullivote manifest leadership --out DIR (--intake-key HEX | --intake-secret-out FILE)
/// (--board-key HEX | --board-secret-out FILE) (--admin-key HEX | --admin-secret-out FILE)`.
///
/// The manifest is checked (every office its own key) before anything is written; then the
/// secrets drawn are saved, then the manifest.
pub fn manifest_leadership(
    out: &Path,
    intake: Option<KeySource<'_>>,
    board: Option<KeySource<'_>>,
    admin: Option<KeySource<'_>>,
) -> Outcome {
    let offices = [
        Office {
            flag: "intake",
            name: "postal intake",
            source: intake,
        },
        Office {
            flag: "board",
            name: "board operator",
            source: board,
        },
        Office {
            flag: "admin",
            name: "administrator",
            source: admin,
        },
    ];
    // Two offices' secrets in one file: the second would find the first there.
    let outs: Vec<&Path> = offices
        .iter()
        .filter_map(|o| match o.source {
            Some(KeySource::SecretOut(p)) => Some(p),
            _ => None,
        })
        .collect();
    if let Some(p) = outs
        .iter()
        .enumerate()
        .find_map(|(i, p)| outs[..i].contains(p).then_some(p))
    {
        return Err(Fail::file(
            p,
            "named for two offices' secrets; each office keeps its own secret file",
        ));
    }
    let path = out.join("manifest.json");
    if !absent(&path) {
        return Err(Fail::file(
            &path,
            "already exists; refusing to overwrite it (the ceremony and every ballot bind to it)",
        ));
    }
    let keys = offices
        .iter()
        .map(office_key)
        .collect::<Outcome<Vec<_>>>()?;
    let authorities = Authorities {
        board: keys[1].0,
        administrator: keys[2].0,
    };
    let manifest = Manifest::leadership(keys[0].0, authorities)
        .map_err(|e| Fail::input(format!("the manifest: {e}")))?;
    Dir::create(out)?;
    for (office, (_, drawn)) in offices.iter().zip(&keys) {
        if let Some((secret, secret_out)) = drawn {
            save_secret(secret_out, secret)?;
            warn!(
                "{} secret key saved in {} (keep it offline)",
                office.name,
                secret_out.display()
            );
        }
    }
    create(&path, &json_bytes(&path, &manifest)?, false)?;
    say!("{} written", path.display());
    describe(&manifest);
    Ok(())
}

/// The signing key of an office in `path` (`flag FILE`), which must be the one the manifest
/// names for it (`expected`): otherwise a usage error naming the file and both keys, and which
/// other office's key it is, if it is one.
pub fn read_office_key(
    path: &Path,
    flag: &str,
    office: &str,
    expected: Element,
    manifest: &Manifest,
) -> Outcome<AuthorityKey> {
    // The flag first: a key given in place of its file is then plain to see.
    let key = read_authority(path).map_err(|fail| Fail::input(format!("{flag} {fail}")))?;
    if key.public() == expected {
        return Ok(key);
    }
    let authorities = manifest.authorities();
    let whose = if key.public() == authorities.board {
        " (it is the board operator's key)".to_string()
    } else if key.public() == authorities.administrator {
        " (it is the administrator's key)".to_string()
    } else {
        manifest
            .channels()
            .iter()
            .find(|c| c.authority == Some(key.public()))
            .map_or_else(String::new, |c| {
                format!(" (it is channel {:?}'s authority key)", c.name)
            })
    };
    Err(Fail::file(
        path,
        format!(
            "{flag}: not the {office}'s secret: its public key is {}{whose}, and the manifest \
             names {expected} for the {office}; nothing was done",
            key.public()
        ),
    ))
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
        policy.threshold(),
        policy.count()
    );
    let authorities = manifest.authorities();
    say!(
        "board key    {} (the board operator: signs every receipt and the final head)",
        authorities.board
    );
    say!(
        "admin key    {} (the administrator: signs every close)",
        authorities.administrator
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
