//! How well the engine does, measured on a seeded synthetic corpus.
//!
//! [`run`] generates `n_docs` labelled failure reports ([`corpus`]), runs the engine with the
//! default policy and the corpus's organisation registry, and scores every redaction against
//! the planted identifiers:
//!
//! - a planted identifier is **found** when one redaction of the same kind covers it whole
//!   (a partial cover leaks the rest, so it counts as a miss);
//! - a redaction is **correct** when it overlaps a planted identifier of its kind; any other
//!   redaction is a false positive (it removed something that was not an identifier of that
//!   kind, or misnamed one);
//! - a **technical token** is altered when any redaction overlaps it;
//! - a **near miss** (a number failing its check, a clause or serial number) is redacted
//!   when any redaction overlaps it.
//!
//! The [`Report`] prints as a table (`cargo test -p ticorr-desensitize -- --nocapture` shows it)
//! and serializes to JSON for a benchmark or a CLI.

pub mod corpus;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde::Serialize;

use crate::kind::DetectorKind;
use crate::{Desensitizer, OrgDictionary, Policy, PseudonymKey, Redaction};

/// Scores of one detector (or of all, in [`Report::overall`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Score {
    /// Identifiers planted.
    pub planted: usize,
    /// Planted identifiers covered whole by a redaction of the same kind.
    pub found: usize,
    /// Redactions made by this detector.
    pub redactions: usize,
    /// Redactions that overlap a planted identifier of the same kind.
    pub correct: usize,
}

impl Score {
    /// found / planted (1 when nothing was planted).
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.planted)
    }

    /// correct / redactions (1 when nothing was redacted).
    pub fn precision(&self) -> f64 {
        ratio(self.correct, self.redactions)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// A miss, a false positive or an altered token, with its surroundings, for tuning.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Example {
    /// "miss", "false positive", "technical token altered" or "near miss redacted".
    pub what: &'static str,
    /// The detector (the planted kind for a miss).
    pub kind: Option<DetectorKind>,
    /// The text concerned.
    pub text: String,
    /// Up to 20 characters either side.
    pub context: String,
}

/// The evaluation result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Number of documents.
    pub docs: usize,
    /// The corpus seed.
    pub seed: u64,
    /// Scores per detector, for every kind that was planted or redacted.
    pub per_kind: BTreeMap<DetectorKind, Score>,
    /// Scores over all kinds.
    pub overall: Score,
    /// Planted identifiers not covered whole by any redaction of any kind (what would leak).
    pub leaked: usize,
    /// Technical tokens planted.
    pub technical_tokens: usize,
    /// Technical tokens overlapped by a redaction.
    pub technical_altered: usize,
    /// Near misses planted.
    pub near_misses: usize,
    /// Near misses overlapped by a redaction.
    pub near_misses_redacted: usize,
    /// Up to three examples of each kind of error per detector.
    pub examples: Vec<Example>,
}

/// Generates `n_docs` reports from `seed` and evaluates the engine with the default policy.
pub fn run(n_docs: usize, seed: u64) -> Report {
    let corpus = corpus::generate(n_docs, seed);
    let engine = Desensitizer::new(Policy::default(), OrgDictionary::new(&corpus.registry))
        .expect("the default policy is valid");
    evaluate(&engine, &corpus.docs, seed)
}

