//! The record directory's files: reading them strictly (every failure names the file), writing
//! them so that a crash never leaves half a file, and the errors and exit codes of every command.
//!
//! * Reading: a missing file, a file that is not JSON (or JSON Lines), a value the library refuses
//!   (a manifest breaking a rule, a non-canonical point, a ballot of another version) all become
//!   one line `FILE: what is wrong`, with a hint at the command that writes the file when it is
//!   missing.
//! * Writing: every file is written to a temporary file in the same directory and renamed over
//!   its target (replacing) or hard-linked to it (creating, refusing to overwrite), so a reader
//!   sees the old file or the new one, never a mixture. Secrets are created with mode 0600 on
//!   unix.
//! * The board is changed by one command at a time: [`BoardLock`].

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use nullivote::record::MAX_FILE_BYTES;
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

/// Why a command stopped, and with which exit status.
#[derive(Debug)]
pub struct Fail {
    refused: bool,
    message: String,
}

/// The result of a command or of one of its steps.
pub type Outcome<T = ()> = Result<T, Fail>;

impl Fail {
    /// Bad input or a step out of order (exit status 2): a missing, malformed or foreign file,
    /// a bad argument.
    pub fn input(message: impl Into<String>) -> Self {
        Self {
            refused: false,
            message: message.into(),
        }
    }

    /// The inputs were read, and the protocol says no (exit status 1): a refused ballot,
    /// challenge or phase change, a proof that does not verify, a misbehaving trustee.
    pub fn refused(message: impl Into<String>) -> Self {
        Self {
            refused: true,
            message: message.into(),
        }
    }

    /// `FILE: message`, exit status 2.
    pub fn file(path: &Path, message: impl fmt::Display) -> Self {
        Self::input(format!("{}: {message}", path.display()))
    }

    /// The exit status.
    pub fn code(&self) -> ExitCode {
        if self.refused {
            ExitCode::from(1)
        } else {
            ExitCode::from(2)
        }
    }
}

impl fmt::Display for Fail {
    /// One line, whatever the underlying error printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line: String = self
            .message
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        f.write_str(&line)
    }
}

/// What to do when a file of the record is missing: the command that writes it.
fn hint(path: &Path) -> &'static str {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match name {
        "manifest.json" => {
            " (write it with `nullivote manifest leadership`, or copy a manifest checked with \
             `nullivote manifest check` there)"
        }
        "ceremony.json" => " (the key ceremony has not finished: `nullivote trustee finish`)",
        "roll.json" => " (`nullivote credentials issue` writes it)",
        "tally.json" => " (`nullivote tally` writes it)",
        _ => "",
    }
}

fn cannot_read(path: &Path, e: &io::Error) -> Fail {
    let hint = if e.kind() == io::ErrorKind::NotFound {
        hint(path)
    } else {
        ""
    };
    Fail::file(path, format!("cannot read: {e}{hint}"))
}

/// The bytes of a file, refusing files larger than a record file may be.
pub fn read_bytes(path: &Path) -> Outcome<Vec<u8>> {
    let meta = fs::metadata(path).map_err(|e| cannot_read(path, &e))?;
    if meta.is_dir() {
        return Err(Fail::file(path, "is a directory, not a file"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Fail::file(
            path,
            format!("{} bytes is more than a record file may hold", meta.len()),
        ));
    }
    fs::read(path).map_err(|e| cannot_read(path, &e))
}

/// The bytes of a secret file, wiped when dropped.
pub fn read_secret(path: &Path) -> Outcome<Zeroizing<Vec<u8>>> {
    read_bytes(path).map(Zeroizing::new)
}

/// The text of a file.
pub fn read_text(path: &Path) -> Outcome<String> {
    String::from_utf8(read_bytes(path)?).map_err(|_| Fail::file(path, "is not UTF-8 text"))
}

/// A JSON file holding one `what`.
pub fn read_json<T: DeserializeOwned>(path: &Path, what: &str) -> Outcome<T> {
    let text = read_text(path)?;
    parse_json(path, &text, what)
}

/// `text`, read from `path`, as one `what`.
pub fn parse_json<T: DeserializeOwned>(path: &Path, text: &str, what: &str) -> Outcome<T> {
    serde_json::from_str(text).map_err(|e| Fail::file(path, json_problem(&e, what)))
}

/// What is wrong with a JSON text: its syntax, or its content.
fn json_problem(e: &serde_json::Error, what: &str) -> String {
    if e.is_syntax() || e.is_eof() {
        format!("malformed JSON: {e}")
    } else {
        format!("not a valid {what}: {e}")
    }
}

/// A JSON Lines file, one `what` a line; a missing file is an empty list.
pub fn read_lines_or_empty<T: DeserializeOwned>(path: &Path, what: &str) -> Outcome<Vec<T>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = read_text(path)?;
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| {
                Fail::file(path, format!("line {}: {}", i + 1, json_problem(&e, what)))
            })
        })
        .collect()
}

