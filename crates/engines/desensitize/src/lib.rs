//! The desensitization engine: what a failure-case upload passes through before anything
//! leaves an enterprise's private level (L1).
//!
//! Pure computation, no I/O. The engine
//!
//! 1. **detects** identifiers in Chinese and English free text and in structured fields:
//!    unified social credit codes, resident identity numbers, bank cards (all three by their
//!    check characters), mobile and landline numbers, e-mail, URLs, IPv4/IPv6, vehicle plates,
//!    street addresses, GPS coordinates, person names, organisation names (from the platform's
//!    registry, given at run time, and by legal-form suffix), contract and order numbers,
//!    money amounts, plant capacities and dates — while technical content (titanium grades,
//!    standard numbers, temperatures, concentrations, pH, pressures, dimensions) is guarded and
//!    never altered ([`detect`]);
//! 2. **acts** on each by a [`Policy`]: suppress, mask, generalize, or pseudonymize with a keyed
//!    HMAC ([`Action`], [`PseudonymKey`]);
//! 3. **reports** every redaction with its span in the original, the detector, the action and
//!    a reason for the uploader's review ([`Redacted`], [`Redaction`]);
//! 4. checks **k-anonymity** of a record's quasi-identifiers against what is already published
//!    and generalizes further or holds the record back ([`kanon`]);
//! 5. measures itself on a seeded synthetic corpus of labelled failure reports
//!    ([`evaluation`]).
//!
//! ```
//! use ticorr_desensitize::{Desensitizer, OrgDictionary, Policy, PseudonymKey};
//!
//! let engine = Desensitizer::new(Policy::default(), OrgDictionary::new(["宝鸡钛业股份有限公司"]))?;
//! let key = PseudonymKey::new(b"per-document secret".to_vec());
//! let out = engine.desensitize_text(
//!     "联系人：张伟，手机 138 1234 5678。TA2 管束在 85 ℃、Cl⁻ 3000 mg/L 下发生缝隙腐蚀（GB/T 3620.1-2016）。",
//!     &key,
//! );
//! assert!(!out.text.contains("张伟") && !out.text.contains("1234"));
//! assert!(out.text.contains("TA2") && out.text.contains("85 ℃") && out.text.contains("GB/T 3620.1-2016"));
//! assert_eq!(out.redactions.len(), 2);
//! # Ok::<(), ticorr_desensitize::PolicyError>(())
//! ```
//!
//! Offsets in reports are given twice: UTF-8 byte offsets (`start`, `end`, for Rust and most
//! servers) and Unicode scalar offsets (`char_start`, `char_end`, for interfaces that count
//! characters). Both index the original text, which stays in L1; the report itself carries no
//! original values.

pub mod detect;
pub mod evaluation;
pub mod kanon;
pub mod kind;
pub mod policy;
pub mod pseudonym;
pub mod regions;
mod transform;

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

pub use detect::Detection;
pub use detect::org::OrgDictionary;
pub use kind::DetectorKind;
pub use policy::{Action, FieldRule, Policy, PolicyError};
pub use pseudonym::PseudonymKey;
pub use transform::{REMOVED_EN, REMOVED_ZH};

/// The engine: a validated policy and the organisation registry. Build it once and share it;
/// it holds no per-document state.
#[derive(Debug)]
pub struct Desensitizer {
    policy: Policy,
    orgs: OrgDictionary,
    /// Names never redacted (ASCII-lowercased), see [`Desensitizer::allow`].
    allowed: HashSet<String>,
}

/// Standards bodies and regulators, cited as sources rather than parties (`data/public_bodies.txt`).
const PUBLIC_BODIES: &str = include_str!("../data/public_bodies.txt");

fn allow_key(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// One redaction, for the uploader's review.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Redaction {
    /// The detector (or field rule) that found the value.
    pub kind: DetectorKind,
    /// What was done. May differ from the policy when a generalization had to fall back to
    /// suppression.
    pub action: Action,
    /// UTF-8 byte offset of the value in the original text (or field value).
    pub start: usize,
    /// UTF-8 byte offset just past the value in the original.
    pub end: usize,
    /// Unicode scalar (character) offset of the value in the original.
    pub char_start: usize,
    /// Character offset just past the value in the original.
    pub char_end: usize,
    /// UTF-8 byte offset of the replacement in the redacted text.
    pub out_start: usize,
    /// UTF-8 byte offset just past the replacement in the redacted text.
    pub out_end: usize,
    /// What now stands in the text.
    pub replacement: String,
    /// Why, in the language of the surrounding text.
    pub reason: String,
}

