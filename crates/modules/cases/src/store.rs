//! The module's SQL. Portable across SQLite and PostgreSQL (see docs/architecture.md).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use ticorr_desensitize::kanon::{PublishedClass, QuasiIdentifiers};
use ticorr_kernel::{OrgId, PageRequest, PersonId, Timestamp};

use crate::model::Stage;

/// A stored case, its original still sealed.
#[derive(Debug, Clone)]
pub struct CaseRow {
    pub id: String,
    pub org_id: OrgId,
    pub stage: Stage,
    pub original: String,
    pub confirmed: Option<String>,
    pub mechanism: String,
    pub root_causes: String,
    pub suggestion: String,
    pub curator_note: Option<String>,
    pub revision: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const CASE_COLUMNS: &str = "id, org_id, stage, original, confirmed, mechanism, \
    root_causes, suggestion, curator_note, revision, created_at, updated_at";

fn case_row(r: &AnyRow) -> Result<CaseRow, sqlx::Error> {
    Ok(CaseRow {
        id: r.try_get("id")?,
        org_id: ticorr_db::parsed(r, "org_id")?,
        stage: ticorr_db::parsed(r, "stage")?,
        original: r.try_get("original")?,
        confirmed: r.try_get("confirmed")?,
        mechanism: r.try_get("mechanism")?,
        root_causes: r.try_get("root_causes")?,
        suggestion: r.try_get("suggestion")?,
        curator_note: r.try_get("curator_note")?,
        revision: r.try_get("revision")?,
        created_at: ticorr_db::parsed(r, "created_at")?,
        updated_at: ticorr_db::parsed(r, "updated_at")?,
    })
}

pub async fn case(conn: &mut AnyConnection, id: &str) -> Result<Option<CaseRow>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"
    )))
    .bind(id.to_owned())
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(case_row)
    .transpose()
}

pub struct NewCase<'a> {
    pub id: &'a str,
    pub org_id: OrgId,
    pub created_by: PersonId,
    pub original: &'a str,
    pub mechanism: &'a str,
    pub root_causes: &'a str,
    pub suggestion: &'a str,
    pub now: Timestamp,
}

pub async fn insert(conn: &mut AnyConnection, c: &NewCase<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cases (id, org_id, created_by, stage, original, mechanism, root_causes, \
         suggestion, revision, created_at, updated_at) \
         VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, 1, $8, $8)",
    )
    .bind(c.id.to_owned())
    .bind(c.org_id.to_string())
    .bind(c.created_by.to_string())
    .bind(c.original.to_owned())
    .bind(c.mechanism.to_owned())
    .bind(c.root_causes.to_owned())
    .bind(c.suggestion.to_owned())
    .bind(c.now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves a case to `stage` if it is still at `revision`; false when someone changed it first.
#[allow(clippy::too_many_arguments)]
pub async fn set_stage(
    conn: &mut AnyConnection,
    id: &str,
    revision: i64,
    stage: Stage,
    confirmed: Option<&str>,
    classification: Option<(&str, &str)>,
    curator: Option<(PersonId, Option<&str>)>,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE cases SET stage = $1, confirmed = COALESCE($2, confirmed), \
         mechanism = COALESCE($3, mechanism), root_causes = COALESCE($4, root_causes), \
         curated_by = COALESCE($5, curated_by), \
         curator_note = CASE WHEN $5 IS NULL THEN curator_note ELSE $6 END, \
         revision = revision + 1, updated_at = $7 WHERE id = $8 AND revision = $9",
    )
    .bind(stage.as_str())
    .bind(confirmed.map(str::to_owned))
    .bind(classification.map(|c| c.0.to_owned()))
    .bind(classification.map(|c| c.1.to_owned()))
    .bind(curator.map(|c| c.0.to_string()))
    .bind(curator.and_then(|c| c.1.map(str::to_owned)))
    .bind(now.to_rfc3339())
    .bind(id.to_owned())
    .bind(revision)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn event(
    conn: &mut AnyConnection,
    case_id: &str,
    person: Option<PersonId>,
    kind: &str,
    note: Option<&str>,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO case_events (id, case_id, at, person_id, kind, note) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(case_id.to_owned())
    .bind(now.to_rfc3339())
    .bind(person.map(|p| p.to_string()))
    .bind(kind.to_owned())
    .bind(note.map(str::to_owned))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A case's history, oldest first, with the names of the people who acted.
pub async fn events(
    conn: &mut AnyConnection,
    case_id: &str,
) -> Result<Vec<(Timestamp, Option<String>, String, Option<String>)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT e.at, p.display_name, e.kind, e.note FROM case_events e \
         LEFT JOIN people p ON p.id = e.person_id WHERE e.case_id = $1 ORDER BY e.at, e.id",
    )
    .bind(case_id.to_owned())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                ticorr_db::parsed(r, "at")?,
                r.try_get("display_name")?,
                r.try_get("kind")?,
                r.try_get("note")?,
            ))
        })
        .collect()
}

