//! Person names.
//!
//! Chinese names have no capital letters and no spaces, so they are found by context: a
//! surname from `data/surnames.txt` directly before a title (王建国工程师, 李工, 张总) or directly
//! after a role label (联系人：张伟, 负责人 李娜). English names are found after a title
//! (Mr, Ms, Dr, Eng. …) or a role (engineer, inspector, "Prepared by" …).
//!
//! Span conventions: the span covers the name, not the title ("张伟" in 张伟工程师, "John Smith"
//! in Mr John Smith), except for a bare surname with a title (王工, 李总), where the title is
//! part of how the person is named and is covered too.
//!
//! The engine then looks for the same names elsewhere in the document (see
//! [`propagate`]), so a person introduced once with a title is also found where the text later
//! names them bare.

use std::collections::HashSet;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;

use super::{Detection, char_at, char_before, is_han};
use crate::kind::DetectorKind;

const SURNAME_DATA: &str = include_str!("../../data/surnames.txt");

struct Surnames {
    single: HashSet<char>,
    compound: Vec<&'static str>,
}

static SURNAMES: LazyLock<Surnames> = LazyLock::new(|| {
    let mut single = HashSet::new();
    let mut compound = Vec::new();
    for line in SURNAME_DATA.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.chars().count() {
            1 => {
                single.insert(line.chars().next().expect("one character"));
            }
            _ => compound.push(line),
        }
    }
    Surnames { single, compound }
});

pub(crate) fn is_surname(c: char) -> bool {
    SURNAMES.single.contains(&c)
}

/// Titles written directly after a Chinese name, longest first so that 总工 wins over 总.
const TITLES: &[&str] = &[
    "高级工程师",
    "总工程师",
    "工程师",
    "总经理",
    "副总",
    "董事长",
    "先生",
    "女士",
    "小姐",
    "经理",
    "主任",
    "厂长",
    "师傅",
    "总工",
    "高工",
    "总监",
    "处长",
    "科长",
    "部长",
    "教授",
    "博士",
    "老师",
    "书记",
    "技术员",
    "工",
    "总",
];

/// Role labels written before a Chinese name.
const ROLES: &[&str] = &[
    "技术负责人",
    "设备负责人",
    "报告编制人",
    "现场工程师",
    "项目经理",
    "联系人",
    "负责人",
    "报告人",
    "编制人",
    "审核人",
    "批准人",
    "检验员",
    "检验人",
    "检测人",
    "检测员",
    "操作员",
    "取样人",
    "记录人",
    "经办人",
    "填报人",
    "申请人",
    "送检人",
    "委托人",
    "签字",
    "签名",
    "编制",
    "审核",
    "批准",
    "校对",
    "工程师",
    "技术员",
    "厂长",
    "主任",
    "经理",
];

/// Surname + 工 / 总 pairs that are ordinary words (施工 "construction", 化工, 车工 …).
const NOT_NAMES: &[&str] = &[
    "施工", "金工", "石工", "管工", "车工", "漆工", "农工", "理工", "军工", "重工", "轻工", "精工",
    "商工", "童工", "明工", "华工", "易工", "全工", "宁工", "文工", "和工", "都工", "成工", "冶工",
    "宣工", "海工", "花工", "国工", "平工", "来工", "时工", "都总", "和总", "汇总", "成总", "全总",
];

/// Characters after 工/总 that continue a word (工况, 工艺, 总体 …) rather than end a title.
const WORD_AFTER_TITLE: &[char] = &[
    '况', '艺', '作', '程', '业', '质', '厂', '具', '期', '位', '序', '人', '段', '频', '装', '时',
    '件', '资', '种', '商', '会', '地', '友', '科', '学', '字', '效', '体', '计', '量', '部', '结',
    '线', '管', '数', '额', '值', '成', '括', '之', '共', '和', '是', '公', '站', '院', '局', '厂',
    '面', '长', '压', '温', '硬', '氯', '热', '流', '碱', '酸', '铁', '磷', '氮', '固', '有',
];

