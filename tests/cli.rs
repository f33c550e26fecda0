//! The command line, driven as an official would: a whole election run step by step by
//! separate invocations of the real binary in one record directory, then `nullivote verify`;
//! and the bad inputs every command must refuse with one line naming the file.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `nullivote args…` and returns its output.
fn nullivote(args: &[&str]) -> Output {
    nullivote_with_input(args, None)
}

fn nullivote_with_input(args: &[&str], input: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nullivote"));
    command.args(args);
    let output = match input {
        None => command.output().expect("the binary runs"),
        Some(text) => {
            use std::io::Write;
            let mut child = command
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("the binary runs");
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write stdin");
            child.wait_with_output().expect("the binary runs")
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked"),
        "nullivote {args:?} panicked: {stderr}"
    );
    output
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and requires exit status 0; returns standard output.
fn ok(args: &[&str]) -> String {
    let o = nullivote(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "nullivote {args:?} failed:\n{}{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// Runs and requires exit status `code`, with one line on standard error naming `names`.
fn fails(args: &[&str], code: i32, names: &[&str]) -> String {
    let o = nullivote(args);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "nullivote {args:?}: expected exit {code}:\n{}{err}",
        stdout(&o)
    );
    for name in names {
        assert!(
            err.contains(name),
            "nullivote {args:?}: the error does not name {name:?}: {err}"
        );
    }
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "nullivote {args:?}: the error is not one line: {err}"
    );
    err
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for item in fs::read_dir(from).unwrap() {
        let item = item.unwrap();
        let target = to.join(item.file_name());
        if item.file_type().unwrap().is_dir() {
            copy_dir(&item.path(), &target);
        } else {
            fs::copy(item.path(), &target).unwrap();
        }
    }
}

/// The public keys of the offices a manifest names: the postal intake, the board operator and
/// the administrator.
struct Keys<'a> {
    intake: &'a str,
    board: &'a str,
    admin: &'a str,
}

fn manifest_json(election_id: &str, keys: &Keys<'_>) -> String {
    let intake_key = keys.intake;
    serde_json::json!({
        "election_id": election_id,
        "contests": [
            {"name": "chair", "options": ["Ada", "Grace"],
             "min_selections": 1, "max_selections": 1, "option_limit": 1},
            {"name": "committee", "options": ["Ada", "Grace", "Edsger"],
             "min_selections": 1, "max_selections": 2, "option_limit": 1}
        ],
        "channels": [
            {"name": "online", "rank": 1, "rule": "last_wins", "authority": null},
            {"name": "postal", "rank": 2, "rule": "first_wins", "authority": intake_key}
        ],
        "trustees": {"count": 3, "threshold": 2},
        "authorities": {"board": keys.board, "administrator": keys.admin}
    })
    .to_string()
}

/// Draws an office's key pair with `nullivote authority new`: saves the secret in `path`,
/// returns the public key.
fn new_key(path: &Path) -> String {
    let key = ok(&["authority", "new", "--secret-out", s(path)])
        .trim()
        .to_string();
    assert_eq!(key.len(), 64, "a public key in hex: {key}");
    key
}

/// The board entries of `dir/board.jsonl`.
fn board_entries(dir: &Path) -> Vec<nullivote::board::Entry> {
    fs::read_to_string(dir.join("board.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The election of the record directory `dir` (manifest, ceremony, roll), as the library
/// builds it: what a receipt is checked against.
fn election_of(dir: &Path) -> nullivote::Election {
    let read = |name: &str| fs::read_to_string(dir.join(name)).unwrap();
    let manifest: nullivote::manifest::Manifest =
        serde_json::from_str(&read("manifest.json")).unwrap();
    let ceremony: nullivote::record::Ceremony =
        serde_json::from_str(&read("ceremony.json")).unwrap();
    let roll: nullivote::credential::Roll = serde_json::from_str(&read("roll.json")).unwrap();
    nullivote::Election::new(
        manifest,
        ceremony.public.election_key(),
        ceremony.public.ceremony_digest(),
        roll,
    )
}

/// Checks the receipt saved in `path`: the board's signature in the election of `dir`, for the
/// entry at its position of `dir/board.jsonl` (its digest and tracking code). Returns it.
fn check_receipt(dir: &Path, path: &Path) -> nullivote::board::Receipt {
    let receipt: nullivote::board::Receipt =
        serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    let election = election_of(dir);
    assert_eq!(receipt.verify(&election), Ok(()), "{}", path.display());
    let entries = board_entries(dir);
    let entry = &entries[usize::try_from(receipt.position).unwrap()];
    let (digest, code) = entry.digest_and_code();
    assert_eq!(
        (receipt.entry, receipt.tracking_code),
        (digest, code),
        "{}",
        path.display()
    );
    receipt
}

/// The numbers of the line of `text` that starts with `name` (after indentation).
fn numbers_of(text: &str, name: &str) -> Vec<u64> {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(name))
        .unwrap_or_else(|| panic!("no line {name:?} in:\n{text}"));
    line.split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect()
}

#[test]
fn a_whole_election_across_invocations_verifies() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let dir = w.join("election");
    let d = s(&dir);
    fs::create_dir_all(&dir).unwrap();

    // The offices' keys (the postal intake, the board operator, the administrator), and a
    // custom manifest naming them: 3 trustees, any 2 decrypt.
    let intake = w.join("intake.key");
    let intake_key = new_key(&intake);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&intake).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the secret is readable by others");
    }
    let board_secret = w.join("board.key");
    let admin_secret = w.join("admin.key");
    let keys = Keys {
        intake: &intake_key,
        board: &new_key(&board_secret),
        admin: &new_key(&admin_secret),
    };
    let (board_arg, admin_arg) = (s(&board_secret), s(&admin_secret));
    let manifest = w.join("manifest.json");
    fs::write(&manifest, manifest_json("club-committee-2026", &keys)).unwrap();
    let checked = ok(&["manifest", "check", s(&manifest)]);
    assert!(checked.contains("club-committee-2026") && checked.contains("digest"));
    assert!(checked.contains(keys.board) && checked.contains(keys.admin));
    // A manifest in which the board is the postal intake is refused.
    let shared = w.join("shared-manifest.json");
    let shared_keys = Keys {
        board: &intake_key,
        ..keys
    };
    fs::write(&shared, manifest_json("club-committee-2026", &shared_keys)).unwrap();
    fails(
        &["manifest", "check", s(&shared)],
        2,
        &["shared-manifest.json", "have the same key"],
    );
    fs::copy(&manifest, dir.join("manifest.json")).unwrap();

    // The key ceremony, round by round, each trustee with its own secret file.
    let secrets: Vec<String> = (1..=3)
        .map(|i| s(&w.join(format!("trustee-{i}.secret"))).to_string())
        .collect();
    for (i, secret) in secrets.iter().enumerate() {
        let index = (i + 1).to_string();
        ok(&[
            "trustee", "round1", d, "--index", &index, "--secret", secret,
        ]);
    }
    // A round run early waits for the others, naming the missing package.
    ok(&["trustee", "round2", d, "--secret", &secrets[0]]);
    fails(
        &["trustee", "round3", d, "--secret", &secrets[0]],
        2,
        &["round2-2.json"],
    );
    // A step run twice re-sends the identical package.
    ok(&[
        "trustee",
        "round2",
        d,
        "--secret",
        &secrets[0],
        "--index",
        "1",
    ]);
    for round in ["round2", "round3", "round4", "round5", "finish"] {
        for secret in &secrets {
            if round == "round2" && *secret == secrets[0] {
                continue;
            }
            ok(&["trustee", round, d, "--secret", secret]);
        }
    }
    assert!(dir.join("ceremony.json").exists());
    // Finding 1 of the attacker's review: the directory every party shares holds no share in
    // clear. There is no `private/`; the shares are in the round-3 packages, each sealed for
    // its recipient; nothing in `ceremony/` is anything but a public package.
    assert!(!dir.join("private").exists());
    let mut round3 = 0;
    for entry in fs::read_dir(dir.join("ceremony")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        assert!(
            name.starts_with("round") && name.ends_with(".json"),
            "{name}"
        );
        if name.starts_with("round3-") {
            let package: nullivote::trustee::round3::Package =
                serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
            assert_eq!(package.shares().len(), 2, "{name}");
            round3 += 1;
        }
    }
    assert_eq!(round3, 3);
    // A trustee's secret moved on to its key: an earlier round says so.
    fails(
        &["trustee", "round4", d, "--secret", &secrets[1]],
        2,
        &["trustee-2.secret", "already done"],
    );

    // The registrar issues four credential codes.
    let codes_file = w.join("codes.txt");
    ok(&[
        "credentials",
        "issue",
        d,
        "--count",
        "4",
        "--codes-out",
        s(&codes_file),
    ]);
    let codes_text = fs::read_to_string(&codes_file).unwrap();
    assert_eq!(codes_text.lines().count(), 4);
    // Each member's code in a file of its own (the code is never an argument).
    let code_files: Vec<String> = codes_text
        .lines()
        .enumerate()
        .map(|(i, code)| {
            let path = w.join(format!("code-{i}.txt"));
            fs::write(&path, format!("{code}\n")).unwrap();
            s(&path).to_string()
        })
        .collect();
    let codes: Vec<&str> = code_files.iter().map(String::as_str).collect();

    let intake_arg = s(&intake).to_string();
    let cast_with = |code: &str, channel: &str, choice: &str, more: &[&str]| -> Output {
        let mut args = vec![
            "cast",
            d,
            "--channel",
            channel,
            "--code-file",
            code,
            "--choice",
            choice,
            "--board-secret",
            board_arg,
        ];
        if channel == "postal" {
            args.extend(["--authority-secret", &intake_arg]);
        }
        args.extend(more);
        nullivote(&args)
    };
    let cast = |code: &str, channel: &str, choice: &str| cast_with(code, channel, choice, &[]);
    let accepted = |o: Output| {
        assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
        assert!(stdout(&o).contains("tracking code"));
        assert!(stdout(&o).contains("signed by the board"));
    };

    // Member 0 votes online, then by post: the postal ballot counts. The board's signed
    // receipt is saved for the member.
    let receipt_0 = w.join("receipt-0.json");
    accepted(cast_with(
        codes[0],
        "online",
        "1,0;1,1,0",
        &["--receipt-out", s(&receipt_0)],
    ));
    let receipt = check_receipt(&dir, &receipt_0);
    assert_eq!(receipt.position, 0);
    // Issue 24: the board's admission state is saved beside the log, and a command reopens the
    // board from it only while it is the state of the log as it is. A log whose last entry
    // changed behind the state is re-verified in full and refused (fail-stop), and a damaged
    // state is ignored: the board is read and re-verified instead.
    let state = dir.join("board.state");
    let log = dir.join("board.jsonl");
    assert!(state.is_file(), "cast saves the board's state");
    let honest_log = fs::read(&log).unwrap();
    let mut doctored = honest_log.clone();
    let at = doctored.len() - 40;
    doctored[at] = if doctored[at] == b'0' { b'1' } else { b'0' };
    fs::write(&log, &doctored).unwrap();
    fails(
        &[
            "cast",
            d,
            "--channel",
            "online",
            "--code-file",
            codes[1],
            "--choice",
            "1,0;1,1,0",
            "--board-secret",
            board_arg,
        ],
        2,
        &["board.jsonl"],
    );
    assert_eq!(
        fs::read(&log).unwrap(),
        doctored,
        "nothing is appended to a doctored board"
    );
    fs::write(&log, &honest_log).unwrap();

    fs::write(&state, b"damaged").unwrap();
    // A key that is not the manifest's board key: refused before anything is done, whoever's
    // it is (here the administrator's, and the intake's), and nothing is written.
    let board_before = fs::read(dir.join("board.jsonl")).unwrap();
    let receipt_x = w.join("receipt-x.json");
    for wrong in [admin_arg, &intake_arg[..]] {
        let err = fails(
            &[
                "cast",
                d,
                "--channel",
                "online",
                "--code-file",
                codes[1],
                "--choice",
                "1,0;1,1,0",
                "--board-secret",
                wrong,
                "--receipt-out",
                s(&receipt_x),
            ],
            2,
            &[
                "--board-secret",
                wrong,
                "not the board operator's secret",
                keys.board,
            ],
        );
        assert!(err.contains("it is "), "{err}");
    }
    assert_eq!(fs::read(dir.join("board.jsonl")).unwrap(), board_before);
    assert!(!receipt_x.exists());
    // The secret is a file: a key given as an argument is not one.
    fails(
        &[
            "cast",
            d,
            "--channel",
            "online",
            "--code-file",
            codes[1],
            "--choice",
            "1,0;1,1,0",
            "--board-secret",
            keys.board,
        ],
        2,
        &["--board-secret"],
    );
    // A receipt is never overwritten, nor written into the record directory: refused before
    // anything is submitted.
    fails(
        &cast_args_with_receipt(d, codes[1], board_arg, s(&receipt_0)),
        2,
        &["receipt-0.json", "already exists", "nothing was submitted"],
    );
    let inside = dir.join("receipt.json");
    fails(
        &cast_args_with_receipt(d, codes[1], board_arg, s(&inside)),
        2,
        &["--receipt-out", "inside the record directory"],
    );
    assert!(!inside.exists());
    assert_eq!(fs::read(dir.join("board.jsonl")).unwrap(), board_before);
    // The board operator keeps a copy of the board holding member 0's online ballot alone: a
    // doctored board, whose decryption would reveal that vote (issue 22, finding 2).
    let doctored = w.join("doctored");
    copy_dir(&dir, &doctored);
    accepted(cast(codes[0], "postal", "0,1;0,0,1"));
    assert_ne!(
        fs::read(&state).unwrap(),
        b"damaged",
        "the next write saves a fresh state"
    );
    // Member 1 votes by post, then tries online: refused, exit 1. The refusal is an entry of
    // the board, with its own signed receipt (saved with --receipt-out), naming the refused
    // ballot's tracking code.
    accepted(cast(codes[1], "postal", "1,0;1,0,1"));
    let refusal_receipt = w.join("refusal.json");
    let entries_before = board_entries(&dir).len();
    let refused = cast_with(
        codes[1],
        "online",
        "0,1;0,1,0",
        &["--receipt-out", s(&refusal_receipt)],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let why = stderr(&refused);
    assert!(
        why.contains("refused") && why.contains("takes precedence"),
        "{why}"
    );
    assert_eq!(why.trim_end().lines().count(), 1, "{why}");
    let printed = stdout(&refused);
    assert!(
        printed.contains("refusal recorded at board entry")
            && printed.contains("signed by the board"),
        "{printed}"
    );
    let entries = board_entries(&dir);
    assert_eq!(entries.len(), entries_before + 1, "the refusal is an entry");
    let refusal = check_receipt(&dir, &refusal_receipt);
    assert_eq!(refusal.position, entries_before as u64);
    assert!(
        matches!(&entries[entries_before].payload, nullivote::board::Payload::Refused(r)
            if r.tracking_code == refusal.tracking_code),
        "{:?}",
        entries[entries_before]
    );
    assert!(
        why.contains(&refusal.tracking_code.to_string())
            && printed.contains(&refusal.tracking_code.to_string()),
        "{why}{printed}"
    );
    // Member 2 challenges a ballot, sees what it encrypts, then casts a fresh one.
    let challenge_receipt = w.join("challenge.json");
    let challenged = ok(&[
        "challenge",
        d,
        "--channel",
        "online",
        "--code-file",
        codes[2],
        "--choice",
        "0,1;0,1,1",
        "--board-secret",
        board_arg,
        "--receipt-out",
        s(&challenge_receipt),
    ]);
    assert!(challenged.contains("signed by the board"), "{challenged}");
    let spoiled = check_receipt(&dir, &challenge_receipt);
    assert!(
        challenged.contains(&format!(
            "published as spoiled at board entry {}",
            spoiled.position
        )),
        "{challenged}"
    );
    assert!(challenged.contains("chair: Ada 0, Grace 1"), "{challenged}");
    assert!(
        challenged.contains("committee: Ada 0, Grace 1, Edsger 1"),
        "{challenged}"
    );
    accepted(cast(codes[2], "online", "0,1;0,1,1"));
    // Member 3 votes online twice (the code read from standard input the second time): the
    // second counts.
    accepted(cast(codes[3], "online", "1,0;1,0,0"));
    let revote = nullivote_with_input(
        &[
            "cast",
            d,
            "--channel",
            "online",
            "--code-file",
            "-",
            "--choice",
            "0,1;0,0,1",
            "--board-secret",
            board_arg,
        ],
        Some(codes_text.lines().nth(3).unwrap()),
    );
    accepted(revote);
    // Bad ballots are refused before anything reaches the board.
    let bad_code = w.join("bad-code.txt");
    fs::write(&bad_code, "ABCD\n").unwrap();
    fails(
        &[
            "cast",
            d,
            "--channel",
            "online",
            "--code-file",
            codes[3],
            "--choice",
            "1,1;1,0,0",
            "--board-secret",
            board_arg,
        ],
        2,
        &["--choice"],
    );
    fails(
        &[
            "cast",
            d,
            "--channel",
            "postal",
            "--code-file",
            codes[3],
            "--choice",
            "1,0;1,0,0",
            "--board-secret",
            board_arg,
        ],
        2,
        &["--authority-secret"],
    );
    fails(
        &[
            "cast",
            d,
            "--channel",
            "online",
            "--code-file",
            s(&bad_code),
            "--choice",
            "1,0;1,0,0",
            "--board-secret",
            board_arg,
        ],
        2,
        &["--code-file", "bad-code.txt"],
    );

    // The tally waits for the close.
    fails(&["tally", d], 2, &["board.jsonl", "voting is still open"]);
    // Only the administrator closes: a key that is not the manifest's administrator key is
    // refused (the board's own too), and so is a board secret that is not the board's.
    let close = |what: &[&str], admin: &str, board: &str| -> Output {
        let mut args = vec!["close", d];
        args.extend(what);
        args.extend(["--admin-secret", admin, "--board-secret", board]);
        nullivote(&args)
    };
    let board_before = fs::read(dir.join("board.jsonl")).unwrap();
    for (admin, board, flag, names) in [
        (board_arg, board_arg, "--admin-secret", keys.admin),
        (&intake_arg[..], board_arg, "--admin-secret", keys.admin),
        (admin_arg, admin_arg, "--board-secret", keys.board),
    ] {
        for what in [&["--channel", "online"][..], &["--voting"][..]] {
            let o = close(what, admin, board);
            assert_eq!(o.status.code(), Some(2), "{what:?}: {}", stderr(&o));
            let err = stderr(&o);
            assert!(
                err.contains(flag) && err.contains(names) && err.contains("nothing was done"),
                "{err}"
            );
            assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        }
    }
    assert_eq!(fs::read(dir.join("board.jsonl")).unwrap(), board_before);
    assert!(!dir.join("board-head.json").exists());
    let closed = stdout(&close(&["--channel", "online"], admin_arg, board_arg));
    assert!(
        closed.contains("channel online closed by the administrator at board entry")
            && closed.contains("signed by the board"),
        "{closed}"
    );
    let o = close(&["--channel", "online"], admin_arg, board_arg);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("already closed"), "{}", stderr(&o));
    // A challenge on the closed channel is refused, and the refusal is an entry with its
    // receipt too (counted as refused on online).
    let late_challenge = w.join("late-challenge.json");
    let o = nullivote(&[
        "challenge",
        d,
        "--channel",
        "online",
        "--code-file",
        codes[2],
        "--choice",
        "1,0;1,0,0",
        "--board-secret",
        board_arg,
        "--receipt-out",
        s(&late_challenge),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("refused: channel online is closed"),
        "{}",
        stderr(&o)
    );
    assert!(!stdout(&o).contains("opens to"), "{}", stdout(&o));
    let refusal = check_receipt(&dir, &late_challenge);
    assert!(matches!(
        &board_entries(&dir)[usize::try_from(refusal.position).unwrap()].payload,
        nullivote::board::Payload::Refused(r)
            if r.submission == nullivote::board::Submission::Challenge
    ));
    ok(&[
        "close",
        d,
        "--channel",
        "postal",
        "--admin-secret",
        admin_arg,
        "--board-secret",
        board_arg,
    ]);
    let closed = ok(&[
        "close",
        d,
        "--voting",
        "--admin-secret",
        admin_arg,
        "--board-secret",
        board_arg,
    ]);
    assert!(closed.contains("board-head.json"), "{closed}");
    // The board's signature of its final head, kept until publish puts it in record.json.
    let signed: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("board-head.json")).unwrap()).unwrap();
    let final_entries = board_entries(&dir);
    assert_eq!(signed["board_entries"], final_entries.len());
    assert_eq!(
        signed["board_head"].as_str(),
        Some(hex_of(&final_entries.last().unwrap().digest()).as_str())
    );
    assert!(matches!(
        final_entries.last().unwrap().payload,
        nullivote::board::Payload::CloseVoting { .. }
    ));
    let o = close(&["--voting"], admin_arg, board_arg);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("already closed"), "{}", stderr(&o));
    let tallied = ok(&["tally", d]);
    let head = tallied
        .lines()
        .find_map(|l| l.strip_prefix("board head "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("tally prints the board head: {tallied}"))
        .to_string();
    assert_eq!(head.len(), 64, "{tallied}");

    // Trustees 1 and 3 decrypt; trustee 2 is away. Standard input is no terminal here, so
    // without --yes decrypt shows what it would decrypt and refuses.
    let unconfirmed = fails(
        &["decrypt", d, "--key", &secrets[0]],
        2,
        &["not a terminal", "--yes"],
    );
    assert!(unconfirmed.contains("board head"), "{unconfirmed}");
    let key_before = fs::read(&secrets[0]).unwrap();
    assert!(!dir.join("shares").exists(), "nothing was decrypted");
    let shown = ok(&["decrypt", d, "--key", &secrets[0], "--yes"]);
    for what in [
        "club-committee-2026",
        &head[..],
        "entries",
        "ballots in all",
        "online",
        "postal",
    ] {
        assert!(
            shown.contains(what),
            "decrypt does not show {what:?}:\n{shown}"
        );
    }
    // The key file now records the head it decrypted (rewritten before the share).
    assert_ne!(fs::read(&secrets[0]).unwrap(), key_before);
    // Run again (a crash, a retry): the identical share, the key unchanged.
    let share_1 = fs::read(dir.join("shares/share-1.json")).unwrap();
    let key_after = fs::read(&secrets[0]).unwrap();
    let again = ok(&["decrypt", d, "--key", &secrets[0]]);
    assert!(again.contains("identical share"), "{again}");
    assert_eq!(fs::read(dir.join("shares/share-1.json")).unwrap(), share_1);
    assert_eq!(fs::read(&secrets[0]).unwrap(), key_after);
    publish_refuses_what_is_not_the_record(&dir);
    fails(&["publish", d], 2, &["shares", "2 are needed"]);
    // Trustee 3 gives the published head instead of confirming: decrypt compares it.
    fails(
        &["decrypt", d, "--key", &secrets[2], "--head", &head[..62]],
        2,
        &["--head", "32 bytes"],
    );
    let compared = ok(&["decrypt", d, "--key", &secrets[2], "--head", &head]);
    assert!(compared.contains("is the published one"), "{compared}");

    // The operator closes and tallies the doctored board and asks for its decryption:
    // trustee 1 refuses (exit 1), naming the head it decrypted and this one.
    ok(&[
        "close",
        s(&doctored),
        "--voting",
        "--admin-secret",
        admin_arg,
        "--board-secret",
        board_arg,
    ]);
    ok(&["tally", s(&doctored)]);
    // A trustee who gives the published head refuses the doctored board outright.
    fails(
        &[
            "decrypt",
            s(&doctored),
            "--key",
            &secrets[1],
            "--head",
            &head,
        ],
        1,
        &["board.jsonl", "not the published", &head[..]],
    );
    assert!(!doctored.join("shares").exists());
    let refused = fails(
        &["decrypt", s(&doctored), "--key", &secrets[0], "--yes"],
        1,
        &["trustee-1.secret", "already decrypted", &head[..]],
    );
    assert!(refused.contains("2 entries"), "{refused}");
    assert!(!doctored.join("shares/share-1.json").exists());
    // Trustee 2, away so far, is tricked into decrypting it first: decrypt showed it one
    // ballot in all (what the one-decryption rule cannot prevent: the trustee must compare the
    // head). Its key then refuses the real tally.
    let tricked = ok(&["decrypt", s(&doctored), "--key", &secrets[1], "--yes"]);
    assert!(tricked.contains("        1 ballots in all"), "{tricked}");
    fails(
        &["decrypt", d, "--key", &secrets[1], "--yes"],
        1,
        &["trustee-2.secret", "already decrypted"],
    );
    // publish needs the board's signature of the final head, and only this board's: without
    // board-head.json it names the command that writes it; the doctored board's is refused.
    let board_head = dir.join("board-head.json");
    let kept = fs::read(&board_head).unwrap();
    fs::remove_file(&board_head).unwrap();
    fails(
        &["publish", d],
        2,
        &["board-head.json", "nullivote close", "--voting"],
    );
    fs::copy(doctored.join("board-head.json"), &board_head).unwrap();
    fails(
        &["publish", d],
        2,
        &[
            "board-head.json",
            "not the board's signature of this board's head",
        ],
    );
    // Closing voting again on the closed board writes only board-head.json again.
    fs::remove_file(&board_head).unwrap();
    let board_before = fs::read(dir.join("board.jsonl")).unwrap();
    let again = stdout(&close(&["--voting"], admin_arg, board_arg));
    assert!(again.contains("already closed"), "{again}");
    assert_eq!(fs::read(dir.join("board.jsonl")).unwrap(), board_before);
    let rewritten: serde_json::Value =
        serde_json::from_slice(&fs::read(&board_head).unwrap()).unwrap();
    let kept: serde_json::Value = serde_json::from_slice(&kept).unwrap();
    assert_eq!(rewritten["board_head"], kept["board_head"]);
    assert_eq!(rewritten["board_entries"], kept["board_entries"]);
    // Its doctored share slipped into the real shares is skipped, named with its head.
    fs::copy(
        doctored.join("shares/share-2.json"),
        dir.join("shares/share-2.json"),
    )
    .unwrap();
    let publish = nullivote(&["publish", d]);
    assert_eq!(publish.status.code(), Some(0), "{}", stderr(&publish));
    let published = stdout(&publish);
    assert!(
        published.contains("decrypted by trustees 1, 3"),
        "{published}"
    );
    assert!(
        stderr(&publish).contains("share-2.json")
            && stderr(&publish).contains("not for the board being decrypted"),
        "{}",
        stderr(&publish)
    );
    // publish folded the shares into decryption.json and removed shares/ with the skipped one.
    assert!(!dir.join("shares").exists());

    // After the close nothing is submitted, not even a refusal entry: the board's final head
    // is signed and published.
    let board_before = fs::read(dir.join("board.jsonl")).unwrap();
    let late = cast(codes[2], "online", "1,0;1,0,0");
    assert_eq!(late.status.code(), Some(1), "{}", stderr(&late));
    assert!(
        stderr(&late).contains("voting closed") && stderr(&late).contains("nothing was submitted"),
        "{}",
        stderr(&late)
    );
    assert_eq!(fs::read(dir.join("board.jsonl")).unwrap(), board_before);

    // Nor is voting closed again: record.json holds the board's signature of its final head,
    // and no board-head.json comes back into the published record.
    let o = close(&["--voting"], admin_arg, board_arg);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("already closed") && stderr(&o).contains("record.json"),
        "{}",
        stderr(&o)
    );
    assert!(!board_head.exists());
    assert_eq!(fs::read(dir.join("board.jsonl")).unwrap(), board_before);

    // The directory now holds exactly the record: the packages and shares are gone (folded
    // into ceremony.json and decryption.json), and so is the board's lock.
    let mut left: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut record: Vec<String> = nullivote::record::FILES
        .iter()
        .map(|(f, _)| f.to_string())
        .collect();
    record.sort();
    assert_eq!(left, record);
    // Publishing again finds the shares in decryption.json, and writes the same record.
    let result_json = fs::read(dir.join("result.json")).unwrap();
    let again = ok(&["publish", d]);
    assert!(again.contains("decrypted by trustees 1, 3"), "{again}");
    assert_eq!(fs::read(dir.join("result.json")).unwrap(), result_json);

    // Anyone verifies the record, anchored to the base hash published before voting.
    let header: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("record.json")).unwrap()).unwrap();
    let base_hash = header["base_hash"].as_str().unwrap().to_string();
    assert_eq!(header["board_head"].as_str(), Some(&head[..]));
    // record.json holds the board's signature of its final head, which verify checks (V4).
    assert_eq!(header["board_signature"], rewritten["board_signature"]);
    assert_eq!(header["board_entries"], rewritten["board_entries"]);
    assert!(
        published.contains(&format!("--expect {base_hash}")),
        "{published}"
    );
    let report = ok(&["verify", d, "--expect", &base_hash]);
    assert!(
        report.contains(&format!(
            "all 11 checks passed; the record is anchored to the expected base hash {base_hash}"
        )),
        "{report}"
    );
    assert!(!report.contains("NOT ANCHORED"), "{report}");
    let result = &report[report.find("verified result:").expect("a verified result")..];
    let votes: Vec<u64> = result
        .lines()
        .take_while(|l| !l.starts_with("per channel"))
        .flat_map(|l| l.split_whitespace().filter_map(|w| w.parse::<u64>().ok()))
        .collect();
    // chair: Ada 1, Grace 3; committee: Ada 1, Grace 1, Edsger 4.
    assert_eq!(votes, [1, 3, 1, 1, 4], "{report}");
    // cast, superseded, refused, counted.
    // Refused on online: member 1's online ballot, the challenge after the channel closed.
    assert_eq!(numbers_of(result, "online"), [4, 2, 2, 2], "{report}");
    assert_eq!(numbers_of(result, "postal"), [2, 0, 0, 2], "{report}");
    assert!(report.contains("decrypted by trustees 1, 3"), "{report}");

    // Every receipt handed out still holds against the published record.
    for receipt in [
        &receipt_0,
        &refusal_receipt,
        &challenge_receipt,
        &late_challenge,
    ] {
        check_receipt(&dir, receipt);
    }
    receipts_on_the_command_line(w, &dir, &receipt_0, &board_secret);
    // A record whose board signature is not the board's fails V4.
    let forged = w.join("forged");
    copy_dir(&dir, &forged);
    // Written in the record's one form (pretty JSON in field order, a final newline): the
    // signature, not the form, is what fails.
    let path = forged.join("record.json");
    let mut header: nullivote::record::RecordHeader =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    header.board_signature =
        serde_json::from_value(signature_of_receipt(&challenge_receipt).into()).unwrap();
    fs::write(&path, serde_json::to_string_pretty(&header).unwrap() + "\n").unwrap();
    let o = nullivote(&["verify", s(&forged)]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("board_signature") && stdout(&o).contains("verification FAILED: V4"),
        "{}",
        stdout(&o)
    );
    let o = nullivote(&["verify", s(&forged), "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let v4 = &v["report"]["checks"][3];
    assert_eq!(v4["id"], "V4", "{v4}");
    assert!(
        v4["failures"].as_array().unwrap().iter().any(|f| f["location"]
            == serde_json::json!({"kind": "file", "file": "record.json", "field": "board_signature"})),
        "{v4}"
    );

    anchors(&dir, &base_hash);
    let challenged = challenged
        .split("tracking code ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .expect("challenge prints the tracking code");
    let member_codes: Vec<&str> = codes_text.lines().collect();
    lookups(w, &dir, &codes, &member_codes, &base_hash, challenged);
    bad_inputs(w, &dir, &keys);
}

/// Issue 17, item 3: `nullivote check-receipt DIR RECEIPT.json` confirms a receipt the record
/// holds (exit 0); names a receipt altered by its holder, or not a receipt, as bad input (exit
/// 2, nothing claimed against the board); and prints the evidence for a receipt the board
/// signed for an entry the published record does not hold (exit 1).
fn receipts_on_the_command_line(w: &Path, dir: &Path, receipt: &Path, board_secret: &Path) {
    let d = s(dir);
    let o = nullivote(&["check-receipt", d, s(receipt)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("confirmed: board entry 0"),
        "{}",
        stdout(&o)
    );
    let o = nullivote(&["check-receipt", d, s(receipt), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["status"]["status"], "confirmed");
    assert_eq!(v["evidence"], false);

    // Altered by its holder: another position under the same signature.
    let altered = w.join("altered-receipt.json");
    let mut value: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(receipt).unwrap()).unwrap();
    value["position"] = 1.into();
    fs::write(&altered, value.to_string()).unwrap();
    let o = nullivote(&["check-receipt", d, s(&altered)]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("not a receipt of this board")
            && stderr(&o).contains("forged or altered"),
        "{}",
        stderr(&o)
    );
    let o = nullivote(&["check-receipt", d, s(&dir.join("manifest.json"))]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));

    // The board signs a receipt for an entry past the end of what it published: dropped.
    let record = nullivote::record::ElectionRecord::read(dir).unwrap();
    let election = record.election();
    let text = fs::read_to_string(board_secret).unwrap();
    let bytes: [u8; 32] = hex::decode(text.trim()).unwrap().try_into().unwrap();
    let secret = curve25519_dalek::Scalar::from_canonical_bytes(bytes).unwrap();
    let key =
        nullivote::AuthorityKey::from_secret(nullivote::hazmat::SecretScalar::new(secret)).unwrap();
    let dropped = nullivote::board::Receipt::sign(
        &key,
        &election,
        record.header.board_entries + 3,
        nullivote::board::EntryDigest([5; 32]),
        nullivote::ballot::TrackingCode([6; 32]),
    );
    let dropped_file = w.join("dropped-receipt.json");
    fs::write(&dropped_file, serde_json::to_string(&dropped).unwrap()).unwrap();
    let o = nullivote(&["check-receipt", d, s(&dropped_file)]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("EVIDENCE: the board DROPPED board entry")
            && stdout(&o).contains("board_signature"),
        "{}",
        stdout(&o)
    );
    let o = nullivote(&["check-receipt", d, s(&dropped_file), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["status"]["status"], "dropped");
    assert_eq!(v["evidence"], true);
}

/// The arguments of a cast of member `code` online that saves its receipt in `receipt`.
fn cast_args_with_receipt<'a>(
    d: &'a str,
    code: &'a str,
    board: &'a str,
    receipt: &'a str,
) -> Vec<&'a str> {
    vec![
        "cast",
        d,
        "--channel",
        "online",
        "--code-file",
        code,
        "--choice",
        "1,0;1,1,0",
        "--board-secret",
        board,
        "--receipt-out",
        receipt,
    ]
}

/// Hex of a digest.
fn hex_of(digest: &nullivote::board::EntryDigest) -> String {
    digest
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The signature of the receipt in `path` (a valid board signature, of another statement).
fn signature_of_receipt(path: &Path) -> String {
    let receipt: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    receipt["signature"].as_str().unwrap().to_string()
}

/// Runs `nullivote args…` in the working directory `cwd` (relative paths).
fn nullivote_in(cwd: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_nullivote"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs");
    assert!(
        !stderr(&output).contains("panicked"),
        "nullivote {args:?} panicked: {}",
        stderr(&output)
    );
    output
}

/// The public key of the secret key file `path`, as the manifest names it.
fn public_of(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    let bytes: Vec<u8> = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&text.trim()[i..i + 2], 16).unwrap())
        .collect();
    let scalar = nullivote::hazmat::decode_scalar(&bytes, "secret").unwrap();
    nullivote::AuthorityKey::from_secret(nullivote::hazmat::SecretScalar::new(scalar))
        .unwrap()
        .public()
        .to_string()
}

