//! The independent verifier of an [`ElectionRecord`]: an ordered list of numbered checks, each
//! specified in `spec/protocol.md` §16, reporting every failure with its location.
//!
//! | check | what |
//! | --- | --- |
//! | V1 | the record header and manifest are well formed and agree |
//! | V2 | the key ceremony: round-1 digests, reveals, proofs of possession, complaints, joint key and verification shares recomputed |
//! | V3 | the base hash recomputed from manifest, joint key, ceremony digest and roll |
//! | V4 | the board chain: positions, links, head, the board's signature of its final head, the close of voting last |
//! | V5 | every cast ballot (B1–B9), batched on every core |
//! | V6 | every challenged (spoiled) ballot opens to its ciphertexts and tracking code |
//! | V7 | the board's admission rules: phases and the administrator's signed closes, ciphertext reuse, precedence refusals, duplicates, and every refusal entry's reason where the record lets it be recomputed |
//! | V8 | the decision list recomputed from the board |
//! | V9 | the tally recomputed: aggregates and per-channel counts |
//! | V10 | every decryption share's proof, and at least the threshold of them |
//! | V11 | the result: each announced value `v` satisfies `v·G = B − Σ λ_l·D_l` |
//!
//! A check that cannot run because an earlier one left nothing to check against says so.
//!
//! # Internal consistency, and the anchor
//!
//! The checks establish that the record is **consistent**: every ballot, proof, decision,
//! aggregate and share fits the manifest, key ceremony and roll the record itself holds. They
//! cannot tell whether that is the election the members voted in: anyone can make a consistent
//! record of a fabricated election under the real election id (another ceremony, roll or
//! board), and only its base hash differs. The **anchor** is the base hash the election
//! authority published before voting (on its website, in the notice to members): with
//! [`Options::expected_base_hash`] ([`verify_with`], [`verify_dir_with`]; the command line's
//! `--expect HEX`), V3 also requires the recomputed base hash to equal it, and the report's
//! [`Anchor`] says whether the record was anchored. Without it, a passing report proves internal
//! consistency only; [`Report::anchor`] holds the base hash to compare with the published one.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::ballot::{Ballot, BallotError, verify_batch};
use crate::board::{ChainProblem, ChainReplay, Entry, Payload, Refusal, cast_ballots};
use crate::election::{BaseHash, Election};
use crate::elgamal::Ciphertext;
use crate::record::{ElectionRecord, ElectionResult, LoadError};
use crate::tally::{Tally, push_ciphertexts};
use crate::trustee::{BoardHead, combine, verify_decryption};

/// How many failures a check keeps in full; the rest are counted.
pub const MAX_FAILURES_KEPT: usize = 100;

/// Board entries read, verified and replayed per block (one call of the batch verifier over
/// their cast ballots, one progress step).
pub const BALLOTS_PER_STEP: usize = 4096;

/// Receives progress of long stages; the command line draws bars with it.
pub trait Progress: Sync {
    /// A stage of `total` steps begins.
    fn start(&self, stage: &str, total: u64);
    /// `n` more steps are done.
    fn advance(&self, n: u64);
    /// The stage is done.
    fn finish(&self);
}

/// Reports no progress.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// One failure: where, and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Where in the record (`board entry 17`, `trustee 4`, `contest 0 option 1`, ...).
    pub location: String,
    /// What is wrong.
    pub message: String,
}

/// The outcome of one numbered check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// `V1` … `V11`.
    pub id: &'static str,
    /// What the check checks.
    pub title: &'static str,
    /// Whether it ran (an earlier failure can leave nothing to check against).
    pub ran: bool,
    /// Number of failures found.
    pub failure_count: usize,
    /// The first [`MAX_FAILURES_KEPT`] failures.
    pub failures: Vec<Failure>,
}

impl CheckReport {
    fn new(id: &'static str, title: &'static str) -> Self {
        Self {
            id,
            title,
            ran: true,
            failure_count: 0,
            failures: Vec::new(),
        }
    }

    fn fail(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.failure_count += 1;
        if self.failures.len() < MAX_FAILURES_KEPT {
            self.failures.push(Failure {
                location: location.into(),
                message: message.into(),
            });
        }
    }

    /// Whether the check ran and found nothing wrong.
    pub fn passed(&self) -> bool {
        self.ran && self.failure_count == 0
    }
}

/// What the record is checked against besides itself ([`verify_with`], [`verify_dir_with`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The base hash the election authority published before voting (`--expect HEX`): V3
    /// fails unless the base hash recomputed from the record equals it. `None` checks internal
    /// consistency only.
    pub expected_base_hash: Option<BaseHash>,
}

