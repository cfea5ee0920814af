//! The four data levels of the platform plus `public` (DESIGN.md §2).
//!
//! Every stored record carries exactly one level and one owning organisation. Who may read a
//! record at each level is decided by the Cedar policies, never here; this type only names
//! the levels and their stable text form used in the database, the API and the policies.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// L1: the owning organisation only.
    Private,
    /// L2: the park's management and the enterprises settled in that park.
    Park,
    /// L3: every registered, verified user.
    Industry,
    /// L4: regulators and research institutions (statistics only).
    Macro,
    /// Free basic services that need no account.
    Public,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Private,
        Level::Park,
        Level::Industry,
        Level::Macro,
        Level::Public,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Private => "private",
            Level::Park => "park",
            Level::Industry => "industry",
            Level::Macro => "macro",
            Level::Public => "public",
        }
    }

    /// The short label used in the seed document and in the UI ("L1" … "L4", "public").
    pub fn label(self) -> &'static str {
        match self {
            Level::Private => "L1",
            Level::Park => "L2",
            Level::Industry => "L3",
            Level::Macro => "L4",
            Level::Public => "public",
        }
    }

    /// Levels whose every access decision is written to the audit table.
    pub fn is_audited(self) -> bool {
        matches!(self, Level::Private | Level::Park | Level::Macro)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown data level `{0}`")]
pub struct UnknownLevel(pub String);

impl FromStr for Level {
    type Err = UnknownLevel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == s || l.label().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownLevel(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_from_name_and_label() {
        for level in Level::ALL {
            assert_eq!(level.as_str().parse::<Level>().unwrap(), level);
            assert_eq!(level.label().parse::<Level>().unwrap(), level);
        }
        assert!("l5".parse::<Level>().is_err());
    }
}
