//! A simulated election of the 2022 kind, run in one process: for the example ceremonies, the
//! integration tests and the benchmarks. Reproducible from a seed; every party's randomness
//! comes from ChaCha20 seeded by `(seed, party)`.
//!
//! The members behave as in [`Behaviour`]; ballots arrive in waves (first ballots, then second
//! ones, then the overrides of members whose check found a ballot they did not cast) so that
//! "later" has its board meaning. The expected result (each member's last intention, counted on
//! the channel that takes precedence; an insider's ballot for an abstainer; nothing for a
//! ballot the board dropped) is computed from the plaintexts alongside, so a test can compare
//! it with what the trustees decrypt.
//!
//! Members check (issue #17): the wronged ones always (a stolen code, a thief after them, an
//! insider's ballot, a dropped ballot), a tenth of the others too. A member whose thief voted
//! after them looks up on the live board after the second wave and overrides by post; every
//! other check is on the published record: a lookup of the member's credential, compared with
//! the tracking codes of their own receipts, or their receipt checked against the record
//! ([`crate::board::SignedBoard::check`]). [`MemberChecks`] counts what they found.

use std::collections::BTreeMap;

use curve25519_dalek::Scalar;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use rayon::prelude::*;

use crate::authority::AuthorityKey;
use crate::ballot::{Ballot, SpoiledBallot, TrackingCode, prepare};
use crate::board::{Board, Close, Receipt, Refusal};
use crate::credential::{CredentialCode, CredentialSecret, Roll};
use crate::election::Election;
use crate::group::Element;
use crate::manifest::ChannelIndex;
use crate::manifest::{Authorities, Manifest};
use crate::record::{Ceremony, ElectionRecord, ElectionResult};
use crate::tally::Tally;
use crate::trustee::{
    BoardHead, CeremonyError, DecryptionError, TrusteeIndex, combine, run_ceremony,
};
use crate::verifier::Progress;

/// What a member does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Behaviour {
    /// Votes once online.
    Online,
    /// Votes once by post.
    Postal,
    /// Votes online, then changes their mind by post: the postal ballot counts.
    OnlineThenPostal,
    /// Votes by post, then tries online: the board refuses the online ballot.
    PostalThenOnline,
    /// Votes online twice: the second counts.
    OnlineRevote,
    /// Challenges a ballot (Benaloh), then casts a fresh one online.
    ChallengeThenOnline,
    /// Someone holding the member's online code votes online against their will; the member's
    /// postal ballot counts.
    StolenCode,
    /// Votes online; a thief holding the member's code votes online after them (online is last
    /// wins: the thief's ballot would count); the member looks up, sees a ballot they did not
    /// cast, and overrides it by post.
    ThiefAfterMember,
    /// Does not vote; an insider who printed the codes casts for them online. The member's
    /// lookup shows a ballot they did not cast (it counts: the member does not vote).
    InsiderCast,
    /// Votes online; the board drops the admitted ballot from what it publishes. The member's
    /// signed receipt proves it.
    DroppedByBoard,
    /// Does not vote.
    Abstains,
}

impl Behaviour {
    /// Draws a behaviour: 58 % online, 15 % postal, 5 % online then postal, 3 % postal then
    /// online, 5 % online revote, 2 % challenge, 1 % each stolen code, thief after the member,
    /// insider's ballot and dropped ballot, 8 % abstain.
    fn draw(rng: &mut ChaCha20Rng) -> Self {
        match rng.next_u32() % 100 {
            0..58 => Self::Online,
            58..73 => Self::Postal,
            73..78 => Self::OnlineThenPostal,
            78..81 => Self::PostalThenOnline,
            81..86 => Self::OnlineRevote,
            86..88 => Self::ChallengeThenOnline,
            88..89 => Self::StolenCode,
            89..90 => Self::ThiefAfterMember,
            90..91 => Self::InsiderCast,
            91..92 => Self::DroppedByBoard,
            _ => Self::Abstains,
        }
    }

    /// Whether someone wronged this member in a way their check finds: a ballot they did not
    /// cast under their credential, or a ballot of theirs the board dropped.
    pub fn wronged(self) -> bool {
        matches!(
            self,
            Self::StolenCode | Self::ThiefAfterMember | Self::InsiderCast | Self::DroppedByBoard
        )
    }
}

