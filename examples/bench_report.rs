//! Prints criterion's latest results as markdown tables for a closing note: every bench's median,
//! its spread, its throughput, and, for the benches that have one, its ratio to its floor of
//! group operations, computed from the floor benches' medians of the same results directory.
//!
//! ```text
//! cargo bench --bench ballot && cargo bench --bench ceremony && cargo bench --bench record
//! cargo run --release --example bench_report                 # or: -- path/to/criterion
//! ```
//!
//! Reads `<dir>/**/new/estimates.json` and `benchmark.json`, where `<dir>` is the argument, else
//! `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else `target/criterion`; and for the
//! record's floor the counts the `record` bench wrote to `<dir>/record/nullivote-<voters>.json`.
//!
//! * **median**: criterion's median time per iteration;
//! * **MAD**: the median absolute deviation of the samples, as a percentage of the median;
//! * **95 % CI**: criterion's bootstrap 95 % confidence interval of the median;
//! * **per second**: the bench's throughput (elements per iteration) divided by the median;
//! * **floor** and **ratio**: the sum of the group operations the bench needs, each priced by
//!   the median of the bench that times it (the formula is in the last column), and the median
//!   divided by it. A ratio is marked † when its floor's results were written more than an hour
//!   apart from the bench's own (not the same run).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

/// One bench's results.
struct Bench {
    group: String,
    /// `group/function/value`.
    id: String,
    median_ns: f64,
    lower_ns: f64,
    upper_ns: f64,
    mad_ns: f64,
    elements: Option<u64>,
    written: Option<SystemTime>,
}

/// A floor: `Σ coefficient · price(bench)`, where the price is the bench's median, or its median
/// per element when `per_element`.
struct Floor {
    terms: Vec<(f64, String, bool)>,
    formula: String,
}

/// The bench command that writes each group, in the order the report prints them.
const GROUPS: [(&str, &str); 8] = [
    ("primitives", "cargo bench --bench ballot"),
    ("proofs", "cargo bench --bench ballot"),
    ("ballot_build", "cargo bench --bench ballot"),
    ("ballot_verify", "cargo bench --bench ballot"),
    ("record", "cargo bench --bench record"),
    ("key_ceremony", "cargo bench --bench ceremony"),
    ("decrypt_tally", "cargo bench --bench ceremony"),
    ("precedence", "cargo bench --bench ceremony"),
];

fn criterion_dir() -> PathBuf {
    if let Some(arg) = std::env::args_os().nth(1) {
        return PathBuf::from(arg);
    }
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("criterion")
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Every `new` directory under `dir` that holds both result files.
fn find(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if entry.file_name() == "new" {
            if path.join("estimates.json").is_file() && path.join("benchmark.json").is_file() {
                out.push(path);
            }
        } else if entry.file_name() != "report" {
            find(&path, out);
        }
    }
}

fn load(new: &Path) -> Option<Bench> {
    let estimates = read_json(&new.join("estimates.json"))?;
    let benchmark = read_json(&new.join("benchmark.json"))?;
    let group = benchmark["group_id"].as_str()?.to_owned();
    let mut id = group.clone();
    for part in ["function_id", "value_str"] {
        if let Some(s) = benchmark[part].as_str() {
            id.push('/');
            id.push_str(s);
        }
    }
    let median = &estimates["median"];
    Some(Bench {
        group,
        id,
        median_ns: median["point_estimate"].as_f64()?,
        lower_ns: median["confidence_interval"]["lower_bound"].as_f64()?,
        upper_ns: median["confidence_interval"]["upper_bound"].as_f64()?,
        mad_ns: estimates["median_abs_dev"]["point_estimate"].as_f64()?,
        elements: benchmark["throughput"]["Elements"].as_u64(),
        written: std::fs::metadata(new.join("estimates.json"))
            .and_then(|m| m.modified())
            .ok(),
    })
}

/// `"1-of-5"` → 5.
fn options(s: &str) -> Option<u64> {
    s.strip_prefix("1-of-")?.parse().ok()
}

/// The record bench's counts for `voters` members: decompressions and MSM points.
fn record_counts(dir: &Path, voters: &str) -> Option<(u64, u64)> {
    let v = read_json(&dir.join("record").join(format!("nullivote-{voters}.json")))?;
    let r = &v["record"];
    Some((r["decompress_points"].as_u64()?, r["msm_points"].as_u64()?))
}

