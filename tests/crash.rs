//! The crash test of the persistent board (`design/attacks.md`, "A board and a ceremony that
//! survive faults"): a writer process submits ballots to a [`DurableBoard`] and prints each
//! receipt once it has it; the test kills it with SIGKILL at random points, many times, reopens
//! the board after every kill and checks that
//!
//! * the chain verifies (the board opens, and [`verify_chain`] accepts it up to its head);
//! * every acknowledged ballot is on the board exactly once, at the position and with the entry
//!   digest of its receipt, the receipt is signed by the board's key (the manifest's), and a
//!   resubmission after a restart got the identical receipt, signature included (signatures are
//!   deterministic);
//! * the board is a prefix of what the writer submitted, in order: nothing unacknowledged
//!   appears twice or out of place.
//!
//! Between runs the test sometimes appends a torn record by hand (a prefix of the next entry's
//! record, as a power cut would leave it); the next open must cut it off.
//!
//! The writer is this test binary itself: [`writer_process`] is an ordinary test that does
//! nothing unless `NULLIVOTE_CRASH_WRITER_DIR` is set, and the test runs
//! `current_exe() --exact writer_process --nocapture --test-threads=1` with it set. The writer
//! resumes on the same directory after each kill and submits every ballot again from the first
//! (those already on the board get their original receipts); when it has submitted them all and
//! closed voting (as the administrator), it prints the board's signature of its final head,
//! which must verify, and the next round starts on a fresh board.
//!
//! `NULLIVOTE_CRASH_KILLS` sets the number of kills (5 by default; run with 120 for the long
//! run), `NULLIVOTE_CRASH_SEED` the seed of the kill points; `--nocapture` shows the summary.

use std::collections::{HashMap, HashSet};
use std::env;
use std::fs::OpenOptions;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use nullivote::Election;
use nullivote::ballot::{Ballot, TrackingCode};
use nullivote::board::{Close, Entry, Payload, Receipt, Signature, Statement, verify_chain};
use nullivote::hazmat::Wire;
use nullivote::record::ElectionRecord;
use nullivote::simulation::{Offices, Scenario, leadership};
use nullivote::verifier::Silent;
use nullivote::{
    board::{DurableBoard, LOG_FILE},
    hazmat::board::encode_record,
};

const WRITER_DIR: &str = "NULLIVOTE_CRASH_WRITER_DIR";
const RECORD_DIR: &str = "NULLIVOTE_CRASH_RECORD_DIR";
const KILLS: &str = "NULLIVOTE_CRASH_KILLS";
const SEED: &str = "NULLIVOTE_CRASH_SEED";

/// Members of the simulated election whose ballots the writer submits.
const VOTERS: usize = 48;
/// The simulation's seed: its offices (`Offices::from_seed`) give the board's and the
/// administrator's keys.
const SIMULATION_SEED: u64 = 17;

fn election_of(record: &ElectionRecord) -> Election {
    let public = &record.ceremony.public;
    Election::new(
        record.manifest.clone(),
        public.election_key(),
        public.ceremony_digest(),
        record.roll.clone(),
    )
}

/// The cast ballots of the simulated board, in board order: all accepted in this order.
fn ballots_of(record: &ElectionRecord) -> Vec<Ballot> {
    record
        .board
        .iter()
        .filter_map(|e| match &e.payload {
            Payload::Ballot(b) => Some((**b).clone()),
            _ => None,
        })
        .collect()
}

fn say(out: &mut impl Write, line: std::fmt::Arguments<'_>) {
    writeln!(out, "{line}").expect("stdout");
    out.flush().expect("stdout");
}

/// The writer: opens the board with the board's key, submits every ballot in order, printing
/// each receipt (its JSON) after it is returned (so after its entry is durable), then closes
/// voting as the administrator and prints the board's signature of its final head.
#[test]
fn writer_process() {
    let Some(board_dir) = env::var_os(WRITER_DIR) else {
        return;
    };
    let record_dir = env::var_os(RECORD_DIR).expect("the record directory");
    let record = ElectionRecord::read(Path::new(&record_dir)).expect("the record");
    let mut out = io::stdout().lock();
    // The harness has written "test writer_process ... " without a newline.
    say(&mut out, format_args!(""));
    let offices = Offices::from_seed(SIMULATION_SEED);
    let mut board = DurableBoard::open(&board_dir, election_of(&record), offices.board)
        .expect("the board opens");
    say(
        &mut out,
        format_args!(
            "open {} {}",
            board.board().entries().len(),
            board.recovery().torn_bytes
        ),
    );
    for ballot in ballots_of(&record) {
        let r = board.submit(ballot).expect("an honest ballot is accepted");
        let json = serde_json::to_string(&r).expect("a receipt serializes");
        say(&mut out, format_args!("ack {json}"));
    }
    if !board.board().voting_closed() {
        board
            .close_as(&offices.administrator, Close::Voting)
            .expect("voting closes");
    }
    let signature = board.final_signature().expect("voting is closed");
    say(
        &mut out,
        format_args!(
            "done {} {}",
            board.board().entries().len(),
            hex::encode(signature.encode())
        ),
    );
}

