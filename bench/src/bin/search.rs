//! Benchmark: the search path the API takes, next to SQLite FTS5 and PostgreSQL full-text
//! search answering the same queries over the same corpus in the same run.
//!
//! The corpus is `--docs` (default 10^5) synthetic equipment records in Chinese and
//! English, shaped as the equipment module's search source shapes them (tag and name in the
//! title; medium, location, owner, park, manufacturer and conditions in the body; type,
//! grade and facts as vocabulary concepts; the seven equipment facets), spread over the four
//! data levels and a few thousand organisations in parks.
//!
//! - **Ticorr**: `ticorr_platform::search::Search` over an in-memory index filled by
//!   `Search::rebuild` from a source serving the corpus, asked as `GET /api/v1/search` asks
//!   it: `catch_up` against a migrated scratch database, the caller's access decided by the
//!   policies, the query run with all seven facets counted, the page's 20 hits passed
//!   through the gate (which writes the audit rows the policies require).
//! - **SQLite FTS5** (the bundled SQLite) and **PostgreSQL** (`to_tsvector('simple', …)`,
//!   a GIN index): the same documents, segmented and stemmed beforehand by Ticorr's own
//!   analyzer (FTS5 and PostgreSQL do not segment Chinese), with the concept words the index
//!   adds as keywords; each query answered as the API needs it — the first 20 matches the
//!   caller may see ranked with a snippet (bm25 / `ts_rank`, `snippet` / `ts_headline`),
//!   the total and the counts of the seven facets over the visible matches — with the
//!   caller's access as the same policy decision, written as SQL.
//!
//! ```text
//! cargo run --release -p ticorr-bench --bin search                       # 10^5 documents
//! cargo run --release -p ticorr-bench --bin search -- --docs 1000000
//! cargo run --release -p ticorr-bench --bin search -- --docs 5000 --rounds 2 --no-record
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use clap::Parser;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, QueryBuilder, Row as _};
use ticorr_bench::report::Report;
use ticorr_bench::timing::{Sampler, Samples, fmt_duration, fmt_int, fmt_rate};
use ticorr_db::{Db, DbConfig};
use ticorr_kernel::{Capacity, Clock, OrgId, OrgKind, PersonId, Role, SessionId};
use ticorr_platform::gate::{Caller, Gate};
use ticorr_platform::policy::{Actor, Authz, Principal, Via};
use ticorr_platform::search::{
    Access, BoxFuture, Doc, Only, Request, Search, SearchIndex, Source, Vocabulary,
};
use ticorr_search::analyzer::{Cut, analyzer, terms};

/// Hits per page, as the API's default.
const PAGE: usize = 20;

/// The queries: each in Chinese and in English, as users type them.
const QUERIES: &[&str] = &[
    "钛换热器 缝隙腐蚀",
    "titanium heat exchanger crevice corrosion",
    "氢脆",
    "hydrogen embrittlement",
    "板式换热器 海水",
    "plate heat exchanger seawater",
    "TA2 冷凝器",
    "Grade 2 condenser",
    "电加热器 电镀",
    "electric heater plating",
    "氟化物腐蚀",
    "fluoride attack",
    "淡盐水 蒸发器",
    "brine evaporator",
    "湿氯气",
    "wet chlorine",
];

#[derive(Parser, Debug)]
#[command(
    about = "Search latency and throughput over 10^5 documents, against SQLite FTS5 and PostgreSQL full-text search in the same run"
)]
struct Args {
    /// Documents in the corpus.
    #[arg(long, default_value_t = 100_000)]
    docs: usize,
    /// Times every (query, caller) pair is asked of each engine.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Seed of the corpus generator.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// The PostgreSQL server to compare with (a fresh schema, dropped afterwards).
    #[arg(
        long,
        value_name = "URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres: String,
    /// Leave PostgreSQL out (when no server is at hand).
    #[arg(long)]
    no_postgres: bool,
    /// Print the results without appending them to bench/RESULTS.md.
    #[arg(long)]
    no_record: bool,
}

// --- The corpus -----------------------------------------------------------------------

/// (concept, Chinese name, English name) of the equipment types.
const TYPES: &[(&str, &str, &str)] = &[
    (
        "equipment_type.shell_and_tube_heat_exchanger",
        "管壳式换热器",
        "shell and tube heat exchanger",
    ),
    (
        "equipment_type.plate_heat_exchanger",
        "板式换热器",
        "plate heat exchanger",
    ),
    ("equipment_type.condenser", "冷凝器", "condenser"),
    ("equipment_type.evaporator", "蒸发器", "evaporator"),
    (
        "equipment_type.immersion_heater",
        "浸入式加热器",
        "immersion heater",
    ),
    (
        "equipment_type.electric_heater",
        "电加热器",
        "electric heater",
    ),
    ("equipment_type.coil", "盘管", "heating coil"),
];

/// (concept, facet value) of the grades, the common ones repeated.
const GRADES: &[(&str, &str)] = &[
    ("grade.gr2", "Gr2"),
    ("grade.gr2", "Gr2"),
    ("grade.gr2", "Gr2"),
    ("grade.gr1", "Gr1"),
    ("grade.gr7", "Gr7"),
    ("grade.gr12", "Gr12"),
    ("grade.gr16", "Gr16"),
];

