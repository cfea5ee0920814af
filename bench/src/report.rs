//! What a benchmark prints and records.
//!
//! A run ends with one Markdown section: the command, the commit, the machine, the date, a
//! table of absolute figures and a table of ratios against the run's own baseline. The same
//! text goes to standard output and is appended to `bench/RESULTS.md`, so the file holds
//! exactly what was printed and the history of runs stays in the repository next to the
//! code that produced it.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::timing::fmt_ratio;

/// The file every run appends to.
pub fn results_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("RESULTS.md")
}

/// The workspace root (the parent of `bench/`), where git is asked about the commit.
fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
}

const RESULTS_HEADER: &str = "# Benchmark results\n\n\
Appended by the binaries in `bench/src/bin/` (`ledger`, `desensitize`, `search`, `risk`) at the end \
of each run, oldest first; `bench/run` runs them all. Absolute figures depend on the machine; compare runs \
on different machines by their ratios, which are taken against a baseline measured in the same \
run. See `bench/README.md`.\n";

/// One line of a table: what was measured, the figure, and how it was obtained.
#[derive(Clone, Debug)]
struct Row {
    what: String,
    figure: String,
    detail: String,
}

/// The figures of one benchmark run.
#[derive(Clone, Debug)]
pub struct Report {
    title: String,
    /// The one-minute load average when the run started.
    load_at_start: Option<String>,
    setup: Vec<(String, String)>,
    baselines: Vec<Row>,
    figures: Vec<Row>,
    ratios: Vec<Row>,
    notes: Vec<String>,
}

impl Report {
    /// An empty report for the benchmark `title` (the binary's name).
    pub fn new(title: &str) -> Report {
        Report {
            title: title.to_owned(),
            load_at_start: load_average(),
            setup: Vec::new(),
            baselines: Vec::new(),
            figures: Vec::new(),
            ratios: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A line of the setup list (database, corpus, sizes …).
    pub fn setup(&mut self, key: &str, value: impl Into<String>) {
        self.setup.push((key.to_owned(), value.into()));
    }

    /// A baseline figure: listed first in the table, whenever it was measured.
    pub fn baseline(
        &mut self,
        what: impl Into<String>,
        figure: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.baselines.push(Row {
            what: format!("baseline: {}", what.into()),
            figure: figure.into(),
            detail: detail.into(),
        });
    }

    /// An absolute figure.
    pub fn figure(
        &mut self,
        what: impl Into<String>,
        figure: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.figures.push(Row {
            what: what.into(),
            figure: figure.into(),
            detail: detail.into(),
        });
    }

    /// A ratio against the baseline, with how to read it.
    pub fn ratio(&mut self, what: impl Into<String>, value: f64, reading: impl Into<String>) {
        self.ratios.push(Row {
            what: what.into(),
            figure: fmt_ratio(value),
            detail: reading.into(),
        });
    }

    /// A remark printed under the tables.
    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// The Markdown section: heading, environment, setup, figures, ratios, notes.
    pub fn to_markdown(&self, env: &Environment) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## {} — {} — {}\n", self.title, env.date, env.commit);
        let _ = writeln!(out, "- command: `{}`", env.command);
        let _ = writeln!(out, "- machine: {}", env.machine);
        let _ = writeln!(out, "- build: {}", env.profile);
        let _ = writeln!(
            out,
            "- load average (1 min): {} at the start, {} at the end",
            self.load_at_start.as_deref().unwrap_or("unknown"),
            env.load.as_deref().unwrap_or("unknown")
        );
        for (key, value) in &self.setup {
            let _ = writeln!(out, "- {key}: {value}");
        }
        out.push('\n');
        let rows: Vec<Row> = self
            .baselines
            .iter()
            .chain(&self.figures)
            .cloned()
            .collect();
        table(&mut out, ["measure", "figure", "how"], &rows);
        if !self.ratios.is_empty() {
            out.push_str("\nRatios against the baseline measured in this run:\n\n");
            table(&mut out, ["ratio", "value", "reading"], &self.ratios);
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                let _ = writeln!(out, "{note}");
            }
        }
        out
    }

    /// Prints the section and, when `record` is set, appends it to `bench/RESULTS.md`.
    pub fn finish(&self, record: bool) -> std::io::Result<()> {
        let env = Environment::capture();
        let text = self.to_markdown(&env);
        println!("\n{text}");
        if record {
            let path = results_path();
            let fresh = !path.exists();
            let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
            if fresh {
                writeln!(file, "{RESULTS_HEADER}")?;
            }
            writeln!(file, "{text}")?;
            eprintln!("appended to {}", path.display());
        }
        Ok(())
    }
}