/// What one run of the writer printed, and how it ended.
struct Run {
    lines: Vec<String>,
    killed: bool,
}

fn spawn_and_kill(dir: &Path, record_dir: &Path, rng: &mut ChaCha20Rng) -> Run {
    let mut child = Command::new(env::current_exe().expect("the test binary"))
        .args([
            "--exact",
            "writer_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WRITER_DIR, dir)
        .env(RECORD_DIR, record_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the writer starts");
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    let out_reader = thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line.clone());
            lines.push(line);
        }
        lines
    });
    let err_reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    // One kill in five lands anywhere from the start (the open and its recovery included); the
    // others a random time after the board is open, while ballots are being written.
    let delay = if rng.next_u32() % 5 == 0 {
        Duration::from_micros(u64::from(rng.next_u32() % 60_000))
    } else {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) if line.starts_with("open ") => break,
                Ok(_) => {}
                Err(_) => break, // the writer ended (checked below) or hangs (killed below)
            }
        }
        Duration::from_micros(u64::from(rng.next_u32() % 30_000))
    };
    thread::sleep(delay);
    let _ = child.kill(); // SIGKILL on unix
    let status = child.wait().expect("the writer is reaped");
    let lines = out_reader.join().expect("stdout reader");
    let stderr = err_reader.join().expect("stderr reader");
    #[cfg(unix)]
    let killed = std::os::unix::process::ExitStatusExt::signal(&status) == Some(9);
    #[cfg(not(unix))]
    let killed = !status.success();
    assert!(
        killed || (status.success() && lines.iter().any(|l| l.starts_with("done "))),
        "the writer failed ({status}):\n{}\n{stderr}",
        lines.join("\n")
    );
    Run { lines, killed }
}

#[derive(Debug, Default)]
struct Stats {
    kills: usize,
    runs: usize,
    rounds_completed: usize,
    /// Distinct ballots acknowledged.
    acknowledged: usize,
    /// Receipts re-sent for resubmissions after a restart (each identical to the first,
    /// signature included).
    resent: usize,
    lost: usize,
    /// Kills that left an entry written but not yet acknowledged (its resubmission after the
    /// restart gets its receipt).
    unacknowledged_present: usize,
    /// Torn tails a kill left, cut off by the next open.
    torn_by_kill: usize,
    /// Torn tails appended by hand, cut off by the next open.
    torn_injected: usize,
    torn_injected_recovered: usize,
    /// Of those, cut by a writer killed before it could say so (this open found none).
    torn_injected_cut_unreported: usize,
}

/// Every check after a kill; returns how many acknowledged ballots are missing.
fn check(
    board: &DurableBoard,
    election: &Election,
    codes: &[TrackingCode],
    acks: &HashMap<TrackingCode, Receipt>,
) -> usize {
    let entries = board.board().entries();
    verify_chain(election, entries, Some(&board.board().head())).expect("the chain verifies");
    // The board is a prefix of the submissions, then possibly the close of voting.
    let mut seen = HashSet::new();
    for (i, entry) in entries.iter().enumerate() {
        match &entry.payload {
            Payload::Ballot(b) => {
                assert_eq!(Some(&b.tracking_code()), codes.get(i), "entry {i}");
                assert!(seen.insert(b.tracking_code()), "entry {i} is a duplicate");
            }
            Payload::CloseVoting { .. } => assert_eq!(i, codes.len(), "voting closed early"),
            other => panic!("unexpected entry {i}: {other:?}"),
        }
    }
    acks.iter()
        .filter(|(code, receipt)| {
            let present = entries.get(receipt.position as usize).is_some_and(|e| {
                matches!(&e.payload, Payload::Ballot(b) if b.tracking_code() == **code)
                    && e.digest() == receipt.entry
            });
            !present
        })
        .count()
}

/// Appends a prefix of the next entry's record to the log, as a power cut could leave it.
fn inject_torn_tail(dir: &Path, board: &DurableBoard, next: &Ballot, rng: &mut ChaCha20Rng) -> u64 {
    let entry = Entry {
        position: board.board().entries().len() as u64,
        previous: board.board().head(),
        payload: Payload::Ballot(Box::new(next.clone())),
    };
    let record = encode_record(&entry);
    let cut = 1 + (rng.next_u64() % (record.len() as u64 - 1)) as usize;
    let mut log = OpenOptions::new()
        .append(true)
        .open(dir.join(LOG_FILE))
        .expect("the log");
    log.write_all(&record[..cut]).expect("append");
    cut as u64
}

