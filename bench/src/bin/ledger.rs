//! Benchmark: the ledger as the product stores it.
//!
//! Builds a log of `--entries` (default 10^6) anchored organisation decisions in a fresh
//! database through `ticorr_platform::ledger::anchor` — the function every anchoring write
//! calls inside its own transaction — then, at that size, times inclusion proofs,
//! consistency proofs and roots through the platform's public functions, and verifies every
//! proof with the engine's RFC 9162 verifier. Next to it, in the same run: raw SHA-256 on
//! inputs the size of a tree node and of a leaf (the baseline of every ratio), and the
//! engine's in-memory tree over the same leaves (the cost of the arithmetic alone).
//!
//! ```text
//! cargo run --release -p ticorr-bench --bin ledger                      # 10^6 entries, SQLite
//! cargo run --release -p ticorr-bench --bin ledger -- --entries 10000   # a quick run
//! cargo run --release -p ticorr-bench --bin ledger -- --postgres postgres://postgres@127.0.0.1:5432/test
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use clap::Parser;
use ticorr_bench::report::{Report, filesystem_of};
use ticorr_bench::timing::{
    HashBaseline, Sampler, Samples, fmt_duration, fmt_int, fmt_rate, repeat, sha256_baseline,
};
use ticorr_db::{Db, DbConfig};
use ticorr_kernel::{Clock, OrgId, OrgKind, OrgStatus, Timestamp};
use ticorr_ledger::{Hash, LeafEntry, MemoryTree, verify_consistency, verify_inclusion};
use ticorr_platform::identity::orgs::{self, Organization};
use ticorr_platform::ledger;

/// Fixes which leaves and sizes are proved, so runs are comparable.
const SEED: u64 = 0x7469_636f_7272_0b01;

#[derive(Parser, Debug)]
#[command(
    about = "Ledger appends and proofs at 10^6 entries, against raw SHA-256 measured in the same run"
)]
struct Args {
    /// Entries in the log to build and prove against.
    #[arg(long, default_value_t = 1_000_000)]
    entries: u64,
    /// Entries anchored per transaction while building (the platform's bulk anchoring uses 1,000).
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// Random leaves to prove, and random earlier sizes to prove consistency from.
    #[arg(long, default_value_t = 1_000)]
    proofs: usize,
    /// Single-entry transactions to time after the build (each commits on its own).
    #[arg(long, default_value_t = 500)]
    singles: usize,
    /// Run against this PostgreSQL server, in a fresh schema dropped afterwards, instead of
    /// a SQLite file.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
    /// Where to create the temporary directory holding the SQLite file (default: the
    /// system's temporary directory). Its file system is part of what is measured.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Print the results without appending them to bench/RESULTS.md.
    #[arg(long)]
    no_record: bool,
}

