//! Turning one detected value into its replacement, and saying why.
//!
//! Replacements follow the language of the surrounding text: a marker in Chinese text is
//! "[已删除]", in English "[removed]"; a province is named "江苏省" or "Jiangsu Province".

use crate::detect::{gps, money};
use crate::kind::DetectorKind;
use crate::policy::Action;
use crate::pseudonym::PseudonymKey;
use crate::regions;

/// Marker for suppressed values in Chinese text.
pub const REMOVED_ZH: &str = "[已删除]";
/// Marker for suppressed values in English text.
pub const REMOVED_EN: &str = "[removed]";

/// The outcome of one action: the text to put in place, and what was actually done (a
/// generalization that finds no coarser value falls back to suppression).
pub(crate) struct Applied {
    pub replacement: String,
    pub action: Action,
    /// True when a generalization found no coarser value and suppressed instead.
    pub fell_back: bool,
}

/// Applies `action` to `value`, a detected identifier of `kind`.
pub(crate) fn apply(
    kind: DetectorKind,
    action: Action,
    value: &str,
    chinese: bool,
    key: &PseudonymKey,
) -> Applied {
    let removed = || if chinese { REMOVED_ZH } else { REMOVED_EN }.to_owned();
    let done = |replacement: String| Applied {
        replacement,
        action,
        fell_back: false,
    };
    match action {
        Action::Keep => done(value.to_owned()),
        Action::Suppress => done(removed()),
        Action::Mask => done(mask(kind, value)),
        Action::Pseudonymize => done(key.label(kind, value, chinese)),
        Action::Generalize => match generalize(kind, value, chinese) {
            Some(coarser) => done(coarser),
            None => Applied {
                replacement: removed(),
                action: Action::Suppress,
                fell_back: true,
            },
        },
    }
}

fn generalize(kind: DetectorKind, value: &str, chinese: bool) -> Option<String> {
    let province_name = |p: &regions::Province| {
        if chinese {
            p.name_zh.to_owned()
        } else {
            p.name_en_full.to_owned()
        }
    };
    match kind {
        DetectorKind::Address => regions::find_in(value).map(province_name),
        DetectorKind::RegionCode => regions::by_code(value).map(province_name),
        DetectorKind::Date => crate::detect::date::to_month(value),
        DetectorKind::Money => money::parse_amount(value).map(|a| money::money_band(&a, chinese)),
        DetectorKind::Capacity => money::capacity_band(value),
        DetectorKind::Gps => gps::parse(value).map(|(lat, lon)| {
            let (ns, ew) = (
                if lat < 0.0 { 'S' } else { 'N' },
                if lon < 0.0 { 'W' } else { 'E' },
            );
            let (la, lo) = (lat.abs().round(), lon.abs().round());
            if chinese {
                let ns = if lat < 0.0 { "南纬" } else { "北纬" };
                let ew = if lon < 0.0 { "西经" } else { "东经" };
                format!("{ns}约{la}°，{ew}约{lo}°")
            } else {
                format!("approx. {la}°{ns}, {lo}°{ew}")
            }
        }),
        _ => None,
    }
}

/// Keeps the characters a reader needs to recognise the value and stars out the rest:
/// phones keep the first three and last four national digits (138****5678), cards and
/// identity numbers the first and last four, e-mail the first letter of the mailbox and the
/// domain, names the first character, anything else its first and last character.
pub(crate) fn mask(kind: DetectorKind, value: &str) -> String {
    let chars: Vec<char> = value.chars().filter(|c| !c.is_whitespace()).collect();
    let keep = |chars: &[char], head: usize, tail: usize| -> String {
        if chars.len() <= head + tail {
            return "*".repeat(chars.len().max(1));
        }
        let mut s: String = chars[..head].iter().collect();
        s.push_str(&"*".repeat(chars.len() - head - tail));
        s.extend(&chars[chars.len() - tail..]);
        s
    };
    match kind {
        DetectorKind::Mobile | DetectorKind::Landline => {
            let digits: Vec<char> = crate::pseudonym::normalize(kind, value).chars().collect();
            keep(&digits, 3, 4)
        }
        DetectorKind::BankCard | DetectorKind::ResidentId | DetectorKind::Uscc => {
            let alnum: Vec<char> = chars
                .into_iter()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            keep(&alnum, 4, 4)
        }
        DetectorKind::Email => match value.split_once(['@', '＠']) {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}***@{}", domain.trim())
            }
            None => keep(&chars, 1, 0),
        },
        DetectorKind::PersonName | DetectorKind::OrgName => keep(&chars, 1, 0),
        _ => keep(&chars, 1, 1),
    }
}

/// A human-readable reason for the uploader's review.
pub(crate) fn reason(
    kind: DetectorKind,
    action: Action,
    evidence: &str,
    replacement: &str,
    fell_back: bool,
    chinese: bool,
) -> String {
    let done = if chinese {
        match action {
            Action::Keep => "保留".to_owned(),
            Action::Suppress => "已删除".to_owned(),
            Action::Mask => format!("已部分遮盖为“{replacement}”"),
            Action::Generalize => format!("已泛化为“{replacement}”"),
            Action::Pseudonymize => format!("已替换为化名“{replacement}”"),
        }
    } else {
        match action {
            Action::Keep => "kept".to_owned(),
            Action::Suppress => "removed".to_owned(),
            Action::Mask => format!("masked as \"{replacement}\""),
            Action::Generalize => format!("generalized to \"{replacement}\""),
            Action::Pseudonymize => format!("replaced by the pseudonym \"{replacement}\""),
        }
    };
    let mut s = if chinese {
        let evidence = evidence_zh(evidence).unwrap_or(evidence);
        format!("识别为{}（{}），{}", kind.label_zh(), evidence, done)
    } else {
        format!("Looks like a {} ({}); {}", kind.label_en(), evidence, done)
    };
    if fell_back {
        s.push_str(if chinese {
            "（无法得到更粗的值，故改为删除）"
        } else {
            " (no coarser value could be derived, so it was removed instead)"
        });
    }
    s
}

