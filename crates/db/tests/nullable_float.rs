//! A nullable `f64` bound through the `Any` driver must not poison later statements on
//! the same PostgreSQL connection: equipment conditions are optional measurements, and the
//! first item saved without a chloride figure must not make every later item with one fail.

use ticorr_db::{Db, DbConfig};

#[tokio::test]
async fn a_null_float_then_a_value_on_one_connection() {
    let Ok(url) = std::env::var("TICORR_TEST_POSTGRES_URL") else {
        return;
    };
    let config = DbConfig {
        url,
        max_connections: 1,
        schema: format!("nullfloat_{}", std::process::id()),
        ..DbConfig::default()
    };
    let db = Db::connect(&config).await.expect("connect");
    sqlx::query("DROP TABLE IF EXISTS reading")
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("CREATE TABLE reading (id BIGINT PRIMARY KEY, chloride DOUBLE PRECISION)")
        .execute(db.pool())
        .await
        .unwrap();
    let insert = "INSERT INTO reading (id, chloride) VALUES ($1, $2)";
    let values: [Option<f64>; 3] = [None, Some(250.5), None];
    for (id, value) in values.iter().enumerate() {
        sqlx::query(insert)
            .bind(id as i64)
            .bind(*value)
            .execute(db.pool())
            .await
            .unwrap_or_else(|e| panic!("insert {id} ({value:?}): {e}"));
    }
    let stored: Vec<Option<f64>> = sqlx::query_scalar("SELECT chloride FROM reading ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(stored, values);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA {} CASCADE",
        config.schema
    )))
    .execute(db.pool())
    .await
    .unwrap();
}
