//! Ways to reach someone: mobile and landline numbers, e-mail and web addresses, IP addresses.

use std::net::Ipv6Addr;
use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, char_at, char_before, context_has, is_ascii_alnum, isolated};
use crate::kind::DetectorKind;

static MOBILE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:(?:\+|00)\s?86[ \-]?|[(（]\+?86[)）]\s?)?1[3-9][0-9](?:[ \-]?[0-9]{4}){2}")
        .expect("mobile pattern")
});

static LANDLINE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?P<main>
        (?:
            (?:\+|00)\s?86[\x20\-]?(?:[(（]0?[1-9][0-9]{1,2}[)）]|0?[1-9][0-9]{1,2})  # +86 571 …
          | [(（]0[1-9][0-9]{1,2}[)）]                                          # (0571) …
          | 0[1-9][0-9]{1,2}                                                   # 0571 …
        )
        [\x20\-]?
        [2-9][0-9]{2,3}[\x20\-]?[0-9]{4}                                          # local number
        )
        (?:\s?(?:-|转|分机|ext\.?|x|\#)\s?[0-9]{1,5})?                         # extension
        ",
    )
    .expect("landline pattern")
});

static EMAIL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)[a-z0-9][a-z0-9._%+\-]*(?:@|＠|\s?[\[(（]at[\])）]\s?)[a-z0-9][a-z0-9\-]*(?:(?:\.|\s?[\[(（]dot[\])）]\s?)[a-z0-9\-]+)*(?:\.|\s?[\[(（]dot[\])）]\s?)[a-z]{2,}",
    )
    .expect("email pattern")
});

static URL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?:https?://|ftp://|www\.)[^\s<>"'，。；、）)】\]》\p{Han}]+"#)
        .expect("url pattern")
});

static IPV4_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?::[0-9]{1,5})?").expect("ipv4 pattern")
});

static IPV6_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[0-9a-f:]*:[0-9a-f:]*:[0-9a-f:.]*[0-9a-f]").expect("ipv6 pattern")
});

/// Words that announce a clause or version number rather than an address ("第 3.2.1.4 条").
const SECTION_CONTEXT: &[&str] = &[
    "第", "条", "款", "章", "节", "表", "图", "clause", "section", "sect.", "§", "table", "fig",
    "version", "ver.", "版本",
];

pub(crate) fn detect(text: &str, out: &mut Vec<Detection>) {
    // Letters next to the digits make them part of a code (Y14507912744PYP), not a phone.
    for m in MOBILE_RE.find_iter(text) {
        if isolated(text, m.start(), m.end(), is_ascii_alnum) {
            out.push(Detection::new(
                DetectorKind::Mobile,
                m.range(),
                "mainland mobile number pattern",
            ));
        }
    }
    for c in LANDLINE_RE.captures_iter(text) {
        let (m, main) = (c.get(0).expect("whole match"), &c["main"]);
        if isolated(text, m.start(), m.end(), is_ascii_alnum) && landline_plausible(main) {
            out.push(Detection::new(
                DetectorKind::Landline,
                m.range(),
                "area code and local number",
            ));
        }
    }
    for m in EMAIL_RE.find_iter(text) {
        if !char_before(text, m.start()).is_some_and(|c| c.is_ascii_alphanumeric() || c == '.') {
            out.push(Detection::new(
                DetectorKind::Email,
                m.range(),
                "e-mail address pattern",
            ));
        }
    }
    for m in URL_RE.find_iter(text) {
        if char_before(text, m.start()).is_some_and(is_ascii_alnum) {
            continue;
        }
        let trimmed = m
            .as_str()
            .trim_end_matches(['.', ',', ';', ':', '!', '?', '(']);
        if trimmed.len() > 6 {
            out.push(Detection::new(
                DetectorKind::Url,
                m.start()..m.start() + trimmed.len(),
                "web address",
            ));
        }
    }
    for m in IPV4_RE.find_iter(text) {
        let joins = |c: char| c.is_ascii_digit() || c == '.';
        if char_before(text, m.start()).is_some_and(|c| joins(c) || c.is_ascii_alphabetic())
            || char_at(text, m.end()).is_some_and(|c| c.is_ascii_digit())
            || (char_at(text, m.end()) == Some('.')
                && text[m.end() + 1..].starts_with(|c: char| c.is_ascii_digit()))
        {
            continue;
        }
        let address = m.as_str().split(':').next().unwrap_or_default();
        let octets_ok = address.split('.').all(|o| {
            o.parse::<u16>().is_ok_and(|v| v <= 255) && (o.len() == 1 || !o.starts_with('0'))
        });
        if octets_ok && !context_has(text, m.start(), 8, SECTION_CONTEXT) {
            out.push(Detection::new(
                DetectorKind::Ipv4,
                m.range(),
                "dotted-quad address",
            ));
        }
    }
    for m in IPV6_RE.find_iter(text) {
        let mut s = m.start();
        let mut candidate = m.as_str();
        if candidate.starts_with(':') && !candidate.starts_with("::") {
            candidate = &candidate[1..];
            s += 1;
        }
        if char_before(text, s).is_some_and(is_ascii_alnum) || candidate.matches(':').count() < 2 {
            continue;
        }
        let full = candidate.contains("::") || candidate.matches(':').count() == 7;
        if full && candidate.len() > 3 && candidate.parse::<Ipv6Addr>().is_ok() {
            out.push(Detection::new(
                DetectorKind::Ipv6,
                s..s + candidate.len(),
                "IPv6 address",
            ));
        }
    }
}