/// Redacted text and its report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Redacted {
    /// The text with every redaction applied.
    pub text: String,
    /// The redactions, in text order, never overlapping.
    pub redactions: Vec<Redaction>,
}

/// A redaction inside one structured field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldRedaction {
    /// The field's name.
    pub field: String,
    /// The redaction; offsets index the field's original value.
    #[serde(flatten)]
    pub redaction: Redaction,
}

/// Redacted structured fields and their report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RedactedFields {
    /// The fields to publish (dropped fields are absent).
    pub fields: BTreeMap<String, String>,
    /// Fields left out by a [`FieldRule::Drop`] rule.
    pub dropped: Vec<String>,
    /// Every redaction, by field.
    pub redactions: Vec<FieldRedaction>,
}

impl Desensitizer {
    /// An engine with `policy` (validated) and the platform's organisation registry.
    pub fn new(policy: Policy, orgs: OrgDictionary) -> Result<Desensitizer, PolicyError> {
        policy.validate()?;
        let allowed = PUBLIC_BODIES
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(allow_key)
            .collect();
        Ok(Desensitizer {
            policy,
            orgs,
            allowed,
        })
    }

    /// Adds names that must never be redacted, whatever detector finds them (for example
    /// public bodies cited in reports). The engine starts with the standards bodies and
    /// regulators of `data/public_bodies.txt`; matching is on the whole detected value, ASCII
    /// case ignored.
    pub fn allow<I, S>(mut self, names: I) -> Desensitizer
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.allowed
            .extend(names.into_iter().map(|n| allow_key(n.as_ref())));
        self
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The identifiers in `text` that the policy acts on, overlaps settled (see [`detect`]),
    /// in text order.
    pub fn detect(&self, text: &str) -> Vec<Detection> {
        self.detect_knowing(text, &[])
    }

    /// [`detect`](Self::detect), also finding the values that structured fields of the same
    /// document named as identifiers (a reporter's name in `reporter` is a name wherever the
    /// notes repeat it, title or not).
    fn detect_knowing(&self, text: &str, known: &[(DetectorKind, String)]) -> Vec<Detection> {
        let folded = detect::Folded::new(text);
        let text = folded.text();
        let acts = |d: &Detection| self.policy.action(d.kind) != Action::Keep;
        let mut candidates = detect::candidates(text, &self.orgs);
        candidates.extend(detect::known_values(text, known));
        candidates.retain(acts);
        candidates.retain(|d| !self.allowed.contains(&allow_key(&text[d.start..d.end])));
        let technical = detect::technical::spans(text);
        let mut resolved = detect::resolve(candidates.clone(), &technical);
        if self.policy.action(DetectorKind::PersonName) != Action::Keep {
            let more = detect::person::propagate(text, &resolved);
            if !more.is_empty() {
                candidates.extend(more);
                resolved = detect::resolve(candidates, &technical);
            }
        }
        resolved
            .into_iter()
            .map(|d| folded.to_original(d))
            .collect()
    }

    /// Desensitizes free text. `key` decides the pseudonyms (a per-document key from
    /// [`PseudonymKey::for_document`], or the platform key for labels stable across documents).
    pub fn desensitize_text(&self, text: &str, key: &PseudonymKey) -> Redacted {
        self.desensitize_text_knowing(text, key, &[])
    }

    fn desensitize_text_knowing(
        &self,
        text: &str,
        key: &PseudonymKey,
        known: &[(DetectorKind, String)],
    ) -> Redacted {
        let detections = self.detect_knowing(text, known);
        let mut out = String::with_capacity(text.len());
        let mut redactions = Vec::with_capacity(detections.len());
        let (mut copied_to, mut chars_so_far) = (0usize, 0usize);
        for d in detections {
            let gap = &text[copied_to..d.start];
            out.push_str(gap);
            chars_so_far += gap.chars().count();
            let value = &text[d.start..d.end];
            let chinese = transform::chinese_context(text, d.start, d.end);
            let action = self.policy.action(d.kind);
            let applied = transform::apply(d.kind, action, &detect::fold_str(value), chinese, key);
            let reason = transform::reason(
                d.kind,
                applied.action,
                d.evidence,
                &applied.replacement,
                applied.fell_back,
                chinese,
            );
            let char_len = value.chars().count();
            let out_start = out.len();
            out.push_str(&applied.replacement);
            redactions.push(Redaction {
                kind: d.kind,
                action: applied.action,
                start: d.start,
                end: d.end,
                char_start: chars_so_far,
                char_end: chars_so_far + char_len,
                out_start,
                out_end: out.len(),
                replacement: applied.replacement,
                reason,
            });
            chars_so_far += char_len;
            copied_to = d.end;
        }
        out.push_str(&text[copied_to..]);
        Redacted {
            text: out,
            redactions,
        }
    }