/// Characters that cannot be part of a given name in running text (function words, and the
/// first characters of titles and contact labels that usually follow a name).
const NOT_GIVEN: &[char] = &[
    '的', '了', '在', '是', '和', '与', '及', '由', '对', '向', '请', '据', '将', '把', '被', '给',
    '让', '为', '即', '等', '位', '名', '个', '说', '称', '问', '或', '从', '到', '至', '同', '跟',
    '之', '其', '该', '本', '此', '这', '那', '也', '都', '已', '又', '并', '而', '以', '于', '所',
    '因', '但', '却', '就', '还', '再', '才', '只', '很', '最', '更', '各', '每', '某', '如', '若',
    '则', '往', '后', '前', '内', '外', '电', '手', '联', '邮', '负', '先', '女', '工', '经', '主',
    '厂', '师', '总', '部', '处', '科', '组', '室', '号', '年', '月', '日', '时', '分', '秒', '台',
    '套', '根', '米', '度', '现', '指', '表', '认', '提', '发', '介', '确', '检', '要', '带', '参',
    '签', '审', '批', '编', '来', '去', '做', '看', '查', '写', '填', '送',
];

/// Surnames that are also frequent function words: a reading that starts with one of them
/// yields to the shorter reading after it when that starts with a surname too (和张伟先生 → 张伟,
/// 和张工程师 → 张工程师).
const WEAK_SURNAMES: &[char] = &[
    '和', '于', '向', '同', '时', '常', '都', '来', '全', '应', '相', '那', '经', '以', '及',
];

/// Occupations and role words that stand directly before a name (司机王师傅, 班长李工).
const WORDS_BEFORE_NAMES: &[&str] = &[
    "司机", "班长", "组长", "科长", "处长", "部长", "厂长", "主任", "经理", "工人", "员工", "用户",
    "客户", "专家", "同事", "领导", "总工", "高工", "师傅", "电工", "焊工", "钳工", "值班", "操作",
    "技术", "业主", "甲方", "乙方", "监理", "质检", "安全", "设备", "维修", "现场", "联系", "老师",
    "项目", "车间", "部门", "工段", "生产", "质量", "销售", "采购", "市场", "财务", "行政", "人事",
    "工程", "研发", "运行", "检修", "工艺", "仪表", "电气", "机械", "化验", "调度", "总务", "后勤",
];

static TITLE_AC: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(TITLES)
        .expect("title automaton")
});

static ROLE_AC: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(ROLES)
        .expect("role automaton")
});

static ENGLISH_TITLE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:Mr|Mrs|Ms|Miss|Dr|Prof|Eng|Engr)\.?\s([A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?(?:\s[A-Z][a-z]+(?:-[A-Z]?[a-z]+)?){0,2})",
    )
    .expect("english title pattern")
});

static ENGLISH_ROLE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i:engineer|technician|inspector|manager|supervisor|operator|contact(?:\sperson)?|prepared\sby|reviewed\sby|approved\sby|inspected\sby|reported\sby|checked\sby|attn\.?|attention)\s?[:：]?\s([A-Z][a-z]+(?:-[A-Z]?[a-z]+)?(?:\s[A-Z][a-z]+(?:-[A-Z]?[a-z]+)?){1,2})",
    )
    .expect("english role pattern")
});

