//! The kernel: the vocabulary every Ticorr crate speaks.
//!
//! Newtype ids, the four data levels, organisation kinds, the equipment vocabulary shared
//! with the risk model, parse-don't-validate values such as [`Uscc`], the clock and cursor
//! pagination. Nothing here performs I/O, so every type can be tested and reused anywhere.

#[macro_use]
mod macros;

pub mod equipment;
pub mod ids;
pub mod level;
pub mod org;
pub mod page;
pub mod time;
pub mod uscc;
pub mod validate;

pub use ids::{
    AttachmentId, EquipmentId, NotificationId, OrgId, PersonId, SessionId, TokenId, WebhookId,
};
pub use level::Level;
pub use org::{Capacity, OrgKind, OrgStatus, Role};
pub use page::{Cursor, Page, PageRequest};
pub use time::{Clock, Timestamp};
pub use uscc::Uscc;
pub use validate::{FieldError, FieldErrors};
