//! The engine measured on 600 synthetic failure reports: the targets the platform promises.
//!
//! `cargo test -p ticorr-desensitize -- --nocapture` prints the table.

use ticorr_desensitize::DetectorKind;
use ticorr_desensitize::evaluation;

const DOCS: usize = 600;
const SEED: u64 = 20_240_607;

#[test]
fn detection_meets_the_recall_and_precision_targets() {
    let report = evaluation::run(DOCS, SEED);
    println!("{report:#}");

    for kind in [
        DetectorKind::Uscc,
        DetectorKind::ResidentId,
        DetectorKind::BankCard,
    ] {
        let score = &report.per_kind[&kind];
        assert!(
            score.planted >= 300,
            "{kind}: only {} planted",
            score.planted
        );
        assert!(
            report.recall(kind) >= 0.99,
            "{kind}: recall {:.4}",
            report.recall(kind)
        );
    }
    assert!(
        report.overall.recall() >= 0.95,
        "overall recall {:.4}",
        report.overall.recall()
    );
    assert!(
        report.overall.precision() >= 0.90,
        "overall precision {:.4}",
        report.overall.precision()
    );
    assert_eq!(report.technical_altered, 0, "technical tokens were altered");
    // Every kind of identifier the engine detects in text is planted.
    for kind in DetectorKind::ALL {
        if !matches!(kind, DetectorKind::Date | DetectorKind::RegionCode) {
            assert!(
                report.per_kind.get(kind).is_some_and(|s| s.planted > 0),
                "{kind} not planted"
            );
        }
    }
}

#[test]
fn near_misses_are_left_alone() {
    let report = evaluation::run(200, 11);
    assert!(report.near_misses >= 200);
    assert!(
        (report.near_misses_redacted as f64) / (report.near_misses as f64) < 0.02,
        "{} of {} near misses redacted",
        report.near_misses_redacted,
        report.near_misses
    );
}

#[test]
fn the_evaluation_is_deterministic() {
    assert_eq!(evaluation::run(25, 5), evaluation::run(25, 5));
}

#[test]
fn every_reason_in_chinese_text_reads_in_chinese() {
    use ticorr_desensitize::{Desensitizer, OrgDictionary, Policy, PseudonymKey};
    let corpus = evaluation::corpus::generate(300, SEED);
    let engine =
        Desensitizer::new(Policy::default(), OrgDictionary::new(&corpus.registry)).unwrap();
    let key = PseudonymKey::new(b"k".to_vec());
    let mut checked = 0;
    for d in &corpus.docs {
        for r in engine.desensitize_text(&d.text, &key).redactions {
            if !r.reason.starts_with("识别为") {
                continue;
            }
            checked += 1;
            // Only identifiers and standard names may stay in Latin letters.
            let words: Vec<&str> = r
                .reason
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| w.len() > 4 && !["Luhn", "Person"].contains(w))
                .filter(|w| !r.replacement.contains(w))
                .collect();
            assert!(
                words.is_empty(),
                "English left in a Chinese reason: {}",
                r.reason
            );
        }
    }
    assert!(checked > 1000, "{checked}");
}
