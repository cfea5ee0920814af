//! The job kinds this binary runs, assembled in one place, and the runtime that runs them
//! beside the HTTP server.
//!
//! A module that wants work done in the background owns a kind name (`<module>.<what>`)
//! and a handler (`async fn(JobContext) -> Result<Settled, JobFailure>`), and adds one
//! `.register(...)` line below; recurring work adds a `.schedule(...)` line. `ticorr serve`
//! and `ticorr demo` start the runtime with these handlers, and the test harness runs due
//! jobs with the very same set.

use serde_json::json;
use ticorr_platform::jobs::schedule::Recurring;
use ticorr_platform::jobs::worker::{self, Handlers, JobFailure, Runtime, Settled};
use ticorr_platform::{notify, search};

use crate::state::AppState;

/// Every job kind with its handler, and the recurring jobs.
pub fn handlers(state: &AppState) -> Handlers {
    let gate = state.gate.clone();
    Handlers::new()
        .register(ticorr_equipment::jobs::IMPORT_KIND, move |ctx| {
            ticorr_equipment::jobs::run_import(gate.clone(), ctx)
        })
        .register(
            ticorr_equipment::risk::REASSESS_KIND,
            ticorr_equipment::risk::run_reassess,
        )
        .register(
            ticorr_standards::lifecycle::PUSH_JOB,
            ticorr_standards::revision::run_push,
        )
        .register(
            ticorr_standards::lifecycle::REVIEW_DUE_JOB,
            ticorr_standards::revision::run_review_due,
        )
        .register(ticorr_cases::import::IMPORT_KIND, {
            let state = state.clone();
            move |ctx| {
                let state = state.clone();
                async move { state.cases().run_import(ctx).await }
            }
        })
        .register(ticorr_cases::bulletins::DRAFT_JOB, {
            let state = state.clone();
            move |ctx| {
                let state = state.clone();
                async move { state.cases().run_draft_bulletin(ctx).await }
            }
        })
        .register(ticorr_cases::feedback::FEEDBACK_JOB, {
            let state = state.clone();
            move |ctx| {
                let state = state.clone();
                async move { state.cases().run_feedback(ctx).await }
            }
        })
        .register(ticorr_cases::risk_models::TRAIN_JOB, {
            let (gate, settings) = (state.gate.clone(), state.config.cases.model);
            move |ctx| ticorr_cases::risk_models::run_train(gate.clone(), settings, ctx)
        })
        .register(worker::PRUNE_KIND, worker::prune_handler)
        .register(search::PRUNE_FEED_JOB, |ctx| async move {
            let deleted = search::prune_feed(&ctx.db, worker::retention_cutoff(&ctx)).await?;
            Ok(Settled::done(Some(json!({ "deleted": deleted }))))
        })
        // Delivery is at least once: a message is sent again if its worker dies after
        // sending and before settling (webhook receivers deduplicate on `webhook-id`).
        .register(notify::EMAIL_JOB, {
            let state = state.clone();
            move |ctx| {
                let state = state.clone();
                async move {
                    notify::email::deliver_email(&ctx.db, &state.mailer, &ctx.job)
                        .await
                        .map(|()| Settled::done(None))
                        .map_err(JobFailure::retry)
                }
            }
        })
        .register(notify::WEBHOOK_JOB, {
            let state = state.clone();
            move |ctx| {
                let state = state.clone();
                async move {
                    notify::webhook::deliver_webhook(&ctx.db, &state.vault, &ctx.clock, &ctx.job)
                        .await
                        .map(|()| Settled::done(None))
                        .map_err(JobFailure::retry)
                }
            }
        })
        .schedule(
            Recurring::new(
                "jobs.prune-daily",
                "17 3 * * *",
                worker::PRUNE_KIND,
                json!({ "keep_days": 30 }),
            )
            .expect("the expression is valid"),
        )
        .schedule(
            Recurring::new(
                "standards.review-due-daily",
                "7 1 * * *",
                ticorr_standards::lifecycle::REVIEW_DUE_JOB,
                json!({}),
            )
            .expect("the expression is valid"),
        )
        // Retrains only when the registry or the publications changed since the newest
        // version.
        .schedule(
            Recurring::new(
                "cases.train-risk-model-weekly",
                "23 2 * * 1",
                ticorr_cases::risk_models::TRAIN_JOB,
                json!({}),
            )
            .expect("the expression is valid"),
        )
        // The monthly warning bulletin, drafted on the 1st for staff to edit and publish.
        .schedule(
            Recurring::new(
                "cases.draft-bulletin-monthly",
                "13 2 1 * *",
                ticorr_cases::bulletins::DRAFT_JOB,
                json!({}),
            )
            .expect("the expression is valid"),
        )
        // Cases that keep occurring under a released clause open a revision proposal.
        .schedule(
            Recurring::new(
                "cases.clause-feedback-daily",
                "47 1 * * *",
                ticorr_cases::feedback::FEEDBACK_JOB,
                json!({}),
            )
            .expect("the expression is valid"),
        )
        .schedule(
            Recurring::new(
                "search.prune-feed-daily",
                "37 3 * * *",
                search::PRUNE_FEED_JOB,
                json!({ "keep_days": 30 }),
            )
            .expect("the expression is valid"),
        )
}

/// Starts this node's workers and scheduler, unless `[jobs] enabled = false`. Before
/// that, queues the reassessment of equipment whose risk was assessed with other rule
/// files than this binary carries (a new release, or a database from before risk
/// assessments), so whichever node runs jobs brings every grade up to date.
pub async fn start(state: &AppState) -> anyhow::Result<Option<Runtime>> {
    if let Some(job) =
        ticorr_equipment::risk::enqueue_if_stale(&state.db, state.gate.clock().now()).await?
    {
        tracing::info!(%job, "queued the reassessment of equipment risk for the current rule set");
    }
    if !state.config.jobs.enabled {
        tracing::info!("job runtime disabled on this node");
        return Ok(None);
    }
    let runtime = Runtime::start(
        state.db.clone(),
        state.gate.clock().clone(),
        handlers(state),
        &state.config.jobs,
    )
    .await?;
    Ok(Some(runtime))
}
