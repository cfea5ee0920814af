//! The index: documents of every registered type in one tantivy index, with their access
//! attributes, facets and the change-feed position they reflect.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, FuzzyTermQuery, Occur,
    PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentReader,
    TantivyDocument, Term,
};

use crate::analyzer::{Cut, analyzer};
use crate::vocabulary::{Recognised, Vocabulary};

/// The analyzer documents are indexed with.
pub const ANALYZER: &str = "ticorr_fine";
/// The analyzer of the Chinese-characters field.
pub const CHARS_ANALYZER: &str = "ticorr_chars";

/// Memory the writer may use before it flushes a segment.
const WRITER_HEAP: usize = 64 * 1024 * 1024;

/// Boosts of the text fields: a word in the title counts three times a word in the body.
const TITLE_BOOST: Score = 3.0;
const KEYWORDS_BOOST: Score = 2.0;
const BODY_BOOST: Score = 1.0;
/// A Chinese word found only as a run of characters inside a longer word.
const CHARS_BOOST: Score = 0.5;
/// A misspelt match counts for less than an exact one.
const FUZZY_WEIGHT: Score = 0.3;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(
        "the search index is in use by another process (a running server); stop it or rebuild through the server"
    )]
    Busy,
    #[error(
        "the search index on disk was written with another layout; rebuild it with `ticorr reindex`"
    )]
    Layout,
    #[error("search index: {0}")]
    Index(String),
    #[error("reading the records to index: {0}")]
    Source(String),
    #[error("search index: {0}")]
    Io(#[from] std::io::Error),
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        match e {
            tantivy::TantivyError::LockFailure(
                tantivy::directory::error::LockError::LockBusy,
                _,
            ) => SearchError::Busy,
            other => SearchError::Index(other.to_string()),
        }
    }
}

/// A searchable record as a module describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    /// The registered document type, e.g. `equipment`.
    pub doc_type: String,
    pub id: String,
    pub title: String,
    pub body: String,
    /// Words the record is found by that are not in its text (tags, codes, labels).
    pub keywords: Vec<String>,
    /// Concepts of the vocabulary the record is about; all their words are indexed.
    pub concepts: Vec<String>,
    /// The data level, the owning organisation and the parks of the L2 audience.
    pub level: String,
    pub owner: Option<String>,
    pub parks: Vec<String>,
    /// (dimension, value) pairs; a record may have several values in one dimension.
    pub facets: Vec<(String, String)>,
    /// Where the record is shown.
    pub url: String,
    /// The document type's weight in ranking (1.0 neutral).
    pub boost: f64,
}

/// A change to apply to the index.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Upsert(Box<Doc>),
    Delete { doc_type: String, id: String },
}

/// What a caller may see, as decided by the policies: any one of these scopes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Access {
    pub any_of: Vec<Scope>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub doc_type: String,
    pub level: String,
    pub only: Only,
}

/// Which records of a type and level a scope covers.
#[derive(Debug, Clone, PartialEq)]
pub enum Only {
    All,
    /// Records owned by this organisation.
    Owner(String),
    /// Records shared with any of these parks.
    Parks(Vec<String>),
}

/// A search.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub text: String,
    /// Only these types (all when empty).
    pub types: Vec<String>,
    /// (dimension, value): values of one dimension are alternatives, dimensions combine.
    pub filters: Vec<(String, String)>,
    /// The dimensions to count.
    pub facets: Vec<String>,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub doc_type: String,
    pub id: String,
    pub title: String,
    pub url: String,
    /// HTML: the text escaped, matched words in `<mark>`.
    pub snippet: String,
    pub score: f32,
    pub level: String,
    pub owner: Option<String>,
    pub parks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// Every visible match, not just this page.
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Per requested dimension, value → number of visible matches, largest first.
    pub facets: BTreeMap<String, Vec<(String, u64)>>,
    /// The concepts the query was understood to name.
    pub concepts: Vec<Recognised>,
    /// The remaining words, as searched (stemmed, lower case).
    pub terms: Vec<String>,
}

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    doc_type: Field,
    id: Field,
    title: Field,
    body: Field,
    keywords: Field,
    chars: Field,
    level: Field,
    owner: Field,
    parks: Field,
    facets: Field,
    url: Field,
    boost: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |stored: bool| {
        let o = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        if stored { o.set_stored() } else { o }
    };
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        doc_type: b.add_text_field("type", STRING | STORED),
        id: b.add_text_field("id", STORED),
        title: b.add_text_field("title", text(true)),
        body: b.add_text_field("body", text(true)),
        keywords: b.add_text_field("keywords", text(false)),
        chars: b.add_text_field(
            "chars",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(CHARS_ANALYZER)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            ),
        ),
        level: b.add_text_field("level", STRING | STORED),
        owner: b.add_text_field("owner", STRING | STORED),
        parks: b.add_text_field("parks", STRING | STORED),
        facets: b.add_facet_field("facets", FacetOptions::default()),
        url: b.add_text_field("url", STORED),
        boost: b.add_f64_field("boost", FAST | INDEXED),
    };
    (b.build(), fields)
}