/// Area codes: 010 and 02x have three digits, all others four (03xx–09xx). The local number
/// then has 8 or 7 digits. `main` is the number without its extension.
fn landline_plausible(main: &str) -> bool {
    let digits: String = main.chars().filter(char::is_ascii_digit).collect();
    let international = main.trim_start_matches(['(', '（']).starts_with(['+', '0'])
        && (digits.starts_with("0086") || digits.starts_with("86"));
    let national = if international {
        let rest = digits.trim_start_matches("00").trim_start_matches("86");
        if rest.starts_with('0') {
            rest.to_owned()
        } else {
            format!("0{rest}")
        }
    } else {
        digits
    };
    let area_len = if national.starts_with("01") || national.starts_with("02") {
        3
    } else {
        4
    };
    let local = national.len().saturating_sub(area_len);
    national.starts_with('0') && !national.starts_with("00") && (7..=8).contains(&local)
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

    fn has(text: &str, kind: DetectorKind, span: &str) -> bool {
        found(text).contains(&(kind, span.to_owned()))
    }

    #[test]
    fn mobile_numbers_in_the_formats_people_write() {
        for (t, s) in [
            ("手机13812345678。", "13812345678"),
            ("手机：138 1234 5678", "138 1234 5678"),
            ("tel 138-1234-5678", "138-1234-5678"),
            ("call +86 138 1234 5678 now", "+86 138 1234 5678"),
            ("0086-13912345678", "0086-13912345678"),
            ("（+86）15912345678", "（+86）15912345678"),
        ] {
            assert!(has(t, DetectorKind::Mobile, s), "{t}");
        }
        assert!(
            !found("编号 213812345678")
                .iter()
                .any(|k| k.0 == DetectorKind::Mobile)
        );
        assert!(
            !found("12345678901")
                .iter()
                .any(|k| k.0 == DetectorKind::Mobile)
        );
    }

    #[test]
    fn landlines_with_area_codes_and_extensions() {
        for (t, s) in [
            ("电话：0571-88886666", "0571-88886666"),
            ("(0571) 8888 6666", "(0571) 8888 6666"),
            ("021-58881234 转 8021。", "021-58881234 转 8021"),
            ("Tel 010 6234 5678", "010 6234 5678"),
            ("+86 571 8888 6666", "+86 571 8888 6666"),
            ("0755-26881234-806", "0755-26881234-806"),
        ] {
            assert!(has(t, DetectorKind::Landline, s), "{t}: {:?}", found(t));
        }
        // A standard number and a date are not phone numbers.
        assert!(found("GB/T 3620.1-2016").is_empty());
        assert!(found("2023-08-15").is_empty());
    }

    #[test]
    fn email_and_url() {
        assert!(has(
            "邮箱zhang.wei@example.com.cn，",
            DetectorKind::Email,
            "zhang.wei@example.com.cn"
        ));
        assert!(has(
            "mail li_na88＠corp.example.cn",
            DetectorKind::Email,
            "li_na88＠corp.example.cn"
        ));
        assert!(has(
            "info [at] example [dot] com",
            DetectorKind::Email,
            "info [at] example [dot] com"
        ));
        assert!(has(
            "见https://www.example.com/cases/17。",
            DetectorKind::Url,
            "https://www.example.com/cases/17"
        ));
        assert!(has(
            "visit www.example-ti.cn.",
            DetectorKind::Url,
            "www.example-ti.cn"
        ));
    }

    #[test]
    fn ipv4_but_not_clause_numbers() {
        assert!(has(
            "PLC 地址 192.168.10.25，",
            DetectorKind::Ipv4,
            "192.168.10.25"
        ));
        assert!(has(
            "gateway 10.0.3.17:502",
            DetectorKind::Ipv4,
            "10.0.3.17:502"
        ));
        assert!(found("见第 3.2.1.4 条").is_empty());
        assert!(found("clause 5.1.2.3").is_empty());
        assert!(found("v1.2.3.4").is_empty());
        assert!(found("300.1.1.1").is_empty());
    }

    #[test]
    fn ipv6_but_not_times() {
        assert!(has(
            "addr 2001:db8:85a3::8a2e:370:7334 ok",
            DetectorKind::Ipv6,
            "2001:db8:85a3::8a2e:370:7334"
        ));
        assert!(has(
            "IP:fe80::1ff:fe23:4567:890a",
            DetectorKind::Ipv6,
            "fe80::1ff:fe23:4567:890a"
        ));
        assert!(has(
            "2001:0db8:0000:0000:0000:ff00:0042:8329",
            DetectorKind::Ipv6,
            "2001:0db8:0000:0000:0000:ff00:0042:8329"
        ));
        assert!(found("08:30:00 开始").is_empty());
        assert!(found("ratio 1:2:3").is_empty());
    }
}
