//! Similar cases: which published accidents look like this case, or like this equipment item.
//!
//! A hybrid of four signals, each between 0 and 1, added with [`Weights`]:
//!
//! - **text**: cosine of TF-IDF vectors over the case's texts (Latin words, and bigrams of
//!   Chinese characters, so Chinese needs no dictionary);
//! - **parameters**: how close the operating conditions are (temperature, chloride, fluoride,
//!   pH, velocity on scales of their own; concentrations on a log scale) and whether grade,
//!   equipment type and industry agree;
//! - **mechanism**: the same damage mechanism (for an equipment item, the mechanisms its risk
//!   assessment rates, weighted by the rating);
//! - **root causes**: the overlap (Jaccard) of the root-cause categories.
//!
//! Every match carries its parts and the reasons behind them, so a page can say why a case
//! is shown. [`evaluate`] measures precision@5 and recall@10 over labelled families of cases
//! (the demo's generator makes them), and [`tune`] picks the weights on training families
//! only, so that the figures reported on held-out families are honest.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::model::{Mechanism, Published, RootCause};

/// What the recommender knows of a case (or of an equipment item asking for cases).
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Damage mechanisms with a weight in 0..=1: a case has its one mechanism at 1; an
    /// equipment item has the mechanisms its assessment rates.
    pub mechanisms: Vec<(Mechanism, f64)>,
    pub root_causes: Vec<RootCause>,
    pub equipment_type: Option<String>,
    pub grade: Option<String>,
    /// GB/T 4754 code (class, group or division).
    pub industry: Option<String>,
    pub temperature_c: Option<f64>,
    pub chloride_mg_l: Option<f64>,
    pub fluoride_mg_l: Option<f64>,
    pub ph: Option<f64>,
    pub velocity_m_s: Option<f64>,
    /// Every text of the case, joined.
    pub text: String,
}

impl Profile {
    /// A published case as the recommender sees it: only what its publication shows.
    pub fn of_published(p: &Published) -> Profile {
        let d = &p.details;
        let text = [
            &p.title_zh,
            &p.title_en,
            &d.equipment_description,
            &d.location,
            &d.morphology,
            &d.process_medium,
            &d.direct_cause,
            &d.rectification,
            &d.lessons_zh,
            &d.lessons_en,
            &d.narrative_zh,
            &d.narrative_en,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n");
        Profile {
            mechanisms: vec![(p.mechanism, 1.0)],
            root_causes: p.root_causes.clone(),
            equipment_type: Some(p.equipment_type.clone()),
            grade: Some(p.grade.clone()),
            industry: Some(p.industry.clone()).filter(|i| i != "*"),
            temperature_c: d.temperature_c,
            chloride_mg_l: d.chloride_mg_l,
            fluoride_mg_l: d.fluoride_mg_l,
            ph: d.ph,
            velocity_m_s: d.velocity_m_s,
            text,
        }
    }
}

impl Profile {
    /// An equipment item as the recommender sees it: its conditions, and the mechanisms its
    /// current assessment rates, weighted by susceptibility (low ¼ … very high 1).
    pub fn of_item(
        item: &ticorr_equipment::Equipment,
        mechanisms: &[ticorr_risk::MechanismResult],
    ) -> Profile {
        use ticorr_risk::Susceptibility as S;
        let mechanisms = mechanisms
            .iter()
            .filter_map(|m| {
                let weight = match m.susceptibility {
                    S::None => return None,
                    S::Low => 0.25,
                    S::Medium => 0.5,
                    S::High => 0.75,
                    S::VeryHigh => 1.0,
                };
                Some((m.id.parse::<Mechanism>().ok()?, weight))
            })
            .collect();
        Profile {
            mechanisms,
            root_causes: Vec::new(),
            equipment_type: Some(item.equipment_type.as_str().to_owned()),
            grade: Some(item.grade.as_str().to_owned()),
            industry: None,
            temperature_c: item.temperature_c,
            chloride_mg_l: item.chloride_mg_l,
            fluoride_mg_l: item.fluoride_mg_l,
            ph: item.ph,
            velocity_m_s: item.velocity_m_s,
            text: item.process_medium.clone().unwrap_or_default(),
        }
    }
}

/// How much each signal counts. Non-negative; they need not add up to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Weights {
    pub text: f64,
    pub parameters: f64,
    pub mechanism: f64,
    pub root_causes: f64,
}