/// (Chinese, English) process media.
const MEDIA: &[(&str, &str)] = &[
    ("淡盐水", "dilute brine"),
    ("饱和盐水", "saturated brine"),
    ("湿氯气", "wet chlorine"),
    ("海水", "seawater"),
    ("电镀液", "plating bath"),
    ("稀盐酸", "dilute hydrochloric acid"),
    ("含氟废水", "fluoride wastewater"),
    ("蒸汽冷凝水", "steam condensate"),
    ("循环冷却水", "cooling water"),
    ("稀硫酸", "dilute sulphuric acid"),
];

/// (fact concept, mechanism facet value): facts a record may carry.
const FACTS: &[(&str, &str)] = &[
    ("equipment.crevice_present", "crevice_hot_chloride"),
    ("equipment.deposits_present", "crevice_hot_chloride"),
    ("equipment.galvanic_partner", "galvanic_coupled_metal"),
    ("equipment.fluoride", "fluoride_attack"),
    ("equipment.cathodic_protection", "hydriding"),
];

const PROVINCES: &[&str] = &[
    "江苏省",
    "浙江省",
    "山东省",
    "广东省",
    "河北省",
    "福建省",
    "新疆维吾尔自治区",
    "内蒙古自治区",
    "天津市",
    "上海市",
];

/// (industry facet value, Chinese owner-name word, English owner-name word).
const INDUSTRIES: &[(&str, &str, &str)] = &[
    ("C2612", "氯碱化工", "Chlor-Alkali"),
    ("C3360", "电镀", "Electroplating"),
    ("D4411", "热电", "Power"),
    ("C2710", "制药", "Pharmaceutical"),
    ("E4620", "海水淡化", "Desalination"),
];

const MANUFACTURERS: &[&str] = &[
    "宝鸡钛业装备有限公司",
    "Northern Titanium Equipment Co.",
    "江苏钛换热设备厂",
    "Eastern Heat Transfer Ltd.",
];

#[derive(Debug, Clone)]
struct Org {
    id: String,
    name: String,
    chinese: bool,
    province: usize,
    industry: usize,
    park: Option<usize>,
}

/// Parks and their enterprises; a third of the enterprises are settled in a park.
#[derive(Debug)]
struct Registry {
    parks: Vec<(String, String)>,
    orgs: Vec<Org>,
}

fn uuid_of(kind: u8, n: usize) -> String {
    format!("00000000-0000-4000-8{kind:03x}-{n:012x}")
}

fn registry(docs: usize, sampler: &mut Sampler) -> Registry {
    let n_parks = (docs / 1000).max(3);
    let parks = (0..n_parks)
        .map(|i| {
            let name = format!(
                "{}第{}化工园区",
                PROVINCES[i % PROVINCES.len()].trim_end_matches(['省', '市']),
                i + 1
            );
            (uuid_of(1, i), name)
        })
        .collect::<Vec<_>>();
    let orgs = (0..(docs / 40).max(10))
        .map(|i| {
            let chinese = sampler.below(10) < 6;
            let industry = sampler.below(INDUSTRIES.len() as u64) as usize;
            let (_, zh, en) = INDUSTRIES[industry];
            Org {
                id: uuid_of(2, i),
                name: if chinese {
                    format!(
                        "{}{zh}有限公司第{}分公司",
                        PROVINCES[i % PROVINCES.len()],
                        i + 1
                    )
                } else {
                    format!("{en} Works No. {}", i + 1)
                },
                chinese,
                province: i % PROVINCES.len(),
                industry,
                park: (sampler.below(3) == 0).then(|| sampler.below(n_parks as u64) as usize),
            }
        })
        .collect();
    Registry { parks, orgs }
}

fn pick<'a, T>(sampler: &mut Sampler, items: &'a [T]) -> &'a T {
    &items[sampler.below(items.len() as u64) as usize]
}

