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

fn manifest_json(election_id: &str, intake_key: &str) -> String {
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
        "trustees": {"count": 3, "threshold": 2}
    })
    .to_string()
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

    // The postal intake's key, and a custom manifest naming it: 3 trustees, any 2 decrypt.
    let intake = w.join("intake.key");
    let intake_key = ok(&["authority", "new", "--secret-out", s(&intake)])
        .trim()
        .to_string();
    assert_eq!(intake_key.len(), 64, "a public key in hex: {intake_key}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&intake).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the secret is readable by others");
    }
    let manifest = w.join("manifest.json");
    fs::write(&manifest, manifest_json("club-committee-2026", &intake_key)).unwrap();
    let checked = ok(&["manifest", "check", s(&manifest)]);
    assert!(checked.contains("club-committee-2026") && checked.contains("digest"));
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
    let codes: Vec<&str> = codes_text.lines().collect();
    assert_eq!(codes.len(), 4);

    let intake_arg = s(&intake).to_string();
    let cast = |code: &str, channel: &str, choice: &str| -> Output {
        let mut args = vec![
            "cast",
            d,
            "--channel",
            channel,
            "--code",
            code,
            "--choice",
            choice,
        ];
        if channel == "postal" {
            args.extend(["--authority-secret", &intake_arg]);
        }
        nullivote(&args)
    };
    let accepted = |o: Output| {
        assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
        assert!(stdout(&o).contains("tracking code"));
    };

    // Member 0 votes online, then by post: the postal ballot counts.
    accepted(cast(codes[0], "online", "1,0;1,1,0"));
    // The board operator keeps a copy of the board holding member 0's online ballot alone: a
    // doctored board, whose decryption would reveal that vote (issue 22, finding 2).
    let doctored = w.join("doctored");
    copy_dir(&dir, &doctored);
    accepted(cast(codes[0], "postal", "0,1;0,0,1"));
    // Member 1 votes by post, then tries online: refused, exit 1.
    accepted(cast(codes[1], "postal", "1,0;1,0,1"));
    let refused = cast(codes[1], "online", "0,1;0,1,0");
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("refused"), "{}", stderr(&refused));
    // Member 2 challenges a ballot, sees what it encrypts, then casts a fresh one.
    let challenged = ok(&[
        "challenge",
        d,
        "--channel",
        "online",
        "--code",
        codes[2],
        "--choice",
        "0,1;0,1,1",
    ]);
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
            "--code",
            "-",
            "--choice",
            "0,1;0,0,1",
        ],
        Some(&format!("{}\n", codes[3])),
    );
    accepted(revote);
    // Bad ballots are refused before anything reaches the board.
    fails(
        &[
            "cast",
            d,
            "--channel",
            "online",
            "--code",
            codes[3],
            "--choice",
            "1,1;1,0,0",
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
            "--code",
            codes[3],
            "--choice",
            "1,0;1,0,0",
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
            "--code",
            "ABCD",
            "--choice",
            "1,0;1,0,0",
        ],
        2,
        &["--code"],
    );

    // The tally waits for the close.
    fails(&["tally", d], 2, &["board.jsonl", "voting is still open"]);
    ok(&["close", d, "--channel", "online"]);
    fails(&["close", d, "--channel", "online"], 1, &["already closed"]);
    ok(&["close", d, "--channel", "postal"]);
    ok(&["close", d, "--voting"]);
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
    ok(&["close", s(&doctored), "--voting"]);
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
    fs::remove_file(dir.join("shares/share-2.json")).unwrap();

    // After the close nothing is submitted, nor logged.
    let late = cast(codes[2], "online", "1,0;1,0,0");
    assert_eq!(late.status.code(), Some(1), "{}", stderr(&late));

    // Anyone verifies the record, anchored to the base hash published before voting.
    let header: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("record.json")).unwrap()).unwrap();
    let base_hash = header["base_hash"].as_str().unwrap().to_string();
    assert_eq!(header["board_head"].as_str(), Some(&head[..]));
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
    assert_eq!(numbers_of(result, "online"), [4, 2, 1, 2], "{report}");
    assert_eq!(numbers_of(result, "postal"), [2, 0, 0, 2], "{report}");
    assert!(report.contains("decrypted by trustees [1, 3]"), "{report}");

    anchors(&dir, &base_hash);
    bad_inputs(w, &dir, &intake_key);
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
}

/// Missing, malformed, foreign and other-version files: exit 2 (1 for `verify`), one line
/// naming the file.
fn bad_inputs(w: &Path, published: &Path, intake_key: &str) {
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
            "--code",
            "x",
            "--choice",
            "1",
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
    let mut invalid: serde_json::Value =
        serde_json::from_str(&manifest_json("x", intake_key)).unwrap();
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
        manifest_json("club-committee-2027", intake_key),
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
