//! Helpers for the unit tests.

use crate::trustee::CeremonyDigest;
use curve25519_dalek::scalar::Scalar;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::elgamal::ElectionKey;
use crate::group::Element;
use crate::manifest::ChannelIndex;

/// A deterministic RNG for tests.
pub(crate) fn test_rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// An election key with a known secret (tests only).
pub(crate) fn test_key() -> ElectionKey {
    let x = Scalar::from(0x5eed_u64);
    ElectionKey::new(
        Element::from_point_as(curve25519_dalek::RistrettoPoint::mul_base(&x), "k").unwrap(),
    )
}

/// Changes every byte of `bytes` in turn (xor 0x01, then xor 0x80) and asserts that `rejected`
/// holds for each changed copy.
pub(crate) fn flip_each_byte(bytes: &[u8], rejected: impl Fn(&[u8]) -> bool) {
    for i in 0..bytes.len() {
        for mask in [0x01u8, 0x80] {
            let mut changed = bytes.to_vec();
            changed[i] ^= mask;
            assert!(rejected(&changed), "byte {i} xor {mask:#04x} was accepted");
        }
    }
}

/// An RNG stuck at zero (attack 28): it claims to be cryptographic and is not. The same type as
/// the deterministic signatures' no-entropy RNG.
pub(crate) use crate::board::Deterministic as ZeroRng;

/// A small election for tests: the leadership manifest, a known election key, `voters` members.
pub(crate) struct TestElection {
    pub election: crate::election::Election,
    pub secrets: Vec<crate::credential::CredentialSecret>,
    pub authority: crate::authority::AuthorityKey,
    /// The board operator's key (the manifest's `authorities.board`).
    pub board_key: crate::authority::AuthorityKey,
    /// The administrator's key (the manifest's `authorities.administrator`).
    pub administrator_key: crate::authority::AuthorityKey,
    seed: u64,
}

/// The board's and the administrator's keys of test elections (fixed secrets, per seed).
pub(crate) fn test_offices(
    seed: u64,
) -> (
    crate::authority::AuthorityKey,
    crate::authority::AuthorityKey,
) {
    let key = |s: u64| {
        crate::authority::AuthorityKey::from_secret(crate::secret::SecretScalar::new(Scalar::from(
            s,
        )))
        .expect("a nonzero secret")
    };
    (key(0xb0a4d + seed), key(0xad31 + seed))
}

/// The [`crate::manifest::Authorities`] of [`test_offices`].
pub(crate) fn test_authorities(seed: u64) -> crate::manifest::Authorities {
    let (board, administrator) = test_offices(seed);
    crate::manifest::Authorities {
        board: board.public(),
        administrator: administrator.public(),
    }
}

/// A vote for Liz Truss in the leadership contest.
pub(crate) const TRUSS: [u32; 2] = [1, 0];
/// A vote for Rishi Sunak in the leadership contest.
pub(crate) const SUNAK: [u32; 2] = [0, 1];

/// Channel indices of the leadership manifest.
pub(crate) const ONLINE: ChannelIndex = ChannelIndex::new(0);
pub(crate) const POSTAL: ChannelIndex = ChannelIndex::new(1);

impl TestElection {
    pub(crate) fn leadership(voters: usize, seed: u64) -> Self {
        let authority = crate::authority::AuthorityKey::from_secret(
            crate::secret::SecretScalar::new(Scalar::from(0xa11ce_u64 + seed)),
        )
        .unwrap();
        let authority_key = authority.public();
        let manifest =
            crate::manifest::Manifest::leadership(authority_key, test_authorities(seed)).unwrap();
        Self::with_manifest(manifest, voters, seed, authority)
    }

    pub(crate) fn with_manifest(
        manifest: crate::manifest::Manifest,
        voters: usize,
        seed: u64,
        authority: crate::authority::AuthorityKey,
    ) -> Self {
        let mut rng = test_rng(seed);
        let secrets: Vec<_> = (0..voters)
            .map(|_| {
                let code = crate::credential::CredentialCode::generate(&mut rng);
                crate::credential::CredentialSecret::derive(&code, manifest.election_id())
            })
            .collect();
        let roll =
            crate::credential::Roll::new(secrets.iter().map(|s| s.public()).collect()).unwrap();
        let election =
            crate::election::Election::new(manifest, test_key(), CeremonyDigest([0; 32]), roll);
        let (board_key, administrator_key) = test_offices(seed);
        Self {
            election,
            secrets,
            authority,
            board_key,
            administrator_key,
            seed,
        }
    }

    /// The board key again (a [`crate::authority::AuthorityKey`] is not `Clone`).
    pub(crate) fn new_board_key(&self) -> crate::authority::AuthorityKey {
        test_offices(self.seed).0
    }

    /// An empty board of the election, with its board key.
    pub(crate) fn board(&self) -> crate::board::Board {
        crate::board::Board::new(self.election.clone(), self.new_board_key())
            .expect("the manifest's board key")
    }

    /// The board reopened from `entries`.
    pub(crate) fn resume(
        &self,
        entries: Vec<crate::board::Entry>,
    ) -> Result<crate::board::Board, crate::board::ResumeError> {
        crate::board::Board::resume(self.election.clone(), self.new_board_key(), entries)
    }

    /// An honest leadership ballot of `voter` on `channel`, prepared (not countersigned), to
    /// cast or challenge.
    pub(crate) fn prepared(
        &self,
        voter: usize,
        channel: ChannelIndex,
        vote: [u32; 2],
        seed: u64,
    ) -> crate::ballot::PreparedBallot {
        crate::ballot::prepare(
            &self.election,
            channel,
            &self.secrets[voter],
            &[vote.to_vec()],
            &mut test_rng(seed),
        )
        .expect("an honest ballot")
    }

    /// An honest leadership ballot of `voter` on `channel`, countersigned when postal.
    pub(crate) fn ballot(
        &self,
        voter: usize,
        channel: ChannelIndex,
        vote: [u32; 2],
        seed: u64,
    ) -> crate::ballot::Ballot {
        let mut rng = test_rng(seed);
        let mut prepared = crate::ballot::prepare(
            &self.election,
            channel,
            &self.secrets[voter],
            &[vote.to_vec()],
            &mut rng,
        )
        .expect("an honest ballot");
        if channel == POSTAL {
            prepared
                .countersign(&self.election, &self.authority, &mut rng)
                .expect("the intake's key");
        }
        prepared.cast()
    }
}