/// What the members' checks found (issue #17): each member counted once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemberChecks {
    /// Members who checked (every wronged member, a tenth of the others).
    pub checked: usize,
    /// Members whose check found something wrong.
    pub found_wrong: usize,
    /// Members who found a ballot under their credential that they did not cast.
    pub foreign_ballots: usize,
    /// Members whose receipt proves that the board dropped or changed their ballot.
    pub dropped_ballots: usize,
    /// Members who overrode a thief's later online ballot by post after their check.
    pub overridden: usize,
}

/// The simulation's parameters.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Members on the roll.
    pub voters: usize,
    /// The seed of every random choice.
    pub seed: u64,
    /// Trustees who do not take part in decryption.
    pub absent: Vec<u16>,
    /// A trustee whose decryption share is corrupted (it is named and skipped).
    pub bad_share: Option<u16>,
}

/// What the simulation produced.
pub struct Simulation {
    /// The complete election record.
    pub record: ElectionRecord,
    /// Per option, what the result must be, computed from the plaintexts.
    pub expected: Vec<u64>,
    /// How many members behaved in each way.
    pub behaviours: BTreeMap<Behaviour, usize>,
    /// Trustees whose shares were invalid and skipped.
    pub skipped: Vec<TrusteeIndex>,
    /// What the members' checks found.
    pub checks: MemberChecks,
}

/// Why the simulation could not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimulationError {
    /// The key ceremony failed.
    #[error(transparent)]
    Ceremony(#[from] CeremonyError),
    /// The decryption failed.
    #[error(transparent)]
    Decryption(#[from] DecryptionError),
    /// A ballot the simulation expected to be accepted was refused.
    #[error("an honest ballot was refused: {0}")]
    Refused(String),
    /// The tally could not be computed.
    #[error(transparent)]
    Tally(#[from] crate::tally::TallyError),
}

/// The secret keys of a simulated election's offices, each drawn from the seed: the postal
/// intake (channel authority of `"postal"`), the board operator and the administrator.
pub struct Offices {
    /// The postal intake's countersigning key.
    pub intake: AuthorityKey,
    /// The board operator's signing key.
    pub board: AuthorityKey,
    /// The administrator's signing key (closes).
    pub administrator: AuthorityKey,
}

impl Offices {
    /// The offices of the simulation of `seed`.
    pub fn from_seed(seed: u64) -> Self {
        let mut setup = rng_for(seed, u64::MAX - 1);
        Self {
            intake: AuthorityKey::generate(&mut setup),
            board: AuthorityKey::generate(&mut setup),
            administrator: AuthorityKey::generate(&mut setup),
        }
    }

    /// The intake's public key.
    pub fn intake_key(&self) -> Element {
        self.intake.public()
    }

    /// The board's and the administrator's public keys, for the manifest.
    pub fn authorities(&self) -> Authorities {
        Authorities {
            board: self.board.public(),
            administrator: self.administrator.public(),
        }
    }

    /// The leadership manifest of these offices ([`Manifest::leadership`]).
    ///
    /// # Panics
    /// Never: the three keys are independent draws, distinct but with negligible probability.
    pub fn leadership(&self) -> Manifest {
        Manifest::leadership(self.intake_key(), self.authorities())
            .expect("independent keys are distinct")
    }
}

fn rng_for(seed: u64, party: u64) -> ChaCha20Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&party.to_le_bytes());
    ChaCha20Rng::from_seed(key)
}

/// What one member (or someone with their code) submits.
enum Action {
    /// A ballot, and whether the member cast it (`false`: a thief or an insider did).
    Cast(Box<Ballot>, bool),
    Challenge(Box<SpoiledBallot>),
}

/// One member's plan: the expected vote, the waves, and whether they check.
struct Plan {
    behaviour: Behaviour,
    /// The option index that must count for this member (2: none).
    vote: u32,
    first: Vec<Action>,
    second: Vec<Action>,
    /// Cast if the member's check after the second wave finds a ballot they did not cast.
    override_ballot: Option<Box<Ballot>>,
    /// Admitted, receipted, then dropped by the board.
    dropped: Option<Box<Ballot>>,
    checks: bool,
}

