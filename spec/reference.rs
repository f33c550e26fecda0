//! An independent reading of `spec/protocol.md`: a ballot checker written from the spec alone.
//!
//! It uses only `merlin`, `curve25519-dalek`, `sha2` and `hex`, never `nullivote`, so that the
//! vector tests compare the library with the spec rather than with itself. It is included (with
//! `#[path]`) by `examples/vectors.rs`, which records its intermediate values (challenges,
//! digests, preimages), and by `tests/vectors.rs`, which checks that it agrees with the library
//! on every vector. It is deliberately simple: every proof is checked alone, equation by
//! equation, with no batching (§4.4: a fold must give the decision this gives).

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity};
use merlin::Transcript;
use sha2::{Digest, Sha256, Sha512};

/// §1: the protocol version.
pub const VERSION: u16 = 2;

fn g() -> RistrettoPoint {
    RISTRETTO_BASEPOINT_POINT
}

// ---------------------------------------------------------------------------------------------
// §1 encodings

/// A decoded element: its canonical bytes and the point.
#[derive(Clone, Copy, Debug)]
pub struct Pt {
    pub bytes: [u8; 32],
    pub point: RistrettoPoint,
}

/// §1.3: a canonical, non-identity ristretto255 encoding.
pub fn element(bytes: &[u8]) -> Result<Pt, String> {
    let array: [u8; 32] = bytes
        .try_into()
        .map_err(|_| format!("element of {} bytes", bytes.len()))?;
    let point = CompressedRistretto(array)
        .decompress()
        .ok_or("non-canonical element")?;
    if point.is_identity() {
        return Err("identity element".into());
    }
    Ok(Pt {
        bytes: array,
        point,
    })
}

/// §1.3: a canonical scalar (32 bytes little-endian, below ℓ).
pub fn scalar(bytes: &[u8]) -> Result<Scalar, String> {
    let array: [u8; 32] = bytes
        .try_into()
        .map_err(|_| format!("scalar of {} bytes", bytes.len()))?;
    Option::from(Scalar::from_canonical_bytes(array)).ok_or_else(|| "non-canonical scalar".into())
}

