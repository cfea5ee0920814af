//! Benchmark: desensitization throughput, in documents and megabytes per second.
//!
//! The corpus is the engine's own seeded generator of labelled failure reports
//! (`ticorr_desensitize::evaluation::corpus`, Chinese and English). The engine is built as
//! the platform's privacy service builds it: `Policy::default()` and an `OrgDictionary` of
//! every verified organisation's Chinese and English name — here the demo's registry of
//! about 3,300 organisations, seeded into a scratch database and read with the service's
//! query, plus the names the corpus mentions — and each document gets its own pseudonym key
//! derived from a platform secret. The baselines, measured in the same run over the same
//! text: SHA-256 (MB/s) and one pass of a single regular expression.
//!
//! ```text
//! cargo run --release -p ticorr-bench --bin desensitize
//! cargo run --release -p ticorr-bench --bin desensitize -- --docs 200 --passes 3   # a quick run
//! ```

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use regex::Regex;
use sha2::{Digest as _, Sha256};
use ticorr_bench::report::Report;
use ticorr_bench::timing::{Samples, fmt_duration, fmt_int, fmt_rate, interleaved, repeat};
use ticorr_db::{Db, DbConfig};
use ticorr_desensitize::evaluation::{self, corpus};
use ticorr_desensitize::{Desensitizer, OrgDictionary, Policy, PseudonymKey};
use ticorr_platform::identity::IdentityConfig;

/// The most characters the platform's privacy service accepts in one call: the largest
/// document worth timing.
const MAX_CHARS_PER_CALL: usize = ticorr_platform::privacy::MAX_CHARS;

/// Passes of each baseline before each of the engine's passes; a baseline pass takes
/// about two milliseconds on the default corpus.
const BASELINE_PASSES: usize = 5;

/// Times the corpus is hashed per pass of the parallel-scaling baseline, so that a pass
/// lasts long enough (tens of milliseconds) for thread start-up not to matter.
const HASH_ROUNDS: usize = 20;

/// Times the one-thread and all-threads measurements alternate (see `timing::interleaved`).
const SCALING_ROUNDS: usize = 3;

#[derive(Parser, Debug)]
#[command(
    about = "Desensitization throughput, against SHA-256 and a regex pass over the same text"
)]
struct Args {
    /// Documents generated for the corpus.
    #[arg(long, default_value_t = 2_000)]
    docs: usize,
    /// Timed passes over the corpus (the median is reported).
    #[arg(long, default_value_t = 7)]
    passes: usize,
    /// Seed of the corpus generator.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Print the results without appending them to bench/RESULTS.md.
    #[arg(long)]
    no_record: bool,
}

/// The verified organisations' names, as the privacy service reads them, from the demo
/// dataset seeded into a scratch SQLite database. Returns (organisations, names).
async fn demo_registry() -> anyhow::Result<(usize, Vec<String>)> {
    let dir = tempfile::tempdir()?;
    let db = Db::connect(&DbConfig {
        url: format!("sqlite://{}", dir.path().join("demo.db").display()),
        ..Default::default()
    })
    .await?;
    db.migrate().await?;
    ticorr_demo::seed(&db, &IdentityConfig::default(), &|_, _, _| {}).await?;
    let (orgs, names) = ticorr_platform::privacy::registry(&db).await?;
    db.close().await;
    Ok((orgs as usize, names))
}

/// CJK unified ideographs (the basic block and extension A).
fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// Times `passes` runs of `work` over the documents split in `threads` contiguous parts,
/// one long-lived thread per part, as a server's worker threads are: each thread first makes
/// an untimed warm-up run (regex caches are per thread), then every pass starts all threads
/// together and lasts until the last one finishes.
fn parallel_passes<W>(
    threads: usize,
    passes: usize,
    docs: &[&str],
    ids: &[String],
    work: W,
) -> Samples
where
    W: Fn(&[&str], &[String]) -> usize + Sync,
{
    let chunk = docs.len().div_ceil(threads.max(1)).max(1);
    let parts = docs.len().div_ceil(chunk);
    let passes = passes.max(1);
    let (start, end) = (Barrier::new(parts + 1), Barrier::new(parts + 1));
    std::thread::scope(|s| {
        for (d, i) in docs.chunks(chunk).zip(ids.chunks(chunk)) {
            let (work, start, end) = (&work, &start, &end);
            s.spawn(move || {
                black_box(work(d, i));
                for _ in 0..passes {
                    start.wait();
                    black_box(work(d, i));
                    end.wait();
                }
            });
        }
        let times = (0..passes)
            .map(|_| {
                start.wait();
                let started = Instant::now();
                end.wait();
                started.elapsed()
            })
            .collect();
        Samples::new(times)
    })
}