/// Capitalised words that end an English name (the sentence goes on) or show that what
/// follows a title is not a name.
const ENGLISH_STOP: &[&str] = &[
    "The",
    "This",
    "That",
    "These",
    "Those",
    "On",
    "In",
    "At",
    "For",
    "From",
    "To",
    "By",
    "And",
    "Or",
    "Of",
    "With",
    "Report",
    "Plant",
    "Company",
    "Department",
    "Heat",
    "Exchanger",
    "Titanium",
    "Grade",
    "Site",
    "Unit",
    "Team",
    "Section",
    "Table",
    "Figure",
    "Manager",
    "Engineer",
    "Inspector",
    "Corrosion",
    "Failure",
    "Analysis",
    "Laboratory",
    "Lab",
    "China",
    "Province",
    "City",
    "District",
    "Road",
    "Street",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Tel",
    "Phone",
    "Mobile",
    "Email",
    "Mail",
    "Fax",
    "Note",
    "See",
    "Ltd",
    "Co",
    "Inc",
    "Group",
    "Institute",
    "University",
    "Shell",
    "Tube",
    "Tubes",
    "Plate",
    "Condenser",
    "Evaporator",
    "Coil",
    "Water",
    "Brine",
    "Steam",
    "Seawater",
    "Chloride",
    "Maintenance",
    "Operations",
    "Production",
    "Quality",
    "Safety",
    "Process",
    "Equipment",
    "Technical",
    "Chief",
    "Senior",
    "Project",
    "Station",
    "Power",
    "Chemical",
    "Factory",
    "Works",
    "Line",
    "Area",
    "Sample",
    "Samples",
    "It",
    "He",
    "She",
    "We",
    "They",
    "After",
    "Before",
    "During",
    "All",
    "No",
    "Yes",
    "Not",
    "Mr",
    "Mrs",
    "Ms",
    "Miss",
    "Dr",
    "Prof",
    "Eng",
    "Engr",
    "Chairman",
    "President",
    "Director",
    "Secretary",
    "Speaker",
    "Mayor",
    "Minister",
    "Program",
    "Programme",
    "Level",
    "Course",
    "Certification",
    "Certificate",
    "Exam",
    "Training",
    "Candidate",
    "Body",
];

pub(crate) fn detect(text: &str, out: &mut Vec<Detection>) {
    chinese_with_titles(text, out);
    chinese_after_roles(text, out);
    english(text, out);
}

fn chinese_with_titles(text: &str, out: &mut Vec<Detection>) {
    for m in TITLE_AC.find_iter(text) {
        let title = &text[m.range()];
        let single_char_title = title == "工" || title == "总";
        if single_char_title
            && char_at(text, m.end()).is_some_and(|c| WORD_AFTER_TITLE.contains(&c))
        {
            continue;
        }
        let before: Vec<(usize, char)> = text[..m.start()].char_indices().rev().take(4).collect();
        let han = |k: usize| before.get(k).filter(|(_, c)| is_han(*c)).copied();

        // Bare surname + title (王工, 李总, 张经理, 欧阳工), the only reading for 工 and 总.
        let compound_bare = match (han(1), han(0)) {
            (Some((i, a)), Some((_, b))) => {
                let two: String = [a, b].iter().collect();
                SURNAMES.compound.contains(&two.as_str()).then_some(i)
            }
            _ => None,
        };
        let bare = compound_bare
            .or_else(|| han(0).filter(|(_, c)| is_surname(*c)).map(|(i, _)| i))
            .and_then(|i| {
                let pair = &text[i..m.end()];
                // 施工, 车工 … are words only with the one-character titles.
                (!(single_char_title && NOT_NAMES.contains(&pair))).then_some(i)
            });
        if single_char_title {
            // A name such as 陈建工 would read as 陈建 + 工; a bare 工 needs a surname right before.
            if let Some(i) = bare {
                out.push(Detection::new(
                    DetectorKind::PersonName,
                    i..m.end(),
                    "surname with title (工/总)",
                ));
            }
            continue;
        }

        // Full names: compound surname + 1–2, or surname + 2, or surname + 1 given characters.
        let given_ok = |k: usize| han(k).is_some_and(|(_, c)| !NOT_GIVEN.contains(&c));
        let compound_at = |k: usize| -> Option<usize> {
            // A compound surname occupying positions k+1 and k (k+1 is further left).
            let (i, _) = han(k + 1)?;
            han(k)?;
            let two = &text[i..before[k].0 + before[k].1.len_utf8()];
            SURNAMES.compound.contains(&two).then_some(i)
        };
        let surname_at = |k: usize| han(k).filter(|(_, c)| is_surname(*c)).map(|(i, _)| i);

        // 司机王师傅 is the driver Wang, not a person called 司机王: a reading whose first two
        // characters are an occupation or a role word is not a name.
        let starts_with_word = |k: usize| {
            let (Some((_, a)), Some((_, b))) = (han(k), han(k - 1)) else {
                return false;
            };
            let mut word = String::new();
            word.push(a);
            word.push(b);
            WORDS_BEFORE_NAMES.contains(&word.as_str())
        };
        let three = surname_at(2).filter(|_| given_ok(1) && given_ok(0) && !starts_with_word(2));
        let two = surname_at(1).filter(|_| given_ok(0));
        let compound = compound_at(2)
            .filter(|_| given_ok(0) && given_ok(1))
            .or_else(|| compound_at(1).filter(|_| given_ok(0)));
        let weak_then_surname = |k: usize| {
            han(k).is_some_and(|(_, c)| WEAK_SURNAMES.contains(&c))
                && han(k - 1).is_some_and(|(_, c)| is_surname(c))
        };
        let three = three.filter(|_| !weak_then_surname(2));
        // 欧阳工程师 is Mr Ouyang, not a person called 欧阳 with the given name 阳.
        let two = two
            .filter(|_| !weak_then_surname(1) && compound_bare.is_none() && !starts_with_word(1));
        let start = compound.or(three).or(two);
        match start {
            Some(i) => out.push(Detection::new(
                DetectorKind::PersonName,
                i..m.start(),
                "surname with title",
            )),
            None => {
                if let Some(i) = bare {
                    out.push(Detection::new(
                        DetectorKind::PersonName,
                        i..m.end(),
                        "surname with title",
                    ));
                }
            }
        }
    }
}