/// One equipment record of `org`, as the equipment source would describe it.
fn document(i: usize, org: &Org, parks: &[(String, String)], sampler: &mut Sampler) -> Doc {
    let (type_concept, type_zh, type_en) = *pick(sampler, TYPES);
    let (grade_concept, grade) = *pick(sampler, GRADES);
    let (medium_zh, medium_en) = *pick(sampler, MEDIA);
    let temperature = 20 + sampler.below(110);
    let chloride = [0, 50, 200, 1_000, 20_000, 180_000][sampler.below(6) as usize];
    let ph = 1 + sampler.below(12);
    let tag = format!("E-{}", 100 + i % 9_900);
    let mut concepts = vec![
        "material.titanium".to_owned(),
        type_concept.to_owned(),
        grade_concept.to_owned(),
    ];
    let mut facets = vec![
        (
            "equipment_type".to_owned(),
            type_concept
                .trim_start_matches("equipment_type.")
                .to_owned(),
        ),
        ("grade".to_owned(), grade.to_owned()),
        ("region".to_owned(), PROVINCES[org.province].to_owned()),
        ("industry".to_owned(), INDUSTRIES[org.industry].0.to_owned()),
        ("year".to_owned(), (1995 + sampler.below(31)).to_string()),
    ];
    for (fact, mechanism) in FACTS {
        if sampler.below(4) == 0 {
            concepts.push((*fact).to_owned());
            if !facets
                .iter()
                .any(|(d, v)| d == "mechanism" && v == mechanism)
            {
                facets.push(("mechanism".to_owned(), (*mechanism).to_owned()));
            }
        }
    }
    let park = org.park.map(|p| &parks[p]);
    let level = match (sampler.below(20), park) {
        (0..=9, _) => "private",
        (10..=13, Some(_)) => "park",
        (10..=13, None) => "private",
        (14..=18, _) => "industry",
        _ => "macro",
    };
    let manufacturer = *pick(sampler, MANUFACTURERS);
    let unit = 1 + sampler.below(12);
    let (name, title_name, medium, location) = if org.chinese {
        let name = format!("{medium_zh}{type_zh}");
        (
            name.clone(),
            name,
            format!("介质：{medium_zh}"),
            format!("{unit}号车间"),
        )
    } else {
        let name = format!("{medium_en} {type_en}");
        (
            name.clone(),
            capitalised(&name),
            format!("medium: {medium_en}"),
            format!("Unit {unit}"),
        )
    };
    let title = format!("{tag} {title_name}");
    let body = [
        name,
        medium,
        location,
        org.name.clone(),
        park.map(|p| p.1.clone()).unwrap_or_default(),
        manufacturer.to_owned(),
        format!("{temperature} °C · Cl⁻ {chloride} mg/L · pH {ph}"),
    ]
    .join(" · ");
    facets.push(("level".to_owned(), level.to_owned()));
    Doc {
        doc_type: "equipment".to_owned(),
        id: format!("{i:08}"),
        title,
        body,
        keywords: vec![tag, grade.to_owned()],
        concepts,
        level: level.to_owned(),
        owner: Some(org.id.clone()),
        parks: if level == "park" {
            park.map(|p| vec![p.0.clone()]).unwrap_or_default()
        } else {
            Vec::new()
        },
        facets,
        url: format!("/equipment/{i:08}"),
        boost: 1.0,
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn corpus(n: usize, seed: u64) -> (Registry, Vec<Doc>) {
    let mut sampler = Sampler::new(seed);
    let registry = registry(n, &mut sampler);
    let docs = (0..n)
        .map(|i| {
            let org = pick(&mut sampler, &registry.orgs).clone();
            document(i, &org, &registry.parks, &mut sampler)
        })
        .collect();
    (registry, docs)
}

/// The corpus as a registered search source, in id order.
struct CorpusSource {
    docs: Arc<Vec<Doc>>,
}

impl Source for CorpusSource {
    fn doc_type(&self) -> &'static str {
        "equipment"
    }

    fn facets(&self) -> &'static [&'static str] {
        ticorr_equipment::search::FACETS
    }

    fn load<'a>(
        &'a self,
        _db: &'a Db,
        ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Doc>, sqlx::Error>> {
        Box::pin(async move {
            Ok(ids
                .iter()
                .filter_map(|id| id.parse::<usize>().ok())
                .filter_map(|i| self.docs.get(i).cloned())
                .collect())
        })
    }

    fn page<'a>(
        &'a self,
        _db: &'a Db,
        after: Option<String>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Doc>, sqlx::Error>> {
        Box::pin(async move {
            let from = after
                .and_then(|a| a.parse::<usize>().ok())
                .map_or(0, |a| a + 1);
            Ok(self.docs.iter().skip(from).take(limit).cloned().collect())
        })
    }

    fn count<'a>(&'a self, _db: &'a Db) -> BoxFuture<'a, Result<u64, sqlx::Error>> {
        Box::pin(async move { Ok(self.docs.len() as u64) })
    }
}

// --- Callers --------------------------------------------------------------------------

fn caller(org: &Org, parks: &[(String, String)], kind: OrgKind) -> Caller {
    let park_ids = org
        .park
        .map(|p| vec![OrgId::from_uuid(parks[p].0.parse().expect("a uuid"))])
        .unwrap_or_default();
    let org_id = match kind {
        OrgKind::Park => park_ids.first().copied().unwrap_or_else(OrgId::new),
        _ => OrgId::from_uuid(org.id.parse().expect("a uuid")),
    };
    Caller {
        principal: Principal::Person(Box::new(Actor {
            person_id: PersonId::new(),
            display_name: "Benchmark".to_owned(),
            org_id,
            org_kind: kind,
            org_name: org.name.clone(),
            org_verified: true,
            org_parks: if kind == OrgKind::Enterprise {
                park_ids
            } else {
                Vec::new()
            },
            role: Role::Member,
            capacities: Vec::<Capacity>::new(),
            active: true,
            via: Via::Session(SessionId::new()),
        })),
        ip: Some("127.0.0.1".to_owned()),
    }
}

