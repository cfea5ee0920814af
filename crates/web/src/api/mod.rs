//! The REST API under `/api/v1`, described by the OpenAPI 3.1 document generated from
//! these handlers and served at `/api/v1/openapi.json`.

pub mod attachments;
mod auth;
mod bulletins;
mod cases;
pub mod equipment;
pub mod jobs;
mod ledger;
mod me;
mod notifications;
mod organizations;
mod privacy;
mod reference;
mod risk;
mod risk_models;
mod search;
mod standard_drafts;
mod standards;
mod stats;
mod supplements;
mod webhooks;

use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ticorr API",
        description = "The national public service platform for anti-corrosion of titanium heating equipment. \
            Errors are RFC 9457 problem documents; lists use cursor pagination; times are RFC 3339 UTC. \
            See docs/api.md.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Sign-in and sessions"),
        (name = "organizations", description = "Organisations, registration, verification, people, tokens"),
        (name = "equipment", description = "The equipment registry"),
        (name = "jobs", description = "Background jobs: status, progress and results; failed and recurring jobs for the operator"),
        (name = "notifications", description = "The signed-in person's inbox and notification preferences"),
        (name = "webhooks", description = "An organisation's webhook endpoints (Standard Webhooks) and delivery logs"),
        (name = "attachments", description = "Files attached to records: upload, list, download, thumbnails, delete"),
        (name = "ledger", description = "The transparency log: checkpoints, entries, proofs, cosignatures"),
        (name = "statistics", description = "L4 statistics with differential privacy"),
        (name = "privacy", description = "Desensitization of text and fields before sharing"),
        (name = "reference", description = "Reference data: regions and industries"),
        (name = "search", description = "Full-text search over every record type, with facets"),
        (name = "risk", description = "The corrosion risk engine: titanium damage mechanisms, probability x consequence, four grades"),
        (name = "cases", description = "Failure cases: published summaries (public) and details, upload, desensitized preview and confirmation, curation, applications for the full record and their decisions, the contributor's access log"),
        (name = "standards", description = "The clause library: released standards (public), versions and clauses, the external catalogue, and the clauses that apply to an equipment item"),
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A sign-in token from POST /api/v1/auth/login, or an API token (tcr_…) issued by an organisation admin",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "__Host-ticorr_session",
                "The browser session; state-changing requests also need the X-CSRF-Token header",
            ))),
        );
    }
}