fn chinese_after_roles(text: &str, out: &mut Vec<Detection>) {
    for m in ROLE_AC.find_iter(text) {
        // Skip the separator: colon, spaces.
        let rest = &text[m.end()..];
        let skipped = rest.len()
            - rest
                .trim_start_matches([':', '：', ' ', '\u{3000}', '\t'])
                .len();
        let start = m.end() + skipped;
        let chars: Vec<char> = text[start..].chars().take(4).collect();
        let (surname_len, surname_bytes) = match chars.as_slice() {
            [a, b, ..] if SURNAMES.compound.contains(&format!("{a}{b}").as_str()) => {
                (2, a.len_utf8() + b.len_utf8())
            }
            [a, ..] if is_surname(*a) => (1, a.len_utf8()),
            _ => continue,
        };
        let mut end = start + surname_bytes;
        let mut given = 0;
        for c in chars.iter().skip(surname_len).take(2) {
            if !is_han(*c) || NOT_GIVEN.contains(c) || starts_title(text, end) {
                break;
            }
            end += c.len_utf8();
            given += 1;
        }
        if given == 0 {
            continue;
        }
        out.push(Detection::new(
            DetectorKind::PersonName,
            start..end,
            "name after a role label",
        ));
    }
}

fn starts_title(text: &str, at: usize) -> bool {
    TITLES
        .iter()
        .any(|t| t.chars().count() > 1 && text[at..].starts_with(t))
}

fn english(text: &str, out: &mut Vec<Detection>) {
    // A title may precede a surname alone (Dr Wang); a role needs at least two words.
    for (re, needed) in [(&*ENGLISH_TITLE_RE, 1), (&*ENGLISH_ROLE_RE, 2)] {
        for c in re.captures_iter(text) {
            let whole = c.get(0).expect("whole match");
            if char_before(text, whole.start()).is_some_and(|c| c.is_ascii_alphabetic()) {
                continue;
            }
            let name = c.get(1).expect("name group");
            // Keep the words up to the first stop word.
            let mut end = name.start();
            let mut words = 0;
            for (at, w) in name
                .as_str()
                .split_whitespace()
                .map(|w| (w.as_ptr() as usize - name.as_str().as_ptr() as usize, w))
            {
                if ENGLISH_STOP.contains(&w) {
                    break;
                }
                end = name.start() + at + w.len();
                words += 1;
            }
            if words >= needed {
                out.push(Detection::new(
                    DetectorKind::PersonName,
                    name.start()..end,
                    "name after an English title or role",
                ));
            }
        }
    }
}