/// A cursor over bytes (§1.4: big-endian integers, exact lengths).
pub struct Cursor<'a> {
    pub bytes: &'a [u8],
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.bytes.len() - self.pos < n {
            return Err(format!("truncated at {}", self.pos));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }
    pub fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    pub fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn element(&mut self) -> Result<Pt, String> {
        element(self.take(32)?)
    }
    pub fn scalar(&mut self) -> Result<Scalar, String> {
        scalar(self.take(32)?)
    }
    pub fn string(&mut self) -> Result<String, String> {
        let len = usize::from(self.u16()?);
        String::from_utf8(self.take(len)?.to_vec()).map_err(|_| "invalid UTF-8".into())
    }
    pub fn finish(&self) -> Result<(), String> {
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(format!("{} trailing bytes", self.bytes.len() - self.pos))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// §2 primitives

/// `u64be(len(x)) ‖ x`.
fn framed(out: &mut Vec<u8>, x: &[u8]) {
    out.extend_from_slice(&(x.len() as u64).to_be_bytes());
    out.extend_from_slice(x);
}

/// §2.2: the SHA-512 preimage of `hash_to_group(domain, data)`.
pub fn hash_to_group_preimage(domain: &[u8], data: &[u8]) -> Vec<u8> {
    let mut pre = Vec::new();
    framed(&mut pre, b"nullivote/1/hash-to-group");
    framed(&mut pre, domain);
    pre.extend_from_slice(data);
    pre
}

/// §2.2: `hash_to_group(domain, data)`, with its 64-byte digest.
pub fn hash_to_group(domain: &[u8], data: &[u8]) -> ([u8; 64], RistrettoPoint) {
    let digest: [u8; 64] = Sha512::digest(hash_to_group_preimage(domain, data)).into();
    (digest, RistrettoPoint::from_uniform_bytes(&digest))
}

/// §3.1: the common prefix of every transcript.
pub fn election_transcript(purpose: &'static [u8], base_hash: &[u8; 32]) -> Transcript {
    let mut t = Transcript::new(b"nullivote");
    t.append_u64(b"version", u64::from(VERSION));
    t.append_message(b"purpose", purpose);
    t.append_message(b"base-hash", base_hash);
    t
}

/// §2.3: a challenge scalar: 64 bytes squeezed under `label`, reduced mod ℓ.
pub fn challenge(t: &mut Transcript, label: &'static [u8]) -> Scalar {
    let mut wide = [0u8; 64];
    t.challenge_bytes(label, &mut wide);
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// §4.4: a proof's digest in a fold, SHA-256 of a tag, its challenge and its other scalars.
pub fn proof_digest<'a>(c: &Scalar, scalars: impl IntoIterator<Item = &'a Scalar>) -> [u8; 32] {
    let tag = b"nullivote/1/proof-digest";
    let mut h = Sha256::new();
    h.update((tag.len() as u64).to_be_bytes());
    h.update(tag);
    h.update(c.as_bytes());
    for x in scalars {
        h.update(x.as_bytes());
    }
    h.finalize().into()
}

// ---------------------------------------------------------------------------------------------
// §6.2 credentials

/// The code alphabet.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// GF(2⁵) multiplication modulo x⁵ + x² + 1.
pub fn gf_mul(mut a: u8, b: u8) -> u8 {
    let mut p = 0;
    for i in 0..5 {
        if (b >> i) & 1 == 1 {
            p ^= a;
        }
        a <<= 1;
        if a & 0x20 != 0 {
            a ^= 0x25;
        }
    }
    p
}

/// `α^k` with `α = x` (0b00010).
pub fn alpha_pow(k: usize) -> u8 {
    (0..k % 31).fold(1, |acc, _| gf_mul(acc, 2))
}

/// The syndromes `(Σ αⁱ·cᵢ, Σ α²ⁱ·cᵢ)`.
pub fn syndromes(symbols: &[u8]) -> (u8, u8) {
    symbols
        .iter()
        .enumerate()
        .fold((0, 0), |(s1, s2), (i, &c)| {
            (
                s1 ^ gf_mul(alpha_pow(i), c),
                s2 ^ gf_mul(alpha_pow(2 * i), c),
            )
        })
}

/// The two check symbols of 26 data symbols, by search (there is exactly one solution).
pub fn check_symbols(data: &[u8]) -> [u8; 2] {
    let mut word = data.to_vec();
    word.extend_from_slice(&[0, 0]);
    for p in 0..32u8 {
        for q in 0..32u8 {
            word[26] = p;
            word[27] = q;
            if syndromes(&word) == (0, 0) {
                return [p, q];
            }
        }
    }
    unreachable!("the check equations always have a solution")
}

/// §6.2: parses a typed code into its 28 symbol values; `Err("malformed" | "check_failed")`.
pub fn parse_code(text: &str) -> Result<Vec<u8>, &'static str> {
    let mut symbols = Vec::new();
    for ch in text.bytes() {
        if ch == b'-' || ch.is_ascii_whitespace() {
            continue;
        }
        let up = ch.to_ascii_uppercase();
        let v = match up {
            b'O' => 0,
            b'I' | b'L' => 1,
            _ => ALPHABET.iter().position(|&a| a == up).ok_or("malformed")? as u8,
        };
        symbols.push(v);
    }
    if symbols.len() != 28 {
        return Err("malformed");
    }
    if syndromes(&symbols) != (0, 0) {
        return Err("check_failed");
    }
    Ok(symbols)
}

/// §6.2: the SHA-512 preimage of the credential secret.
pub fn credential_preimage(election_id: &str, data: &[u8]) -> Vec<u8> {
    let mut pre = Vec::new();
    framed(&mut pre, b"nullivote/1/credential");
    framed(&mut pre, election_id.as_bytes());
    pre.extend_from_slice(&data[..26]);
    pre
}