/// A value as pretty JSON and a final newline.
pub fn json_bytes<T: Serialize>(path: &Path, value: &T) -> Outcome<Vec<u8>> {
    let mut out = serde_json::to_vec_pretty(value)
        .map_err(|e| Fail::file(path, format!("cannot encode: {e}")))?;
    out.push(b'\n');
    Ok(out)
}

/// Values as JSON Lines.
pub fn lines_bytes<T: Serialize>(path: &Path, values: &[T]) -> Outcome<Vec<u8>> {
    let mut out = Vec::new();
    for value in values {
        serde_json::to_writer(&mut out, value)
            .map_err(|e| Fail::file(path, format!("cannot encode: {e}")))?;
        out.push(b'\n');
    }
    Ok(out)
}

/// Writes `bytes` to a fresh temporary file next to `path` (mode 0600 if `secret`), flushed to
/// disk, and returns its path.
fn write_temporary(path: &Path, bytes: &[u8], secret: bool) -> Outcome<PathBuf> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)
        .map_err(|e| Fail::file(&parent, format!("cannot create the directory: {e}")))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = parent.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&temporary);
        return Err(Fail::file(path, format!("cannot write: {e}")));
    }
    Ok(temporary)
}

/// Writes `bytes` to `path`, replacing any file there in one step.
pub fn replace(path: &Path, bytes: &[u8], secret: bool) -> Outcome {
    let temporary = write_temporary(path, bytes, secret)?;
    fs::rename(&temporary, path).map_err(|e| {
        let _ = fs::remove_file(&temporary);
        Fail::file(path, format!("cannot write: {e}"))
    })
}

/// Writes `bytes` to `path`, which must not exist yet.
pub fn create(path: &Path, bytes: &[u8], secret: bool) -> Outcome {
    if path.exists() {
        return Err(Fail::file(path, "already exists; refusing to overwrite it"));
    }
    let temporary = write_temporary(path, bytes, secret)?;
    let linked = fs::hard_link(&temporary, path);
    let _ = fs::remove_file(&temporary);
    linked.map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => {
            Fail::file(path, "already exists; refusing to overwrite it")
        }
        _ => Fail::file(path, format!("cannot write: {e}")),
    })
}

/// Publishes `bytes` at `path` once: writes them if the file does not exist, does nothing if it
/// holds the same bytes (a step re-run after a crash), and refuses if it holds others.
pub fn publish_once(path: &Path, bytes: &[u8], secret: bool, what: &str) -> Outcome {
    if path.exists() {
        let existing = Zeroizing::new(read_bytes(path)?);
        if existing.as_slice() == bytes {
            return Ok(());
        }
        return Err(Fail::file(
            path,
            format!(
                "already holds a different {what}; one party must never publish two (was another \
                 secret file used for the same trustee?)"
            ),
        ));
    }
    create(path, bytes, secret)
}

/// Exclusive use of the board: `DIR/board.lock`, created on taking and removed on drop, so that
/// two commands never append to the board at once (the second would lose the first's entry).
pub struct BoardLock {
    path: PathBuf,
}

impl BoardLock {
    /// Takes the lock of the record directory `dir`.
    pub fn take(dir: &Path) -> Outcome<Self> {
        let path = dir.join("board.lock");
        let created = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| writeln!(f, "{}", std::process::id()));
        match created {
            Ok(()) => Ok(Self { path }),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Fail::file(
                &path,
                "another nullivote command is changing the board; if none is running, a \
                 command was killed: remove this file and run the command again",
            )),
            Err(e) => Err(Fail::file(&path, format!("cannot create the lock: {e}"))),
        }
    }
}

impl Drop for BoardLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