/// Finds further occurrences of the names already detected in `found`, so that a person
/// introduced once with a title is also covered where the text names them bare. Only names
/// of at least two Chinese characters (not bare surname + title forms) or English names of at
/// least four letters are propagated.
pub(crate) fn propagate(text: &str, found: &[Detection]) -> Vec<Detection> {
    let mut names: Vec<&str> = found
        .iter()
        .filter(|d| d.kind == DetectorKind::PersonName)
        .map(|d| &text[d.start..d.end])
        .filter(|n| {
            let han = n.chars().filter(|c| is_han(*c)).count();
            let bare_title =
                n.ends_with('工') || n.ends_with('总') || TITLES.iter().any(|t| n.ends_with(t));
            (han >= 2 && !bare_title) || (han == 0 && n.len() >= 4)
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return Vec::new();
    }
    let ac = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&names)
        .expect("name automaton");
    ac.find_iter(text)
        .filter(|m| {
            let ascii = text[m.range()].is_ascii();
            !ascii || super::isolated(text, m.start(), m.end(), |c| c.is_ascii_alphanumeric())
        })
        .filter(|m| {
            !found
                .iter()
                .any(|d| d.start == m.start() && d.end == m.end())
        })
        .map(|m| {
            Detection::new(
                DetectorKind::PersonName,
                m.range(),
                "same name as detected elsewhere in the document",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        detect(text, &mut out);
        out.sort_by_key(|d| d.start);
        out.into_iter()
            .map(|d| text[d.start..d.end].to_owned())
            .collect()
    }

    #[test]
    fn chinese_names_with_titles() {
        assert_eq!(found("经王建国工程师确认"), ["王建国"]);
        assert_eq!(found("请联系张伟先生。"), ["张伟"]);
        assert_eq!(found("由王工负责"), ["王工"]);
        assert_eq!(found("李总表示"), ["李总"]);
        assert_eq!(found("和张伟先生"), ["张伟"]);
        assert_eq!(found("欧阳明华女士"), ["欧阳明华"]);
        assert_eq!(found("设备部刘经理"), ["刘经理"]);
        assert_eq!(found("司机王师傅"), ["王师傅"]);
        assert!(found("项目经理对质量负责").is_empty());
        assert_eq!(found("请联系欧阳工程师，"), ["欧阳工程师"]);
        assert_eq!(found("由令狐工负责"), ["令狐工"]);
        assert_eq!(found("请联系石工程师，"), ["石工程师"]);
    }

    #[test]
    fn ordinary_words_are_not_names() {
        assert!(found("施工期间").is_empty());
        assert!(found("高温工况下").is_empty());
        assert!(found("化工行业").is_empty());
        assert!(found("汇总如下").is_empty());
        assert!(found("该工程师建议").is_empty());
        assert!(found("总工程师办公室").is_empty());
    }

    #[test]
    fn names_after_roles() {
        assert_eq!(found("联系人：张伟，电话"), ["张伟"]);
        assert_eq!(found("负责人 李建国。"), ["李建国"]);
        assert_eq!(found("取样人：司马光明"), ["司马光明"]);
        assert_eq!(found("联系人：张伟电话"), ["张伟"]);
        assert!(found("联系人：见附件").is_empty());
    }

    #[test]
    fn english_names() {
        assert_eq!(found("Contact Mr John Smith for access."), ["John Smith"]);
        assert_eq!(found("Dr. Wang reported"), ["Wang"]);
        assert_eq!(found("engineer Zhang Wei found pits"), ["Zhang Wei"]);
        assert_eq!(found("Prepared by: Li Na"), ["Li Na"]);
        assert!(found("The plant manager replaced the tubes").is_empty());
        assert!(found("Engineer: The Plant").is_empty());
        assert!(found("AMPP Coating Inspector Program Level 3").is_empty());
    }

    #[test]
    fn propagation_finds_bare_mentions() {
        let text = "张伟工程师取样。后由张伟送检。";
        let mut first = Vec::new();
        detect(text, &mut first);
        let more = propagate(text, &first);
        assert_eq!(more.len(), 1);
        assert_eq!(&text[more[0].start..more[0].end], "张伟");
    }
}