/// The API routes and their OpenAPI document.
pub fn router(config: &crate::Config) -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    // Imports may be larger than other bodies.
    let (schemas, paths, import) = routes!(equipment::import);
    let import = (
        schemas,
        paths,
        import.layer(axum::extract::DefaultBodyLimit::max(
            config.http.upload_limit_bytes,
        )),
    );
    // Attachment uploads take the configured file limit plus the form's framing.
    let (schemas, paths, attach) = routes!(
        attachments::list_for_equipment,
        attachments::upload_to_equipment
    );
    let file_limit = axum::extract::DefaultBodyLimit::max(attachments::body_limit(config));
    let attach = (schemas, paths, attach.layer(file_limit));
    let (schemas, paths, evidence) =
        routes!(attachments::list_evidence, attachments::upload_evidence);
    let evidence = (schemas, paths, evidence.layer(file_limit));
    let (schemas, paths, case_import) = routes!(cases::import);
    let case_import = (
        schemas,
        paths,
        case_import.layer(axum::extract::DefaultBodyLimit::max(
            config.http.upload_limit_bytes,
        )),
    );
    let (schemas, paths, case_files) = routes!(cases::attach);
    let case_files = (schemas, paths, case_files.layer(file_limit));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(me::me))
        .routes(routes!(me::sessions))
        .routes(routes!(me::end_session))
        .routes(routes!(me::change_password))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::unread_count))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(notifications::archive))
        .routes(routes!(notifications::mark_all_read))
        .routes(routes!(
            notifications::get_preferences,
            notifications::put_preferences
        ))
        .routes(routes!(organizations::directory))
        .routes(routes!(organizations::get_organization))
        .routes(routes!(organizations::register))
        .routes(routes!(organizations::pending))
        .routes(routes!(organizations::review))
        .routes(routes!(organizations::members, organizations::add_member))
        .routes(routes!(organizations::change_member))
        .routes(routes!(organizations::set_specialties))
        .routes(routes!(organizations::tokens, organizations::issue_token))
        .routes(routes!(organizations::revoke_token))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::delete))
        .routes(routes!(webhooks::test))
        .routes(routes!(webhooks::attempts))
        .routes(routes!(equipment::list, equipment::create))
        .routes(routes!(
            equipment::get,
            equipment::update,
            equipment::delete
        ))
        .routes(import)
        .routes(routes!(equipment::export))
        .routes(routes!(equipment::risk))
        .routes(routes!(equipment::risk_overview))
        .routes(routes!(equipment::template))
        .routes(routes!(equipment::get_notes, equipment::put_notes))
        .routes(routes!(jobs::troubled))
        .routes(routes!(jobs::get))
        .routes(routes!(jobs::retry))
        .routes(routes!(jobs::schedules))
        .routes(attach)
        .routes(routes!(attachments::download, attachments::delete))
        .routes(evidence)
        .routes(routes!(attachments::thumbnail))
        .routes(routes!(ledger::checkpoint))
        .routes(routes!(ledger::key))
        .routes(routes!(ledger::entry))
        .routes(routes!(ledger::inclusion))
        .routes(routes!(ledger::consistency))
        .routes(routes!(ledger::cosign))
        .routes(routes!(ledger::bundle))
        .routes(routes!(stats::query))
        .routes(routes!(stats::budgets))
        .routes(routes!(privacy::desensitize))
        .routes(routes!(privacy::usage))
        .routes(routes!(reference::regions))
        .routes(routes!(reference::industries))
        .routes(routes!(search::search))
        .routes(routes!(search::start_reindex, search::reindex_status))
        .routes(routes!(risk::assess))
        .routes(routes!(bulletins::list, bulletins::draft))
        .routes(routes!(bulletins::get, bulletins::edit))
        .routes(routes!(bulletins::publish))
        .routes(routes!(cases::list, cases::upload))
        .routes(case_import)
        .routes(routes!(cases::mine))
        .routes(routes!(cases::queue))
        .routes(routes!(cases::requests))
        .routes(routes!(cases::accesses))
        .routes(routes!(cases::decide))
        .routes(routes!(cases::get))
        .routes(routes!(cases::similar))
        .routes(routes!(cases::like_equipment))
        .routes(routes!(risk_models::list, risk_models::train))
        .routes(routes!(risk_models::get))
        .routes(routes!(risk_models::for_equipment))
        .routes(routes!(cases::preview))
        .routes(case_files)
        .routes(routes!(cases::published_file))
        .routes(routes!(cases::confirm))
        .routes(routes!(cases::curate))
        .routes(routes!(cases::full))
        .routes(routes!(cases::request_access))
        .routes(routes!(standards::list, standards::record_own))
        .routes(routes!(standards::catalogue))
        .routes(routes!(standards::matches))
        .routes(routes!(standards::applicable))
        .routes(routes!(
            standards::start_inspection,
            standards::list_inspections
        ))
        .routes(routes!(
            standards::get_inspection,
            standards::answer_inspection
        ))
        .routes(routes!(standards::inspection_report_pdf))
        .routes(routes!(standards::get))
        .routes(routes!(standards::clauses))
        .routes(routes!(standards::cases))
        .routes(routes!(standards::clause))
        .routes(routes!(standard_drafts::list, standard_drafts::create))
        .routes(routes!(standard_drafts::get, standard_drafts::update))
        .routes(routes!(standard_drafts::diff))
        .routes(routes!(standard_drafts::submit))
        .routes(routes!(standard_drafts::withdraw))
        .routes(routes!(standard_drafts::formal_check))
        .routes(routes!(standard_drafts::eligible_reviewers))
        .routes(routes!(standard_drafts::assign_reviewers))
        .routes(routes!(standard_drafts::vote))
        .routes(routes!(standard_drafts::conclude_review))
        .routes(routes!(standard_drafts::comment))
        .routes(routes!(standard_drafts::dispose))
        .routes(routes!(standard_drafts::close_consultation))
        .routes(routes!(standard_drafts::reject))
        .routes(routes!(standard_drafts::release))
        .routes(routes!(standard_drafts::rules))
        .routes(routes!(standard_drafts::compare))
        .routes(routes!(standard_drafts::history))
        .routes(routes!(standard_drafts::review_tasks))
        .routes(routes!(standard_drafts::reaffirm))
        .routes(routes!(supplements::list, supplements::create))
        .routes(routes!(supplements::get))
        .routes(routes!(supplements::assess))
        .routes(routes!(supplements::record_application))
        .routes(routes!(supplements::promote))
        .split_for_parts()
}

/// A page of results, as every list returns it.
macro_rules! page_schema {
    ($name:ident, $item:ty) => {
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; absent on the last page.
            pub next_cursor: Option<String>,
        }

        impl From<ticorr_kernel::Page<$item>> for $name {
            fn from(p: ticorr_kernel::Page<$item>) -> Self {
                $name {
                    items: p.items,
                    next_cursor: p.next_cursor,
                }
            }
        }
    };
}
pub(crate) use page_schema;

#[cfg(test)]
mod tests {
    /// The OpenAPI document is generated from the handlers; `docs/openapi.json` is its
    /// committed snapshot, so every change to the API surface shows up in review.
    #[test]
    fn the_openapi_document_matches_its_snapshot() {
        let (_, doc) = super::router(&crate::Config::default());
        let rendered = serde_json::to_string_pretty(&doc).expect("serializes") + "\n";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        if std::env::var_os("TICORR_BLESS").is_some() {
            std::fs::write(path, &rendered).expect("writes the snapshot");
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == rendered,
            "the API changed: review the difference and run this test with TICORR_BLESS=1 to update docs/openapi.json"
        );
    }
}
