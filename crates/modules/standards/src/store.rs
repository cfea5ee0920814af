//! Standards storage. Queries are scoped to what a caller could possibly see (public
//! standards, their organisation's own, the documents of their parks); the gate decides on
//! every row.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use ticorr_db::{flag, parsed, parsed_opt};
use ticorr_kernel::{Level, OrgId, OrgKind, PageRequest, Timestamp};
use ticorr_platform::Actor;
use uuid::Uuid;

use crate::model::{Clause, ClauseInput, Stage, Standard, StandardInput, Version};

const SELECT: &str = "SELECT s.id, s.code, s.origin, s.owner_org_id, o.name AS owner_name, s.level, \
    s.park_id, s.title_en, s.title_zh, s.scope_en, s.scope_zh, s.topic, s.refs, \
    s.review_interval_months, s.created_at, s.updated_at \
    FROM standards s JOIN organizations o ON o.id = s.owner_org_id";

fn decode(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

fn json_list(row: &AnyRow, column: &str) -> Result<Vec<String>, sqlx::Error> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(decode)
}

fn standard_from(row: &AnyRow) -> Result<Standard, sqlx::Error> {
    Ok(Standard {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        origin: parsed(row, "origin")?,
        owner_org_id: parsed(row, "owner_org_id")?,
        owner_name: row.try_get("owner_name")?,
        level: parsed(row, "level")?,
        park_id: parsed_opt(row, "park_id")?,
        title_en: row.try_get("title_en")?,
        title_zh: row.try_get("title_zh")?,
        scope_en: row.try_get("scope_en")?,
        scope_zh: row.try_get("scope_zh")?,
        topic: row.try_get("topic")?,
        references: json_list(row, "refs")?,
        review_interval_months: row.try_get("review_interval_months")?,
        created_at: parsed(row, "created_at")?,
        updated_at: parsed(row, "updated_at")?,
    })
}

pub async fn standard(conn: &mut AnyConnection, id: &str) -> Result<Option<Standard>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE s.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_optional(conn)
        .await?
        .map(|r| standard_from(&r))
        .transpose()
}

/// The standards an organisation could see: public ones, its own, and those shared with
/// its parks. Binds its values onto `args`.
fn scope(owner: Option<OrgId>, parks: &[OrgId], args: &mut Vec<String>) -> String {
    let mut scope = String::from("(s.level = 'public'");
    if let Some(owner) = owner {
        args.push(owner.to_string());
        scope.push_str(&format!(" OR s.owner_org_id = ${}", args.len()));
    }
    if !parks.is_empty() {
        let list: Vec<String> = parks
            .iter()
            .map(|p| {
                args.push(p.to_string());
                format!("${}", args.len())
            })
            .collect();
        scope.push_str(&format!(
            " OR (s.level = 'park' AND s.park_id IN ({}))",
            list.join(", ")
        ));
    }
    scope.push(')');
    scope
}

/// Filters of the standards list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    /// Text in the code or either title.
    pub q: Option<String>,
    /// `platform`, `enterprise`, `park` or `chain_agreement`.
    pub origin: Option<String>,
    /// The subject: `design_material`, `fabrication`, `installation`, `operation`,
    /// `cleaning`, `inspection`, `hydrogen`, `heaters`, `other`.
    pub topic: Option<String>,
}