/// The floor of a bench, by its id (see the module docs of `benches/ballot.rs` and
/// `benches/record.rs` for the operation counts).
fn floor_of(id: &str, dir: &Path) -> Option<Floor> {
    let parts: Vec<&str> = id.split('/').collect();
    let whole = |id: String| (1.0, id, false);
    let floor = |terms, formula: String| Some(Floor { terms, formula });
    match parts.as_slice() {
        ["ballot_build", "prepare_ct", shape] => {
            let n = options(shape)? as f64;
            let (g, t, c) = (6.0 * n + 5.0, 3.0 * n + 3.0, 6.0 * n + 7.0);
            floor(
                vec![
                    (g, "primitives/fixed_base_ct_G".into(), false),
                    (t, "primitives/fixed_base_ct_table".into(), false),
                    (c, "primitives/compress".into(), false),
                ],
                format!("{g}·fixed_base_ct_G + {t}·fixed_base_ct_table + {c}·compress"),
            )
        }
        ["ballot_verify", "verify_vartime", shape] => {
            let points = 6 * options(shape)? + 9;
            floor(
                vec![whole(format!("primitives/vartime_msm/{points}"))],
                format!("vartime_msm({points})"),
            )
        }
        ["ballot_verify", "decode", shape] => {
            let points = 6 * options(shape)? + 6;
            floor(
                vec![(points as f64, "primitives/decompress".into(), false)],
                format!("{points}·decompress"),
            )
        }
        ["ballot_verify", "verify_batch_vartime_64_1core", shape] => {
            let points = 64 * (6 * options(shape)? + 6) + 3;
            floor(
                vec![whole(format!("primitives/vartime_msm/{points}"))],
                format!("vartime_msm({points})"),
            )
        }
        ["ballot_verify", function, batch] => {
            let (dec, msm) = match *function {
                "verify_batch_vartime_1-of-2_1core" => (None, Some("1core")),
                "verify_batch_vartime_1-of-2_all_cores" => (None, Some("all_cores")),
                "decode_1-of-2" => (Some("1core"), None),
                "decode_verify_1-of-2_1core" => (Some("1core"), Some("1core")),
                "decode_verify_1-of-2_all_cores" => (Some("all_cores"), Some("all_cores")),
                _ => return None,
            };
            let mut terms = Vec::new();
            let mut formula = Vec::new();
            if let Some(cores) = dec {
                let id = format!("floor_decompress_1-of-2_{cores}/{batch}");
                formula.push(id.clone());
                terms.push(whole(format!("ballot_verify/{id}")));
            }
            if let Some(cores) = msm {
                let id = format!("floor_msm_1-of-2_{cores}/{batch}");
                formula.push(id.clone());
                terms.push(whole(format!("ballot_verify/{id}")));
            }
            floor(terms, formula.join(" + "))
        }
        // Per aggregate (a 1-of-2 tally has two): D = x·A and the DLEQ commitment k·A (two
        // variable-base multiplications), k·G (fixed base), and four compressions (A, D and the
        // two commitments). See `decrypt_share` in `src/trustee/decryption.rs`.
        ["decrypt_tally", "share_1_of_2_ct"] => floor(
            vec![
                (4.0, "primitives/variable_base_ct".into(), false),
                (2.0, "primitives/fixed_base_ct_G".into(), false),
                (8.0, "primitives/compress".into(), false),
            ],
            "4·variable_base_ct + 2·fixed_base_ct_G + 8·compress".into(),
        ),
        ["record", "read_verify_all_cores", voters] => {
            let (d, m) = record_counts(dir, voters)?;
            floor(
                vec![
                    (
                        d as f64,
                        format!("record/floor_decompress_all_cores/{voters}"),
                        true,
                    ),
                    (
                        m as f64,
                        format!("record/floor_msm_all_cores/{voters}"),
                        true,
                    ),
                ],
                format!("{d}·decompress + {m}·MSM point (per point, all cores)"),
            )
        }
        _ => None,
    }
}

