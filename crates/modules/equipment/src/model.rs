//! What an equipment item is, and how input becomes one.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use ticorr_kernel::equipment::{EquipmentType, GalvanicPartner, TitaniumGrade};
use ticorr_kernel::{EquipmentId, FieldErrors, Level, OrgId, OrgKind, Timestamp};
use ticorr_platform::identity::orgs;

/// A registered item. Operating-condition fields carry the risk model's input names and
/// units (`refdata/risk_model.json`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Equipment {
    pub id: EquipmentId,
    /// The owning organisation.
    pub org_id: OrgId,
    /// `private` (L1, the default) or `park` (L2, shared with the park).
    pub level: Level,
    /// The park the item is located in (required when shared with the park).
    pub park_id: Option<OrgId>,
    /// The plant's own tag number, unique within the organisation (e.g. `E-101`).
    pub tag: String,
    pub name: String,
    pub equipment_type: EquipmentType,
    /// ASTM grade number of the wetted titanium (risk model input `grade`).
    pub grade: TitaniumGrade,
    /// The maker, when it is a registered manufacturer.
    pub manufacturer_org_id: Option<OrgId>,
    /// The maker's name as written by the owner (or the registered maker's name).
    pub manufacturer_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub commissioned_on: Option<String>,
    pub process_medium: Option<String>,
    /// Where in the plant the item stands.
    pub location: Option<String>,
    /// Maximum metal temperature of the wetted surface, °C.
    pub temperature_c: Option<f64>,
    /// Operating pressure, MPa (gauge).
    pub pressure_mpa: Option<f64>,
    /// Chloride (or total halide other than fluoride), mg/L.
    pub chloride_mg_l: Option<f64>,
    /// Free fluoride, mg/L.
    pub fluoride_mg_l: Option<f64>,
    /// Bulk pH of the aqueous phase.
    pub ph: Option<f64>,
    /// Flow velocity, m/s.
    pub velocity_m_s: Option<f64>,
    /// Electrically connected, more active metal wetted by the same electrolyte.
    pub galvanic_partner: Option<GalvanicPartner>,
    /// Whether cathodic protection or sacrificial anodes act on the item.
    pub cathodic_protection: Option<bool>,
    /// Most negative potential imposed on titanium by CP or anodes, V vs SCE.
    pub cp_potential_v_sce: Option<f64>,
    /// Gaskets, tube-to-tubesheet crevices, flange faces, lap joints.
    pub crevice_present: Option<bool>,
    /// Scale, sludge or fouling on the titanium surface.
    pub deposits_present: Option<bool>,
    /// The risk model's other inputs (hydrofluoric acid, HCl normality, chlorine gas,
    /// methanol service …), by the model's names and units.
    #[schema(value_type = Object)]
    pub service_conditions: serde_json::Map<String, serde_json::Value>,
    /// The hazard of the medium if it escapes (`refdata/risk_consequence.json`).
    pub medium_hazard: Option<String>,
    /// How often people are near the item.
    pub people_nearby: Option<String>,
    /// Estimated cost of one failure (repair or replacement and lost production), USD.
    pub failure_cost_usd: Option<f64>,
    /// The consequence category A-E when the owner states it instead.
    pub consequence_category: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Increases with every change; send it back to refuse lost updates.
    pub version: i64,
}