/// `manifest leadership` names the three offices' keys, each its own: drawn (the secrets saved
/// outside the record directory, with relative paths and a record directory that does not
/// exist yet) or given; a manifest sharing a key is refused with nothing written.
#[test]
fn manifest_leadership_gives_each_office_its_own_key() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    fs::create_dir(w.join("keys")).unwrap();
    let o = nullivote_in(
        w,
        &[
            "manifest",
            "leadership",
            "--out",
            "election",
            "--intake-secret-out",
            "keys/intake.key",
            "--board-secret-out",
            "keys/board.key",
            "--admin-secret-out",
            "keys/admin.key",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(w.join("election/manifest.json")).unwrap())
            .unwrap();
    let board = public_of(&w.join("keys/board.key"));
    let admin = public_of(&w.join("keys/admin.key"));
    let intake = public_of(&w.join("keys/intake.key"));
    assert_eq!(manifest["authorities"]["board"], board.as_str());
    assert_eq!(manifest["authorities"]["administrator"], admin.as_str());
    assert_eq!(manifest["channels"][1]["authority"], intake.as_str());
    let printed = stdout(&o);
    assert!(
        printed.contains(&format!("board key    {board}"))
            && printed.contains(&format!("admin key    {admin}")),
        "{printed}"
    );
    for office in ["postal intake", "board operator", "administrator"] {
        assert!(
            stderr(&o).contains(&format!("{office} secret key saved")),
            "{}",
            stderr(&o)
        );
    }
    #[cfg(unix)]
    for name in ["intake", "board", "admin"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(w.join(format!("keys/{name}.key")))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{name}'s secret is readable by others");
    }
    // Written once: a second manifest is refused.
    fails(
        &[
            "manifest",
            "leadership",
            "--out",
            s(&w.join("election")),
            "--intake-key",
            &intake,
            "--board-key",
            &board,
            "--admin-key",
            &admin,
        ],
        2,
        &["manifest.json", "already exists"],
    );

    // Keys given: each office its own, or the manifest is refused and nothing is written (not
    // the secret drawn for the third office either).
    let other = new_key(&w.join("keys/other.key"));
    ok(&[
        "manifest",
        "leadership",
        "--out",
        s(&w.join("given")),
        "--intake-key",
        &intake,
        "--board-key",
        &other,
        "--admin-key",
        &admin,
    ]);
    let shared = w.join("shared");
    for (board_key, admin_key) in [
        (&intake, None),
        (&other, Some(&intake)),
        (&other, Some(&other)),
    ] {
        let mut args = vec![
            "manifest",
            "leadership",
            "--out",
            s(&shared),
            "--intake-key",
            &intake,
            "--board-key",
            board_key,
        ];
        let admin_out = w.join("keys/admin-2.key");
        match admin_key {
            Some(key) => args.extend(["--admin-key", key]),
            None => args.extend(["--admin-secret-out", s(&admin_out)]),
        }
        fails(
            &args,
            2,
            &[
                "the manifest",
                "have the same key",
                "each office needs its own",
            ],
        );
        assert!(!shared.exists(), "{args:?}");
        assert!(!admin_out.exists(), "{args:?}");
    }
    // One secret file for two offices, a secret inside the record directory: refused, nothing
    // written.
    fails(
        &[
            "manifest",
            "leadership",
            "--out",
            s(&w.join("twice")),
            "--intake-key",
            &intake,
            "--board-secret-out",
            s(&w.join("keys/same.key")),
            "--admin-secret-out",
            s(&w.join("keys/same.key")),
        ],
        2,
        &["same.key", "two offices"],
    );
    assert!(!w.join("keys/same.key").exists() && !w.join("twice").exists());
    let record = w.join("inside");
    for flag in ["--board-secret-out", "--admin-secret-out"] {
        let inside = record.join("office.key");
        let mut args = vec![
            "manifest",
            "leadership",
            "--out",
            s(&record),
            "--intake-key",
            &intake,
        ];
        if flag == "--board-secret-out" {
            args.extend([flag, s(&inside), "--admin-key", &admin]);
        } else {
            args.extend(["--board-key", &other, flag, s(&inside)]);
        }
        fails(&args, 2, &[flag, "inside the record directory"]);
        assert!(!inside.exists());
    }
    // Every office is named: one left out is a usage error.
    let o = nullivote(&[
        "manifest",
        "leadership",
        "--out",
        s(&w.join("partial")),
        "--intake-key",
        &intake,
        "--board-key",
        &other,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--admin-key"), "{}", stderr(&o));
}

/// Issue 22, finding 4: `verify` without `--expect` says, on its first and last lines, that it
/// checked internal consistency only, with the base hash to compare; with a wrong `--expect`
/// it exits 1, saying so first and naming both values; `--json` says whether it was anchored.
fn anchors(dir: &Path, base_hash: &str) {
    let d = s(dir);
    let unanchored = ok(&["verify", d]);
    let lines: Vec<&str> = unanchored.trim_end().lines().collect();
    for line in [lines[0], lines[lines.len() - 1]] {
        assert!(
            line.starts_with("NOT ANCHORED: only the record's internal consistency")
                && line.contains(base_hash),
            "{unanchored}"
        );
    }
    assert!(
        unanchored.contains("all 11 checks passed (internal consistency only)"),
        "{unanchored}"
    );

    let mut wrong = base_hash.to_string();
    wrong.replace_range(..2, if &base_hash[..2] == "00" { "11" } else { "00" });
    let o = nullivote(&["verify", d, "--expect", &wrong]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    let first = out.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("BASE HASH MISMATCH")
            && first.contains(&wrong)
            && first.contains(base_hash),
        "{out}"
    );
    assert!(out.contains("verification FAILED: V3"), "{out}");
    assert!(out.trim_end().ends_with(first), "{out}");

    // Upper case is the same hash; a malformed one is a usage error (exit 2).
    ok(&["verify", d, "--expect", &base_hash.to_uppercase()]);
    fails(
        &["verify", d, "--expect", &base_hash[..62]],
        2,
        &["--expect", "32 bytes"],
    );
    fails(&["verify", d, "--expect", "xyz"], 2, &["--expect"]);

    let json = |args: &[&str]| -> serde_json::Value {
        let o = nullivote(args);
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)))
    };
    let v = json(&["verify", d, "--json", "--expect", base_hash]);
    assert_eq!(v["passed"], true);
    assert_eq!(v["anchored"], true);
    assert_eq!(v["expected_base_hash"], base_hash);
    assert_eq!(v["base_hash"], base_hash);
    assert_eq!(v["report"]["anchor"]["anchored"], true);
    let v = json(&["verify", d, "--json"]);
    assert_eq!(v["passed"], true);
    assert_eq!(v["anchored"], false);
    assert!(v["expected_base_hash"].is_null());
    assert_eq!(v["base_hash"], base_hash);
    let v = json(&["verify", d, "--json", "--expect", &wrong]);
    assert_eq!(v["passed"], false);
    assert_eq!(v["anchored"], false);
    assert_eq!(v["expected_base_hash"], wrong.as_str());
    // The failure is at a typed location (an object), under the check's number.
    let v3 = &v["report"]["checks"][2];
    assert_eq!(v3["id"], "V3", "{v3}");
    assert_eq!(
        v3["failures"][0]["location"],
        serde_json::json!({"kind": "expected_base_hash"}),
        "{v3}"
    );
    assert!(v3["failures"][0]["ballot_check"].is_null(), "{v3}");
}

