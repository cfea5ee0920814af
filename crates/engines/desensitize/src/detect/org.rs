//! Organisation names: the platform's registry (given at run time) and legal-form suffixes.
//!
//! The registry is matched exactly (leftmost-longest, ASCII case ignored) with an
//! Aho-Corasick automaton, so a registered name is found even without a suffix ("宝钛"
//! registered as a short name). Unregistered organisations are found by their legal form:
//! 有限公司, 股份有限公司, 集团, 厂, 研究院 … or Co., Ltd., Inc., GmbH …. As with addresses, the
//! detector walks back from the suffix over the name and stops at the last word that
//! introduces it (由, 委托, 位于 …). Names that are only an industry word (化工厂, 钛业公司) or
//! already anonymous (某公司) are not identifying and are left alone.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;

use super::{Detection, char_before, is_han, isolated};
use crate::kind::DetectorKind;

/// The platform's registry of organisation names, compiled for matching.
///
/// Build it once per registry version (it is cheap to share behind an `Arc` inside
/// [`crate::Desensitizer`]); names shorter than two characters are ignored because they would
/// match inside ordinary words.
pub struct OrgDictionary {
    automaton: Option<AhoCorasick>,
    len: usize,
}

impl std::fmt::Debug for OrgDictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The names themselves are registry data; the count is enough for debugging.
        f.debug_struct("OrgDictionary")
            .field("names", &self.len)
            .finish()
    }
}

impl OrgDictionary {
    /// A dictionary of the given names (duplicates and surrounding whitespace are ignored).
    pub fn new<I, S>(names: I) -> OrgDictionary
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list: Vec<String> = names
            .into_iter()
            .map(|n| n.as_ref().trim().to_owned())
            .filter(|n| n.chars().count() >= 2)
            .collect();
        list.sort_unstable();
        list.dedup();
        let automaton = (!list.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .ascii_case_insensitive(true)
                .build(&list)
                .expect("organisation names form a valid automaton")
        });
        OrgDictionary {
            automaton,
            len: list.len(),
        }
    }

    /// A dictionary with no names (suffix patterns still apply).
    pub fn empty() -> OrgDictionary {
        OrgDictionary {
            automaton: None,
            len: 0,
        }
    }

    /// Number of distinct names.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the dictionary has no names.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Default for OrgDictionary {
    fn default() -> Self {
        OrgDictionary::empty()
    }
}

/// Legal-form and institution suffixes, longest first.
const SUFFIXES: &[&str] = &[
    "集团股份有限公司",
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "设计研究院",
    "有限公司",
    "分公司",
    "研究院",
    "研究所",
    "设计院",
    "检测中心",
    "检验中心",
    "研究中心",
    "技术中心",
    "热电厂",
    "发电厂",
    "化工厂",
    "制药厂",
    "大学",
    "学院",
    "集团",
    "公司",
    "电厂",
    "厂",
];

/// Characters that turn 厂 into another word (厂长 "factory director", 厂区, 厂家 …).
const NOT_AFTER_FACTORY: &[char] = &[
    '长', '区', '家', '房', '商', '址', '内', '外', '级', '方', '部', '办', '务',
];

static SUFFIX_AC: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(SUFFIXES)
        .expect("suffix automaton")
});

/// Words after which an organisation name starts.
const INTRODUCERS: &[&str] = &[
    "也",
    "曾",
    "已",
    "均",
    "还",
    "又",
    "并",
    "且",
    "委托",
    "位于",
    "来自",
    "制造商",
    "供应商",
    "生产商",
    "用户",
    "单位",
    "厂家",
    "业主",
    "送检",
    "提供",
    "联系",
    "属于",
    "隶属",
    "以及",
    "由于",
    "经过",
    "通过",
    "根据",
    "按照",
    "为",
    "由",
    "和",
    "与",
    "及",
    "是",
    "的",
    "在",
    "对",
    "向",
    "将",
    "把",
    "被",
    "给",
    "从",
    "经",
    "据",
    "请",
    "该",
    "本",
    "此",
    "其",
    "即",
    "等",
    "或",
    "了",
    "到",
    "至",
    "于",
    "原",
    "现",
    "我",
    "贵",
    "各",
];

