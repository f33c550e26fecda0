//! The member's check: `nullivote lookup`. A member (with their credential code) or anyone
//! (with a tracking code) asks a published record what the board holds and which ballot counts
//! ([`nullivote::lookup`]).
//!
//! The record is read and **verified** first, every check, exactly as `nullivote verify` does
//! (with `--expect HEX` anchored to the published base hash, else said to be NOT ANCHORED on
//! the first and last lines): a record that does not verify gets no answer (exit 1), since a
//! lookup on it proves nothing. The credential code is read from `--code-file FILE` or
//! standard input (`-`) before anything else, so a mistyped code is refused at once by its
//! check symbols (exit 2); it is never an argument and never printed, and neither is the secret
//! derived from it.
//!
//! Exit status: `0` the lookup was answered, whatever the answer (nothing cast, not on the
//! roll, not on the board); `1` the record cannot be read or does not verify; `2` a usage
//! error or bad input (a mistyped code, a malformed tracking code or `--expect`).

use std::path::Path;

use crate::terminal::Bars;
use nullivote::ballot::TrackingCode;
use nullivote::board::Reason;
use nullivote::credential::CredentialSecret;
use nullivote::lookup::{CodeLookup, Lookup, MemberView, Status};
use nullivote::record::ElectionRecord;
use nullivote::verifier::{Options, Progress, Report};

use crate::files::{Fail, Outcome, read_named_json};
use crate::voting::read_code;

/// Why a record that does not verify gets no answer.
const PROVES_NOTHING: &str = "a lookup on a record that does not verify proves nothing";

/// What a lookup asks about.
pub enum Query<'a> {
    /// `--code-file FILE`: the member's credential code, from the file or standard input (`-`).
    Credential(&'a Path),
    /// `--tracking-code HEX`: a tracking code, as a receipt or `cast` shows it.
    TrackingCode(&'a str),
}

/// A query read and checked, before the record is.
enum Asked {
    Credential(nullivote::credential::CredentialCode),
    TrackingCode(TrackingCode),
}

/// `--tracking-code HEX`: 64 hex characters, either case, with or without the dashes a
/// receipt shows every eight.
fn parse_tracking_code(text: &str) -> Outcome<TrackingCode> {
    let compact: String = text
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .collect();
    let bytes = hex::decode(&compact).map_err(|e| {
        Fail::input(format!(
            "--tracking-code {text:?}: not a tracking code in hex: {e}"
        ))
    })?;
    let array: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
        Fail::input(format!(
            "--tracking-code {text:?}: a tracking code is 32 bytes (64 hex characters, dashes \
             allowed), not {}",
            b.len()
        ))
    })?;
    Ok(TrackingCode(array))
}

/// `nullivote lookup DIR (--code-file FILE | --tracking-code HEX) [--expect HEX] [--json]`.
pub fn lookup(dir: &Path, query: &Query<'_>, expect: Option<&str>, json: bool) -> Outcome {
    let expected_base_hash = expect
        .map(crate::parse_expected)
        .transpose()
        .map_err(Fail::input)?;
    // The query first: a mistyped code is refused before the record is read.
    let asked = match query {
        Query::Credential(file) => Asked::Credential(read_code(file)?),
        Query::TrackingCode(text) => Asked::TrackingCode(parse_tracking_code(text)?),
    };
    let options = Options { expected_base_hash };
    let bars = Bars::new();
    bars.start("reading", 1);
    let read = ElectionRecord::read(dir);
    bars.finish();
    let record = match read {
        Ok(record) => record,
        Err(e) => {
            if json {
                crate::print_json(&serde_json::json!({
                    "verified": false,
                    "anchored": false,
                    "expected_base_hash": expected_base_hash,
                    "error": { "check": e.check, "file": e.file, "line": e.line, "message": e.message },
                }));
            }
            return Err(Fail::refused(format!(
                "the record cannot be read: {e}: {PROVES_NOTHING}"
            )));
        }
    };
    let (lookup, report) = match Lookup::verify(&record, &options, &bars) {
        Ok(verified) => verified,
        Err(report) => return Err(not_verified(dir, &report, json)),
    };
    let warning = crate::anchor_warning(&report);
    let mut value = serde_json::json!({
        "verified": true,
        "anchored": report.anchor.anchored,
        "expected_base_hash": report.anchor.expected_base_hash,
        "base_hash": report.anchor.base_hash,
        "election_id": record.header.election_id,
    });
    if !json {
        if let Some(line) = &warning {
            say!("{line}");
            say!();
        }
        say!("election {}", record.header.election_id);
        say!(
            "base hash {}",
            hex::encode(record.header.base_hash.as_bytes())
        );
        if report.anchor.anchored {
            say!(
                "the record verifies (all {} checks passed) and is anchored to the expected \
                 base hash",
                report.checks.len()
            );
        } else {
            say!(
                "the record verifies (all {} checks passed; internal consistency only)",
                report.checks.len()
            );
        }
        say!();
    }
    match asked {
        Asked::Credential(code) => {
            let secret = CredentialSecret::derive(&code, record.manifest.election_id());
            drop(code);
            let view = lookup.lookup_credential(&secret);
            drop(secret);
            if json {
                value["member"] = to_json(&view)?;
            } else {
                print_credential(&view, &record.header.election_id);
            }
        }
        Asked::TrackingCode(code) => {
            let found = lookup.lookup_tracking_code(&code);
            if json {
                value["tracking_code"] = to_json(&code)?;
                value["found"] = to_json(&found)?;
            } else {
                print_tracking_code(&code, &found);
            }
        }
    }
    if json {
        crate::print_json(&value);
    } else if let Some(line) = &warning {
        say!();
        say!("{line}");
    }
    Ok(())
}