/// The index, its single writer and a reader.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    vocabulary: Vocabulary,
    stop_words: Vec<String>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("docs", &self.reader.searcher().num_docs())
            .finish()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (empty, with no change-feed position) when the
    /// directory holds none. Fails with [`SearchError::Busy`] while another process writes it.
    pub fn open(dir: &Path, vocabulary: Vocabulary) -> Result<SearchIndex, SearchError> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let index = if dir.join("meta.json").exists() {
            let index = Index::open_in_dir(dir)?;
            if index.schema() != schema {
                return Err(SearchError::Layout);
            }
            index
        } else {
            Index::create_in_dir(dir, schema)?
        };
        Self::with_index(index, fields, vocabulary)
    }

    /// An index in memory, for tests and benchmarks.
    pub fn in_memory(vocabulary: Vocabulary) -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        Self::with_index(Index::create_in_ram(schema), fields, vocabulary)
    }

    fn with_index(
        index: Index,
        fields: Fields,
        vocabulary: Vocabulary,
    ) -> Result<SearchIndex, SearchError> {
        let stop_words = vocabulary.stop_words().to_vec();
        index
            .tokenizers()
            .register(ANALYZER, analyzer(Cut::Fine, &stop_words));
        index
            .tokenizers()
            .register(CHARS_ANALYZER, crate::analyzer::chars_analyzer());
        let writer = index.writer_with_num_threads(1, WRITER_HEAP)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            vocabulary,
            stop_words,
        })
    }

    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// Documents in the index (as of the last commit).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The change-feed position the committed index reflects; `None` for an index never
    /// filled, which must be rebuilt.
    pub fn position(&self) -> Result<Option<i64>, SearchError> {
        let metas = self.index.load_metas()?;
        Ok(metas.payload.and_then(|p| p.parse().ok()))
    }

    /// Applies changes and records `position` with them, in one commit.
    pub fn apply(&self, changes: &[Change], position: i64) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        for change in changes {
            match change {
                Change::Upsert(doc) => {
                    writer.delete_term(self.key_term(&doc.doc_type, &doc.id));
                    writer.add_document(self.document(doc))?;
                }
                Change::Delete { doc_type, id } => {
                    writer.delete_term(self.key_term(doc_type, id));
                }
            }
        }
        self.commit(&mut writer, position)
    }

    /// Replaces the whole content with `docs` and records `position`, in one commit;
    /// readers see the old content until then. The first error from `docs` abandons the
    /// rebuild and leaves the index as it was.
    pub fn rebuild<E: std::fmt::Display>(
        &self,
        position: i64,
        docs: impl Iterator<Item = Result<Doc, E>>,
    ) -> Result<u64, SearchError> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.delete_all_documents()?;
        let mut added = 0u64;
        for doc in docs {
            let outcome = match doc {
                Ok(doc) => writer
                    .add_document(self.document(&doc))
                    .map_err(SearchError::from),
                Err(e) => Err(SearchError::Source(e.to_string())),
            };
            if let Err(e) = outcome {
                writer.rollback()?;
                return Err(e);
            }
            added += 1;
        }
        self.commit(&mut writer, position)?;
        Ok(added)
    }

    fn commit(&self, writer: &mut IndexWriter, position: i64) -> Result<(), SearchError> {
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&position.to_string());
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    fn key_term(&self, doc_type: &str, id: &str) -> Term {
        Term::from_field_text(self.fields.key, &format!("{doc_type}:{id}"))
    }

    fn document(&self, doc: &Doc) -> TantivyDocument {
        let f = &self.fields;
        let mut d = TantivyDocument::default();
        d.add_text(f.key, format!("{}:{}", doc.doc_type, doc.id));
        d.add_text(f.doc_type, &doc.doc_type);
        d.add_text(f.id, &doc.id);
        d.add_text(f.title, &doc.title);
        d.add_text(f.body, &doc.body);
        let mut keywords = doc.keywords.clone();
        for name in &doc.concepts {
            for concept in self.vocabulary.expand(name) {
                keywords.extend(concept.terms.iter().cloned());
            }
        }
        // A separator between keywords keeps phrases from running across them.
        let keywords = keywords.join(" ; ");
        d.add_text(
            f.chars,
            format!("{} ; {} ; {}", doc.title, doc.body, keywords),
        );
        d.add_text(f.keywords, keywords);
        d.add_text(f.level, &doc.level);
        if let Some(owner) = &doc.owner {
            d.add_text(f.owner, owner);
        }
        for p in &doc.parks {
            d.add_text(f.parks, p);
        }
        for (dim, value) in &doc.facets {
            d.add_facet(f.facets, Facet::from_path([dim.as_str(), value.as_str()]));
        }
        d.add_text(f.url, &doc.url);
        d.add_f64(f.boost, doc.boost);
        d
    }

    /// Searches what `access` lets the caller see. Facet counts and the total count only
    /// visible matches.
    pub fn search(&self, req: &Request, access: &Access) -> Result<Response, SearchError> {
        let (text_query, concepts, terms) = self.text_query(&req.text);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query)];
        clauses.push((Occur::Must, filter(self.access_query(access))));
        if !req.types.is_empty() {
            let types = req
                .types
                .iter()
                .map(|t| term_query(self.fields.doc_type, t))
                .collect();
            clauses.push((Occur::Must, filter(Box::new(BooleanQuery::union(types)))));
        }
        let mut by_dim: BTreeMap<&str, Vec<Box<dyn Query>>> = BTreeMap::new();
        for (dim, value) in &req.filters {
            let facet = Facet::from_path([dim.as_str(), value.as_str()]);
            by_dim
                .entry(dim.as_str())
                .or_default()
                .push(Box::new(TermQuery::new(
                    Term::from_facet(self.fields.facets, &facet),
                    IndexRecordOption::Basic,
                )));
        }
        for (_, alternatives) in by_dim {
            clauses.push((
                Occur::Must,
                filter(Box::new(BooleanQuery::union(alternatives))),
            ));
        }
        let query = BooleanQuery::new(clauses);

        let searcher = self.reader.searcher();
        let mut facet_collector = FacetCollector::for_field("facets");
        for dim in &req.facets {
            facet_collector.add_facet(Facet::from_path([dim.as_str()]));
        }
        let top = TopDocs::with_limit(req.limit.max(1))
            .and_offset(req.offset)
            .tweak_score(|segment: &SegmentReader| {
                let boost = segment
                    .fast_fields()
                    .f64("boost")
                    .ok()
                    .map(|c| c.first_or_default_col(1.0));
                move |doc: DocId, score: Score| match &boost {
                    Some(b) => score * b.get_val(doc) as Score,
                    None => score,
                }
            });
        let (top, total, facet_counts) = searcher.search(&query, &(top, Count, facet_collector))?;

        let mut snippets = SnippetGenerator::create(&searcher, &query, self.fields.body)?;
        snippets.set_max_num_chars(180);
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            hits.push(self.hit(&searcher, address, score, &snippets)?);
        }
        let mut facets = BTreeMap::new();
        for dim in &req.facets {
            let mut values: Vec<(String, u64)> = facet_counts
                .get(Facet::from_path([dim.as_str()]))
                .filter_map(|(facet, count)| {
                    facet.to_path().last().map(|v| ((*v).to_owned(), count))
                })
                .collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            facets.insert(dim.clone(), values);
        }
        Ok(Response {
            total,
            hits,
            facets,
            concepts,
            terms,
        })
    }

    fn hit(
        &self,
        searcher: &tantivy::Searcher,
        address: DocAddress,
        score: Score,
        snippets: &SnippetGenerator,
    ) -> Result<Hit, SearchError> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let mut snippet = snippets.snippet_from_doc(&doc);
        snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
        let mut html = snippet.to_html();
        if html.is_empty() {
            html = escape(&text(self.fields.body).chars().take(180).collect::<String>());
        }
        Ok(Hit {
            doc_type: text(self.fields.doc_type),
            id: text(self.fields.id),
            title: text(self.fields.title),
            url: text(self.fields.url),
            snippet: html,
            score,
            level: text(self.fields.level),
            owner: doc
                .get_first(self.fields.owner)
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            parks: doc
                .get_all(self.fields.parks)
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        })
    }

    /// The query for the words typed: every concept named and every other word must match
    /// (a concept through any of its words, in any language).
    fn text_query(&self, text: &str) -> (Box<dyn Query>, Vec<Recognised>, Vec<String>) {
        let (concepts, rest) = self.vocabulary.recognise(text);
        let mut words = analyzer(Cut::Words, &self.stop_words);
        let mut must: Vec<Box<dyn Query>> = Vec::new();
        for r in &concepts {
            let Some(concept) = self.vocabulary.concept(&r.concept) else {
                continue;
            };
            let alternatives: Vec<Box<dyn Query>> = concept
                .terms
                .iter()
                .filter_map(|t| self.phrase_query(&mut words, t))
                .collect();
            if !alternatives.is_empty() {
                must.push(Box::new(BooleanQuery::union(alternatives)));
            }
        }
        let terms = crate::analyzer::terms(&mut words, &rest);
        for t in &terms {
            must.push(self.word_query(t));
        }
        let query: Box<dyn Query> = if must.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::intersection(must))
        };
        (query, concepts, terms)
    }

    fn text_fields(&self) -> [(Field, Score); 3] {
        [
            (self.fields.title, TITLE_BOOST),
            (self.fields.keywords, KEYWORDS_BOOST),
            (self.fields.body, BODY_BOOST),
        ]
    }

    /// A word in any text field; a long Latin word also when misspelt by a letter or two.
    fn word_query(&self, word: &str) -> Box<dyn Query> {
        let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
        let latin = word.chars().all(|c| c.is_ascii_alphabetic());
        let len = word.chars().count();
        for (field, boost) in self.text_fields() {
            let term = Term::from_field_text(field, word);
            alternatives.push(Box::new(BoostQuery::new(
                Box::new(TermQuery::new(
                    term.clone(),
                    IndexRecordOption::WithFreqsAndPositions,
                )),
                boost,
            )));
            if latin && len >= 5 {
                let distance = if len >= 9 { 2 } else { 1 };
                alternatives.push(Box::new(BoostQuery::new(
                    Box::new(FuzzyTermQuery::new(term, distance, true)),
                    boost * FUZZY_WEIGHT,
                )));
            }
        }
        if let Some(chars) = self.chars_query(word) {
            alternatives.push(chars);
        }
        Box::new(BooleanQuery::union(alternatives))
    }

    /// A Chinese word as a run of characters, wherever it stands in the text.
    fn chars_query(&self, word: &str) -> Option<Box<dyn Query>> {
        let chars: Vec<char> = word.chars().collect();
        if chars.is_empty() || !chars.iter().all(|c| crate::analyzer::is_cjk(*c)) {
            return None;
        }
        let terms: Vec<Term> = chars
            .iter()
            .map(|c| Term::from_field_text(self.fields.chars, &c.to_string()))
            .collect();
        let query: Box<dyn Query> = if terms.len() == 1 {
            Box::new(TermQuery::new(
                terms[0].clone(),
                IndexRecordOption::WithFreqsAndPositions,
            ))
        } else {
            Box::new(PhraseQuery::new(terms))
        };
        Some(Box::new(BoostQuery::new(query, CHARS_BOOST)))
    }

    /// The words of `phrase` in order, in any text field.
    fn phrase_query(&self, words: &mut TextAnalyzer, phrase: &str) -> Option<Box<dyn Query>> {
        let mut stream = words.token_stream(phrase);
        let mut tokens: Vec<(usize, String)> = Vec::new();
        while tantivy::tokenizer::TokenStream::advance(&mut stream) {
            let t = tantivy::tokenizer::TokenStream::token(&stream);
            tokens.push((t.position, t.text.clone()));
        }
        match tokens.len() {
            0 => None,
            1 => Some(self.exact_word_query(&tokens[0].1)),
            _ => {
                let first = tokens[0].0;
                let alternatives = self
                    .text_fields()
                    .into_iter()
                    .map(|(field, boost)| {
                        let terms = tokens
                            .iter()
                            .map(|(p, t)| (p - first, Term::from_field_text(field, t)))
                            .collect();
                        Box::new(BoostQuery::new(
                            Box::new(PhraseQuery::new_with_offset(terms)),
                            boost,
                        )) as Box<dyn Query>
                    })
                    .collect();
                Some(Box::new(BooleanQuery::union(alternatives)))
            }
        }
    }

    fn exact_word_query(&self, word: &str) -> Box<dyn Query> {
        let mut alternatives: Vec<Box<dyn Query>> = self
            .text_fields()
            .into_iter()
            .map(|(field, boost)| {
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, word),
                        IndexRecordOption::WithFreqsAndPositions,
                    )),
                    boost,
                )) as Box<dyn Query>
            })
            .collect();
        alternatives.extend(self.chars_query(word));
        Box::new(BooleanQuery::union(alternatives))
    }

    fn access_query(&self, access: &Access) -> Box<dyn Query> {
        if access.any_of.is_empty() {
            return Box::new(EmptyQuery);
        }
        let f = &self.fields;
        let scopes = access
            .any_of
            .iter()
            .map(|s| {
                let mut parts = vec![
                    term_query(f.doc_type, &s.doc_type),
                    term_query(f.level, &s.level),
                ];
                match &s.only {
                    Only::All => {}
                    Only::Owner(o) => parts.push(term_query(f.owner, o)),
                    Only::Parks(parks) => parts.push(Box::new(BooleanQuery::union(
                        parks.iter().map(|p| term_query(f.parks, p)).collect(),
                    ))),
                }
                Box::new(BooleanQuery::intersection(parts)) as Box<dyn Query>
            })
            .collect();
        Box::new(BooleanQuery::union(scopes))
    }
}

fn term_query(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

/// A clause that selects without adding to the score.
fn filter(q: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(q, 0.0))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
