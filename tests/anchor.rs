//! Issue 22, finding 4 (an attacker's review of version 1): "the verifier has no external
//! anchor. Four independent, fabricated elections under the real election id each printed 'all
//! 11 checks passed'; only the base hash differed, and nothing told the reader what it should
//! be."
//!
//! The attack again: four internally consistent records under one election id. Without an
//! anchor each still passes (that is all internal consistency can say) and the report says it is
//! not anchored, with the base hash to compare; anchored to the published base hash
//! ([`Options::expected_base_hash`], the command line's `--expect`), exactly the real election
//! passes and every fabricated one fails V3, naming both values.

use nullivote::BaseHash;
use nullivote::record::ElectionRecord;
use nullivote::simulation::{Scenario, leadership};
use nullivote::verifier::{CheckId, Location, Options, Silent, verify, verify_with};

fn election(seed: u64) -> ElectionRecord {
    let scenario = Scenario {
        voters: 10,
        seed,
        absent: vec![],
        bad_share: None,
    };
    leadership(&scenario, &Silent).unwrap().record
}

fn anchored_to(base_hash: BaseHash) -> Options {
    Options {
        expected_base_hash: Some(base_hash),
    }
}

#[test]
fn four_fabricated_elections_under_one_id_fail_against_the_published_base_hash() {
    let real = election(1);
    let published = real.header.base_hash;
    let fabricated: Vec<ElectionRecord> = (2..5).map(election).collect();
    for record in std::iter::once(&real).chain(&fabricated) {
        assert_eq!(record.header.election_id, real.header.election_id);
        // Internally consistent: every check passes, and the report says it is not anchored.
        let report = verify(record, &Silent);
        assert!(report.passed());
        assert!(!report.anchor.anchored);
        assert_eq!(report.anchor.expected_base_hash, None);
        assert_eq!(report.anchor.base_hash, record.header.base_hash);
    }

    let report = verify_with(&real, &anchored_to(published), &Silent);
    assert!(report.passed());
    assert!(report.anchor.anchored && !report.anchor.mismatch());
    assert_eq!(report.result.as_ref(), Some(&real.result));

    for record in &fabricated {
        assert_ne!(record.header.base_hash, published);
        let report = verify_with(record, &anchored_to(published), &Silent);
        let failed: Vec<(CheckId, bool)> = report.failed().map(|c| (c.id, c.ran)).collect();
        assert_eq!(failed, vec![(CheckId::V3, true)]);
        assert!(report.anchor.mismatch());
        assert!(report.result.is_none());
        let v3 = &report.checks[2].failures;
        assert_eq!(v3.len(), 1);
        assert_eq!(v3[0].location, Location::ExpectedBaseHash);
        assert_eq!(v3[0].location.to_string(), "expected base hash");
        for value in [published, record.header.base_hash] {
            assert!(
                v3[0].message.contains(&hex::encode(value.as_bytes())),
                "{:?}",
                v3[0]
            );
        }
    }
}

/// A fabricated record that claims the published base hash in `record.json` is caught by V3's
/// recomputation, and the anchor compares the recomputed value, not the claim.
#[test]
fn a_fabricated_record_claiming_the_published_base_hash_still_fails_v3() {
    let published = election(1).header.base_hash;
    let mut fake = election(2);
    fake.header.base_hash = published;
    let report = verify_with(&fake, &anchored_to(published), &Silent);
    assert!(report.anchor.mismatch());
    assert_ne!(report.anchor.base_hash, published);
    let v3: Vec<&Location> = report.checks[2]
        .failures
        .iter()
        .map(|f| &f.location)
        .collect();
    let header = Location::File {
        file: "record.json",
        field: None,
    };
    assert_eq!(v3, vec![&header, &Location::ExpectedBaseHash]);
}
