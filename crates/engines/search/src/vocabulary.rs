//! Concepts: groups of words that mean the same thing in Chinese and English.
//!
//! A query that names any word of a concept matches documents that contain any other word
//! of it, so 缝隙腐蚀 finds "crevice corrosion" and Gr2 finds TA2. Records name the concepts
//! they are about by id (an equipment item's type, its grade), and the index writes every
//! word of those concepts into the document's keywords.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum VocabularyError {
    #[error("the search vocabulary is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("concept {0:?} is defined twice")]
    Duplicate(String),
    #[error("concept {0:?} needs at least two terms")]
    TooFewTerms(String),
    #[error("link {link:?} names the unknown concept {concept:?}")]
    UnknownConcept { link: String, concept: String },
    #[error("the term {term:?} belongs to both {first:?} and {second:?}")]
    SharedTerm {
        term: String,
        first: String,
        second: String,
    },
}

/// One concept of the vocabulary file.
#[derive(Debug, Clone, Deserialize)]
pub struct Concept {
    pub id: String,
    pub terms: Vec<String>,
    /// `unverified` when the references do not confirm the equivalence.
    #[serde(default)]
    pub verification: Option<String>,
    /// Where the equivalence comes from, or why it is doubtful; shown to users.
    #[serde(default)]
    pub note: Option<String>,
}

impl Concept {
    pub fn unverified(&self) -> bool {
        self.verification.as_deref() == Some("unverified")
    }
}

#[derive(Debug, Deserialize)]
struct File {
    #[serde(default)]
    concept: Vec<Concept>,
    #[serde(default)]
    links: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    stop_words: Vec<String>,
}

/// The concepts, with every term normalized for matching.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    concepts: Vec<Concept>,
    by_id: BTreeMap<String, usize>,
    /// Normalized term → concept index, longest terms first when matching.
    terms: Vec<(String, usize)>,
    /// A record's fact → the concepts it makes relevant.
    links: BTreeMap<String, Vec<String>>,
    stop_words: Vec<String>,
}

/// A concept recognised in a query, with the span of the query it covered.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognised {
    pub concept: String,
    pub matched: String,
}

impl Vocabulary {
    /// Parses the vocabulary file; other tables in the file are ignored.
    pub fn parse(text: &str) -> Result<Vocabulary, VocabularyError> {
        let file: File = toml::from_str(text)?;
        let mut v = Vocabulary::new(file.concept)?;
        for (link, targets) in &file.links {
            if let Some(t) = targets.iter().find(|t| !v.by_id.contains_key(*t)) {
                return Err(VocabularyError::UnknownConcept {
                    link: link.clone(),
                    concept: t.clone(),
                });
            }
        }
        v.links = file.links;
        v.stop_words = file.stop_words;
        Ok(v)
    }

    /// Words a query ignores.
    pub fn stop_words(&self) -> &[String] {
        &self.stop_words
    }

    /// The concepts `name` stands for: the concept of that id, or those a linked fact
    /// makes relevant; none for an unknown name.
    pub fn expand(&self, name: &str) -> Vec<&Concept> {
        if let Some(c) = self.concept(name) {
            return vec![c];
        }
        self.links
            .get(name)
            .map(|ids| ids.iter().filter_map(|id| self.concept(id)).collect())
            .unwrap_or_default()
    }

    pub fn new(concepts: Vec<Concept>) -> Result<Vocabulary, VocabularyError> {
        let mut by_id = BTreeMap::new();
        let mut owner: BTreeMap<String, String> = BTreeMap::new();
        let mut terms = Vec::new();
        for (i, c) in concepts.iter().enumerate() {
            if by_id.insert(c.id.clone(), i).is_some() {
                return Err(VocabularyError::Duplicate(c.id.clone()));
            }
            if c.terms.len() < 2 {
                return Err(VocabularyError::TooFewTerms(c.id.clone()));
            }
            for t in &c.terms {
                let n = normalize(t);
                if let Some(first) = owner.insert(n.clone(), c.id.clone())
                    && first != c.id
                {
                    return Err(VocabularyError::SharedTerm {
                        term: t.clone(),
                        first,
                        second: c.id.clone(),
                    });
                }
                terms.push((n, i));
            }
        }
        terms.sort_by(|a, b| {
            b.0.chars()
                .count()
                .cmp(&a.0.chars().count())
                .then(a.0.cmp(&b.0))
        });
        terms.dedup();
        Ok(Vocabulary {
            concepts,
            by_id,
            terms,
            links: BTreeMap::new(),
            stop_words: Vec::new(),
        })
    }

