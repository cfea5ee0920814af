//! The 34 provincial-level divisions (GB/T 2260 prefixes) the engine generalizes to.
//!
//! Addresses and region codes are generalized to their province, the k-anonymity check climbs
//! from province to the NBS economic region, and the plate detector needs the provincial
//! abbreviations. The table is `data/provinces.tsv`, embedded at compile time; its header
//! names the sources.

use std::sync::LazyLock;

/// One provincial-level division.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Province {
    /// Two-digit GB/T 2260 prefix ("32").
    pub prefix: &'static str,
    /// Official Chinese name ("江苏省").
    pub name_zh: &'static str,
    /// Common short form ("江苏").
    pub short_zh: &'static str,
    /// English name ("Jiangsu").
    pub name_en: &'static str,
    /// One-character abbreviation used on vehicle plates ("苏").
    pub plate: &'static str,
    /// English name with the division type ("Jiangsu Province").
    pub name_en_full: &'static str,
    /// NBS economic region ("东部地区"), the level above province.
    pub region: &'static str,
}

const TABLE: &str = include_str!("../data/provinces.tsv");

static PROVINCES: LazyLock<Vec<Province>> = LazyLock::new(|| {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&'static str> = line.split('\t').collect();
            assert_eq!(f.len(), 7, "data/provinces.tsv: malformed line {line:?}");
            Province {
                prefix: f[0],
                name_zh: f[1],
                short_zh: f[2],
                name_en: f[3],
                plate: f[4],
                name_en_full: f[5],
                region: f[6],
            }
        })
        .collect()
});

/// All 34 provincial-level divisions in code order.
pub fn all() -> &'static [Province] {
    &PROVINCES
}

/// The province whose GB/T 2260 prefix starts `code` (a 2- or 6-digit code).
pub fn by_code(code: &str) -> Option<&'static Province> {
    let code = code.trim();
    if code.len() < 2 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    all().iter().find(|p| p.prefix == &code[..2])
}

/// The province named by `name`: official Chinese name, short form, English name (any case)
/// or English name with the division type.
pub fn by_name(name: &str) -> Option<&'static Province> {
    let name = name.trim();
    all().iter().find(|p| {
        p.name_zh == name
            || p.short_zh == name
            || p.name_en.eq_ignore_ascii_case(name)
            || p.name_en_full.eq_ignore_ascii_case(name)
    })
}

/// The province named first (leftmost) in `text`, by its Chinese or English name.
pub fn find_in(text: &str) -> Option<&'static Province> {
    let mut best: Option<(usize, &'static Province)> = None;
    for p in all() {
        let hits = [text.find(p.short_zh), find_ascii_word(text, p.name_en)];
        for at in hits.into_iter().flatten() {
            if best.is_none_or(|(b, _)| at < b) {
                best = Some((at, p));
            }
        }
    }
    best.map(|(_, p)| p)
}

/// Byte offset of `word` in `text` as a whole ASCII word, ignoring case.
fn find_ascii_word(text: &str, word: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let word = word.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&word) {
        let at = from + i;
        let end = at + word.len();
        let before = lower[..at].chars().next_back();
        let after = lower[end..].chars().next();
        if !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return Some(at);
        }
        from = end;
    }
    None
}

/// True when `prefix` (two digits) is a provincial GB/T 2260 prefix.
pub fn is_prefix(prefix: &str) -> bool {
    all().iter().any(|p| p.prefix == prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_the_34_divisions_with_unique_prefixes() {
        assert_eq!(all().len(), 34);
        let mut prefixes: Vec<_> = all().iter().map(|p| p.prefix).collect();
        prefixes.dedup();
        assert_eq!(prefixes.len(), 34);
        assert_eq!(all().iter().filter(|p| p.region == "东部地区").count(), 10);
    }

    #[test]
    fn lookups_by_code_and_name() {
        assert_eq!(by_code("320115").unwrap().name_zh, "江苏省");
        assert_eq!(by_code("50").unwrap().short_zh, "重庆");
        assert!(by_code("99").is_none());
        assert_eq!(by_name("guangdong").unwrap().prefix, "44");
        assert_eq!(by_name("广西壮族自治区").unwrap().plate, "桂");
        assert!(is_prefix("65") && !is_prefix("66"));
    }

    #[test]
    fn finds_the_first_province_in_text() {
        assert_eq!(find_in("位于浙江省温州市").unwrap().prefix, "33");
        assert_eq!(
            find_in("88 Keyuan Road, Shenzhen, Guangdong")
                .unwrap()
                .prefix,
            "44"
        );
        assert!(find_in("Mr Shanxiong").is_none());
    }
}
