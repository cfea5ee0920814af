//! The equipment part of relevance targeting: which organisations own items matching a
//! filter (grade, process medium, temperature and chloride bands). The platform's
//! `notify::target` adds the organisation part and sends.

use sqlx::AnyConnection;
use ticorr_kernel::OrgId;
use ticorr_platform::notify::target::{EquipmentIndex, EquipmentMatch, OrgsFuture};

/// The registry as an [`EquipmentIndex`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Index;

impl EquipmentIndex for Index {
    fn owners_of_matching<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        filter: &'a EquipmentMatch,
    ) -> OrgsFuture<'a> {
        Box::pin(owners_of_matching(conn, filter))
    }
}

/// The owners of items matching every criterion of `filter`. An item whose value is
/// unknown does not match a band on that value.
pub async fn owners_of_matching(
    conn: &mut AnyConnection,
    filter: &EquipmentMatch,
) -> Result<Vec<OrgId>, sqlx::Error> {
    let mut sql = String::from("SELECT DISTINCT org_id FROM equipment WHERE 1 = 1");
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if !filter.grades.is_empty() {
        let marks: Vec<String> = filter.grades.iter().map(|_| next()).collect();
        sql.push_str(&format!(" AND grade IN ({})", marks.join(", ")));
    }
    if filter.medium.is_some() {
        sql.push_str(&format!(
            " AND LOWER(process_medium) LIKE {} ESCAPE '\\'",
            next()
        ));
    }
    let bands = [
        ("temperature_c", filter.temperature_c),
        ("chloride_mg_l", filter.chloride_mg_l),
    ];
    for (column, (min, max)) in bands {
        if min.is_some() {
            sql.push_str(&format!(" AND {column} >= {}", next()));
        }
        if max.is_some() {
            sql.push_str(&format!(" AND {column} <= {}", next()));
        }
    }
    sql.push_str(" ORDER BY org_id");
    let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
    for g in &filter.grades {
        q = q.bind(g.clone());
    }
    if let Some(m) = &filter.medium {
        q = q.bind(ticorr_db::contains_pattern(m));
    }
    for (_, (min, max)) in bands {
        if let Some(v) = min {
            q = q.bind(v);
        }
        if let Some(v) = max {
            q = q.bind(v);
        }
    }
    q.fetch_all(conn)
        .await?
        .iter()
        .map(|id| ticorr_db::decode("org_id", id))
        .collect()
}