const TRUSS: [u32; 2] = [1, 0];
const SUNAK: [u32; 2] = [0, 1];
const ONLINE: ChannelIndex = ChannelIndex::new(0);
const POSTAL: ChannelIndex = ChannelIndex::new(1);

/// Runs the leadership election of `scenario`.
///
/// # Errors
/// A [`SimulationError`]; an honest simulation has none.
pub fn leadership(
    scenario: &Scenario,
    progress: &dyn Progress,
) -> Result<Simulation, SimulationError> {
    let mut setup = rng_for(scenario.seed, u64::MAX);
    let offices = Offices::from_seed(scenario.seed);
    let intake = &offices.intake;
    let manifest = offices.leadership();

    // Key ceremony (5 trustees, threshold 3).
    progress.start("ceremony", 1);
    let (mut keys, public, transcript) = run_ceremony(manifest.trustees(), &manifest, &mut setup)?;
    progress.finish();

    // Credentials: the registrar issues a code per member and publishes the roll.
    progress.start("credentials", scenario.voters as u64);
    let secrets: Vec<CredentialSecret> = (0..scenario.voters)
        .into_par_iter()
        .map(|v| {
            let code = CredentialCode::generate(&mut rng_for(scenario.seed, v as u64));
            progress.advance(1);
            CredentialSecret::derive(&code, manifest.election_id())
        })
        .collect();
    let roll = Roll::new(secrets.par_iter().map(CredentialSecret::public).collect())
        .map_err(|e| SimulationError::Refused(e.to_string()))?;
    progress.finish();
    let election = Election::new(
        manifest.clone(),
        public.election_key(),
        public.ceremony_digest(),
        roll.clone(),
    );

    // Every member decides and their devices (or the postal intake) build the ballots.
    progress.start("casting", scenario.voters as u64);
    let plans: Vec<Plan> = secrets
        .par_iter()
        .enumerate()
        .map(|(v, secret)| {
            let mut rng = rng_for(scenario.seed, (1 << 40) + v as u64);
            let behaviour = Behaviour::draw(&mut rng);
            let truss = rng.next_u32() % 1000 < 574; // 57.4 % for Truss, as in 2022
            let checks = behaviour.wronged() || rng.next_u32() % 10 == 0;
            let (mine, other) = if truss {
                (TRUSS, SUNAK)
            } else {
                (SUNAK, TRUSS)
            };
            let mut ballot = |channel: ChannelIndex, vote: [u32; 2]| {
                let mut p = prepare(&election, channel, secret, &[vote.to_vec()], &mut rng)
                    .map_err(|e| SimulationError::Refused(e.to_string()))?;
                if channel == POSTAL {
                    p.countersign(&election, intake, &mut rng)
                        .map_err(|e| SimulationError::Refused(e.to_string()))?;
                }
                Ok::<_, SimulationError>(p)
            };
            let cast = |p: crate::ballot::PreparedBallot| Action::Cast(Box::new(p.cast()), true);
            let theirs = |p: crate::ballot::PreparedBallot| Action::Cast(Box::new(p.cast()), false);
            let (mut override_ballot, mut dropped) = (None, None);
            let (first, second) = match behaviour {
                Behaviour::Online => (vec![cast(ballot(ONLINE, mine)?)], vec![]),
                Behaviour::Postal => (vec![cast(ballot(POSTAL, mine)?)], vec![]),
                Behaviour::OnlineThenPostal => (
                    vec![cast(ballot(ONLINE, other)?)],
                    vec![cast(ballot(POSTAL, mine)?)],
                ),
                Behaviour::PostalThenOnline => (
                    vec![cast(ballot(POSTAL, mine)?)],
                    vec![cast(ballot(ONLINE, other)?)],
                ),
                Behaviour::OnlineRevote => (
                    vec![cast(ballot(ONLINE, other)?)],
                    vec![cast(ballot(ONLINE, mine)?)],
                ),
                Behaviour::ChallengeThenOnline => {
                    // The device checks the whole challenged ballot and submits its spoiled
                    // form only.
                    let challenged = ballot(ONLINE, mine)?.challenge();
                    challenged
                        .verify(&election)
                        .map_err(|e| SimulationError::Refused(e.to_string()))?;
                    let challenged = Action::Challenge(Box::new(challenged.spoiled()));
                    (vec![challenged, cast(ballot(ONLINE, mine)?)], vec![])
                }
                // The attacker votes against the member online; the member's postal vote follows.
                Behaviour::StolenCode => (
                    vec![theirs(ballot(ONLINE, other)?)],
                    vec![cast(ballot(POSTAL, mine)?)],
                ),
                // The member votes online, the thief after them; the member's check finds the
                // thief's ballot and the member overrides it by post.
                Behaviour::ThiefAfterMember => {
                    override_ballot = Some(Box::new(ballot(POSTAL, mine)?.cast()));
                    (
                        vec![cast(ballot(ONLINE, mine)?)],
                        vec![theirs(ballot(ONLINE, other)?)],
                    )
                }
                Behaviour::InsiderCast => (vec![theirs(ballot(ONLINE, other)?)], vec![]),
                Behaviour::DroppedByBoard => {
                    dropped = Some(Box::new(ballot(ONLINE, mine)?.cast()));
                    (vec![], vec![])
                }
                Behaviour::Abstains => (vec![], vec![]),
            };
            progress.advance(1);
            let vote = match behaviour {
                Behaviour::Abstains | Behaviour::DroppedByBoard => 2,
                Behaviour::InsiderCast => u32::from(truss),
                _ => u32::from(!truss),
            };
            Ok(Plan {
                behaviour,
                vote,
                first,
                second,
                override_ballot,
                dropped,
                checks,
            })
        })
        .collect::<Result<_, SimulationError>>()?;
    progress.finish();

    let mut expected = vec![0u64; 2];
    let mut behaviours = BTreeMap::new();
    for plan in &plans {
        *behaviours.entry(plan.behaviour).or_insert(0) += 1;
        if let Some(e) = expected.get_mut(plan.vote as usize) {
            *e += 1;
        }
    }

    // The board receives the first wave, then the second, in batches.
    let Offices {
        board: board_key,
        administrator,
        ..
    } = offices;
    let mut board = Board::new(election.clone(), board_key)
        .map_err(|e| SimulationError::Refused(e.to_string()))?;
    // What each member keeps of their receipts: position and tracking code (the full receipt
    // only where the simulation needs it, for the ballots the board drops).
    let mut own: Vec<Vec<(u64, TrackingCode)>> = (0..plans.len()).map(|_| Vec::new()).collect();
    let (mut wave1, mut wave2) = (Vec::new(), Vec::new());
    let mut overrides = Vec::new();
    let mut drops = Vec::new();
    let mut checkers = Vec::new();
    for (member, plan) in plans.into_iter().enumerate() {
        wave1.extend(plan.first.into_iter().map(|a| (member, a)));
        wave2.extend(plan.second.into_iter().map(|a| (member, a)));
        if let Some(b) = plan.override_ballot {
            overrides.push((member, b));
        }
        if let Some(b) = plan.dropped {
            drops.push((member, *b));
        }
        if plan.checks {
            checkers.push((member, plan.behaviour));
        }
    }
    let total = wave1.len() + wave2.len() + overrides.len() + drops.len();
    progress.start("board", total as u64);
    // Challenges come over their own connection (spec §8.2): the wave's challenges are
    // published after its cast ballots, in a shuffled order, so that a challenge's position
    // says nothing about whose cast ballot it preceded.
    let mut shuffle = rng_for(scenario.seed, 1 << 45);
    let mut checks = MemberChecks::default();
    for (w, wave) in [wave1, wave2].into_iter().enumerate() {
        let mut pending = Vec::new();
        let mut challenges = Vec::new();
        for (member, action) in wave {
            match action {
                Action::Cast(b, mine) => pending.push((member, mine, *b)),
                Action::Challenge(c) => challenges.push(c),
            }
            if pending.len() == 4096 {
                submit(&mut board, &mut pending, &mut own, None, progress)?;
            }
        }
        submit(&mut board, &mut pending, &mut own, None, progress)?;
        for i in (1..challenges.len()).rev() {
            let j = (shuffle.next_u64() % (i as u64 + 1)) as usize;
            challenges.swap(i, j);
        }
        for c in challenges {
            board
                .challenge(&c)
                .map_err(|e| SimulationError::Refused(e.to_string()))?;
            progress.advance(1);
        }
        if w == 1 {
            // After the second wave, the members whose thief voted after them look at the live
            // board: a ballot under their credential that none of their receipts names.
            let mut pending = Vec::new();
            for (member, ballot) in overrides.drain(..) {
                let nullifier = crate::nullifier::Nullifier::derive(&secrets[member], &election);
                let foreign = board
                    .state()
                    .ballots_of(&nullifier)
                    .iter()
                    .any(|p| !own[member].iter().any(|(q, _)| q == p));
                if foreign {
                    checks.overridden += 1;
                    pending.push((member, true, *ballot));
                }
            }
            submit(&mut board, &mut pending, &mut own, None, progress)?;
        }
    }
    // The board admits the ballots it will drop, gives their receipts, then publishes its
    // chain without them (the dropping attack: the entries cut from the end, the close after).
    let kept = board.entries().len();
    let mut batch: Vec<_> = drops.into_iter().map(|(m, b)| (m, true, b)).collect();
    let mut dropped_receipts = std::collections::HashMap::new();
    submit(
        &mut board,
        &mut batch,
        &mut own,
        Some(&mut dropped_receipts),
        progress,
    )?;
    board.truncate(kept);
    for close in [
        Close::Channel(ONLINE),
        Close::Channel(POSTAL),
        Close::Voting,
    ] {
        board
            .close_as(&administrator, close)
            .map_err(|e| SimulationError::Refused(e.to_string()))?;
    }
    let board_signature = board
        .final_signature()
        .ok_or_else(|| SimulationError::Refused("voting did not close".into()))?;
    progress.finish();

    // Tally and threshold decryption by the trustees present.
    progress.start("tally", 1);
    let tally = Tally::compute(&election, board.entries(), board.cast())?;
    let aggregates = tally.flat_aggregates();
    // The trustees decrypt the tally of the closed board, bound to its head.
    let head = BoardHead::new(board.head(), board.entries().len() as u64);
    let mut shares = Vec::new();
    for key in &mut keys {
        let index = key.trustee().get();
        if scenario.absent.contains(&index) {
            continue;
        }
        let mut share = key.decrypt_share(
            &election,
            &head,
            &aggregates,
            &mut rng_for(scenario.seed, 1 << 50 | u64::from(index)),
        )?;
        if scenario.bad_share == Some(index) {
            share = corrupt(share)?;
        }
        shares.push(share);
    }
    let decryption = combine(
        &public,
        &election,
        &head,
        &aggregates,
        &shares,
        tally.bound(&election),
    )?;
    let used: Vec<_> = shares
        .into_iter()
        .filter(|s| decryption.used().contains(&s.trustee()))
        .collect();
    progress.finish();

    let result = ElectionResult::new(
        &manifest,
        decryption.values(),
        &tally.counts,
        decryption.used(),
    );
    let ceremony = Ceremony { transcript, public };
    let record = ElectionRecord::assemble(
        &election,
        &board,
        board_signature,
        ceremony,
        tally,
        used,
        result,
    );

    // The members check the published record: their receipt (a member whose ballot the board
    // dropped), or a lookup of their credential against the tracking codes of their receipts.
    progress.start("checks", checkers.len() as u64);
    let lookup = crate::lookup::Lookup::trusting(&record);
    let header = &record.header;
    let published = crate::board::SignedBoard::new(
        &election,
        &record.board,
        &header.board_head,
        &header.board_signature,
    )
    .map_err(|e| SimulationError::Refused(e.to_string()))?;
    let found: Vec<(bool, bool)> = checkers
        .par_iter()
        .map(|&(member, _)| {
            let dropped = dropped_receipts.get(&member).is_some_and(|receipt| {
                published
                    .check(&election, receipt)
                    .is_ok_and(|status| status.is_evidence())
            });
            let view = lookup.lookup_credential(&secrets[member]);
            let foreign = view
                .ballots
                .iter()
                .any(|b| !own[member].iter().any(|(_, code)| *code == b.tracking_code));
            progress.advance(1);
            (foreign, dropped)
        })
        .collect();
    progress.finish();
    checks.checked = checkers.len();
    for (foreign, dropped) in found {
        checks.foreign_ballots += usize::from(foreign);
        checks.dropped_ballots += usize::from(dropped);
        checks.found_wrong += usize::from(foreign || dropped);
    }
    Ok(Simulation {
        record,
        expected,
        behaviours,
        skipped: decryption.skipped_culprits(),
        checks,
    })
}

