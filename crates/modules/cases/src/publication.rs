//! How an original case becomes its published version: every text through the
//! desensitizer (with the identifiers the case names in its own fields found in its texts
//! too), consequences turned into bands, identifying fields withheld, and the
//! quasi-identifiers generalized until the case hides among at least k published ones.
//!
//! Pure: the caller supplies the engine, the case's pseudonym key and the classes already
//! published. The result carries two reports: the contributor's review (with the original
//! values, never shown to anyone else) and the public receipt (what was done, never what was
//! there).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ticorr_desensitize::kanon::{self, Decision, KAnonConfig, KAnonOutcome, PublishedClass};
use ticorr_desensitize::regions;
use ticorr_desensitize::{Desensitizer, DetectorKind, PseudonymKey};
use ticorr_kernel::equipment::TitaniumGrade;

use crate::model::{Details, Full, Mechanism, Published, RootCause, ValidCase};

/// Fields of the original that are never published, whatever they contain.
pub const WITHHELD: [&str; 5] = [
    "reporter",
    "reporter_phone",
    "site_address",
    "equipment_id",
    "region_code",
];

/// One redaction, as the contributor reviews it: the original value and what replaces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewItem {
    pub field: String,
    /// The detector (`person_name`, `mobile`, `org_name` …).
    pub kind: String,
    /// `suppress`, `mask`, `generalize`, `pseudonymize`.
    pub action: String,
    /// What the original said (the contributor's own data; shown to them only).
    pub original: String,
    pub replacement: String,
    pub reason: String,
}

/// One redaction as the public receipt states it: where, which detector, what was done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReceiptItem {
    pub field: String,
    pub kind: String,
    pub action: String,
}

/// A quasi-identifier generalized by the k-anonymity check, as published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Generalized {
    /// `province`, `industry`, `equipment_type`, `grade` or `year`.
    pub attribute: String,
    /// The value published.
    pub to: String,
}

/// The desensitization receipt every published case carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Receipt {
    /// The detectors the texts went through.
    pub detectors: Vec<String>,
    /// Every redaction, by field.
    pub redactions: Vec<ReceiptItem>,
    /// Fields of the original never published.
    pub withheld: Vec<String>,
    /// Values published only as bands or classes.
    pub banded: Vec<String>,
    /// The k required and the size of the case's class when it was checked.
    pub k: u64,
    pub class_size: u64,
    /// Quasi-identifiers generalized to reach k.
    pub generalized: Vec<Generalized>,
    /// Files published with their metadata (EXIF and the like) stripped.
    pub attachments_stripped: u64,
    /// Every file of the case: stripped and published, or withheld and why.
    #[serde(default)]
    pub files: Vec<crate::files::FileReceipt>,
}

/// The outcome of preparing a case for publication.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub published: Published,
    pub review: Vec<ReviewItem>,
    pub receipt: Receipt,
    pub kanon: KAnonOutcome,
}

/// The case's quasi-identifiers at their most precise.
pub fn quasi_identifiers(case: &ValidCase) -> kanon::QuasiIdentifiers {
    let province = ticorr_platform::refdata::get()
        .region(&case.region_code)
        .map(|r| r.code.clone())
        .unwrap_or_else(|| "中国".to_owned());
    kanon::QuasiIdentifiers {
        province,
        industry: case.industry_code.clone(),
        equipment_type: case.equipment_type.as_str().to_owned(),
        grade: match case.grade {
            TitaniumGrade::Other => "other_alloy".to_owned(),
            g => g.as_str().to_owned(),
        },
        year: case.failure_date.year().to_string(),
    }
}