impl Weights {
    /// The weights the platform uses, chosen by [`tune`] on the demo's training families
    /// (see docs/cases-metrics.md) and rounded.
    pub const HYBRID: Weights = Weights {
        text: 0.5,
        parameters: 0.2,
        mechanism: 0.2,
        root_causes: 0.1,
    };
    /// For an equipment item, which has no text: its conditions and the mechanisms its
    /// risk assessment rates, equally. (No labelled item families exist to tune it on.)
    pub const ITEM: Weights = Weights {
        text: 0.0,
        parameters: 0.5,
        mechanism: 0.5,
        root_causes: 0.0,
    };
    /// The baseline the hybrid has to beat: text relevance alone.
    pub const TEXT_ONLY: Weights = Weights {
        text: 1.0,
        parameters: 0.0,
        mechanism: 0.0,
        root_causes: 0.0,
    };
}

/// One numeric operating parameter: how it is compared.
struct Parameter {
    name: &'static str,
    get: fn(&Profile) -> Option<f64>,
    /// Concentrations compare by order of magnitude.
    log: bool,
    /// The difference (after the log, if any) at which similarity falls to e^-1/2.
    scale: f64,
}

const PARAMETERS: [Parameter; 5] = [
    Parameter {
        name: "temperature_c",
        get: |p| p.temperature_c,
        log: false,
        scale: 10.0,
    },
    Parameter {
        name: "chloride_mg_l",
        get: |p| p.chloride_mg_l,
        log: true,
        scale: 0.3,
    },
    Parameter {
        name: "fluoride_mg_l",
        get: |p| p.fluoride_mg_l,
        log: true,
        scale: 0.3,
    },
    Parameter {
        name: "ph",
        get: |p| p.ph,
        log: false,
        scale: 1.0,
    },
    Parameter {
        name: "velocity_m_s",
        get: |p| p.velocity_m_s,
        log: false,
        scale: 0.7,
    },
];

/// Why a case was found similar.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// The same damage mechanism.
    Mechanism { mechanism: Mechanism },
    /// Root-cause categories both name.
    RootCauses { root_causes: Vec<RootCause> },
    /// An operating parameter within its comparison scale.
    Parameter {
        parameter: String,
        this: f64,
        that: f64,
    },
    /// The same grade, equipment type or industry.
    Same { attribute: String, value: String },
    /// The words (or Chinese bigrams) that weigh most in the text match.
    Words { words: Vec<String> },
}

/// The four signals of one match, each in 0..=1, and their weighted sum.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Parts {
    pub text: f64,
    pub parameters: f64,
    pub mechanism: f64,
    pub root_causes: f64,
    pub score: f64,
}

/// A case found similar, with why.
#[derive(Debug, Clone, Serialize)]
pub struct Match {
    /// Position of the case in the index.
    pub doc: usize,
    pub parts: Parts,
    pub reasons: Vec<Reason>,
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}')
}

/// The terms of a text: lower-cased Latin words and numbers of two characters or more, and
/// the bigrams of each run of Chinese characters (a run of one counts as itself).
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut run: Vec<char> = Vec::new();
    let flush_word = |word: &mut String, out: &mut Vec<String>| {
        if word.chars().count() >= 2 {
            out.push(std::mem::take(word));
        } else {
            word.clear();
        }
    };
    let flush_run = |run: &mut Vec<char>, out: &mut Vec<String>| {
        match run.len() {
            0 => {}
            1 => out.push(run[0].to_string()),
            _ => out.extend(run.windows(2).map(|w| w.iter().collect::<String>())),
        }
        run.clear();
    };
    for c in text.chars() {
        if is_cjk(c) {
            flush_word(&mut word, &mut out);
            run.push(c);
        } else if c.is_alphanumeric() {
            flush_run(&mut run, &mut out);
            word.extend(c.to_lowercase());
        } else {
            flush_word(&mut word, &mut out);
            flush_run(&mut run, &mut out);
        }
    }
    flush_word(&mut word, &mut out);
    flush_run(&mut run, &mut out);
    out
}