/// Names that only say what kind of organisation it is.
const GENERIC: &[&str] = &[
    "化工",
    "电",
    "发电",
    "热电",
    "核电",
    "火电",
    "电力",
    "水",
    "污水处理",
    "自来水",
    "制盐",
    "盐",
    "电镀",
    "造纸",
    "制药",
    "钛材",
    "钛业",
    "加工",
    "机械",
    "设备",
    "冶炼",
    "氯碱",
    "钢",
    "钢铁",
    "化肥",
    "农药",
    "炼油",
    "石化",
    "金属",
    "材料",
    "化学",
    "热力",
    "制造",
    "换热器",
    "压力容器",
    "工",
    "总",
    "分",
    "子",
    "母",
    "全",
    "出",
    "返",
    "进",
    "回",
    "工程",
    "科技",
    "技术",
    "检测",
    "工业",
    "医药",
    "纸",
    "糖",
    "玻璃",
    "纯碱",
    "钛白粉",
    "有色",
    "稀有金属",
    "海水淡化",
    "集团",
    "上级",
    "下属",
    "合作",
    "外协",
    "兄弟",
    "一家",
    "多家",
    "这家",
    "那家",
    "同一",
    "其他",
    "沿海",
    "内陆",
    "国内",
    "国外",
    "大型",
    "小型",
    "中型",
    "某些",
    "多个",
    "当地",
    "附近",
    "火力",
    "燃煤",
    "燃气",
    "核",
    "自备",
    "新建",
    "老",
    "设计",
    "研究",
    "检验",
    "生产",
    "维修",
    "安装",
    "供货",
    "新材料",
    "热能",
    "换热",
    "装备",
    "能源",
    "环保",
    "水处理",
    "盐化",
    "化",
    "钛",
];

static ENGLISH_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:[A-Z][A-Za-z0-9&'\-]*\.?\s)(?:(?:[A-Z][A-Za-z0-9&'\-]*\.?|&|and|of)\s){0,5}
        (?:Co\.,?\s?Ltd\.?|Company\sLimited|Co\.|Ltd\.?|Limited|Inc\.?|Corp\.?|Corporation|GmbH|LLC|PLC|Group|Research\sInstitute|Institute|University)
      | (?:[A-Z][A-Za-z]+\s){0,3}(?:Institute|University|Academy)\sof\s(?:[A-Z][A-Za-z]+\s?){1,5}
        ",
    )
    .expect("english organisation pattern")
});

const ENGLISH_LEADING_STOP: &[&str] = &[
    "The",
    "By",
    "From",
    "At",
    "For",
    "To",
    "And",
    "Of",
    "In",
    "Inspected",
    "Supplied",
    "Made",
    "Manufactured",
    "Built",
    "Contact",
    "Report",
    "Owner",
    "Client",
    "Customer",
    "Supplier",
    "Manufacturer",
    "Vendor",
    "User",
    "Operator",
    "Tested",
    "Analysed",
    "Analyzed",
    "Fabricated",
    "Working",
    "Task",
    "Expert",
    "Study",
    "Our",
    "Their",
    "A",
    "An",
    "This",
    "That",
    "With",
];