impl Equipment {
    /// The item's conditions as risk-model inputs, by the model's own names; values not
    /// known are left out, so the risk engine can flag its assessment as incomplete. An
    /// item known to have no cathodic protection gives the CP potential as `null`, which
    /// the model reads as "none".
    pub fn risk_inputs(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        if self.grade != TitaniumGrade::Other {
            m.insert("grade".into(), self.grade.as_str().into());
        }
        let numbers = [
            ("temperature_c", self.temperature_c),
            ("ph", self.ph),
            ("chloride_mg_l", self.chloride_mg_l),
            ("fluoride_mg_l", self.fluoride_mg_l),
            ("velocity_m_s", self.velocity_m_s),
            ("cp_potential_v_sce", self.cp_potential_v_sce),
        ];
        for (k, v) in numbers {
            if let Some(v) = v {
                m.insert(k.into(), v.into());
            }
        }
        let flags = [
            ("crevice_present", self.crevice_present),
            ("deposits_present", self.deposits_present),
        ];
        for (k, v) in flags {
            if let Some(v) = v {
                m.insert(k.into(), v.into());
            }
        }
        if let Some(g) = self.galvanic_partner {
            m.insert("galvanic_partner".into(), g.as_str().into());
        }
        // Without cathodic protection there is no CP potential: the model's `null`.
        if self.cathodic_protection == Some(false) && self.cp_potential_v_sce.is_none() {
            m.insert("cp_potential_v_sce".into(), serde_json::Value::Null);
        }
        for (k, v) in &self.service_conditions {
            m.insert(k.clone(), v.clone());
        }
        m
    }

    /// The item as input again (for merge patches and exports).
    pub fn to_input(&self) -> EquipmentInput {
        EquipmentInput {
            tag: self.tag.clone(),
            name: self.name.clone(),
            equipment_type: self.equipment_type.as_str().to_owned(),
            grade: self.grade.as_str().to_owned(),
            level: Some(self.level.as_str().to_owned()),
            park_id: self.park_id.map(|p| p.to_string()),
            manufacturer_org_id: self.manufacturer_org_id.map(|m| m.to_string()),
            manufacturer_name: if self.manufacturer_org_id.is_some() {
                None
            } else {
                self.manufacturer_name.clone()
            },
            commissioned_on: self.commissioned_on.clone(),
            process_medium: self.process_medium.clone(),
            location: self.location.clone(),
            temperature_c: self.temperature_c,
            pressure_mpa: self.pressure_mpa,
            chloride_mg_l: self.chloride_mg_l,
            fluoride_mg_l: self.fluoride_mg_l,
            ph: self.ph,
            velocity_m_s: self.velocity_m_s,
            galvanic_partner: self.galvanic_partner.map(|g| g.as_str().to_owned()),
            cathodic_protection: self.cathodic_protection,
            cp_potential_v_sce: self.cp_potential_v_sce,
            crevice_present: self.crevice_present,
            deposits_present: self.deposits_present,
            service_conditions: (!self.service_conditions.is_empty())
                .then(|| self.service_conditions.clone()),
            medium_hazard: self.medium_hazard.clone(),
            people_nearby: self.people_nearby.clone(),
            failure_cost_usd: self.failure_cost_usd,
            consequence_category: self.consequence_category.clone(),
        }
    }
}

/// An item as submitted (API body, form, spreadsheet row), before validation. Closed
/// vocabularies arrive as text so that a wrong value gets a message naming the allowed ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EquipmentInput {
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub name: String,
    /// One of the equipment types.
    #[serde(default)]
    pub equipment_type: String,
    /// `1`, `2`, `7`, `11`, `12`, `16`, `17`, `26` (also written `Gr2`, `Grade 2`) or `other`.
    #[serde(default)]
    pub grade: String,
    /// `private` (default) or `park`.
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub park_id: Option<String>,
    #[serde(default)]
    pub manufacturer_org_id: Option<String>,
    #[serde(default)]
    pub manufacturer_name: Option<String>,
    #[serde(default)]
    pub commissioned_on: Option<String>,
    #[serde(default)]
    pub process_medium: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub temperature_c: Option<f64>,
    #[serde(default)]
    pub pressure_mpa: Option<f64>,
    #[serde(default)]
    pub chloride_mg_l: Option<f64>,
    #[serde(default)]
    pub fluoride_mg_l: Option<f64>,
    #[serde(default)]
    pub ph: Option<f64>,
    #[serde(default)]
    pub velocity_m_s: Option<f64>,
    #[serde(default)]
    pub galvanic_partner: Option<String>,
    #[serde(default)]
    pub cathodic_protection: Option<bool>,
    #[serde(default)]
    pub cp_potential_v_sce: Option<f64>,
    #[serde(default)]
    pub crevice_present: Option<bool>,
    #[serde(default)]
    pub deposits_present: Option<bool>,
    /// The risk model's other inputs by its names (`hf_wt_pct`, `chlorine_gas` …).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub service_conditions: Option<serde_json::Map<String, serde_json::Value>>,
    /// `non_hazardous`, `hazardous`, `flammable` or `toxic`.
    #[serde(default)]
    pub medium_hazard: Option<String>,
    /// `rarely`, `occasionally` or `continuously`.
    #[serde(default)]
    pub people_nearby: Option<String>,
    /// Estimated cost of one failure, USD.
    #[serde(default)]
    pub failure_cost_usd: Option<f64>,
    /// `A` to `E`, when the owner states the consequence category.
    #[serde(default)]
    pub consequence_category: Option<String>,
}