/// A sparse, unit-length TF-IDF vector: (term id, weight), sorted by term id.
type Vector = Vec<(u32, f64)>;

/// The published cases, ready to be compared with.
#[derive(Debug, Default)]
pub struct Index {
    profiles: Vec<Profile>,
    vectors: Vec<Vector>,
    vocabulary: HashMap<String, u32>,
    /// term id → term.
    names: Vec<String>,
    idf: Vec<f64>,
    /// term id → (doc, weight) of the documents that hold it.
    postings: Vec<Vec<(u32, f64)>>,
}

impl Index {
    pub fn new(profiles: Vec<Profile>) -> Index {
        let mut vocabulary: HashMap<String, u32> = HashMap::new();
        let mut names: Vec<String> = Vec::new();
        let mut counts: Vec<HashMap<u32, u32>> = Vec::with_capacity(profiles.len());
        let mut df: Vec<u32> = Vec::new();
        for p in &profiles {
            let mut tf: HashMap<u32, u32> = HashMap::new();
            for t in terms(&p.text) {
                let id = match vocabulary.get(&t) {
                    Some(id) => *id,
                    None => {
                        let id = names.len() as u32;
                        vocabulary.insert(t.clone(), id);
                        names.push(t);
                        df.push(0);
                        id
                    }
                };
                *tf.entry(id).or_insert(0) += 1;
            }
            for id in tf.keys() {
                df[*id as usize] += 1;
            }
            counts.push(tf);
        }
        let n = profiles.len().max(1) as f64;
        let idf: Vec<f64> = df.iter().map(|d| (n / f64::from(*d)).ln() + 1.0).collect();
        let vectors: Vec<Vector> = counts.iter().map(|tf| weigh(tf, &idf)).collect();
        let mut postings: Vec<Vec<(u32, f64)>> = vec![Vec::new(); idf.len()];
        for (doc, v) in vectors.iter().enumerate() {
            for (id, w) in v {
                postings[*id as usize].push((doc as u32, *w));
            }
        }
        Index {
            profiles,
            vectors,
            vocabulary,
            names,
            idf,
            postings,
        }
    }

    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    pub fn profile(&self, doc: usize) -> &Profile {
        &self.profiles[doc]
    }

    fn vectorize(&self, text: &str) -> Vector {
        let mut tf: HashMap<u32, u32> = HashMap::new();
        for t in terms(text) {
            if let Some(id) = self.vocabulary.get(&t) {
                *tf.entry(*id).or_insert(0) += 1;
            }
        }
        weigh(&tf, &self.idf)
    }

    /// Text cosine of the query against every document (zero where no term is shared).
    fn text_scores(&self, query: &Vector) -> Vec<f64> {
        let mut scores = vec![0.0; self.profiles.len()];
        for (id, w) in query {
            for (doc, dw) in &self.postings[*id as usize] {
                scores[*doc as usize] += w * dw;
            }
        }
        scores
    }

    /// The `n` best matches for a profile, with their reasons; `skip` leaves out documents
    /// (the case itself).
    pub fn similar(
        &self,
        query: &Profile,
        weights: Weights,
        n: usize,
        skip: impl Fn(usize) -> bool,
    ) -> Vec<Match> {
        let qv = self.vectorize(&query.text);
        self.rank(query, &qv, weights, n, skip)
            .into_iter()
            .map(|(doc, parts)| Match {
                doc,
                parts,
                reasons: self.reasons(query, &qv, doc),
            })
            .collect()
    }