/// Issue #22, finding 1 (the directory rules): `publish` refuses, naming each path, while the
/// record directory holds anything but the record's files and the known public working files
/// (`ceremony/round<N>-<i>.json`, `shares/share-<l>.json`, `board.lock`): the trustees'
/// `private/` directory, a secret, an unknown file, a symbolic link, a file in `ceremony/` or
/// `shares/` that is not a package or a share. Leaves `dir` without them.
fn publish_refuses_what_is_not_the_record(dir: &Path) {
    let d = s(dir);
    // The ceremony's private channel (`private/`) stands for messages between trustees; it is
    // never part of a record (and goes away with the encrypted shares of round 3).
    if dir.join("private").exists() {
        fails(&["publish", d], 2, &["private", "never part of a record"]);
        fs::remove_dir_all(dir.join("private")).unwrap();
    }
    let planted = [
        "trustee-2.secret",
        "notes.txt",
        ".board.jsonl.x1y2z3.tmp",
        "ceremony/round9-1.json",
        "ceremony/round2-01.json",
        "shares/share-1.json.bak",
    ];
    for name in planted {
        fs::write(dir.join(name), "x").unwrap();
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero")).unwrap();
    let err = fails(&["publish", d], 2, &planted);
    assert!(err.contains("a secret"), "{err}");
    assert!(err.contains("temporary file"), "{err}");
    #[cfg(unix)]
    {
        assert!(err.contains("zero (a symbolic link)"), "{err}");
        fs::remove_file(dir.join("zero")).unwrap();
    }
    for name in planted {
        fs::remove_file(dir.join(name)).unwrap();
    }
    // A record file that is a symbolic link is refused too.
    #[cfg(unix)]
    {
        fs::rename(dir.join("roll.json"), dir.join("roll.real")).unwrap();
        std::os::unix::fs::symlink("roll.real", dir.join("roll.json")).unwrap();
        fails(
            &["publish", d],
            2,
            &["roll.json (a symbolic link)", "roll.real"],
        );
        fs::remove_file(dir.join("roll.json")).unwrap();
        fs::rename(dir.join("roll.real"), dir.join("roll.json")).unwrap();
    }
    // A command that was killed left the board's lock: publish says so, and takes it only
    // once it is gone.
    fs::write(dir.join("board.lock"), "1\n").unwrap();
    fails(
        &["publish", d],
        2,
        &["board.lock", "another nullivote command"],
    );
    fs::remove_file(dir.join("board.lock")).unwrap();
}

/// Issue 17, item 3: the member's check, `nullivote lookup`, on the published record of the
/// whole election (entry 0 member 0 online, 1 member 0 postal, 2 member 1 postal, 3 member 2's
/// challenge, 4 member 2 online, 5 and 6 member 3 online). It verifies the record first (exit 1
/// if it does not), answers by credential code (from a file or standard input) or tracking code,
/// in text or JSON, and never prints the code; a mistyped code is refused by its check (exit 2).
fn lookups(
    w: &Path,
    dir: &Path,
    code_files: &[&str],
    codes: &[&str],
    base_hash: &str,
    challenged: &str,
) {
    let d = s(dir);
    // Every lookup: printable, and no credential code on either stream, in any form.
    let run = |args: &[&str], input: Option<&str>| -> Output {
        let o = nullivote_with_input(args, input);
        assert_printable(args, &o);
        let all = format!("{}{}", stdout(&o), stderr(&o)).to_uppercase();
        for code in codes {
            let code = code.to_uppercase();
            assert!(
                !all.contains(&code) && !all.contains(&code.replace('-', "")),
                "nullivote {args:?} printed a credential code"
            );
        }
        o
    };
    let answered = |args: &[&str], input: Option<&str>| -> String {
        let o = run(args, input);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        stdout(&o)
    };
    let entries = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.starts_with("entry "))
            .map(str::to_string)
            .collect()
    };

    // Member 0 voted online, then by post: both listed, the postal ballot counts.
    let out = answered(
        &[
            "lookup",
            d,
            "--code-file",
            code_files[0],
            "--expect",
            base_hash,
        ],
        None,
    );
    assert!(!out.contains("NOT ANCHORED"), "{out}");
    assert!(out.contains("anchored to the expected base hash"), "{out}");
    assert!(out.contains("is on the roll (roll entry 0)"), "{out}");
    let lines = entries(&out);
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("entry 0 ")
            && lines[0].contains(" online ")
            && lines[0].ends_with("superseded by entry 1 (postal takes precedence)"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("entry 1 ") && lines[1].ends_with("  counts"),
        "{out}"
    );
    assert!(out.contains("counts: entry 1 (postal)"), "{out}");

    // Member 3's code on standard input, without --expect: last wins, and NOT ANCHORED first
    // and last.
    let out = answered(&["lookup", d, "--code-file", "-"], Some(codes[3]));
    let all: Vec<&str> = out.trim_end().lines().collect();
    assert!(
        all[0].starts_with("NOT ANCHORED") && all[0].contains(base_hash),
        "{out}"
    );
    assert!(all[all.len() - 1].starts_with("NOT ANCHORED"), "{out}");
    let lines = entries(&out);
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("entry 6 ")
            && lines[0]
                .ends_with("superseded by entry 7 (a later online ballot replaces it: last wins)"),
        "{out}"
    );
    assert!(out.contains("counts: entry 7 (online)"), "{out}");

    // Member 2 challenged a ballot, then cast one: only the cast one is listed.
    let out = answered(&["lookup", d, "--code-file", code_files[2]], None);
    assert_eq!(entries(&out).len(), 1, "{out}");
    assert!(out.contains("counts: entry 5 (online)"), "{out}");

    // --json parses: member 1's postal ballot, and its online one refused: a refusal entry
    // (entry 3) of member 1's nullifier, with the reason the verifier checked.
    let json = |args: &[&str], input: Option<&str>| -> serde_json::Value {
        let out = answered(args, input);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    };
    let v = json(&["lookup", d, "--code-file", code_files[1], "--json"], None);
    assert_eq!(v["verified"], true);
    assert_eq!(v["anchored"], false);
    assert_eq!(v["base_hash"], base_hash);
    assert_eq!(v["member"]["roll_index"], 1);
    assert_eq!(v["member"]["counted"], 2);
    assert_eq!(v["member"]["ballots"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["member"]["ballots"][0]["channel_name"], "postal");
    assert_eq!(v["member"]["ballots"][0]["status"], "counts");
    assert_eq!(v["member"]["refusals"][0]["position"], 3);
    assert_eq!(
        v["member"]["refusals"][0]["reason"],
        serde_json::json!({"superseded": {"by": 2, "reason": "precedence"}})
    );
    let v = json(
        &[
            "lookup",
            d,
            "--code-file",
            "-",
            "--json",
            "--expect",
            base_hash,
        ],
        Some(codes[0]),
    );
    assert_eq!(v["anchored"], true);
    assert_eq!(
        v["member"]["ballots"][0]["status"],
        serde_json::json!({"superseded": {"by": 1, "reason": "precedence"}})
    );
    let online = v["member"]["ballots"][0]["tracking_code"]
        .as_str()
        .expect("a tracking code")
        .to_string();

    // By tracking code: member 0's online ballot gives member 0's ballots, without the code.
    let out = answered(&["lookup", d, "--tracking-code", &online], None);
    assert!(
        out.contains("a ballot cast at board entry 0 (online)"),
        "{out}"
    );
    assert!(out.contains("counts: entry 1 (postal)"), "{out}");
    assert_eq!(entries(&out).len(), 2, "{out}");
    let v = json(&["lookup", d, "--tracking-code", &online, "--json"], None);
    assert_eq!(v["found"]["cast"]["position"], 0);
    assert_eq!(v["found"]["cast"]["member"]["counted"], 1);
    assert_eq!(v["tracking_code"], online.as_str());
    // The challenged ballot, as the challenge printed its code (dashes and all).
    let out = answered(&["lookup", d, "--tracking-code", challenged], None);
    assert!(
        out.contains("a challenged ballot at board entry 4 (online)")
            && out.contains("never counts"),
        "{out}"
    );
    let v = json(
        &[
            "lookup",
            d,
            "--tracking-code",
            &challenged.to_uppercase(),
            "--json",
        ],
        None,
    );
    assert_eq!(v["found"]["challenged"]["position"], 4);
    // A code not on the board.
    let unknown = "ab".repeat(32);
    let out = answered(&["lookup", d, "--tracking-code", &unknown], None);
    assert!(out.contains("is not on the board"), "{out}");
    let v = json(&["lookup", d, "--tracking-code", &unknown, "--json"], None);
    assert_eq!(v["found"], "not_on_board");

    // A valid code that is not on this roll: said plainly.
    let stranger = w.join("stranger.txt");
    let stranger_code = nullivote::credential::CredentialCode::generate(&mut rand_core::OsRng);
    fs::write(&stranger, format!("{}\n", stranger_code.expose())).unwrap();
    let out = answered(&["lookup", d, "--code-file", s(&stranger)], None);
    assert!(out.contains("NOT on the roll"), "{out}");
    assert!(
        out.contains("nothing was cast under this credential"),
        "{out}"
    );
    assert!(!out.contains(stranger_code.expose()), "{out}");

    // A mistyped code (two neighbouring symbols swapped): the check's error, exit 2, before
    // the record is read; never echoed.
    let mut typo: Vec<char> = codes[0].chars().collect();
    let i = (0..typo.len() - 1)
        .find(|&i| typo[i] != typo[i + 1] && typo[i] != '-' && typo[i + 1] != '-')
        .expect("two different neighbours");
    typo.swap(i, i + 1);
    let typo: String = typo.into_iter().collect();
    let typo_file = w.join("typo.txt");
    fs::write(&typo_file, format!("{typo}\n")).unwrap();
    for (args, input) in [
        (vec!["lookup", d, "--code-file", s(&typo_file)], None),
        (
            vec!["lookup", d, "--code-file", "-", "--json"],
            Some(typo.as_str()),
        ),
    ] {
        let o = run(&args, input);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("--code-file") && err.contains("mistyped"),
            "{err}"
        );
        assert!(!err.contains(&typo) && !stdout(&o).contains(&typo), "{err}");
        assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    }
    let err = fails(
        &[
            "lookup",
            d,
            "--code-file",
            s(&typo_file),
            "--expect",
            base_hash,
        ],
        2,
        &["--code-file", "typo.txt", "does not pass its check"],
    );
    assert!(!err.contains(&typo), "{err}");
    fails(
        &["lookup", d, "--tracking-code", &unknown[..62]],
        2,
        &["--tracking-code", "32 bytes"],
    );
    fails(
        &["lookup", d, "--tracking-code", "xyz"],
        2,
        &["--tracking-code", "not a tracking code"],
    );
    // The code is never an argument.
    let o = run(&["lookup", d, "--code", codes[0]], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unexpected argument '--code'"),
        "{}",
        stderr(&o)
    );
    let help = ok(&["lookup", "--help"]);
    assert!(
        help.contains("--code-file <FILE>") && help.contains("process list"),
        "{help}"
    );

    // A record that does not verify gets no answer (exit 1): another base hash expected, or
    // a published decision changed.
    let mut wrong = base_hash.to_string();
    wrong.replace_range(..2, if &base_hash[..2] == "00" { "11" } else { "00" });
    let err = fails(
        &[
            "lookup",
            d,
            "--code-file",
            code_files[0],
            "--expect",
            &wrong,
        ],
        1,
        &[
            "BASE HASH MISMATCH",
            "does NOT verify",
            "V3",
            "proves nothing",
        ],
    );
    assert!(!err.contains("counts") && !err.contains(codes[0]), "{err}");
    let doctored = w.join("doctored-decision");
    copy_dir(dir, &doctored);
    let tally = fs::read_to_string(doctored.join("tally.json")).unwrap();
    assert!(tally.contains("\"precedence\""), "{tally}");
    fs::write(
        doctored.join("tally.json"),
        tally.replacen("\"precedence\"", "\"last_wins\"", 1),
    )
    .unwrap();
    let o = run(
        &["lookup", s(&doctored), "--code-file", code_files[0]],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(stderr(&o).contains("proves nothing"), "{}", stderr(&o));
    let o = run(
        &[
            "lookup",
            s(&doctored),
            "--code-file",
            code_files[0],
            "--json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["verified"], false);
    assert!(v.get("member").is_none(), "{v}");
}

/// Missing, malformed, foreign and other-version files: exit 2 (1 for `verify`), one line
/// naming the file.
fn bad_inputs(w: &Path, published: &Path, keys: &Keys<'_>) {
    // A missing directory, a missing manifest, a missing ceremony.
    fails(&["tally", s(&w.join("nowhere"))], 2, &["nowhere"]);
    let empty = w.join("empty");
    fs::create_dir_all(&empty).unwrap();
    fails(&["tally", s(&empty)], 2, &["manifest.json"]);
    fs::copy(published.join("manifest.json"), empty.join("manifest.json")).unwrap();
    fails(
        &[
            "cast",
            s(&empty),
            "--channel",
            "online",
            "--code-file",
            "-",
            "--choice",
            "1",
            "--board-secret",
            s(&w.join("board.key")),
        ],
        2,
        &["ceremony.json"],
    );
    fails(
        &["manifest", "check", s(&w.join("absent.json"))],
        2,
        &["absent.json"],
    );

    // Malformed JSON, and JSON that is no valid manifest.
    let bad = w.join("bad.json");
    fs::write(&bad, "{\"election_id\": ").unwrap();
    fails(
        &["manifest", "check", s(&bad)],
        2,
        &["bad.json", "malformed JSON"],
    );
    let mut invalid: serde_json::Value = serde_json::from_str(&manifest_json("x", keys)).unwrap();
    invalid["trustees"]["threshold"] = 4.into();
    fs::write(&bad, invalid.to_string()).unwrap();
    fails(&["manifest", "check", s(&bad)], 2, &["bad.json"]);
    let broken = w.join("broken");
    copy_dir(published, &broken);
    fs::write(broken.join("roll.json"), "[\"00").unwrap();
    fails(&["tally", s(&broken)], 2, &["roll.json"]);
    fs::write(broken.join("roll.json"), "[\"00\"]").unwrap();
    fails(&["tally", s(&broken)], 2, &["roll.json"]);

    // A record of another version.
    let future = w.join("future");
    copy_dir(published, &future);
    let header = fs::read_to_string(future.join("record.json")).unwrap();
    let mut header: serde_json::Value = serde_json::from_str(&header).unwrap();
    header["version"] = 1.into();
    fs::write(future.join("record.json"), header.to_string()).unwrap();
    fails(&["verify", s(&future)], 1, &["record.json", "version 1"]);
    fails(
        &["verify", s(&future), "--expect", &"ab".repeat(32)],
        1,
        &["record.json", "version 1"],
    );
    fails(&["publish", s(&future)], 2, &["record.json", "version 1"]);
    fails(&["tally", s(&future)], 2, &["record.json", "version 1"]);

    // Files of another election: the same ceremony under another manifest.
    let other = w.join("other");
    copy_dir(published, &other);
    fs::remove_file(other.join("record.json")).unwrap();
    fs::write(
        other.join("manifest.json"),
        manifest_json("club-committee-2027", keys),
    )
    .unwrap();
    fails(
        &["tally", s(&other)],
        2,
        &["ceremony.json", "another manifest"],
    );
    // A record header of another election.
    fs::copy(published.join("manifest.json"), other.join("manifest.json")).unwrap();
    let mut relabelled = header.clone();
    relabelled["version"] = 2.into();
    relabelled["election_id"] = "club-committee-2027".into();
    fs::write(other.join("record.json"), relabelled.to_string()).unwrap();
    fails(
        &["publish", s(&other)],
        2,
        &["record.json", "club-committee-2027"],
    );

    // A secret that is no trustee key.
    fails(
        &["decrypt", s(published), "--key", s(&w.join("codes.txt"))],
        2,
        &["codes.txt"],
    );
}

// --- issue #22: the attacker's review of version 1 -------------------------------------------

/// The seed of the simulated election whose record the tests below read.
const SEED: u64 = 17;

/// A published record of a small simulated election (the library's
/// `nullivote::simulation::leadership`: the leadership manifest, five trustees, a dozen
/// members voting every way the simulation knows, refusals included), built once.
fn simulated() -> &'static nullivote::record::ElectionRecord {
    static RECORD: std::sync::OnceLock<nullivote::record::ElectionRecord> =
        std::sync::OnceLock::new();
    RECORD.get_or_init(|| {
        let scenario = nullivote::simulation::Scenario {
            voters: 12,
            seed: SEED,
            absent: vec![2, 4],
            bad_share: None,
        };
        nullivote::simulation::leadership(&scenario, &nullivote::verifier::Silent)
            .expect("the simulated election runs")
            .record
    })
}

/// A copy of the simulated election's record in a fresh directory `work/name`.
fn record_copy(work: &Path, name: &str) -> std::path::PathBuf {
    let dir = work.join(name);
    simulated().write(&dir).expect("the record is written");
    dir
}

/// The simulated election's board operator's and administrator's secret key files, saved in
/// `work` (in the format of `nullivote authority new`).
fn office_secrets(work: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let offices = nullivote::simulation::Offices::from_seed(SEED);
    let save = |name: &str, key: &nullivote::AuthorityKey| {
        let path = work.join(name);
        fs::write(&path, key.to_text().as_bytes()).unwrap();
        path
    };
    (
        save("board.key", &offices.board),
        save("admin.key", &offices.administrator),
    )
}

/// Neither standard output nor standard error holds a character a terminal obeys (a control,
/// a format or bidirectional character, a line separator), but the newlines ending lines.
fn assert_printable(args: &[&str], o: &Output) {
    for (stream, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        let text = String::from_utf8(bytes.clone())
            .unwrap_or_else(|_| panic!("nullivote {args:?}: {stream} is not UTF-8"));
        for line in text.lines() {
            assert!(
                !line.chars().any(nullivote::record::text::is_hidden),
                "nullivote {args:?}: {stream} holds a raw control or format character: {line:?}"
            );
        }
    }
}

/// Rewrites the JSON file `path` with `change`.
fn edit_json(path: &Path, change: impl FnOnce(&mut serde_json::Value)) {
    let mut value: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    change(&mut value);
    fs::write(path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
}

/// Finding 3: names holding terminal escapes or bidirectional controls (which made a valid
/// record *show* another result than its JSON) are refused by the manifest, so such a record
/// fails V1 on reading; and whatever any command prints about it, or about any input that
/// fails to load (whose JSON error quotes it), is escaped: no raw control reaches the
/// terminal, and no fake "all 11 checks passed" line can be painted.
#[test]
fn names_and_messages_never_reach_the_terminal_raw() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    for (i, evil) in [
        "Ada\u{1b}[1A\u{1b}[2K",
        "\u{202e}Ada",
        "Ada\u{9b}2J",
        "Ada\rGrace",
    ]
    .into_iter()
    .enumerate()
    {
        let dir = record_copy(w, &format!("names-{i}"));
        let d = s(&dir);
        for file in ["manifest.json", "result.json"] {
            edit_json(&dir.join(file), |v| {
                if file == "manifest.json" {
                    v["contests"][0]["options"][0] = evil.into();
                } else {
                    v["contests"][0]["options"][0]["name"] = evil.into();
                }
            });
        }
        let o = nullivote(&["verify", d]);
        assert_eq!(o.status.code(), Some(1), "{evil:?}: {}", stderr(&o));
        assert_printable(&["verify", d], &o);
        let err = stderr(&o);
        assert!(err.contains("V1") && err.contains("manifest.json"), "{err}");
        assert!(
            err.contains("contest 0, option 0: control or format character U+"),
            "{err}"
        );
        assert!(!stdout(&o).contains("checks passed"), "{}", stdout(&o));
        let o = nullivote(&["verify", d, "--json"]);
        assert_eq!(o.status.code(), Some(1));
        assert_printable(&["verify", d, "--json"], &o);
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        assert_eq!(report["passed"], false);
        assert_eq!(report["error"]["check"], "V1");
        // Every command that reads the manifest refuses it, in one printable line.
        let args = ["manifest", "check", &format!("{d}/manifest.json")];
        let args: Vec<&str> = args.iter().map(|a| &**a).collect();
        fails(&args, 2, &["manifest.json", "control or format character"]);
        assert_printable(&args, &nullivote(&args));
        fails(
            &["tally", d],
            2,
            &["manifest.json", "control or format character"],
        );
    }

    // A record that fails to load quotes its input in the error: escaped, on one line, with no
    // line of its own claiming the checks passed.
    let dir = record_copy(w, "echo");
    let d = s(&dir);
    let fake = "\u{1b}[2J\u{1b}[H\nall 11 checks passed\u{9b}0m\u{2028}";
    edit_json(&dir.join("record.json"), |v| v[fake] = 1.into());
    for args in [
        vec!["verify", d],
        vec!["verify", d, "--json"],
        vec!["tally", d],
    ] {
        let o = nullivote(&args);
        assert_printable(&args, &o);
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(
            all.lines()
                .all(|l| !l.trim_start().starts_with("all 11 checks passed")),
            "{args:?}: {all}"
        );
        assert_eq!(all.trim_end().lines().count(), 1, "{args:?}: {all}");
    }
    let err = stderr(&nullivote(&["verify", d]));
    assert!(
        err.contains("\\u{1b}[2J\\u{1b}[H\\u{a}all 11 checks passed\\u{9b}0m\\u{2028}"),
        "{err}"
    );
    // In the JSON report, the same characters are JSON escapes: the same text, parsed.
    let o = nullivote(&["verify", d, "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert!(
        report["error"]["message"].as_str().unwrap().contains(fake),
        "{report}"
    );

    // A file name in the record directory is named escaped too.
    let dir = record_copy(w, "file-name");
    let d = s(&dir);
    fs::write(dir.join("x\u{1b}]0;pwned\u{7}"), "").unwrap();
    let o = nullivote(&["verify", d]);
    assert_eq!(o.status.code(), Some(1));
    assert_printable(&["verify", d], &o);
    assert!(
        stderr(&o).contains("x\\u{1b}]0;pwned\\u{7}"),
        "{}",
        stderr(&o)
    );
    // An argument quoted by a usage error, too.
    let args = ["tally", d, "--\u{1b}[2J"];
    let o = nullivote(&args);
    assert_eq!(o.status.code(), Some(2));
    assert_printable(&args, &o);
}

/// Finding 1 (the directory rule of `verify`): a record directory holding anything but its
/// eight files (the trustees' `private/` directory, a secret, a working file) fails V1 on
/// loading, naming every such entry, with the text and the JSON report alike.
#[test]
fn verify_refuses_a_record_directory_holding_other_files() {
    let work = tempfile::tempdir().unwrap();
    let dir = record_copy(work.path(), "record");
    let d = s(&dir);
    assert!(ok(&["verify", d]).contains("all 11 checks passed"));
    fs::create_dir(dir.join("private")).unwrap();
    fs::write(dir.join("trustee-1.secret"), "NVK").unwrap();
    fs::create_dir(dir.join("shares")).unwrap();
    let err = fails(
        &["verify", d],
        1,
        &[
            "V1",
            "\"private\"",
            "\"trustee-1.secret\"",
            "\"shares\"",
            "exactly its eight files",
        ],
    );
    assert!(err.contains("record"), "{err}");
    let o = nullivote(&["verify", d, "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(report["error"]["check"], "V1");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"trustee-1.secret\""),
        "{report}"
    );
}

/// Finding 8: a record file that is a symbolic link (to `/dev/zero` or to a regular file), a
/// FIFO or a device is refused before it is read, by `verify` and by every command that reads
/// the record directory; a file named on the command line may be a link, but to a regular
/// file only; standard input is read up to a bound.
#[cfg(unix)]
#[test]
fn record_files_that_are_links_fifos_or_devices_are_refused() {
    use std::os::unix::fs::symlink;
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    // /dev/zero as the board: refused at once (it grew verify to 2 GB in version 1).
    let dir = record_copy(w, "zero");
    let d = s(&dir);
    fs::remove_file(dir.join("board.jsonl")).unwrap();
    symlink("/dev/zero", dir.join("board.jsonl")).unwrap();
    fails(
        &["verify", d],
        1,
        &["V5", "board.jsonl", "is a symbolic link"],
    );
    fs::remove_file(dir.join("record.json")).unwrap();
    fails(&["tally", d], 2, &["board.jsonl", "is a symbolic link"]);
    // A link to a regular copy of the roll: refused in a record directory too.
    let dir = record_copy(w, "link");
    let d = s(&dir);
    fs::rename(dir.join("roll.json"), w.join("roll.json")).unwrap();
    symlink(w.join("roll.json"), dir.join("roll.json")).unwrap();
    fails(
        &["verify", d],
        1,
        &["V3", "roll.json", "is a symbolic link"],
    );
    fails(&["tally", d], 2, &["roll.json", "is a symbolic link"]);
    // A FIFO: refused without waiting for a writer.
    let dir = record_copy(w, "fifo");
    let d = s(&dir);
    fs::remove_file(dir.join("tally.json")).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(dir.join("tally.json"))
            .status()
            .unwrap()
            .success()
    );
    fails(&["verify", d], 1, &["V9", "tally.json", "is a FIFO"]);
    fs::remove_file(dir.join("record.json")).unwrap();
    fails(&["publish", d], 2, &["tally.json"]);
    // A subdirectory of working files that is a link (shares written or read elsewhere).
    let dir = record_copy(w, "shares-link");
    fs::remove_file(dir.join("record.json")).unwrap();
    fs::create_dir(w.join("elsewhere")).unwrap();
    symlink(w.join("elsewhere"), dir.join("shares")).unwrap();
    fails(&["tally", s(&dir)], 2, &["shares", "is a symbolic link"]);
    fs::remove_file(dir.join("shares")).unwrap();
    fs::write(dir.join("ceremony"), "").unwrap();
    fails(&["tally", s(&dir)], 2, &["ceremony", "is not a directory"]);
    // Files named on the command line: a link to a regular file is read, a device is not.
    let manifest = w.join("manifest-link.json");
    symlink(record_copy(w, "m").join("manifest.json"), &manifest).unwrap();
    ok(&["manifest", "check", s(&manifest)]);
    fails(
        &["manifest", "check", "/dev/zero"],
        2,
        &["/dev/zero", "a device, not a regular file"],
    );
    let record = record_copy(w, "named");
    let r = s(&record);
    let (board_key, _) = office_secrets(w);
    let bk = s(&board_key);
    fails(
        &["decrypt", r, "--key", "/dev/zero"],
        2,
        &["/dev/zero", "a device"],
    );
    fails(
        &[
            "cast",
            r,
            "--channel",
            "online",
            "--code-file",
            "/dev/zero",
            "--choice",
            "1,0",
            "--board-secret",
            bk,
        ],
        2,
        &["/dev/zero", "a device"],
    );
    // Standard input is bounded: more than a code file may hold is refused.
    let o = nullivote_with_input(
        &[
            "cast",
            r,
            "--channel",
            "online",
            "--code-file",
            "-",
            "--choice",
            "1,0",
            "--board-secret",
            bk,
        ],
        Some(&"A".repeat(10_000)),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("more than 4096 bytes"),
        "{}",
        stderr(&o)
    );
}

/// Finding 9: the credential code is never an argument (`--code` is gone); it comes from a
/// file or standard input, one code on one line, and an error never echoes it; the help says
/// that `--choice` is visible in the process list.
#[test]
fn the_credential_code_is_never_an_argument() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let record = record_copy(w, "record");
    let r = s(&record);
    let (board_key, _) = office_secrets(w);
    let bk = s(&board_key);
    let code = "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345";
    let board = fs::read(record.join("board.jsonl")).unwrap();
    for command in ["cast", "challenge"] {
        let args = [
            command,
            r,
            "--channel",
            "online",
            "--code",
            code,
            "--choice",
            "1,0",
            "--board-secret",
            bk,
        ];
        let o = nullivote(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("unexpected argument '--code'"),
            "{}",
            stderr(&o)
        );
        assert_eq!(fs::read(record.join("board.jsonl")).unwrap(), board);
    }
    // The registrar's whole codes file is not one member's code.
    let codes = w.join("codes.txt");
    fs::write(&codes, format!("{code}\n{code}\n")).unwrap();
    let err = fails(
        &[
            "cast",
            r,
            "--channel",
            "online",
            "--code-file",
            s(&codes),
            "--choice",
            "1,0",
            "--board-secret",
            bk,
        ],
        2,
        &["--code-file", "codes.txt", "2 lines"],
    );
    assert!(!err.contains("ABCD"), "the code is echoed: {err}");
    // A code file is read up to a bound: a big file is refused by its size, never read whole.
    let big = w.join("big.txt");
    fs::write(&big, "A".repeat(4097)).unwrap();
    fails(
        &[
            "cast",
            r,
            "--channel",
            "online",
            "--code-file",
            s(&big),
            "--choice",
            "1,0",
            "--board-secret",
            bk,
        ],
        2,
        &["big.txt", "4097 bytes", "4096"],
    );
    // So is a secret key file.
    fails(
        &[
            "cast",
            r,
            "--channel",
            "online",
            "--code-file",
            "-",
            "--choice",
            "1,0",
            "--board-secret",
            s(&big),
        ],
        2,
        &["--board-secret", "big.txt", "4097 bytes", "4096"],
    );
    let err = fails(
        &[
            "cast",
            r,
            "--channel",
            "online",
            "--code-file",
            "-",
            "--choice",
            "1,0",
            "--board-secret",
            bk,
        ],
        2,
        &["--code-file", "standard input"],
    );
    assert!(!err.contains("ABCD"), "{err}");
    for command in ["cast", "challenge"] {
        let help = ok(&[command, "--help"]);
        assert!(help.contains("--code-file <FILE>"), "{help}");
        assert!(!help.contains("--code <"), "{help}");
        assert!(help.contains("process list"), "{help}");
    }
}