    /// Desensitizes structured fields by the policy's field rules: a field is kept, dropped,
    /// scanned as free text, or treated whole as one identifier of a given kind.
    pub fn desensitize_fields(
        &self,
        fields: &BTreeMap<String, String>,
        key: &PseudonymKey,
    ) -> RedactedFields {
        let mut result = RedactedFields {
            fields: BTreeMap::new(),
            dropped: Vec::new(),
            redactions: Vec::new(),
        };
        // Values the fields name as identifiers are identifiers in the free-text fields too.
        let known: Vec<(DetectorKind, String)> = fields
            .iter()
            .filter_map(|(name, value)| match self.policy.field_rule(name) {
                FieldRule::Treat { kind, action } if *action != Action::Keep => {
                    Some((*kind, detect::fold_str(value.trim())))
                }
                _ => None,
            })
            .collect();
        for (name, value) in fields {
            match self.policy.field_rule(name) {
                FieldRule::Keep => {
                    result.fields.insert(name.clone(), value.clone());
                }
                FieldRule::Drop => result.dropped.push(name.clone()),
                FieldRule::Scan => {
                    let r = self.desensitize_text_knowing(value, key, &known);
                    result.fields.insert(name.clone(), r.text);
                    result
                        .redactions
                        .extend(r.redactions.into_iter().map(|redaction| FieldRedaction {
                            field: name.clone(),
                            redaction,
                        }));
                }
                FieldRule::Treat { kind, action } => {
                    if *action == Action::Keep || value.trim().is_empty() {
                        result.fields.insert(name.clone(), value.clone());
                        continue;
                    }
                    // A field has no surrounding text: it is Chinese unless it is English words.
                    let chinese = value.chars().any(detect::is_han)
                        || !value.chars().any(|c| c.is_ascii_alphabetic());
                    let applied = transform::apply(*kind, *action, value.trim(), chinese, key);
                    let reason = transform::reason(
                        *kind,
                        applied.action,
                        &format!("field `{name}`"),
                        &applied.replacement,
                        applied.fell_back,
                        chinese,
                    );
                    result.redactions.push(FieldRedaction {
                        field: name.clone(),
                        redaction: Redaction {
                            kind: *kind,
                            action: applied.action,
                            start: 0,
                            end: value.len(),
                            char_start: 0,
                            char_end: value.chars().count(),
                            out_start: 0,
                            out_end: applied.replacement.len(),
                            replacement: applied.replacement.clone(),
                            reason,
                        },
                    });
                    result.fields.insert(name.clone(), applied.replacement);
                }
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn engine() -> Desensitizer {
        Desensitizer::new(Policy::default(), OrgDictionary::new(["宝钛"])).unwrap()
    }

    fn key() -> PseudonymKey {
        PseudonymKey::new(b"test-key".to_vec())
    }

    #[test]
    fn names_given_in_fields_are_found_in_the_free_text_fields() {
        let fields: BTreeMap<String, String> = [
            ("reporter", "李娜"),
            ("notes", "巡检时由李娜发现泄漏，李娜随即停车。"),
            ("grade", "Gr2"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let r = engine().desensitize_fields(&fields, &key());
        let notes = &r.fields["notes"];
        assert!(!notes.contains("李娜"), "{notes}");
        let reporter = &r.fields["reporter"];
        assert!(
            notes.contains(reporter.as_str()),
            "the same pseudonym throughout the document: {reporter} / {notes}"
        );
        assert_eq!(r.fields["grade"], "Gr2");
        assert_eq!(
            r.redactions.iter().filter(|x| x.field == "notes").count(),
            2
        );
    }

    #[test]
    fn offsets_index_the_original_and_the_output() {
        let text = "报告人：王建国，手机13812345678；Email li@example.cn。";
        let r = engine().desensitize_text(text, &key());
        assert_eq!(r.redactions.len(), 3);
        for red in &r.redactions {
            assert_eq!(&r.text[red.out_start..red.out_end], red.replacement);
            let by_chars: String = text
                .chars()
                .skip(red.char_start)
                .take(red.char_end - red.char_start)
                .collect();
            assert_eq!(by_chars, text[red.start..red.end]);
        }
        assert!(r.text.contains("人员-"));
        assert!(r.text.contains(REMOVED_ZH));
    }

    #[test]
    fn the_same_person_gets_the_same_label_within_a_document() {
        let text = "张伟工程师现场取样，张伟随后送检。";
        let r = engine().desensitize_text(text, &key());
        assert_eq!(r.redactions.len(), 2);
        assert_eq!(r.redactions[0].replacement, r.redactions[1].replacement);
        let other = engine().desensitize_text(text, &PseudonymKey::new(b"other".to_vec()));
        assert_ne!(r.redactions[0].replacement, other.redactions[0].replacement);
    }

    #[test]
    fn public_bodies_and_allowed_names_are_kept() {
        let text =
            "Per the American Petroleum Institute, Acme Heat Transfer GmbH replaced the tubes.";
        let r = engine().desensitize_text(text, &key());
        assert_eq!(r.redactions.len(), 1);
        let e = engine().allow(["Acme Heat Transfer GmbH"]);
        assert_eq!(e.desensitize_text(text, &key()).text, text);
    }

    #[test]
    fn dates_are_kept_unless_the_policy_generalizes_them() {
        let text = "2023年8月15日发现泄漏";
        assert_eq!(engine().desensitize_text(text, &key()).text, text);
        let policy = Policy::default()
            .with_action(DetectorKind::Date, Action::Generalize)
            .unwrap();
        let e = Desensitizer::new(policy, OrgDictionary::empty()).unwrap();
        assert_eq!(e.desensitize_text(text, &key()).text, "2023年8月发现泄漏");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Any text, however odd, comes back with valid, ordered, non-overlapping spans, and
        /// everything outside the redactions is unchanged.
        #[test]
        fn redaction_spans_are_consistent(
            text in "[0-9０-９a-zA-Z张王李伟工总先生经理联系人：:，,。.@＠ \\-+()（）号路市区省元¥°℃%/\n]{0,80}",
        ) {
            let r = engine().desensitize_text(&text, &key());
            let mut rebuilt = String::new();
            let mut at = 0;
            for red in &r.redactions {
                prop_assert!(red.start >= at && red.start < red.end && red.end <= text.len());
                prop_assert!(text.is_char_boundary(red.start) && text.is_char_boundary(red.end));
                rebuilt.push_str(&text[at..red.start]);
                rebuilt.push_str(&red.replacement);
                at = red.end;
            }
            rebuilt.push_str(&text[at..]);
            prop_assert_eq!(rebuilt, r.text);
        }

        #[test]
        fn arbitrary_unicode_never_panics(text in any::<String>()) {
            let _ = engine().desensitize_text(&text, &key());
        }

        /// A planted mobile number never survives, whatever surrounds it.
        #[test]
        fn planted_mobiles_are_removed(
            before in "[a-z张伟，。 ]{0,12}",
            number in "1[3-9][0-9]{9}",
            after in "[a-z张伟，。 ]{0,12}",
        ) {
            let text = format!("{before} {number} {after}");
            let r = engine().desensitize_text(&text, &key());
            prop_assert!(!r.text.contains(&number));
        }
    }

    #[test]
    fn structured_fields_follow_their_rules() {
        let fields: BTreeMap<String, String> = [
            ("reporter", "李娜"),
            ("region_code", "320115"),
            ("grade", "Gr2"),
            ("cost", "¥ 356,000"),
            ("notes", "联系 13812345678"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let r = engine().desensitize_fields(&fields, &key());
        assert!(r.fields["reporter"].starts_with("人员-"));
        assert_eq!(r.fields["region_code"], "江苏省");
        assert_eq!(r.fields["grade"], "Gr2");
        assert_eq!(r.fields["cost"], "10–50万元");
        assert_eq!(r.fields["notes"], "联系 [已删除]");
        assert_eq!(r.redactions.len(), 4);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["redactions"][0]["field"], "cost");
    }
}