/// How a field is written in forms and spreadsheets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Number,
    Flag,
    Date,
}

/// One input field: its name in the API, the spreadsheet header (with the Chinese
/// header accepted on import), its kind and, for numbers, the plausibility bounds.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    /// Chinese column header accepted on import.
    pub header_zh: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    /// Kept among the item's `service_conditions` (a risk-model input without a column).
    pub condition: bool,
    /// Bounds that catch unit and typing mistakes (a temperature in °F, a concentration
    /// in g/L). They are physical plausibility limits, not corrosion thresholds.
    pub bounds: Option<(f64, f64)>,
}

const fn field(
    name: &'static str,
    header_zh: &'static str,
    kind: FieldKind,
    required: bool,
    bounds: Option<(f64, f64)>,
) -> Field {
    Field {
        name,
        header_zh,
        kind,
        required,
        condition: false,
        bounds,
    }
}

/// A risk-model input kept among the item's `service_conditions`; its limits are the
/// risk engine's.
const fn condition(name: &'static str, header_zh: &'static str, kind: FieldKind) -> Field {
    Field {
        name,
        header_zh,
        kind,
        required: false,
        condition: true,
        bounds: None,
    }
}

/// Every input field, in the order of forms and spreadsheet columns.
pub const FIELDS: &[Field] = &[
    field("tag", "位号", FieldKind::Text, true, None),
    field("name", "名称", FieldKind::Text, true, None),
    field("equipment_type", "设备类型", FieldKind::Text, true, None),
    field("grade", "钛材牌号", FieldKind::Text, true, None),
    field("level", "数据级别", FieldKind::Text, false, None),
    field("park_id", "所在园区", FieldKind::Text, false, None),
    field(
        "manufacturer_org_id",
        "制造商编号",
        FieldKind::Text,
        false,
        None,
    ),
    field("manufacturer_name", "制造商", FieldKind::Text, false, None),
    field("commissioned_on", "投用日期", FieldKind::Date, false, None),
    field("process_medium", "工艺介质", FieldKind::Text, false, None),
    field("location", "安装位置", FieldKind::Text, false, None),
    field(
        "temperature_c",
        "温度_c",
        FieldKind::Number,
        false,
        Some((-60.0, 600.0)),
    ),
    field(
        "pressure_mpa",
        "压力_mpa",
        FieldKind::Number,
        false,
        Some((-0.1, 100.0)),
    ),
    field(
        "chloride_mg_l",
        "氯离子_mg_l",
        FieldKind::Number,
        false,
        Some((0.0, 1_000_000.0)),
    ),
    field(
        "fluoride_mg_l",
        "氟离子_mg_l",
        FieldKind::Number,
        false,
        Some((0.0, 1_000_000.0)),
    ),
    field("ph", "ph", FieldKind::Number, false, Some((-2.0, 16.0))),
    field(
        "velocity_m_s",
        "流速_m_s",
        FieldKind::Number,
        false,
        Some((0.0, 50.0)),
    ),
    field(
        "galvanic_partner",
        "电偶接触金属",
        FieldKind::Text,
        false,
        None,
    ),
    field(
        "cathodic_protection",
        "阴极保护",
        FieldKind::Flag,
        false,
        None,
    ),
    field(
        "cp_potential_v_sce",
        "保护电位_v_sce",
        FieldKind::Number,
        false,
        Some((-3.0, 3.0)),
    ),
    field("crevice_present", "存在缝隙", FieldKind::Flag, false, None),
    field(
        "deposits_present",
        "存在沉积物",
        FieldKind::Flag,
        false,
        None,
    ),
    condition("hf_wt_pct", "氢氟酸_wt_pct", FieldKind::Number),
    condition("hcl_normality", "盐酸浓度_n", FieldKind::Number),
    condition(
        "oxidizing_species_present",
        "酸中存在氧化性物质",
        FieldKind::Flag,
    ),
    condition(
        "complexing_cations_al_fe3",
        "存在铝铁络合离子",
        FieldKind::Flag,
    ),
    condition("h2s_high", "高硫化氢", FieldKind::Flag),
    condition("solids_present", "含磨蚀性固体", FieldKind::Flag),
    condition(
        "anode_to_cathode_area_ratio",
        "阳极阴极面积比",
        FieldKind::Number,
    ),
    condition(
        "anodic_or_stray_current",
        "阳极极化或杂散电流",
        FieldKind::Flag,
    ),
    condition("chlorine_gas", "氯气工况", FieldKind::Flag),
    condition(
        "water_in_chlorine_wt_pct",
        "氯气含水_wt_pct",
        FieldKind::Number,
    ),
    condition("methanol_service", "甲醇工况", FieldKind::Flag),
    condition(
        "acid_halide_in_methanol",
        "甲醇含酸或卤化物",
        FieldKind::Flag,
    ),
    condition(
        "water_in_methanol_wt_pct",
        "甲醇含水_wt_pct",
        FieldKind::Number,
    ),
    condition(
        "rfna_or_n2o4_service",
        "红烟硝酸或四氧化二氮工况",
        FieldKind::Flag,
    ),
    condition(
        "oxygen_partial_pressure_kpa",
        "氧分压_kpa",
        FieldKind::Number,
    ),
    condition(
        "general_corrosion_rate_mm_y",
        "均匀腐蚀速率_mm_y",
        FieldKind::Number,
    ),
    field("medium_hazard", "介质危害", FieldKind::Text, false, None),
    field("people_nearby", "附近人员", FieldKind::Text, false, None),
    field(
        "failure_cost_usd",
        "失效损失_usd",
        FieldKind::Number,
        false,
        Some((0.0, 1.0e12)),
    ),
    field(
        "consequence_category",
        "后果等级",
        FieldKind::Text,
        false,
        None,
    ),
];