/// Finding 7: a temporary file is created exclusively under a random name, so a link planted
/// at the name version 1 would have used (`.<name>.<pid>.tmp`, for every pid the command may
/// get) receives nothing; a secret is never written into a directory every user may write
/// into, nor into the record directory; a link planted at a secret's own name is not written
/// through.
#[cfg(target_os = "linux")]
#[test]
fn temporary_files_never_follow_planted_links() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let dir = record_copy(w, "election");
    for name in ["record.json", "roll.json", "board.jsonl", "tally.json"] {
        fs::remove_file(dir.join(name)).unwrap();
    }
    for name in ["decryption.json", "result.json"] {
        fs::remove_file(dir.join(name)).unwrap();
    }
    let d = s(&dir);
    // Links at the predictable names of the next pids, all to a file the attacker reads.
    let stolen = w.join("stolen.txt");
    fs::write(&stolen, "").unwrap();
    let keys = w.join("keys");
    fs::create_dir(&keys).unwrap();
    let last: u32 = fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .map(|t| t.trim().parse().unwrap_or(0))
        .unwrap_or(0);
    for pid in last..last + 500 {
        symlink(&stolen, keys.join(format!(".codes.txt.{pid}.tmp"))).unwrap();
        symlink(&stolen, dir.join(format!(".roll.json.{pid}.tmp"))).unwrap();
    }
    let codes = keys.join("codes.txt");
    ok(&[
        "credentials",
        "issue",
        d,
        "--count",
        "3",
        "--codes-out",
        s(&codes),
    ]);
    assert_eq!(
        fs::read(&stolen).unwrap(),
        b"",
        "a planted link received the codes"
    );
    assert_eq!(fs::read_to_string(&codes).unwrap().lines().count(), 3);
    let mode = fs::metadata(&codes).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "the codes are readable by others");
    assert!(
        fs::symlink_metadata(dir.join("roll.json"))
            .unwrap()
            .file_type()
            .is_file()
    );

    // A secret is not written into a directory every user may write into.
    let shared = w.join("shared");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
    let key = shared.join("intake.key");
    fails(
        &["authority", "new", "--secret-out", s(&key)],
        2,
        &["intake.key", "every user may write"],
    );
    assert!(!key.exists());
    // Nor into the record directory.
    fails(
        &[
            "trustee",
            "round1",
            d,
            "--index",
            "1",
            "--secret",
            &format!("{d}/t1.secret"),
        ],
        2,
        &["--secret", "inside the record directory"],
    );
    assert!(!dir.join("t1.secret").exists());
    // A link planted at a secret's own name is never written through, dangling or not.
    for (i, target) in [w.join("absent.key"), stolen.clone()]
        .into_iter()
        .enumerate()
    {
        let link = keys.join(format!("planted-{i}.key"));
        symlink(&target, &link).unwrap();
        fails(
            &["authority", "new", "--secret-out", s(&link)],
            2,
            &["already exists"],
        );
    }
    assert!(!w.join("absent.key").exists());
    assert_eq!(fs::read(&stolen).unwrap(), b"");
}