/// §6.2: `x`.
pub fn credential_secret(election_id: &str, data: &[u8]) -> Scalar {
    let digest: [u8; 64] = Sha512::digest(credential_preimage(election_id, data)).into();
    Scalar::from_bytes_mod_order_wide(&digest)
}

// ---------------------------------------------------------------------------------------------
// §6.1 manifest, §6.3 roll, §6.4 election

pub struct RefContest {
    pub options: usize,
    pub min: u32,
    pub max: u32,
    pub limit: u32,
}

pub struct RefChannel {
    pub rank: u8,
    pub rule: u8,
    pub authority: Option<Pt>,
}

pub struct RefManifest {
    pub election_id: String,
    pub contests: Vec<RefContest>,
    pub channels: Vec<RefChannel>,
    pub trustees: (u16, u16),
    /// §6.1: the board's and the administrator's keys.
    pub board: Pt,
    pub administrator: Pt,
}

/// §6.1: parses the binary layout (form only; the vectors' manifests are valid).
pub fn parse_manifest(bytes: &[u8]) -> Result<RefManifest, String> {
    let mut r = Cursor::new(bytes);
    if r.take(3)? != b"NVM" || r.u16()? != VERSION {
        return Err("bad manifest header".into());
    }
    let election_id = r.string()?;
    let mut contests = Vec::new();
    for _ in 0..r.u16()? {
        let _name = r.string()?;
        let options = usize::from(r.u16()?);
        for _ in 0..options {
            r.string()?;
        }
        contests.push(RefContest {
            options,
            min: r.u32()?,
            max: r.u32()?,
            limit: r.u32()?,
        });
    }
    let mut channels = Vec::new();
    for _ in 0..r.u16()? {
        let _name = r.string()?;
        let rank = r.u8()?;
        let rule = r.u8()?;
        let authority = match r.u8()? {
            0 => None,
            1 => Some(r.element()?),
            _ => return Err("bad authority flag".into()),
        };
        channels.push(RefChannel {
            rank,
            rule,
            authority,
        });
    }
    let trustees = (r.u16()?, r.u16()?);
    let board = r.element()?;
    let administrator = r.element()?;
    r.finish()?;
    Ok(RefManifest {
        election_id,
        contests,
        channels,
        trustees,
        board,
        administrator,
    })
}

