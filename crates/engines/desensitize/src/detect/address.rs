//! Street addresses and province–city–district chains.
//!
//! Chinese addresses are found from their end: a road word (路, 街, 大道 …) followed by a house
//! number and 号, optionally a building and a room. From there the detector walks back over the
//! Chinese characters that name the road and the administrative units before it, and stops at
//! the last word that introduces an address (位于, 地址, 在 …). This avoids the classic
//! failure of a forward pattern, which swallows the whole clause before the address.
//! Technical compounds that end in a road word (管路, 回路, 通道 …) are not roads.
//!
//! A chain of administrative units without a street (浙江省温州市龙湾区) is an address too when
//! it starts with a province name, so that it can be generalized to the province.
//!
//! English addresses: a house number, one to four capitalised words and a street type
//! (Road, Street, Avenue …), then any ", District, City, Province 123456" tail.

use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, char_before, is_ascii_alnum, is_han};
use crate::kind::DetectorKind;
use crate::regions;

static ROAD_CORE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:大道|路|街|巷|弄|胡同|道)
        \s?(?:[0-9]{1,5}(?:[-－][0-9]{1,4})?|[一二三四五六七八九十百零]{1,4})\s?号(?:院)?
        (?:\s?[0-9]{1,4}\s?(?:号楼|栋|幢|座))?
        (?:\s?[0-9]{1,2}\s?(?:单元|层|楼))?
        (?:\s?[0-9]{1,5}\s?(?:室|房|号房))?
        ",
    )
    .expect("road pattern")
});

static CHAIN_RE: LazyLock<Regex> = LazyLock::new(|| {
    let names: Vec<String> = regions::all()
        .iter()
        .flat_map(|p| [p.name_zh, p.short_zh])
        .map(regex::escape)
        .collect();
    Regex::new(&format!(
        r"(?:{})(?:\p{{Han}}{{1,6}}?(?:自治州|地区|盟|市|州))?(?:\p{{Han}}{{1,6}}?(?:新区|区|县|旗|市))?",
        names.join("|")
    ))
    .expect("chain pattern")
});

static ENGLISH_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:
            (?:No\.\s?)?[0-9]{1,5}[A-Za-z]?,?\s(?:[A-Z][a-z]+\s){1,4}
            (?:Road|Rd\.?|Street|St\.?|Avenue|Ave\.?|Boulevard|Blvd\.?|Lane|Ln\.?|Drive|Way|Highway|Expressway)
          | (?:[A-Z][a-z]+\s){1,4}(?:Road|Street|Avenue|Lane|Boulevard)\s(?:No\.\s?)?[0-9]{1,5}
        )
        (?:,\s?[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2})*     # , Nanshan District, Shenzhen
        (?:,?\s[0-9]{6})?                              # postcode
        ",
    )
    .expect("english address pattern")
});

/// Words after which an address starts. The strong ones are unambiguous; the weak ones are
/// single characters that can also occur inside a place name (和平区, 于洪区), so a province
/// name after the last strong word takes precedence over them.
const STRONG_INTRODUCERS: &[&str] = &[
    "坐落于",
    "坐落在",
    "搬迁至",
    "位于",
    "地处",
    "地址",
    "住址",
    "厂址",
    "地点",
    "迁至",
    "迁往",
    "来自",
    "前往",
    "送至",
    "寄至",
    "寄往",
    "运至",
    "发往",
    "设在",
];
const WEAK_INTRODUCERS: &[&str] = &[
    "在", "于", "的", "是", "到", "至", "从", "为", "和", "与", "及", "或", "往", "向", "由", "距",
    "离", "近", "址", "号",
];

/// Characters that make "X路/X道" a technical term rather than a road.
const NOT_ROADS: &[char] = &[
    '管', '线', '回', '油', '气', '通', '流', '风', '烟', '渠', '轨', '孔', '电', '岔', '旁', '支',
    '跑', '坡', '滑', '航', '隧', '车', '频', '声', '水', '弯', '短', '断', '隔',
];

const ENGLISH_LEADING_STOP: &[&str] = &[
    "The", "At", "In", "On", "From", "To", "Near", "Address", "Located", "Site", "Plant", "By",
];