/// Whether the record was checked against a published base hash (see the
/// [module docs](self)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Anchor {
    /// The base hash recomputed from the record's manifest, key set and roll (V3): the value to
    /// compare with the one the election authority published.
    pub base_hash: BaseHash,
    /// The base hash the caller expected, if any ([`Options::expected_base_hash`]).
    pub expected_base_hash: Option<BaseHash>,
    /// Whether an expected base hash was given and equals `base_hash`.
    pub anchored: bool,
}

impl Anchor {
    /// An expected base hash was given and the record's differs (a V3 failure).
    pub fn mismatch(&self) -> bool {
        self.expected_base_hash.is_some() && !self.anchored
    }
}

/// The verifier's report: every check, and the verified result if all passed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Every check, in order.
    pub checks: Vec<CheckReport>,
    /// The base hash, and whether it was compared with a published one: a report that passed
    /// without an anchor proves the record's internal consistency only.
    pub anchor: Anchor,
    /// The announced result, as verified (present only if every check passed).
    pub result: Option<ElectionResult>,
    /// The number of board entries read (which V1 compares with the header's claim).
    pub board_entries: u64,
}

impl Report {
    /// Whether every check ran and passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(CheckReport::passed)
    }

    /// The checks that failed or did not run.
    pub fn failed(&self) -> impl Iterator<Item = &CheckReport> {
        self.checks.iter().filter(|c| !c.passed())
    }
}

/// The titles of the checks, in order.
pub const CHECKS: [(&str, &str); 11] = [
    ("V1", "record header and manifest well formed"),
    (
        "V2",
        "key ceremony: digests, reveals, proofs of possession, complaints, keys",
    ),
    ("V3", "base hash recomputed"),
    ("V4", "board chain: positions, links, head, final signature"),
    ("V5", "every cast ballot (B1-B9)"),
    ("V6", "every challenged ballot opens"),
    (
        "V7",
        "board admission rules: signed closes, reuse, precedence, refusals",
    ),
    ("V8", "decision list recomputed"),
    ("V9", "tally and per-channel counts recomputed"),
    ("V10", "decryption shares and their proofs"),
    ("V11", "result equals the decryption of the tally"),
];

/// Runs every check on `record`, whose board is in memory, without an anchor: the report
/// proves internal consistency only (see the [module docs](self); [`verify_with`]).
pub fn verify(record: &ElectionRecord, progress: &dyn Progress) -> Report {
    verify_with(record, &Options::default(), progress)
}

/// Runs every check on `record`, whose board is in memory, and checks it against `options`
/// (with [`Options::expected_base_hash`], the base hash the election authority published).
pub fn verify_with(record: &ElectionRecord, options: &Options, progress: &dyn Progress) -> Report {
    let blocks = record
        .board
        .chunks(BALLOTS_PER_STEP)
        .map(|block| Ok::<_, core::convert::Infallible>(Cow::Borrowed(block)));
    match verify_blocks(record, options, blocks, progress) {
        Ok(report) => report,
        Err(never) => match never {},
    }
}

/// Reads the record in `dir` and runs every check, reading the board a block of
/// [`BALLOTS_PER_STEP`] entries at a time: what is kept is the admission state and the admitted
/// ciphertexts (a few kilobytes per voter), not the board. Returns the record (with its board
/// left empty) and the report.
///
/// Without an anchor: the report proves internal consistency only ([`verify_dir_with`]).
///
/// # Errors
/// The first [`LoadError`]: a file that is missing or malformed (the board's lines are parsed
/// as verification reaches them).
pub fn verify_dir(
    dir: &Path,
    progress: &dyn Progress,
) -> Result<(ElectionRecord, Report), LoadError> {
    verify_dir_with(dir, &Options::default(), progress)
}

/// [`verify_dir`], checking the record against `options` as [`verify_with`] does.
///
/// # Errors
/// As [`verify_dir`].
pub fn verify_dir_with(
    dir: &Path,
    options: &Options,
    progress: &dyn Progress,
) -> Result<(ElectionRecord, Report), LoadError> {
    progress.start("reading", 1);
    let read = ElectionRecord::read_without_board(dir);
    progress.finish();
    let (record, mut board) = read?;
    let blocks = std::iter::from_fn(|| match board.next_block(BALLOTS_PER_STEP) {
        Ok(block) if block.is_empty() => None,
        Ok(block) => Some(Ok(Cow::Owned(block))),
        Err(e) => Some(Err(e)),
    });
    let report = verify_blocks(&record, options, blocks, progress)?;
    Ok((record, report))
}

