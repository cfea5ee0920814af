//! Money amounts and plant capacities, and the bands they generalize to.
//!
//! A number is money only with a currency (¥, ￥, $, RMB, CNY, USD, EUR, 元, 万元, 美元 …), so
//! "1.5 MPa" and "150 g/L" never are. Chinese numerals are accepted before 元 when they contain
//! a unit character (叁万伍仟元, 十二万元), which excludes 单元 and 二元酸.
//!
//! Capacity is the production or installed capacity of a plant (年产 30 万吨, 装机容量 2×660 MW):
//! a quasi-identifier, since few plants of a given size exist. It is found only after such a
//! label; the heat duty or area of an exchanger is technical content and is not touched.

use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, char_at, char_before};
use crate::kind::DetectorKind;

const NUMBER: &str = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?";

static PREFIX_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:[¥￥$€£]|US\$|(?:RMB|CNY|USD|EUR|人民币)\s?)\s?(?:{NUMBER})(?:\s?(?:万|亿|千|百万|million|mn|k|K|M)(?:[^A-Za-z]|$))?(?:\s?(?:元|美元|欧元))?"
    ))
    .expect("prefixed money pattern")
});

static SUFFIX_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:{NUMBER})\s?(?:万元|亿元|千元|万美元|美元|欧元|元|块钱|(?:RMB|CNY|USD|EUR|yuan|dollars)(?:[^A-Za-z]|$))"
    ))
    .expect("suffixed money pattern")
});

static COST_WAN_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:费用|损失|金额|造价|价格|成本|合同额|合同价|投资|赔偿|维修费|货款)(?:\p{{Han}}{{0,4}}?)\s?(?:约|为|达|共|计)?\s?((?:{NUMBER})\s?(?:万|亿))"
    ))
    .expect("cost pattern")
});

static CHINESE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:人民币)?[零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟]{2,12}(?:元|圆)(?:整)?")
        .expect("chinese money pattern")
});

static CAPACITY_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?x)
        (?:年产(?:能)?|产能|生产能力|设计能力|装机容量|装机|建设规模|生产规模
          |(?i:annual\s(?:capacity|output)|production\scapacity|installed\scapacity|capacity\sof))
        (?:\p{{Han}}{{0,4}}?)\s?(?:为|约|达|达到|of|:|：)?\s?
        ((?:{NUMBER})(?:\s?[×xX]\s?(?:{NUMBER}))?\s?
         (?:万吨|吨|万t|kt|Mt|t|MW|GW|kW|万千瓦|千瓦|万立方米|立方米|万m³|m³|万m3|m3)
         (?:\s?/\s?(?:年|a|d|天|日|h|yr|year))?)
        "
    ))
    .expect("capacity pattern")
});

pub(crate) fn detect(text: &str, out: &mut Vec<Detection>) {
    for re in [&*PREFIX_RE, &*SUFFIX_RE] {
        for m in re.find_iter(text) {
            let end = m.start()
                + m.as_str()
                    .trim_end_matches(|c: char| !is_money_tail(c))
                    .len();
            if char_before(text, m.start()).is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
                || yuan_starts_a_word(text, end)
            {
                continue;
            }
            out.push(Detection::new(
                DetectorKind::Money,
                m.start()..end,
                "amount with a currency",
            ));
        }
    }
    for m in CHINESE_RE.find_iter(text) {
        let s = m.as_str().trim_start_matches("人民币");
        let has_unit = s.contains(['十', '百', '千', '万', '亿', '拾', '佰', '仟']);
        if has_unit
            && char_before(text, m.start()) != Some('单')
            && !yuan_starts_a_word(text, m.end())
        {
            out.push(Detection::new(
                DetectorKind::Money,
                m.range(),
                "amount in Chinese numerals",
            ));
        }
    }
    for c in COST_WAN_RE.captures_iter(text) {
        // "损失约 30 万": 万 without 元 is money only after a cost word.
        let v = c.get(1).expect("value group");
        if !char_at(text, v.end()).is_some_and(|c| {
            matches!(
                c,
                '元' | '吨' | '千' | '台' | '次' | '小' | '人' | '美' | '欧'
            )
        }) {
            out.push(Detection::new(
                DetectorKind::Money,
                v.range(),
                "amount in 万 after a cost word",
            ));
        }
    }
    for c in CAPACITY_RE.captures_iter(text) {
        let v = c.get(1).expect("value group");
        if !char_at(text, v.end()).is_some_and(|c| c.is_ascii_alphabetic()) {
            out.push(Detection::new(
                DetectorKind::Capacity,
                v.range(),
                "plant capacity after a capacity label",
            ));
        }
    }
}