/// A Markdown table with its columns padded, so it reads as well in a terminal as rendered.
fn table(out: &mut String, header: [&str; 3], rows: &[Row]) {
    let cells: Vec<[&str; 3]> = rows
        .iter()
        .map(|r| [r.what.as_str(), r.figure.as_str(), r.detail.as_str()])
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, row: [&str; 3]| {
        out.push('|');
        for (cell, w) in row.iter().zip(widths) {
            let pad = w - cell.chars().count();
            let _ = write!(out, " {cell}{} |", " ".repeat(pad));
        }
        out.push('\n');
    };
    line(out, header);
    out.push('|');
    for w in widths {
        let _ = write!(out, "{}|", "-".repeat(w + 2));
    }
    out.push('\n');
    for row in cells {
        line(out, row);
    }
}

/// Where and when a run happened.
#[derive(Clone, Debug)]
pub struct Environment {
    /// `git rev-parse --short HEAD`, with `+dirty` when the working tree has changes.
    pub commit: String,
    /// Cores, memory and CPU model.
    pub machine: String,
    /// UTC date and time, RFC 3339, to the second.
    pub date: String,
    /// Release or unoptimized.
    pub profile: &'static str,
    /// The binary's name and arguments.
    pub command: String,
    /// The one-minute load average now: above 0, other processes competed for the cores.
    pub load: Option<String>,
}

impl Environment {
    /// Reads the environment of this run.
    pub fn capture() -> Environment {
        let now = OffsetDateTime::now_utc();
        let date = now
            .replace_nanosecond(0)
            .unwrap_or(now)
            .format(&Rfc3339)
            .unwrap_or_else(|_| "unknown date".into());
        let mut args = std::env::args();
        let program = args
            .next()
            .as_deref()
            .and_then(|p| {
                Path::new(p)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
            })
            .unwrap_or_default();
        let command = std::iter::once(program)
            .chain(args)
            .collect::<Vec<_>>()
            .join(" ");
        Environment {
            commit: commit(),
            machine: machine(),
            date,
            profile: if cfg!(debug_assertions) {
                "UNOPTIMIZED (debug assertions on): figures are not representative; use --release"
            } else {
                "release"
            },
            command,
            load: load_average(),
        }
    }
}

/// The one-minute load average from `/proc/loadavg`.
fn load_average() -> Option<String> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()
        .map(str::to_owned)
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(workspace_root())
        // Read-only: `status` would otherwise refresh the index's stat cache.
        .arg("--no-optional-locks")
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}

/// The short commit, `+dirty` when `git status --porcelain` lists anything.
fn commit() -> String {
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(hash) => {
            let dirty = git(&["status", "--porcelain"]).is_none_or(|s| !s.is_empty());
            if dirty { format!("{hash}+dirty") } else { hash }
        }
        None => "unknown commit".into(),
    }
}

/// "2 cores, 23.5 GiB, AMD EPYC, linux x86_64".
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or_else(
            || "memory unknown".into(),
            |kib| format!("{:.1} GiB memory", kib / (1024.0 * 1024.0)),
        );
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "CPU unknown".into());
    format!(
        "{cores} cores, {memory}, {cpu}, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// The file system type holding `path` (from `/proc/mounts`), e.g. `ext4` or `tmpfs`: a
/// database on `tmpfs` never waits for a disk, which changes what commit timings mean.
pub fn filesystem_of(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|l| {
            let mut fields = l.split_whitespace();
            let (_, mount, fs) = (fields.next()?, fields.next()?, fields.next()?);
            path.starts_with(mount)
                .then(|| (mount.len(), fs.to_owned()))
        })
        .max_by_key(|(len, _)| *len)
        .map_or_else(|| "unknown file system".into(), |(_, fs)| fs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_a_markdown_table_with_padded_columns() {
        let mut r = Report::new("demo");
        r.setup("entries", "10");
        r.figure("append", "21.3 k appends/s", "1,000 per transaction");
        r.ratio("appends/s ÷ hashes/s", 0.003, "one append ≈ 333 hashes");
        let env = Environment {
            commit: "abc1234+dirty".into(),
            machine: "2 cores".into(),
            date: "2026-11-28T08:00:00Z".into(),
            profile: "release",
            command: "demo --entries 10".into(),
            load: Some("0.10".into()),
        };
        let md = r.to_markdown(&env);
        assert!(md.starts_with("## demo — 2026-11-28T08:00:00Z — abc1234+dirty\n"));
        assert!(md.contains("| append  | 21.3 k appends/s | 1,000 per transaction |"));
        assert!(md.contains("| appends/s ÷ hashes/s | 0.00300 |"));
        let widths: Vec<usize> = md
            .lines()
            .filter(|l| l.starts_with("| measure") || l.starts_with("| append"))
            .map(|l| l.chars().count())
            .collect();
        assert_eq!(widths[0], widths[1]);
    }
}
