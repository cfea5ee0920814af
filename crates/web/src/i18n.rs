//! Messages in Chinese (zh-CN, the default) and English, from Fluent files in `locales/`.
//!
//! Templates never contain user-facing text; they ask for messages by key. A test checks
//! that every key a template or handler uses exists in both languages.

use std::collections::HashMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// The two languages of the interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The BCP 47 tag, as used in `<html lang>` and the language cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The other language, for the switch link.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The short code reference data uses to pick a name (`zh` or `en`).
    pub fn short(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

pub const ZH_FTL: &str = include_str!("../locales/zh-CN.ftl");
pub const EN_FTL: &str = include_str!("../locales/en.ftl");

/// Parsed message bundles for both languages.
pub struct I18n {
    bundles: HashMap<Lang, FluentBundle<FluentResource>>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("I18n")
    }
}

impl I18n {
    /// Parses the embedded Fluent files; a syntax error is a build defect and fails start-up.
    pub fn load() -> Result<I18n, String> {
        let mut bundles = HashMap::new();
        for (lang, source) in [(Lang::Zh, ZH_FTL), (Lang::En, EN_FTL)] {
            let resource = FluentResource::try_new(source.to_owned())
                .map_err(|(_, errors)| format!("{}: {errors:?}", lang.tag()))?;
            let id: LanguageIdentifier = lang.tag().parse().map_err(|e| format!("{e:?}"))?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Unicode isolation marks would show up in HTML attributes and test selectors.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| format!("{}: {errors:?}", lang.tag()))?;
            bundles.insert(lang, bundle);
        }
        Ok(I18n { bundles })
    }

    /// Whether `key` exists in `lang`.
    pub fn has(&self, lang: Lang, key: &str) -> bool {
        self.bundles[&lang].has_message(key)
    }

    /// The message `key` in `lang`, with `args`. A missing key renders as the key itself
    /// (and is logged), so a gap is visible rather than blank.
    pub fn get(&self, lang: Lang, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let bundle = &self.bundles[&lang];
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(i18n.key = key, i18n.lang = lang.tag(), "missing message");
            return key.to_owned();
        };
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            fargs.set(*k, v.clone());
        }
        let mut errors = vec![];
        let text = bundle.format_pattern(
            pattern,
            if args.is_empty() { None } else { Some(&fargs) },
            &mut errors,
        );
        if !errors.is_empty() {
            tracing::warn!(i18n.key = key, ?errors, "message formatting error");
        }
        text.into_owned()
    }

    /// Every message key defined in `lang`.
    pub fn keys(source: &str) -> Vec<String> {
        source
            .lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_owned()))
            .collect()
    }
}

/// A translator bound to one language, handed to templates.
#[derive(Clone, Copy)]
pub struct Tr<'a> {
    pub i18n: &'a I18n,
    pub lang: Lang,
}

impl Tr<'_> {
    pub fn t(&self, key: &str) -> String {
        self.i18n.get(self.lang, key, &[])
    }

    /// A message with one named argument. A whole number goes in as a number, so that a
    /// message can choose its plural form (`[one]`, `*[other]`).
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        let text = value.to_string();
        let whole = !text.is_empty()
            && text.len() <= 15
            && text.bytes().all(|b| b.is_ascii_digit())
            && (text == "0" || !text.starts_with('0'));
        let value = if whole {
            FluentValue::try_number(&text)
        } else {
            FluentValue::from(text.clone())
        };
        self.i18n.get(self.lang, key, &[(name, value)])
    }

    /// A message with several text arguments.
    pub fn tn(&self, key: &str, args: &[(&str, String)]) -> String {
        let args: Vec<(&str, FluentValue<'_>)> = args
            .iter()
            .map(|(n, v)| (*n, FluentValue::from(v.as_str())))
            .collect();
        self.i18n.get(self.lang, key, &args)
    }

    /// The label of a vocabulary value, e.g. `("org-kind", "park")` → "园区".
    pub fn label(&self, prefix: &str, value: &str) -> String {
        self.t(&format!("{prefix}-{value}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_choose_the_plural_form() {
        let i18n = I18n::load().unwrap();
        let tr = Tr {
            i18n: &i18n,
            lang: Lang::En,
        };
        assert_eq!(
            tr.t1("inspection-critical", "count", 1),
            "one mandatory clause not met"
        );
        assert_eq!(
            tr.t1("inspection-critical", "count", 3),
            "3 mandatory clauses not met"
        );
        // Numbers that are text (a code, a version) stay as written.
        assert_eq!(
            tr.t1("inbox-unread-count", "count", 1),
            "one unread notification"
        );
        for text in ["1.0", "0010", "91330000123456789X"] {
            assert!(
                tr.t1("report-attach", "size", text).contains(text),
                "{text}"
            );
        }
    }

    #[test]
    fn both_languages_parse_and_define_the_same_keys() {
        let i18n = I18n::load().unwrap();
        let zh = I18n::keys(ZH_FTL);
        let en = I18n::keys(EN_FTL);
        for k in &zh {
            assert!(i18n.has(Lang::En, k), "`{k}` is in zh-CN but not in en");
        }
        for k in &en {
            assert!(i18n.has(Lang::Zh, k), "`{k}` is in en but not in zh-CN");
        }
        assert!(zh.len() > 50);
    }

    /// Every key the templates and handlers ask for exists in both languages.
    #[test]
    fn every_key_used_in_code_and_templates_exists() {
        let i18n = I18n::load().unwrap();
        let dirs = [
            concat!(env!("CARGO_MANIFEST_DIR"), "/templates"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/src"),
        ];
        let mut checked = 0;
        let mut files = Vec::new();
        for d in dirs {
            collect(std::path::Path::new(d), &mut files);
        }
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for call in [".t(\"", ".t1(\""] {
                for part in text.split(call).skip(1) {
                    let key = part.split('"').next().unwrap();
                    for lang in Lang::ALL {
                        assert!(
                            i18n.has(lang, key),
                            "{}: `{key}` missing in {}",
                            file.display(),
                            lang.tag()
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 50, "found {checked} message uses");
    }

    /// Keys the pages build from data: a label for every input of the risk model (and its
    /// derived ones), a hint for every input whose absence states a fact, every mechanism
    /// rating and every reason an assessment is recorded.
    #[test]
    fn every_key_built_from_the_risk_model_exists() {
        let i18n = I18n::load().unwrap();
        let risk = ticorr_platform::risk::load().unwrap();
        let mut keys: Vec<String> = Vec::new();
        for spec in &risk.rules.inputs {
            keys.push(format!("risk-in-{}", spec.name));
            if spec.absent.is_some() {
                keys.push(format!("risk-none-hint-{}", spec.name));
            }
        }
        for (derived, _) in ticorr_risk::ruleset::DERIVED {
            keys.push(format!("risk-in-{derived}"));
        }
        for s in ticorr_risk::Susceptibility::ALL {
            keys.push(format!("susceptibility-{}", s.as_str()));
        }
        for r in ticorr_equipment::risk::Reason::ALL {
            keys.push(format!("risk-reason-{}", r.as_str()));
        }
        for g in ticorr_risk::RiskGrade::ALL {
            keys.push(format!("risk-level-{}", g.level()));
        }
        for key in keys {
            for lang in Lang::ALL {
                assert!(i18n.has(lang, &key), "`{key}` missing in {}", lang.tag());
            }
        }
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                collect(&p, out);
            } else if p.extension().is_some_and(|e| e == "html" || e == "rs") {
                out.push(p);
            }
        }
    }
}