/// The database under test and what removes it afterwards.
struct Database {
    db: Db,
    description: String,
    dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl Database {
    async fn open(args: &Args) -> anyhow::Result<Database> {
        match &args.postgres {
            None => {
                let dir = match &args.dir {
                    Some(d) => tempfile::tempdir_in(d)?,
                    None => tempfile::tempdir()?,
                };
                let path = dir.path().join("ledger.db");
                let db = Db::connect(&DbConfig {
                    url: format!("sqlite://{}", path.display()),
                    ..Default::default()
                })
                .await?;
                db.migrate().await?;
                let description = format!(
                    "SQLite file opened as `ticorr serve` opens it (WAL, synchronous=FULL), on {} ({})",
                    filesystem_of(dir.path()),
                    dir.path().display()
                );
                Ok(Database {
                    db,
                    description,
                    dir: Some(dir),
                    postgres: None,
                })
            }
            Some(url) => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos());
                let schema = format!("bench_ledger_{}_{nanos}", std::process::id());
                let db = Db::connect(&DbConfig {
                    url: url.clone(),
                    schema: schema.clone(),
                    ..Default::default()
                })
                .await?;
                db.migrate().await?;
                let version: String = sqlx::query_scalar("SELECT version()")
                    .fetch_one(db.pool())
                    .await?;
                let version = version.split(" on ").next().unwrap_or(&version).to_owned();
                Ok(Database {
                    db,
                    description: format!("{version}, fresh schema `{schema}` (dropped afterwards)"),
                    dir: None,
                    postgres: Some((url.clone(), schema)),
                })
            }
        }
    }

    /// Bytes the log occupies, and what was counted.
    async fn bytes(&self) -> anyhow::Result<(u64, &'static str)> {
        if let Some(dir) = &self.dir {
            let mut total = 0;
            for entry in std::fs::read_dir(dir.path())? {
                total += entry?.metadata()?.len();
            }
            return Ok((total, "the SQLite database and its write-ahead log"));
        }
        let bytes: i64 = sqlx::query_scalar(
            "SELECT pg_total_relation_size('ledger_entries') + pg_total_relation_size('ledger_nodes')",
        )
        .fetch_one(self.db.pool())
        .await?;
        Ok((
            bytes as u64,
            "the ledger's entry and node tables with their indexes",
        ))
    }

    async fn close(self) -> anyhow::Result<()> {
        self.db.close().await;
        if let Some((url, schema)) = self.postgres {
            let admin = Db::connect(&DbConfig {
                url,
                max_connections: 1,
                ..Default::default()
            })
            .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE"
            )))
            .execute(admin.pool())
            .await?;
            admin.close().await;
        }
        drop(self.dir);
        Ok(())
    }
}

/// The `i`-th organisation decision anchored while building: a verified enterprise, in the
/// shape the platform anchors when the operator verifies an organisation.
fn organization(i: u64, at: Timestamp) -> Organization {
    let kinds = OrgKind::ALL;
    Organization {
        id: OrgId::new(),
        kind: kinds[(i % kinds.len() as u64) as usize],
        name: format!("基准钛材换热设备有限公司{i:07}"),
        name_en: Some(format!(
            "Benchmark Titanium Heat Exchanger Co., Ltd. {i:07}"
        )),
        uscc: None,
        region_code: "320500".into(),
        industry_code: Some("2612".into()),
        address: None,
        status: OrgStatus::Verified,
        status_reason: None,
        created_at: at,
        reviewed_at: Some(at),
    }
}

/// The leaf the platform should append for `org`'s first anchoring, computed with the
/// engine alone, to check the stored log against.
fn expected_leaf(org: &Organization) -> anyhow::Result<Hash> {
    let anchor = org.ledger_anchor();
    Ok(
        LeafEntry::for_record(anchor.record_type, &anchor.record_id, 1, &anchor.record)?
            .leaf_hash(),
    )
}

/// Anchors `orgs` in one write transaction, as the platform does, and returns the time from
/// `BEGIN` to `COMMIT` returning.
async fn anchor_in_transaction(
    db: &Db,
    now: Timestamp,
    orgs: &[Organization],
    first_index: u64,
) -> anyhow::Result<Duration> {
    let anchors: Vec<_> = orgs.iter().map(Organization::ledger_anchor).collect();
    let started = Instant::now();
    let mut tx = db.begin().await?;
    let refs = ledger::anchor(&mut tx, now, &anchors).await?;
    tx.commit().await?;
    let took = started.elapsed();
    ensure!(
        refs.first().map(|r| r.index) == Some(first_index),
        "anchored at {:?}, expected index {first_index}",
        refs.first()
    );
    Ok(took)
}

/// What building the log measured.
struct Build {
    /// Time spent inside the anchoring transactions.
    in_transactions: Duration,
    /// Wall-clock time of the whole build, record preparation included.
    wall: Duration,
    /// Entries and transaction time of each tenth of the build.
    tenths: Vec<(u64, Duration)>,
    /// The leaf hashes, computed independently of the database.
    leaves: Vec<Hash>,
}

