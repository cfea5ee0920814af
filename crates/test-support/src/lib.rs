//! The test harness: [`TestApp`] builds the application exactly as production does
//! (`build_state` + `router`) on an isolated database — a fresh SQLite file, or a fresh
//! PostgreSQL schema when `TICORR_TEST_POSTGRES_URL` is set — with a manual clock, and
//! offers fixtures (verified organisations, people, sign-ins) and request helpers.
//!
//! ```ignore
//! let app = TestApp::sqlite().await;
//! let ent = app.org(OrgKind::Enterprise, &[]).await;
//! let who = app.person(ent, Role::Admin).await;
//! let res = app.get("/api/v1/me", Some(&who.token)).await;
//! assert_eq!(res.status, 200);
//! ```

pub mod receiver;
pub mod smtp;

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use ticorr_db::Engine;
use ticorr_kernel::{Clock, OrgId, OrgKind, OrgStatus, PersonId, Role, Timestamp, Uscc};
use ticorr_platform::identity::{orgs, password, people};
use ticorr_web::{AppState, Config};
use tower::ServiceExt;

/// The environment variable naming the PostgreSQL server for the second run of the suite.
pub const POSTGRES_ENV: &str = "TICORR_TEST_POSTGRES_URL";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// One application under test with its own database.
pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub clock: Clock,
    pub engine: Engine,
    _dir: Option<tempfile::TempDir>,
    pg_cleanup: Option<(String, String)>,
}

/// A person created by a fixture, signed in.
#[derive(Debug, Clone)]
pub struct Login {
    pub person_id: PersonId,
    pub org_id: OrgId,
    pub email: String,
    pub password: String,
    /// The sign-in token (usable as `Authorization: Bearer`).
    pub token: String,
}

/// A response, fully read.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The value of a cookie this response sets.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| {
                c.strip_prefix(&format!("{name}="))
                    .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
            })
    }
}

/// The witness key every test application trusts (`ledger.witnesses`), so tests can act
/// as a witness.
pub fn test_witness_key() -> ticorr_ledger::SignerKey {
    ticorr_ledger::SignerKey::from_seed(
        "witness.test.ticorr.local",
        ticorr_ledger::SignatureType::CosignatureV1,
        &[7u8; 32],
    )
    .expect("a valid key name")
}

fn test_config() -> Config {
    let mut config = Config::default();
    config.http.port = 0;
    config.log.filter = "warn".into();
    config.ledger.witnesses = vec![test_witness_key().verifier_key().to_string()];
    config
}