/// The checks, with the board given in consecutive blocks (the record's own `board` is
/// ignored).
fn verify_blocks<'a, E>(
    record: &ElectionRecord,
    options: &Options,
    blocks: impl Iterator<Item = Result<Cow<'a, [Entry]>, E>>,
    progress: &dyn Progress,
) -> Result<Report, E> {
    let mut checks: Vec<CheckReport> = CHECKS
        .iter()
        .map(|(id, t)| CheckReport::new(id, t))
        .collect();
    let [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11] = &mut checks[..] else {
        unreachable!("CHECKS has eleven entries")
    };
    let manifest = &record.manifest;

    // V1 (the number of board entries is checked once the board is read)
    if record.header.election_id != manifest.election_id() {
        v1.fail("record.json", "election_id differs from the manifest's");
    }

    // V2
    let public = match record.ceremony.transcript.verify(manifest) {
        Ok(recomputed) if recomputed == record.ceremony.public => &record.ceremony.public,
        Ok(_) => {
            v2.fail(
                "ceremony.json",
                "the published key set is not the one the packages give",
            );
            &record.ceremony.public
        }
        Err(e) => {
            let who = e
                .culprits()
                .iter()
                .map(|t| t.get().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            v2.fail(format!("ceremony.json, trustee(s) {who}"), e.to_string());
            &record.ceremony.public
        }
    };

    // V3
    let election = Election::new(
        manifest.clone(),
        public.election_key(),
        public.ceremony_digest(),
        record.roll.clone(),
    );
    if *election.base_hash() != record.header.base_hash {
        v3.fail(
            "record.json",
            "base_hash is not the digest of manifest, joint key, ceremony and roll",
        );
    }
    let anchor = Anchor {
        base_hash: *election.base_hash(),
        expected_base_hash: options.expected_base_hash,
        anchored: options.expected_base_hash == Some(*election.base_hash()),
    };
    if let Some(expected) = options.expected_base_hash
        && !anchor.anchored
    {
        v3.fail(
            "expected base hash",
            format!(
                "the record's base hash {} is not the expected {}: this record is not the \
                 election whose base hash was published",
                hex::encode(election.base_hash().as_bytes()),
                hex::encode(expected.as_bytes())
            ),
        );
    }

    // V4–V7, a block at a time: every cast ballot's proofs (V5, batched on every core), then
    // the chain and the admission rules replayed in order. The ciphertexts of admitted ballots
    // are kept for the tally; the rest of each block is dropped.
    progress.start("board", record.header.board_entries);
    let (replay, ciphertexts, entries) = replay_blocks(&election, blocks, progress)?;
    progress.finish();
    if record.header.board_entries != entries {
        v1.fail(
            "record.json",
            "board_entries differs from the number of lines of board.jsonl",
        );
    }
    let state = match replay.finish(Some(&record.header.board_head)) {
        Ok(state) => Some(state),
        Err(errors) => {
            for e in errors {
                let location = format!("board entry {}", e.position);
                match e.problem {
                    ChainProblem::Refused(Refusal::Invalid(b)) => v5.fail(location, format!("{b}")),
                    ChainProblem::Refused(Refusal::Challenge(c)) => {
                        v6.fail(location, c.to_string())
                    }
                    ChainProblem::Refused(r) => v7.fail(location, r.to_string()),
                    other => v4.fail(location, other.to_string()),
                }
            }
            None
        }
    };

    // V4: the board answers for its final head: its signature, under the manifest's board key,
    // of the number of entries and the head record.json names.
    let final_head = crate::board::Statement::FinalHead {
        entries: record.header.board_entries,
        head: record.header.board_head,
    };
    if record
        .header
        .board_signature
        .verify(&election, &final_head, &manifest.authorities().board)
        .is_err()
    {
        v4.fail(
            "record.json board_signature",
            "is not the board's signature (the manifest's board key) of board_entries and \
             board_head in this election",
        );
    }

    // V4: a board is complete only once voting closed (the close is its last entry: nothing is
    // admitted after it). A board cut short, or never closed, is refused.
    if state.as_ref().is_some_and(|s| !s.voting_closed()) {
        v4.fail(
            format!("board entry {}", entries.saturating_sub(1)),
            "the board does not end with the close of voting: a record is of a closed vote \
             only (a prefix of a board, or a board still open, is not a record)",
        );
    }

    // V8, V9: recompute the tally from the board.
    let recomputed = state
        .as_ref()
        .and_then(|s| Tally::compute_from(&election, s.cast(), &ciphertexts).ok());
    drop(ciphertexts);
    let Some(mut tally) = recomputed else {
        for c in [&mut *v8, &mut *v9, &mut *v10, &mut *v11] {
            c.ran = false;
        }
        return Ok(Report {
            checks,
            anchor,
            result: None,
            board_entries: entries,
        });
    };
    if let Some(s) = &state {
        tally.count_refusals(s.refused());
    }
    compare_decisions(v8, &tally, &record.tally);
    compare_tally(v9, &tally, &record.tally);

    // V10, V11: the decryption of the recomputed aggregates, by shares that bind the head V4
    // found the chain to end at (record.json's).
    let aggregates = tally.flat_aggregates();
    let head = BoardHead::new(record.header.board_head, record.header.board_entries);
    let shares = &record.decryption.shares;
    // Every share must decrypt the tally of this board: a share of another head is a share of a
    // doctored board, or of this board before entries were dropped from it (§14.2).
    for share in shares {
        if share.head() != head {
            v10.fail(
                format!("decryption.json, trustee {}", share.trustee().get()),
                format!(
                    "the share binds board head {} ({} entries), not record.json's board_head {} \
                     ({} entries): it decrypts another board",
                    hex::encode(share.head().digest.as_bytes()),
                    share.head().entries,
                    hex::encode(head.digest.as_bytes()),
                    head.entries
                ),
            );
        }
    }
    if let Some(w) = shares.windows(2).find(|w| w[0].trustee() >= w[1].trustee()) {
        v10.fail(
            "decryption.json",
            format!(
                "the share of trustee {} is out of ascending order",
                w[1].trustee().get()
            ),
        );
    }
    match combine(
        public,
        &election,
        &head,
        &aggregates,
        shares,
        tally.bound(&election),
    ) {
        Ok(decryption) => {
            for culprit in decryption.skipped() {
                if matches!(culprit, crate::trustee::DecryptionError::ShareHead { .. }) {
                    continue; // reported above
                }
                let who = culprit
                    .culprits()
                    .iter()
                    .map(|t| t.get().to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                v10.fail(
                    format!("decryption.json, trustee {who}"),
                    culprit.to_string(),
                );
            }
            let claimed = record.result.values();
            if let Err(e) =
                verify_decryption(public, &election, &head, &aggregates, shares, &claimed)
            {
                v11.fail("result.json", e.to_string());
            }
            let expected = ElectionResult::new(
                manifest,
                decryption.values(),
                &tally.counts,
                decryption.used(),
            );
            if expected != record.result {
                v11.fail("result.json", "the announced result differs from the decryption of the tally, its counts or trustees");
            }
        }
        Err(e) => {
            v10.fail("decryption.json", e.to_string());
            v11.ran = false;
        }
    }
    let result = checks
        .iter()
        .all(CheckReport::passed)
        .then(|| record.result.clone());
    Ok(Report {
        checks,
        anchor,
        result,
        board_entries: entries,
    })
}

/// V4–V7 over the board's blocks, in two stages that overlap: this thread reads each block and
/// verifies its cast ballots (both on every core), while a second thread replays the block
/// before (the chain and the admission rules, in order, which cannot be split across cores),
/// keeps its admitted ciphertexts and drops the rest. Without the overlap, the cores would wait
/// for each block's ordered replay. At most two blocks are held at once.
///
/// Returns the replay, the admitted ballots' ciphertexts in board order and the number of entries.
fn replay_blocks<'a, 'e, E>(
    election: &'e Election,
    blocks: impl Iterator<Item = Result<Cow<'a, [Entry]>, E>>,
    progress: &dyn Progress,
) -> Result<(ChainReplay<'e>, Vec<Ciphertext>, u64), E> {
    std::thread::scope(|scope| {
        // Rendezvous: the reader hands a block over only once the replay has taken the last.
        let (verified, to_replay) = std::sync::mpsc::sync_channel::<(Cow<'a, [Entry]>, Invalid)>(0);
        let replaying = scope.spawn(move || {
            let mut replay = ChainReplay::new(election);
            let mut ciphertexts = Vec::new();
            let mut entries = 0u64;
            for (block, invalid) in to_replay {
                for i in replay.feed(&block, invalid) {
                    if let Payload::Ballot(b) = &block[i].payload {
                        // Admitted ballots passed B4: they have the manifest's shape.
                        push_ciphertexts(election, b, &mut ciphertexts);
                    }
                }
                entries += block.len() as u64;
                progress.advance(block.len() as u64);
            }
            (replay, ciphertexts, entries)
        });
        for block in blocks {
            // On an error, `verified` is dropped on return: the replay ends and is joined.
            let block = block?;
            let ballots: Vec<(usize, &Ballot)> = cast_ballots(&block).collect();
            let refs: Vec<&Ballot> = ballots.iter().map(|(_, b)| *b).collect();
            let mut invalid = HashMap::new();
            if let Err(bad) = verify_batch(&refs, election) {
                for (k, e) in bad {
                    invalid.insert(ballots[k].0, e);
                }
            }
            if verified.send((block, invalid)).is_err() {
                // The replay thread is gone: it panicked, which `join` passes on below.
                break;
            }
        }
        drop(verified);
        match replaying.join() {
            Ok(done) => Ok(done),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The cast ballots of a block that failed B1–B9, by position in the block.
type Invalid = HashMap<usize, BallotError>;

fn compare_decisions(check: &mut CheckReport, recomputed: &Tally, published: &Tally) {
    if recomputed.outcome.counted != published.outcome.counted {
        check.fail(
            "tally.json counted",
            "the counted ballots are not those precedence selects",
        );
    }
    let (a, b) = (&recomputed.outcome.decisions, &published.outcome.decisions);
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x != y {
            check.fail(
                format!("tally.json decision {i}"),
                format!("expected {x:?}, published {y:?}"),
            );
        }
    }
    if a.len() != b.len() {
        check.fail(
            "tally.json decisions",
            format!("expected {} decisions, published {}", a.len(), b.len()),
        );
    }
}

fn compare_tally(check: &mut CheckReport, recomputed: &Tally, published: &Tally) {
    if recomputed.aggregates.len() != published.aggregates.len() {
        check.fail("tally.json aggregates", "wrong number of contests");
    }
    for (i, (x, y)) in recomputed
        .aggregates
        .iter()
        .zip(&published.aggregates)
        .enumerate()
    {
        if x.len() != y.len() {
            check.fail(format!("tally.json contest {i}"), "wrong number of options");
        }
        for (j, (a, b)) in x.iter().zip(y).enumerate() {
            if a != b {
                check.fail(
                    format!("tally.json contest {i} option {j}"),
                    "the aggregate is not the sum of the counted ballots",
                );
            }
        }
    }
    if recomputed.counts.len() != published.counts.len() {
        check.fail("tally.json counts", "wrong number of channels");
    }
    for (c, (a, b)) in recomputed.counts.iter().zip(&published.counts).enumerate() {
        if a != b {
            check.fail(
                format!("tally.json channel {c}"),
                format!("expected {a:?}, published {b:?}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulation::{Scenario, leadership};

    /// The board fed in blocks of any size gives the report of the board in one block: state,
    /// positions, links and blame carry across blocks.
    #[test]
    fn the_report_does_not_depend_on_the_block_size() {
        let scenario = Scenario {
            voters: 40,
            seed: 11,
            absent: vec![],
            bad_share: None,
        };
        let honest = leadership(&scenario, &Silent).unwrap().record;
        let cast: Vec<usize> = cast_ballots(&honest.board).map(|(i, _)| i).collect();
        let ballot = |r: &ElectionRecord, i: usize| match &r.board[i].payload {
            Payload::Ballot(b) => (**b).clone(),
            _ => unreachable!("a cast ballot"),
        };
        let mut variants = vec![("honest", honest.clone())];
        // A ballot made invalid (another ballot's ciphertext in its first selection).
        let mut r = honest.clone();
        let (a, b) = (cast[2], cast[30]);
        let mut changed = ballot(&r, b);
        changed.contests[0].selections[0].ciphertext =
            ballot(&r, a).contests[0].selections[0].ciphertext;
        r.board[b].payload = Payload::Ballot(Box::new(changed));
        variants.push(("invalid ballot", r));
        // An early entry repeated much later (a duplicate across blocks, and a broken chain).
        let mut r = honest.clone();
        r.board[cast[25]] = r.board[cast[1]].clone();
        variants.push(("duplicate", r));
        // An entry that claims the position it would have in a block of its own.
        let mut r = honest.clone();
        r.board[cast[20]].position = 0;
        variants.push(("position", r));
        for (name, record) in &variants {
            let whole = verify(record, &Silent);
            assert_eq!(whole.passed(), *name == "honest", "{name}");
            assert_eq!(whole.board_entries, record.board.len() as u64);
            for k in [1, 3, 7] {
                let blocks = record
                    .board
                    .chunks(k)
                    .map(|b| Ok::<_, core::convert::Infallible>(Cow::Borrowed(b)));
                let Ok(report) = verify_blocks(record, &Options::default(), blocks, &Silent);
                assert_eq!(report, whole, "{name}, blocks of {k}");
            }
        }
    }
}
