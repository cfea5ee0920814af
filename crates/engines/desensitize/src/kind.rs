//! What a detection is: the closed list of identifier kinds the engine knows.
//!
//! Every kind has a stable snake_case text form (used in policies, reports and the API), a
//! Chinese and an English label for the uploader's review, and a specificity that breaks ties
//! when two detectors claim the same span (see [`crate::detect`]).

use serde::{Deserialize, Serialize};

use crate::policy::Action;

/// The kind of identifying information a detector found (or a structured field holds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorKind {
    /// Unified social credit code (统一社会信用代码, GB 32100-2015), check character verified.
    Uscc,
    /// Resident identity number (公民身份号码, GB 11643-1999), check and birth date verified.
    ResidentId,
    /// Bank card number (13–19 digits, Luhn check).
    BankCard,
    /// Mainland mobile number (1[3-9]x xxxx xxxx), with or without +86/0086.
    Mobile,
    /// Landline number with area code, optionally with an extension.
    Landline,
    /// E-mail address, including the `[at]` / `(at)` spellings.
    Email,
    /// Web address (http, https, ftp, or starting with www.).
    Url,
    /// IPv4 address, optionally with a port.
    Ipv4,
    /// IPv6 address.
    Ipv6,
    /// Motor-vehicle plate (province abbreviation + letter + 5 or 6 characters).
    VehiclePlate,
    /// Street address (Chinese or English) or a province–city–district chain.
    Address,
    /// GPS coordinates (decimal pair, degrees–minutes–seconds, 北纬/东经).
    Gps,
    /// Person name (Chinese by surname and title/role context, English by title/role).
    PersonName,
    /// Organisation name (registry dictionary or legal-form suffix).
    OrgName,
    /// Contract, order or work-order number.
    ContractNo,
    /// Money amount with a currency.
    Money,
    /// Production or installed capacity of a plant (年产、装机容量 …).
    Capacity,
    /// Calendar date (kept by the default policy; generalized to the month on request).
    Date,
    /// Six-digit GB/T 2260 region code. Structured fields only; no text detector.
    RegionCode,
}

