//! The record directory's files: reading them strictly (every failure names the file), writing
//! them so that a crash never leaves half a file, and the errors and exit codes of every command.
//!
//! * Reading: a missing file, a file that is not JSON (or JSON Lines), a value the library refuses
//!   (a manifest breaking a rule, a non-canonical point, a ballot of another version) all become
//!   one line `FILE: what is wrong`, with a hint at the command that writes the file when it is
//!   missing.
//! * Reading: every file is a regular file (a record directory's files are not even symbolic
//!   links), read through a bounded reader ([`nullivote::record::open_bounded`]).
//! * Writing: every file is written to a temporary file with a random name, created exclusively
//!   in the same directory, and renamed over its target (replacing) or moved to it without
//!   replacing anything (creating, refusing to overwrite), so a reader sees the old file or the
//!   new one, never a mixture. Secrets are created with mode 0600 on unix, and never in a
//!   directory every user may write into.
//! * The board is changed by one command at a time: [`BoardLock`].

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use nullivote::record::{
    Bounded, FileError, Links, MAX_FILE_BYTES, MAX_SMALL_FILE_BYTES, read_bounded,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tempfile::NamedTempFile;
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
    /// One line, whatever the underlying error printed: every control, format or separator
    /// character (a newline, an escape sequence, a bidirectional override, from a file's
    /// content, a JSON error quoting it, or a file name) escaped as `\u{…}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&nullivote::record::text::escape(&self.message))
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
        "board-head.json" => " (`nullivote close DIR --voting` writes it)",
        _ => "",
    }
}

fn cannot_read(path: &Path, e: &FileError) -> Fail {
    let hint = match e {
        FileError::Io(e) if e.kind() == io::ErrorKind::NotFound => hint(path),
        _ => "",
    };
    Fail::file(path, format!("{e}{hint}"))
}

/// The limit of a file of the record directory: that of the record's JSON Lines files for
/// `.jsonl`, that of its other files for everything else (the verifier's limits).
fn limit_of(path: &Path) -> u64 {
    if path.extension().is_some_and(|e| e == "jsonl") {
        MAX_FILE_BYTES
    } else {
        MAX_SMALL_FILE_BYTES
    }
}

/// The bytes of a file of the record directory: a regular file, not a symbolic link (which
/// someone who wrote into the directory could point at `/dev/zero` or another user's file),
/// read through a bounded reader so that it never yields more than a record file may hold.
pub fn read_bytes(path: &Path) -> Outcome<Vec<u8>> {
    read_bounded(path, limit_of(path), Links::Refuse).map_err(|e| cannot_read(path, &e))
}

/// The bytes of a file the user named on the command line (a secret file, a manifest to
/// check): it may be a symbolic link, but to a regular file, and is read through a bounded
/// reader. Standard input is `--code-file -`, read by [`read_standard_input`].
pub fn read_named(path: &Path) -> Outcome<Vec<u8>> {
    read_bounded(path, MAX_SMALL_FILE_BYTES, Links::Follow).map_err(|e| cannot_read(path, &e))
}

/// At most `limit` bytes of standard input (more is refused), wiped when dropped.
pub fn read_standard_input(what: &str, limit: u64) -> Outcome<Zeroizing<Vec<u8>>> {
    let mut bytes = Zeroizing::new(Vec::new());
    Bounded::new(io::stdin().lock(), limit)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            let reason = match e.get_ref().and_then(|i| i.downcast_ref::<FileError>()) {
                Some(FileError::TooLarge { .. }) => format!("more than {limit} bytes"),
                _ => e.to_string(),
            };
            Fail::input(format!("{what}: cannot read standard input: {reason}"))
        })?;
    Ok(bytes)
}

/// The bytes of a secret file the user named, wiped when dropped.
pub fn read_secret(path: &Path) -> Outcome<Zeroizing<Vec<u8>>> {
    read_named(path).map(Zeroizing::new)
}

/// [`read_secret`] of a file of at most `limit` bytes.
pub fn read_secret_within(path: &Path, limit: u64) -> Outcome<Zeroizing<Vec<u8>>> {
    read_bounded(path, limit, Links::Follow)
        .map(Zeroizing::new)
        .map_err(|e| cannot_read(path, &e))
}

/// `path` resolved as far as it exists: the canonical form of its nearest existing ancestor,
/// followed by the components that do not exist yet (`None` if a missing part is `..`, or
/// nothing of it resolves).
fn resolve(path: &Path) -> Option<PathBuf> {
    let mut missing = Vec::new();
    let mut part = path;
    loop {
        let probe = if part.as_os_str().is_empty() {
            Path::new(".")
        } else {
            part
        };
        if let Ok(mut resolved) = probe.canonicalize() {
            resolved.extend(missing.iter().rev());
            return Some(resolved);
        }
        missing.push(part.file_name()?);
        part = part.parent()?;
    }
}

/// Whether `path` is (or would be, once created) inside the directory `dir`, or is `dir`.
pub fn inside(path: &Path, dir: &Path) -> bool {
    matches!((resolve(path), resolve(dir)), (Some(place), Some(record)) if place.starts_with(&record))
}

