//! Durable jobs: enqueued with the change, leased, retried with backoff, dead-lettered;
//! the worker runtime, exactly-once effects, the status resource, the operator's view and
//! recurring jobs.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::json;
use ticorr_kernel::{OrgKind, Role, Timestamp};
use ticorr_platform::jobs::schedule::{self, Recurring};
use ticorr_platform::jobs::worker::{
    self, Handlers, JobContext, JobFailure, JobsConfig, RunOutcome, Runtime, Settled,
};
use ticorr_platform::jobs::{self, JobStatus, NewJob};
use ticorr_test_support::TestApp;
use time::Duration;
use tokio::sync::Notify;

const LEASE: Duration = Duration::minutes(5);

async fn a_job_exists_exactly_when_its_change_committed(app: TestApp) {
    let db = &app.state.db;
    let now = app.clock.now();
    let mut tx = db.begin().await.unwrap();
    jobs::enqueue(&mut tx, "report", &json!({"n": 1}), now, None, None)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        app.count("jobs", "1 = 1").await,
        0,
        "rolled back with the change"
    );

    let mut tx = db.begin().await.unwrap();
    let id = jobs::enqueue(&mut tx, "report", &json!({"n": 2}), now, None, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let job = jobs::claim(db, "w1", &["report"], now, LEASE)
        .await
        .unwrap()
        .expect("due now");
    assert_eq!((job.id.as_str(), job.attempt), (id.as_str(), 1));
    assert_eq!(job.payload, json!({"n": 2}));
    assert!(
        jobs::claim(db, "w2", &["report"], now, LEASE)
            .await
            .unwrap()
            .is_none(),
        "a leased job is not handed out twice"
    );
    assert!(
        jobs::claim(db, "w2", &["other"], now, LEASE)
            .await
            .unwrap()
            .is_none()
    );
    assert!(jobs::complete(db, &id, "w1", now).await.unwrap());
    assert_eq!(
        jobs::status(db, &id).await.unwrap().unwrap().0,
        JobStatus::Done
    );
}

async fn a_dead_workers_job_is_claimed_again_and_its_late_outcome_ignored(app: TestApp) {
    let db = &app.state.db;
    let now = app.clock.now();
    let mut conn = db.pool().acquire().await.unwrap();
    let id = jobs::enqueue(&mut conn, "import", &json!({}), now, None, None)
        .await
        .unwrap();
    drop(conn);
    jobs::claim(db, "crashed", &["import"], now, LEASE)
        .await
        .unwrap()
        .unwrap();
    let later = now.plus(LEASE + Duration::seconds(1));
    let again = jobs::claim(db, "w2", &["import"], later, LEASE)
        .await
        .unwrap()
        .expect("the lease ran out");
    assert_eq!((again.id.as_str(), again.attempt), (id.as_str(), 2));
    assert!(
        !jobs::complete(db, &id, "crashed", later).await.unwrap(),
        "the worker that lost its lease cannot settle the job"
    );
    assert_eq!(
        jobs::fail(db, &id, "crashed", "late", later).await.unwrap(),
        None
    );
    assert!(jobs::complete(db, &id, "w2", later).await.unwrap());
    assert_eq!(app.count("jobs", "status = 'done'").await, 1);
}

async fn failures_back_off_then_the_job_is_dead_until_retried(app: TestApp) {
    let db = &app.state.db;
    let mut now = app.clock.now();
    let mut conn = db.pool().acquire().await.unwrap();
    let id = jobs::enqueue(&mut conn, "mail", &json!({}), now, None, Some(3))
        .await
        .unwrap();
    drop(conn);
    for attempt in 1..=3 {
        let job = jobs::claim(db, "w", &["mail"], now, LEASE)
            .await
            .unwrap()
            .expect("due");
        assert_eq!(job.attempt, attempt);
        let status = jobs::fail(db, &id, "w", "SMTP 451", now).await.unwrap();
        if attempt < 3 {
            assert_eq!(status, Some(JobStatus::Queued));
            let wait = jobs::backoff(attempt);
            assert!(
                jobs::claim(
                    db,
                    "w",
                    &["mail"],
                    now.plus(wait - Duration::seconds(1)),
                    LEASE
                )
                .await
                .unwrap()
                .is_none(),
                "not before the backoff"
            );
            now = now.plus(wait);
        } else {
            assert_eq!(status, Some(JobStatus::Dead));
        }
    }
    let (status, error) = jobs::status(db, &id).await.unwrap().unwrap();
    assert_eq!(
        (status, error.as_deref()),
        (JobStatus::Dead, Some("SMTP 451"))
    );
    let far = now.plus(Duration::days(30));
    assert!(
        jobs::claim(db, "w", &["mail"], far, LEASE)
            .await
            .unwrap()
            .is_none(),
        "dead jobs are never run by themselves"
    );
    assert!(jobs::retry_dead(db, &id, far).await.unwrap());
    let job = jobs::claim(db, "w", &["mail"], far, LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.attempt, 1, "a retried job gets its attempts back");
}