impl DetectorKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [DetectorKind] = &[
        DetectorKind::Uscc,
        DetectorKind::ResidentId,
        DetectorKind::BankCard,
        DetectorKind::Mobile,
        DetectorKind::Landline,
        DetectorKind::Email,
        DetectorKind::Url,
        DetectorKind::Ipv4,
        DetectorKind::Ipv6,
        DetectorKind::VehiclePlate,
        DetectorKind::Address,
        DetectorKind::Gps,
        DetectorKind::PersonName,
        DetectorKind::OrgName,
        DetectorKind::ContractNo,
        DetectorKind::Money,
        DetectorKind::Capacity,
        DetectorKind::Date,
        DetectorKind::RegionCode,
    ];

    /// The stable text form (`"resident_id"` …), as in policies and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            DetectorKind::Uscc => "uscc",
            DetectorKind::ResidentId => "resident_id",
            DetectorKind::BankCard => "bank_card",
            DetectorKind::Mobile => "mobile",
            DetectorKind::Landline => "landline",
            DetectorKind::Email => "email",
            DetectorKind::Url => "url",
            DetectorKind::Ipv4 => "ipv4",
            DetectorKind::Ipv6 => "ipv6",
            DetectorKind::VehiclePlate => "vehicle_plate",
            DetectorKind::Address => "address",
            DetectorKind::Gps => "gps",
            DetectorKind::PersonName => "person_name",
            DetectorKind::OrgName => "org_name",
            DetectorKind::ContractNo => "contract_no",
            DetectorKind::Money => "money",
            DetectorKind::Capacity => "capacity",
            DetectorKind::Date => "date",
            DetectorKind::RegionCode => "region_code",
        }
    }

    /// Chinese label shown to the uploader.
    pub fn label_zh(self) -> &'static str {
        match self {
            DetectorKind::Uscc => "统一社会信用代码",
            DetectorKind::ResidentId => "身份证号",
            DetectorKind::BankCard => "银行卡号",
            DetectorKind::Mobile => "手机号",
            DetectorKind::Landline => "固定电话",
            DetectorKind::Email => "电子邮箱",
            DetectorKind::Url => "网址",
            DetectorKind::Ipv4 => "IPv4 地址",
            DetectorKind::Ipv6 => "IPv6 地址",
            DetectorKind::VehiclePlate => "车牌号",
            DetectorKind::Address => "地址",
            DetectorKind::Gps => "坐标",
            DetectorKind::PersonName => "人名",
            DetectorKind::OrgName => "单位名称",
            DetectorKind::ContractNo => "合同/订单号",
            DetectorKind::Money => "金额",
            DetectorKind::Capacity => "产能",
            DetectorKind::Date => "日期",
            DetectorKind::RegionCode => "行政区划代码",
        }
    }

    /// English label shown to the uploader.
    pub fn label_en(self) -> &'static str {
        match self {
            DetectorKind::Uscc => "unified social credit code",
            DetectorKind::ResidentId => "resident identity number",
            DetectorKind::BankCard => "bank card number",
            DetectorKind::Mobile => "mobile number",
            DetectorKind::Landline => "landline number",
            DetectorKind::Email => "e-mail address",
            DetectorKind::Url => "web address",
            DetectorKind::Ipv4 => "IPv4 address",
            DetectorKind::Ipv6 => "IPv6 address",
            DetectorKind::VehiclePlate => "vehicle plate",
            DetectorKind::Address => "address",
            DetectorKind::Gps => "coordinates",
            DetectorKind::PersonName => "person name",
            DetectorKind::OrgName => "organisation name",
            DetectorKind::ContractNo => "contract or order number",
            DetectorKind::Money => "money amount",
            DetectorKind::Capacity => "plant capacity",
            DetectorKind::Date => "date",
            DetectorKind::RegionCode => "region code",
        }
    }

    /// Base specificity used to break ties between equally long detections: identifiers with
    /// a check character beat plain patterns, which beat context and dictionary guesses.
    pub(crate) fn specificity(self) -> u8 {
        match self {
            DetectorKind::Uscc => 90,
            DetectorKind::ResidentId => 85,
            DetectorKind::BankCard => 70,
            DetectorKind::Email => 75,
            DetectorKind::Url => 72,
            DetectorKind::Ipv6 => 68,
            DetectorKind::Ipv4 => 66,
            DetectorKind::Mobile => 62,
            DetectorKind::Landline => 58,
            DetectorKind::VehiclePlate => 52,
            DetectorKind::Gps => 50,
            DetectorKind::ContractNo => 45,
            DetectorKind::Money => 42,
            DetectorKind::Capacity => 40,
            DetectorKind::OrgName => 35,
            DetectorKind::PersonName => 30,
            DetectorKind::Address => 25,
            DetectorKind::RegionCode => 20,
            DetectorKind::Date => 10,
        }
    }

    /// True for the identifiers whose detection is confirmed by a check character.
    pub fn is_checksummed(self) -> bool {
        matches!(
            self,
            DetectorKind::Uscc | DetectorKind::ResidentId | DetectorKind::BankCard
        )
    }

    /// Whether `action` means something for this kind. Generalization needs a hierarchy
    /// (addresses and region codes → province, dates → month, money and capacity → bands,
    /// coordinates → whole degrees); the other actions apply to every kind.
    pub fn supports(self, action: Action) -> bool {
        match action {
            Action::Generalize => matches!(
                self,
                DetectorKind::Address
                    | DetectorKind::RegionCode
                    | DetectorKind::Date
                    | DetectorKind::Money
                    | DetectorKind::Capacity
                    | DetectorKind::Gps
            ),
            _ => true,
        }
    }
}

impl std::fmt::Display for DetectorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for DetectorKind {
    type Err = crate::policy::PolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DetectorKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| crate::policy::PolicyError::UnknownKind(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip_through_serde_and_from_str() {
        for kind in DetectorKind::ALL {
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(kind.as_str().parse::<DetectorKind>().unwrap(), *kind);
        }
    }

    #[test]
    fn only_hierarchical_kinds_generalize() {
        assert!(DetectorKind::Address.supports(Action::Generalize));
        assert!(!DetectorKind::Mobile.supports(Action::Generalize));
        assert!(DetectorKind::Mobile.supports(Action::Mask));
    }
}
