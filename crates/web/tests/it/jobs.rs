//! Durable jobs: enqueued with the change, leased, retried with backoff, dead-lettered.

use serde_json::json;
use ticorr_platform::jobs::{self, JobStatus};
use ticorr_test_support::TestApp;
use time::Duration;

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

ticorr_test_support::on_both_engines!(
    a_job_exists_exactly_when_its_change_committed,
    a_dead_workers_job_is_claimed_again_and_its_late_outcome_ignored,
    failures_back_off_then_the_job_is_dead_until_retried,
    a_job_that_kills_its_worker_every_time_ends_dead,
);