/// Three significant digits in the unit that fits.
fn duration(ns: f64) -> String {
    let (value, unit) = if ns >= 1e9 {
        (ns / 1e9, "s")
    } else if ns >= 1e6 {
        (ns / 1e6, "ms")
    } else if ns >= 1e3 {
        (ns / 1e3, "µs")
    } else {
        (ns, "ns")
    };
    format!("{} {unit}", significant(value))
}

fn significant(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// Elements per second, with what an element is.
fn rate(bench: &Bench) -> String {
    let Some(n) = bench.elements else {
        return "—".into();
    };
    // The per-point benches count points; every other bench with a throughput counts ballots.
    let what = if bench.id.starts_with("primitives/vartime_msm")
        || bench.id.starts_with("record/floor_")
    {
        "points"
    } else {
        "ballots"
    };
    let per_second = n as f64 / (bench.median_ns / 1e9);
    let (value, prefix) = if per_second >= 1e6 {
        (per_second / 1e6, " M ")
    } else if per_second >= 1e3 {
        (per_second / 1e3, " k ")
    } else {
        (per_second, " ")
    };
    format!("{}{prefix}{what}/s", significant(value))
}

/// Natural order: numbers compare as numbers.
fn sort_key(id: &str) -> Vec<(String, u64)> {
    id.split('/')
        .map(|p| match p.parse::<u64>() {
            Ok(n) => (String::new(), n),
            Err(_) => (p.to_owned(), 0),
        })
        .collect()
}

fn main() {
    let dir = criterion_dir();
    let mut found = Vec::new();
    find(&dir, &mut found);
    let benches: BTreeMap<String, Bench> = found
        .iter()
        .filter_map(|p| load(p))
        .map(|b| (b.id.clone(), b))
        .collect();
    if benches.is_empty() {
        eprintln!(
            "no criterion results under {} (run `cargo bench` first, or name the directory)",
            dir.display()
        );
        std::process::exit(2);
    }

    let mut out = String::new();
    let _ = writeln!(out, "Criterion results from `{}`.\n", dir.display());
    let _ = writeln!(
        out,
        "median: median time per iteration; MAD: median absolute deviation of the samples; \
         95 % CI: of the median; ratio: median / floor, the floor priced by the medians of its \
         benches in these results (formula in the last column).\n"
    );
    let mut daggers = false;
    let mut groups: Vec<&str> = GROUPS.iter().map(|(g, _)| *g).collect();
    for b in benches.values() {
        if !groups.contains(&b.group.as_str()) {
            groups.push(&b.group);
        }
    }
    for group in groups {
        let mut rows: Vec<&Bench> = benches.values().filter(|b| b.group == group).collect();
        if rows.is_empty() {
            continue;
        }
        rows.sort_by_key(|b| sort_key(&b.id));
        let command = GROUPS
            .iter()
            .find(|(g, _)| *g == group)
            .map_or_else(|| "cargo bench".to_owned(), |(_, c)| (*c).to_owned());
        let _ = writeln!(out, "### `{group}` (`{command}`)\n");
        let _ = writeln!(
            out,
            "| bench | median | MAD | 95 % CI | per second | floor | ratio | floor formula |"
        );
        let _ = writeln!(
            out,
            "| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |"
        );
        for b in rows {
            let name = b.id.strip_prefix(&format!("{group}/")).unwrap_or(&b.id);
            let (floor, ratio, formula) = match floor_of(&b.id, &dir) {
                Some(f) => {
                    let mut total = 0.0;
                    let mut missing = Vec::new();
                    let mut other_run = false;
                    for (coefficient, id, per_element) in &f.terms {
                        match benches.get(id) {
                            Some(term) => {
                                let per = if *per_element {
                                    term.elements.unwrap_or(1) as f64
                                } else {
                                    1.0
                                };
                                total += coefficient * term.median_ns / per;
                                if let (Some(a), Some(t)) = (b.written, term.written) {
                                    let apart = match a.duration_since(t) {
                                        Ok(d) => d,
                                        Err(e) => e.duration(),
                                    };
                                    other_run |= apart.as_secs() > 3600;
                                }
                            }
                            None => missing.push(id.as_str()),
                        }
                    }
                    if missing.is_empty() {
                        daggers |= other_run;
                        let dagger = if other_run { " †" } else { "" };
                        (
                            duration(total),
                            format!("{:.2}×{dagger}", b.median_ns / total),
                            f.formula,
                        )
                    } else {
                        (
                            "—".into(),
                            "—".into(),
                            format!("{} (not measured: {})", f.formula, missing.join(", ")),
                        )
                    }
                }
                None => ("—".into(), "—".into(), String::new()),
            };
            let _ = writeln!(
                out,
                "| {name} | {} | {:.1} % | {} – {} | {} | {floor} | {ratio} | {formula} |",
                duration(b.median_ns),
                100.0 * b.mad_ns / b.median_ns,
                duration(b.lower_ns),
                duration(b.upper_ns),
                rate(b),
            );
        }
        let _ = writeln!(out);
    }
    if daggers {
        let _ = writeln!(
            out,
            "† the floor's results were written more than an hour apart from the bench's: \
             not the same run.\n"
        );
    }

    // Memory, from the record bench's counts.
    let mut memory: Vec<Value> = std::fs::read_dir(dir.join("record"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("nullivote-") && name.ends_with(".json")
        })
        .filter_map(|e| read_json(&e.path()))
        .flat_map(|v| [v["smaller"].clone(), v["record"].clone()])
        .filter(|v| v.is_object())
        .collect();
    memory.sort_by_key(|v| v["voters"].as_u64());
    memory.dedup_by_key(|v| v["voters"].as_u64());
    if !memory.is_empty() {
        let _ = writeln!(
            out,
            "### Memory while reading and verifying a record (`cargo bench --bench record`)\n"
        );
        let _ = writeln!(
            out,
            "| members | cast ballots | record on disk | peak heap | heap / disk | heap per ballot | threads |"
        );
        let _ = writeln!(out, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for v in &memory {
            let bytes = v["record_bytes"].as_f64().unwrap_or(f64::NAN);
            let heap = v["peak_heap_bytes"].as_f64().unwrap_or(f64::NAN);
            let ballots = v["cast_ballots"].as_f64().unwrap_or(f64::NAN);
            let _ = writeln!(
                out,
                "| {} | {} | {:.1} MB | {:.1} MB | {:.2} | {:.0} B | {} |",
                v["voters"],
                v["cast_ballots"],
                bytes / 1e6,
                heap / 1e6,
                heap / bytes,
                heap / ballots,
                v["threads"],
            );
        }
        let _ = writeln!(out);
        let paired: Vec<&Value> = memory
            .iter()
            .filter(|v| v["paired_ratios"].as_array().is_some_and(|r| !r.is_empty()))
            .collect();
        if !paired.is_empty() {
            let _ = writeln!(
                out,
                "Read + verify against its floor measured in pairs (the floor timed just before \
                 and after each run; see benches/record.rs), in wall-clock time (the target's) \
                 and in CPU time (the work done alone, without stolen time or idle cores):\n"
            );
            let _ = writeln!(
                out,
                "| members | pairs | wall: median ratio | least | greatest | CPU time: median ratio | least | greatest | stolen by the host (median) |"
            );
            let _ = writeln!(
                out,
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
            );
            for v in paired {
                let sorted = |key: &str| {
                    let mut r: Vec<f64> = v[key]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_f64)
                        .collect();
                    r.sort_by(f64::total_cmp);
                    r
                };
                // Median, least, greatest; "–" for a figure the bench did not write.
                let cells = |r: &[f64], scale: f64, unit: &str| match r {
                    [] => ["–".to_string(), "–".to_string(), "–".to_string()],
                    _ => [r[r.len() / 2], r[0], r[r.len() - 1]]
                        .map(|x| format!("{:.2}{unit}", x * scale)),
                };
                let wall = sorted("paired_ratios");
                let [w_med, w_least, w_great] = cells(&wall, 1.0, "×");
                let [c_med, c_least, c_great] = cells(&sorted("paired_cpu_ratios"), 1.0, "×");
                let [steal, _, _] = cells(&sorted("paired_steal"), 100.0, " %");
                let _ = writeln!(
                    out,
                    "| {} | {} | {w_med} | {w_least} | {w_great} | {c_med} | {c_least} | {c_great} | {steal} |",
                    v["voters"],
                    wall.len(),
                );
            }
            let _ = writeln!(out);
        }
    }
    print!("{out}");
}
