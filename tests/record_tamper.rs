use nullivote::simulation::{Scenario, leadership};
use nullivote::verifier::Silent;
#[test]
fn dump() {
    let sim = leadership(
        &Scenario {
            voters: 40,
            seed: 1,
            absent: vec![4],
            bad_share: None,
        },
        &Silent,
    )
    .unwrap();
    let dir = std::path::Path::new("/tmp/rt/rec");
    sim.record.write(dir).unwrap();
    let t = std::time::Instant::now();
    let r = nullivote::record::ElectionRecord::read(dir).unwrap();
    let rep = nullivote::verifier::verify(&r, &Silent);
    assert!(rep.passed());
    eprintln!("verify {:?}", t.elapsed());
}
