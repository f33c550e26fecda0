//! A small election whose record can be read by eye: five members, three trustees (any two
//! decrypt), a club committee vote where each member picks up to two of three candidates.
//!
//! ```text
//! cargo run --release --example small_election -- --out small-record
//! cargo run --release -- verify small-record
//! ```
//!
//! Each step below is one step of the ceremony in `spec/protocol.md`; the comments say who does
//! it and what becomes public. Open the record's files as you read: `manifest.json`,
//! `ceremony.json`, `roll.json`, `board.jsonl` (one line per entry), `tally.json`,
//! `decryption.json`, `result.json`.

use std::path::PathBuf;

use clap::Parser;
use nullivote::Election;
use nullivote::ballot::prepare;
use nullivote::credential::{CredentialCode, CredentialSecret, Roll};
use nullivote::manifest::{
    Authorities, Channel, ChannelIndex, ChannelRule, Contest, Manifest, TrusteePolicy,
};
use nullivote::record::{Ceremony, ElectionRecord, ElectionResult};
use nullivote::tally::Tally;
use nullivote::trustee::{BoardHead, combine, run_ceremony};
use nullivote::{
    AuthorityKey,
    board::{Board, Close, verify_chain},
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Run a five-member election and write its record.
#[derive(Parser)]
struct Args {
    /// Directory to write the election record to.
    #[arg(long, default_value = "small-record")]
    out: PathBuf,
    /// Seed for a reproducible run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    // A seeded RNG so that the record is the same on every run (a real election uses OsRng).
    let mut rng = ChaCha20Rng::seed_from_u64(args.seed);

    // 1. The administrator writes the manifest: one contest, members may select one or two of
    //    three candidates; votes arrive online (a revote replaces the earlier one) or on paper,
    //    which takes precedence and must be countersigned by the postal intake.
    //    (The intake's key is a fixed one here, given as the text of its key file, so that the
    //    record is the same on every run; a real intake draws it: `AuthorityKey::generate`.)
    let intake = AuthorityKey::from_text(&format!("7a1a{}", "00".repeat(30)))?;
    let intake_key = intake.public();
    //    The manifest also names the board operator's key (it signs every receipt) and the
    //    administrator's (who alone closes a channel or the vote).
    let board_key = AuthorityKey::generate(&mut rng);
    let administrator = AuthorityKey::generate(&mut rng);
    let manifest = Manifest::new(
        "club-committee-2026",
        vec![Contest {
            name: "committee".into(),
            options: vec!["Ada".into(), "Grace".into(), "Edsger".into()],
            min_selections: 1,
            max_selections: 2,
            option_limit: 1,
        }],
        vec![
            Channel {
                name: "online".into(),
                rank: 1,
                rule: ChannelRule::LastWins,
                authority: None,
            },
            Channel {
                name: "postal".into(),
                rank: 2,
                rule: ChannelRule::FirstWins,
                authority: Some(intake_key),
            },
        ],
        TrusteePolicy::new(2, 3)?, // any 2 of 3 trustees
        Authorities {
            board: board_key.public(),
            administrator: administrator.public(),
        },
    )?;
    println!(
        "1. manifest {:?}: {} candidates, up to 2 selections",
        manifest.election_id(),
        3
    );

    // 2. Three trustees run the key ceremony. Everything they broadcast goes to ceremony.json;
    //    each keeps its key share. The joint key K is the sum of their constant-term commitments.
    let (mut trustees, public, transcript) =
        run_ceremony(manifest.trustees(), &manifest, &mut rng)?;
    println!("2. key ceremony: joint key K = {}", public.joint_key());

    // 3. The registrar gives each member a credential code (on paper, in the postal pack) and
    //    publishes the roll of public credentials X = x·G. Only the member can derive x.
    let codes: Vec<CredentialCode> = (0..5).map(|_| CredentialCode::generate(&mut rng)).collect();
    let secrets: Vec<CredentialSecret> = codes
        .iter()
        .map(|c| CredentialSecret::derive(c, manifest.election_id()))
        .collect();
    let roll = Roll::new(secrets.iter().map(|s| s.public()).collect())?;
    for (i, code) in codes.iter().enumerate() {
        println!(
            "3. member {i}: code {} (secret; printed here only for the demonstration)",
            code.expose()
        );
    }

    // 4. The base hash binds everything so far; every proof of the election absorbs it.
    let election = Election::new(
        manifest.clone(),
        public.election_key(),
        public.ceremony_digest(),
        roll.clone(),
    );
    println!(
        "4. base hash {}",
        hex::encode(election.base_hash().as_bytes())
    );

    // 5. Voting. Each ballot carries the member's nullifier N = x·H_E: the same on every
    //    channel, so the board sees that two ballots are one member's.
    let index = |name| {
        manifest
            .channel_index(name)
            .ok_or("the manifest names its channels")
    };
    let (online, postal) = (index("online")?, index("postal")?);
    let mut board = Board::new(election.clone(), board_key)?;
    let cast = |board: &mut Board,
                member: usize,
                channel: ChannelIndex,
                votes: [u32; 3],
                rng: &mut ChaCha20Rng| {
        let mut ballot = prepare(&election, channel, &secrets[member], &[votes.to_vec()], rng)?;
        if channel == postal {
            ballot.countersign(&election, &intake, rng)?; // the intake scanned the paper ballot
        }
        // Every submission gets a receipt signed by the board, a refusal too (it is an
        // entry of the chain, with its reason).
        let outcome = match board.submit(ballot.cast()) {
            Ok(receipt) => format!("admitted at entry {}", receipt.position),
            Err(refused) => format!(
                "refused at entry {} ({})",
                refused.receipt.map_or(0, |r| r.position),
                refused.refusal
            ),
        };
        println!(
            "5. member {member} on {}: {outcome}",
            manifest.channel(channel).map_or("?", |c| c.name.as_str())
        );
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    cast(&mut board, 0, online, [1, 1, 0], &mut rng)?; // Ada and Grace
    cast(&mut board, 1, online, [0, 0, 1], &mut rng)?; // Edsger...
    cast(&mut board, 1, online, [0, 1, 0], &mut rng)?; // ...then changes to Grace: the revote replaces it
    cast(&mut board, 2, postal, [1, 0, 1], &mut rng)?; // Ada and Edsger on paper
    cast(&mut board, 3, online, [1, 0, 0], &mut rng)?; // Ada online...
    cast(&mut board, 3, postal, [0, 0, 1], &mut rng)?; // ...then Edsger on paper: the postal ballot counts
    cast(&mut board, 2, online, [0, 1, 0], &mut rng)?; // refused: member 2's postal ballot is already in
    // Member 4 challenges the ballot their device made: the device reveals what it encrypted,
    // anyone can check it, and that ballot can never be cast. The board receives only the
    // spoiled form (no nullifier, credential or eligibility proof), which names no voter. Then
    // they vote for real.
    let challenged =
        prepare(&election, online, &secrets[4], &[vec![0, 1, 1]], &mut rng)?.challenge();
    println!(
        "5. member 4 challenges a ballot: it opens to {:?}",
        challenged.verify(&election)?
    );
    board.challenge(&challenged.spoiled())?;
    cast(&mut board, 4, online, [0, 1, 1], &mut rng)?;
    // The administrator closes each channel, then the vote: each close is signed for its place
    // in the chain. The board then signs its final head.
    for close in [
        Close::Channel(online),
        Close::Channel(postal),
        Close::Voting,
    ] {
        board.close_as(&administrator, close)?;
    }
    let board_signature = board.final_signature().ok_or("voting is closed")?;

    // 6. The tally: channel precedence picks one ballot per nullifier; the counted ciphertexts
    //    are summed per candidate. Nothing is decrypted yet.
    let state = verify_chain(&election, board.entries(), Some(&board.head()))
        .map_err(|e| format!("{e:?}"))?;
    let tally = Tally::compute(&election, board.entries(), state.cast())?;
    for d in &tally.outcome.decisions {
        println!(
            "6. entry {} does not count: entry {} does ({:?})",
            d.superseded, d.by, d.reason
        );
    }

    // 7. Trustees 1 and 3 decrypt the sums (trustee 2 is away: any two suffice), each with a
    //    proof that its share matches its public verification share.
    //    Each share's proofs bind the board's head after the close of voting (published in
    //    record.json), and each key records that head: it decrypts no other board.
    let aggregates = tally.flat_aggregates();
    let head = BoardHead::new(board.head(), board.entries().len() as u64);
    let mut shares = Vec::new();
    for t in [0, 2] {
        shares.push(trustees[t].decrypt_share(&election, &head, &aggregates, &mut rng)?);
    }
    let decryption = combine(
        &public,
        &election,
        &head,
        &aggregates,
        &shares,
        tally.bound(&election),
    )?;
    let result = ElectionResult::new(
        &manifest,
        decryption.values(),
        &tally.counts,
        decryption.used(),
    );
    for option in &result.contests[0].options {
        println!("7. {:<8} {}", option.name, option.votes);
    }

    // 8. The record: everything public, for anyone to check with `nullivote verify`.
    let ceremony = Ceremony { transcript, public };
    let record = ElectionRecord::assemble(
        &election,
        &board,
        board_signature,
        ceremony,
        tally,
        shares,
        result,
    );
    record.write(&args.out)?;
    //    The base hash was fixed before voting (step 4); the authority published it then.
    println!(
        "8. record written to {}; check it with: cargo run --release -- verify {} --expect {}",
        args.out.display(),
        args.out.display(),
        hex::encode(election.base_hash().as_bytes())
    );
    Ok(())
}