async fn build(db: &Db, n: u64, batch: usize, now: Timestamp) -> anyhow::Result<Build> {
    let batch = batch.max(1) as u64;
    let mut leaves = Vec::with_capacity(n as usize);
    let mut tenths = vec![(0u64, Duration::ZERO); 10];
    let mut in_transactions = Duration::ZERO;
    let started = Instant::now();
    let mut last_report = Instant::now();
    let mut reported_done = 0u64;
    let mut reported_time = Duration::ZERO;
    let mut done = 0u64;
    while done < n {
        let k = batch.min(n - done);
        let orgs: Vec<Organization> = (done..done + k).map(|i| organization(i, now)).collect();
        for org in &orgs {
            leaves.push(expected_leaf(org)?);
        }
        let took = anchor_in_transaction(db, now, &orgs, done).await?;
        in_transactions += took;
        let tenth = &mut tenths[((done * 10) / n) as usize];
        tenth.0 += k;
        tenth.1 += took;
        done += k;
        if last_report.elapsed() >= Duration::from_secs(10) || done == n {
            let rate =
                (done - reported_done) as f64 / (in_transactions - reported_time).as_secs_f64();
            let eta = Duration::from_secs_f64((n - done) as f64 / rate.max(1.0));
            eprintln!(
                "  built {} / {} entries ({:.0} %), {} over the last stretch{}",
                fmt_int(done),
                fmt_int(n),
                done as f64 * 100.0 / n as f64,
                fmt_rate(rate, "appends/s"),
                if done < n {
                    format!(", about {} to go", fmt_duration(eta))
                } else {
                    String::new()
                },
            );
            last_report = Instant::now();
            reported_done = done;
            reported_time = in_transactions;
        }
    }
    Ok(Build {
        in_transactions,
        wall: started.elapsed(),
        tenths,
        leaves,
    })
}