/// 元 followed by 件, 素, 器 … is part of a word (元件 "component", 元素 "element").
fn yuan_starts_a_word(text: &str, end: usize) -> bool {
    text[..end].ends_with('元')
        && char_at(text, end)
            .is_some_and(|c| matches!(c, '件' | '素' | '器' | '酸' | '醇' | '胞' | '宵' | '旦'))
}

/// The last character of a money match: a digit, a currency word or a multiplier, not the
/// character the pattern consumed to check the word ended.
fn is_money_tail(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '元' | '万' | '亿' | '千' | '钱')
}

/// A parsed amount: value in units of the currency, and the currency code.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Amount {
    pub value: f64,
    pub currency: &'static str,
}

/// Reads the amount of a detected money span ("¥ 12.5 万", "3,000 元", "USD 1.2 million",
/// "叁万伍仟元整"). A bare number is read as yuan.
pub(crate) fn parse_amount(span: &str) -> Option<Amount> {
    let lower = span.to_lowercase();
    let currency = if lower.contains("usd")
        || lower.contains('$')
        || lower.contains("美元")
        || lower.contains("dollar")
    {
        "USD"
    } else if lower.contains("eur") || lower.contains('€') || lower.contains("欧元") {
        "EUR"
    } else {
        "CNY"
    };
    static NUM: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[0-9][0-9,]*(?:\.[0-9]+)?").expect("number pattern"));
    let value = match NUM.find(&lower) {
        Some(m) => {
            let base: f64 = m.as_str().replace(',', "").parse().ok()?;
            let after = &lower[m.end()..];
            let after = after.trim_start();
            let multiplier = if after.starts_with('亿') {
                1e8
            } else if after.starts_with("百万")
                || after.starts_with("million")
                || after.starts_with("mn")
                || (after.starts_with('m') && !after.starts_with("mpa"))
            {
                1e6
            } else if after.starts_with('万') {
                1e4
            } else if after.starts_with('千') || after.starts_with('k') {
                1e3
            } else {
                1.0
            };
            base * multiplier
        }
        None => chinese_numeral(lower.trim_start_matches("人民币"))?,
    };
    Some(Amount { value, currency })
}

/// Value of a Chinese numeral such as 叁万伍仟 or 十二万 (stops at the first other character).
pub(crate) fn chinese_numeral(s: &str) -> Option<f64> {
    let digit = |c: char| -> Option<u64> {
        Some(match c {
            '零' | '〇' => 0,
            '一' | '壹' => 1,
            '二' | '两' | '贰' => 2,
            '三' | '叁' => 3,
            '四' | '肆' => 4,
            '五' | '伍' => 5,
            '六' | '陆' => 6,
            '七' | '柒' => 7,
            '八' | '捌' => 8,
            '九' | '玖' => 9,
            _ => return None,
        })
    };
    let (mut total, mut section, mut current) = (0u64, 0u64, 0u64);
    let mut any = false;
    for c in s.chars() {
        if let Some(d) = digit(c) {
            current = d;
            any = true;
            continue;
        }
        let unit = match c {
            '十' | '拾' => 10,
            '百' | '佰' => 100,
            '千' | '仟' => 1000,
            '万' => 10_000,
            '亿' => 100_000_000,
            _ => break,
        };
        any = true;
        if unit >= 10_000 {
            section += current;
            total += section.max(1) * unit;
            section = 0;
        } else {
            section += current.max(if current == 0 && unit == 10 { 1 } else { 0 }) * unit;
        }
        current = 0;
    }
    any.then(|| (total + section + current) as f64)
}

/// The band a CNY amount falls in, in the words of the document's language.
pub(crate) fn money_band(amount: &Amount, chinese: bool) -> String {
    let bounds = [1e4, 1e5, 5e5, 1e6, 5e6, 1e7];
    let v = amount.value;
    let idx = bounds.iter().position(|b| v < *b).unwrap_or(bounds.len());
    if amount.currency == "CNY" {
        let wan = |x: f64| format!("{}", x / 1e4);
        match (idx, chinese) {
            (0, true) => "1万元以下".to_owned(),
            (0, false) => "under CNY 10k".to_owned(),
            (i, true) if i == bounds.len() => format!("{}万元以上", wan(bounds[i - 1])),
            (i, false) if i == bounds.len() => format!("over CNY {}k", bounds[i - 1] / 1e3),
            (i, true) => format!("{}–{}万元", wan(bounds[i - 1]), wan(bounds[i])),
            (i, false) => format!("CNY {}k–{}k", bounds[i - 1] / 1e3, bounds[i] / 1e3),
        }
    } else {
        let c = amount.currency;
        match idx {
            0 => format!("under {c} 10k"),
            i if i == bounds.len() => format!("over {c} {}k", bounds[i - 1] / 1e3),
            i => format!("{c} {}k–{}k", bounds[i - 1] / 1e3, bounds[i] / 1e3),
        }
    }
}