pub fn field_named(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

/// An input that passed validation, ready to store.
#[derive(Debug, Clone)]
pub struct ValidEquipment {
    pub tag: String,
    pub name: String,
    pub equipment_type: EquipmentType,
    pub grade: TitaniumGrade,
    pub level: Level,
    pub park_id: Option<OrgId>,
    pub manufacturer_org_id: Option<OrgId>,
    pub manufacturer_name: Option<String>,
    pub commissioned_on: Option<String>,
    pub process_medium: Option<String>,
    pub location: Option<String>,
    pub temperature_c: Option<f64>,
    pub pressure_mpa: Option<f64>,
    pub chloride_mg_l: Option<f64>,
    pub fluoride_mg_l: Option<f64>,
    pub ph: Option<f64>,
    pub velocity_m_s: Option<f64>,
    pub galvanic_partner: Option<GalvanicPartner>,
    pub cathodic_protection: Option<bool>,
    pub cp_potential_v_sce: Option<f64>,
    pub crevice_present: Option<bool>,
    pub deposits_present: Option<bool>,
    pub service_conditions: serde_json::Map<String, serde_json::Value>,
    pub medium_hazard: Option<String>,
    pub people_nearby: Option<String>,
    pub failure_cost_usd: Option<f64>,
    pub consequence_category: Option<String>,
}

fn text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
    required: bool,
) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty());
    match v {
        None if required => {
            errors.add(field, "required", "this field is required");
            None
        }
        None => None,
        Some(v) if v.chars().count() > max => {
            errors.add(field, "too_long", format!("use at most {max} characters"));
            None
        }
        Some(v) => Some(v.to_owned()),
    }
}

