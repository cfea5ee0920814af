//! Embedded, append-only migrations in portable SQL.
//!
//! Each file in `migrations/` is applied once, in order, inside its own transaction, and
//! recorded with a SHA-256 of its text. A recorded migration whose text has changed stops
//! the start-up: applied migrations are never edited, a new one is added instead. On
//! PostgreSQL an advisory lock keeps several nodes starting at once from racing.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Db, DbError, Engine};

/// One migration file.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! migration {
    ($version:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("../../../migrations/", $name, ".sql")),
        }
    };
}

/// Every migration, in order. Append only.
pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_identity"),
    migration!(2, "0002_equipment"),
    migration!(3, "0003_privacy"),
    migration!(4, "0004_ledger"),
    migration!(5, "0005_usage"),
    migration!(6, "0006_data_keys"),
    migration!(7, "0007_jobs"),
    migration!(10, "0010_notifications"),
];

/// What a run of the migrations did.
#[derive(Debug, Default)]
pub struct MigrationReport {
    pub applied: Vec<&'static str>,
    pub already: usize,
}

fn checksum(sql: &str) -> String {
    let digest = Sha256::digest(sql.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// An arbitrary constant naming Ticorr's migration lock among PostgreSQL advisory locks.
const PG_MIGRATION_LOCK: i64 = 0x7469_636f_7272;

pub(crate) async fn run(db: &Db) -> Result<MigrationReport, DbError> {
    let mut conn = db.pool().acquire().await?;
    if db.engine() == Engine::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(PG_MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    let result = apply_all(db, &mut conn).await;
    if db.engine() == Engine::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(PG_MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    result
}

async fn apply_all(
    db: &Db,
    conn: &mut sqlx::pool::PoolConnection<sqlx::Any>,
) -> Result<MigrationReport, DbError> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )
    .execute(&mut **conn)
    .await?;

    let rows =
        sqlx::query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
            .fetch_all(&mut **conn)
            .await?;
    let mut report = MigrationReport::default();
    let mut applied = std::collections::HashMap::new();
    for row in rows {
        let version: i64 = row.try_get("version")?;
        let checksum: String = row.try_get("checksum")?;
        applied.insert(version, checksum);
    }
    if let Some(unknown) = applied
        .keys()
        .copied()
        .filter(|v| !MIGRATIONS.iter().any(|m| m.version == *v))
        .max()
    {
        return Err(DbError::UnknownMigration(unknown));
    }

    for m in MIGRATIONS {
        let sum = checksum(m.sql);
        if let Some(existing) = applied.get(&m.version) {
            if *existing != sum {
                return Err(DbError::MigrationChanged {
                    version: m.version,
                    name: m.name.to_owned(),
                });
            }
            report.already += 1;
            continue;
        }
        let mut tx = db.begin().await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(m.sql))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(sum)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(
            migration.version = m.version,
            migration.name = m.name,
            "migration applied"
        );
        report.applied.push(m.name);
    }
    Ok(report)
}

fn now_text() -> String {
    ticorr_kernel::Clock::system().now().to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers are handed out to changes developed in parallel, so one may land before a
    /// lower-numbered one: versions must rise, not be contiguous. Each version is applied
    /// on its own (the runner records versions, not positions), so a late lower number is
    /// still applied on databases that already have a higher one.
    #[test]
    fn migrations_are_numbered_in_rising_order() {
        let mut last = 0;
        for m in MIGRATIONS {
            assert!(m.version > last, "{} comes after version {last}", m.name);
            last = m.version;
            assert!(
                m.name.starts_with(&format!("{:04}_", m.version)),
                "{}",
                m.name
            );
        }
    }
}