#[test]
fn acknowledged_ballots_survive_sigkill() {
    let kills: usize = env::var(KILLS).map_or(5, |k| k.parse().expect("a number of kills"));
    let seed: u64 = env::var(SEED).map_or(2024, |s| s.parse().expect("a seed"));
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let scenario = Scenario {
        voters: VOTERS,
        seed: SIMULATION_SEED,
        absent: vec![],
        bad_share: None,
    };
    let sim = leadership(&scenario, &Silent).expect("the simulation");
    let record_dir = tmp.path().join("record");
    sim.record
        .write(&record_dir)
        .expect("the record is written");
    let election = election_of(&sim.record);
    let ballots = ballots_of(&sim.record);
    let codes: Vec<TrackingCode> = ballots.iter().map(Ballot::tracking_code).collect();

    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut stats = Stats::default();
    let new_round = |n: usize| -> PathBuf { tmp.path().join(format!("board-{n}")) };
    let mut dir = new_round(0);
    let mut acks: HashMap<TrackingCode, Receipt> = HashMap::new();
    let mut injected: Option<u64> = None;
    while stats.kills < kills {
        let run = spawn_and_kill(&dir, &record_dir, &mut rng);
        stats.runs += 1;
        stats.kills += usize::from(run.killed);
        let mut opened = false;
        let mut done = false;
        let mut final_signature = None;
        for line in &run.lines {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["open", _, torn] => {
                    opened = true;
                    if let Some(cut) = injected.take() {
                        assert_eq!(torn.parse::<u64>().ok(), Some(cut), "the torn tail is cut");
                        stats.torn_injected_recovered += 1;
                    }
                }
                ["ack", json] => {
                    let receipt: Receipt = serde_json::from_str(json).expect("a receipt");
                    assert_eq!(
                        receipt.verify(&election),
                        Ok(()),
                        "the board's signed receipt"
                    );
                    match acks.insert(receipt.tracking_code, receipt) {
                        None => stats.acknowledged += 1,
                        Some(first) => {
                            assert_eq!(first, receipt, "a resubmission gets the same receipt");
                            stats.resent += 1;
                        }
                    }
                }
                ["done", entries, signature] => {
                    done = true;
                    final_signature = Some((
                        entries.parse::<u64>().expect("a number of entries"),
                        Signature::decode(&hex::decode(signature).expect("hex"))
                            .expect("a signature"),
                    ));
                }
                _ => {}
            }
        }

        let board = DurableBoard::open(
            &dir,
            election.clone(),
            Offices::from_seed(SIMULATION_SEED).board,
        )
        .unwrap_or_else(|e| panic!("run {}: the board does not reopen: {e}", stats.runs));
        let torn = board.recovery().torn_bytes;
        match injected.take() {
            // The writer died before it opened the board: this open cuts the injected tail.
            Some(cut) if !opened => {
                assert!(
                    torn == cut || torn == 0,
                    "run {}: cut {torn} of {cut}",
                    stats.runs
                );
                stats.torn_injected_recovered += 1;
                stats.torn_injected_cut_unreported += usize::from(torn == 0);
            }
            _ if torn > 0 => stats.torn_by_kill += 1,
            _ => {}
        }
        let lost = check(&board, &election, &codes, &acks);
        let on_board = board.board().entries().iter().filter(
            |e| matches!(&e.payload, Payload::Ballot(b) if !acks.contains_key(&b.tracking_code())),
        );
        stats.unacknowledged_present += usize::from(on_board.count() > 0);
        stats.lost += lost;
        assert_eq!(lost, 0, "run {}: acknowledged ballots lost", stats.runs);

        if done {
            assert_eq!(board.board().entries().len(), ballots.len() + 1);
            // The board's signature of the final head it served, under the manifest's key.
            let (entries, signature) = final_signature.expect("the final signature");
            assert_eq!(entries, board.board().entries().len() as u64);
            let statement = Statement::FinalHead {
                entries,
                head: board.board().head(),
            };
            assert_eq!(
                signature.verify(
                    &election,
                    &statement,
                    &election.manifest().authorities().board
                ),
                Ok(())
            );
            assert_eq!(board.final_signature(), Some(signature));
            assert_eq!(acks.len(), ballots.len());
            stats.rounds_completed += 1;
            dir = new_round(stats.rounds_completed);
            acks.clear();
        } else if let Some(next) = ballots.get(board.board().entries().len())
            && rng.next_u32() % 3 == 0
        {
            injected = Some(inject_torn_tail(&dir, &board, next, &mut rng));
            stats.torn_injected += 1;
        }
    }
    println!(
        "crash test: {} kills in {} runs, {} rounds completed, {} ballots acknowledged, {} \
         receipts re-sent identically, lost: {}, {} kills left an entry written but unacknowledged (during its fsync), torn tails recovered: {} left by kills, {} of {} \
         injected ({} cut by a writer killed before it reported); {:.1} s",
        stats.kills,
        stats.runs,
        stats.rounds_completed,
        stats.acknowledged,
        stats.resent,
        stats.lost,
        stats.unacknowledged_present,
        stats.torn_by_kill,
        stats.torn_injected_recovered,
        stats.torn_injected,
        stats.torn_injected_cut_unreported,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(stats.lost, 0);
}