/// Evaluates `engine` on labelled documents (`seed` is only recorded in the report).
pub fn evaluate(engine: &Desensitizer, docs: &[corpus::LabelledDoc], seed: u64) -> Report {
    let key = PseudonymKey::new(b"ticorr evaluation key".to_vec());
    let mut report = Report {
        docs: docs.len(),
        seed,
        per_kind: BTreeMap::new(),
        overall: Score::default(),
        leaked: 0,
        technical_tokens: 0,
        technical_altered: 0,
        near_misses: 0,
        near_misses_redacted: 0,
        examples: Vec::new(),
    };
    let overlaps = |r: &Redaction, s: &Range<usize>| r.start < s.end && s.start < r.end;
    for doc in docs {
        let redacted = engine.desensitize_text(&doc.text, &key);
        let reds = &redacted.redactions;
        for p in &doc.identifiers {
            let score = report.per_kind.entry(p.kind).or_default();
            score.planted += 1;
            let covers = |r: &&Redaction| r.start <= p.start && r.end >= p.end;
            if reds.iter().filter(|r| r.kind == p.kind).any(|r| covers(&r)) {
                score.found += 1;
            } else {
                push_example(
                    &mut report.examples,
                    "miss",
                    Some(p.kind),
                    &doc.text,
                    p.start..p.end,
                );
            }
            if !reds.iter().any(|r| covers(&r)) {
                report.leaked += 1;
            }
        }
        for r in reds {
            let score = report.per_kind.entry(r.kind).or_default();
            score.redactions += 1;
            if doc
                .identifiers
                .iter()
                .any(|p| p.kind == r.kind && overlaps(r, &(p.start..p.end)))
            {
                score.correct += 1;
            } else {
                push_example(
                    &mut report.examples,
                    "false positive",
                    Some(r.kind),
                    &doc.text,
                    r.start..r.end,
                );
            }
        }
        for t in &doc.technical {
            report.technical_tokens += 1;
            if let Some(r) = reds.iter().find(|r| overlaps(r, t)) {
                report.technical_altered += 1;
                push_example(
                    &mut report.examples,
                    "technical token altered",
                    Some(r.kind),
                    &doc.text,
                    t.clone(),
                );
            }
        }
        for n in &doc.near_misses {
            report.near_misses += 1;
            if let Some(r) = reds.iter().find(|r| overlaps(r, n)) {
                report.near_misses_redacted += 1;
                push_example(
                    &mut report.examples,
                    "near miss redacted",
                    Some(r.kind),
                    &doc.text,
                    n.clone(),
                );
            }
        }
    }
    for s in report.per_kind.values() {
        report.overall.planted += s.planted;
        report.overall.found += s.found;
        report.overall.redactions += s.redactions;
        report.overall.correct += s.correct;
    }
    report
}

fn push_example(
    examples: &mut Vec<Example>,
    what: &'static str,
    kind: Option<DetectorKind>,
    text: &str,
    span: Range<usize>,
) {
    if examples
        .iter()
        .filter(|e| e.what == what && e.kind == kind)
        .count()
        >= 3
    {
        return;
    }
    let before = crate::detect::window_before(text, span.start, 20);
    let after: String = text[span.end..].chars().take(20).collect();
    examples.push(Example {
        what,
        kind,
        text: text[span.clone()].to_owned(),
        context: format!("{before}⟦{}⟧{after}", &text[span]).replace('\n', " "),
    });
}

impl Report {
    /// Recall of one kind (1 when it was not planted).
    pub fn recall(&self, kind: DetectorKind) -> f64 {
        self.per_kind.get(&kind).map_or(1.0, Score::recall)
    }

    /// Precision of one kind (1 when it made no redaction).
    pub fn precision(&self, kind: DetectorKind) -> f64 {
        self.per_kind.get(&kind).map_or(1.0, Score::precision)
    }
}

impl fmt::Display for Report {
    /// The table; `{:#}` adds the error examples.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Desensitization evaluation: {} synthetic reports (seed {}), {} planted identifiers",
            self.docs, self.seed, self.overall.planted
        )?;
        writeln!(
            f,
            "{:<14} {:>8} {:>7} {:>8} {:>11} {:>8} {:>10}",
            "detector", "planted", "found", "recall", "redactions", "correct", "precision"
        )?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, s: &Score| {
            writeln!(
                f,
                "{:<14} {:>8} {:>7} {:>8.4} {:>11} {:>8} {:>10.4}",
                name,
                s.planted,
                s.found,
                s.recall(),
                s.redactions,
                s.correct,
                s.precision()
            )
        };
        for (kind, s) in &self.per_kind {
            row(f, kind.as_str(), s)?;
        }
        row(f, "overall", &self.overall)?;
        writeln!(
            f,
            "leaked (planted, not covered by any redaction): {} of {}",
            self.leaked, self.overall.planted
        )?;
        writeln!(
            f,
            "technical tokens altered: {} of {}; near misses redacted: {} of {}",
            self.technical_altered,
            self.technical_tokens,
            self.near_misses_redacted,
            self.near_misses
        )?;
        if f.alternate() {
            for e in &self.examples {
                let kind = e.kind.map_or("-", DetectorKind::as_str);
                writeln!(f, "  {:<24} {:<13} {}", e.what, kind, e.context)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_the_table() {
        let report = run(30, 3);
        assert_eq!(report.docs, 30);
        assert!(report.overall.planted > 300);
        let table = report.to_string();
        assert!(table.contains("overall") && table.contains("uscc"));
        assert!(serde_json::to_string(&report).is_ok());
    }
}