/// The caller's access as a SQL condition on `d.level`, `d.owner`, `d.park`. The values are
/// levels and organisation ids from the policies' decision, quoted all the same.
fn access_sql(access: &Access) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let scopes: Vec<String> = access
        .any_of
        .iter()
        .map(|s| {
            let level = format!("d.level = {}", quote(&s.level));
            match &s.only {
                Only::All => level,
                Only::Owner(o) => format!("({level} AND d.owner = {})", quote(o)),
                Only::Parks(p) => format!(
                    "({level} AND d.park IN ({}))",
                    p.iter().map(|p| quote(p)).collect::<Vec<_>>().join(", ")
                ),
            }
        })
        .collect();
    if scopes.is_empty() {
        "FALSE".to_owned()
    } else {
        format!("({})", scopes.join(" OR "))
    }
}

// --- The engines ----------------------------------------------------------------------

/// A document as the SQL engines store it: the texts already segmented and stemmed.
struct Row {
    rowid: i64,
    id: String,
    title: String,
    body: String,
    keywords: String,
    level: String,
    owner: String,
    park: Option<String>,
    url: String,
}

fn segmented(vocabulary: &Vocabulary, docs: &[Doc]) -> Vec<Row> {
    let mut fine = analyzer(Cut::Fine, vocabulary.stop_words());
    docs.iter()
        .enumerate()
        .map(|(i, d)| {
            let mut keywords = d.keywords.clone();
            for name in &d.concepts {
                for concept in vocabulary.expand(name) {
                    keywords.extend(concept.terms.iter().cloned());
                }
            }
            let mut seg = |t: &str| terms(&mut fine, t).join(" ");
            Row {
                rowid: i as i64 + 1,
                id: d.id.clone(),
                title: seg(&d.title),
                body: seg(&d.body),
                keywords: seg(&keywords.join(" ; ")),
                level: d.level.clone(),
                owner: d.owner.clone().unwrap_or_default(),
                park: d.parks.first().cloned(),
                url: d.url.clone(),
            }
        })
        .collect()
}

/// What one answer held, to check the engines did comparable work.
#[derive(Debug, Default, Clone, Copy)]
struct Answer {
    total: u64,
    hits: usize,
}

struct Engines {
    search: Search,
    /// A second index over the same corpus, searched directly.
    index: Arc<SearchIndex>,
    db: Db,
    gate: Gate,
    /// The SQL engines, each with the statements that answer a case.
    sql: BTreeMap<Engine, (AnyPool, Dialect)>,
    dims: Vec<String>,
}

/// How an SQL engine answers a case: the page, then the total and the facet counts, each
/// with `{access}` standing for the caller's access condition and `$1` for the query.
struct Dialect {
    page: &'static str,
    counts: &'static str,
}

const FTS5: Dialect = Dialect {
    page: "SELECT d.id, d.title, d.url, \
             snippet(docs_fts, 1, '<mark>', '</mark>', '…', 16) AS snippet \
           FROM docs_fts JOIN docs d ON d.rowid = docs_fts.rowid \
           WHERE docs_fts MATCH $1 AND {access} \
           ORDER BY bm25(docs_fts, 3.0, 1.0, 2.0) LIMIT 20",
    counts: "WITH m AS MATERIALIZED (SELECT d.rowid AS r FROM docs_fts \
               JOIN docs d ON d.rowid = docs_fts.rowid \
               WHERE docs_fts MATCH $1 AND {access}) \
             SELECT '' AS dim, '' AS value, COUNT(*) AS n FROM m \
             UNION ALL \
             SELECT f.dim, f.value, COUNT(*) FROM m JOIN facets f ON f.doc = m.r \
             GROUP BY f.dim, f.value",
};

const POSTGRES: Dialect = Dialect {
    page: "SELECT d.id, d.title, d.url, \
             ts_headline('simple', d.body, q, 'StartSel=<mark>, StopSel=</mark>, MaxWords=16') AS snippet \
           FROM docs d, plainto_tsquery('simple', $1) q \
           WHERE d.tsv @@ q AND {access} \
           ORDER BY ts_rank(d.tsv, q) DESC LIMIT 20",
    counts: "WITH m AS MATERIALIZED (SELECT d.rowid AS r FROM docs d \
               WHERE d.tsv @@ plainto_tsquery('simple', $1) AND {access}) \
             SELECT '' AS dim, '' AS value, COUNT(*) AS n FROM m \
             UNION ALL \
             SELECT f.dim, f.value, COUNT(*) FROM m JOIN facets f ON f.doc = m.r \
             GROUP BY f.dim, f.value",
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Engine {
    Ticorr,
    /// The index alone: the same search without the API's catch-up, policy probes and gate.
    Index,
    Fts5,
    Postgres,
}

impl Engine {
    fn label(self) -> &'static str {
        match self {
            Engine::Ticorr => "Ticorr search",
            Engine::Index => "Ticorr index alone",
            Engine::Fts5 => "SQLite FTS5",
            Engine::Postgres => "PostgreSQL full-text",
        }
    }
}

/// One (query, caller) pair with what each engine needs to answer it.
struct Case {
    text: String,
    caller: Caller,
    /// The query as FTS5 and PostgreSQL read it: the same tokens the index searches.
    fts5_match: String,
    pg_query: String,
    /// The caller's access as the policies decide it, and the same as SQL.
    access: Access,
    access_sql: String,
}