/// Finding 3, kept: every line the command line prints goes through `say!`/`warn!` (which
/// escape) or `print_json` (JSON escapes); a new `println!` of raw text fails here. The
/// allowed raw prints are the two macros' own, the JSON one and clap's help and version text.
#[test]
fn the_command_line_prints_only_through_the_escaping_macros() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin");
    let mut files = vec![root.join("nullivote.rs")];
    for item in fs::read_dir(root.join("nullivote")).unwrap() {
        files.push(item.unwrap().path());
    }
    let allowed = [
        "println!()",
        "eprintln!()",
        "println!(\"{}\", nullivote::record::text::escape(&format!($($arg)*)))",
        "eprintln!(\"{}\", nullivote::record::text::escape(&format!($($arg)*)))",
        "println!(\"{}\", escape_json(&value.to_string()));",
        "print!(\"{}\", e.render());",
    ];
    let mut raw = Vec::new();
    for file in &files {
        for (i, line) in fs::read_to_string(file).unwrap().lines().enumerate() {
            let code = line.trim();
            if code.starts_with("//") {
                continue;
            }
            let prints = [
                "print!(",
                "println!(",
                "eprint!(",
                "eprintln!(",
                "write!(std",
                "stdout()",
                "stderr().write",
            ]
            .iter()
            .any(|m| code.contains(m));
            if prints && !allowed.contains(&code) {
                raw.push(format!("{}:{}: {code}", file.display(), i + 1));
            }
        }
    }
    assert!(raw.is_empty(), "raw prints:\n{}", raw.join("\n"));
}