    fn rank(
        &self,
        query: &Profile,
        qv: &Vector,
        weights: Weights,
        n: usize,
        skip: impl Fn(usize) -> bool,
    ) -> Vec<(usize, Parts)> {
        let text = self.text_scores(qv);
        let mut scored: Vec<(usize, Parts)> = (0..self.profiles.len())
            .filter(|d| !skip(*d))
            .map(|d| (d, parts(query, &self.profiles[d], text[d], weights)))
            .collect();
        let n = n.min(scored.len());
        if n == 0 {
            return Vec::new();
        }
        let by_score = |a: &(usize, Parts), b: &(usize, Parts)| {
            b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0))
        };
        scored.select_nth_unstable_by(n - 1, by_score);
        scored.truncate(n);
        scored.sort_by(by_score);
        scored
    }

    fn reasons(&self, query: &Profile, qv: &Vector, doc: usize) -> Vec<Reason> {
        let other = &self.profiles[doc];
        let mut out = Vec::new();
        let theirs: BTreeSet<Mechanism> = other.mechanisms.iter().map(|(m, _)| *m).collect();
        if let Some((m, _)) = query
            .mechanisms
            .iter()
            .filter(|(m, _)| theirs.contains(m))
            .max_by(|a, b| a.1.total_cmp(&b.1))
        {
            out.push(Reason::Mechanism { mechanism: *m });
        }
        let shared: Vec<RootCause> = query
            .root_causes
            .iter()
            .filter(|c| other.root_causes.contains(c))
            .copied()
            .collect();
        if !shared.is_empty() {
            out.push(Reason::RootCauses {
                root_causes: shared,
            });
        }
        for p in &PARAMETERS {
            if let (Some(a), Some(b)) = ((p.get)(query), (p.get)(other))
                && closeness(p, a, b) >= (-0.5f64).exp()
            {
                out.push(Reason::Parameter {
                    parameter: p.name.to_owned(),
                    this: a,
                    that: b,
                });
            }
        }
        for (attribute, a, b) in [
            ("grade", &query.grade, &other.grade),
            (
                "equipment_type",
                &query.equipment_type,
                &other.equipment_type,
            ),
            ("industry", &query.industry, &other.industry),
        ] {
            if let (Some(a), Some(b)) = (a, b)
                && a == b
            {
                out.push(Reason::Same {
                    attribute: attribute.to_owned(),
                    value: a.clone(),
                });
            }
        }
        // The shared terms that carry most of the text score.
        let dv = &self.vectors[doc];
        let mut shared: Vec<(f64, u32)> = qv
            .iter()
            .filter_map(|(id, w)| {
                dv.binary_search_by_key(id, |(i, _)| *i)
                    .ok()
                    .map(|k| (w * dv[k].1, *id))
            })
            .collect();
        shared.sort_by(|a, b| b.0.total_cmp(&a.0));
        if !shared.is_empty() {
            out.push(Reason::Words {
                words: shared
                    .iter()
                    .take(5)
                    .map(|(_, id)| self.names[*id as usize].clone())
                    .collect(),
            });
        }
        out
    }
}

fn weigh(tf: &HashMap<u32, u32>, idf: &[f64]) -> Vector {
    let mut v: Vector = tf
        .iter()
        .map(|(id, c)| (*id, (1.0 + f64::from(*c).ln()) * idf[*id as usize]))
        .collect();
    let norm = v.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
    if norm > 0.0 {
        for (_, w) in &mut v {
            *w /= norm;
        }
    }
    v.sort_by_key(|(id, _)| *id);
    v
}

fn closeness(p: &Parameter, a: f64, b: f64) -> f64 {
    let (a, b) = if p.log {
        ((1.0 + a.max(0.0)).log10(), (1.0 + b.max(0.0)).log10())
    } else {
        (a, b)
    };
    let d = (a - b) / p.scale;
    (-0.5 * d * d).exp()
}

/// Similarity of the operating conditions: the mean closeness of the parameters both
/// profiles state, and agreement of grade and equipment type (1 or 0) and industry (the
/// share of the longer code the two codes have in common). Nothing stated in common: 0.
fn parameter_similarity(q: &Profile, d: &Profile) -> f64 {
    let mut sum = 0.0;
    let mut n = 0.0;
    for p in &PARAMETERS {
        if let (Some(a), Some(b)) = ((p.get)(q), (p.get)(d)) {
            sum += closeness(p, a, b);
            n += 1.0;
        }
    }
    for (a, b) in [(&q.grade, &d.grade), (&q.equipment_type, &d.equipment_type)] {
        if let (Some(a), Some(b)) = (a, b) {
            sum += if a == b { 1.0 } else { 0.0 };
            n += 1.0;
        }
    }
    if let (Some(a), Some(b)) = (&q.industry, &d.industry) {
        let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
        let longer = a.chars().count().max(b.chars().count()).max(1);
        sum += common as f64 / longer as f64;
        n += 1.0;
    }
    if n == 0.0 { 0.0 } else { sum / n }
}

