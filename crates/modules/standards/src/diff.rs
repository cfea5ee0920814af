//! What changed between two versions of a standard (or a proposal and the version it
//! revises): clause by clause, matched by number, and character by character inside a
//! changed text, so that a Chinese sentence with one figure changed reads as that figure
//! changed rather than as a whole sentence replaced.

use serde::Serialize;

use crate::model::ClauseInput;

ticorr_kernel::text_enum! {
    /// How a clause changed.
    pub enum Change {
        Added = "added",
        Removed = "removed",
        Changed = "changed",
        Unchanged = "unchanged",
    }
}

ticorr_kernel::text_enum! {
    /// One run of characters in a text diff.
    pub enum Op {
        Same = "same",
        Deleted = "deleted",
        Inserted = "inserted",
    }
}

/// A run of characters kept, deleted or inserted.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Span {
    pub op: Op,
    pub text: String,
}

/// One field of a clause that changed, with its character diff.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldDiff {
    /// `text_zh`, `text_en`, `rationale_zh`, `rationale_en`, `kind`, `risk_grades`,
    /// `applies`, `limit`, `references`.
    pub field: String,
    pub spans: Vec<Span>,
}

/// One clause in the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ClauseDiff {
    pub number: String,
    pub change: Change,
    /// The clause's Chinese text in the newer version (the older one's when removed).
    pub text_zh: String,
    pub text_en: String,
    /// For a changed clause: each field that differs.
    pub fields: Vec<FieldDiff>,
}

/// A whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VersionDiff {
    pub from: String,
    pub to: String,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// In the newer version's order, removed clauses where they stood.
    pub clauses: Vec<ClauseDiff>,
}

/// Longer texts than this (in characters, product of both lengths) are compared as one
/// replaced run: the table below grows with the product.
const MAX_CELLS: usize = 4_000_000;