impl Engines {
    /// The request the API makes of the index for a case: all facets, the first page.
    fn request(&self, case: &Case) -> Request {
        Request {
            text: case.text.clone(),
            types: Vec::new(),
            filters: Vec::new(),
            facets: self.dims.clone(),
            offset: 0,
            limit: PAGE,
        }
    }

    async fn ask(&self, engine: Engine, case: &Case) -> anyhow::Result<Answer> {
        if engine == Engine::Index {
            let request = self.request(case);
            let r = self.index.search(&request, &case.access)?;
            return Ok(Answer {
                total: r.total as u64,
                hits: r.hits.len(),
            });
        }
        if engine == Engine::Ticorr {
            self.search.catch_up(&self.db).await?;
            let request = self.request(case);
            let r = self
                .search
                .search(&self.db, &self.gate, &case.caller, request)
                .await?;
            return Ok(Answer {
                total: r.total as u64,
                hits: r.hits.len(),
            });
        }
        let (pool, dialect) = self.sql.get(&engine).context("engine not loaded")?;
        let query = if engine == Engine::Fts5 {
            &case.fts5_match
        } else {
            &case.pg_query
        };
        let sql = |template: &str| AssertSqlSafe(template.replace("{access}", &case.access_sql));
        let hits = sqlx::query(sql(dialect.page))
            .bind(query)
            .fetch_all(pool)
            .await?;
        let mut total = 0;
        for row in sqlx::query(sql(dialect.counts))
            .bind(query)
            .fetch_all(pool)
            .await?
        {
            if row.try_get::<String, _>(0)?.is_empty() {
                total = row.try_get::<i64, _>(2)? as u64;
            }
        }
        Ok(Answer {
            total,
            hits: hits.len(),
        })
    }
}

async fn load_sqlite(
    dir: &std::path::Path,
    rows: &[Row],
    docs: &[Doc],
) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::new()
        .filename(dir.join("fts5.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    for ddl in [
        "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, title TEXT NOT NULL, \
           url TEXT NOT NULL, level TEXT NOT NULL, owner TEXT NOT NULL, park TEXT)",
        "CREATE VIRTUAL TABLE docs_fts USING fts5(title, body, keywords, tokenize = 'unicode61')",
        "CREATE TABLE facets (doc INTEGER NOT NULL, dim TEXT NOT NULL, value TEXT NOT NULL)",
    ] {
        sqlx::query(ddl).execute(&pool).await?;
    }
    for (chunk, docs) in rows.chunks(5_000).zip(docs.chunks(5_000)) {
        let mut tx = pool.begin().await?;
        for (r, d) in chunk.iter().zip(docs) {
            sqlx::query(
                "INSERT INTO docs (rowid, id, title, url, level, owner, park) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .bind(r.rowid)
            .bind(&r.id)
            .bind(&d.title)
            .bind(&r.url)
            .bind(&r.level)
            .bind(&r.owner)
            .bind(&r.park)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO docs_fts (rowid, title, body, keywords) VALUES (?1, ?2, ?3, ?4)",
            )
            .bind(r.rowid)
            .bind(&r.title)
            .bind(&r.body)
            .bind(&r.keywords)
            .execute(&mut *tx)
            .await?;
            for (dim, value) in &d.facets {
                sqlx::query("INSERT INTO facets (doc, dim, value) VALUES (?1, ?2, ?3)")
                    .bind(r.rowid)
                    .bind(dim)
                    .bind(value)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
    }
    for ddl in [
        "CREATE INDEX facets_doc ON facets (doc)",
        "INSERT INTO docs_fts (docs_fts) VALUES ('optimize')",
        "ANALYZE",
    ] {
        sqlx::query(ddl).execute(&pool).await?;
    }
    Ok(pool)
}

async fn load_postgres(url: &str, rows: &[Row], docs: &[Doc]) -> anyhow::Result<(PgPool, String)> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .subsec_nanos();
    let schema = format!("bench_search_{}_{nanos}", std::process::id());
    let admin = PgPool::connect(url)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {url} (or pass --no-postgres)"))?;
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await?;
    admin.close().await;
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&in_schema(url, &schema))
        .await?;
    for ddl in [
        "CREATE TABLE docs (rowid BIGINT PRIMARY KEY, id TEXT NOT NULL, title TEXT NOT NULL, \
           url TEXT NOT NULL, level TEXT NOT NULL, owner TEXT NOT NULL, park TEXT, \
           seg_title TEXT NOT NULL, body TEXT NOT NULL, keywords TEXT NOT NULL, \
           tsv tsvector GENERATED ALWAYS AS ( \
             setweight(to_tsvector('simple', seg_title), 'A') || \
             setweight(to_tsvector('simple', keywords), 'B') || \
             setweight(to_tsvector('simple', body), 'C')) STORED)",
        "CREATE TABLE facets (doc BIGINT NOT NULL, dim TEXT NOT NULL, value TEXT NOT NULL)",
    ] {
        sqlx::query(ddl).execute(&pool).await?;
    }
    for (chunk, docs) in rows.chunks(2_000).zip(docs.chunks(2_000)) {
        let mut q = QueryBuilder::new(
            "INSERT INTO docs (rowid, id, title, url, level, owner, park, seg_title, body, keywords) ",
        );
        q.push_values(chunk.iter().zip(docs), |mut b, (r, d)| {
            b.push_bind(r.rowid)
                .push_bind(&r.id)
                .push_bind(&d.title)
                .push_bind(&r.url)
                .push_bind(&r.level)
                .push_bind(&r.owner)
                .push_bind(&r.park)
                .push_bind(&r.title)
                .push_bind(&r.body)
                .push_bind(&r.keywords);
        });
        q.build().execute(&pool).await?;
        let pairs: Vec<(i64, &str, &str)> = chunk
            .iter()
            .zip(docs)
            .flat_map(|(r, d)| {
                d.facets
                    .iter()
                    .map(move |(dim, value)| (r.rowid, dim.as_str(), value.as_str()))
            })
            .collect();
        let mut q = QueryBuilder::new("INSERT INTO facets (doc, dim, value) ");
        q.push_values(pairs, |mut b, (doc, dim, value)| {
            b.push_bind(doc).push_bind(dim).push_bind(value);
        });
        q.build().execute(&pool).await?;
    }
    for ddl in [
        "CREATE INDEX docs_tsv ON docs USING gin (tsv)",
        "CREATE INDEX facets_doc ON facets (doc)",
        "ANALYZE docs",
        "ANALYZE facets",
    ] {
        sqlx::query(ddl).execute(&pool).await?;
    }
    Ok((pool, schema))
}