/// The fields handed to the desensitizer, by the policy's field names where one applies
/// (so that a reporter's name is treated as a person name, the maker as an organisation,
/// the cost as money) and by the case's own names for free text.
fn fields_of(case: &ValidCase) -> BTreeMap<String, String> {
    let i = &case.input;
    let mut m = BTreeMap::new();
    let mut put = |name: &str, v: &Option<String>| {
        if let Some(v) = v {
            m.insert(name.to_owned(), v.clone());
        }
    };
    put("title_zh", &i.title_zh);
    put("title_en", &i.title_en);
    put("narrative_zh", &i.narrative_zh);
    put("narrative_en", &i.narrative_en);
    put("equipment_description", &i.equipment_description);
    // Not `location`: the policy reads a field of that name as GPS coordinates.
    put("damage_location", &i.location);
    put("morphology", &i.morphology);
    put("metallography", &i.metallography);
    put("composition", &i.composition);
    put("process_medium", &i.process_medium);
    put("direct_cause", &i.direct_cause);
    put("release", &i.release);
    put("rectification", &i.rectification);
    put("lessons_zh", &i.lessons_zh);
    put("lessons_en", &i.lessons_en);
    // Identifiers named by the case: treated as their kind and looked for in every text.
    put("manufacturer", &i.manufacturer);
    put("reporter", &i.reporter);
    put("phone", &i.reporter_phone);
    put("site_address", &i.site_address);
    if let Some(c) = i.cost_cny {
        m.insert("cost".to_owned(), format!("{c:.0}元"));
    }
    m
}

/// The case's field name for a desensitizer field name.
fn case_field(name: &str) -> &str {
    match name {
        "phone" => "reporter_phone",
        "cost" => "cost_cny",
        "damage_location" => "location",
        other => other,
    }
}

/// English names of the NBS regions the province generalizes to.
pub fn area_en(area: &str) -> &str {
    match area {
        "东部地区" => "Eastern China",
        "中部地区" => "Central China",
        "西部地区" => "Western China",
        "东北地区" => "North-eastern China",
        "港澳台地区" => "Hong Kong, Macao and Taiwan",
        "中国" => "China",
        other => regions::by_name(other).map_or(other, |p| p.name_en),
    }
}

