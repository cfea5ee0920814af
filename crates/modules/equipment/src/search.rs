//! Equipment items in the platform's search index.
//!
//! An item is found by its tag, name, medium, location, owner, park and manufacturer, by
//! its type and grade in either language (through the vocabulary's concepts), and by the
//! damage mechanisms its recorded facts make relevant (crevices, deposits, a galvanic
//! partner …, linked in `refdata/search_vocabulary.toml`). Facets: type, grade, the
//! owner's province and industry, level, year of commissioning, mechanism, and the current
//! risk grade (`ungraded` while the consequence is not known).

use ticorr_db::Db;
use ticorr_kernel::equipment::GalvanicPartner;
use ticorr_platform::search::{BoxFuture, Doc, Source};

use crate::store::{self, SearchRow};
use crate::{EquipmentView, RECORD_KIND};

/// The facet dimensions of equipment documents.
pub const FACETS: &[&str] = &[
    "equipment_type",
    "grade",
    "region",
    "industry",
    "level",
    "year",
    "mechanism",
    "risk_grade",
];

/// The equipment registry as a search source.
#[derive(Debug, Default)]
pub struct EquipmentSource;

impl Source for EquipmentSource {
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
            let mut conn = db.pool().acquire().await?;
            let rows = store::search_rows(&mut conn, Some(ids), None, ids.len().max(1)).await?;
            Ok(rows.iter().map(document).collect())
        })
    }

    fn page<'a>(
        &'a self,
        db: &'a Db,
        after: Option<String>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Doc>, sqlx::Error>> {
        Box::pin(async move {
            let mut conn = db.pool().acquire().await?;
            let rows = store::search_rows(&mut conn, None, after.as_deref(), limit).await?;
            Ok(rows.iter().map(document).collect())
        })
    }

    fn count<'a>(&'a self, db: &'a Db) -> BoxFuture<'a, Result<u64, sqlx::Error>> {
        Box::pin(async move {
            let mut conn = db.pool().acquire().await?;
            store::count_all(&mut conn).await
        })
    }
}

/// The facts of an item that the vocabulary links to damage mechanisms.
fn facts(view: &EquipmentView) -> Vec<&'static str> {
    let e = &view.item;
    let mut out = Vec::new();
    if e.crevice_present == Some(true) {
        out.push("equipment.crevice_present");
    }
    if e.deposits_present == Some(true) {
        out.push("equipment.deposits_present");
    }
    if e.galvanic_partner
        .is_some_and(|g| g != GalvanicPartner::None)
    {
        out.push("equipment.galvanic_partner");
    }
    if e.fluoride_mg_l.is_some_and(|f| f > 0.0) {
        out.push("equipment.fluoride");
    }
    if e.cathodic_protection == Some(true) {
        out.push("equipment.cathodic_protection");
    }
    out
}

fn number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn document(row: &SearchRow) -> Doc {
    let view = &row.view;
    let e = &view.item;
    let mut body = vec![e.name.clone()];
    body.extend(e.process_medium.clone());
    body.extend(e.location.clone());
    body.push(view.owner_name.clone());
    body.extend(view.park_name.clone());
    body.extend(e.manufacturer_name.clone());
    let mut conditions = Vec::new();
    if let Some(t) = e.temperature_c {
        conditions.push(format!("{} °C", number(t)));
    }
    if let Some(c) = e.chloride_mg_l {
        conditions.push(format!("Cl⁻ {} mg/L", number(c)));
    }
    if let Some(f) = e.fluoride_mg_l {
        conditions.push(format!("F⁻ {} mg/L", number(f)));
    }
    if let Some(p) = e.ph {
        conditions.push(format!("pH {}", number(p)));
    }
    if !conditions.is_empty() {
        body.push(conditions.join(" · "));
    }

    let grade = e.grade.label();
    let mut concepts = vec![
        "material.titanium".to_owned(),
        format!("equipment_type.{}", e.equipment_type.as_str()),
        format!("grade.{}", grade.to_lowercase()),
    ];
    let facts = facts(view);
    concepts.extend(facts.iter().map(|f| (*f).to_owned()));

    let mut facets = vec![
        (
            "equipment_type".to_owned(),
            e.equipment_type.as_str().to_owned(),
        ),
        ("grade".to_owned(), grade.clone()),
        ("level".to_owned(), e.level.as_str().to_owned()),
    ];
    if let Some(region) = row.region_code.as_deref().filter(|r| r.len() >= 2) {
        facets.push(("region".to_owned(), format!("{}0000", &region[..2])));
    }
    if let Some(industry) = &row.industry_code {
        facets.push(("industry".to_owned(), industry.clone()));
    }
    if let Some(year) = e.commissioned_on.as_deref().and_then(|d| d.get(..4)) {
        facets.push(("year".to_owned(), year.to_owned()));
    }
    for mechanism in mechanisms(&facts) {
        facets.push(("mechanism".to_owned(), mechanism.to_owned()));
    }
    facets.push((
        "risk_grade".to_owned(),
        view.risk_grade
            .clone()
            .unwrap_or_else(|| "ungraded".to_owned()),
    ));

    Doc {
        doc_type: RECORD_KIND.to_owned(),
        id: e.id.to_string(),
        title: format!("{} {}", e.tag, e.name),
        body: body.join(" — "),
        keywords: vec![e.tag.clone(), grade],
        concepts,
        level: e.level.as_str().to_owned(),
        owner: Some(e.org_id.to_string()),
        parks: e.park_id.iter().map(|p| p.to_string()).collect(),
        facets,
        url: format!("/equipment/{}", e.id),
        boost: 1.0,
    }
}

/// The mechanisms (risk-model ids) the facts point to, each once.
fn mechanisms(facts: &[&str]) -> Vec<String> {
    let Ok(vocabulary) = ticorr_platform::search::vocabulary() else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for f in facts {
        for c in vocabulary.expand(f) {
            if let Some(m) = c.id.strip_prefix("mechanism.")
                && !out.iter().any(|o| o == m)
            {
                out.push(m.to_owned());
            }
        }
    }
    out
}
