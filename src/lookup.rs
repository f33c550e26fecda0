//! The member's check: what a verified record holds under one credential, or under one tracking
//! code, and which of those ballots counts (spec §17).
//!
//! A member who holds their credential code asks: *did my ballots reach the board, and which
//! of them counts?* Someone who holds a tracking code (from a receipt, or shown by a device)
//! asks the same of the ballot with that code. The answers come from the record alone, and only
//! from a record that verifies: [`Lookup::verify`] runs every check of [`crate::verifier`]
//! first and gives no [`Lookup`] for a record that fails one, since a lookup on a record that
//! does not verify proves nothing (its board need not be the one tallied, its decisions need
//! not be precedence's).
//!
//! # The algorithm
//!
//! **By credential** ([`Lookup::lookup_credential`]), for the credential secret
//! `x = CredentialSecret::derive(code, election_id)` (§6.2), derived on the member's device:
//!
//! 1. `X = x·G`; say whether `X` is on the roll, and at which index (§6.3). A code that passes
//!    its check symbols but whose `X` is not on the roll is not a member's code in this
//!    election (a code of another election, or one never issued): nothing can have been cast
//!    with it.
//! 2. `N = x·H_E`, the member's nullifier in this election (§7.2).
//! 3. The member's ballots: every cast entry (kind 0) of the board whose nullifier equals `N`
//!    on all 32 bytes, in board order, each with its position, its channel (index and name)
//!    and its tracking code (§7.5). Challenged ballots (kind 1) are never among them: a
//!    challenge carries no nullifier, credential or proof (§7.6), so nothing links it to a
//!    member; it is found by its tracking code only.
//! 4. The decision: [`precedence::decide`] (§12.2) over the member's ballots alone. Precedence
//!    decides each nullifier's group on its own, so this is exactly the part of the whole
//!    board's outcome about `N`, which V8 found equal to `tally.json`'s: one ballot counts,
//!    and every other one names the ballot that counts and the rule that set it aside
//!    ([`Reason`]: precedence of a higher-ranked channel, last-wins, first-wins,
//!    reject-second). No ballot means that nothing was cast under this credential.
//! 5. The member's refusals: every refusal entry (kind 4, §11.6) whose nullifier is `N`, with
//!    its position, channel, the refused ballot's tracking code and the reason the verifier
//!    checked (V7). A refusal entry's nullifier is what the refused bytes carried, never
//!    proven: the board applies its cheap rules before any proof, so anyone can write a
//!    member's public `N` into bytes the board refuses. A refusal under `N` is an attempt in
//!    the member's name, not a ballot of theirs; none of them counts.
//!
//! **By tracking code** `T` ([`Lookup::lookup_tracking_code`]): the admitted entry whose
//! tracking code is `T` (all 32 bytes; tracking codes are unique on a verified board, and
//! phase entries, whose receipts carry a zero code, are never matched):
//!
//! * a cast ballot: the answer by credential for the nullifier `N` and credential `X` the
//!   ballot carries, steps 1 and 3–5 (no code or secret is needed: `N` and `X` are public);
//! * a challenged ballot: it was opened and published as spoiled, and never counts;
//! * a refusal entry: the submission was refused, and why (with the member's answer for the
//!   refused ballot's nullifier, if it names one);
//! * no such entry: the code is not on the board.
//!
//! The lookup indexes the board once ([`Lookup::verify`]: by nullifier and by tracking code),
//! so each query costs a few hash lookups on a board of any size.
//!
//! # Secrets
//!
//! The credential code and the secret `x` are the member's: a lookup takes the secret by
//! reference, derives `X` and `N` from it (constant time in `x`) and keeps neither the code nor
//! `x`; nothing here prints or serialises them. Everything in the answers is public: `X` is on
//! the roll and in every ballot's eligibility proof, `N` in every ballot.

use rayon::prelude::*;
use serde::Serialize;

