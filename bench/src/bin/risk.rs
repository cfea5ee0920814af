//! Benchmark: risk assessments per second on one core.
//!
//! Loads `refdata/risk_model.json` as the product does (with `risk_inputs.json` and
//! `risk_model_zh.json`), generates `--inputs` (default
//! 10,000) sets of conditions with a seeded generator — every declared input present with
//! probability 0.8, numbers drawn around the thresholds the rule file compares them with,
//! so every boundary is crossed and many mechanisms are incomplete — and times, on one
//! thread:
//!
//! - **baseline**: parsing each set's JSON request body into a `serde_json::Value`, the
//!   least any API call does with it;
//! - reading the body's inputs against the declared ones (`RuleSet::read_inputs`), as the
//!   API does, then assessing (`RuleSet::assess`, all twelve mechanisms);
//! - the assessment alone.
//!
//! ```text
//! cargo run --release -p ticorr-bench --bin risk
//! cargo run --release -p ticorr-bench --bin risk -- --inputs 1000 --passes 3 --no-record
//! ```

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use serde_json::{Map, Value as Json, json};
use ticorr_bench::report::Report;
use ticorr_bench::timing::{Sampler, Samples, fmt_duration, fmt_int, fmt_rate, repeat};
use ticorr_risk::{Cof, Kind, RuleSet};

const RULE_FILE: &[u8] = include_bytes!("../../../refdata/risk_model.json");
const BOUNDS: &[u8] = include_bytes!("../../../refdata/risk_inputs.json");
const CHINESE: &[u8] = include_bytes!("../../../refdata/risk_model_zh.json");

/// The rule set as the platform loads it: with the inputs' limits and the Chinese wording.
fn load() -> Result<RuleSet, ticorr_risk::RuleSetError> {
    RuleSet::load(RULE_FILE)?
        .with_bounds(BOUNDS)?
        .with_chinese(CHINESE)
}

#[derive(Parser, Debug)]
#[command(about = "Risk assessments per second on one core, against parsing the request body")]
struct Args {
    /// Sets of conditions generated.
    #[arg(long, default_value_t = 10_000)]
    inputs: usize,
    /// Timed passes over all sets (the median is reported).
    #[arg(long, default_value_t = 7)]
    passes: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Print the results without appending them to bench/RESULTS.md.
    #[arg(long)]
    no_record: bool,
}

/// One request body: each declared input with probability 0.8.
/// `thresholds`: each numeric input's thresholds, read once from the rule set.
fn body(
    rs: &RuleSet,
    thresholds: &BTreeMap<String, Vec<f64>>,
    sampler: &mut Sampler,
) -> Map<String, Json> {
    let mut out = Map::new();
    for spec in &rs.inputs {
        if sampler.below(10) >= 8 {
            continue;
        }
        let pick = |sampler: &mut Sampler, n: usize| sampler.below(n as u64) as usize;
        let value = match &spec.kind {
            Kind::Bool => json!(sampler.below(2) == 1),
            Kind::Enum(values) | Kind::Grade(values) => json!(values[pick(sampler, values.len())]),
            Kind::Text => json!("other"),
            Kind::Number => {
                let thresholds = &thresholds[&spec.name];
                if thresholds.is_empty() {
                    json!(sampler.below(100))
                } else {
                    let t = thresholds[pick(sampler, thresholds.len())];
                    let step = (t.abs() * 0.05).max(0.01);
                    let x = t + step * (sampler.below(3) as f64 - 1.0);
                    // Within the input's physical limits, as a real request would be.
                    json!(spec.bounds.as_ref().map_or(x, |b| x.clamp(b.min, b.max)))
                }
            }
        };
        out.insert(spec.name.clone(), value);
    }
    out
}