/// `nullivote check-receipt DIR RECEIPT.json [--json]`: the board's signed receipt checked
/// against the published record (`nullivote::board::check_receipt`). Exit `0`: the entry is on
/// the board as the receipt says; `1`: the receipt proves that the board dropped or changed the
/// entry (the evidence is printed), or the record cannot be read or proves nothing (its final
/// head is not signed by the board, its entries do not chain to it); `2`: the receipt is not
/// the board's (forged, altered, or of another election), or not a receipt.
pub fn check_receipt(dir: &Path, receipt_file: &Path, json: bool) -> Outcome {
    use nullivote::board::{EvidenceError, Receipt, ReceiptStatus};
    let receipt: Receipt = read_named_json(receipt_file, "receipt")?;
    let record = ElectionRecord::read(dir)
        .map_err(|e| Fail::refused(format!("the record cannot be read: {e}")))?;
    let election = record.election();
    let header = &record.header;
    let status = match nullivote::board::check_receipt(
        &election,
        &record.board,
        &header.board_head,
        &header.board_signature,
        &receipt,
    ) {
        Ok(status) => status,
        Err(EvidenceError::Receipt(e)) => {
            return Err(Fail::input(format!(
                "{}: not a receipt of this board: {e}",
                receipt_file.display()
            )));
        }
        Err(e) => {
            return Err(Fail::refused(format!(
                "{}: {e}; a receipt can be checked only against a board whose final head the \
                 board signed",
                dir.display()
            )));
        }
    };
    let board_key = election.manifest().authorities().board;
    if json {
        crate::print_json(&serde_json::json!({
            "receipt": receipt,
            "status": status,
            "evidence": status.is_evidence(),
            "board_key": board_key,
            "board_head": header.board_head,
            "board_entries": header.board_entries,
            "board_signature": header.board_signature,
        }));
    } else {
        say!(
            "receipt for board entry {} (tracking code {}), signed by the board (key {board_key}) \
             in election {}",
            receipt.position,
            receipt.tracking_code,
            header.election_id
        );
        match status {
            ReceiptStatus::Confirmed { position } => say!(
                "confirmed: board entry {position} of the published record is the entry the \
                 receipt signs (digest {})",
                hex::encode(receipt.entry.as_bytes())
            ),
            ReceiptStatus::Changed {
                position,
                receipt_entry,
                published_entry,
            } => {
                say!(
                    "EVIDENCE: the board CHANGED board entry {position}: the receipt signs digest \
                     {}, the published record holds digest {} there",
                    hex::encode(receipt_entry.as_bytes()),
                    hex::encode(published_entry.as_bytes())
                );
                say_evidence(header);
            }
            ReceiptStatus::WrongTrackingCode {
                position,
                receipt_code,
                entry_code,
            } => {
                say!(
                    "EVIDENCE: the board signed a receipt for board entry {position} with \
                     tracking code {receipt_code}, but that entry holds tracking code \
                     {entry_code}: the receipt names another submission's entry"
                );
                say_evidence(header);
            }
            ReceiptStatus::Dropped {
                position,
                published_entries,
            } => {
                say!(
                    "EVIDENCE: the board DROPPED board entry {position}: the published record \
                     ends after {published_entries} entries"
                );
                say_evidence(header);
            }
        }
    }
    if status.is_evidence() {
        Err(Fail::refused(format!(
            "the receipt {} proves that the board dropped or changed entry {}",
            receipt_file.display(),
            receipt.position
        )))
    } else {
        Ok(())
    }
}

/// The second half of the evidence: the head the board signed.
fn say_evidence(header: &nullivote::record::RecordHeader) {
    say!(
        "the board signed the final head {} of {} entries (record.json board_signature {}): \
         the receipt and that signature, both under the manifest's board key, are two \
         statements of the board that cannot both be true",
        hex::encode(header.board_head.as_bytes()),
        header.board_entries,
        hex::encode(nullivote::hazmat::Wire::encode(&header.board_signature))
    );
}

fn to_json<T: serde::Serialize>(value: &T) -> Outcome<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| Fail::refused(format!("cannot encode the answer: {e}")))
}