use crate::ballot::{Ballot, TrackingCode};
use crate::manifest::ChannelIndex;
use std::collections::HashMap;

use crate::board::{Payload, RefusalCode, RefusalEntry};
use crate::credential::{CredentialSecret, PublicCredential};
use crate::election::Election;
use crate::nullifier::Nullifier;
use crate::precedence::{self, CastBallot, Reason};
use crate::record::ElectionRecord;
use crate::verifier::{Options, Progress, Report, verify_with};

/// Lookups in one verified record: built only by [`Lookup::verify`], which runs every check
/// first.
pub struct Lookup<'r> {
    record: &'r ElectionRecord,
    election: Election,
    /// Entry indices of the cast ballots and refusal entries of each nullifier, in board order.
    by_nullifier: HashMap<[u8; 32], Vec<usize>>,
    /// The entry index of each tracking code (cast, challenged, refused; never a close's zero).
    by_code: HashMap<TrackingCode, usize>,
}

impl<'r> Lookup<'r> {
    /// Verifies `record` (whose board is in memory) with every check and `options`
    /// ([`verify_with`]), then rebuilds its election as the verifier does (the manifest, the
    /// ceremony's joint key and digest, the roll).
    ///
    /// # Errors
    /// The verifier's report if any check failed or did not run: a record that does not
    /// verify gets no lookup. With [`Options::expected_base_hash`], a record of another base
    /// hash fails V3 and gets none either.
    pub fn verify(
        record: &'r ElectionRecord,
        options: &Options,
        progress: &dyn Progress,
    ) -> Result<(Self, Report), Box<Report>> {
        let report = verify_with(record, options, progress);
        if !report.passed() {
            return Err(Box::new(report));
        }
        Ok((Self::index(record), report))
    }

    /// The lookups of a record this process built itself (the simulation's, whose members check
    /// what it published): indexed, not verified. A member's own check goes through
    /// [`Lookup::verify`].
    #[cfg(feature = "simulation")]
    pub(crate) fn trusting(record: &'r ElectionRecord) -> Self {
        Self::index(record)
    }

    /// Rebuilds the election as the verifier does and indexes the board.
    fn index(record: &'r ElectionRecord) -> Self {
        let election = record.election();
        let keys: Vec<(Option<[u8; 32]>, Option<TrackingCode>)> = record
            .board
            .par_iter()
            .map(|entry| match &entry.payload {
                Payload::Ballot(b) => (
                    Some(b.nullifier.element().to_bytes()),
                    Some(b.tracking_code()),
                ),
                Payload::Spoiled(s) => (None, Some(s.tracking_code)),
                Payload::Refused(r) => (
                    r.nullifier.map(|n| n.element().to_bytes()),
                    Some(r.tracking_code),
                ),
                _ => (None, None),
            })
            .collect();
        let mut by_nullifier: HashMap<[u8; 32], Vec<usize>> = HashMap::new();
        let mut by_code = HashMap::new();
        for (i, (nullifier, code)) in keys.into_iter().enumerate() {
            if let Some(n) = nullifier {
                by_nullifier.entry(n).or_default().push(i);
            }
            // The first entry of a code: an admitted ballot's code is unique on a verified
            // board; a refused resubmission of it would come later.
            if let Some(c) = code {
                by_code.entry(c).or_insert(i);
            }
        }
        Self {
            record,
            election,
            by_nullifier,
            by_code,
        }
    }