/// Submits the pending ballots as one batch, keeping each member's receipts of their own
/// submissions. Honest ballots are accepted except those the precedence rules refuse on arrival
/// (an online ballot after the member's postal one), whose refusal receipts are kept too.
fn submit(
    board: &mut Board,
    pending: &mut Vec<(usize, bool, Ballot)>,
    own: &mut [Vec<(u64, TrackingCode)>],
    mut full: Option<&mut std::collections::HashMap<usize, Receipt>>,
    progress: &dyn Progress,
) -> Result<(), SimulationError> {
    let n = pending.len() as u64;
    let (owners, ballots): (Vec<(usize, bool)>, Vec<Ballot>) = std::mem::take(pending)
        .into_iter()
        .map(|(m, mine, b)| ((m, mine), b))
        .unzip();
    for ((member, mine), result) in owners.into_iter().zip(board.submit_batch(ballots)) {
        let receipt = match result {
            Ok(receipt) => receipt,
            Err(refused) if matches!(refused.refusal, Refusal::Superseded { .. }) => refused
                .receipt
                .ok_or_else(|| SimulationError::Refused(refused.refusal.to_string()))?,
            Err(other) => return Err(SimulationError::Refused(other.to_string())),
        };
        if mine {
            own[member].push((receipt.position, receipt.tracking_code));
            if let Some(full) = full.as_deref_mut() {
                full.insert(member, receipt);
            }
        }
    }
    progress.advance(n);
    Ok(())
}