/// The Chinese wording of a detector's evidence (detectors state it in English).
fn evidence_zh(evidence: &str) -> Option<&'static str> {
    Some(match evidence {
        "IPv6 address" => "IPv6 地址",
        "dotted-quad address" => "点分十进制 IP 地址",
        "web address" => "网址",
        "e-mail address pattern" => "电子邮箱格式",
        "mainland mobile number pattern" => "大陆手机号格式",
        "area code and local number" => "区号加本地号码",
        "Luhn check valid, card or account context" => "Luhn 校验通过，上下文为卡号或账号",
        "Luhn check valid, known issuer prefix" => "Luhn 校验通过，发卡行前缀已知",
        "check character valid (GB 32100)" => "校验码正确（GB 32100）",
        "check digit and birth date valid (GB 11643)" => "校验位和出生日期正确（GB 11643）",
        "amount in Chinese numerals" => "中文大写金额",
        "amount in 万 after a cost word" => "费用类词语后以“万”计的金额",
        "amount with a currency" => "带货币单位的金额",
        "contract or order number prefix" => "合同或订单编号前缀",
        "number after a contract or order label" => "合同或订单标签后的编号",
        "plant capacity after a capacity label" => "产能标签后的产能",
        "decimal latitude, longitude pair" => "十进制经纬度",
        "coordinates with hemisphere letters" => "带方位字母的坐标",
        "labelled latitude and longitude" => "标明经纬度的坐标",
        "北纬/东经 coordinates" => "北纬/东经坐标",
        "house number, street name and street type" => "门牌号、街道名和街道类型",
        "road name with house number" => "路名加门牌号",
        "province followed by city or district" => "省份后接市或区县",
        "ordinary plate pattern" => "普通号牌格式",
        "new-energy plate pattern" => "新能源号牌格式",
        "name after a role label" => "职务标签后的姓名",
        "name after an English title or role" => "英文称谓或职务后的姓名",
        "surname with title" => "姓氏加称谓",
        "surname with title (工/总)" => "姓氏加“工/总”",
        "same name as detected elsewhere in the document" => "与文中其他处已识别的姓名相同",
        "name in the organisation registry" => "平台机构名录中的名称",
        "name with a legal-form suffix" => "带企业组织形式后缀的名称",
        "named as such in a field of the same document" => "同一文档的字段中已标明",
        "calendar date" => "日期",
        _ => return None,
    })
}

/// True when the text around `start..end` is Chinese: any Chinese character within the span
/// or 12 characters either side.
pub(crate) fn chinese_context(text: &str, start: usize, end: usize) -> bool {
    let before = crate::detect::window_before(text, start, 12);
    let after: String = text[end..].chars().take(12).collect();
    before
        .chars()
        .chain(text[start..end].chars())
        .chain(after.chars())
        .any(crate::detect::is_han)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PseudonymKey {
        PseudonymKey::new(b"k".to_vec())
    }

    #[test]
    fn masks_keep_recognisable_parts() {
        assert_eq!(
            mask(DetectorKind::Mobile, "+86 138 1234 5678"),
            "138****5678"
        );
        assert_eq!(
            mask(DetectorKind::BankCard, "6222 0212 3456 7890 123"),
            "6222***********0123"
        );
        assert_eq!(
            mask(DetectorKind::Email, "zhang.wei@example.com"),
            "z***@example.com"
        );
        assert_eq!(mask(DetectorKind::PersonName, "张伟"), "张*");
    }

    #[test]
    fn generalizations() {
        let g = |kind, v, zh| apply(kind, Action::Generalize, v, zh, &key()).replacement;
        assert_eq!(
            g(DetectorKind::Address, "江苏省南京市江宁区天元中路8号", true),
            "江苏省"
        );
        assert_eq!(
            g(
                DetectorKind::Address,
                "88 Keyuan Road, Shenzhen, Guangdong",
                false
            ),
            "Guangdong Province"
        );
        assert_eq!(g(DetectorKind::RegionCode, "320115", true), "江苏省");
        assert_eq!(g(DetectorKind::Date, "2023年8月15日", true), "2023年8月");
        assert_eq!(g(DetectorKind::Money, "¥ 356,000", true), "10–50万元");
        assert_eq!(
            g(DetectorKind::Gps, "北纬31°13′45″，东经121°28′30″", true),
            "北纬约31°，东经约121°"
        );
        assert_eq!(
            g(DetectorKind::Gps, "33.8688° S, 151.2093° E", false),
            "approx. 34°S, 151°E"
        );
        let fallback = apply(
            DetectorKind::Address,
            Action::Generalize,
            "中山路100号",
            true,
            &key(),
        );
        assert_eq!(fallback.replacement, REMOVED_ZH);
        assert_eq!(fallback.action, Action::Suppress);
    }

    #[test]
    fn language_follows_the_context() {
        assert!(chinese_context("联系电话 13812345678", 13, 24));
        assert!(!chinese_context("call 13812345678 today", 5, 16));
    }
}
