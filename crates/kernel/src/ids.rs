//! Newtype ids. Every id is a UUIDv7 (time-ordered, so primary-key inserts stay local in
//! the B-tree) and is stored as its hyphenated text form on both database engines.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID, e.g. one derived deterministically by the demo seed.
            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Uuid,
                    )))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

id_type!(
    /// An organisation of any of the eight kinds.
    OrgId
);
id_type!(
    /// A person (an account) belonging to one organisation.
    PersonId
);
id_type!(
    /// An equipment item in the registry.
    EquipmentId
);
id_type!(
    /// A login session (browser or API login).
    SessionId
);
id_type!(
    /// An API token for machine clients.
    TokenId
);
id_type!(
    /// A file attached to a record of any module.
    AttachmentId
);
id_type!(
    /// A notification in one person's inbox.
    NotificationId
);
id_type!(
    /// A webhook endpoint an organisation registered.
    WebhookId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = OrgId::new();
        let parsed: OrgId = id.to_string().parse().unwrap();
        assert_eq!(id, parsed);
    }

    #[test]
    fn ids_are_time_ordered() {
        let a = EquipmentId::new();
        let b = EquipmentId::new();
        assert!(a.to_string() < b.to_string());
    }
}