fn mechanism_similarity(q: &Profile, d: &Profile) -> f64 {
    q.mechanisms
        .iter()
        .filter_map(|(m, w)| {
            d.mechanisms
                .iter()
                .find(|(x, _)| x == m)
                .map(|(_, v)| w * v)
        })
        .fold(0.0, f64::max)
}

fn cause_similarity(q: &Profile, d: &Profile) -> f64 {
    let a: BTreeSet<_> = q.root_causes.iter().collect();
    let b: BTreeSet<_> = d.root_causes.iter().collect();
    let union = a.union(&b).count();
    if union == 0 {
        0.0
    } else {
        a.intersection(&b).count() as f64 / union as f64
    }
}

fn parts(q: &Profile, d: &Profile, text: f64, w: Weights) -> Parts {
    let text = text.clamp(0.0, 1.0);
    let parameters = if w.parameters > 0.0 {
        parameter_similarity(q, d)
    } else {
        0.0
    };
    let mechanism = mechanism_similarity(q, d);
    let root_causes = cause_similarity(q, d);
    Parts {
        text,
        parameters,
        mechanism,
        root_causes,
        score: w.text * text
            + w.parameters * parameters
            + w.mechanism * mechanism
            + w.root_causes * root_causes,
    }
}

/// Precision@5 and recall@10 of a recommender over labelled cases.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    pub precision_at_5: f64,
    pub recall_at_10: f64,
    /// How many query cases were measured.
    pub queries: usize,
}

/// The four signals of every document for one query (the query itself, if it is in the
/// index, set apart so it never ranks).
fn signals(index: &Index, q: usize) -> Vec<Option<[f64; 4]>> {
    let query = index.profile(q);
    let text = index.text_scores(&index.vectors[q]);
    (0..index.len())
        .map(|d| {
            (d != q).then(|| {
                let other = &index.profiles[d];
                [
                    text[d].clamp(0.0, 1.0),
                    parameter_similarity(query, other),
                    mechanism_similarity(query, other),
                    cause_similarity(query, other),
                ]
            })
        })
        .collect()
}

