//! Progress bars on a terminal, for the command line and the example ceremonies (which include
//! this file with `#[path]`: the library itself never draws).
//! Nothing is drawn when standard error is not a terminal.

use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use nullivote::verifier::Progress;

/// Draws one bar per stage on standard error and remembers how long each took.
pub struct Bars {
    bar: Mutex<Option<(ProgressBar, Instant, String)>>,
    timings: Mutex<Vec<(String, f64)>>,
}

impl Bars {
    /// No stage yet.
    pub fn new() -> Self {
        Self {
            bar: Mutex::new(None),
            timings: Mutex::new(Vec::new()),
        }
    }

    /// `(stage, seconds)` of every finished stage, in order. The example ceremonies print it;
    /// `nullivote verify` prints the verifier's own timings, from its report.
    #[allow(dead_code)]
    pub fn timings(&self) -> Vec<(String, f64)> {
        self.timings.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

impl Default for Bars {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for Bars {
    fn start(&self, stage: &str, total: u64) {
        let bar = ProgressBar::new(total);
        let style = ProgressStyle::with_template(
            "{msg:>12} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(stage.to_string());
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some((bar, Instant::now(), stage.to_string()));
        }
    }

    fn advance(&self, n: u64) {
        if let Ok(slot) = self.bar.lock()
            && let Some((bar, _, _)) = slot.as_ref()
        {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some((bar, started, stage)) = slot.take()
        {
            bar.finish_and_clear();
            if let Ok(mut t) = self.timings.lock() {
                t.push((stage, started.elapsed().as_secs_f64()));
            }
        }
    }
}