/// `url` with `schema` as the search path of every connection.
fn in_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

async fn drop_postgres(url: &str, schema: &str) -> anyhow::Result<()> {
    let admin = PgPool::connect(url).await?;
    sqlx::query(AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(&admin)
    .await?;
    admin.close().await;
    Ok(())
}

/// The FTS5 query for a list of tokens: each a quoted string, all required.
fn fts5_match(tokens: &[String]) -> String {
    tokens
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Each (query, caller) pair answered by each engine in turn, `rounds` times, so that a
/// disturbance falls on all engines alike.
async fn latencies(
    engines: &Engines,
    which: &[Engine],
    cases: &[Case],
    rounds: usize,
) -> anyhow::Result<BTreeMap<Engine, (Samples, Vec<Answer>)>> {
    let mut times: BTreeMap<Engine, Vec<Duration>> = BTreeMap::new();
    let mut answers: BTreeMap<Engine, Vec<Answer>> = BTreeMap::new();
    for round in 0..rounds {
        for case in cases {
            for &engine in which {
                let started = Instant::now();
                let answer = engines.ask(engine, case).await?;
                times.entry(engine).or_default().push(started.elapsed());
                if round == 0 {
                    answers.entry(engine).or_default().push(answer);
                }
            }
        }
    }
    Ok(times
        .into_iter()
        .map(|(e, t)| (e, (Samples::new(t), answers.remove(&e).unwrap_or_default())))
        .collect())
}

/// Queries per second with `tasks` callers asking at once, each going through the cases.
async fn throughput(
    engines: &Arc<Engines>,
    cases: &Arc<Vec<Case>>,
    engine: Engine,
    tasks: usize,
    per_task: usize,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let (engines, cases) = (engines.clone(), cases.clone());
        handles.push(tokio::spawn(async move {
            for i in 0..per_task {
                let case = &cases[(t * 7 + i) % cases.len()];
                engines.ask(engine, case).await?;
            }
            anyhow::Ok(())
        }));
    }
    for h in handles {
        h.await??;
    }
    Ok((tasks * per_task) as f64 / started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    sqlx::any::install_default_drivers();
    ensure!(args.docs > 0, "--docs must be at least 1");
    ensure!(args.rounds > 0, "--rounds must be at least 1");
    let mut report = Report::new("search");
    let vocabulary = ticorr_platform::search::vocabulary()?.clone();

    eprintln!("generating {} documents …", fmt_int(args.docs as u64));
    let (registry, docs) = corpus(args.docs, args.seed);
    let docs = Arc::new(docs);
    let chinese = registry.orgs.iter().filter(|o| o.chinese).count();
    let bytes: usize = docs.iter().map(|d| d.title.len() + d.body.len()).sum();
    report.setup(
        "corpus",
        format!(
            "{} synthetic equipment records (seed {}) of {} organisations ({} with Chinese names and texts, {} English) and {} parks; {:.1} MB of title and body text, {} bytes per record on average; levels about 50 % L1, 20 % L2 (where the owner is in a park), 25 % L3, 5 % L4",
            fmt_int(docs.len() as u64),
            args.seed,
            fmt_int(registry.orgs.len() as u64),
            fmt_int(chinese as u64),
            fmt_int((registry.orgs.len() - chinese) as u64),
            fmt_int(registry.parks.len() as u64),
            bytes as f64 / 1e6,
            fmt_int((bytes / docs.len()) as u64),
        ),
    );

    // Ticorr: the platform's search service over an in-memory index.
    let scratch = tempfile::tempdir()?;
    let db = Db::connect(&DbConfig {
        url: format!("sqlite://{}", scratch.path().join("ticorr.db").display()),
        ..Default::default()
    })
    .await?;
    db.migrate().await?;
    let gate = Gate::new(Arc::new(Authz::load()?), Clock::system());
    let search = Search::in_memory(vec![Arc::new(CorpusSource { docs: docs.clone() })])?;
    eprintln!("indexing (Ticorr) …");
    let started = Instant::now();
    let indexed = search.rebuild(&db, |_| {}).await?;
    let ticorr_build = started.elapsed();
    ensure!(
        indexed as usize == docs.len(),
        "the index holds {indexed} documents"
    );
    eprintln!("indexing again, for the index alone …");
    let index = Arc::new(SearchIndex::in_memory(vocabulary.clone())?);
    index.rebuild(
        0,
        docs.iter().cloned().map(Ok::<_, std::convert::Infallible>),
    )?;

    eprintln!("segmenting for the SQL engines …");
    let started = Instant::now();
    let rows = segmented(&vocabulary, &docs);
    let segmenting = started.elapsed();
    eprintln!("loading SQLite FTS5 …");
    let started = Instant::now();
    let sqlite = load_sqlite(scratch.path(), &rows, &docs).await?;
    let fts5_build = started.elapsed();
    let (postgres, pg_build, pg_version) = if args.no_postgres {
        (None, None, None)
    } else {
        eprintln!("loading PostgreSQL …");
        let started = Instant::now();
        let pg = load_postgres(&args.postgres, &rows, &docs).await?;
        let took = started.elapsed();
        let version: String = sqlx::query("SHOW server_version")
            .fetch_one(&pg.0)
            .await?
            .try_get(0)?;
        pg.0.close().await;
        (Some(pg), Some(took), Some(version))
    };
    drop(rows);
    let sqlite_version: String = sqlx::query("SELECT sqlite_version()")
        .fetch_one(&sqlite)
        .await?
        .try_get(0)?;
    sqlite.close().await;

    report.setup(
        "Ticorr",
        format!(
            "`Search::in_memory` with the shipped vocabulary ({} concepts), filled by `Search::rebuild`; each query as `GET /api/v1/search` runs it: `catch_up` on a migrated scratch SQLite database, access from the policies (`Authz::load`), all {} equipment facets counted, {PAGE} hits passed through the gate with its audit rows",
            vocabulary.len(),
            ticorr_equipment::search::FACETS.len()
        ),
    );
    report.setup(
        "SQLite FTS5",
        format!(
            "SQLite {sqlite_version} (bundled), `fts5(title, body, keywords)` with `unicode61` over the texts segmented and stemmed by Ticorr's analyzer (fine cut) with the concept words added as keywords; per query: the page (`bm25` weights 3/1/2, `snippet`) and one statement for the total and the facet counts"
        ),
    );
    if let Some(version) = &pg_version {
        report.setup(
            "PostgreSQL",
            format!(
                "PostgreSQL {version} on loopback, a stored `tsvector` (`to_tsvector('simple', …)`, weights A/B/C for title/keywords/body) with a GIN index over the same segmented texts; per query: the page (`ts_rank`, `ts_headline`) and one statement for the total and the facet counts"
            ),
        );
    }

    // The callers: members of enterprises in a park and not, a park's officer, a regulator.
    let in_park = registry
        .orgs
        .iter()
        .find(|o| o.park.is_some())
        .context("no enterprise in a park")?;
    let alone = registry
        .orgs
        .iter()
        .find(|o| o.park.is_none())
        .context("no enterprise outside parks")?;
    let callers = [
        (
            "enterprise in a park",
            caller(in_park, &registry.parks, OrgKind::Enterprise),
        ),
        (
            "enterprise",
            caller(alone, &registry.parks, OrgKind::Enterprise),
        ),
        ("park", caller(in_park, &registry.parks, OrgKind::Park)),
        (
            "regulator",
            caller(alone, &registry.parks, OrgKind::Regulator),
        ),
    ];
    let mut words = analyzer(Cut::Words, vocabulary.stop_words());
    let mut cases = Vec::new();
    for (_, c) in &callers {
        let access = search.access(&gate, c);
        for q in QUERIES {
            let tokens = terms(&mut words, q);
            cases.push(Case {
                text: (*q).to_owned(),
                caller: c.clone(),
                fts5_match: fts5_match(&tokens),
                pg_query: tokens.join(" "),
                access_sql: access_sql(&access),
                access: access.clone(),
            });
        }
    }
    report.setup(
        "queries",
        format!(
            "{} queries (8 in Chinese, 8 in English: {}) × {} callers ({}) = {} cases, each asked {} times of each engine, the engines taking turns case by case",
            QUERIES.len(),
            QUERIES.iter().map(|q| format!("`{q}`")).collect::<Vec<_>>().join(", "),
            callers.len(),
            callers.iter().map(|(l, _)| *l).collect::<Vec<_>>().join(", "),
            cases.len(),
            args.rounds
        ),
    );

    // The SQL engines are asked through `Any` connections, as the platform asks its database.
    let mut sql = BTreeMap::new();
    let fts5_url = format!("sqlite://{}", scratch.path().join("fts5.db").display());
    sql.insert(
        Engine::Fts5,
        (
            AnyPoolOptions::new()
                .max_connections(4)
                .connect(&fts5_url)
                .await?,
            FTS5,
        ),
    );
    if let Some((_, schema)) = &postgres {
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .connect(&in_schema(&args.postgres, schema))
            .await?;
        sql.insert(Engine::Postgres, (pool, POSTGRES));
    }
    let which: Vec<Engine> = [Engine::Ticorr, Engine::Index]
        .into_iter()
        .chain(sql.keys().copied())
        .collect();
    let engines = Arc::new(Engines {
        search,
        index,
        db,
        gate,
        sql,
        dims: ticorr_equipment::search::FACETS
            .iter()
            .map(|d| (*d).to_owned())
            .collect(),
    });

    eprintln!("warming up …");
    latencies(&engines, &which, &cases, 1).await?;
    eprintln!(
        "asking {} cases {} times of {} engines …",
        cases.len(),
        args.rounds,
        which.len()
    );
    let measured = latencies(&engines, &which, &cases, args.rounds).await?;

    let builds = [
        (Engine::Ticorr, Some(ticorr_build)),
        (Engine::Fts5, Some(fts5_build)),
        (Engine::Postgres, pg_build),
    ];
    for (engine, build) in builds {
        let Some(build) = build else { continue };
        let extra = if engine == Engine::Ticorr {
            String::new()
        } else {
            format!(
                ", after {} of segmentation by Ticorr's analyzer shared by both SQL engines",
                fmt_duration(segmenting)
            )
        };
        report.figure(
            format!("{}: build", engine.label()),
            fmt_rate(docs.len() as f64 / build.as_secs_f64(), "docs/s"),
            format!("{} for the corpus{extra}", fmt_duration(build)),
        );
    }
    for (engine, (samples, answers)) in &measured {
        let matched: u64 = answers.iter().map(|a| a.total).sum();
        let empty = answers.iter().filter(|a| a.hits == 0).count();
        report.figure(
            format!("{}: latency", engine.label()),
            format!(
                "p50 {}, p99 {}",
                fmt_duration(samples.median()),
                fmt_duration(samples.percentile(99.0))
            ),
            format!(
                "{} answers, max {}; {} visible matches per case on average, {} of {} cases with no hit",
                fmt_int(samples.len() as u64),
                fmt_duration(samples.max()),
                fmt_int(matched / answers.len().max(1) as u64),
                empty,
                answers.len()
            ),
        );
    }

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let tasks = threads * 2;
    let per_task = cases.len().max(20);
    let cases = Arc::new(cases);
    let mut rates = BTreeMap::new();
    for &engine in &which {
        eprintln!(
            "throughput of {} with {tasks} callers at once …",
            engine.label()
        );
        let rate = throughput(&engines, &cases, engine, tasks, per_task).await?;
        report.figure(
            format!("{}: throughput", engine.label()),
            fmt_rate(rate, "queries/s"),
            format!(
                "{tasks} callers asking at once ({threads} cores), {} queries each",
                fmt_int(per_task as u64)
            ),
        );
        rates.insert(engine, rate);
    }

    let ticorr = &measured[&Engine::Ticorr].0;
    let alone = &measured[&Engine::Index].0;
    for &baseline in &which[2..] {
        let base = &measured[&baseline].0;
        report.baseline(
            format!("{} latency", baseline.label()),
            format!(
                "p50 {}, p99 {}",
                fmt_duration(base.median()),
                fmt_duration(base.percentile(99.0))
            ),
            "the same cases, in the same run",
        );
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        report.ratio(
            format!("Ticorr ÷ {}: p50 latency", baseline.label()),
            ratio(ticorr.median(), base.median()),
            "below 1: Ticorr answers faster",
        );
        report.ratio(
            format!("Ticorr ÷ {}: p99 latency", baseline.label()),
            ratio(ticorr.percentile(99.0), base.percentile(99.0)),
            "below 1: Ticorr's slow answers are faster",
        );
        report.ratio(
            format!("Ticorr ÷ {}: throughput", baseline.label()),
            rates[&Engine::Ticorr] / rates[&baseline],
            "above 1: Ticorr answers more queries per second",
        );
        report.ratio(
            format!("index alone ÷ {}: p50 latency", baseline.label()),
            ratio(alone.median(), base.median()),
            "the search engine without the API's work around it",
        );
    }
    report.note(format!(
        "The engines do not do the same work. Ticorr also expands each query's concepts into all their terms in both languages, tolerates misspelt English words, matches Chinese words inside longer ones character by character, decides the caller's access through the policies and writes an audit row for each L1, L2 and L4 hit on the page; the SQL engines match the pre-segmented tokens exactly, and their access condition is the policies' decision written out by hand. The index alone (p50 {}) answers the same request with the access decided beforehand; the rest of Ticorr's p50 ({}) is the API's work around it: the change-feed check, the policy probes and the gate's audit rows for the page.",
        fmt_duration(alone.median()),
        fmt_duration(ticorr.median()),
    ));

    for (pool, _) in engines.sql.values() {
        pool.close().await;
    }
    if let Some((_, schema)) = &postgres {
        drop_postgres(&args.postgres, schema).await?;
    }
    report.finish(!args.no_record)?;
    Ok(())
}
