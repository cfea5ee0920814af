//! The policy: which action each kind of identifier gets, and how structured fields are read.
//!
//! [`Policy::default_for_failure_cases`] is the policy for failure-case reports: everything that
//! identifies a person or an enterprise is removed or replaced, while what a reader needs to
//! learn from the failure survives in a coarser form (the province instead of the address, a
//! cost band instead of the cost, the failure date unchanged).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::kind::DetectorKind;

/// What happens to a detected identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Leave it as it is.
    Keep,
    /// Remove it; a neutral marker (`[已删除]` / `[removed]`) takes its place.
    Suppress,
    /// Keep a few characters and star out the rest (138****5678).
    Mask,
    /// Replace it with a coarser value: address → province, date → month, money and capacity →
    /// band, coordinates → whole degrees. Only for kinds with a hierarchy
    /// ([`DetectorKind::supports`]).
    Generalize,
    /// Replace it with a keyed label (人员-7KQ2MX / Person 7KQ2MX): the same value gets the same
    /// label under the same key, a different key gives different labels.
    Pseudonymize,
}

impl Action {
    /// Text form used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Keep => "keep",
            Action::Suppress => "suppress",
            Action::Mask => "mask",
            Action::Generalize => "generalize",
            Action::Pseudonymize => "pseudonymize",
        }
    }
}

/// How one structured field is desensitized.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum FieldRule {
    /// Publish the value unchanged (grade, medium, temperature …).
    Keep,
    /// Leave the field out of the output altogether.
    Drop,
    /// Run the text detectors over the value, as for free text.
    Scan,
    /// The whole value is one identifier of `kind`; apply `action` to it.
    Treat {
        /// What the value is.
        kind: DetectorKind,
        /// What to do with it.
        action: Action,
    },
}

/// Errors in a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The kind has no hierarchy to generalize along.
    #[error("`{kind}` cannot be generalized; use suppress, mask or pseudonymize")]
    Unsupported {
        /// The kind the action was set for.
        kind: DetectorKind,
        /// The action asked for.
        action: Action,
    },
    /// A text form that names no kind.
    #[error("unknown identifier kind `{0}`")]
    UnknownKind(String),
}

/// Actions per kind and rules per structured field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    actions: BTreeMap<DetectorKind, Action>,
    fields: BTreeMap<String, FieldRule>,
    /// Rule for fields the policy does not name (default: scan them as text).
    pub unknown_fields: FieldRule,
}

impl Policy {
    /// The policy for failure-case reports.
    ///
    /// | kind | action |
    /// |---|---|
    /// | person name, organisation name | pseudonymize (a reader can follow "人员-…" through the report) |
    /// | credit code, resident ID, bank card, phones, e-mail, URL, IP, plate, contract number | suppress |
    /// | address, region code | generalize to the province |
    /// | coordinates | generalize to whole degrees |
    /// | money, capacity | generalize to a band |
    /// | date | keep (the failure date is technical content) |
    ///
    /// Structured fields: names and contact details are treated as their kind, `region_code`
    /// and `address` generalize to the province, `cost` and `capacity` to bands; technical fields
    /// (`grade`, `medium`, `temperature_c` …) are kept; anything else is scanned as text.
    pub fn default_for_failure_cases() -> Policy {
        use Action::*;
        use DetectorKind as K;
        let actions = [
            (K::Uscc, Suppress),
            (K::ResidentId, Suppress),
            (K::BankCard, Suppress),
            (K::Mobile, Suppress),
            (K::Landline, Suppress),
            (K::Email, Suppress),
            (K::Url, Suppress),
            (K::Ipv4, Suppress),
            (K::Ipv6, Suppress),
            (K::VehiclePlate, Suppress),
            (K::Address, Generalize),
            (K::Gps, Generalize),
            (K::PersonName, Pseudonymize),
            (K::OrgName, Pseudonymize),
            (K::ContractNo, Suppress),
            (K::Money, Generalize),
            (K::Capacity, Generalize),
            (K::Date, Keep),
            (K::RegionCode, Generalize),
        ]
        .into_iter()
        .collect();
        let treat = |kind, action| FieldRule::Treat { kind, action };
        let mut fields: BTreeMap<String, FieldRule> = BTreeMap::new();
        for (names, rule) in [
            (
                &[
                    "reporter",
                    "reporter_name",
                    "contact",
                    "contact_name",
                    "inspector",
                    "author",
                ][..],
                treat(K::PersonName, Pseudonymize),
            ),
            (
                &[
                    "org_name",
                    "enterprise",
                    "owner",
                    "manufacturer",
                    "organisation",
                ],
                treat(K::OrgName, Pseudonymize),
            ),
            (&["uscc", "credit_code"], treat(K::Uscc, Suppress)),
            (
                &["phone", "mobile", "telephone"],
                treat(K::Mobile, Suppress),
            ),
            (&["landline", "tel"], treat(K::Landline, Suppress)),
            (&["email", "e_mail"], treat(K::Email, Suppress)),
            (&["address", "site_address"], treat(K::Address, Generalize)),
            (&["region_code", "region"], treat(K::RegionCode, Generalize)),
            (
                &["gps", "coordinates", "location"],
                treat(K::Gps, Generalize),
            ),
            (
                &["cost", "repair_cost", "loss", "amount", "price"],
                treat(K::Money, Generalize),
            ),
            (
                &["capacity", "plant_capacity"],
                treat(K::Capacity, Generalize),
            ),
            (
                &["contract_no", "order_no", "po_number"],
                treat(K::ContractNo, Suppress),
            ),
            (
                &["failure_date", "commissioned", "inspection_date"],
                treat(K::Date, Keep),
            ),
            (
                &[
                    "grade",
                    "medium",
                    "temperature_c",
                    "chloride_mg_l",
                    "ph",
                    "pressure_mpa",
                    "equipment_type",
                    "industry",
                    "province",
                    "year",
                    "standard",
                    "mechanism",
                ],
                FieldRule::Keep,
            ),
        ] {
            for name in names {
                fields.insert((*name).to_owned(), rule.clone());
            }
        }
        Policy {
            actions,
            fields,
            unknown_fields: FieldRule::Scan,
        }
    }