/// How many of the top `k` (by the weighted signals) belong to `family`; `hits[0]` for the
/// top 5 and `hits[1]` for the top 10.
fn hits(signals: &[Option<[f64; 4]>], w: Weights, family: &[usize], of: usize) -> [usize; 2] {
    let mut scored: Vec<(f64, usize)> = signals
        .iter()
        .enumerate()
        .filter_map(|(d, s)| {
            s.map(|s| {
                (
                    w.text * s[0] + w.parameters * s[1] + w.mechanism * s[2] + w.root_causes * s[3],
                    d,
                )
            })
        })
        .collect();
    let k = 10.min(scored.len());
    if k == 0 {
        return [0, 0];
    }
    let order = |a: &(f64, usize), b: &(f64, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    scored.select_nth_unstable_by(k - 1, order);
    scored.truncate(k);
    scored.sort_by(order);
    let count = |n: usize| {
        scored
            .iter()
            .take(n)
            .filter(|(_, d)| family[*d] == of)
            .count()
    };
    [count(5), count(10)]
}

/// Measures the recommender on `queries` (positions in the index) with each of `grid`'s
/// weights: for a query, the other members of its family (`family[doc]`) are the relevant
/// cases; the case itself is left out of its own results. Queries whose family has no
/// other member are not counted.
pub fn evaluate_grid(
    index: &Index,
    family: &[usize],
    queries: &[usize],
    grid: &[Weights],
) -> Vec<Metrics> {
    let mut sizes: HashMap<usize, usize> = HashMap::new();
    for f in family {
        *sizes.entry(*f).or_insert(0) += 1;
    }
    let mut sums = vec![(0.0, 0.0); grid.len()];
    let mut n = 0usize;
    for &q in queries {
        let relevant = sizes[&family[q]] - 1;
        if relevant == 0 {
            continue;
        }
        let signals = signals(index, q);
        for (w, sum) in grid.iter().zip(&mut sums) {
            let [at5, at10] = hits(&signals, *w, family, family[q]);
            sum.0 += at5 as f64 / 5.0;
            sum.1 += at10 as f64 / relevant as f64;
        }
        n += 1;
    }
    let n_f = n.max(1) as f64;
    sums.into_iter()
        .map(|(p, r)| Metrics {
            precision_at_5: p / n_f,
            recall_at_10: r / n_f,
            queries: n,
        })
        .collect()
}

/// The best any ranking could score on `queries`: every other member of the family first.
/// A family of three has two others, so precision@5 cannot exceed 0.4 for its cases.
pub fn ceiling(family: &[usize], queries: &[usize]) -> Metrics {
    let mut sizes: HashMap<usize, usize> = HashMap::new();
    for f in family {
        *sizes.entry(*f).or_insert(0) += 1;
    }
    let (mut p, mut r, mut n) = (0.0, 0.0, 0usize);
    for &q in queries {
        let relevant = sizes[&family[q]] - 1;
        if relevant == 0 {
            continue;
        }
        p += relevant.min(5) as f64 / 5.0;
        r += relevant.min(10) as f64 / relevant as f64;
        n += 1;
    }
    let n_f = n.max(1) as f64;
    Metrics {
        precision_at_5: p / n_f,
        recall_at_10: r / n_f,
        queries: n,
    }
}

/// [`evaluate_grid`] for one set of weights.
pub fn evaluate(index: &Index, family: &[usize], queries: &[usize], weights: Weights) -> Metrics {
    evaluate_grid(index, family, queries, &[weights])[0]
}

/// The weights, among a grid of weights that add up to 1, with the best precision@5 plus
/// recall@10 on the training queries. Ties keep the earlier grid point.
pub fn tune(index: &Index, family: &[usize], training: &[usize]) -> (Weights, Metrics) {
    let mut grid = Vec::new();
    for text in [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] {
        for mechanism in [0.0, 0.05, 0.1, 0.2] {
            for root_causes in [0.0, 0.05, 0.1] {
                let parameters: f64 = 1.0 - text - mechanism - root_causes;
                if parameters >= -1e-9 {
                    grid.push(Weights {
                        text,
                        parameters: (parameters.max(0.0) * 100.0).round() / 100.0,
                        mechanism,
                        root_causes,
                    });
                }
            }
        }
    }
    let metrics = evaluate_grid(index, family, training, &grid);
    let mut best = 0;
    for (i, m) in metrics.iter().enumerate() {
        let b = &metrics[best];
        if m.precision_at_5 + m.recall_at_10 > b.precision_at_5 + b.recall_at_10 {
            best = i;
        }
    }
    (grid[best], metrics[best])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(m: Mechanism, t: f64, cl: f64, text: &str) -> Profile {
        Profile {
            mechanisms: vec![(m, 1.0)],
            root_causes: vec![RootCause::CleaningMaintenance],
            grade: Some("Gr2".into()),
            temperature_c: Some(t),
            chloride_mg_l: Some(cl),
            text: text.into(),
            ..Profile::default()
        }
    }

    #[test]
    fn chinese_is_read_as_bigrams_and_latin_as_words() {
        assert_eq!(
            terms("垫片下缝隙腐蚀, Crevice-corrosion at 85 °C"),
            [
                "垫片",
                "片下",
                "下缝",
                "缝隙",
                "隙腐",
                "腐蚀",
                "crevice",
                "corrosion",
                "at",
                "85"
            ]
        );
        assert_eq!(terms("钛 a"), ["钛"]);
    }

    #[test]
    fn the_closest_conditions_and_the_shared_story_rank_first_and_say_why() {
        let index = Index::new(vec![
            case(
                Mechanism::CreviceHotChloride,
                90.0,
                20_000.0,
                "垫片下缝隙腐蚀 含氟清洗剂",
            ),
            case(
                Mechanism::CreviceHotChloride,
                92.0,
                25_000.0,
                "垫片下缝隙腐蚀 含氟清洗剂 穿孔",
            ),
            case(Mechanism::CreviceHotChloride, 40.0, 200.0, "垫片下缝隙腐蚀"),
            case(Mechanism::Hydriding, 91.0, 20_000.0, "阴极保护过度 氢脆"),
        ]);
        let found = index.similar(index.profile(0), Weights::HYBRID, 3, |d| d == 0);
        assert_eq!(found.iter().map(|m| m.doc).collect::<Vec<_>>(), [1, 2, 3]);
        let top = &found[0];
        assert!(top.reasons.contains(&Reason::Mechanism {
            mechanism: Mechanism::CreviceHotChloride
        }));
        assert!(top.reasons.iter().any(|r| matches!(
            r,
            Reason::Parameter { parameter, this, that } if parameter == "temperature_c" && *this == 90.0 && *that == 92.0
        )));
        assert!(
            top.reasons
                .iter()
                .any(|r| matches!(r, Reason::Words { words } if words.iter().any(|w| w == "含氟")))
        );
        // The parts add up to the score with the weights.
        let p = top.parts;
        let w = Weights::HYBRID;
        let sum = w.text * p.text
            + w.parameters * p.parameters
            + w.mechanism * p.mechanism
            + w.root_causes * p.root_causes;
        assert!((sum - p.score).abs() < 1e-12);
        // A cold, dilute case is not close in temperature: no such reason.
        assert!(!found[1].reasons.iter().any(
            |r| matches!(r, Reason::Parameter { parameter, .. } if parameter == "temperature_c")
        ));
    }

    #[test]
    fn an_item_without_text_finds_cases_by_its_rated_mechanisms_and_conditions() {
        let index = Index::new(vec![
            case(Mechanism::Hydriding, 60.0, 500.0, "氢脆"),
            case(Mechanism::CreviceHotChloride, 95.0, 30_000.0, "缝隙腐蚀"),
        ]);
        let item = Profile {
            mechanisms: vec![
                (Mechanism::CreviceHotChloride, 0.75),
                (Mechanism::Hydriding, 0.25),
            ],
            grade: Some("Gr2".into()),
            temperature_c: Some(93.0),
            chloride_mg_l: Some(28_000.0),
            ..Profile::default()
        };
        let found = index.similar(&item, Weights::ITEM, 2, |_| false);
        assert_eq!(found[0].doc, 1);
        assert!(found[0].parts.score > found[1].parts.score);
    }

    #[test]
    fn evaluation_counts_family_members_found_and_tuning_keeps_to_training_queries() {
        // Two families of three over the same mechanism: told apart by conditions and words.
        let mut profiles = Vec::new();
        let mut family = Vec::new();
        for (f, (t, word)) in [(60.0, "含氟清洗剂"), (120.0, "垫片槽粗糙")]
            .into_iter()
            .enumerate()
        {
            for k in 0..3 {
                profiles.push(case(
                    Mechanism::CreviceHotChloride,
                    t + f64::from(k),
                    10_000.0,
                    &format!("缝隙腐蚀 {word}"),
                ));
                family.push(f);
            }
        }
        let index = Index::new(profiles);
        let all: Vec<usize> = (0..6).collect();
        let m = evaluate(&index, &family, &all, Weights::HYBRID);
        assert_eq!(m.queries, 6);
        // Both other members of the family come first: 2 of the top 5, all of them by 10.
        assert!((m.precision_at_5 - 0.4).abs() < 1e-12, "{m:?}");
        assert!((m.recall_at_10 - 1.0).abs() < 1e-12, "{m:?}");
        let (_, trained) = tune(&index, &family, &[0, 3]);
        assert_eq!(trained.queries, 2);
        // Nothing can do better than two of five here: the families have three members.
        assert_eq!(ceiling(&family, &all), m);
    }
}