    /// The record looked up in (verified).
    pub fn record(&self) -> &'r ElectionRecord {
        self.record
    }

    /// The election, rebuilt from the record.
    pub fn election(&self) -> &Election {
        &self.election
    }

    /// What the board holds under the credential of `secret`, and which ballot counts (steps
    /// 1–5 of the [module docs](self)). Keeps nothing of `secret`.
    pub fn lookup_credential(&self, secret: &CredentialSecret) -> MemberView {
        let credential = secret.public();
        let nullifier = Nullifier::derive(secret, &self.election);
        self.member(credential, nullifier)
    }

    /// What the board holds under the tracking code `code`: a cast ballot with the answer for
    /// its nullifier, a challenged ballot, or nothing.
    pub fn lookup_tracking_code(&self, code: &TrackingCode) -> CodeLookup {
        let found = self.by_code.get(code).map(|&i| &self.record.board[i]);
        match found.map(|entry| (entry.position, &entry.payload)) {
            Some((position, Payload::Ballot(ballot))) => CodeLookup::Cast {
                position,
                member: Box::new(self.member(*ballot.eligibility.credential(), ballot.nullifier)),
            },
            Some((position, Payload::Spoiled(spoiled))) => CodeLookup::Challenged {
                position,
                channel: spoiled.channel,
                channel_name: self.channel_name(spoiled.channel),
            },
            Some((position, Payload::Refused(refused))) => CodeLookup::Refused {
                refusal: self.refusal(position, refused),
                member: refused
                    .nullifier
                    .map(|n| Box::new(self.member_of_nullifier(n))),
            },
            _ => CodeLookup::NotOnBoard,
        }
    }

    /// The answer for a nullifier alone (a refused ballot's, whose credential is unproven): the
    /// credential of its admitted ballots if it has any.
    fn member_of_nullifier(&self, nullifier: Nullifier) -> MemberView {
        let credential = self
            .entries_of(&nullifier)
            .find_map(|entry| match &entry.payload {
                Payload::Ballot(b) => Some(*b.eligibility.credential()),
                _ => None,
            });
        self.member_view(credential, nullifier)
    }

    fn entries_of(&self, nullifier: &Nullifier) -> impl Iterator<Item = &'r crate::board::Entry> {
        let record = self.record;
        self.by_nullifier
            .get(nullifier.element().as_bytes())
            .into_iter()
            .flatten()
            .map(move |&i| &record.board[i])
    }

    fn refusal(&self, position: u64, refused: &RefusalEntry) -> MemberRefusal {
        MemberRefusal {
            position,
            channel: refused.channel,
            channel_name: self.channel_name(refused.channel),
            tracking_code: refused.tracking_code,
            reason: refused.reason,
        }
    }

    /// The answer for the credential `credential` with nullifier `nullifier`.
    fn member(&self, credential: PublicCredential, nullifier: Nullifier) -> MemberView {
        self.member_view(Some(credential), nullifier)
    }

    fn member_view(
        &self,
        credential: Option<PublicCredential>,
        nullifier: Nullifier,
    ) -> MemberView {
        let mut mine: Vec<(u64, &Ballot)> = Vec::new();
        let mut refusals = Vec::new();
        for entry in self.entries_of(&nullifier) {
            match &entry.payload {
                Payload::Ballot(ballot) => mine.push((entry.position, &**ballot)),
                Payload::Refused(r) => refusals.push(self.refusal(entry.position, r)),
                _ => {}
            }
        }
        let cast: Vec<CastBallot> = mine
            .iter()
            .map(|(position, ballot)| CastBallot {
                position: *position,
                nullifier,
                channel: ballot.channel,
            })
            .collect();
        // Every admitted ballot names a channel of the manifest (V7, §11.4 rule 2), and the
        // record verified.
        let outcome = precedence::decide(self.election.manifest(), &cast)
            .expect("a verified board's ballots name the manifest's channels");
        let ballots = mine
            .iter()
            .map(|&(position, ballot)| {
                // `decide` gives every ballot but the one that counts exactly one decision.
                let status = match outcome.decisions.iter().find(|d| d.superseded == position) {
                    Some(d) => Status::Superseded {
                        by: d.by,
                        reason: d.reason,
                    },
                    None => Status::Counts,
                };
                MemberBallot {
                    position,
                    channel: ballot.channel,
                    channel_name: self.channel_name(ballot.channel),
                    tracking_code: ballot.tracking_code(),
                    status,
                }
            })
            .collect();
        MemberView {
            roll_index: credential.and_then(|c| self.election.roll().position(&c)),
            credential,
            nullifier,
            ballots,
            counted: outcome.counted.first().copied(),
            refusals,
        }
    }

    fn channel_name(&self, channel: ChannelIndex) -> String {
        self.election
            .manifest()
            .channel(channel)
            .map_or_else(|| format!("channel {channel}"), |c| c.name.clone())
    }
}

