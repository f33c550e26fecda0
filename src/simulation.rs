//! A simulated election of the 2022 kind, run in one process: for the example ceremonies, the
//! integration tests and the benchmarks. Reproducible from a seed; every party's randomness
//! comes from ChaCha20 seeded by `(seed, party)`.
//!
//! The members behave as in [`Behaviour`]; ballots arrive in two waves (first ballots, then
//! second ones) so that "later" has its board meaning. The expected result (each member's last
//! intention, counted on the channel that takes precedence) is computed from the plaintexts
//! alongside, so a test can compare it with what the trustees decrypt.

use std::collections::BTreeMap;

use curve25519_dalek::Scalar;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use rayon::prelude::*;

use crate::ballot::{Ballot, SpoiledBallot, prepare};
use crate::board::{Board, Close, Refusal, SigningKey};
use crate::credential::{CredentialCode, CredentialSecret, Roll};
use crate::election::Election;
use crate::group::Element;
use crate::manifest::{Authorities, Manifest};
use crate::record::{Ceremony, ElectionRecord, ElectionResult};
use crate::secret::SecretScalar;
use crate::tally::Tally;
use crate::transcript::random_scalar;
use crate::trustee::{BoardHead, TrusteeError, TrusteeIndex, combine, run_ceremony};
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
    /// Does not vote.
    Abstains,
}

impl Behaviour {
    /// Draws a behaviour: 60 % online, 15 % postal, 5 % online then postal, 3 % postal then
    /// online, 5 % online revote, 2 % challenge, 1 % stolen code, 9 % abstain.
    fn draw(rng: &mut ChaCha20Rng) -> Self {
        match rng.next_u32() % 100 {
            0..60 => Self::Online,
            60..75 => Self::Postal,
            75..80 => Self::OnlineThenPostal,
            80..83 => Self::PostalThenOnline,
            83..88 => Self::OnlineRevote,
            88..90 => Self::ChallengeThenOnline,
            90..91 => Self::StolenCode,
            _ => Self::Abstains,
        }
    }
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
}

/// Why the simulation could not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimulationError {
    /// The key ceremony or the decryption failed.
    #[error(transparent)]
    Trustee(#[from] TrusteeError),
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
    pub intake: SecretScalar,
    /// The board operator's signing key.
    pub board: SigningKey,
    /// The administrator's signing key (closes).
    pub administrator: SigningKey,
}

impl Offices {
    /// The offices of the simulation of `seed`.
    pub fn from_seed(seed: u64) -> Self {
        let mut setup = rng_for(seed, u64::MAX - 1);
        Self {
            intake: SecretScalar::new(random_scalar(&mut setup)),
            board: SigningKey::generate(&mut setup),
            administrator: SigningKey::generate(&mut setup),
        }
    }

    /// The intake's public key.
    pub fn intake_key(&self) -> Element {
        Element::from_point_unchecked(curve25519_dalek::RistrettoPoint::mul_base(
            self.intake.expose(),
        ))
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

/// What one member submits, in two waves.
enum Action {
    Cast(Box<Ballot>),
    Challenge(Box<SpoiledBallot>),
}

const TRUSS: [u32; 2] = [1, 0];
const SUNAK: [u32; 2] = [0, 1];
const ONLINE: u8 = 0;
const POSTAL: u8 = 1;

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
    let plans: Vec<(Behaviour, u32, Vec<Action>, Vec<Action>)> = secrets
        .par_iter()
        .enumerate()
        .map(|(v, secret)| {
            let mut rng = rng_for(scenario.seed, (1 << 40) + v as u64);
            let behaviour = Behaviour::draw(&mut rng);
            let truss = rng.next_u32() % 1000 < 574; // 57.4 % for Truss, as in 2022
            let (mine, other) = if truss {
                (TRUSS, SUNAK)
            } else {
                (SUNAK, TRUSS)
            };
            let mut ballot = |channel: u8, vote: [u32; 2]| {
                let mut p = prepare(&election, channel, secret, &[vote.to_vec()], &mut rng)
                    .map_err(|e| SimulationError::Refused(e.to_string()))?;
                if channel == POSTAL {
                    p.countersign(&election, intake, &mut rng)
                        .map_err(|e| SimulationError::Refused(e.to_string()))?;
                }
                Ok::<_, SimulationError>(p)
            };
            let cast = |p: crate::ballot::PreparedBallot| Action::Cast(Box::new(p.cast()));
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
                    vec![cast(ballot(ONLINE, other)?)],
                    vec![cast(ballot(POSTAL, mine)?)],
                ),
                Behaviour::Abstains => (vec![], vec![]),
            };
            progress.advance(1);
            let vote = if behaviour == Behaviour::Abstains {
                2
            } else {
                u32::from(!truss)
            };
            Ok((behaviour, vote, first, second))
        })
        .collect::<Result<_, SimulationError>>()?;
    progress.finish();

    let mut expected = vec![0u64; 2];
    let mut behaviours = BTreeMap::new();
    for (b, vote, _, _) in &plans {
        *behaviours.entry(*b).or_insert(0) += 1;
        if let Some(e) = expected.get_mut(*vote as usize) {
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
    let (mut wave1, mut wave2) = (Vec::new(), Vec::new());
    for (_, _, first, second) in plans {
        wave1.extend(first);
        wave2.extend(second);
    }
    progress.start("board", (wave1.len() + wave2.len()) as u64);
    // Challenges come over their own connection (spec §8.2): the wave's challenges are
    // published after its cast ballots, in a shuffled order, so that a challenge's position
    // says nothing about whose cast ballot it preceded.
    let mut shuffle = rng_for(scenario.seed, 1 << 45);
    for wave in [wave1, wave2] {
        let mut pending = Vec::new();
        let mut challenges = Vec::new();
        for action in wave {
            match action {
                Action::Cast(b) => pending.push(*b),
                Action::Challenge(c) => challenges.push(c),
            }
            if pending.len() == 4096 {
                submit(&mut board, &mut pending, progress)?;
            }
        }
        submit(&mut board, &mut pending, progress)?;
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
    }
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
    Ok(Simulation {
        record,
        expected,
        behaviours,
        skipped: decryption.skipped_culprits(),
    })
}

/// Submits the pending ballots as one batch. Honest ballots are accepted except those the
/// precedence rules refuse on arrival (an online ballot after the member's postal one).
fn submit(
    board: &mut Board,
    pending: &mut Vec<Ballot>,
    progress: &dyn Progress,
) -> Result<(), SimulationError> {
    let n = pending.len() as u64;
    for result in board.submit_batch(std::mem::take(pending)) {
        match result {
            Ok(_) => {}
            Err(refused) if matches!(refused.refusal, Refusal::Superseded { .. }) => {}
            Err(other) => return Err(SimulationError::Refused(other.to_string())),
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
