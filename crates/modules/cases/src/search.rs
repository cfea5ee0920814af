//! Published failure cases in the platform's search index: found by their desensitized
//! titles, summaries and lessons in either language, with facets for the mechanism, the
//! equipment type and the root-cause categories. Documents are the public summary (level
//! `public`); the details stay behind the case page.

use sqlx::Row;
use sqlx::any::AnyRow;
use ticorr_db::Db;
use ticorr_platform::search::{BoxFuture, Doc, Source};

use crate::{Body, RECORD_KIND};

/// The facet dimensions of case documents.
pub const FACETS: &[&str] = &["mechanism", "equipment_type", "root_cause"];

/// Published cases as a search source.
#[derive(Debug, Default)]
pub struct CaseSource;

const SELECT: &str =
    "SELECT case_id, org_id, body FROM case_publications WHERE withdrawn_at IS NULL";

fn document(r: &AnyRow) -> Result<Doc, sqlx::Error> {
    let id: String = r.try_get("case_id")?;
    let body: String = r.try_get("body")?;
    let body: Body = serde_json::from_str(&body).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let p = &body.case;
    let mut facets = vec![
        ("mechanism".to_owned(), p.mechanism.as_str().to_owned()),
        ("equipment_type".to_owned(), p.equipment_type.clone()),
    ];
    facets.extend(
        p.root_causes
            .iter()
            .map(|c| ("root_cause".to_owned(), c.as_str().to_owned())),
    );
    let text: Vec<&str> = [
        &p.summary_zh,
        &p.summary_en,
        &p.title_en,
        &p.details.lessons_zh,
        &p.details.lessons_en,
        &p.details.direct_cause,
    ]
    .iter()
    .filter_map(|t| t.as_deref())
    .collect();
    Ok(Doc {
        doc_type: RECORD_KIND.to_owned(),
        title: p
            .title_zh
            .clone()
            .or_else(|| p.title_en.clone())
            .unwrap_or_default(),
        body: text.join(" — "),
        keywords: vec![p.mechanism.as_str().to_owned(), p.period.clone()],
        concepts: vec!["material.titanium".to_owned()],
        level: "public".to_owned(),
        owner: Some(r.try_get("org_id")?),
        parks: vec![],
        facets,
        url: format!("/cases/{id}"),
        boost: 1.0,
        id,
    })
}

impl Source for CaseSource {
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
                "{SELECT} AND case_id IN ({})",
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
            let sql = format!("{SELECT} AND case_id > $1 ORDER BY case_id LIMIT {limit}");
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
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM case_publications WHERE withdrawn_at IS NULL",
            )
            .fetch_one(db.pool())
            .await?
            .try_get("n")?;
            Ok(n as u64)
        })
    }
}