/// `ceil(log2 n)`: the length of the longest audit path in a tree of `n` leaves.
fn log2_ceil(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// The three SHA-256 baselines: tree-node inputs, leaf inputs, bulk.
struct Baselines {
    node: HashBaseline,
    leaf: HashBaseline,
    bulk: HashBaseline,
}

/// Runs per baseline measurement; each run hashes for about 10 ms.
const BASELINE_RUNS: usize = 21;

impl Baselines {
    fn measure(leaf_len: usize) -> Baselines {
        Baselines {
            node: sha256_baseline(65, 100_000, BASELINE_RUNS),
            leaf: sha256_baseline(leaf_len, 100_000, BASELINE_RUNS),
            bulk: sha256_baseline(1 << 20, 16, BASELINE_RUNS),
        }
    }

    fn pooled(&self, later: &Baselines) -> Baselines {
        Baselines {
            node: self.node.pooled(&later.node),
            leaf: self.leaf.pooled(&later.leaf),
            bulk: self.bulk.pooled(&later.bulk),
        }
    }

    fn rows(&self, report: &mut Report) {
        let how = format!(
            "median of {} chained runs, half at the start of the run and half at the end",
            self.node.runs.len()
        );
        for (what, b) in [("tree node", &self.node), ("leaf", &self.leaf)] {
            report.baseline(
                format!("raw SHA-256, {}-byte inputs ({what})", b.input_len),
                fmt_rate(b.hashes_per_sec(), "hashes/s"),
                format!(
                    "{} per hash, {:.0} MB/s; {how}",
                    fmt_duration(b.per_hash()),
                    b.mb_per_sec()
                ),
            );
        }
        report.baseline(
            "raw SHA-256, 1 MiB inputs",
            format!("{:.0} MB/s", self.bulk.mb_per_sec()),
            "bulk throughput of the same implementation",
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(args.entries >= 2, "--entries must be at least 2");
    let database = Database::open(&args).await?;
    let result = run(&args, &database).await;
    database.close().await?;
    let report = result?;
    report.finish(!args.no_record)?;
    Ok(())
}

async fn run(args: &Args, database: &Database) -> anyhow::Result<Report> {
    let db = &database.db;
    let n = args.entries;
    let now = Clock::system().now();
    let mut report = Report::new("ledger");
    report.setup("database", database.description.clone());
    report.setup(
        "log",
        format!(
            "{} anchored organisation decisions (`{}` records, as the operator's verification anchors them), built with `ticorr_platform::ledger::anchor`",
            fmt_int(n),
            orgs::LEDGER_TYPE
        ),
    );

    // The baseline first; it is measured again at the end, and the two are pooled.
    let leaf_len = 1 + LeafEntry::for_record(
        orgs::LEDGER_TYPE,
        &OrgId::new().to_string(),
        1,
        &organization(0, now).ledger_record(),
    )?
    .to_leaf_data()
    .len();
    eprintln!("measuring raw SHA-256 …");
    let at_start = Baselines::measure(leaf_len);
    let log_n = log2_ceil(n);

    // The build.
    eprintln!(
        "building a log of {} entries, {} per transaction …",
        fmt_int(n),
        fmt_int(args.batch as u64)
    );
    let built = build(db, n, args.batch, now).await?;
    let size = ledger::size(db).await?;
    ensure!(size == n, "the log holds {size} entries, not {n}");
    let append_rate = n as f64 / built.in_transactions.as_secs_f64();
    report.figure(
        format!("append, {} per transaction", fmt_int(args.batch as u64)),
        fmt_rate(append_rate, "appends/s"),
        format!(
            "{} entries in {} of transactions ({} wall clock with record preparation)",
            fmt_int(n),
            fmt_duration(built.in_transactions),
            fmt_duration(built.wall)
        ),
    );
    let first = built.tenths[0];
    let last = built.tenths[9];
    report.figure(
        "append, first tenth of the build",
        fmt_rate(first.0 as f64 / first.1.as_secs_f64(), "appends/s"),
        format!("the first {} entries", fmt_int(first.0)),
    );
    report.figure(
        "append, last tenth of the build",
        fmt_rate(last.0 as f64 / last.1.as_secs_f64(), "appends/s"),
        format!("the last {} entries", fmt_int(last.0)),
    );
    let (bytes, what) = database.bytes().await?;
    report.figure(
        "storage",
        format!("{:.0} bytes/entry", bytes as f64 / n as f64),
        format!("{:.1} MB: {what}", bytes as f64 / 1e6),
    );

    // Roots: the database's must be the engine's over the same leaves.
    eprintln!("building the in-memory tree over the same leaves …");
    let mut tree = MemoryTree::new();
    let started = Instant::now();
    for leaf_hash in &built.leaves {
        tree.append_leaf_hash(*leaf_hash);
    }
    let memory_build = started.elapsed();
    let root = {
        let mut conn = db.pool().acquire().await?;
        ledger::root_at(&mut conn, n).await?
    };
    ensure!(
        root == tree.root(),
        "the stored log's root differs from the engine's root over the same leaves"
    );

    // Inclusion proofs at size n.
    eprintln!(
        "timing {} inclusion proofs at size {} …",
        args.proofs,
        fmt_int(n)
    );
    let mut sampler = Sampler::new(SEED);
    let indices: Vec<u64> = (0..args.proofs.max(1)).map(|_| sampler.below(n)).collect();
    for &i in indices.iter().take(10) {
        ledger::inclusion_proof(db, i, n).await?; // warm the pool and the page cache
    }
    let mut proof_times = Vec::with_capacity(indices.len());
    let mut proofs = Vec::with_capacity(indices.len());
    for &i in &indices {
        let started = Instant::now();
        let proof = ledger::inclusion_proof(db, i, n).await?;
        proof_times.push(started.elapsed());
        proofs.push(proof);
    }
    let proof_times = Samples::new(proof_times);
    // Verification, outside the timed part: the stored leaf must be the one anchored, and the
    // engine's verifier must accept the proof against the root.
    let mut verify_times = Vec::with_capacity(indices.len());
    let mut path_len = 0usize;
    for (&i, proof) in indices.iter().zip(&proofs) {
        let stored = ledger::entry(db, i).await?.leaf_hash();
        ensure!(
            stored == built.leaves[i as usize],
            "entry {i} is not the leaf anchored"
        );
        let started = Instant::now();
        let verified = verify_inclusion(&stored, i, n, proof, &root);
        verify_times.push(started.elapsed());
        verified.with_context(|| format!("the inclusion proof of entry {i} does not verify"))?;
        path_len += proof.len();
    }
    let verify_times = Samples::new(verify_times);
    report.figure(
        format!("inclusion proof at size {}", fmt_int(n)),
        format!("median {}", fmt_duration(proof_times.median())),
        format!(
            "p99 {}, max {}; `ledger::inclusion_proof` for {} random leaves, {:.1} hashes each, every one verified",
            fmt_duration(proof_times.percentile(99.0)),
            fmt_duration(proof_times.max()),
            fmt_int(indices.len() as u64),
            path_len as f64 / indices.len() as f64
        ),
    );
    report.figure(
        "inclusion proof verification",
        format!("median {}", fmt_duration(verify_times.median())),
        format!(
            "p99 {}; `ticorr_ledger::verify_inclusion`, pure computation",
            fmt_duration(verify_times.percentile(99.0))
        ),
    );

    // Consistency proofs from random earlier sizes to n, and roots at those sizes.
    eprintln!("timing {} consistency proofs …", args.proofs);
    let olds: Vec<u64> = (0..args.proofs.max(1))
        .map(|_| 1 + sampler.below(n - 1))
        .collect();
    let mut consistency_times = Vec::with_capacity(olds.len());
    let mut root_times = Vec::with_capacity(olds.len());
    let mut consistency_len = 0usize;
    for &old in &olds {
        let started = Instant::now();
        let proof = ledger::consistency_proof(db, old, n).await?;
        consistency_times.push(started.elapsed());
        let started = Instant::now();
        let old_root = {
            let mut conn = db.pool().acquire().await?;
            ledger::root_at(&mut conn, old).await?
        };
        root_times.push(started.elapsed());
        ensure!(
            old_root == tree.root_at(old)?,
            "the stored root at {old} differs from the engine's"
        );
        verify_consistency(old, n, &old_root, &root, &proof)
            .with_context(|| format!("the consistency proof from {old} does not verify"))?;
        consistency_len += proof.len();
    }
    let consistency_times = Samples::new(consistency_times);
    let root_times = Samples::new(root_times);
    report.figure(
        format!("consistency proof to size {}", fmt_int(n)),
        format!("median {}", fmt_duration(consistency_times.median())),
        format!(
            "p99 {}; `ledger::consistency_proof` from {} random earlier sizes, {:.1} hashes each, every one verified",
            fmt_duration(consistency_times.percentile(99.0)),
            fmt_int(olds.len() as u64),
            consistency_len as f64 / olds.len() as f64
        ),
    );
    report.figure(
        "root at an earlier size",
        format!("median {}", fmt_duration(root_times.median())),
        format!(
            "p99 {}; `ledger::root_at`, what signing a checkpoint reads",
            fmt_duration(root_times.percentile(99.0))
        ),
    );

    // Single-entry transactions: every append commits (and on SQLite, syncs) on its own.
    eprintln!("timing {} single-entry transactions …", args.singles);
    let mut single_times = Vec::with_capacity(args.singles);
    for j in 0..args.singles.max(1) as u64 {
        let org = [organization(n + j, now)];
        single_times.push(anchor_in_transaction(db, now, &org, n + j).await?);
    }
    let single_times = Samples::new(single_times);
    let single_rate = single_times.len() as f64 / single_times.total().as_secs_f64();
    report.figure(
        "append, 1 per transaction",
        fmt_rate(single_rate, "appends/s"),
        format!(
            "median {}, p99 {} per transaction; {} transactions after the build",
            fmt_duration(single_times.median()),
            fmt_duration(single_times.percentile(99.0)),
            fmt_int(single_times.len() as u64)
        ),
    );

    // The engine alone, over the same leaves.
    let memory_rate = n as f64 / memory_build.as_secs_f64();
    let memory_proofs = repeat(5, || {
        indices
            .iter()
            .map(|&i| tree.inclusion_proof(i, n).map(|p| p.len()))
            .collect::<Result<Vec<_>, _>>()
    });
    let memory_proof = memory_proofs.median() / indices.len() as u32;
    report.figure(
        "in-memory engine tree: append",
        fmt_rate(memory_rate, "appends/s"),
        format!(
            "`MemoryTree` over the same {} leaf hashes; same root as the database",
            fmt_int(n)
        ),
    );
    report.figure(
        "in-memory engine tree: inclusion proof",
        format!("mean {}", fmt_duration(memory_proof)),
        format!(
            "the same {} leaves, timed together; median of 5 runs",
            fmt_int(indices.len() as u64)
        ),
    );

    // The baseline again, to show how much the machine drifted during the run.
    eprintln!("measuring raw SHA-256 again …");
    let at_end = Baselines::measure(leaf_len);
    let baselines = at_start.pooled(&at_end);
    baselines.rows(&mut report);
    let node = &baselines.node;

    // Ratios, all against the pooled baseline.
    let hashes = node.hashes_per_sec();
    let path_hashes = node.time_for(log_n).as_secs_f64();
    report.ratio(
        format!(
            "appends/s ({} per transaction) ÷ SHA-256 hashes/s",
            fmt_int(args.batch as u64)
        ),
        append_rate / hashes,
        format!(
            "one append costs as much as {:.0} raw node hashes",
            hashes / append_rate
        ),
    );
    report.ratio(
        "appends/s (1 per transaction) ÷ SHA-256 hashes/s",
        single_rate / hashes,
        format!(
            "one committed single append costs as much as {:.0} raw node hashes",
            hashes / single_rate
        ),
    );
    report.ratio(
        format!("inclusion proof median ÷ {log_n} SHA-256 hashes (log2 n)"),
        proof_times.median().as_secs_f64() / path_hashes,
        "serving a proof from the database vs. hashing the path it returns",
    );
    report.ratio(
        format!("consistency proof median ÷ {log_n} SHA-256 hashes"),
        consistency_times.median().as_secs_f64() / path_hashes,
        "same, for consistency proofs",
    );
    report.ratio(
        format!("verification median ÷ {log_n} SHA-256 hashes"),
        verify_times.median().as_secs_f64() / path_hashes,
        "about 1: verifying is hashing the path and nothing else",
    );
    report.ratio(
        "in-memory appends/s ÷ SHA-256 hashes/s",
        memory_rate / hashes,
        "an append hashes trailing_ones(i) interior nodes, one on average",
    );
    report.ratio(
        format!(
            "in-memory appends/s ÷ database appends/s ({} per transaction)",
            fmt_int(args.batch as u64)
        ),
        memory_rate / append_rate,
        "what storage costs over the tree arithmetic",
    );
    report.ratio(
        "SHA-256 hashes/s, end of run ÷ start of run",
        at_end.node.hashes_per_sec() / at_start.node.hashes_per_sec(),
        "drift of the machine during the run; far from 1 means a noisy run",
    );
    if cfg!(debug_assertions) {
        report.note("**Unoptimized build: these figures say nothing about production.**");
    }
    Ok(report)
}