/// Standards the caller could see, by code; one row more than the page.
pub async fn list(
    conn: &mut AnyConnection,
    actor: Option<&Actor>,
    filter: &ListFilter,
    page: &PageRequest,
) -> Result<Vec<Standard>, sqlx::Error> {
    let mut args: Vec<String> = Vec::new();
    let scope = match actor {
        None => scope(None, &[], &mut args),
        Some(actor) => {
            let mut parks = actor.org_parks.clone();
            if actor.org_kind == OrgKind::Park {
                parks.push(actor.org_id);
            }
            scope(Some(actor.org_id), &parks, &mut args)
        }
    };
    let mut conditions = vec![scope];
    let mut push = |cond: &str, value: String, args: &mut Vec<String>| {
        args.push(value);
        conditions.push(cond.replace('?', &format!("${}", args.len())));
    };
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        push(
            "(LOWER(s.code) LIKE ? ESCAPE '\\' OR LOWER(s.title_en) LIKE ? ESCAPE '\\' OR s.title_zh LIKE ? ESCAPE '\\')",
            ticorr_db::contains_pattern(q),
            &mut args,
        );
    }
    if let Some(o) = filter.origin.as_deref().filter(|o| !o.is_empty()) {
        push("s.origin = ?", o.to_owned(), &mut args);
    }
    if let Some(t) = filter.topic.as_deref().filter(|t| !t.is_empty()) {
        push("s.topic = ?", t.to_owned(), &mut args);
    }
    if let Some(after) = &page.after {
        args.push(after.key.clone());
        let k = args.len();
        args.push(after.id.clone());
        let i = args.len();
        conditions.push(format!(
            "(s.code > ${k} OR (s.code = ${k} AND s.id > ${i}))"
        ));
    }
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY s.code, s.id LIMIT {}",
        conditions.join(" AND "),
        page.fetch_limit()
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in args {
        q = q.bind(a);
    }
    q.fetch_all(conn).await?.iter().map(standard_from).collect()
}

/// Every standard with a released version that could apply to items: public ones, the
/// item owner's own, and those of the owner's parks.
pub async fn released_for(
    conn: &mut AnyConnection,
    owner: OrgId,
    parks: &[OrgId],
) -> Result<Vec<(Standard, Version)>, sqlx::Error> {
    let mut args = Vec::new();
    let scope = scope(Some(owner), parks, &mut args);
    released(conn, &scope, args).await
}

/// Every public standard with its released version (the industry's unified standards).
pub async fn released_public(
    conn: &mut AnyConnection,
) -> Result<Vec<(Standard, Version)>, sqlx::Error> {
    released(conn, "s.level = 'public'", Vec::new()).await
}

