//! Reference data: provincial divisions and industries, with their sources.

use serde::Serialize;
use ticorr_platform::refdata;

use crate::extract::Json;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegionOut {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub coastal: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Regions {
    /// The standard the codes come from.
    pub standard: String,
    pub regions: Vec<RegionOut>,
}

/// The provincial-level divisions (GB/T 2260).
#[utoipa::path(get, path = "/api/v1/reference/regions", tag = "reference", operation_id = "list_regions", responses((status = 200, body = Regions)))]
pub async fn regions() -> Json<Regions> {
    let data = refdata::get();
    Json(Regions {
        standard: data.regions_standard.clone(),
        regions: data
            .regions
            .iter()
            .map(|r| RegionOut {
                code: r.code.clone(),
                name_zh: r.name_zh.clone(),
                name_en: r.name_en.clone(),
                coastal: r.coastal,
            })
            .collect(),
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IndustryOut {
    pub code: String,
    pub name_zh: String,
    /// Our translation; GB/T 4754 has no English names.
    pub name_en: String,
    /// `end_user`, `manufacturer` or `equipment_maker`.
    pub role: String,
    /// The key of the typical service profile, if any.
    pub profile: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Industries {
    pub standard: String,
    /// The status of the data: which values are estimates.
    pub status: String,
    pub industries: Vec<IndustryOut>,
}

/// The GB/T 4754-2017 classes relevant to titanium heating equipment.
#[utoipa::path(get, path = "/api/v1/reference/industries", tag = "reference", operation_id = "list_industries", responses((status = 200, body = Industries)))]
pub async fn industries() -> Json<Industries> {
    let data = refdata::get();
    Json(Industries {
        standard: data.industries_standard.clone(),
        status: data.industries_status.clone(),
        industries: data
            .industries
            .iter()
            .map(|i| IndustryOut {
                code: i.code.clone(),
                name_zh: i.name_zh.clone(),
                name_en: i.name_en.clone(),
                role: i.role.clone(),
                profile: i.profile.clone(),
            })
            .collect(),
    })
}