/// The failure of a lookup on a record that does not verify (its report printed as JSON with
/// `--json`).
fn not_verified(dir: &Path, report: &Report, json: bool) -> Fail {
    let failed: Vec<&str> = report.failed().map(|c| c.id.as_str()).collect();
    if json {
        crate::print_json(&serde_json::json!({
            "verified": false,
            "anchored": report.anchor.anchored,
            "expected_base_hash": report.anchor.expected_base_hash,
            "base_hash": report.anchor.base_hash,
            "failed": failed,
            "report": report,
        }));
    }
    let mismatch = if report.anchor.mismatch() {
        crate::anchor_warning(report)
            .map(|line| format!("{line}; "))
            .unwrap_or_default()
    } else {
        String::new()
    };
    Fail::refused(format!(
        "{mismatch}the record does NOT verify (failed: {}; `nullivote verify {}` shows why): {}",
        failed.join(", "),
        dir.display(),
        PROVES_NOTHING
    ))
}

fn print_credential(view: &MemberView, election_id: &str) {
    match view.roll_index {
        Some(i) => say!(
            "credential {} is on the roll (roll entry {i})",
            view.credential
                .map(|c| hex::encode(c.element().as_bytes()))
                .unwrap_or_default()
        ),
        None => say!(
            "this credential is NOT on the roll of election {election_id}: the code is not a \
             member's code in this election (a code of another election, or never issued), and \
             no ballot can be cast with it"
        ),
    }
    print_member(view);
    say!(
        "(not listed: challenged ballots, which name no member; look one up with \
         --tracking-code)"
    );
}

fn print_tracking_code(code: &TrackingCode, found: &CodeLookup) {
    match found {
        CodeLookup::Cast { position, member } => {
            let channel = member
                .ballots
                .iter()
                .find(|b| b.position == *position)
                .map_or("", |b| b.channel_name.as_str());
            say!("tracking code {code}: a ballot cast at board entry {position} ({channel})");
            say!(
                "cast under credential {} ({})",
                member
                    .credential
                    .map(|c| hex::encode(c.element().as_bytes()))
                    .unwrap_or_default(),
                member.roll_index.map_or_else(
                    || "not on the roll".to_string(),
                    |i| format!("roll entry {i}")
                )
            );
            print_member(member);
        }
        CodeLookup::Challenged {
            position,
            channel_name,
            ..
        } => say!(
            "tracking code {code}: a challenged ballot at board entry {position} \
             ({channel_name}): it was opened and published as spoiled, and never counts"
        ),
        CodeLookup::Refused { refusal, member } => {
            say!(
                "tracking code {code}: a submission refused at board entry {} ({}): {}",
                refusal.position,
                refusal.channel_name,
                refusal.reason
            );
            say!(
                "(the nullifier a refused submission names is not proven: the board refuses \
                 before checking proofs, so anyone can write a member's nullifier into it)"
            );
            if let Some(member) = member {
                print_member(member);
            }
        }
        CodeLookup::NotOnBoard => say!(
            "tracking code {code} is not on the board: no entry (cast, challenged or refused) \
             has this tracking code"
        ),
        _ => say!("tracking code {code}: an entry this nullivote cannot describe"),
    }
}

/// The nullifier, one line per ballot, what counts, and the refusals.
fn print_member(view: &MemberView) {
    say!(
        "nullifier {}",
        hex::encode(view.nullifier.element().as_bytes())
    );
    let channel_of = |position: u64| {
        view.ballots
            .iter()
            .find(|b| b.position == position)
            .map_or("", |b| b.channel_name.as_str())
    };
    for b in &view.ballots {
        let status = match b.status {
            Status::Counts => "counts".to_string(),
            Status::Superseded { by, reason } => {
                format!("superseded by entry {by} ({})", why(reason, channel_of(by)))
            }
        };
        say!(
            "entry {:<5} {:<8} tracking code {}  {status}",
            b.position,
            b.channel_name,
            b.tracking_code
        );
    }
    for r in &view.refusals {
        say!(
            "entry {:<5} {:<8} tracking code {}  refused: {}",
            r.position,
            r.channel_name,
            r.tracking_code,
            r.reason
        );
    }
    if !view.refusals.is_empty() {
        say!(
            "(a refusal names the nullifier of the refused bytes, which is not proven: anyone \
             can submit bytes with a member's nullifier; none of them counts)"
        );
    }
    match view.counted {
        Some(position) => say!("counts: entry {position} ({})", channel_of(position)),
        None => say!("nothing was cast under this credential"),
    }
}

/// Why a ballot is superseded by the one on `channel`.
fn why(reason: Reason, channel: &str) -> String {
    match reason {
        Reason::Precedence => format!("{channel} takes precedence"),
        Reason::LastWins => format!("a later {channel} ballot replaces it: last wins"),
        Reason::FirstWins => format!("the first {channel} ballot stands: first wins"),
        Reason::RejectSecond => format!("the first {channel} ballot stands: reject second"),
    }
}