/// A trustee that publishes a share for another plaintext: its `D` shifted by `G`, with the
/// proof it made for the true one.
fn corrupt(
    share: crate::trustee::DecryptionShare,
) -> Result<crate::trustee::DecryptionShare, SimulationError> {
    let mut json =
        serde_json::to_value(&share).map_err(|e| SimulationError::Refused(e.to_string()))?;
    if let Some(part) = json["parts"].get_mut(0).filter(|p| !p.is_null()) {
        let d: Element = serde_json::from_value(part["d"].clone())
            .map_err(|e| SimulationError::Refused(e.to_string()))?;
        let shifted = Element::from_point_unchecked(
            d.point() + curve25519_dalek::RistrettoPoint::mul_base(&Scalar::ONE),
        );
        part["d"] =
            serde_json::to_value(shifted).map_err(|e| SimulationError::Refused(e.to_string()))?;
    }
    serde_json::from_value(json).map_err(|e| SimulationError::Refused(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verifier::{Silent, verify};

    /// Issue #17, item 4: the members' checks find exactly what the simulation injected: every
    /// member whose code was used by someone else (a thief before or after them, an insider)
    /// finds a ballot they did not cast, every member whose ballot the board dropped holds a
    /// receipt that proves it, every member whose thief voted after them overrides by post, and
    /// no other member who checks finds anything. The record verifies and its result is the
    /// members' intentions.
    #[test]
    fn the_members_checks_find_what_was_injected() {
        let sim = leadership(
            &Scenario {
                voters: 700,
                seed: 3,
                absent: vec![],
                bad_share: None,
            },
            &Silent,
        )
        .unwrap();
        let n = |b: Behaviour| sim.behaviours.get(&b).copied().unwrap_or(0);
        let (stolen, thief, insider, dropped) = (
            n(Behaviour::StolenCode),
            n(Behaviour::ThiefAfterMember),
            n(Behaviour::InsiderCast),
            n(Behaviour::DroppedByBoard),
        );
        assert!(
            stolen > 0 && thief > 0 && insider > 0 && dropped > 0,
            "{:?}",
            sim.behaviours
        );
        let c = sim.checks;
        assert_eq!(c.foreign_ballots, stolen + thief + insider);
        assert_eq!(c.dropped_ballots, dropped);
        assert_eq!(c.found_wrong, stolen + thief + insider + dropped);
        assert_eq!(c.overridden, thief);
        assert!(c.checked > c.found_wrong, "others check too: {c:?}");
        let report = verify(&sim.record, &Silent);
        assert!(report.passed(), "{:?}", report.failed().collect::<Vec<_>>());
        assert_eq!(sim.record.result.values(), sim.expected);
    }
}