async fn a_job_that_kills_its_worker_every_time_ends_dead(app: TestApp) {
    let db = &app.state.db;
    let mut now = app.clock.now();
    let mut conn = db.pool().acquire().await.unwrap();
    let id = jobs::enqueue(&mut conn, "poison", &json!({}), now, None, Some(2))
        .await
        .unwrap();
    drop(conn);
    for worker in ["w1", "w2"] {
        let job = jobs::claim(db, worker, &["poison"], now, LEASE)
            .await
            .unwrap()
            .expect("claimed");
        assert_eq!(job.id, id);
        // The worker dies: no complete, no fail; the lease runs out.
        now = now.plus(LEASE + Duration::seconds(1));
    }
    assert!(
        jobs::claim(db, "w3", &["poison"], now, LEASE)
            .await
            .unwrap()
            .is_none(),
        "not handed to a third worker"
    );
    let (status, error) = jobs::status(db, &id).await.unwrap().unwrap();
    assert_eq!(status, JobStatus::Dead);
    assert!(error.unwrap().contains("lease ran out"));
}

#[test]
fn backoff_doubles_up_to_an_hour() {
    assert_eq!(jobs::backoff(1), Duration::seconds(10));
    assert_eq!(jobs::backoff(2), Duration::seconds(20));
    assert_eq!(jobs::backoff(4), Duration::seconds(80));
    assert_eq!(jobs::backoff(30), Duration::hours(1));
}

/// A table the test handlers write their effect to: one row per committed effect, with no
/// constraint that would hide a second one.
async fn effects_table(app: &TestApp) {
    sqlx::query("CREATE TABLE test_effects (job_id TEXT NOT NULL, worker TEXT NOT NULL)")
        .execute(app.state.db.pool())
        .await
        .unwrap();
}

