//! The integration suite: the real router on an isolated database, every test on SQLite
//! and (when `TICORR_TEST_POSTGRES_URL` is set) on PostgreSQL.

mod access;
mod attachments;
mod auth;
mod cases;
mod equipment;
mod equipment_risk;
mod import_export;
mod jobs;
mod ledger;
mod notify;
mod organizations;
mod pages;
mod privacy;
mod risk;
mod sealed;
mod search;
mod standards;
mod standards_lifecycle;
mod standards_pages;
mod standards_supplement_pages;
mod stats;
mod webhooks;