/// The classes of the cases published now, for the k-anonymity check.
pub async fn published_classes(
    conn: &mut AnyConnection,
) -> Result<Vec<PublishedClass>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT province, industry, equipment_type, grade, year, COUNT(*) AS n FROM case_publications \
         WHERE withdrawn_at IS NULL GROUP BY province, industry, equipment_type, grade, year",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PublishedClass {
                tuple: QuasiIdentifiers {
                    province: r.try_get("province")?,
                    industry: r.try_get("industry")?,
                    equipment_type: r.try_get("equipment_type")?,
                    grade: r.try_get("grade")?,
                    year: r.try_get("year")?,
                },
                count: r.try_get::<i64, _>("n")? as u64,
            })
        })
        .collect()
}

pub struct NewPublication<'a> {
    pub case_id: &'a str,
    pub org_id: OrgId,
    pub tuple: &'a QuasiIdentifiers,
    pub mechanism: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub now: Timestamp,
}

pub async fn publish(conn: &mut AnyConnection, p: &NewPublication<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO case_publications (case_id, org_id, province, industry, equipment_type, grade, \
         year, mechanism, title, body, published_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (case_id) DO UPDATE SET province = $3, industry = $4, equipment_type = $5, \
         grade = $6, year = $7, mechanism = $8, title = $9, body = $10, published_at = $11, \
         withdrawn_at = NULL",
    )
    .bind(p.case_id.to_owned())
    .bind(p.org_id.to_string())
    .bind(p.tuple.province.clone())
    .bind(p.tuple.industry.clone())
    .bind(p.tuple.equipment_type.clone())
    .bind(p.tuple.grade.clone())
    .bind(p.tuple.year.clone())
    .bind(p.mechanism.to_owned())
    .bind(p.title.to_owned())
    .bind(p.body.to_owned())
    .bind(p.now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn withdraw(
    conn: &mut AnyConnection,
    case_id: &str,
    body: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE case_publications SET withdrawn_at = $1, body = $2 WHERE case_id = $3")
        .bind(now.to_rfc3339())
        .bind(body.to_owned())
        .bind(case_id.to_owned())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A publication row: the case, its contributor, when, and the anchored body.
#[derive(Debug, Clone)]
pub struct PublicationRow {
    pub case_id: String,
    pub org_id: OrgId,
    pub body: String,
    pub published_at: Timestamp,
    pub withdrawn_at: Option<Timestamp>,
}

fn publication_row(r: &AnyRow) -> Result<PublicationRow, sqlx::Error> {
    Ok(PublicationRow {
        case_id: r.try_get("case_id")?,
        org_id: ticorr_db::parsed(r, "org_id")?,
        body: r.try_get("body")?,
        published_at: ticorr_db::parsed(r, "published_at")?,
        withdrawn_at: ticorr_db::parsed_opt(r, "withdrawn_at")?,
    })
}

pub async fn publication(
    conn: &mut AnyConnection,
    case_id: &str,
) -> Result<Option<PublicationRow>, sqlx::Error> {
    sqlx::query(
        "SELECT case_id, org_id, body, published_at, withdrawn_at FROM case_publications WHERE case_id = $1",
    )
    .bind(case_id.to_owned())
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(publication_row)
    .transpose()
}

/// Filters of the published list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct ListFilter {
    /// A damage mechanism.
    pub mechanism: Option<String>,
    /// An equipment type (or family).
    pub equipment_type: Option<String>,
    /// An ASTM grade (or family).
    pub grade: Option<String>,
}

/// Published cases, newest first.
pub async fn published(
    conn: &mut AnyConnection,
    filter: &ListFilter,
    page: &PageRequest,
) -> Result<Vec<PublicationRow>, sqlx::Error> {
    let mut sql = String::from(
        "SELECT case_id, org_id, body, published_at, withdrawn_at FROM case_publications \
         WHERE withdrawn_at IS NULL",
    );
    let mut binds: Vec<String> = Vec::new();
    for (column, value) in [
        ("mechanism", &filter.mechanism),
        ("equipment_type", &filter.equipment_type),
        ("grade", &filter.grade),
    ] {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            binds.push(v.to_owned());
            sql.push_str(&format!(" AND {column} = ${}", binds.len()));
        }
    }
    if let Some(after) = &page.after {
        binds.push(after.key.clone());
        binds.push(after.id.clone());
        let (k, i) = (binds.len() - 1, binds.len());
        sql.push_str(&format!(
            " AND (published_at < ${k} OR (published_at = ${k} AND case_id < ${i}))"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY published_at DESC, case_id DESC LIMIT {}",
        page.fetch_limit()
    ));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(publication_row)
        .collect()
}

/// Every published case not withdrawn, oldest first (the similar-case index).
pub async fn all_published(conn: &mut AnyConnection) -> Result<Vec<PublicationRow>, sqlx::Error> {
    sqlx::query(
        "SELECT case_id, org_id, body, published_at, withdrawn_at FROM case_publications \
         WHERE withdrawn_at IS NULL ORDER BY published_at, case_id",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(publication_row)
    .collect()
}

/// What changes whenever a case is published or withdrawn: the number of publications and
/// the latest publication and withdrawal times.
pub async fn publications_fingerprint(conn: &mut AnyConnection) -> Result<String, sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MAX(published_at) AS p, MAX(withdrawn_at) AS w FROM case_publications",
    )
    .fetch_one(&mut *conn)
    .await?;
    let n: i64 = row.try_get("n")?;
    let p: Option<String> = row.try_get("p")?;
    let w: Option<String> = row.try_get("w")?;
    Ok(format!(
        "{n}/{}/{}",
        p.unwrap_or_default(),
        w.unwrap_or_default()
    ))
}

/// An organisation's cases, most recently changed first.
pub async fn of_org(conn: &mut AnyConnection, org: OrgId) -> Result<Vec<CaseRow>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE org_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 500"
    )))
    .bind(org.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(case_row)
    .collect()
}