async fn enqueue(app: &TestApp, kind: &str) -> String {
    let mut tx = app.state.db.begin().await.unwrap();
    let id = NewJob::new(kind, json!({}))
        .enqueue(&mut tx, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// The effect and the job's completion in one transaction: the contract for handlers that
/// are not idempotent.
async fn effect_then_complete(ctx: JobContext) -> Result<Settled, JobFailure> {
    let mut tx = ctx.db.begin().await?;
    sqlx::query("INSERT INTO test_effects (job_id, worker) VALUES ($1, $2)")
        .bind(&ctx.job.id)
        .bind(ctx.worker())
        .execute(&mut *tx)
        .await?;
    let settled = ctx.complete_in(&mut tx, Some(&json!({"ok": true}))).await?;
    tx.commit().await?;
    Ok(settled)
}

async fn a_worker_killed_mid_job_is_replaced_and_the_effect_happens_once(app: TestApp) {
    effects_table(&app).await;
    let db = app.state.db.clone();
    let started = Arc::new(Notify::new());
    let signal = started.clone();
    // The first attempt writes its effect, then hangs before it can complete.
    let handlers = Handlers::new().register("test.effect", move |ctx: JobContext| {
        let signal = signal.clone();
        async move {
            if ctx.job.attempt > 1 {
                return effect_then_complete(ctx).await;
            }
            let mut tx = ctx.db.begin().await?;
            sqlx::query("INSERT INTO test_effects (job_id, worker) VALUES ($1, $2)")
                .bind(&ctx.job.id)
                .bind(ctx.worker())
                .execute(&mut *tx)
                .await?;
            signal.notify_one();
            std::future::pending::<()>().await;
            unreachable!("the first worker is killed while it waits")
        }
    });
    let id = enqueue(&app, "test.effect").await;
    let first = {
        let (db, clock, handlers) = (db.clone(), app.clock.clone(), handlers.clone());
        tokio::spawn(async move { worker::run_next(&db, &clock, &handlers, "doomed", LEASE).await })
    };
    started.notified().await;
    // Kill the worker holding the job: its task, its handler and its heartbeat stop.
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    assert!(
        worker::run_next(&db, &app.clock, &handlers, "w2", LEASE)
            .await
            .unwrap()
            .is_none(),
        "not before the lease runs out"
    );
    app.clock.advance(LEASE + Duration::seconds(1));
    let outcome = worker::run_next(&db, &app.clock, &handlers, "w2", LEASE)
        .await
        .unwrap();
    assert_eq!(outcome, Some(RunOutcome::Done));
    assert_eq!(app.count("test_effects", "1 = 1").await, 1, "exactly once");
    assert_eq!(app.count("test_effects", "worker = 'w2'").await, 1);
    let record = jobs::get(&mut db.pool().acquire().await.unwrap(), &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((record.status, record.attempts), (JobStatus::Done, 2));
    assert_eq!(record.result, Some(json!({"ok": true})));
}

async fn a_worker_whose_lease_was_taken_over_cannot_commit_its_effect(app: TestApp) {
    effects_table(&app).await;
    let db = app.state.db.clone();
    let id = enqueue(&app, "test.effect").await;
    let stale = jobs::claim(&db, "stale", &["test.effect"], app.clock.now(), LEASE)
        .await
        .unwrap()
        .unwrap();
    // The first worker stalls past its lease; a second one takes the job and finishes it.
    app.clock.advance(LEASE + Duration::seconds(1));
    let handlers = Handlers::new().register("test.effect", effect_then_complete);
    assert_eq!(
        worker::run_next(&db, &app.clock, &handlers, "fresh", LEASE)
            .await
            .unwrap(),
        Some(RunOutcome::Done)
    );
    // The stalled worker wakes up and tries to commit its effect with the completion.
    let ctx = JobContext::new(db.clone(), stale, app.clock.clone(), "stale");
    let late = effect_then_complete(ctx).await;
    assert!(matches!(late, Err(JobFailure::LeaseLost)), "{late:?}");
    assert_eq!(app.count("test_effects", "1 = 1").await, 1);
    assert_eq!(app.count("test_effects", "worker = 'fresh'").await, 1);
    assert_eq!(
        jobs::status(&db, &id).await.unwrap().unwrap().0,
        JobStatus::Done
    );
}

async fn the_heartbeat_keeps_a_running_job_leased(app: TestApp) {
    let db = app.state.db.clone();
    let release = Arc::new(Notify::new());
    let started = Arc::new(Notify::new());
    let (r, s) = (release.clone(), started.clone());
    let handlers = Handlers::new().register("test.slow", move |ctx: JobContext| {
        let (release, started) = (r.clone(), s.clone());
        async move {
            ctx.progress(1, Some(2), Some("halfway")).await?;
            started.notify_one();
            release.notified().await;
            Ok(Settled::done(None))
        }
    });
    let id = enqueue(&app, "test.slow").await;
    // A short lease, so the heartbeat (every third of it) beats within the test.
    let lease = Duration::seconds(3);
    let running = {
        let (db, clock, handlers) = (db.clone(), app.clock.clone(), handlers.clone());
        tokio::spawn(async move { worker::run_next(&db, &clock, &handlers, "w1", lease).await })
    };
    started.notified().await;
    let lease_until = || async {
        sqlx::query_scalar::<_, String>("SELECT lease_until FROM jobs WHERE id = $1")
            .bind(&id)
            .fetch_one(db.pool())
            .await
            .unwrap()
    };
    let first = lease_until().await;
    app.clock.advance(Duration::seconds(2));
    // Wait for a beat to extend the lease from the clock's new time.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while lease_until().await == first {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the heartbeat never beat"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Past the first lease, but the heartbeat extended it: nobody else may claim the job.
    app.clock.advance(Duration::seconds(2));
    assert!(
        jobs::claim(&db, "w2", &["test.slow"], app.clock.now(), lease)
            .await
            .unwrap()
            .is_none()
    );
    let record = jobs::get(&mut db.pool().acquire().await.unwrap(), &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            record.progress_done,
            record.progress_total,
            record.progress_note.as_deref()
        ),
        (Some(1), Some(2), Some("halfway"))
    );
    release.notify_one();
    assert_eq!(running.await.unwrap().unwrap(), Some(RunOutcome::Done));
}

async fn handler_errors_retry_bury_or_fail_the_job(app: TestApp) {
    let db = app.state.db.clone();
    let handlers = Handlers::new()
        .register("test.flaky", |_ctx: JobContext| async {
            Err::<Settled, _>(JobFailure::retry("the mail server said 451"))
        })
        .register("test.hopeless", |_ctx: JobContext| async {
            Err::<Settled, _>(JobFailure::permanent("the recipient does not exist"))
        })
        .register("test.panics", |ctx: JobContext| async move {
            if ctx.job.kind == "test.panics" {
                panic!("a bug in the handler");
            }
            Ok(Settled::done(None))
        });
    let flaky = enqueue(&app, "test.flaky").await;
    let hopeless = enqueue(&app, "test.hopeless").await;
    let panics = enqueue(&app, "test.panics").await;
    let mut outcomes = Vec::new();
    while let Some(o) = worker::run_next(&db, &app.clock, &handlers, "w", LEASE)
        .await
        .unwrap()
    {
        outcomes.push(o);
    }
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    let status = |id: String| {
        let db = db.clone();
        async move { jobs::status(&db, &id).await.unwrap().unwrap() }
    };
    assert_eq!(
        status(flaky).await,
        (JobStatus::Queued, Some("the mail server said 451".into()))
    );
    assert_eq!(
        status(hopeless).await,
        (JobStatus::Dead, Some("the recipient does not exist".into()))
    );
    assert_eq!(
        status(panics).await,
        (JobStatus::Queued, Some("the handler panicked".into())),
        "a panicking handler fails its job, not its worker"
    );
}

async fn shutdown_stops_claiming_and_lets_the_running_job_finish(app: TestApp) {
    let db = app.state.db.clone();
    let release = Arc::new(Notify::new());
    let started = Arc::new(Notify::new());
    let (r, s) = (release.clone(), started.clone());
    let handlers = Handlers::new().register("test.slow", move |_ctx: JobContext| {
        let (release, started) = (r.clone(), s.clone());
        async move {
            started.notify_one();
            release.notified().await;
            Ok(Settled::done(None))
        }
    });
    let first = enqueue(&app, "test.slow").await;
    let config = JobsConfig {
        workers: 1,
        poll_interval_ms: 20,
        shutdown_grace_secs: 30,
        ..JobsConfig::default()
    };
    let runtime = Runtime::start(db.clone(), app.clock.clone(), handlers, &config)
        .await
        .unwrap();
    started.notified().await;
    let second = enqueue(&app, "test.slow").await;
    let stopping = tokio::spawn(runtime.shutdown());
    // Let the stop signal arrive before the running job ends.
    tokio::task::yield_now().await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    release.notify_one();
    stopping.await.unwrap();
    assert_eq!(
        jobs::status(&db, &first).await.unwrap().unwrap().0,
        JobStatus::Done,
        "the running job finished"
    );
    assert_eq!(
        jobs::status(&db, &second).await.unwrap().unwrap().0,
        JobStatus::Queued,
        "nothing new was claimed while stopping"
    );
}

async fn a_due_schedule_enqueues_once_even_with_two_schedulers_racing(app: TestApp) {
    let db = app.state.db.clone();
    let start = app.clock.now();
    assert_eq!(start, Timestamp::parse("2026-11-28T08:00:00Z").unwrap());
    let tick = Recurring::new("test.tick", "*/5 * * * *", "test.tick", json!({"n": 1})).unwrap();
    schedule::sync(&db, std::slice::from_ref(&tick), app.clock.now())
        .await
        .unwrap();
    // Syncing again (another node starting) changes nothing.
    schedule::sync(&db, &[tick], app.clock.now()).await.unwrap();
    let next = |db: ticorr_db::Db| async move {
        schedule::list(&mut db.pool().acquire().await.unwrap())
            .await
            .unwrap()
            .remove(0)
            .next_run_at
            .to_rfc3339()
    };
    assert_eq!(next(db.clone()).await, "2026-11-28T08:05:00.000000Z");
    assert!(
        schedule::enqueue_due(&db, app.clock.now())
            .await
            .unwrap()
            .is_empty()
    );

    app.clock.advance(Duration::minutes(5));
    for _ in 0..3 {
        let now = app.clock.now();
        let (a, b) = tokio::join!(
            schedule::enqueue_due(&db, now),
            schedule::enqueue_due(&db, now)
        );
        let _ = (a.unwrap(), b.unwrap());
    }
    assert_eq!(app.count("jobs", "kind = 'test.tick'").await, 1, "once");
    assert_eq!(next(db.clone()).await, "2026-11-28T08:10:00.000000Z");
    let payload: String = sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = 'test.tick'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let payload: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["scheduled_for"], "2026-11-28T08:05:00.000000Z");
    assert_eq!(payload["n"], 1);

    // Occurrences missed while no node ran are run once, and the schedule moves past now.
    app.clock.advance(Duration::minutes(26));
    let (a, b) = tokio::join!(
        schedule::enqueue_due(&db, app.clock.now()),
        schedule::enqueue_due(&db, app.clock.now())
    );
    assert_eq!(a.unwrap().len() + b.unwrap().len(), 1);
    assert_eq!(next(db.clone()).await, "2026-11-28T08:35:00.000000Z");

    // A disabled schedule does not run.
    sqlx::query("UPDATE schedules SET enabled = 0")
        .execute(db.pool())
        .await
        .unwrap();
    app.clock.advance(Duration::hours(1));
    assert!(
        schedule::enqueue_due(&db, app.clock.now())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(app.count("jobs", "kind = 'test.tick'").await, 2);
}

async fn a_jobs_status_is_seen_by_its_starter_their_admins_and_the_operator(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let starter = app.person(org, Role::Member).await;
    let colleague = app.person(org, Role::Member).await;
    let admin = app.person(org, Role::Admin).await;
    let stranger = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Admin)
        .await;
    let operator = app
        .person(app.org(OrgKind::Operator, &[]).await, Role::Member)
        .await;
    let r = app
        .post_body(
            "/api/v1/equipment/import",
            Some(&starter.token),
            "text/csv",
            "tag,name,equipment_type,grade\nS-1,x,coil,2\n",
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let location = r.header("location").unwrap().to_owned();
    for (who, status) in [
        (&starter, StatusCode::OK),
        (&admin, StatusCode::OK),
        (&operator, StatusCode::OK),
        (&colleague, StatusCode::NOT_FOUND),
        (&stranger, StatusCode::NOT_FOUND),
    ] {
        let got = app.get(&location, Some(&who.token)).await;
        assert_eq!(got.status, status, "{}: {}", who.email, got.text());
    }
    assert_eq!(
        app.get(&location, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/jobs/no-such-job", Some(&operator.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn the_operator_sees_dead_jobs_and_retries_them_audited(app: TestApp) {
    let db = app.state.db.clone();
    let operator = app
        .person(app.org(OrgKind::Operator, &[]).await, Role::Member)
        .await;
    let admin = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Admin)
        .await;
    let mut tx = db.begin().await.unwrap();
    let id = NewJob::new("test.hopeless", json!({}))
        .max_attempts(1)
        .enqueue(&mut tx, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let handlers = Handlers::new().register("test.hopeless", |_ctx: JobContext| async {
        Err::<Settled, _>(JobFailure::retry("the remote service answered 503"))
    });
    worker::run_next(&db, &app.clock, &handlers, "w", LEASE)
        .await
        .unwrap();
    let list = app.get("/api/v1/jobs", Some(&operator.token)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let list = list.json();
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["status"], "dead");
    assert_eq!(list[0]["last_error"], "the remote service answered 503");
    assert_eq!(
        app.get("/api/v1/jobs", Some(&admin.token)).await.status,
        StatusCode::NOT_FOUND,
        "only the operator"
    );
    assert_eq!(
        app.get("/api/v1/schedules", Some(&admin.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post_json(
            &format!("/api/v1/jobs/{id}/retry"),
            Some(&admin.token),
            &json!({})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.count(
            "audit_events",
            "action = 'operate_jobs' AND decision = 'deny'"
        )
        .await,
        3,
        "refusals are audited"
    );
    let retried = app
        .post_json(
            &format!("/api/v1/jobs/{id}/retry"),
            Some(&operator.token),
            &json!({}),
        )
        .await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.text());
    assert_eq!(retried.json()["status"], "queued");
    assert_eq!(retried.json()["attempts"], 0);
    let again = app
        .post_json(
            &format!("/api/v1/jobs/{id}/retry"),
            Some(&operator.token),
            &json!({}),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "only dead jobs are retried"
    );
    let audited =
        format!("action = 'operate_jobs' AND decision = 'allow' AND resource_id = '{id}'");
    // The listing (one decision per job shown), the retry, and the retry refused as not dead.
    assert_eq!(app.count("audit_events", &audited).await, 3);

    // The same on the operator's page, in both languages.
    let cookie = format!("__Host-ticorr_session={}", operator.token);
    let page = app.get_with_cookies("/operator/jobs", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("id=\"operator-jobs\""), "{html}");
    assert!(html.contains("the remote service answered 503"));
    assert!(html.contains("后台任务"));
    assert!(
        html.contains("href=\"/operator/jobs\""),
        "offered in the navigation"
    );
    let en = app
        .get_with_cookies("/operator/jobs", &format!("{cookie}; ticorr_lang=en"))
        .await
        .text();
    assert!(en.contains("Recurring jobs"), "{en}");
    let other = app
        .get_with_cookies(
            "/operator/jobs",
            &format!("__Host-ticorr_session={}", admin.token),
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

async fn the_platform_declares_its_recurring_jobs_and_they_run(app: TestApp) {
    let db = app.state.db.clone();
    let handlers = ticorr_web::jobs::handlers(&app.state);
    schedule::sync(&db, handlers.schedules(), app.clock.now())
        .await
        .unwrap();
    // An old finished job, and a fresh one.
    for age in [Duration::days(40), Duration::days(1)] {
        let mut tx = db.begin().await.unwrap();
        let id = NewJob::new("test.old", json!({}))
            .enqueue(&mut tx, app.clock.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        jobs::claim(&db, "w", &["test.old"], app.clock.now(), LEASE)
            .await
            .unwrap()
            .unwrap();
        jobs::complete(&db, &id, "w", app.clock.now().minus(age))
            .await
            .unwrap();
    }
    // From Saturday to Monday: the daily jobs once each, and the weekly one.
    app.clock.advance(Duration::days(2));
    let enqueued = schedule::enqueue_due(&db, app.clock.now()).await.unwrap();
    assert_eq!(
        enqueued.len(),
        5,
        "the jobs' and the search feed's pruning, the standards' review dates, the cases' \
         feedback to the standards, the risk model"
    );
    assert_eq!(app.run_jobs().await, 5);
    // With no item and no case there is nothing to learn: the job says so and is done.
    assert_eq!(
        app.count(
            "jobs",
            "kind = 'cases.train-risk-model' AND status = 'done'"
        )
        .await,
        1
    );
    assert_eq!(
        app.count("jobs", "kind = 'test.old'").await,
        1,
        "only the old one went"
    );
    let operator = app
        .person(app.org(OrgKind::Operator, &[]).await, Role::Member)
        .await;
    let list = app
        .get("/api/v1/schedules", Some(&operator.token))
        .await
        .json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "cases.clause-feedback-daily",
            "cases.draft-bulletin-monthly",
            "cases.train-risk-model-weekly",
            "jobs.prune-daily",
            "search.prune-feed-daily",
            "standards.review-due-daily"
        ]
    );
    for s in list.as_array().unwrap() {
        // The monthly bulletin is not due before the 1st.
        if s["name"] == "cases.draft-bulletin-monthly" {
            assert!(s["last_job_id"].is_null(), "{s}");
            continue;
        }
        let last = s["last_job_id"].as_str().unwrap();
        assert!(enqueued.iter().any(|e| e.as_str() == last), "{s}");
    }
}

ticorr_test_support::on_both_engines!(
    a_job_exists_exactly_when_its_change_committed,
    a_dead_workers_job_is_claimed_again_and_its_late_outcome_ignored,
    failures_back_off_then_the_job_is_dead_until_retried,
    a_job_that_kills_its_worker_every_time_ends_dead,
    a_worker_killed_mid_job_is_replaced_and_the_effect_happens_once,
    a_worker_whose_lease_was_taken_over_cannot_commit_its_effect,
    the_heartbeat_keeps_a_running_job_leased,
    handler_errors_retry_bury_or_fail_the_job,
    shutdown_stops_claiming_and_lets_the_running_job_finish,
    a_due_schedule_enqueues_once_even_with_two_schedulers_racing,
    a_jobs_status_is_seen_by_its_starter_their_admins_and_the_operator,
    the_operator_sees_dead_jobs_and_retries_them_audited,
    the_platform_declares_its_recurring_jobs_and_they_run,
);
