//! The platform layer shared by every business module (DESIGN.md §4).
//!
//! - [`refdata`]: reference data shipped with the binary (GB/T 2260 regions, GB/T 4754
//!   industries and their service profiles), each file with its sources.
//! - [`policy`]: the Cedar schema and policies, and the one `authorize` entry point.
//! - [`audit`]: the audit table every access decision and sign-in event goes to.
//! - [`gate`]: authorization and its audit record in one call, the way modules use both.
//! - [`identity`]: organisations, parks, people, passwords, sessions, API tokens,
//!   sign-in throttling.
//! - [`jobs`]: durable jobs enqueued with the change that causes them, the worker runtime
//!   that runs them, recurring jobs, and their status as people see it.
//! - [`attachments`]: files attached to records of any module, in an object store.
//! - [`notify`]: inbox, preferences, e-mail and webhooks, and relevance targeting.

pub mod attachments;
pub mod audit;
pub mod gate;
pub mod identity;
pub mod jobs;
pub mod ledger;
pub mod notify;
pub mod policy;
pub mod privacy;
pub mod refdata;
pub mod risk;
pub mod search;
pub mod stats;
pub mod vault;

pub use gate::{Caller, Denied, Gate, Permit};
pub use policy::{Action, Actor, Authz, Principal, RecordRef, Resource, Via};