/// Cases at `stages`, oldest change first, at most `limit` of them (all without one).
pub async fn at_stages(
    conn: &mut AnyConnection,
    stages: &[Stage],
    limit: Option<u32>,
) -> Result<Vec<CaseRow>, sqlx::Error> {
    let list = stages
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let limit = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE stage IN ({list}) ORDER BY updated_at, id{limit}"
    )))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(case_row)
    .collect()
}

/// An application for a case's full record.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AccessRequest {
    pub id: String,
    pub case_id: String,
    /// The published title (in the language it was written).
    pub case_title: String,
    pub person_id: PersonId,
    pub person_name: String,
    pub org_id: OrgId,
    pub org_name: String,
    pub purpose: String,
    /// `pending`, `granted`, `refused`, or `expired` (a grant past its end).
    pub status: String,
    pub requested_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    pub decision_note: Option<String>,
    pub expires_at: Option<Timestamp>,
    /// The contributor of the case.
    #[serde(skip)]
    pub contributor: OrgId,
}

const REQUEST_SELECT: &str = "SELECT r.id, r.case_id, pub.title AS case_title, r.person_id, \
    p.display_name, r.org_id, o.name AS org_name, r.purpose, r.status, r.requested_at, r.decided_at, \
    r.decision_note, r.expires_at, c.org_id AS contributor \
    FROM case_access_requests r JOIN people p ON p.id = r.person_id \
    JOIN organizations o ON o.id = r.org_id JOIN cases c ON c.id = r.case_id \
    LEFT JOIN case_publications pub ON pub.case_id = r.case_id";

fn request_row(r: &AnyRow, now: Timestamp) -> Result<AccessRequest, sqlx::Error> {
    let expires_at: Option<Timestamp> = ticorr_db::parsed_opt(r, "expires_at")?;
    let mut status: String = r.try_get("status")?;
    if status == "granted" && expires_at.is_some_and(|e| e <= now) {
        status = "expired".to_owned();
    }
    Ok(AccessRequest {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        case_title: r
            .try_get::<Option<String>, _>("case_title")?
            .unwrap_or_default(),
        person_id: ticorr_db::parsed(r, "person_id")?,
        person_name: r.try_get("display_name")?,
        org_id: ticorr_db::parsed(r, "org_id")?,
        org_name: r.try_get("org_name")?,
        purpose: r.try_get("purpose")?,
        status,
        requested_at: ticorr_db::parsed(r, "requested_at")?,
        decided_at: ticorr_db::parsed_opt(r, "decided_at")?,
        decision_note: r.try_get("decision_note")?,
        expires_at,
        contributor: ticorr_db::parsed(r, "contributor")?,
    })
}

