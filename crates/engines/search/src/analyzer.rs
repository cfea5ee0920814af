//! One analyzer for Chinese and English in the same field: jieba segments Chinese (and
//! splits Latin words at spaces and punctuation), then Latin words are lower-cased and
//! stemmed, and stop words dropped.

use std::sync::{Arc, OnceLock};

use jieba_rs::{Jieba, TokenizeMode};
use tantivy::tokenizer::{
    Language, LowerCaser, Stemmer, StopWordFilter, TextAnalyzer, Token, TokenStream, Tokenizer,
};

/// How finely Chinese is cut. Documents are indexed with [`Cut::Fine`] (every dictionary
/// word inside a longer one as well), queries with [`Cut::Words`], so a query word is found
/// inside the longer words of a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    Fine,
    Words,
}

fn jieba() -> Arc<Jieba> {
    static JIEBA: OnceLock<Arc<Jieba>> = OnceLock::new();
    JIEBA.get_or_init(|| Arc::new(Jieba::new())).clone()
}

/// The analyzer registered under [`crate::ANALYZER`] (fine cut) and [`crate::QUERY_ANALYZER`].
pub fn analyzer(cut: Cut, stop_words: &[String]) -> TextAnalyzer {
    TextAnalyzer::builder(MixedTokenizer {
        jieba: jieba(),
        cut,
    })
    .filter(LowerCaser)
    .filter(StopWordFilter::remove(stop_words.iter().cloned()))
    .filter(Stemmer::new(Language::English))
    .build()
}

#[derive(Clone)]
pub struct MixedTokenizer {
    jieba: Arc<Jieba>,
    cut: Cut,
}

pub struct MixedStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for MixedTokenizer {
    type TokenStream<'a> = MixedStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> MixedStream {
        let mut tokens = Vec::new();
        let mut position = 0;
        for w in self.jieba.tokenize(text, TokenizeMode::Default, true) {
            if !w.word.chars().any(char::is_alphanumeric) {
                continue;
            }
            // The fine cut adds the dictionary words inside a longer word at the word's
            // own position, so phrases of whole words still line up.
            if self.cut == Cut::Fine && w.word.chars().count() > 2 {
                for part in self.jieba.tokenize(w.word, TokenizeMode::Search, false) {
                    if part.word != w.word && part.word.chars().any(char::is_alphanumeric) {
                        tokens.push(Token {
                            offset_from: w.byte_start + part.byte_start,
                            offset_to: w.byte_start + part.byte_end,
                            position,
                            text: fold_width(part.word),
                            position_length: 1,
                        });
                    }
                }
            }
            tokens.push(Token {
                offset_from: w.byte_start,
                offset_to: w.byte_end,
                position,
                text: fold_width(w.word),
                position_length: 1,
            });
            position += 1;
        }
        MixedStream { tokens, next: 0 }
    }
}

fn fold_width(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

impl TokenStream for MixedStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// Whether `c` is a CJK ideograph.
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

/// Every Chinese character as a term of its own, so that a word is found inside a longer
/// word whatever the segmentation. Characters not next to each other in the text are not
/// next to each other in positions either.
pub fn chars_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(CharTokenizer).build()
}

#[derive(Clone)]
pub struct CharTokenizer;

impl Tokenizer for CharTokenizer {
    type TokenStream<'a> = MixedStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> MixedStream {
        let mut tokens = Vec::new();
        let mut position = 0;
        let mut adjacent = false;
        for (at, c) in text.char_indices() {
            if is_cjk(c) {
                tokens.push(Token {
                    offset_from: at,
                    offset_to: at + c.len_utf8(),
                    position,
                    text: c.to_string(),
                    position_length: 1,
                });
                position += 1;
                adjacent = true;
            } else if adjacent {
                position += 1;
                adjacent = false;
            }
        }
        MixedStream { tokens, next: 0 }
    }
}

/// The terms `text` is indexed or queried under.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_and_english_in_one_text() {
        let mut a = analyzer(Cut::Words, &["in".to_owned(), "的".to_owned()]);
        let t = terms(&mut a, "钛换热器的缝隙腐蚀 in Heat Exchangers");
        assert!(t.contains(&"换热器".to_owned()), "{t:?}");
        assert!(t.contains(&"exchang".to_owned()), "{t:?}");
        assert!(
            !t.contains(&"in".to_owned()) && !t.contains(&"的".to_owned()),
            "{t:?}"
        );
    }

    #[test]
    fn fine_cut_also_yields_the_words_inside_longer_words() {
        let mut fine = analyzer(Cut::Fine, &[]);
        let mut words = analyzer(Cut::Words, &[]);
        let doc = terms(&mut fine, "管壳式换热器");
        for q in terms(&mut words, "换热器") {
            assert!(doc.contains(&q), "{q} not in {doc:?}");
        }
    }
}