/// Prepares `case` for publication with `mechanism` and `root_causes` as classified,
/// against the classes already `published`; with `decided`, under that k-anonymity outcome
/// instead (a case released together with others, see [`plan_release`]).
#[allow(clippy::too_many_arguments)]
pub fn prepare(
    engine: &Desensitizer,
    key: &PseudonymKey,
    case: &ValidCase,
    mechanism: Mechanism,
    root_causes: &[RootCause],
    published: &[PublishedClass],
    k: u64,
    decided: Option<KAnonOutcome>,
) -> Result<Prepared, kanon::KAnonError> {
    let fields = fields_of(case);
    let redacted = engine.desensitize_fields(&fields, key);
    let mut review = Vec::new();
    let mut receipt_items = Vec::new();
    for r in &redacted.redactions {
        let field = case_field(&r.field).to_owned();
        let original: String = fields
            .get(&r.field)
            .map(|v| {
                v.chars()
                    .skip(r.redaction.char_start)
                    .take(r.redaction.char_end - r.redaction.char_start)
                    .collect()
            })
            .unwrap_or_default();
        let kind = serde_json::to_value(r.redaction.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let action = r.redaction.action.as_str().to_owned();
        review.push(ReviewItem {
            field: field.clone(),
            kind: kind.clone(),
            action: action.clone(),
            original,
            replacement: r.redaction.replacement.clone(),
            reason: r.redaction.reason.clone(),
        });
        if !WITHHELD.contains(&field.as_str()) {
            receipt_items.push(ReceiptItem {
                field,
                kind,
                action,
            });
        }
    }
    let out = |name: &str| redacted.fields.get(name).cloned();

    let record = quasi_identifiers(case);
    let config = KAnonConfig {
        k,
        ..KAnonConfig::default()
    };
    let outcome = match decided {
        None => kanon::check(&record, published, &config)?,
        Some(o) => o,
    };
    let t = &outcome.tuple;
    let attributes = [
        ("province", &record.province, &t.province),
        ("industry", &record.industry, &t.industry),
        ("equipment_type", &record.equipment_type, &t.equipment_type),
        ("grade", &record.grade, &t.grade),
        ("year", &record.year, &t.year),
    ];
    let generalized: Vec<Generalized> = attributes
        .iter()
        .zip(outcome.levels)
        .filter(|(_, level)| *level > 0)
        .map(|((attribute, _, to), _)| Generalized {
            attribute: (*attribute).to_owned(),
            to: (*to).clone(),
        })
        .collect();
    // The exact province reads only at level 0; elsewhere the texts must not name it either
    // (the address rule generalizes addresses to the province).
    let province = ticorr_platform::refdata::get().region(&case.region_code);
    let hide_province = |text: Option<String>| -> Option<String> {
        match (text, province) {
            (Some(s), Some(p)) if outcome.levels[0] > 0 => {
                let area = &t.province;
                Some(
                    s.replace(&p.name_zh, area)
                        .replace(&p.name_zh_short, area)
                        .replace(&p.name_en, area_en(area)),
                )
            }
            (s, _) => s,
        }
    };
    let period = if outcome.levels[4] == 0 {
        format!(
            "{:04}-{:02}",
            case.failure_date.year(),
            u8::from(case.failure_date.month())
        )
    } else {
        t.year.clone()
    };
    let narrative_zh = hide_province(out("narrative_zh"));
    let narrative_en = hide_province(out("narrative_en"));
    let i = &case.input;
    let mut banded = Vec::new();
    if i.downtime_days.is_some() {
        banded.push("downtime_days".to_owned());
    }
    if i.cost_cny.is_some() {
        banded.push("cost_cny".to_owned());
    }
    if i.injuries.is_some() {
        banded.push("injuries".to_owned());
    }
    if i.failure_date.len() == 10 {
        banded.push("failure_date".to_owned());
    }
    let withheld: Vec<String> = WITHHELD
        .iter()
        .filter(|f| match **f {
            "reporter" => i.reporter.is_some(),
            "reporter_phone" => i.reporter_phone.is_some(),
            "site_address" => i.site_address.is_some(),
            "equipment_id" => i.equipment_id.is_some(),
            _ => true,
        })
        .map(|f| (*f).to_owned())
        .collect();
    let published = Published {
        title_zh: hide_province(out("title_zh")),
        title_en: hide_province(out("title_en")),
        period,
        province: t.province.clone(),
        industry: t.industry.clone(),
        equipment_type: t.equipment_type.clone(),
        grade: t.grade.clone(),
        mechanism,
        root_causes: root_causes.to_vec(),
        summary_zh: narrative_zh
            .as_deref()
            .map(|n| crate::model::summary_of(n, 160)),
        summary_en: narrative_en
            .as_deref()
            .map(|n| crate::model::summary_of(n, 240)),
        details: Details {
            equipment_description: hide_province(out("equipment_description")),
            years_in_service: i.years_in_service,
            location: hide_province(out("damage_location")),
            morphology: hide_province(out("morphology")),
            process_medium: hide_province(out("process_medium")),
            temperature_c: i.temperature_c,
            chloride_mg_l: i.chloride_mg_l,
            fluoride_mg_l: i.fluoride_mg_l,
            ph: i.ph,
            velocity_m_s: i.velocity_m_s,
            crevice_present: i.crevice_present,
            deposits_present: i.deposits_present,
            direct_cause: hide_province(out("direct_cause")),
            rectification: hide_province(out("rectification")),
            rectification_outcome: case.outcome,
            lessons_zh: hide_province(out("lessons_zh")),
            lessons_en: hide_province(out("lessons_en")),
            narrative_zh,
            narrative_en,
        },
        full: Full {
            manufacturer: out("manufacturer"),
            max_depth_mm: i.max_depth_mm,
            remaining_thickness_mm: i.remaining_thickness_mm,
            hydrogen_ppm: i.hydrogen_ppm,
            metallography: hide_province(out("metallography")),
            composition: hide_province(out("composition")),
            downtime: i
                .downtime_days
                .map(|d| crate::model::downtime_band(d).to_owned()),
            cost: out("cost"),
            release: hide_province(out("release")),
            injuries: i
                .injuries
                .map(|n| if n == 0 { "none" } else { "some" }.to_owned()),
        },
    };
    let receipt = Receipt {
        detectors: DetectorKind::ALL
            .iter()
            .filter_map(|k| {
                serde_json::to_value(k)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
            })
            .collect(),
        redactions: receipt_items,
        withheld,
        banded,
        k,
        class_size: outcome.class_size,
        generalized,
        attachments_stripped: 0,
        files: vec![],
    };
    Ok(Prepared {
        published,
        review,
        receipt,
        kanon: outcome,
    })
}

/// Puts the contributor's rewritten texts in place of the prepared ones (hiding the
/// province there too when it was generalized).
pub fn apply_edits(p: &mut Prepared, case: &ValidCase, edits: &BTreeMap<String, String>) {
    let province = ticorr_platform::refdata::get().region(&case.region_code);
    let area = p.kanon.tuple.province.clone();
    let generalized = p.kanon.levels[0] > 0;
    for (field, text) in edits {
        let text = match province {
            Some(pr) if generalized => text
                .replace(&pr.name_zh, &area)
                .replace(&pr.name_zh_short, &area)
                .replace(&pr.name_en, area_en(&area)),
            _ => text.clone(),
        };
        if let Some(slot) = text_mut(&mut p.published, field) {
            *slot = (!text.is_empty()).then_some(text);
        }
    }
    if edits.contains_key("narrative_zh") {
        p.published.summary_zh = p
            .published
            .details
            .narrative_zh
            .as_deref()
            .map(|n| crate::model::summary_of(n, 160));
    }
    if edits.contains_key("narrative_en") {
        p.published.summary_en = p
            .published
            .details
            .narrative_en
            .as_deref()
            .map(|n| crate::model::summary_of(n, 240));
    }
}

/// The identifiers the engine still finds in a text (kinds the policy does not keep), as
/// labels for an error message. Pseudonyms and placeholders the platform wrote are not
/// identifiers.
pub fn identifiers_in(engine: &Desensitizer, text: &str) -> Vec<String> {
    let mut out: Vec<String> = engine
        .detect(text)
        .into_iter()
        .filter(|d| engine.policy().action(d.kind) != ticorr_desensitize::policy::Action::Keep)
        .map(|d| {
            let label = serde_json::to_value(d.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("{label} “{}”", &text[d.start..d.end])
        })
        .collect();
    out.dedup();
    out
}

/// Which of `candidates` (cases approved for publication, at their precise
/// quasi-identifiers) may be published now, together, against the `published` classes.
///
/// Each candidate is checked against the published classes and every other remaining
/// candidate; those that cannot reach k drop out and the rest are checked again. Then the
/// release is verified as it would be seen: every remaining candidate at its generalized
/// tuple must sit in a class of at least k among the published ones and the others'
/// generalized tuples; any that does not drops out and everything is decided again. So a
/// new platform publishes its first cases once k similar ones are approved, and a batch
/// never publishes a case its own members do not cover. `None`: stays held.
pub fn plan_release(
    published: &[PublishedClass],
    candidates: &[kanon::QuasiIdentifiers],
    k: u64,
) -> Result<Vec<Option<KAnonOutcome>>, kanon::KAnonError> {
    let config = KAnonConfig {
        k,
        ..KAnonConfig::default()
    };
    let exact = KAnonConfig {
        k,
        ceilings: [0; 5],
    };
    let mut active = vec![true; candidates.len()];
    loop {
        let mut all = published.to_vec();
        all.extend(
            candidates
                .iter()
                .zip(&active)
                .filter(|(_, a)| **a)
                .map(|(c, _)| PublishedClass {
                    tuple: c.clone(),
                    count: 1,
                }),
        );
        let index = kanon::Published::new(&all)?;
        let mut outcomes: Vec<Option<KAnonOutcome>> = vec![None; candidates.len()];
        let mut dropped = false;
        for (i, c) in candidates.iter().enumerate() {
            if !active[i] {
                continue;
            }
            let o = index.check_member(c, &config)?;
            if o.decision == Decision::Publish {
                outcomes[i] = Some(o);
            } else {
                active[i] = false;
                dropped = true;
            }
        }
        if dropped {
            continue;
        }
        // Settle: every case at its generalized tuple must sit in a class of k among the
        // published ones and the others' tuples. One that does not is decided again against
        // the release as it stands (which may generalize it further), or drops out; repeat
        // until nothing changes (bounded: a case still moving after that drops out).
        for round in 0.. {
            let mut release = published.to_vec();
            release.extend(outcomes.iter().flatten().map(|o| PublishedClass {
                tuple: o.tuple.clone(),
                count: 1,
            }));
            let index = kanon::Published::new(&release)?;
            let mut changed = false;
            for (i, slot) in outcomes.iter_mut().enumerate() {
                let Some(outcome) = slot else { continue };
                let seen = index.check_member(&outcome.tuple, &exact)?;
                if seen.class_size >= k {
                    outcome.class_size = seen.class_size;
                    continue;
                }
                changed = true;
                let again = index.check_member(&candidates[i], &config)?;
                if again.decision == Decision::Publish && round < 20 {
                    *outcome = again;
                } else {
                    *slot = None;
                    active[i] = false;
                    dropped = true;
                }
            }
            if !changed {
                break;
            }
        }
        if !dropped {
            return Ok(outcomes);
        }
    }
}

/// Whether the k-anonymity check lets the case be published now.
pub fn publishable(p: &Prepared) -> bool {
    p.kanon.decision == Decision::Publish
}

/// Texts of a published case a contributor may rewrite before confirming, by name.
pub const EDITABLE: [&str; 15] = [
    "title_zh",
    "title_en",
    "narrative_zh",
    "narrative_en",
    "equipment_description",
    "location",
    "morphology",
    "metallography",
    "composition",
    "process_medium",
    "direct_cause",
    "release",
    "rectification",
    "lessons_zh",
    "lessons_en",
];

/// The published text named `field` (one of [`EDITABLE`]), for editing.
pub fn text_mut<'a>(p: &'a mut Published, field: &str) -> Option<&'a mut Option<String>> {
    Some(match field {
        "title_zh" => &mut p.title_zh,
        "title_en" => &mut p.title_en,
        "narrative_zh" => &mut p.details.narrative_zh,
        "narrative_en" => &mut p.details.narrative_en,
        "equipment_description" => &mut p.details.equipment_description,
        "location" => &mut p.details.location,
        "morphology" => &mut p.details.morphology,
        "metallography" => &mut p.full.metallography,
        "composition" => &mut p.full.composition,
        "process_medium" => &mut p.details.process_medium,
        "direct_cause" => &mut p.details.direct_cause,
        "release" => &mut p.full.release,
        "rectification" => &mut p.details.rectification,
        "lessons_zh" => &mut p.details.lessons_zh,
        "lessons_en" => &mut p.details.lessons_en,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CaseInput;
    use ticorr_desensitize::{OrgDictionary, Policy};

    fn engine() -> Desensitizer {
        Desensitizer::new(
            Policy::default_for_failure_cases(),
            OrgDictionary::new(vec!["宁海氯碱化工有限公司".to_owned()]),
        )
        .unwrap()
    }

    fn case() -> ValidCase {
        CaseInput {
            title_zh: Some("宁海氯碱化工有限公司板式换热器缝隙腐蚀".into()),
            failure_date: "2024-05-20".into(),
            region_code: Some("330226".into()),
            industry_code: Some("2612".into()),
            equipment_type: "plate_heat_exchanger".into(),
            grade: "2".into(),
            narrative_zh: Some(
                "2024年5月，设备科张建国工程师发现板片垫片下方泄漏，联系电话13812345678。".into(),
            ),
            reporter: Some("张建国".into()),
            reporter_phone: Some("13812345678".into()),
            cost_cny: Some(1_250_000.0),
            location: Some("板片密封垫片下方".into()),
            injuries: Some(2),
            downtime_days: Some(12.0),
            ..CaseInput::default()
        }
        .validate(time::macros::date!(2026 - 01 - 01), "330000", None)
        .unwrap()
    }

    #[test]
    fn identifiers_named_by_the_case_leave_every_published_text() {
        let p = prepare(
            &engine(),
            &PseudonymKey::new(vec![7u8; 32]),
            &case(),
            Mechanism::CreviceHotChloride,
            &[RootCause::DesignMaterial],
            &[],
            1,
            None,
        )
        .unwrap();
        let json = serde_json::to_string(&p.published).unwrap();
        for planted in ["张建国", "13812345678", "宁海氯碱化工有限公司", "1250000"] {
            assert!(!json.contains(planted), "{planted} published: {json}");
        }
        assert!(p.review.iter().any(|r| r.original == "张建国"));
        // The receipt says what was done, never what was there.
        let receipt = serde_json::to_string(&p.receipt).unwrap();
        assert!(!receipt.contains("张建国") && !receipt.contains("13812345678"));
        assert_eq!(p.published.full.injuries.as_deref(), Some("some"));
        // Where on the equipment is technical content, not a place to hide.
        assert_eq!(
            p.published.details.location.as_deref(),
            Some("板片密封垫片下方")
        );
        assert_eq!(p.published.full.downtime.as_deref(), Some("7–30 d"));
        assert_eq!(p.published.period, "2024-05");
    }

    #[test]
    fn a_case_alone_in_its_class_is_held_back_and_blurred_among_others() {
        let engine = engine();
        let key = PseudonymKey::new(vec![7u8; 32]);
        let alone = prepare(&engine, &key, &case(), Mechanism::Other, &[], &[], 5, None).unwrap();
        assert!(!publishable(&alone));
        // Four published Gr2 plate exchangers in Jiangsu: the Zhejiang case joins them as an
        // eastern-China case, and the texts no longer name its province.
        let others = [PublishedClass {
            tuple: kanon::QuasiIdentifiers {
                province: "320000".into(),
                industry: "2612".into(),
                equipment_type: "plate_heat_exchanger".into(),
                grade: "2".into(),
                year: "2024".into(),
            },
            count: 4,
        }];
        let mut c = case();
        c.input.narrative_zh = Some("浙江省某厂板片泄漏。".into());
        let p = prepare(&engine, &key, &c, Mechanism::Other, &[], &others, 5, None).unwrap();
        assert!(publishable(&p));
        assert_eq!(p.published.province, "东部地区");
        assert_eq!(p.receipt.class_size, 5);
        let narrative = p.published.details.narrative_zh.unwrap();
        assert!(!narrative.contains("浙江"), "{narrative}");
    }

    fn tuple(province: &str, year: &str) -> kanon::QuasiIdentifiers {
        kanon::QuasiIdentifiers {
            province: province.into(),
            industry: "2612".into(),
            equipment_type: "plate_heat_exchanger".into(),
            grade: "2".into(),
            year: year.into(),
        }
    }

    #[test]
    fn cases_released_together_cover_each_other_and_no_fewer_than_k_publish() {
        // Five alike: each hides among the other four, at the precise values.
        let alike = vec![tuple("330000", "2024"); 5];
        let plan = plan_release(&[], &alike, 5).unwrap();
        assert!(
            plan.iter()
                .all(|o| o.as_ref().is_some_and(|o| o.levels == [0; 5]))
        );
        // Four alike and one from Jiangsu: all publish, generalized until the five meet.
        let mut mixed = vec![tuple("330000", "2024"); 4];
        mixed.push(tuple("320000", "2024"));
        let plan = plan_release(&[], &mixed, 5).unwrap();
        for o in &plan {
            let o = o.as_ref().expect("published");
            assert_eq!(o.tuple.province, "东部地区");
            assert!(o.class_size >= 5);
        }
        // Three cannot make a class of five: all stay held.
        let few = vec![tuple("330000", "2024"); 3];
        assert!(
            plan_release(&[], &few, 5)
                .unwrap()
                .iter()
                .all(Option::is_none)
        );
        // With five published alike, a single new one joins them.
        let published = [PublishedClass {
            tuple: tuple("330000", "2024"),
            count: 5,
        }];
        let one = plan_release(&published, &[tuple("330000", "2024")], 5).unwrap();
        assert_eq!(one[0].as_ref().unwrap().class_size, 6);
    }
}