pub async fn request(
    conn: &mut AnyConnection,
    id: &str,
    now: Timestamp,
) -> Result<Option<AccessRequest>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{REQUEST_SELECT} WHERE r.id = $1"
    )))
    .bind(id.to_owned())
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(|r| request_row(r, now))
    .transpose()
}

/// Applications made by `person`, or concerning the cases of `contributor`, newest first.
pub async fn requests(
    conn: &mut AnyConnection,
    person: Option<PersonId>,
    contributor: Option<OrgId>,
    case_id: Option<&str>,
    now: Timestamp,
) -> Result<Vec<AccessRequest>, sqlx::Error> {
    let mut sql = format!("{REQUEST_SELECT} WHERE 1 = 1");
    let mut binds = Vec::new();
    if let Some(p) = person {
        binds.push(p.to_string());
        sql.push_str(&format!(" AND r.person_id = ${}", binds.len()));
    }
    if let Some(o) = contributor {
        binds.push(o.to_string());
        sql.push_str(&format!(" AND c.org_id = ${}", binds.len()));
    }
    if let Some(c) = case_id {
        binds.push(c.to_owned());
        sql.push_str(&format!(" AND r.case_id = ${}", binds.len()));
    }
    sql.push_str(" ORDER BY r.requested_at DESC, r.id DESC LIMIT 500");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| request_row(r, now))
        .collect()
}

/// The people holding an unexpired grant to a case's full record.
pub async fn grantees(
    conn: &mut AnyConnection,
    case_id: &str,
    now: Timestamp,
) -> Result<Vec<PersonId>, sqlx::Error> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT person_id FROM case_access_requests WHERE case_id = $1 AND status = 'granted' \
         AND expires_at > $2",
    )
    .bind(case_id.to_owned())
    .bind(now.to_rfc3339())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|s| ticorr_db::decode("person_id", s))
        .collect()
}

/// The person's grant in force for a case, if any: (request id, purpose).
pub async fn grant_of(
    conn: &mut AnyConnection,
    case_id: &str,
    person: PersonId,
    now: Timestamp,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, purpose FROM case_access_requests WHERE case_id = $1 AND person_id = $2 \
         AND status = 'granted' AND expires_at > $3 ORDER BY expires_at DESC LIMIT 1",
    )
    .bind(case_id.to_owned())
    .bind(person.to_string())
    .bind(now.to_rfc3339())
    .fetch_optional(&mut *conn)
    .await
}

/// A read of a full record, as the contributor sees it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Access {
    pub id: String,
    pub case_id: String,
    pub person_name: String,
    pub org_id: OrgId,
    pub org_name: String,
    pub purpose: String,
    pub at: Timestamp,
}

pub async fn accesses(
    conn: &mut AnyConnection,
    contributor: OrgId,
    case_id: Option<&str>,
) -> Result<Vec<Access>, sqlx::Error> {
    let mut sql = String::from(
        "SELECT a.id, a.case_id, p.display_name, a.org_id, o.name AS org_name, a.purpose, a.at \
         FROM case_accesses a JOIN cases c ON c.id = a.case_id JOIN people p ON p.id = a.person_id \
         JOIN organizations o ON o.id = a.org_id WHERE c.org_id = $1",
    );
    if case_id.is_some() {
        sql.push_str(" AND a.case_id = $2");
    }
    sql.push_str(" ORDER BY a.at DESC, a.id DESC LIMIT 500");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(contributor.to_string());
    if let Some(c) = case_id {
        q = q.bind(c.to_owned());
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(Access {
                id: r.try_get("id")?,
                case_id: r.try_get("case_id")?,
                person_name: r.try_get("display_name")?,
                org_id: ticorr_db::parsed(r, "org_id")?,
                org_name: r.try_get("org_name")?,
                purpose: r.try_get("purpose")?,
                at: ticorr_db::parsed(r, "at")?,
            })
        })
        .collect()
}
