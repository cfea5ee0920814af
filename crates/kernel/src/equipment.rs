//! The equipment vocabulary shared by the registry and the risk engine.
//!
//! Operating conditions use the input names, units and vocabularies of the risk model
//! (`refdata/risk_model.json`): `grade` holds the ASTM grade number as text ("2", "7" …),
//! `galvanic_partner` one of the model's partner values. The registry therefore hands an
//! item to the risk engine without translation.

use std::str::FromStr;

use crate::validate::UnknownValue;

text_enum! {
    /// What kind of heating equipment an item is.
    pub enum EquipmentType {
        ShellAndTube = "shell_and_tube_heat_exchanger",
        Plate = "plate_heat_exchanger",
        Condenser = "condenser",
        Evaporator = "evaporator",
        ImmersionHeater = "immersion_heater",
        ElectricHeater = "electric_heater",
        Coil = "coil",
        Other = "other",
    }
}

/// ASTM titanium grades the registry accepts for the wetted titanium.
///
/// The text form is the bare ASTM grade number, exactly as the risk model's `grade` input
/// expects it; `Other` covers grades the registry does not list (the risk engine then
/// reports the grade-dependent mechanisms as incomplete).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TitaniumGrade {
    Gr1,
    Gr2,
    Gr7,
    Gr11,
    Gr12,
    Gr16,
    Gr17,
    Gr26,
    Other,
}

impl TitaniumGrade {
    pub const ALL: &'static [TitaniumGrade] = &[
        TitaniumGrade::Gr1,
        TitaniumGrade::Gr2,
        TitaniumGrade::Gr7,
        TitaniumGrade::Gr11,
        TitaniumGrade::Gr12,
        TitaniumGrade::Gr16,
        TitaniumGrade::Gr17,
        TitaniumGrade::Gr26,
        TitaniumGrade::Other,
    ];

    /// The risk model's `grade` value: the ASTM grade number, or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            TitaniumGrade::Gr1 => "1",
            TitaniumGrade::Gr2 => "2",
            TitaniumGrade::Gr7 => "7",
            TitaniumGrade::Gr11 => "11",
            TitaniumGrade::Gr12 => "12",
            TitaniumGrade::Gr16 => "16",
            TitaniumGrade::Gr17 => "17",
            TitaniumGrade::Gr26 => "26",
            TitaniumGrade::Other => "other",
        }
    }

    /// The label people write: "Gr2", or "other".
    pub fn label(self) -> String {
        match self {
            TitaniumGrade::Other => "other".to_owned(),
            g => format!("Gr{}", g.as_str()),
        }
    }
}

impl std::fmt::Display for TitaniumGrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

impl FromStr for TitaniumGrade {
    type Err = UnknownValue;

    /// Accepts "2", "Gr2", "Gr 2", "Gr.2", "Grade 2" and "other", in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let number = ["grade", "gr.", "gr"]
            .iter()
            .find_map(|p| lower.strip_prefix(p))
            .unwrap_or(&lower)
            .trim();
        TitaniumGrade::ALL
            .iter()
            .copied()
            .find(|g| g.as_str() == number)
            .ok_or_else(|| UnknownValue {
                vocabulary: "titanium grade",
                value: s.to_owned(),
                allowed: vec![
                    "Gr1", "Gr2", "Gr7", "Gr11", "Gr12", "Gr16", "Gr17", "Gr26", "other",
                ],
            })
    }
}

impl serde::Serialize for TitaniumGrade {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for TitaniumGrade {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for TitaniumGrade {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "ASTM grade number of the wetted titanium, as the risk model's `grade` input",
            ))
            .enum_values(Some(TitaniumGrade::ALL.iter().map(|g| g.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for TitaniumGrade {}

text_enum! {
    /// Electrically connected, more active metal wetted by the same electrolyte
    /// (the risk model's `galvanic_partner` input).
    pub enum GalvanicPartner {
        None = "none",
        CarbonSteel = "carbon_steel",
        Stainless300 = "stainless_300",
        CopperAlloy = "copper_alloy",
        ZincOrAluminiumAnode = "zinc_or_aluminium_anode",
        Other = "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grade_accepts_the_spellings_people_use() {
        for s in ["2", "Gr2", "gr 2", "Gr.2", "Grade 2", "GRADE2"] {
            assert_eq!(
                s.parse::<TitaniumGrade>().unwrap(),
                TitaniumGrade::Gr2,
                "{s}"
            );
        }
        assert_eq!(
            "other".parse::<TitaniumGrade>().unwrap(),
            TitaniumGrade::Other
        );
        assert!("Gr5".parse::<TitaniumGrade>().is_err());
    }

    #[test]
    fn grade_serializes_as_the_risk_model_input() {
        assert_eq!(
            serde_json::to_string(&TitaniumGrade::Gr12).unwrap(),
            "\"12\""
        );
    }

    #[test]
    fn there_are_eight_equipment_types() {
        assert_eq!(EquipmentType::ALL.len(), 8);
    }
}