fn number(errors: &mut FieldErrors, name: &str, value: Option<f64>) -> Option<f64> {
    let v = value?;
    let f = field_named(name).expect("every number has a field");
    if !v.is_finite() {
        errors.add(name, "not_a_number", "enter a number");
        return None;
    }
    if let Some((lo, hi)) = f.bounds
        && (v < lo || v > hi)
    {
        errors.add(
            name,
            "out_of_range",
            format!("must be between {lo} and {hi}; check the unit"),
        );
        return None;
    }
    Some(v)
}

fn vocab<T: std::str::FromStr>(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    required: bool,
) -> Option<T>
where
    T::Err: std::fmt::Display,
{
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => {
            if required {
                errors.add(field, "required", "this field is required");
            }
            None
        }
        Some(v) => match v.parse::<T>() {
            Ok(t) => Some(t),
            Err(e) => {
                errors.add(field, "unknown_value", e.to_string());
                None
            }
        },
    }
}

/// A calendar date `YYYY-MM-DD` from 1950 on.
fn date(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    today: time::Date,
) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(v, &format) {
        Ok(d) if d.year() < 1950 => {
            errors.add(field, "out_of_range", "enter a date from 1950 on");
            None
        }
        Ok(d) if d > today => {
            errors.add(
                field,
                "in_future",
                "the commissioning date cannot be in the future",
            );
            None
        }
        Ok(d) => Some(d.format(&format).expect("valid date formats")),
        Err(_) => {
            errors.add(
                field,
                "invalid",
                "write the date as YYYY-MM-DD, e.g. 2019-06-30",
            );
            None
        }
    }
}