/// A document is Chinese when ideographs make up at least a third of its non-space
/// characters (English reports quote the odd Chinese name, Chinese ones cite ASTM grades).
fn is_chinese(text: &str) -> bool {
    let (mut han, mut all) = (0usize, 0usize);
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        all += 1;
        han += usize::from(is_han(c));
    }
    han * 3 >= all
}

/// Megabytes (10^6 bytes) per second.
fn mb_per_sec(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / time.as_secs_f64() / 1e6
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(args.docs > 0, "--docs must be at least 1");
    let mut report = Report::new("desensitize");

    eprintln!("seeding the demo registry …");
    let (demo_orgs, demo_names) = demo_registry().await?;
    eprintln!("generating {} documents …", fmt_int(args.docs as u64));
    let corpus = corpus::generate(args.docs, args.seed);
    let docs: Vec<&str> = corpus.docs.iter().map(|d| d.text.as_str()).collect();
    let bytes: usize = docs.iter().map(|d| d.len()).sum();
    let chars: usize = docs.iter().map(|d| d.chars().count()).sum();
    let chinese: Vec<bool> = docs.iter().map(|d| is_chinese(d)).collect();
    let n_chinese = chinese.iter().filter(|&&c| c).count();
    let mut names = demo_names;
    names.extend(corpus.registry.iter().cloned());
    let dictionary_len = OrgDictionary::new(&names).len();

    report.setup(
        "corpus",
        format!(
            "{} synthetic failure reports from `evaluation::corpus::generate(_, {})`: {} Chinese, {} English; {:.2} MB, {} characters, {} bytes per document on average",
            fmt_int(docs.len() as u64),
            args.seed,
            fmt_int(n_chinese as u64),
            fmt_int((docs.len() - n_chinese) as u64),
            bytes as f64 / 1e6,
            fmt_int(chars as u64),
            fmt_int((bytes / docs.len()) as u64),
        ),
    );
    report.setup(
        "engine",
        format!(
            "`Policy::default()`, `OrgDictionary` of {} distinct names: the demo's {} verified organisations (Chinese and English names, read as the privacy service reads them) and the corpus's {} organisations; a per-document pseudonym key (`PseudonymKey::for_document`), one thread unless stated",
            fmt_int(dictionary_len as u64),
            fmt_int(demo_orgs as u64),
            fmt_int(corpus.registry.len() as u64),
        ),
    );

    // Building the engine: the service does it at start and whenever the registry grows.
    let builds = repeat(5, || {
        Desensitizer::new(Policy::default(), OrgDictionary::new(&names))
    });
    let engine = Desensitizer::new(Policy::default(), OrgDictionary::new(&names))?;
    report.figure(
        "engine construction",
        format!("median {}", fmt_duration(builds.median())),
        format!(
            "`Desensitizer::new` with the {} names; median of 5",
            fmt_int(dictionary_len as u64)
        ),
    );

    let secret = PseudonymKey::new(b"ticorr benchmark platform pseudonym secret".to_vec());
    let ids: Vec<String> = (0..docs.len())
        .map(|i| format!("bench-document-{i}"))
        .collect();
    let desensitize_all = |docs: &[&str], ids: &[String]| {
        let mut redactions = 0usize;
        for (text, id) in docs.iter().zip(ids) {
            let key = PseudonymKey::for_document(&secret, id);
            redactions += black_box(engine.desensitize_text(text, &key))
                .redactions
                .len();
        }
        redactions
    };

    // Baselines over the same text, measured in alternation with the engine's passes.
    // `black_box(&docs)`: the optimizer must not see that every pass hashes the same text.
    let sha_pass = || {
        black_box(&docs)
            .iter()
            .map(|d| Sha256::digest(d.as_bytes())[0])
            .fold(0u8, |a, b| a ^ b)
    };
    let mobile = Regex::new(r"1[3-9][0-9]{9}")?;
    let regex_pass = || {
        black_box(&docs)
            .iter()
            .map(|d| mobile.find_iter(d).count())
            .sum::<usize>()
    };

    // The engine over the corpus, each timed pass preceded by passes of both baselines.
    let rounds = args.passes.max(2);
    eprintln!("desensitizing the corpus ({rounds} timed passes) …");
    let redactions = desensitize_all(&docs, &ids); // warm-up, and the redaction count
    ensure!(
        redactions > 0,
        "the engine redacted nothing: the corpus or the engine is broken"
    );
    let (mut sha_rounds, mut regex_rounds, mut engine_rounds) =
        (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        sha_rounds.push(repeat(BASELINE_PASSES, sha_pass));
        regex_rounds.push(repeat(BASELINE_PASSES, regex_pass));
        engine_rounds.push(repeat(1, || desensitize_all(&docs, &ids)));
    }
    let pool = |rounds: &[Samples]| {
        rounds
            .iter()
            .skip(1)
            .fold(rounds[0].clone(), |all, r| all.pooled(r))
    };
    let (half, sha, regex_pass) = (rounds / 2, pool(&sha_rounds), pool(&regex_rounds));
    let drift = pool(&sha_rounds[..half]).median().as_secs_f64()
        / pool(&sha_rounds[half..]).median().as_secs_f64();
    let passes = pool(&engine_rounds);
    let pass = passes.median();
    let docs_per_sec = docs.len() as f64 / pass.as_secs_f64();
    let engine_mb = mb_per_sec(bytes, pass);
    report.figure(
        "desensitize, whole corpus",
        fmt_rate(docs_per_sec, "docs/s"),
        format!(
            "{:.2} MB/s, {}; median pass {} (fastest {}, slowest {}) of {}; {:.1} redactions per document",
            engine_mb,
            fmt_rate(chars as f64 / pass.as_secs_f64(), "chars/s"),
            fmt_duration(pass),
            fmt_duration(passes.min()),
            fmt_duration(passes.max()),
            passes.len(),
            redactions as f64 / docs.len() as f64
        ),
    );

    // Each document on its own, by language: latency and throughput per language.
    let mut per_doc: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    let mut lang_bytes = [0usize; 2];
    for ((text, id), &zh) in docs.iter().zip(&ids).zip(&chinese) {
        let started = Instant::now();
        let key = PseudonymKey::for_document(&secret, id);
        black_box(engine.desensitize_text(text, &key));
        per_doc[usize::from(zh)].push(started.elapsed());
        lang_bytes[usize::from(zh)] += text.len();
    }
    for (lang, label) in [(1usize, "Chinese"), (0, "English")] {
        if per_doc[lang].is_empty() {
            continue;
        }
        let times = Samples::new(std::mem::take(&mut per_doc[lang]));
        report.figure(
            format!("desensitize, {label} documents"),
            fmt_rate(times.len() as f64 / times.total().as_secs_f64(), "docs/s"),
            format!(
                "{:.2} MB/s; per document median {}, p99 {}, max {} ({} documents, {} bytes on average)",
                mb_per_sec(lang_bytes[lang], times.total()),
                fmt_duration(times.median()),
                fmt_duration(times.percentile(99.0)),
                fmt_duration(times.max()),
                fmt_int(times.len() as u64),
                fmt_int((lang_bytes[lang] / times.len()) as u64),
            ),
        );
    }

    report.baseline(
        "SHA-256 over the corpus",
        format!("{:.0} MB/s", mb_per_sec(bytes, sha.median())),
        format!(
            "each document hashed once; median pass {} of {}, {BASELINE_PASSES} before each of the engine's passes",
            fmt_duration(sha.median()),
            sha.len()
        ),
    );
    report.baseline(
        "one regex pass over the corpus",
        format!("{:.0} MB/s", mb_per_sec(bytes, regex_pass.median())),
        format!(
            "`1[3-9][0-9]{{9}}` (mobile numbers), `find_iter` over each document; median pass {} of {}, likewise",
            fmt_duration(regex_pass.median()),
            regex_pass.len()
        ),
    );

    // All cores, the engine shared as the service shares it; next to it, how well this
    // machine scales plain hashing of the same text over its cores.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parallel = if threads > 1 {
        eprintln!("desensitizing the corpus on {threads} threads …");
        let hash_rounds = |d: &[&str], _: &[String]| {
            (0..HASH_ROUNDS)
                .map(|_| {
                    // Opaque to the optimizer, so no round can be hoisted out of the loop.
                    black_box(d)
                        .iter()
                        .map(|t| usize::from(Sha256::digest(t)[0]))
                        .sum::<usize>()
                })
                .sum::<usize>()
        };
        let (hash_one, hash_all) = interleaved(
            SCALING_ROUNDS,
            || parallel_passes(1, args.passes, &docs, &ids, hash_rounds),
            || parallel_passes(threads, args.passes, &docs, &ids, hash_rounds),
        );
        let machine = hash_one.median().as_secs_f64() / hash_all.median().as_secs_f64();
        eprintln!(
            "  hashing: {} on 1 thread, {} on {threads}",
            fmt_duration(hash_one.median()),
            fmt_duration(hash_all.median())
        );
        report.baseline(
            format!("SHA-256 over the corpus, {threads} threads ÷ 1"),
            format!("{machine:.2}× the throughput"),
            format!(
                "the corpus hashed {HASH_ROUNDS} times per pass, split in {threads} parts on as many threads, against the same on one thread, the two alternating {SCALING_ROUNDS} times; median of {}",
                hash_all.len()
            ),
        );
        let (one, timed) = interleaved(
            SCALING_ROUNDS,
            || parallel_passes(1, args.passes, &docs, &ids, desensitize_all),
            || parallel_passes(threads, args.passes, &docs, &ids, desensitize_all),
        );
        let rate = docs.len() as f64 / timed.median().as_secs_f64();
        report.figure(
            format!("desensitize, whole corpus on {threads} threads"),
            fmt_rate(rate, "docs/s"),
            format!(
                "{:.2} MB/s; one shared engine, the corpus split in {threads} parts on long-lived threads, alternating {SCALING_ROUNDS} times with one thread; median of {}",
                mb_per_sec(bytes, timed.median()),
                timed.len()
            ),
        );
        Some((
            one.median().as_secs_f64() / timed.median().as_secs_f64(),
            machine,
        ))
    } else {
        None
    };

    // Long documents, up to the largest one call accepts: does the cost grow linearly?
    let mut joined = String::new();
    for text in docs.iter().cycle() {
        if joined.chars().count() >= MAX_CHARS_PER_CALL {
            break;
        }
        joined.push_str(text);
        joined.push_str("\n\n");
    }
    let large_key = PseudonymKey::for_document(&secret, "bench-large-document");
    let mut large_mb = 0.0;
    for chars in [
        MAX_CHARS_PER_CALL / 8,
        MAX_CHARS_PER_CALL / 2,
        MAX_CHARS_PER_CALL,
    ] {
        let large: String = joined.chars().take(chars).collect();
        eprintln!(
            "desensitizing one document of {} characters …",
            fmt_int(chars as u64)
        );
        let times = repeat(3, || {
            engine.desensitize_text(&large, &large_key).redactions.len()
        });
        large_mb = mb_per_sec(large.len(), times.median());
        report.figure(
            format!(
                "desensitize, one {}-character document",
                fmt_int(chars as u64)
            ),
            format!("median {}", fmt_duration(times.median())),
            format!(
                "{:.2} MB/s; corpus documents joined ({:.2} MB); median of 3",
                large_mb,
                large.len() as f64 / 1e6
            ),
        );
    }

    // That the engine measured is the one that works: its scores on this corpus.
    let scores = evaluation::evaluate(&engine, &corpus.docs, args.seed);
    report.figure(
        "quality on this corpus (not timed)",
        format!(
            "recall {:.3}, precision {:.3}",
            scores.overall.recall(),
            scores.overall.precision()
        ),
        format!(
            "`evaluation::evaluate`; {} technical tokens altered, {} near misses redacted",
            scores.technical_altered, scores.near_misses_redacted
        ),
    );

    // Ratios against the baselines.
    report.ratio(
        "desensitize MB/s ÷ SHA-256 MB/s",
        engine_mb / mb_per_sec(bytes, sha.median()),
        format!(
            "desensitizing a document costs as much as hashing it {:.0} times",
            pass.as_secs_f64() / sha.median().as_secs_f64()
        ),
    );
    report.ratio(
        "desensitize pass ÷ one regex pass",
        pass.as_secs_f64() / regex_pass.median().as_secs_f64(),
        "the engine costs as much as this many passes of a single regex over the text",
    );
    report.ratio(
        format!(
            "{}-character document MB/s ÷ corpus MB/s",
            fmt_int(MAX_CHARS_PER_CALL as u64)
        ),
        large_mb / engine_mb,
        "about 1 when cost grows linearly with length; below 1 means superlinear",
    );
    if let Some((scaling, machine)) = parallel {
        report.ratio(
            format!("desensitize docs/s on {threads} threads ÷ on 1"),
            scaling,
            format!("both on warmed, long-lived threads; {threads} would be perfect scaling"),
        );
        report.ratio(
            "that scaling ÷ the machine's scaling of SHA-256",
            scaling / machine,
            "below 1: the engine gains less from more cores than hashing the same text does",
        );
    }
    report.ratio(
        "SHA-256 MB/s, second half of the run ÷ first half",
        drift,
        "drift of the machine during the run; far from 1 means a noisy run",
    );
    if cfg!(debug_assertions) {
        report.note("**Unoptimized build: these figures say nothing about production.**");
    }
    report.finish(!args.no_record)?;
    Ok(())
}