fn per_item(pass: Duration, n: usize) -> Duration {
    pass / n as u32
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(args.inputs > 0, "--inputs must be at least 1");
    let mut report = Report::new("risk");

    let loads = repeat(20, load);
    let rs = load()?;
    let thresholds: BTreeMap<String, Vec<f64>> = rs
        .inputs
        .iter()
        .map(|i| (i.name.clone(), rs.thresholds(&i.name)))
        .collect();
    let mut sampler = Sampler::new(args.seed);
    let bodies: Vec<String> = (0..args.inputs)
        .map(|_| Json::Object(body(&rs, &thresholds, &mut sampler)).to_string())
        .collect();
    let bytes: usize = bodies.iter().map(String::len).sum();
    report.setup(
        "rule set",
        format!(
            "`refdata/risk_model.json` version {} ({} bytes, sha256 {}…): {} inputs, {} mechanisms, {} rules, {} adjustments",
            rs.version,
            RULE_FILE.len(),
            &rs.sha256[..12],
            rs.inputs.len(),
            rs.mechanisms.len(),
            rs.mechanisms.iter().map(|m| m.rules.len()).sum::<usize>(),
            rs.mechanisms.iter().map(|m| m.adjust.len()).sum::<usize>(),
        ),
    );
    report.setup(
        "inputs",
        format!(
            "{} generated request bodies (seed {}), each declared input present with probability 0.8, numbers at, just below and just above the thresholds the rules use (within the inputs' physical limits); {} bytes per body on average; one thread",
            fmt_int(bodies.len() as u64),
            args.seed,
            bytes / bodies.len()
        ),
    );

    let parsed: Vec<Map<String, Json>> = bodies
        .iter()
        .map(|b| serde_json::from_str::<Map<String, Json>>(b))
        .collect::<Result<_, _>>()?;
    let inputs: Vec<_> = parsed
        .iter()
        .map(|p| rs.read_inputs(p))
        .collect::<Result<_, _>>()?;
    let sample = inputs.iter().map(|i| rs.assess(i, Cof::C));
    let (mut incomplete, mut grades) = (0usize, [0usize; 4]);
    for a in sample {
        incomplete += usize::from(a.incomplete);
        grades[a.risk_grade as usize] += 1;
    }

    // The three measurements take turns, pass by pass.
    let (mut parse, mut api, mut assess) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..args.passes.max(1) {
        parse.push(repeat(1, || {
            bodies
                .iter()
                .map(|b| {
                    serde_json::from_str::<Json>(black_box(b))
                        .map_or(0, |v| usize::from(v.is_object()))
                })
                .sum::<usize>()
        }));
        api.push(repeat(1, || {
            bodies
                .iter()
                .filter_map(|b| serde_json::from_str::<Map<String, Json>>(black_box(b)).ok())
                .filter_map(|m| rs.read_inputs(&m).ok())
                .map(|i| rs.assess(&i, Cof::C).pof_category as usize)
                .sum::<usize>()
        }));
        assess.push(repeat(1, || {
            inputs
                .iter()
                .map(|i| rs.assess(black_box(i), Cof::C).pof_category as usize)
                .sum::<usize>()
        }));
    }
    let pool = |runs: Vec<Samples>| {
        runs.iter()
            .skip(1)
            .fold(runs[0].clone(), |a, r| a.pooled(r))
    };
    let (parse, api, assess) = (pool(parse), pool(api), pool(assess));
    let n = bodies.len();

    // Latency of single assessments.
    let mut single = Vec::with_capacity(n);
    for i in &inputs {
        let started = Instant::now();
        black_box(rs.assess(i, Cof::C));
        single.push(started.elapsed());
    }
    let single = Samples::new(single);

    report.baseline(
        "parsing the request body (serde_json)",
        fmt_rate(n as f64 / parse.median().as_secs_f64(), "bodies/s"),
        format!(
            "{} per body; median pass of {}",
            fmt_duration(per_item(parse.median(), n)),
            parse.len()
        ),
    );
    report.figure(
        "rule file: load and check",
        format!("median {}", fmt_duration(loads.median())),
        "`RuleSet::load` with the inputs' limits and the Chinese wording, done once at start; median of 20",
    );
    report.figure(
        "assess, one core",
        fmt_rate(n as f64 / assess.median().as_secs_f64(), "assessments/s"),
        format!(
            "{} per assessment (12 mechanisms); single calls p50 {}, p99 {}; {} of {} incomplete; grades I–IV: {} / {} / {} / {}",
            fmt_duration(per_item(assess.median(), n)),
            fmt_duration(single.median()),
            fmt_duration(single.percentile(99.0)),
            fmt_int(incomplete as u64),
            fmt_int(n as u64),
            grades[0],
            grades[1],
            grades[2],
            grades[3]
        ),
    );
    report.figure(
        "parse, read inputs and assess, one core",
        fmt_rate(n as f64 / api.median().as_secs_f64(), "requests/s"),
        format!(
            "what `POST /api/v1/risk/assess` computes per request; {} each",
            fmt_duration(per_item(api.median(), n))
        ),
    );
    report.ratio(
        "assessment ÷ parsing its body",
        assess.median().as_secs_f64() / parse.median().as_secs_f64(),
        "how many body parses one assessment costs",
    );
    report.ratio(
        "parse + read + assess ÷ parsing alone",
        api.median().as_secs_f64() / parse.median().as_secs_f64(),
        "the engine's share of a request's CPU beyond the unavoidable parse",
    );
    report.finish(!args.no_record)?;
    Ok(())
}