/// The decade band of a capacity span ("30万吨/年" → "10–100万吨/年"), keeping its unit.
pub(crate) fn capacity_band(span: &str) -> Option<String> {
    static PARTS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^([0-9][0-9,]*(?:\.[0-9]+)?)(?:\s?[×xX]\s?([0-9][0-9,]*(?:\.[0-9]+)?))?\s?(.*)$",
        )
        .expect("capacity parts pattern")
    });
    let c = PARTS.captures(span.trim())?;
    let a: f64 = c[1].replace(',', "").parse().ok()?;
    let value = match c.get(2) {
        Some(b) => a * b.as_str().replace(',', "").parse::<f64>().ok()?,
        None => a,
    };
    if value <= 0.0 {
        return None;
    }
    let unit = c[3].trim();
    let low = 10f64.powf(value.log10().floor());
    let sep = if unit.starts_with(|ch: char| ch.is_ascii_alphabetic()) {
        " "
    } else {
        ""
    };
    Some(format!(
        "{}–{}{sep}{unit}",
        trim_float(low),
        trim_float(low * 10.0)
    ))
}

fn trim_float(x: f64) -> String {
    if x >= 1.0 {
        format!("{}", x.round())
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(DetectorKind, String)> {
        let mut out = Vec::new();
        detect(text, &mut out);
        out.into_iter()
            .map(|d| (d.kind, text[d.start..d.end].to_owned()))
            .collect()
    }

    /// Money detections after overlaps are settled.
    fn money(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        detect(text, &mut out);
        crate::detect::resolve(out, &[])
            .into_iter()
            .filter(|d| d.kind == DetectorKind::Money)
            .map(|d| text[d.start..d.end].to_owned())
            .collect()
    }

    #[test]
    fn amounts_with_currencies() {
        assert_eq!(money("维修费用 ¥12,500 元。"), ["¥12,500 元"]);
        assert_eq!(money("损失约 35.6 万元，"), ["35.6 万元"]);
        assert_eq!(money("cost USD 18,000 in total"), ["USD 18,000"]);
        assert_eq!(money("RMB 2.5 million"), ["RMB 2.5 million"]);
        assert_eq!(money("合计人民币叁万伍仟元整"), ["人民币叁万伍仟元整"]);
        assert_eq!(money("price 120 yuan"), ["120 yuan"]);
        assert_eq!(money("直接损失约 30 万，"), ["30 万"]);
        assert!(money("运行 3 万小时").is_empty());
    }

    #[test]
    fn measurements_are_not_money() {
        assert!(found("压力 1.5 MPa，温度 85 ℃").is_empty());
        assert!(found("150 g/L NaCl").is_empty());
        assert!(found("第三单元").is_empty());
        assert!(found("二元酸").is_empty());
        assert!(found("更换 2 元件").is_empty());
    }

    #[test]
    fn capacities_after_labels() {
        assert_eq!(
            found("该厂年产烧碱 30 万吨/年"),
            [(DetectorKind::Capacity, "30 万吨/年".to_owned())]
        );
        assert_eq!(
            found("装机容量 2×660 MW"),
            [(DetectorKind::Capacity, "2×660 MW".to_owned())]
        );
        assert_eq!(
            found("annual capacity of 120 kt/a"),
            [(DetectorKind::Capacity, "120 kt/a".to_owned())]
        );
        assert!(found("换热面积 120 m²").is_empty());
    }

    #[test]
    fn parsing_and_bands() {
        assert_eq!(parse_amount("¥12,500 元").unwrap().value, 12_500.0);
        assert_eq!(parse_amount("35.6 万元").unwrap().value, 356_000.0);
        assert_eq!(parse_amount("RMB 2.5 million").unwrap().value, 2_500_000.0);
        assert_eq!(parse_amount("叁万伍仟元整").unwrap().value, 35_000.0);
        assert_eq!(parse_amount("USD 18,000").unwrap().currency, "USD");
        assert_eq!(chinese_numeral("十二万"), Some(120_000.0));
        assert_eq!(chinese_numeral("一百零五"), Some(105.0));
        let a = Amount {
            value: 356_000.0,
            currency: "CNY",
        };
        assert_eq!(money_band(&a, true), "10–50万元");
        assert_eq!(money_band(&a, false), "CNY 100k–500k");
        assert_eq!(
            money_band(
                &Amount {
                    value: 5e7,
                    currency: "CNY"
                },
                true
            ),
            "1000万元以上"
        );
        assert_eq!(capacity_band("30 万吨/年").unwrap(), "10–100万吨/年");
        assert_eq!(capacity_band("2×660 MW").unwrap(), "1000–10000 MW");
    }
}