pub(crate) fn detect(text: &str, dictionary: &OrgDictionary, out: &mut Vec<Detection>) {
    if let Some(ac) = &dictionary.automaton {
        for m in ac.find_iter(text) {
            let name = &text[m.range()];
            let ascii_edges = name.starts_with(|c: char| c.is_ascii_alphanumeric())
                || name.ends_with(|c: char| c.is_ascii_alphanumeric());
            if ascii_edges && !isolated(text, m.start(), m.end(), |c| c.is_ascii_alphanumeric()) {
                continue;
            }
            out.push(
                Detection::new(
                    DetectorKind::OrgName,
                    m.range(),
                    "name in the organisation registry",
                )
                .with_bonus(10),
            );
        }
    }
    for m in SUFFIX_AC.find_iter(text) {
        // 厂长, 厂区, 厂家 …: the character after 厂 makes it another word.
        if text[..m.end()].ends_with('厂')
            && super::char_at(text, m.end()).is_some_and(|c| NOT_AFTER_FACTORY.contains(&c))
        {
            continue;
        }
        if let Some(start) = chinese_name_start(text, m.start(), &text[m.range()]) {
            out.push(Detection::new(
                DetectorKind::OrgName,
                start..m.end(),
                "name with a legal-form suffix",
            ));
        }
    }
    for m in ENGLISH_RE.find_iter(text) {
        if char_before(text, m.start()).is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        let mut start = m.start();
        loop {
            let rest = &text[start..m.end()];
            let Some(word) = ENGLISH_LEADING_STOP
                .iter()
                .find(|w| rest.starts_with(*w) && rest[w.len()..].starts_with(' '))
            else {
                break;
            };
            start += word.len() + 1;
        }
        let end = m.start() + m.as_str().trim_end().len();
        let name = &text[start..end];
        // At least one word before the legal form ("Ltd." alone is nothing).
        if name.split_whitespace().count() >= 2 {
            out.push(Detection::new(
                DetectorKind::OrgName,
                start..end,
                "name with a legal-form suffix",
            ));
        }
    }
}

/// Walks back from `suffix_at` over the organisation's name; `None` when no identifying name
/// precedes the suffix.
fn chinese_name_start(text: &str, suffix_at: usize, suffix: &str) -> Option<usize> {
    let mut start = suffix_at;
    let mut count = 0;
    let mut chars = text[..suffix_at].char_indices().rev().peekable();
    while let Some((i, c)) = chars.next() {
        if count >= 24 {
            break;
        }
        if c == '）' || c == ')' {
            // "（集团）", "（中国）": a short parenthesised part inside the name.
            let Some(open) = text[..i].rfind(['（', '(']) else {
                break;
            };
            let open_len = text[open..].chars().next().map_or(1, char::len_utf8);
            let inner = &text[open + open_len..i];
            if open == 0
                || inner.is_empty()
                || inner.chars().count() > 6
                || !inner.chars().all(is_han)
            {
                break;
            }
            start = open;
            count += inner.chars().count() + 2;
            while chars.peek().is_some_and(|&(j, _)| j >= open) {
                chars.next();
            }
            continue;
        }
        // 厂 ends the name of the organisation before this one (多家氯碱厂也曾返厂).
        if !(is_han(c) || c.is_ascii_alphanumeric() || c == '·' || c == '&') || c == '厂' {
            break;
        }
        start = i;
        count += 1;
    }
    let run = &text[start..suffix_at];
    // Cut after an introducer; when that leaves only an industry word (the introducer was
    // part of the name, as 和 in 天和钛业), try the one before it.
    let mut cuts: Vec<usize> = INTRODUCERS
        .iter()
        .flat_map(|w| run.match_indices(w).map(move |(i, _)| i + w.len()))
        .filter(|&after| after < run.len())
        .collect();
    cuts.push(0);
    cuts.sort_unstable_by(|a, b| b.cmp(a));
    cuts.dedup();
    let single_char_suffix = suffix.chars().count() == 1;
    let nearest = cuts[0];
    // Falling back past the nearest introducer is for brand names that contain one of the
    // introducers that also occur in names (天和钛业, 连云港天和盐化, 现代重工): the skipped part
    // is a short city and brand, never a clause (同类装置在沿海电厂).
    let nearest_in_names = ["和", "为", "经", "原", "现", "至"]
        .iter()
        .any(|w| run[..nearest].ends_with(w));
    for cut in cuts {
        let name = &run[cut..];
        if cut < nearest && (!nearest_in_names || run[cut..nearest].chars().count() > 6) {
            return None;
        }
        let han = name.chars().filter(|c| is_han(*c)).count();
        if name.contains('某') {
            return None;
        }
        let starts_with_introducer = INTRODUCERS.iter().any(|w| name.starts_with(w));
        if name.starts_with(['（', '(']) || starts_with_introducer {
            continue;
        }
        let short = name.chars().count() < 2 || (single_char_suffix && han < 2);
        if !short && !is_generic(name) {
            return Some(start + cut);
        }
    }
    None
}