/// Validates an input for the organisation `owner`, collecting every problem. `today`
/// bounds the commissioning date.
pub async fn validate(
    conn: &mut AnyConnection,
    owner: OrgId,
    input: &EquipmentInput,
    today: time::Date,
) -> Result<ValidEquipment, FieldErrors> {
    let mut e = FieldErrors::new();
    let tag = text(&mut e, "tag", Some(&input.tag), 50, true);
    let name = text(&mut e, "name", Some(&input.name), 200, true);
    let equipment_type =
        vocab::<EquipmentType>(&mut e, "equipment_type", Some(&input.equipment_type), true);
    let grade = vocab::<TitaniumGrade>(&mut e, "grade", Some(&input.grade), true);
    let level = match vocab::<Level>(&mut e, "level", input.level.as_deref(), false) {
        None => Level::Private,
        Some(l @ (Level::Private | Level::Park)) => l,
        Some(_) => {
            e.add(
                "level",
                "not_allowed",
                "equipment is kept private (L1) or shared with its park (L2)",
            );
            Level::Private
        }
    };
    let mut park_id = None;
    if let Some(raw) = input
        .park_id
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let parks = orgs::parks_of(conn, owner).await.unwrap_or_default();
        match raw.parse::<OrgId>() {
            Ok(p) if parks.contains(&p) => park_id = Some(p),
            _ => e.add(
                "park_id",
                "unknown_value",
                "choose one of the parks your organisation is settled in",
            ),
        }
    }
    if level == Level::Park && park_id.is_none() && !e.has("park_id") {
        e.add(
            "park_id",
            "required",
            "to share an item with a park, say which park it is in",
        );
    }
    let mut manufacturer_org_id = None;
    let mut manufacturer_name = text(
        &mut e,
        "manufacturer_name",
        input.manufacturer_name.as_deref(),
        200,
        false,
    );
    if let Some(raw) = input
        .manufacturer_org_id
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let found = match raw.parse::<OrgId>() {
            Ok(id) => orgs::load(conn, id)
                .await
                .ok()
                .flatten()
                .filter(|o| o.kind == OrgKind::Manufacturer && o.verified()),
            Err(_) => None,
        };
        match found {
            Some(o) => {
                manufacturer_org_id = Some(o.id);
                manufacturer_name = Some(o.name);
            }
            None => e.add(
                "manufacturer_org_id",
                "unknown_value",
                "not a registered, verified manufacturer",
            ),
        }
    }
    let commissioned_on = date(
        &mut e,
        "commissioned_on",
        input.commissioned_on.as_deref(),
        today,
    );
    let process_medium = text(
        &mut e,
        "process_medium",
        input.process_medium.as_deref(),
        200,
        false,
    );
    let location = text(&mut e, "location", input.location.as_deref(), 200, false);
    let temperature_c = number(&mut e, "temperature_c", input.temperature_c);
    let pressure_mpa = number(&mut e, "pressure_mpa", input.pressure_mpa);
    let chloride_mg_l = number(&mut e, "chloride_mg_l", input.chloride_mg_l);
    let fluoride_mg_l = number(&mut e, "fluoride_mg_l", input.fluoride_mg_l);
    let ph = number(&mut e, "ph", input.ph);
    let velocity_m_s = number(&mut e, "velocity_m_s", input.velocity_m_s);
    let galvanic_partner = vocab::<GalvanicPartner>(
        &mut e,
        "galvanic_partner",
        input.galvanic_partner.as_deref(),
        false,
    );
    let cp_potential_v_sce = number(&mut e, "cp_potential_v_sce", input.cp_potential_v_sce);
    if cp_potential_v_sce.is_some() && input.cathodic_protection == Some(false) {
        e.add(
            "cp_potential_v_sce",
            "inconsistent",
            "a protection potential is given but cathodic protection is marked absent",
        );
    }
    let cathodic_protection = match (input.cathodic_protection, cp_potential_v_sce) {
        (None, Some(_)) => Some(true),
        (c, _) => c,
    };
    let service_conditions = service_conditions(&mut e, input.service_conditions.as_ref());
    let failure_cost_usd = number(&mut e, "failure_cost_usd", input.failure_cost_usd);
    let (medium_hazard, people_nearby, consequence_category) = consequence(&mut e, input);
    if !e.is_empty() {
        return Err(e);
    }
    Ok(ValidEquipment {
        tag: tag.expect("checked"),
        name: name.expect("checked"),
        equipment_type: equipment_type.expect("checked"),
        grade: grade.expect("checked"),
        level,
        park_id,
        manufacturer_org_id,
        manufacturer_name,
        commissioned_on,
        process_medium,
        location,
        temperature_c,
        pressure_mpa,
        chloride_mg_l,
        fluoride_mg_l,
        ph,
        velocity_m_s,
        galvanic_partner,
        cathodic_protection,
        cp_potential_v_sce,
        crevice_present: input.crevice_present,
        deposits_present: input.deposits_present,
        service_conditions,
        medium_hazard,
        people_nearby,
        failure_cost_usd,
        consequence_category,
    })
}

/// Checks the risk-model inputs kept as `service_conditions`: names of the model's inputs
/// that have no column of their own, values the risk engine accepts. `null` drops one.
fn service_conditions(
    errors: &mut FieldErrors,
    given: Option<&serde_json::Map<String, serde_json::Value>>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut kept = serde_json::Map::new();
    let Some(given) = given else {
        return kept;
    };
    let risk = match ticorr_platform::risk::load() {
        Ok(r) => r,
        Err(why) => {
            errors.add("service_conditions", "unavailable", why);
            return kept;
        }
    };
    for (name, value) in given {
        let field = format!("service_conditions.{name}");
        if value.is_null() {
            continue;
        }
        if !field_named(name).is_some_and(|f| f.condition) {
            let message = if field_named(name).is_some() {
                format!("`{name}` is a field of its own; send it beside service_conditions")
            } else {
                "is not an input of the risk model".to_owned()
            };
            errors.add(&field, "unknown_field", message);
            continue;
        }
        let one = serde_json::Map::from_iter([(name.clone(), value.clone())]);
        match risk.rules.read_inputs(&one) {
            Ok(_) => {
                kept.insert(name.clone(), value.clone());
            }
            Err(err) => errors.add(&field, "invalid", err.message),
        }
    }
    kept
}