pub(crate) fn detect(text: &str, out: &mut Vec<Detection>) {
    for m in ROAD_CORE_RE.find_iter(text) {
        if let Some(start) = road_start(text, m.start()) {
            out.push(Detection::new(
                DetectorKind::Address,
                start..m.end(),
                "road name with house number",
            ));
        }
    }
    for m in CHAIN_RE.find_iter(text) {
        let s = m.as_str();
        let province_only = regions::all()
            .iter()
            .any(|p| p.name_zh == s || p.short_zh == s);
        if !province_only && !s.contains('某') {
            out.push(Detection::new(
                DetectorKind::Address,
                m.range(),
                "province followed by city or district",
            ));
        }
    }
    for m in ENGLISH_RE.find_iter(text) {
        if char_before(text, m.start()).is_some_and(is_ascii_alnum) {
            continue;
        }
        let mut start = m.start();
        let mut rest = m.as_str();
        while let Some(word) = ENGLISH_LEADING_STOP
            .iter()
            .find(|w| rest.starts_with(*w) && rest[w.len()..].starts_with(' '))
        {
            start += word.len() + 1;
            rest = &rest[word.len() + 1..];
        }
        let end = m.start() + m.as_str().trim_end_matches([',', ' ']).len();
        if end > start {
            out.push(Detection::new(
                DetectorKind::Address,
                start..end,
                "house number, street name and street type",
            ));
        }
    }
}

/// Walks back from the road word at `core` and returns where the address starts, or `None`
/// when the road word belongs to a technical term or no road name precedes it.
fn road_start(text: &str, core: usize) -> Option<usize> {
    let before = char_before(text, core)?;
    let road_word = text[core..].chars().next()?;
    if !is_han(before) || (NOT_ROADS.contains(&before) && road_word != '街') {
        return None;
    }
    // The run of Chinese characters and digits (road names such as 纬11路), at most 30.
    let mut start = core;
    for (n, (i, c)) in text[..core].char_indices().rev().enumerate() {
        if n >= 30 || !(is_han(c) || c.is_ascii_digit()) {
            break;
        }
        start = i;
    }
    let run = &text[start..core];
    let after_last = |words: &[&str]| {
        words
            .iter()
            .flat_map(|w| run.match_indices(w).map(move |(i, _)| i + w.len()))
            .filter(|&after| after < run.len())
            .max()
            .unwrap_or(0)
    };
    let strong = after_last(STRONG_INTRODUCERS);
    let cut = match first_province(&run[strong..]) {
        Some(p) => strong + p,
        None => strong.max(after_last(WEAK_INTRODUCERS)),
    };
    let name = &run[cut..];
    if name.chars().count() < 2 || name.starts_with('某') || name.contains("某某") {
        return None;
    }
    Some(start + cut)
}

fn first_province(run: &str) -> Option<usize> {
    regions::all()
        .iter()
        .filter_map(|p| run.find(p.short_zh))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        detect(text, &mut out);
        out.into_iter()
            .map(|d| text[d.start..d.end].to_owned())
            .collect()
    }

    #[test]
    fn chinese_addresses_start_after_the_introducer() {
        let t = "该公司位于江苏省南京市江宁区天元中路8号，";
        assert!(found(t).contains(&"江苏省南京市江宁区天元中路8号".to_owned()));
        assert_eq!(
            found("地址：上海市浦东新区张江路 88 号 3 号楼 502 室。")[0],
            "上海市浦东新区张江路 88 号 3 号楼 502 室"
        );
        assert_eq!(
            found("厂区在宝鸡市高新大道 26 号"),
            ["宝鸡市高新大道 26 号"]
        );
        assert_eq!(found("送至中山路100号"), ["中山路100号"]);
    }

    #[test]
    fn technical_roads_are_not_addresses() {
        assert!(found("循环水管路2号阀门泄漏").is_empty());
        assert!(found("冷却通道3号").is_empty());
        assert!(found("某某路8号").is_empty());
    }

    #[test]
    fn province_chains() {
        assert_eq!(
            found("位于浙江省温州市龙湾区的一家电镀厂"),
            ["浙江省温州市龙湾区"]
        );
        assert_eq!(found("上海市浦东新区的用户"), ["上海市浦东新区"]);
        assert!(found("江苏省内多家企业").is_empty());
        assert!(found("浙江").is_empty());
    }

    #[test]
    fn english_addresses() {
        assert_eq!(
            found("Site: No. 88 Keyuan Road, Nanshan District, Shenzhen 518057."),
            ["No. 88 Keyuan Road, Nanshan District, Shenzhen 518057"]
        );
        assert_eq!(
            found("at 1200 Century Avenue, Pudong"),
            ["1200 Century Avenue, Pudong"]
        );
        assert_eq!(found("Keyuan Road No. 88"), ["Keyuan Road No. 88"]);
        assert!(found("Grade 2 tubes, 25 Heat Exchanger tubes").is_empty());
    }
}
