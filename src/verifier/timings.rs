//! How long the verification took, stage by stage ([`Timings`], in the
//! [`Report`](super::Report)). Measured with the clock of the machine that verified: output for
//! people and monitoring, never part of what a record proves.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq};

use super::CheckId;

/// A stage of the verification, in the order the verifier runs them. Each runs some of the
/// checks ([`Stage::checks`]); the board's stage overlaps its checks (V5 on every core while a
/// second thread replays V4, V6 and V7), so it is timed as one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stage {
    /// Reading and parsing every file but `board.jsonl` ([`verify_dir`](super::verify_dir)
    /// only: a record in memory was read before).
    Read,
    /// The header against the manifest (V1) and the key ceremony (V2).
    Ceremony,
    /// The base hash recomputed (V3).
    BaseHash,
    /// Reading `board.jsonl` a block at a time, every cast ballot (V5), the chain, the
    /// challenges and the admission rules (V4, V6, V7).
    Board,
    /// The decision list and the tally recomputed (V8, V9).
    Tally,
    /// The decryption shares and the result (V10, V11).
    Decryption,
}

impl Stage {
    /// The stage's name in JSON: `"read"`, `"ceremony"`, `"base_hash"`, `"board"`, `"tally"`,
    /// `"decryption"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Ceremony => "ceremony",
            Self::BaseHash => "base_hash",
            Self::Board => "board",
            Self::Tally => "tally",
            Self::Decryption => "decryption",
        }
    }

    /// The stage's name in words (`base hash`).
    pub fn words(self) -> &'static str {
        match self {
            Self::BaseHash => "base hash",
            other => other.as_str(),
        }
    }

    /// The checks the stage runs (none for [`Stage::Read`], which reads what they check).
    pub fn checks(self) -> &'static [CheckId] {
        match self {
            Self::Read => &[],
            Self::Ceremony => &[CheckId::V1, CheckId::V2],
            Self::BaseHash => &[CheckId::V3],
            Self::Board => &[CheckId::V4, CheckId::V5, CheckId::V6, CheckId::V7],
            Self::Tally => &[CheckId::V8, CheckId::V9],
            Self::Decryption => &[CheckId::V10, CheckId::V11],
        }
    }
}

/// How long one stage took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StageTiming {
    /// The stage.
    pub stage: Stage,
    /// Its wall-clock time.
    pub elapsed: Duration,
}

/// The wall-clock time of each stage that ran, in order, and of the whole verification.
///
/// In JSON, in milliseconds (to the microsecond): `{"total_ms": 1520.342, "stages":
/// [{"stage": "read", "checks": [], "ms": 98.1}, {"stage": "ceremony", "checks": ["V1",
/// "V2"], "ms": 12.004}, …]}`. A stage that did not run (V8–V11 after a failed replay) has no
/// entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timings {
    /// Every stage that ran, in order.
    pub stages: Vec<StageTiming>,
    /// From the start of the verification (of the reading, for a record read from its
    /// directory) to the report.
    pub total: Duration,
}

impl Timings {
    /// The time of `stage`, if it ran.
    pub fn of(&self, stage: Stage) -> Option<Duration> {
        self.stages
            .iter()
            .find(|t| t.stage == stage)
            .map(|t| t.elapsed)
    }

    /// Puts the reading of the record's files, which took `elapsed`, before the other stages.
    pub(super) fn add_read(&mut self, elapsed: Duration) {
        self.stages.insert(
            0,
            StageTiming {
                stage: Stage::Read,
                elapsed,
            },
        );
        self.total += elapsed;
    }
}

/// A duration in milliseconds, to the microsecond.
fn millis(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

impl Serialize for Timings {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Stages<'a>(&'a [StageTiming]);
        struct One<'a>(&'a StageTiming);
        impl Serialize for Stages<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
                for t in self.0 {
                    seq.serialize_element(&One(t))?;
                }
                seq.end()
            }
        }
        impl Serialize for One<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(3))?;
                map.serialize_entry("stage", &self.0.stage)?;
                map.serialize_entry("checks", self.0.stage.checks())?;
                map.serialize_entry("ms", &millis(self.0.elapsed))?;
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("total_ms", &millis(self.total))?;
        map.serialize_entry("stages", &Stages(&self.stages))?;
        map.end()
    }
}

/// Times consecutive stages: each [`Stopwatch::lap`] ends one.
pub(super) struct Stopwatch {
    started: Instant,
    lap: Instant,
    timings: Timings,
}

impl Stopwatch {
    /// Starts the first stage.
    pub(super) fn start() -> Self {
        let now = Instant::now();
        Self {
            started: now,
            lap: now,
            timings: Timings::default(),
        }
    }

    /// Ends `stage`, which began at the previous lap (or the start).
    pub(super) fn lap(&mut self, stage: Stage) {
        let now = Instant::now();
        self.timings.stages.push(StageTiming {
            stage,
            elapsed: now - self.lap,
        });
        self.lap = now;
    }

    /// The stages so far, and the total time since the start.
    pub(super) fn stop(mut self) -> Timings {
        self.timings.total = self.started.elapsed();
        self.timings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timings_serialise_in_milliseconds_with_their_stages_checks() {
        let timings = Timings {
            stages: vec![
                StageTiming {
                    stage: Stage::Read,
                    elapsed: Duration::from_micros(98_100),
                },
                StageTiming {
                    stage: Stage::BaseHash,
                    elapsed: Duration::from_nanos(1_234_567),
                },
            ],
            total: Duration::from_millis(1520),
        };
        assert_eq!(
            serde_json::to_value(&timings).unwrap(),
            json!({"total_ms": 1520.0, "stages": [
                {"stage": "read", "checks": [], "ms": 98.1},
                {"stage": "base_hash", "checks": ["V3"], "ms": 1.234},
            ]})
        );
        assert_eq!(timings.of(Stage::Read), Some(Duration::from_micros(98_100)));
        assert_eq!(timings.of(Stage::Board), None);
        for stage in [
            Stage::Read,
            Stage::Ceremony,
            Stage::BaseHash,
            Stage::Board,
            Stage::Tally,
            Stage::Decryption,
        ] {
            assert_eq!(serde_json::to_value(stage).unwrap(), json!(stage.as_str()));
        }
    }

    #[test]
    fn a_stopwatch_times_each_stage_once_in_order() {
        let mut watch = Stopwatch::start();
        watch.lap(Stage::Ceremony);
        watch.lap(Stage::BaseHash);
        let mut timings = watch.stop();
        timings.add_read(Duration::from_millis(5));
        let stages: Vec<Stage> = timings.stages.iter().map(|t| t.stage).collect();
        assert_eq!(stages, [Stage::Read, Stage::Ceremony, Stage::BaseHash]);
    }
}