/// Checks what the owner says about the consequence of a failure.
fn consequence(
    errors: &mut FieldErrors,
    input: &EquipmentInput,
) -> (Option<String>, Option<String>, Option<String>) {
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let hazard = clean(&input.medium_hazard);
    let people = clean(&input.people_nearby);
    let category = clean(&input.consequence_category).map(|c| c.to_uppercase());
    if let Some(c) = &category
        && ticorr_risk::Cof::parse(c).is_none()
    {
        errors.add(
            "consequence_category",
            "unknown_value",
            "write one of A, B, C, D, E",
        );
    }
    match ticorr_platform::risk::load() {
        Ok(risk) => {
            for (field, value, list) in [
                ("medium_hazard", &hazard, &risk.consequence.medium_hazard),
                ("people_nearby", &people, &risk.consequence.people_nearby),
            ] {
                if let Some(v) = value
                    && !list.iter().any(|c| &c.id == v)
                {
                    let ids: Vec<&str> = list.iter().map(|c| c.id.as_str()).collect();
                    errors.add(
                        field,
                        "unknown_value",
                        format!("write one of {}", ids.join(", ")),
                    );
                }
            }
        }
        Err(why) => errors.add("medium_hazard", "unavailable", why),
    }
    (hazard, people, category)
}

/// Applies a JSON merge patch (RFC 7396) to an item's input form. Unknown or read-only
/// keys are refused by name.
pub fn merge_patch(
    current: &Equipment,
    patch: &serde_json::Value,
) -> Result<EquipmentInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(changes) = patch.as_object() else {
        errors.add(
            "body",
            "invalid",
            "send a JSON object with the fields to change",
        );
        return Err(errors);
    };
    let mut base = serde_json::to_value(current.to_input()).expect("input serializes");
    let obj = base.as_object_mut().expect("input is an object");
    for (k, v) in changes {
        if k == "service_conditions" {
            merge_conditions(obj, v, &mut errors);
            continue;
        }
        if field_named(k).is_some_and(|f| f.condition) {
            let one =
                serde_json::Value::Object(serde_json::Map::from_iter([(k.clone(), v.clone())]));
            merge_conditions(obj, &one, &mut errors);
            continue;
        }
        let Some(field) = field_named(k) else {
            errors.add(
                k,
                "unknown_field",
                "this field does not exist or cannot be changed",
            );
            continue;
        };
        // Clearing a required field leaves it empty, so validation names it.
        let v = if v.is_null() && field.required {
            serde_json::Value::String(String::new())
        } else {
            v.clone()
        };
        obj.insert(k.clone(), v);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    serde_json::from_value(base).map_err(|err| {
        let mut e = FieldErrors::new();
        e.add("body", "invalid", err.to_string());
        e
    })
}

/// Merges a patch of `service_conditions` (an object; `null` removes a key, a `null`
/// patch removes them all).
fn merge_conditions(
    input: &mut serde_json::Map<String, serde_json::Value>,
    patch: &serde_json::Value,
    errors: &mut FieldErrors,
) {
    let entry = input
        .entry("service_conditions")
        .or_insert(serde_json::Value::Null);
    match patch {
        serde_json::Value::Null => *entry = serde_json::Value::Null,
        serde_json::Value::Object(changes) => {
            if !entry.is_object() {
                *entry = serde_json::Value::Object(serde_json::Map::new());
            }
            let current = entry.as_object_mut().expect("made an object");
            for (k, v) in changes {
                if v.is_null() {
                    current.remove(k);
                } else {
                    current.insert(k.clone(), v.clone());
                }
            }
        }
        _ => errors.add(
            "service_conditions",
            "invalid",
            "send an object of risk-model inputs",
        ),
    }
}