/// §6.3: the roll's encoding.
pub fn roll_bytes(entries: &[[u8; 32]]) -> Vec<u8> {
    let mut out = b"NVR".to_vec();
    out.extend_from_slice(&VERSION.to_be_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    for e in entries {
        out.extend_from_slice(e);
    }
    out
}

/// §6.4: the SHA-256 preimage of the base hash.
pub fn base_hash_preimage(
    manifest: &[u8],
    key: &[u8; 32],
    ceremony: &[u8; 32],
    roll: &[u8],
) -> Vec<u8> {
    let mut pre = Vec::new();
    framed(&mut pre, b"nullivote/1/base-hash");
    pre.extend_from_slice(&VERSION.to_be_bytes());
    pre.extend_from_slice(&Sha256::digest(manifest));
    pre.extend_from_slice(key);
    pre.extend_from_slice(ceremony);
    pre.extend_from_slice(&Sha256::digest(roll));
    pre
}

/// Everything a ballot is checked against.
pub struct RefElection {
    pub manifest: RefManifest,
    pub key: Pt,
    pub roll: Vec<[u8; 32]>,
    pub base_hash: [u8; 32],
    pub h_e: Pt,
}

impl RefElection {
    pub fn new(
        manifest_bytes: &[u8],
        key: &[u8; 32],
        ceremony: &[u8; 32],
        roll: Vec<[u8; 32]>,
    ) -> Result<Self, String> {
        let manifest = parse_manifest(manifest_bytes)?;
        let key = element(key)?;
        let base_hash: [u8; 32] = Sha256::digest(base_hash_preimage(
            manifest_bytes,
            &key.bytes,
            ceremony,
            &roll_bytes(&roll),
        ))
        .into();
        let (_, h) = hash_to_group(b"nullifier-base", &base_hash);
        let h_e = element(h.compress().as_bytes())?;
        Ok(Self {
            manifest,
            key,
            roll,
            base_hash,
            h_e,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// §7.1 ballot layout

pub struct RefRange {
    pub commitments: Vec<(Pt, Pt)>,
    pub challenges: Vec<Scalar>,
    pub responses: Vec<Scalar>,
}

pub struct RefSelection {
    pub a: Pt,
    pub b: Pt,
    pub proof: RefRange,
}

pub struct RefContestBallot {
    pub selections: Vec<RefSelection>,
    pub sum_proof: RefRange,
}

pub struct RefBallot {
    pub body_len: usize,
    pub signed_len: usize,
    pub election: [u8; 32],
    pub channel: u8,
    pub nullifier: Pt,
    pub contests: Vec<RefContestBallot>,
    pub credential: Pt,
    pub eligibility: (Pt, Pt, Scalar),
    pub countersignature: Option<(Pt, Scalar)>,
}

fn read_range(r: &mut Cursor<'_>) -> Result<RefRange, String> {
    let n = usize::from(r.u16()?);
    if n == 0 || n > 256 {
        return Err(format!("{n} branches"));
    }
    let commitments = (0..n)
        .map(|_| Ok((r.element()?, r.element()?)))
        .collect::<Result<_, String>>()?;
    let challenges = (0..n - 1).map(|_| r.scalar()).collect::<Result<_, _>>()?;
    let responses = (0..n).map(|_| r.scalar()).collect::<Result<_, _>>()?;
    Ok(RefRange {
        commitments,
        challenges,
        responses,
    })
}

/// §7.1: parses a ballot; any error is check B1.
pub fn parse_ballot(bytes: &[u8]) -> Result<RefBallot, String> {
    let mut r = Cursor::new(bytes);
    if r.take(3)? != b"NVB" {
        return Err("magic".into());
    }
    if r.u16()? != VERSION {
        return Err("version".into());
    }
    let election: [u8; 32] = r.take(32)?.try_into().unwrap();
    let channel = r.u8()?;
    let nullifier = r.element()?;
    let contest_count = r.u16()?;
    if contest_count > 64 {
        return Err("too many contests".into());
    }
    let mut contests = Vec::new();
    for _ in 0..contest_count {
        let selection_count = r.u16()?;
        if selection_count > 64 {
            return Err("too many selections".into());
        }
        let mut selections = Vec::new();
        for _ in 0..selection_count {
            let a = r.element()?;
            let b = r.element()?;
            selections.push(RefSelection {
                a,
                b,
                proof: read_range(&mut r)?,
            });
        }
        contests.push(RefContestBallot {
            selections,
            sum_proof: read_range(&mut r)?,
        });
    }
    let body_len = r.pos;
    if r.u8()? != 0 {
        return Err("eligibility kind".into());
    }
    let credential = r.element()?;
    let eligibility = (r.element()?, r.element()?, r.scalar()?);
    let signed_len = r.pos;
    let countersignature = match r.u8()? {
        0 => None,
        1 => Some((r.element()?, r.scalar()?)),
        _ => return Err("countersignature flag".into()),
    };
    r.finish()?;
    Ok(RefBallot {
        body_len,
        signed_len,
        election,
        channel,
        nullifier,
        contests,
        credential,
        eligibility,
        countersignature,
    })
}

// ---------------------------------------------------------------------------------------------
// §4 proofs, checked alone

/// The challenge and fold digest of one proof, for the vectors.
pub struct ProofTrace {
    pub name: String,
    pub challenge: Scalar,
    pub digest: [u8; 32],
    /// How many equations the proof adds to a fold (§4.1–4.3).
    pub equations: u64,
}

/// §4.4: the fold of these proofs alone (one ballot): its seed, then `ρ_{g,t}` for every
/// equation `t` of every proof `g`.
pub fn fold(trace: &[ProofTrace]) -> ([u8; 32], Vec<Vec<Scalar>>) {
    let tag = b"nullivote/1/batch";
    let mut h = Sha256::new();
    h.update((tag.len() as u64).to_be_bytes());
    h.update(tag);
    for p in trace {
        h.update(p.digest);
    }
    let seed: [u8; 32] = h.finalize().into();
    let coefficients = trace
        .iter()
        .enumerate()
        .map(|(g, p)| {
            (0..p.equations)
                .map(|t| {
                    let mut h = Sha256::new();
                    h.update(seed);
                    h.update((g as u64).to_be_bytes());
                    h.update(t.to_be_bytes());
                    let mut le = [0u8; 32];
                    le[..16].copy_from_slice(&h.finalize()[..16]);
                    Scalar::from_bytes_mod_order(le)
                })
                .collect()
        })
        .collect();
    (seed, coefficients)
}

/// §4.3: checks a range proof under a transcript that already holds its context. `Err(())` if an
/// equation fails.
fn check_range(
    t: &mut Transcript,
    key: &Pt,
    ciphertexts: &[(&Pt, &Pt)],
    low: u32,
    high: u32,
    proof: &RefRange,
) -> Result<(Scalar, [u8; 32]), ()> {
    t.append_message(b"dom-sep", b"range");
    t.append_u64(b"range-low", u64::from(low));
    t.append_u64(b"range-high", u64::from(high));
    t.append_message(b"election-key", &key.bytes);
    t.append_u64(b"ciphertexts", ciphertexts.len() as u64);
    for (a, b) in ciphertexts {
        t.append_message(b"ciphertext-a", &a.bytes);
        t.append_message(b"ciphertext-b", &b.bytes);
    }
    for (a, b) in &proof.commitments {
        t.append_message(b"commitment", &a.bytes);
        t.append_message(b"commitment", &b.bytes);
    }
    let c = challenge(t, b"challenge");
    let digest = proof_digest(&c, proof.challenges.iter().chain(&proof.responses));
    let (mut a_sum, mut b_sum) = (RistrettoPoint::identity(), RistrettoPoint::identity());
    for (a, b) in ciphertexts {
        a_sum += a.point;
        b_sum += b.point;
    }
    let last = c - proof.challenges.iter().sum::<Scalar>();
    let mut ok = true;
    for (j, (aj, bj)) in proof.commitments.iter().enumerate() {
        let cj = proof.challenges.get(j).copied().unwrap_or(last);
        let sj = proof.responses[j];
        let mj = Scalar::from(low + j as u32);
        ok &= sj * g() == aj.point + cj * a_sum;
        ok &= sj * key.point == bj.point + cj * (b_sum - mj * g());
    }
    if ok { Ok((c, digest)) } else { Err(()) }
}

/// §4.2: checks a DLEQ proof.
fn check_dleq(
    t: &mut Transcript,
    (g1, p1, g2, p2): (&Pt, &Pt, &Pt, &Pt),
    (r1, r2, s): &(Pt, Pt, Scalar),
) -> Result<(Scalar, [u8; 32]), ()> {
    t.append_message(b"dom-sep", b"dleq");
    t.append_message(b"base", &g1.bytes);
    t.append_message(b"public", &p1.bytes);
    t.append_message(b"base", &g2.bytes);
    t.append_message(b"public", &p2.bytes);
    t.append_message(b"commitment", &r1.bytes);
    t.append_message(b"commitment", &r2.bytes);
    let c = challenge(t, b"challenge");
    let digest = proof_digest(&c, [s]);
    let ok = s * g1.point == r1.point + c * p1.point && s * g2.point == r2.point + c * p2.point;
    if ok { Ok((c, digest)) } else { Err(()) }
}

/// §4.1: checks a Schnorr proof.
fn check_schnorr(
    t: &mut Transcript,
    public: &Pt,
    (r, s): &(Pt, Scalar),
) -> Result<(Scalar, [u8; 32]), ()> {
    let base = element(g().compress().as_bytes()).expect("G");
    t.append_message(b"dom-sep", b"schnorr");
    t.append_message(b"base", &base.bytes);
    t.append_message(b"public", &public.bytes);
    t.append_message(b"commitment", &r.bytes);
    let c = challenge(t, b"challenge");
    let digest = proof_digest(&c, [s]);
    if s * g() == r.point + c * public.point {
        Ok((c, digest))
    } else {
        Err(())
    }
}

/// §3.9: the transcript of a board or administrator statement, from the spec's table: the
/// purpose, then each field (u64 fields with `append_u64`, digests as messages).
pub fn statement_transcript(
    base_hash: &[u8; 32],
    purpose: &'static [u8],
    fields: &[(&'static [u8], StatementField<'_>)],
) -> Transcript {
    let mut t = election_transcript(purpose, base_hash);
    for (label, field) in fields {
        match field {
            StatementField::U64(v) => t.append_u64(label, *v),
            StatementField::Bytes(b) => t.append_message(label, b),
        }
    }
    t
}

/// §11.2: a receipt's leaf, from the spec's formula.
pub fn receipt_leaf(position: u64, entry: &[u8; 32], tracking_code: &[u8; 32]) -> [u8; 32] {
    let tag = b"nullivote/1/receipt-leaf";
    let mut h = Sha256::new();
    h.update((tag.len() as u64).to_be_bytes());
    h.update(tag);
    h.update(position.to_be_bytes());
    h.update(entry);
    h.update(tracking_code);
    h.finalize().into()
}

fn receipt_node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let tag = b"nullivote/1/receipt-node";
    let mut h = Sha256::new();
    h.update((tag.len() as u64).to_be_bytes());
    h.update(tag);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// §11.2: the root of a batch's receipt leaves (RFC 9162's tree: split at the largest power of
/// two below the size).
pub fn receipt_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    if leaves.len() == 1 {
        return leaves[0];
    }
    let mut k = 1;
    while k * 2 < leaves.len() {
        k *= 2;
    }
    receipt_node(&receipt_root(&leaves[..k]), &receipt_root(&leaves[k..]))
}

/// A field of a signed statement (§3.9).
pub enum StatementField<'a> {
    /// An integer, absorbed with `append_u64`.
    U64(u64),
    /// Bytes, absorbed with `append_message`.
    Bytes(&'a [u8]),
}

/// §3.9: checks a signature (`R ‖ s`, 64 bytes) of `public` on the statement's transcript.
pub fn check_signature(mut t: Transcript, public: &[u8], signature: &[u8]) -> Result<(), String> {
    if signature.len() != 64 {
        return Err("a signature is 64 bytes".into());
    }
    let public = element(public)?;
    let r = element(&signature[..32])?;
    let s = scalar(&signature[32..])?;
    check_schnorr(&mut t, &public, &(r, s))
        .map(|_| ())
        .map_err(|()| "the signature equation fails".into())
}

// ---------------------------------------------------------------------------------------------
// §7.4 checks B1–B9

/// §3.2: the selection transcript's prefix.
pub fn selection_transcript(e: &RefElection, n: &Pt, contest: usize, option: usize) -> Transcript {
    let mut t = election_transcript(b"selection", &e.base_hash);
    t.append_message(b"nullifier", &n.bytes);
    t.append_u64(b"contest", contest as u64);
    t.append_u64(b"option", option as u64);
    t
}

/// §3.3: the contest-sum transcript's prefix.
pub fn contest_sum_transcript(e: &RefElection, n: &Pt, contest: usize) -> Transcript {
    let mut t = election_transcript(b"contest-sum", &e.base_hash);
    t.append_message(b"nullifier", &n.bytes);
    t.append_u64(b"contest", contest as u64);
    t
}

/// Checks a ballot from its bytes. `Ok` carries every proof's challenge and digest; `Err` the
/// number of the first failing check, in the order of §7.4.
pub fn verify_ballot(bytes: &[u8], e: &RefElection) -> Result<Vec<ProofTrace>, &'static str> {
    let b = parse_ballot(bytes).map_err(|_| "B1")?;
    // B2
    if b.election != e.base_hash {
        return Err("B2");
    }
    // B3
    let channel = e
        .manifest
        .channels
        .get(usize::from(b.channel))
        .ok_or("B3")?;
    // B4
    if b.contests.len() != e.manifest.contests.len() {
        return Err("B4");
    }
    for (c, cb) in e.manifest.contests.iter().zip(&b.contests) {
        if cb.selections.len() != c.options {
            return Err("B4");
        }
    }
    // B5
    if !e.roll.contains(&b.credential.bytes) {
        return Err("B5");
    }
    // B9, presence
    if channel.authority.is_some() != b.countersignature.is_some() {
        return Err("B9");
    }
    // Then the first proof that fails alone (a wrong branch count or a failing equation), B6
    // for every contest before any B7 (§7.4).
    let mut trace = Vec::new();
    // B6: every selection, contest by contest, option by option.
    for (i, (c, cb)) in e.manifest.contests.iter().zip(&b.contests).enumerate() {
        for (j, s) in cb.selections.iter().enumerate() {
            if s.proof.commitments.len() != c.limit as usize + 1 {
                return Err("B6");
            }
            let mut t = selection_transcript(e, &b.nullifier, i, j);
            let (challenge, digest) =
                check_range(&mut t, &e.key, &[(&s.a, &s.b)], 0, c.limit, &s.proof)
                    .map_err(|_| "B6")?;
            trace.push(ProofTrace {
                name: format!("selection[{i}][{j}]"),
                challenge,
                digest,
                equations: 2 * s.proof.commitments.len() as u64,
            });
        }
    }
    // B7: every contest sum.
    for (i, (c, cb)) in e.manifest.contests.iter().zip(&b.contests).enumerate() {
        if cb.sum_proof.commitments.len() != (c.max - c.min) as usize + 1 {
            return Err("B7");
        }
        let cts: Vec<_> = cb.selections.iter().map(|s| (&s.a, &s.b)).collect();
        let mut t = contest_sum_transcript(e, &b.nullifier, i);
        let (challenge, digest) =
            check_range(&mut t, &e.key, &cts, c.min, c.max, &cb.sum_proof).map_err(|_| "B7")?;
        trace.push(ProofTrace {
            name: format!("contest_sum[{i}]"),
            challenge,
            digest,
            equations: 2 * cb.sum_proof.commitments.len() as u64,
        });
    }
    // B8: the eligibility proof over the body.
    let base = element(g().compress().as_bytes()).expect("G");
    let mut t = election_transcript(b"eligibility", &e.base_hash);
    t.append_message(b"ballot-body", &bytes[..b.body_len]);
    let (challenge, digest) = check_dleq(
        &mut t,
        (&base, &b.credential, &e.h_e, &b.nullifier),
        &b.eligibility,
    )
    .map_err(|_| "B8")?;
    trace.push(ProofTrace {
        name: "eligibility".into(),
        challenge,
        digest,
        equations: 2,
    });
    // B9: the countersignature over body ‖ eligibility.
    if let (Some(authority), Some(sig)) = (&channel.authority, &b.countersignature) {
        let mut t = election_transcript(b"countersignature", &e.base_hash);
        t.append_u64(b"channel", u64::from(b.channel));
        t.append_message(b"signed-ballot", &bytes[..b.signed_len]);
        let (challenge, digest) = check_schnorr(&mut t, authority, sig).map_err(|_| "B9")?;
        trace.push(ProofTrace {
            name: "countersignature".into(),
            challenge,
            digest,
            equations: 1,
        });
    }
    Ok(trace)
}

/// §5: `Enc_K(v; r)` encoded.
pub fn encrypt(key: &Pt, v: u64, r: &Scalar) -> [u8; 64] {
    let a = r * g();
    let b = Scalar::from(v) * g() + r * key.point;
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(a.compress().as_bytes());
    out[32..].copy_from_slice(b.compress().as_bytes());
    out
}