async fn released(
    conn: &mut AnyConnection,
    scope: &str,
    args: Vec<String>,
) -> Result<Vec<(Standard, Version)>, sqlx::Error> {
    let select = SELECT.replacen(
        "SELECT s.id,",
        &format!("SELECT {VERSION_COLUMNS}, s.id,"),
        1,
    );
    let sql = format!(
        "{select} JOIN standard_versions v ON v.standard_id = s.id AND v.stage = 'released' \
         WHERE {scope} ORDER BY s.code"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in args {
        q = q.bind(a);
    }
    q.fetch_all(conn)
        .await?
        .iter()
        .map(|r| Ok((standard_from(r)?, version_from(r)?)))
        .collect()
}

/// A version's columns from `standard_versions v`, each named `v_<column>`.
const VERSION_COLUMNS: &str = "v.id AS v_id, v.version AS v_version, v.stage AS v_stage, \
    v.released_at AS v_released_at, v.effective_on AS v_effective_on, \
    v.review_due_on AS v_review_due_on, v.content_sha256 AS v_content_sha256";

fn version_from(r: &AnyRow) -> Result<Version, sqlx::Error> {
    Ok(Version {
        id: r.try_get("v_id")?,
        version: r.try_get("v_version")?,
        stage: parsed(r, "v_stage")?,
        released_at: parsed_opt(r, "v_released_at")?,
        effective_on: r.try_get("v_effective_on")?,
        review_due_on: r.try_get("v_review_due_on")?,
        content_sha256: r.try_get("v_content_sha256")?,
    })
}

/// A version by its id, with its standard's id and code.
pub async fn version(
    conn: &mut AnyConnection,
    version_id: &str,
) -> Result<Option<(String, String, Version)>, sqlx::Error> {
    let sql = format!(
        "SELECT v.standard_id, s.code, {} FROM standard_versions v \
         JOIN standards s ON s.id = v.standard_id WHERE v.id = $1",
        VERSION_COLUMNS
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(version_id.to_owned())
        .fetch_optional(conn)
        .await?
        .map(|r| {
            Ok((
                r.try_get("standard_id")?,
                r.try_get("code")?,
                version_from(&r)?,
            ))
        })
        .transpose()
}

pub async fn versions(
    conn: &mut AnyConnection,
    standard_id: &str,
) -> Result<Vec<Version>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM standard_versions v WHERE v.standard_id = $1 \
         ORDER BY v.created_at DESC, v.version DESC",
        VERSION_COLUMNS
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(standard_id.to_owned())
        .fetch_all(conn)
        .await?
        .iter()
        .map(version_from)
        .collect()
}

fn clause_from(r: &AnyRow) -> Result<Clause, sqlx::Error> {
    let applies: String = r.try_get("applies")?;
    let limit: Option<String> = r.try_get("limit_check")?;
    Ok(Clause {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        kind: parsed(r, "kind")?,
        text_en: r.try_get("text_en")?,
        text_zh: r.try_get("text_zh")?,
        rationale_en: r.try_get("rationale_en")?,
        rationale_zh: r.try_get("rationale_zh")?,
        risk_grades: json_list(r, "risk_grades")?,
        applies: serde_json::from_str(&applies).map_err(decode)?,
        references: json_list(r, "refs")?,
        sources: json_list(r, "sources")?,
        convention: flag::get(r, "convention")?,
        unverified: flag::get(r, "unverified")?,
        limit: limit
            .map(|l| serde_json::from_str(&l))
            .transpose()
            .map_err(decode)?,
    })
}

/// The clauses of a version, in order.
pub async fn clauses(
    conn: &mut AnyConnection,
    version_id: &str,
) -> Result<Vec<Clause>, sqlx::Error> {
    sqlx::query(
        "SELECT id, number, kind, text_en, text_zh, rationale_en, rationale_zh, risk_grades, \
         applies, refs, sources, convention, unverified, limit_check \
         FROM clauses WHERE version_id = $1 ORDER BY position",
    )
    .bind(version_id.to_owned())
    .fetch_all(conn)
    .await?
    .iter()
    .map(clause_from)
    .collect()
}

/// One clause by its id, with the standard and the version (its number) it belongs to.
pub async fn clause(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<(String, String, Clause)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT c.id, c.number, c.kind, c.text_en, c.text_zh, c.rationale_en, c.rationale_zh, \
         c.risk_grades, c.applies, c.refs, c.sources, c.convention, c.unverified, c.limit_check, \
         v.standard_id, v.version FROM clauses c \
         JOIN standard_versions v ON v.id = c.version_id WHERE c.id = $1",
    )
    .bind(id.to_owned())
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("standard_id")?,
            r.try_get("version")?,
            clause_from(&r)?,
        ))
    })
    .transpose()
}

/// The canonical text of a version's clauses, whose SHA-256 seals a released version.
pub fn content(clauses: &[ClauseInput]) -> String {
    serde_json::to_string(clauses).expect("clauses serialize")
}

/// Writes a standard with one version of `stage` and its clauses. Returns the ids of the
/// standard and the version.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut AnyConnection,
    owner: OrgId,
    level: Level,
    park: Option<OrgId>,
    s: &StandardInput,
    version: &str,
    stage: Stage,
    released: Option<(Timestamp, String, String)>,
    now: Timestamp,
) -> Result<(String, String), sqlx::Error> {
    let id = insert_standard(conn, owner, level, park, s, now).await?;
    let version_id = insert_version(conn, &id, s, version, stage, released, now).await?;
    Ok((id, version_id))
}