/// What a verified record holds under one credential (one nullifier): its ballots, which of
/// them counts and why the others do not. Published data only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MemberView {
    /// The public credential `X = x·G` (by tracking code: the one the ballot's eligibility
    /// proof names; `None` for a refused ballot's nullifier with no admitted ballot, whose
    /// credential the record does not show).
    pub credential: Option<PublicCredential>,
    /// `X`'s index on the roll; `None`: the credential is not on the roll, so it is not a
    /// member's in this election and nothing can be cast with it.
    pub roll_index: Option<u32>,
    /// The nullifier `N = x·H_E` every ballot of this credential carries.
    pub nullifier: Nullifier,
    /// Every admitted cast ballot with nullifier `N`, in board order. Challenged ballots are
    /// never listed: they carry no nullifier.
    pub ballots: Vec<MemberBallot>,
    /// The position of the ballot that counts; `None` if and only if `ballots` is empty:
    /// nothing was cast under this credential.
    pub counted: Option<u64>,
    /// Every refusal entry naming nullifier `N`, in board order (§11.6).
    pub refusals: Vec<MemberRefusal>,
}

/// One admitted cast ballot of a member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MemberBallot {
    /// Its board position.
    pub position: u64,
    /// Its channel's index in the manifest.
    pub channel: ChannelIndex,
    /// Its channel's name in the manifest.
    pub channel_name: String,
    /// Its tracking code (§7.5), as the member's receipt shows it.
    pub tracking_code: TrackingCode,
    /// Whether it counts.
    pub status: Status,
}

/// Whether a member's ballot counts (precedence, spec §12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// This ballot counts: it is the member's one ballot in the tally.
    Counts,
    /// This ballot does not count: the ballot at `by` does, by `reason`.
    Superseded {
        /// The position of the member's ballot that counts.
        by: u64,
        /// The rule: [`Reason::Precedence`] (the ballot at `by` is on a higher-ranked
        /// channel), or the in-channel rule of the channel both are on.
        reason: Reason,
    },
}

/// A refused ballot of a member, from a refusal entry of the board (§11.6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MemberRefusal {
    /// The refusal entry's board position.
    pub position: u64,
    /// The channel the refused ballot named.
    pub channel: ChannelIndex,
    /// That channel's name in the manifest.
    pub channel_name: String,
    /// The refused ballot's tracking code (a digest of all its bytes).
    pub tracking_code: TrackingCode,
    /// Why it was refused (checked by the verifier where the record lets it: V7).
    pub reason: RefusalCode,
}

/// What a verified record holds under one tracking code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CodeLookup {
    /// A cast ballot at `position`; `member` is the answer for its nullifier (this ballot is
    /// one of `member.ballots`).
    Cast {
        /// The ballot's board position.
        position: u64,
        /// Every ballot of its credential, and which counts.
        member: Box<MemberView>,
    },
    /// A challenged ballot: opened, published as spoiled, never counted.
    Challenged {
        /// Its board position.
        position: u64,
        /// The channel it was prepared for.
        channel: ChannelIndex,
        /// That channel's name.
        channel_name: String,
    },
    /// A refused submission: its refusal entry, and the answer for the nullifier it named (a
    /// refused challenge names none).
    Refused {
        /// The refusal entry.
        refusal: MemberRefusal,
        /// The answer for the refused ballot's nullifier.
        member: Option<Box<MemberView>>,
    },
    /// No entry on the board has this tracking code.
    NotOnBoard,
}

#[cfg(test)]
mod tests;
