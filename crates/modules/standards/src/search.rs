//! Clauses of released standards in the platform's search index: found by their text in
//! either language, their standard's code and title, with facets for the origin, the
//! subject, mandatory or recommended, and the risk grades.

use sqlx::Row;
use sqlx::any::AnyRow;
use ticorr_db::Db;
use ticorr_platform::search::{BoxFuture, Doc, Source};

use crate::RECORD_KIND;

/// The facet dimensions of clause documents.
pub const FACETS: &[&str] = &["origin", "topic", "clause_kind", "clause_grade"];

/// Released clauses as a search source. Documents are of the standard's record kind, so
/// the policies decide on them as on the standard (level, holder, park).
#[derive(Debug, Default)]
pub struct ClauseSource;

const SELECT: &str = "SELECT c.id, c.number, c.kind, c.text_en, c.text_zh, c.risk_grades, \
    s.id AS standard_id, s.code, s.origin, s.topic, s.level, s.owner_org_id, s.park_id, \
    s.title_en, s.title_zh \
    FROM clauses c JOIN standard_versions v ON v.id = c.version_id AND v.stage = 'released' \
    JOIN standards s ON s.id = v.standard_id";

fn document(r: &AnyRow) -> Result<Doc, sqlx::Error> {
    let id: String = r.try_get("id")?;
    let number: String = r.try_get("number")?;
    let code: String = r.try_get("code")?;
    let title_zh: String = r.try_get("title_zh")?;
    let title_en: String = r.try_get("title_en")?;
    let text_zh: String = r.try_get("text_zh")?;
    let text_en: String = r.try_get("text_en")?;
    let standard_id: String = r.try_get("standard_id")?;
    let grades: String = r.try_get("risk_grades")?;
    let grades: Vec<String> =
        serde_json::from_str(&grades).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let mut facets = vec![
        ("origin".to_owned(), r.try_get::<String, _>("origin")?),
        ("topic".to_owned(), r.try_get::<String, _>("topic")?),
        ("clause_kind".to_owned(), r.try_get::<String, _>("kind")?),
    ];
    facets.extend(grades.into_iter().map(|g| ("clause_grade".to_owned(), g)));
    Ok(Doc {
        doc_type: RECORD_KIND.to_owned(),
        title: format!("{code} {number} · {title_zh}"),
        body: [text_zh, text_en, title_en].join(" — "),
        keywords: vec![code, number.clone()],
        concepts: vec!["material.titanium".to_owned()],
        level: r.try_get("level")?,
        owner: Some(r.try_get("owner_org_id")?),
        parks: r
            .try_get::<Option<String>, _>("park_id")?
            .into_iter()
            .collect(),
        facets,
        url: format!("/standards/{standard_id}#clause-{number}"),
        boost: 1.0,
        id,
    })
}

impl Source for ClauseSource {
    fn doc_type(&self) -> &'static str {
        RECORD_KIND
    }

    fn facets(&self) -> &'static [&'static str] {
        FACETS
    }

    fn load<'a>(
        &'a self,
        db: &'a Db,
        ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Doc>, sqlx::Error>> {
        Box::pin(async move {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let sql = format!(
                "{SELECT} WHERE c.id IN ({})",
                ticorr_db::placeholders(1, ids.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in ids {
                q = q.bind(id.clone());
            }
            q.fetch_all(db.pool()).await?.iter().map(document).collect()
        })
    }

    fn page<'a>(
        &'a self,
        db: &'a Db,
        after: Option<String>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Doc>, sqlx::Error>> {
        Box::pin(async move {
            let sql = format!("{SELECT} WHERE c.id > $1 ORDER BY c.id LIMIT {limit}");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(after.unwrap_or_default())
                .fetch_all(db.pool())
                .await?
                .iter()
                .map(document)
                .collect()
        })
    }

    fn count<'a>(&'a self, db: &'a Db) -> BoxFuture<'a, Result<u64, sqlx::Error>> {
        Box::pin(async move {
            let n: i64 = sqlx::query(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM clauses c \
                 JOIN standard_versions v ON v.id = c.version_id AND v.stage = 'released'",
            )
            .fetch_one(db.pool())
            .await?
            .try_get("n")?;
            Ok(n as u64)
        })
    }
}
