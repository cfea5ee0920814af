//! Contract, order and work-order numbers.
//!
//! Either labelled (合同编号：…, 订单号 …, PO No. …, Order No. …, Contract No. …) — the span is the
//! number after the label — or self-describing by a business prefix (HT-2023-0815, PO-12345,
//! WO2023-117). Standard numbers never carry these prefixes, and the technical guard vetoes
//! any candidate that cuts into a standard number.

use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, is_ascii_alnum, isolated};
use crate::kind::DetectorKind;

static LABELLED_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:合同编号|合同号|订单编号|订单号|采购订单号|采购订单|采购单号|工单号|委托单号|委托编号|项目编号|协议编号
          |(?i:P\.?O\.?\s?(?:No\.?|Number|\#)|Purchase\sOrder(?:\sNo\.?)?|Order\s?(?:No\.?|Number|\#)
          |Contract\s?(?:No\.?|Number|\#)|Work\sOrder(?:\sNo\.?)?))
        \s?[:：\#]?\s?
        ([A-Za-z0-9][A-Za-z0-9\-/_.]{2,40})
        ",
    )
    .expect("labelled contract pattern")
});

static PREFIXED_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:CGHT|HT|PO|SO|WO|CG|DD|ORD|CON|CT|XS)[-_]?[0-9]{2,}[A-Z]?(?:[-_/][A-Za-z0-9]+){0,4}",
    )
    .expect("prefixed contract pattern")
});

pub(crate) fn detect(text: &str, out: &mut Vec<Detection>) {
    for c in LABELLED_RE.captures_iter(text) {
        let whole = c.get(0).expect("whole match");
        if issued_by_an_authority(text, whole.start()) {
            continue;
        }
        let value = c.get(1).expect("value group");
        let trimmed = value.as_str().trim_end_matches(['.', '-', '/', '_']);
        if trimmed.bytes().any(|b| b.is_ascii_digit())
            && isolated(
                text,
                value.start(),
                value.start() + trimmed.len(),
                is_ascii_alnum,
            )
        {
            out.push(
                Detection::new(
                    DetectorKind::ContractNo,
                    value.start()..value.start() + trimmed.len(),
                    "number after a contract or order label",
                )
                .with_bonus(10),
            );
        }
    }
    for m in PREFIXED_RE.find_iter(text) {
        let digits = m.as_str().bytes().filter(u8::is_ascii_digit).count();
        if digits >= 4 && isolated(text, m.start(), m.end(), is_ascii_alnum) {
            out.push(Detection::new(
                DetectorKind::ContractNo,
                m.range(),
                "contract or order number prefix",
            ));
        }
    }
}

/// "AQSIQ Order No. 163", "SAMR Order No. 39": an order of a government body is a
/// regulation, not a purchase order. The word before the label is an upper-case acronym or
/// names a ministry.
fn issued_by_an_authority(text: &str, label_start: usize) -> bool {
    let before = text[..label_start].trim_end();
    let word = before
        .rsplit(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default();
    (word.len() >= 3 && word.bytes().all(|b| b.is_ascii_uppercase()))
        || [
            "Ministry",
            "Council",
            "Decree",
            "Administration",
            "Commission",
        ]
        .iter()
        .any(|w| before.ends_with(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        detect(text, &mut out);
        out.sort_by_key(|d| d.start);
        let mut v: Vec<String> = out
            .into_iter()
            .map(|d| text[d.start..d.end].to_owned())
            .collect();
        v.dedup();
        v
    }

    #[test]
    fn labelled_and_prefixed_numbers() {
        assert_eq!(found("合同编号：HT-2023-0815。"), ["HT-2023-0815"]);
        assert_eq!(found("PO-12345 shipped"), ["PO-12345"]);
        assert_eq!(found("Order No. 4500123456."), ["4500123456"]);
        assert_eq!(found("订单号 DD20230815001"), ["DD20230815001"]);
        assert_eq!(found("Contract No.: CT/2022/117"), ["CT/2022/117"]);
    }

    #[test]
    fn chemistry_and_standards_are_not_orders() {
        assert!(found("SO2 和 SO42- 含量").is_empty());
        assert!(found("PO43-").is_empty());
        assert!(found("GB/T 3620.1-2016").is_empty());
        assert!(found("HG/T 20592").is_empty());
        assert!(found("订单号见附件").is_empty());
        assert!(found("(AQSIQ Order No. 163, article 3)").is_empty());
        assert!(found("SAMR Order No. 101").is_empty());
    }
}