/// True when `name` is made only of industry and quantity words (设备制造, 沿海电, 一家化工).
fn is_generic(name: &str) -> bool {
    let mut rest = name;
    while !rest.is_empty() {
        match GENERIC
            .iter()
            .filter(|g| rest.starts_with(*g))
            .max_by_key(|g| g.len())
        {
            Some(g) => rest = &rest[g.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found_with(dictionary: &OrgDictionary, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        detect(text, dictionary, &mut out);
        out.sort_by_key(|d| (d.start, std::cmp::Reverse(d.end)));
        out.into_iter()
            .map(|d| text[d.start..d.end].to_owned())
            .collect()
    }

    fn found(text: &str) -> Vec<String> {
        found_with(&OrgDictionary::empty(), text)
    }

    #[test]
    fn chinese_suffixes_start_after_the_introducer() {
        assert_eq!(
            found("换热器由宝鸡钛业股份有限公司制造"),
            ["宝鸡钛业股份有限公司"]
        );
        assert_eq!(found("委托江苏某某有限公司"), Vec::<String>::new());
        assert_eq!(found("宝钛（集团）有限公司供货"), ["宝钛（集团）有限公司"]);
        assert_eq!(found("送至华能南京电厂检修"), ["华能南京电厂"]);
        assert_eq!(found("西北有色金属研究院出具报告"), ["西北有色金属研究院"]);
        assert_eq!(found("由天和钛业有限公司供货"), ["天和钛业有限公司"]);
    }

    #[test]
    fn generic_and_anonymous_names_are_left_alone() {
        assert!(found("该化工厂的冷却器").is_empty());
        assert!(found("出厂编号").is_empty());
        assert!(found("某钛业有限公司").is_empty());
        assert!(found("本公司").is_empty());
        assert!(found("返厂维修").is_empty());
        assert!(found("现场联系叶勇宇厂长").is_empty());
        assert!(found("沿海电厂的凝汽器").is_empty());
        assert!(found("设备制造公司").is_empty());
        assert!(found("同类装置在沿海电厂和内陆化工厂均有报道，多家氯碱厂也曾返厂维修").is_empty());
        assert_eq!(
            found("委托单位：天和（集团）有限公司"),
            ["天和（集团）有限公司"]
        );
    }

    #[test]
    fn english_suffixes() {
        assert_eq!(
            found("Supplied by Baoji Titanium Industry Co., Ltd. in 2019"),
            ["Baoji Titanium Industry Co., Ltd."]
        );
        assert_eq!(
            found("the Institute of Metal Research reported"),
            ["Institute of Metal Research"]
        );
        assert_eq!(
            found("Acme Heat Transfer GmbH"),
            ["Acme Heat Transfer GmbH"]
        );
        assert!(found("Ltd. only").is_empty());
    }

    #[test]
    fn registry_names_without_suffix() {
        let dict = OrgDictionary::new(["宝钛", "Ticorr Test Works", "x"]);
        assert_eq!(dict.len(), 2);
        assert_eq!(found_with(&dict, "宝钛提供的管材"), ["宝钛"]);
        assert_eq!(
            found_with(&dict, "from ticorr test works today"),
            ["ticorr test works"]
        );
        assert!(found_with(&dict, "ATicorr Test Works").is_empty());
    }
}