/// Writes a standard's own row (code, titles, scope …) and returns its id.
pub async fn insert_standard(
    conn: &mut AnyConnection,
    owner: OrgId,
    level: Level,
    park: Option<OrgId>,
    s: &StandardInput,
    now: Timestamp,
) -> Result<String, sqlx::Error> {
    let id = Uuid::now_v7().to_string();
    let refs = serde_json::to_string(&s.references).expect("a list serializes");
    sqlx::query(
        "INSERT INTO standards (id, code, origin, owner_org_id, level, park_id, title_en, title_zh, \
         scope_en, scope_zh, topic, refs, review_interval_months, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)",
    )
    .bind(&id)
    .bind(s.code.clone())
    .bind(s.origin.as_str())
    .bind(owner.to_string())
    .bind(level.as_str())
    .bind(park.map(|p| p.to_string()))
    .bind(s.title_en.clone())
    .bind(s.title_zh.clone())
    .bind(s.scope_en.clone())
    .bind(s.scope_zh.clone())
    .bind(s.topic.clone())
    .bind(refs)
    .bind(s.review_interval_months)
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Rewrites a standard's own row from a revision: titles, scope, topic, references and
/// review interval (the code and the holder stay).
pub async fn update_standard(
    conn: &mut AnyConnection,
    id: &str,
    s: &StandardInput,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE standards SET title_en = $1, title_zh = $2, scope_en = $3, scope_zh = $4, \
         topic = $5, refs = $6, review_interval_months = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(s.title_en.clone())
    .bind(s.title_zh.clone())
    .bind(s.scope_en.clone())
    .bind(s.scope_zh.clone())
    .bind(s.topic.clone())
    .bind(serde_json::to_string(&s.references).expect("a list serializes"))
    .bind(s.review_interval_months)
    .bind(now.to_rfc3339())
    .bind(id.to_owned())
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a standard's released version superseded, and takes its clauses out of search.
pub async fn supersede(
    conn: &mut AnyConnection,
    version_id: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE standard_versions SET stage = $1 WHERE id = $2")
        .bind(Stage::Superseded.as_str())
        .bind(version_id.to_owned())
        .execute(&mut *conn)
        .await?;
    for c in clauses(conn, version_id).await? {
        ticorr_platform::search::changed(conn, crate::RECORD_KIND, &c.id, now).await?;
    }
    Ok(())
}

/// Writes one version of a standard with its clauses and returns its id. Released
/// clauses are fed to the platform search.
pub async fn insert_version(
    conn: &mut AnyConnection,
    id: &str,
    s: &StandardInput,
    version: &str,
    stage: Stage,
    released: Option<(Timestamp, String, String)>,
    now: Timestamp,
) -> Result<String, sqlx::Error> {
    let version_id = Uuid::now_v7().to_string();
    let sha = released.as_ref().map(|_| crate::content_sha256(&s.clauses));
    sqlx::query(
        "INSERT INTO standard_versions (id, standard_id, version, stage, released_at, effective_on, \
         review_due_on, content_sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&version_id)
    .bind(id.to_owned())
    .bind(version.to_owned())
    .bind(stage.as_str())
    .bind(released.as_ref().map(|(t, _, _)| t.to_rfc3339()))
    .bind(released.as_ref().map(|(_, e, _)| e.clone()))
    .bind(released.as_ref().map(|(_, _, d)| d.clone()))
    .bind(sha)
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    for (position, c) in s.clauses.iter().enumerate() {
        let list = |v: &Vec<String>| serde_json::to_string(v).expect("a list serializes");
        let clause_id = Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO clauses (id, version_id, number, position, kind, text_en, text_zh, \
             rationale_en, rationale_zh, risk_grades, applies, refs, sources, convention, \
             unverified, limit_check) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(&clause_id)
        .bind(&version_id)
        .bind(c.number.clone())
        .bind(position as i64)
        .bind(c.kind.as_str())
        .bind(c.text_en.clone())
        .bind(c.text_zh.clone())
        .bind(c.rationale_en.clone())
        .bind(c.rationale_zh.clone())
        .bind(list(&c.risk_grades))
        .bind(serde_json::to_string(&c.applies).expect("conditions serialize"))
        .bind(list(&c.references))
        .bind(list(&c.source))
        .bind(flag::to_db(c.convention))
        .bind(flag::to_db(c.unverified))
        .bind(
            c.limit
                .as_ref()
                .map(|l| serde_json::to_string(l).expect("a limit serializes")),
        )
        .execute(&mut *conn)
        .await?;
        // Released clauses are found through the platform search.
        if stage == Stage::Released {
            ticorr_platform::search::changed(conn, crate::RECORD_KIND, &clause_id, now).await?;
        }
    }
    Ok(version_id)
}