/// The character diff of two texts: a longest common subsequence, runs merged.
pub fn chars(old: &str, new: &str) -> Vec<Span> {
    let a: Vec<char> = old.chars().collect();
    let b: Vec<char> = new.chars().collect();
    // Common prefix and suffix first: most edits are local.
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut ops: Vec<(Op, char)> = a[..prefix].iter().map(|c| (Op::Same, *c)).collect();
    if ma.len().saturating_mul(mb.len()) > MAX_CELLS {
        ops.extend(ma.iter().map(|c| (Op::Deleted, *c)));
        ops.extend(mb.iter().map(|c| (Op::Inserted, *c)));
    } else {
        // lcs[i][j]: the longest common subsequence of ma[i..] and mb[j..].
        let w = mb.len() + 1;
        let mut lcs = vec![0u32; (ma.len() + 1) * w];
        for i in (0..ma.len()).rev() {
            for j in (0..mb.len()).rev() {
                lcs[i * w + j] = if ma[i] == mb[j] {
                    lcs[(i + 1) * w + j + 1] + 1
                } else {
                    lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < ma.len() || j < mb.len() {
            if i < ma.len() && j < mb.len() && ma[i] == mb[j] {
                ops.push((Op::Same, ma[i]));
                i += 1;
                j += 1;
            } else if i < ma.len() && (j == mb.len() || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])
            {
                // Deletions before insertions, as people read a replacement.
                ops.push((Op::Deleted, ma[i]));
                i += 1;
            } else {
                ops.push((Op::Inserted, mb[j]));
                j += 1;
            }
        }
    }
    ops.extend(a[a.len() - suffix..].iter().map(|c| (Op::Same, *c)));
    let mut spans: Vec<Span> = Vec::new();
    for (op, c) in ops {
        match spans.last_mut() {
            Some(last) if last.op == op => last.text.push(c),
            _ => spans.push(Span {
                op,
                text: c.to_string(),
            }),
        }
    }
    spans
}

fn json(v: &impl Serialize) -> String {
    serde_json::to_string(v).expect("clause fields serialize")
}

/// The fields of a clause that differ, each with its character diff.
fn fields(old: &ClauseInput, new: &ClauseInput) -> Vec<FieldDiff> {
    let pairs = [
        ("text_zh", old.text_zh.clone(), new.text_zh.clone()),
        ("text_en", old.text_en.clone(), new.text_en.clone()),
        ("kind", old.kind.to_string(), new.kind.to_string()),
        (
            "risk_grades",
            old.risk_grades.join(", "),
            new.risk_grades.join(", "),
        ),
        ("applies", json(&old.applies), json(&new.applies)),
        (
            "limit",
            old.limit.as_ref().map(|l| l.text()).unwrap_or_default(),
            new.limit.as_ref().map(|l| l.text()).unwrap_or_default(),
        ),
        (
            "references",
            old.references.join(", "),
            new.references.join(", "),
        ),
        (
            "rationale_zh",
            old.rationale_zh.clone(),
            new.rationale_zh.clone(),
        ),
        (
            "rationale_en",
            old.rationale_en.clone(),
            new.rationale_en.clone(),
        ),
    ];
    pairs
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(field, a, b)| FieldDiff {
            field: field.to_owned(),
            spans: chars(&a, &b),
        })
        .collect()
}

/// Compares two lists of clauses, matched by number.
pub fn versions(from: (&str, &[ClauseInput]), to: (&str, &[ClauseInput])) -> VersionDiff {
    let (old, new) = (from.1, to.1);
    let mut out = VersionDiff {
        from: from.0.to_owned(),
        to: to.0.to_owned(),
        added: 0,
        removed: 0,
        changed: 0,
        unchanged: 0,
        clauses: Vec::new(),
    };
    let removed = |c: &ClauseInput| ClauseDiff {
        number: c.number.clone(),
        change: Change::Removed,
        text_zh: c.text_zh.clone(),
        text_en: c.text_en.clone(),
        fields: Vec::new(),
    };
    // Removed clauses are placed before the first surviving clause that followed them.
    let mut pending: Vec<&ClauseInput> = Vec::new();
    let mut old_at = 0;
    for c in new {
        let found = old.iter().position(|o| o.number == c.number);
        if let Some(p) = found {
            while old_at < p {
                if !new.iter().any(|n| n.number == old[old_at].number) {
                    pending.push(&old[old_at]);
                }
                old_at += 1;
            }
            old_at = old_at.max(p + 1);
        }
        for r in pending.drain(..) {
            out.removed += 1;
            out.clauses.push(removed(r));
        }
        let (change, fields) = match found {
            None => (Change::Added, Vec::new()),
            Some(p) => {
                let f = fields(&old[p], c);
                if f.is_empty() {
                    (Change::Unchanged, f)
                } else {
                    (Change::Changed, f)
                }
            }
        };
        match change {
            Change::Added => out.added += 1,
            Change::Changed => out.changed += 1,
            _ => out.unchanged += 1,
        }
        out.clauses.push(ClauseDiff {
            number: c.number.clone(),
            change,
            text_zh: c.text_zh.clone(),
            text_en: c.text_en.clone(),
            fields,
        });
    }
    for o in &old[old_at.min(old.len())..] {
        if !new.iter().any(|n| n.number == o.number) {
            out.removed += 1;
            out.clauses.push(removed(o));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ClauseKind;

    fn text(spans: &[Span], keep: impl Fn(Op) -> bool) -> String {
        spans
            .iter()
            .filter(|s| keep(s.op))
            .map(|s| s.text.as_str())
            .collect()
    }

    #[test]
    fn a_changed_figure_in_a_chinese_sentence_is_the_only_change() {
        let spans = chars("温度不应超过70 °C。", "温度不应超过60 °C。");
        assert_eq!(
            spans,
            vec![
                Span {
                    op: Op::Same,
                    text: "温度不应超过".into()
                },
                Span {
                    op: Op::Deleted,
                    text: "7".into()
                },
                Span {
                    op: Op::Inserted,
                    text: "6".into()
                },
                Span {
                    op: Op::Same,
                    text: "0 °C。".into()
                },
            ]
        );
    }

    #[test]
    fn both_texts_are_rebuilt_from_the_spans() {
        let pairs = [
            ("", "新增条款"),
            ("删除的条款", ""),
            ("钛材在湿氯气中耐蚀", "钛材在干氯气中会燃烧"),
            ("abcabba", "cbabac"),
            ("same", "same"),
        ];
        for (a, b) in pairs {
            let spans = chars(a, b);
            assert_eq!(text(&spans, |op| op != Op::Inserted), a);
            assert_eq!(text(&spans, |op| op != Op::Deleted), b);
            for w in spans.windows(2) {
                assert_ne!(w[0].op, w[1].op, "runs are merged");
            }
        }
    }

    fn clause(number: &str, zh: &str) -> ClauseInput {
        ClauseInput {
            number: number.into(),
            kind: ClauseKind::Mandatory,
            text_en: format!("en {zh}"),
            text_zh: zh.into(),
            rationale_en: String::new(),
            rationale_zh: String::new(),
            risk_grades: vec!["III".into()],
            applies: Default::default(),
            references: vec![],
            source: vec![],
            convention: false,
            unverified: false,
            limit: None,
        }
    }

    #[test]
    fn clauses_are_matched_by_number_and_removed_ones_stay_where_they_stood() {
        let old = [
            clause("4.1", "甲"),
            clause("4.2", "乙"),
            clause("4.3", "丙"),
        ];
        let mut changed = clause("4.3", "丙丁");
        changed.kind = ClauseKind::Recommended;
        let new = [clause("4.1", "甲"), changed, clause("4.4", "戊")];
        let d = versions(("1.0", &old), ("2.0", &new));
        let seen: Vec<(&str, Change)> = d
            .clauses
            .iter()
            .map(|c| (c.number.as_str(), c.change))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("4.1", Change::Unchanged),
                ("4.2", Change::Removed),
                ("4.3", Change::Changed),
                ("4.4", Change::Added),
            ]
        );
        assert_eq!((d.added, d.removed, d.changed, d.unchanged), (1, 1, 1, 1));
        let fields: Vec<&str> = d.clauses[2]
            .fields
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, vec!["text_zh", "text_en", "kind"]);
    }
}