    /// The action for `kind` (Keep when the policy does not name it).
    pub fn action(&self, kind: DetectorKind) -> Action {
        self.actions.get(&kind).copied().unwrap_or(Action::Keep)
    }

    /// Sets the action for `kind`, refusing actions the kind does not support.
    pub fn set_action(&mut self, kind: DetectorKind, action: Action) -> Result<(), PolicyError> {
        if !kind.supports(action) {
            return Err(PolicyError::Unsupported { kind, action });
        }
        self.actions.insert(kind, action);
        Ok(())
    }

    /// Builder form of [`Policy::set_action`].
    pub fn with_action(
        mut self,
        kind: DetectorKind,
        action: Action,
    ) -> Result<Policy, PolicyError> {
        self.set_action(kind, action)?;
        Ok(self)
    }

    /// The rule for field `name` (the unknown-field rule when the policy does not name it).
    pub fn field_rule(&self, name: &str) -> &FieldRule {
        self.fields.get(name).unwrap_or(&self.unknown_fields)
    }

    /// Sets the rule for field `name`, refusing actions the kind does not support.
    pub fn set_field_rule(&mut self, name: &str, rule: FieldRule) -> Result<(), PolicyError> {
        if let FieldRule::Treat { kind, action } = rule
            && !kind.supports(action)
        {
            return Err(PolicyError::Unsupported { kind, action });
        }
        self.fields.insert(name.to_owned(), rule);
        Ok(())
    }

    /// Checks a policy that came from outside (e.g. deserialized from JSON).
    pub fn validate(&self) -> Result<(), PolicyError> {
        for (kind, action) in &self.actions {
            if !kind.supports(*action) {
                return Err(PolicyError::Unsupported {
                    kind: *kind,
                    action: *action,
                });
            }
        }
        for rule in self
            .fields
            .values()
            .chain(std::iter::once(&self.unknown_fields))
        {
            if let FieldRule::Treat { kind, action } = rule
                && !kind.supports(*action)
            {
                return Err(PolicyError::Unsupported {
                    kind: *kind,
                    action: *action,
                });
            }
        }
        Ok(())
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::default_for_failure_cases()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_is_valid_and_covers_every_kind() {
        let p = Policy::default();
        p.validate().unwrap();
        for kind in DetectorKind::ALL {
            assert!(p.actions.contains_key(kind), "{kind}");
        }
        assert_eq!(p.action(DetectorKind::Date), Action::Keep);
        assert_eq!(p.field_rule("grade"), &FieldRule::Keep);
        assert_eq!(p.field_rule("free_text_notes"), &FieldRule::Scan);
    }

    #[test]
    fn unsupported_generalization_is_refused() {
        let err = Policy::default()
            .with_action(DetectorKind::Mobile, Action::Generalize)
            .unwrap_err();
        assert!(matches!(err, PolicyError::Unsupported { .. }));
        assert!(
            Policy::default()
                .with_action(DetectorKind::Date, Action::Generalize)
                .is_ok()
        );
    }

    #[test]
    fn policies_round_trip_through_json() {
        let p = Policy::default();
        let json = serde_json::to_string(&p).unwrap();
        let back: Policy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
        back.validate().unwrap();
    }
}