/// Refuses a secret file (`flag FILE`) inside the record directory `dir` (which may not exist
/// yet): the record directory is copied between the parties' machines and published, so a
/// secret is never written there (and `nullivote publish` refuses a directory holding one).
pub fn keep_secret_out(flag: &str, secret: &Path, dir: &Path) -> Outcome {
    if inside(secret, dir) {
        return Err(Fail::input(format!(
            "{flag} {}: is inside the record directory {}, which is copied and published; keep \
             secrets in a directory of your own",
            secret.display(),
            dir.display()
        )));
    }
    Ok(())
}

/// A JSON file the user named holding one `what`.
pub fn read_named_json<T: DeserializeOwned>(path: &Path, what: &str) -> Outcome<T> {
    let text =
        String::from_utf8(read_named(path)?).map_err(|_| Fail::file(path, "is not UTF-8 text"))?;
    parse_json(path, &text, what)
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
    if absent(path) {
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

/// Whether nothing at all is at `path`: not even a symbolic link (which [`read_bytes`] then
/// refuses, rather than reading a dangling link as a missing file).
pub fn absent(path: &Path) -> bool {
    fs::symlink_metadata(path).is_err_and(|e| e.kind() == io::ErrorKind::NotFound)
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

/// The last at most `max` bytes of the file at `path`, whose length is `len`.
pub fn read_tail(path: &Path, len: u64, max: u64) -> Outcome<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let fail = |e: std::io::Error| Fail::file(path, format!("cannot read: {e}"));
    let mut file = std::fs::File::open(path).map_err(fail)?;
    file.seek(SeekFrom::Start(len.saturating_sub(max)))
        .map_err(fail)?;
    let mut out = Vec::new();
    file.take(max).read_to_end(&mut out).map_err(fail)?;
    Ok(out)
}

/// Appends `bytes` to the file at `path` (created if absent) and makes them durable.
pub fn append(path: &Path, bytes: &[u8]) -> Outcome {
    use std::io::Write;
    let fail = |e: std::io::Error| Fail::file(path, format!("cannot write: {e}"));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.sync_data().map_err(fail)
}

/// Refuses to write a secret into a directory every user may write into (`/tmp`, `/var/tmp`,
/// `/dev/shm`, ...): another user there may delete or replace the file, or have planted
/// something at its name. Secrets go into a directory of their owner's.
fn refuse_shared_directory(path: &Path, parent: &Path) -> Outcome {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(parent)
            .map_err(|e| Fail::file(parent, format!("cannot read the directory: {e}")))?;
        if meta.permissions().mode() & 0o002 != 0 {
            return Err(Fail::file(
                path,
                format!(
                    "is in {}, a directory every user may write into; a secret is only \
                     written into a directory other users cannot write (make one, e.g. \
                     `mkdir -m 700 DIR`)",
                    parent.display()
                ),
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, parent);
    Ok(())
}

/// Writes `bytes` to a fresh temporary file next to `path`, flushed to disk, and returns it.
///
/// Its name is `.<name>.<random>.tmp` (tempfile's random suffix), created exclusively
/// (`O_CREAT | O_EXCL`, and `O_NOFOLLOW` on unix), so a file or link planted at a name an
/// attacker guessed is never opened, let alone written through (issue #22, finding 7); with mode
/// 0600 from its creation if `secret` (0666 less the umask otherwise). A secret is never
/// written into a directory that every user may write into ([`refuse_shared_directory`]).
fn write_temporary(path: &Path, bytes: &[u8], secret: bool) -> Outcome<NamedTempFile> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)
        .map_err(|e| Fail::file(&parent, format!("cannot create the directory: {e}")))?;
    if secret {
        refuse_shared_directory(path, &parent)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let created = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .make_in(&parent, |temporary| {
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options
                    .mode(if secret { 0o600 } else { 0o666 })
                    .custom_flags(libc::O_NOFOLLOW);
            }
            options.open(temporary)
        });
    let mut file = created.map_err(|e| Fail::file(path, format!("cannot write: {e}")))?;
    // On failure the temporary file is removed when `file` is dropped.
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| Fail::file(path, format!("cannot write: {e}")))?;
    Ok(file)
}

/// Writes `bytes` to `path`, replacing any file there in one step (a rename, which replaces a
/// link at `path` rather than writing through it).
pub fn replace(path: &Path, bytes: &[u8], secret: bool) -> Outcome {
    write_temporary(path, bytes, secret)?
        .persist(path)
        .map(drop)
        .map_err(|e| Fail::file(path, format!("cannot write: {}", e.error)))
}

/// Writes `bytes` to `path`, which must not exist yet (not even as a link).
pub fn create(path: &Path, bytes: &[u8], secret: bool) -> Outcome {
    let exists = || Fail::file(path, "already exists; refusing to overwrite it");
    if !absent(path) {
        return Err(exists());
    }
    write_temporary(path, bytes, secret)?
        .persist_noclobber(path)
        .map(drop)
        .map_err(|e| match e.error.kind() {
            io::ErrorKind::AlreadyExists => exists(),
            _ => Fail::file(path, format!("cannot write: {}", e.error)),
        })
}

/// Publishes `bytes` at `path` once: writes them if the file does not exist, does nothing if it
/// holds the same bytes (a step re-run after a crash), and refuses if it holds others.
pub fn publish_once(path: &Path, bytes: &[u8], secret: bool, what: &str) -> Outcome {
    if !absent(path) {
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