impl TestApp {
    /// An application on a fresh SQLite file.
    pub async fn sqlite() -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = test_config();
        config.data_dir = dir.path().to_path_buf();
        Self::build(config, Some(dir), None).await
    }

    /// An application on a fresh PostgreSQL schema, or `None` when no server is configured.
    pub async fn postgres() -> Option<TestApp> {
        let url = std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty())?;
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let schema = format!(
            "t_{}_{}_{}",
            std::process::id(),
            n,
            uuid::Uuid::new_v4()
                .simple()
                .to_string()
                .get(..8)
                .unwrap_or("x")
        );
        let mut config = test_config();
        let dir = tempfile::tempdir().expect("temp dir");
        config.data_dir = dir.path().to_path_buf();
        config.database.url = url.clone();
        config.database.schema = schema.clone();
        config.database.max_connections = 4;
        Some(Self::build(config, Some(dir), Some((url, schema))).await)
    }

    /// The engine named by the test binary's name suffix: used by the two-engine macro.
    pub async fn on(engine: Engine) -> Option<TestApp> {
        match engine {
            Engine::Sqlite => Some(Self::sqlite().await),
            Engine::Postgres => Self::postgres().await,
        }
    }

    async fn build(
        config: Config,
        dir: Option<tempfile::TempDir>,
        pg: Option<(String, String)>,
    ) -> TestApp {
        // A server error's cause goes to the test's captured output, shown when it fails.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(tracing_subscriber::EnvFilter::new("error"))
            .try_init();
        let clock = Clock::manual(Timestamp::parse("2026-11-28T08:00:00Z").expect("valid time"));
        let engine = Engine::from_url(&config.database_url()).expect("supported URL");
        let state = ticorr_web::build_state(config, clock.clone())
            .await
            .expect("application builds");
        let router = ticorr_web::router(state.clone());
        TestApp {
            state,
            router,
            clock,
            engine,
            _dir: dir,
            pg_cleanup: pg,
        }
    }

    /// Sends a request through the real router.
    pub async fn request(&self, req: Request<Body>) -> TestResponse {
        let res = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router answers");
        let status = res.status();
        let headers = res.headers().clone();
        let body = res
            .into_body()
            .collect()
            .await
            .expect("body reads")
            .to_bytes();
        TestResponse {
            status,
            headers,
            body,
        }
    }

    fn builder(method: Method, path: &str, token: Option<&str>) -> axum::http::request::Builder {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        b
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.request(
            Self::builder(Method::GET, path, token)
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> TestResponse {
        self.request(
            Self::builder(method, path, token)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .expect("request"),
        )
        .await
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> TestResponse {
        self.send_json(Method::POST, path, token, body).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.request(
            Self::builder(Method::DELETE, path, token)
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    /// Posts a body with an explicit content type.
    pub async fn post_body(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<Body>,
    ) -> TestResponse {
        self.request(
            Self::builder(Method::POST, path, token)
                .header(header::CONTENT_TYPE, content_type)
                .body(body.into())
                .expect("request"),
        )
        .await
    }

    /// A page request carrying cookies (`name=value; …`).
    pub async fn get_with_cookies(&self, path: &str, cookies: &str) -> TestResponse {
        self.request(
            Request::builder()
                .uri(path)
                .header(header::COOKIE, cookies)
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    /// A form post carrying cookies.
    pub async fn post_form(
        &self,
        path: &str,
        cookies: &str,
        form: &[(&str, &str)],
    ) -> TestResponse {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.request(
            Request::builder()
                .method(Method::POST)
                .uri(path)
                .header(header::COOKIE, cookies)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .expect("request"),
        )
        .await
    }

    /// A verified organisation of `kind`, settled in `parks` (enterprises).
    pub async fn org(&self, kind: OrgKind, parks: &[OrgId]) -> OrgId {
        self.org_with_status(kind, parks, OrgStatus::Verified).await
    }

    pub async fn org_with_status(
        &self,
        kind: OrgKind,
        parks: &[OrgId],
        status: OrgStatus,
    ) -> OrgId {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let id = OrgId::new();
        let body = format!("91330000{:09}", n % 1_000_000_000);
        let org = orgs::NewOrganization {
            id,
            kind,
            name: format!("测试{}单位{n}", kind.as_str()),
            name_en: Some(format!("Test {} {n}", kind.as_str())),
            uscc: Uscc::complete(&body),
            region_code: "330000".into(),
            industry_code: matches!(kind, OrgKind::Enterprise | OrgKind::Manufacturer)
                .then(|| "2612".to_owned()),
            address: Some("测试路 1 号".into()),
            status,
            parks: parks.to_vec(),
        };
        let mut tx = self.state.db.begin().await.expect("begin");
        orgs::insert(&mut tx, &org, self.clock.now())
            .await
            .expect("org inserted");
        tx.commit().await.expect("commit");
        id
    }

    /// A person of `org` with a password, signed in over the API.
    pub async fn person(&self, org: OrgId, role: Role) -> Login {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let email = format!("person{n}@test.ticorr.cn");
        let pw = format!("correct horse {n} battery");
        let hash = password::hash(&self.state.config.identity, &pw).expect("hash");
        let id = PersonId::new();
        let mut tx = self.state.db.begin().await.expect("begin");
        people::insert(
            &mut tx,
            &people::NewPerson {
                id,
                org_id: org,
                email: email.clone(),
                display_name: format!("测试人员{n}"),
                role,
                password_hash: Some(hash),
            },
            self.clock.now(),
        )
        .await
        .expect("person inserted");
        tx.commit().await.expect("commit");
        let token = self.login(&email, &pw).await;
        Login {
            person_id: id,
            org_id: org,
            email,
            password: pw,
            token,
        }
    }

    /// Signs in over the API and returns the token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self
            .post_json(
                "/api/v1/auth/login",
                None,
                &serde_json::json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "sign-in failed: {}", res.text());
        res.json()["token"].as_str().expect("token").to_owned()
    }

    /// Runs every due job with the application's own handlers (`ticorr_web::jobs::handlers`),
    /// one after another, as the worker `test-worker`, at the manual clock's time; returns
    /// how many ran. A job that fails is queued for later and not run again here.
    pub async fn run_jobs(&self) -> usize {
        let handlers = ticorr_web::jobs::handlers(&self.state);
        let mut ran = 0;
        while ticorr_platform::jobs::worker::run_next(
            &self.state.db,
            &self.clock,
            &handlers,
            "test-worker",
            time::Duration::minutes(5),
        )
        .await
        .expect("jobs can be claimed and settled")
        .is_some()
        {
            ran += 1;
            assert!(ran < 10_000, "jobs keep becoming due");
        }
        ran
    }

    /// Counts rows of a table matching a WHERE clause (for audit and no-change checks).
    pub async fn count(&self, table: &str, condition: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {condition}");
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
            .fetch_one(self.state.db.pool())
            .await
            .expect("count")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((url, schema)) = self.pg_cleanup.take() {
            // Drop the test's schema on a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async move {
                    sqlx::any::install_default_drivers();
                    let pool = sqlx::AnyPool::connect(&url).await.ok()?;
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS {schema} CASCADE"
                    )))
                    .execute(&pool)
                    .await;
                    pool.close().await;
                    Some(())
                })
            })
            .join();
        }
    }
}

/// Percent-encodes a form value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Defines each listed async test function twice: once on SQLite and once on PostgreSQL
/// (the latter passes without running when `TICORR_TEST_POSTGRES_URL` is unset; CI sets it
/// and fails if the server is unreachable).
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::TestApp::sqlite().await;
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::TestApp::postgres().await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}
