//! Storage: one code path over SQLite and PostgreSQL.
//!
//! The platform talks to its database through sqlx's `Any` driver with portable SQL (see
//! `docs/architecture.md`, "Storage"). The engine is chosen by the URL: `sqlite:` for the
//! embedded default, `postgres:` for production. This crate owns the connection settings
//! that make SQLite safe for acknowledged writes (WAL with `synchronous=FULL`), the way
//! write transactions begin on each engine, and the embedded, append-only migrations.

mod migrate;

use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};

pub use migrate::{MIGRATIONS, Migration, MigrationReport};
pub use sqlx;

/// A transaction on whichever engine is configured.
pub type Tx = Transaction<'static, Any>;

/// The two supported engines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Engine::Postgres)
        } else {
            Err(DbError::UnsupportedUrl)
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// Database settings (`[database]` in the configuration file).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DbConfig {
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`. Empty: a SQLite file
    /// `ticorr.db` in the data directory.
    pub url: String,
    /// Upper bound of pooled connections.
    pub max_connections: u32,
    /// PostgreSQL only: the schema to work in (created if missing). Empty: the server's
    /// default `search_path`. Tests use one schema per test.
    pub schema: String,
    /// How long a statement waits for a lock before failing, in milliseconds.
    pub busy_timeout_ms: u64,
}

impl Default for DbConfig {
    fn default() -> Self {
        DbConfig {
            url: String::new(),
            max_connections: 8,
            schema: String::new(),
            busy_timeout_ms: 5_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database URL must start with `sqlite:` or `postgres:`")]
    UnsupportedUrl,
    #[error("the PostgreSQL schema name `{0}` may only contain lower-case letters, digits and `_`")]
    BadSchemaName(String),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(
        "migration {version} ({name}) was changed after it was applied; migrations are append-only"
    )]
    MigrationChanged { version: i64, name: String },
    #[error("the database has migration {0}, which this binary does not know; run a newer ticorr")]
    UnknownMigration(i64),
}

/// A handle to the database pool. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    engine: Engine,
}

impl Db {
    /// Opens a pool. SQLite connections are put in WAL mode with `synchronous=FULL`, so a
    /// commit that returned is on disk even across a power loss, with foreign keys enforced.
    pub async fn connect(config: &DbConfig) -> Result<Db, DbError> {
        install_default_drivers();
        let engine = Engine::from_url(&config.url)?;
        let schema = config.schema.clone();
        if !schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(DbError::BadSchemaName(schema));
        }
        let busy = config.busy_timeout_ms;
        let url = match engine {
            // `mode=rwc` creates the file on first use.
            Engine::Sqlite if !config.url.contains('?') => format!("{}?mode=rwc", config.url),
            // No cached prepared statements: through the `Any` driver a NULL `f64` is sent
            // as `float4` (sqlx-core 0.9 swaps Real and Double for nulls), so a statement
            // first prepared with a NULL there refuses a later value on the same connection
            // ("incorrect binary data format"). Unnamed statements take each call's types.
            Engine::Postgres if !config.url.contains("statement-cache-capacity") => {
                let sep = if config.url.contains('?') { '&' } else { '?' };
                format!("{}{sep}statement-cache-capacity=0", config.url)
            }
            _ => config.url.clone(),
        };
        if engine == Engine::Postgres && !schema.is_empty() {
            // Create the schema once, before pooled connections start using it.
            let pool = AnyPoolOptions::new()
                .max_connections(1)
                .connect(&url)
                .await?;
            pool.execute(sqlx::AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}"
            )))
            .await?;
            pool.close().await;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(config.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                let schema = schema.clone();
                Box::pin(async move {
                    match engine {
                        Engine::Sqlite => {
                            conn.execute(sqlx::AssertSqlSafe(format!(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {busy};"
                            )))
                            .await?;
                        }
                        Engine::Postgres => {
                            let mut set =
                                format!("SET lock_timeout = {busy}; SET TIME ZONE 'UTC';");
                            if !schema.is_empty() {
                                set.push_str(&format!(" SET search_path TO {schema};"));
                            }
                            conn.execute(sqlx::AssertSqlSafe(set)).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Db { pool, engine })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout instead of one of
    /// them failing when it upgrades a read lock.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        let tx = match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }

    /// Applies every embedded migration the database does not have yet.
    pub async fn migrate(&self) -> Result<MigrationReport, DbError> {
        migrate::run(self).await
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Whether `err` is a violation of a unique constraint, and if so which columns it names.
///
/// SQLite reports `UNIQUE constraint failed: table.column`; PostgreSQL names the constraint
/// (`table_column_key`). Either way the caller receives the text to match field names
/// against, so storage errors get their domain meaning in one place.
/// `$from, $from+1, …` for `n` bind parameters, for statements with a list of values.
pub fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn unique_violation(err: &sqlx::Error) -> Option<String> {
    let db_err = err.as_database_error()?;
    if db_err.kind() != sqlx::error::ErrorKind::UniqueViolation {
        return None;
    }
    Some(
        db_err
            .constraint()
            .map(str::to_owned)
            .unwrap_or_else(|| db_err.message().to_owned()),
    )
}

/// Parses a value read as text from the database into a domain type. A failure means the
/// stored data is corrupt (it was validated on the way in), so it is reported as a decode
/// error rather than a client error.
pub fn decode<T: FromStr>(column: &'static str, value: &str) -> Result<T, sqlx::Error>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    value
        .parse()
        .map_err(|e: T::Err| sqlx::Error::ColumnDecode {
            index: column.to_owned(),
            source: Box::new(e),
        })
}

/// A `LIKE … ESCAPE '\'` pattern matching `text` anywhere, case-insensitively when the
/// column is wrapped in `LOWER(…)`: the text is lower-cased and its `\`, `%` and `_`
/// escaped, so a search for `50%` finds "50%" and not everything.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Reads a text column and parses it into a domain type (ids, vocabularies, timestamps).
pub fn parsed<T: FromStr>(row: &sqlx::any::AnyRow, column: &'static str) -> Result<T, sqlx::Error>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    use sqlx::Row;
    decode(column, &row.try_get::<String, _>(column)?)
}

/// As [`parsed`], for a nullable column.
pub fn parsed_opt<T: FromStr>(
    row: &sqlx::any::AnyRow,
    column: &'static str,
) -> Result<Option<T>, sqlx::Error>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    use sqlx::Row;
    row.try_get::<Option<String>, _>(column)?
        .map(|v| decode(column, &v))
        .transpose()
}

/// Flags are stored as BIGINT 0/1 on both engines: sqlx's `Any` driver cannot describe a
/// SQLite column declared BOOLEAN. These helpers keep that detail in one place.
pub mod flag {
    use sqlx::Row;
    use sqlx::any::AnyRow;

    /// The stored form of a flag.
    pub fn to_db(value: bool) -> i64 {
        i64::from(value)
    }

    pub fn to_db_opt(value: Option<bool>) -> Option<i64> {
        value.map(to_db)
    }

    pub fn get(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
        Ok(row.try_get::<i64, _>(column)? != 0)
    }

    pub fn get_opt(row: &AnyRow, column: &str) -> Result<Option<bool>, sqlx::Error> {
        Ok(row.try_get::<Option<i64>, _>(column)?.map(|v| v != 0))
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("Gr_2 50%"), "%gr\\_2 50\\%%");
        assert_eq!(contains_pattern("a\\b"), "%a\\\\b%");
    }
}