/// Finding 10 of the attacker's review: one trustee cannot stall the key ceremony for ever.
/// Past a round's deadline (`--deadline-passed`), a trustee missing from round 1 or 2 is
/// excluded and named, and the ceremony stops to restart without it (exit 1, before any share
/// is dealt); one silent in round 4 is taken to complain about no one, and the others finish.
#[test]
fn a_silent_trustee_cannot_stall_the_ceremony() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let intake_key = new_key(&w.join("intake.key"));
    let board_key = new_key(&w.join("board.key"));
    let admin_key = new_key(&w.join("admin.key"));
    let keys = Keys {
        intake: &intake_key,
        board: &board_key,
        admin: &admin_key,
    };
    let secrets: Vec<String> = (1..=3)
        .map(|i| s(&w.join(format!("trustee-{i}.secret"))).to_string())
        .collect();
    let setup = |name: &str| {
        let dir = w.join(name);
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("manifest.json"),
            manifest_json("club-committee-2026", &keys),
        )
        .unwrap();
        dir
    };

    // Round 1: trustee 3 never commits. Round 2 waits, then excludes it past the deadline.
    let early = setup("early");
    let e = s(&early);
    let early_secrets: Vec<String> = secrets.iter().map(|p| format!("{p}.early")).collect();
    for (i, secret) in early_secrets.iter().enumerate().take(2) {
        let index = (i + 1).to_string();
        ok(&[
            "trustee", "round1", e, "--index", &index, "--secret", secret,
        ]);
    }
    fails(
        &["trustee", "round2", e, "--secret", &early_secrets[0]],
        2,
        &["waiting for round 1", "round1-3.json", "--deadline-passed"],
    );
    fails(
        &[
            "trustee",
            "round2",
            e,
            "--secret",
            &early_secrets[0],
            "--deadline-passed",
        ],
        1,
        &["trustee 3", "excluded", "restarts without it"],
    );

    // Rounds 1-3 complete; trustee 3 never publishes its round-4 package.
    let dir = setup("late");
    let d = s(&dir);
    for (i, secret) in secrets.iter().enumerate() {
        let index = (i + 1).to_string();
        ok(&[
            "trustee", "round1", d, "--index", &index, "--secret", secret,
        ]);
    }
    for round in ["round2", "round3"] {
        for secret in &secrets {
            ok(&["trustee", round, d, "--secret", secret]);
        }
    }
    for secret in &secrets[..2] {
        ok(&["trustee", "round4", d, "--secret", secret]);
    }
    fails(
        &["trustee", "round5", d, "--secret", &secrets[0]],
        2,
        &["waiting for round 4", "round4-3.json"],
    );
    for secret in &secrets[..2] {
        ok(&[
            "trustee",
            "round5",
            d,
            "--secret",
            secret,
            "--deadline-passed",
        ]);
    }
    for secret in &secrets[..2] {
        ok(&[
            "trustee",
            "finish",
            d,
            "--secret",
            secret,
            "--deadline-passed",
        ]);
    }
    let ceremony: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("ceremony.json")).unwrap()).unwrap();
    assert_eq!(ceremony["transcript"]["round4"], serde_json::json!([]));
    assert_eq!(
        ceremony["public"]["qualified"],
        serde_json::json!([1, 2, 3])
    );
}