    pub fn len(&self) -> usize {
        self.concepts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty()
    }

    pub fn concept(&self, id: &str) -> Option<&Concept> {
        self.by_id.get(id).map(|&i| &self.concepts[i])
    }

    pub fn concepts(&self) -> &[Concept] {
        &self.concepts
    }

    /// Finds concepts in `query`, longest terms first, and returns them with what is left
    /// of the query once their words are taken out. Latin terms match whole words only;
    /// Chinese terms match anywhere.
    pub fn recognise(&self, query: &str) -> (Vec<Recognised>, String) {
        let mut rest: Vec<char> = normalize(query).chars().collect();
        let mut found: Vec<Recognised> = Vec::new();
        for (term, idx) in &self.terms {
            let t: Vec<char> = term.chars().collect();
            if t.is_empty() {
                continue;
            }
            let mut start = 0;
            while start + t.len() <= rest.len() {
                if rest[start..start + t.len()] == t[..] && boundaries_ok(&rest, start, t.len()) {
                    for c in &mut rest[start..start + t.len()] {
                        *c = ' ';
                    }
                    let id = &self.concepts[*idx].id;
                    if !found.iter().any(|r| &r.concept == id) {
                        found.push(Recognised {
                            concept: id.clone(),
                            matched: term.clone(),
                        });
                    }
                    start += t.len();
                } else {
                    start += 1;
                }
            }
        }
        (found, rest.into_iter().collect())
    }
}

/// Lower case, full-width forms folded to ASCII, runs of whitespace and separators as one
/// space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars() {
        let c = fold_width(c);
        let sep =
            c.is_whitespace() || matches!(c, '-' | '_' | '/' | ',' | ';' | '，' | '、' | '；');
        if sep {
            if !space {
                out.push(' ');
                space = true;
            }
        } else {
            out.extend(c.to_lowercase());
            space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn fold_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn boundaries_ok(text: &[char], start: usize, len: usize) -> bool {
    let first = text[start];
    let last = text[start + len - 1];
    let before_ok = !is_latin(first) || start == 0 || !is_latin(text[start - 1]);
    let after_ok = !is_latin(last) || start + len == text.len() || !is_latin(text[start + len]);
    before_ok && after_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabulary {
        Vocabulary::parse(
            r#"
[[concept]]
id = "mechanism.crevice"
terms = ["缝隙腐蚀", "crevice corrosion"]
[[concept]]
id = "grade.gr2"
terms = ["Gr2", "TA2", "Grade 2"]
[[concept]]
id = "material.titanium"
terms = ["钛", "titanium"]
"#,
        )
        .unwrap()
    }

    #[test]
    fn recognises_terms_in_both_languages_and_leaves_the_rest() {
        let v = vocab();
        let (found, rest) = v.recognise("钛换热器 缝隙腐蚀");
        let ids: Vec<_> = found.iter().map(|r| r.concept.as_str()).collect();
        assert_eq!(ids, ["mechanism.crevice", "material.titanium"]);
        assert_eq!(rest.trim(), "换热器");
        let (found, rest) = v.recognise("Titanium  CREVICE-corrosion in brine");
        let ids: Vec<_> = found.iter().map(|r| r.concept.as_str()).collect();
        assert_eq!(ids, ["mechanism.crevice", "material.titanium"]);
        assert_eq!(rest.split_whitespace().collect::<Vec<_>>(), ["in", "brine"]);
    }

    #[test]
    fn latin_terms_match_whole_words_only() {
        let v = vocab();
        let (found, _) = v.recognise("gr23 ta21");
        assert!(found.is_empty());
        let (found, _) = v.recognise("ＴＡ２ tubes");
        assert_eq!(found[0].concept, "grade.gr2");
    }

    #[test]
    fn a_term_in_two_concepts_is_refused() {
        let err = Vocabulary::parse(
            "[[concept]]\nid = \"a\"\nterms = [\"x\", \"y\"]\n[[concept]]\nid = \"b\"\nterms = [\"Y\", \"z\"]\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"Y\""), "{err}");
        assert!(Vocabulary::parse("[[concept]]\nid = \"a\"\nterms = [\"x\"]\n").is_err());
    }
}
