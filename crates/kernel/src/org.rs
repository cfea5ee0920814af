//! Organisation kinds, their verification status, roles inside an organisation and the
//! platform-wide capacities a person may hold (DESIGN.md §1).

text_enum! {
    /// The eight kinds of organisation that use the platform.
    pub enum OrgKind {
        /// End-user plant operating titanium heating equipment.
        Enterprise = "enterprise",
        /// Maker of titanium heating equipment.
        Manufacturer = "manufacturer",
        /// Industrial park management institution.
        Park = "park",
        /// Inspection and testing, chemical cleaning, passivation or training provider.
        ServiceInstitution = "service_institution",
        /// Government safety and environmental supervision.
        Regulator = "regulator",
        /// Industry association.
        Association = "association",
        /// Professional platform operator.
        Operator = "operator",
        /// University or research institute.
        Research = "research",
    }
}

impl OrgKind {
    /// Kinds a visitor may register on their own; the operator is created by an operator.
    pub fn self_registrable(self) -> bool {
        !matches!(self, OrgKind::Operator)
    }

    /// Kinds whose organisations carry a GB/T 4754 industry code (the others are
    /// administrations or institutions where the code is optional).
    pub fn requires_industry(self) -> bool {
        matches!(self, OrgKind::Enterprise | OrgKind::Manufacturer)
    }
}

text_enum! {
    /// Where an organisation stands in the operator's verification.
    pub enum OrgStatus {
        /// Registered, waiting for the operator; its people can sign in and see only that.
        Pending = "pending",
        /// Verified by the operator; full use of the platform.
        Verified = "verified",
        /// Refused by the operator, with a reason.
        Rejected = "rejected",
        /// Suspended by the operator; sessions and tokens no longer work.
        Suspended = "suspended",
    }
}

text_enum! {
    /// A person's role inside their own organisation.
    pub enum Role {
        /// Manages people, tokens and the organisation's profile.
        Admin = "admin",
        /// Works with the organisation's data.
        Member = "member",
    }
}

text_enum! {
    /// Platform-wide capacities, granted by the operator, independent of the organisation.
    pub enum Capacity {
        Expert = "expert",
        Reviewer = "reviewer",
        Examiner = "examiner",
        Candidate = "candidate",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_eight_org_kinds() {
        assert_eq!(OrgKind::ALL.len(), 8);
    }

    #[test]
    fn unknown_kind_names_the_allowed_values() {
        let err = "factory".parse::<OrgKind>().unwrap_err();
        assert!(err.to_string().contains("enterprise"));
    }

    #[test]
    fn parsing_ignores_case_and_whitespace() {
        assert_eq!(
            " Regulator ".parse::<OrgKind>().unwrap(),
            OrgKind::Regulator
        );
    }
}
