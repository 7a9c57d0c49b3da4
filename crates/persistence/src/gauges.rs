//! Figures read at scrape time for monitoring: open incidents by team, stage and severity, and
//! the use of the connection pool.

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseConnectionType, Statement};
use taio_core::RepoError;
use taio_core::incident::Status;

use crate::error::repo_err;

/// Open incidents counted by team key, stage and severity, in one pass over the table.
fn open_incidents_sql() -> String {
    format!(
        "SELECT t.key, i.stage, i.severity, COUNT(*) \
         FROM incidents i JOIN teams t ON t.id = i.team_id \
         WHERE i.status = '{open}' \
         GROUP BY t.key, i.stage, i.severity",
        open = Status::Open.as_str()
    )
}

/// How many open incidents share a team, a stage and a severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenIncidentCount {
    /// The team's key, e.g. `SOC`.
    pub team: String,
    /// The stored stage, `D1` … `D7`.
    pub stage: String,
    /// The stored severity (`LOW` … `CRITICAL`), `None` while unclassified.
    pub severity: Option<String>,
    /// How many.
    pub count: u64,
}

/// The connection pool at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    /// Connections open, idle or in use.
    pub open: u32,
    /// Open connections waiting in the pool.
    pub idle: u32,
    /// The most connections the pool may open.
    pub max: u32,
}

impl PoolUse {
    /// Open connections lent out.
    #[must_use]
    pub fn in_use(&self) -> u32 {
        self.open.saturating_sub(self.idle)
    }
}

/// Reads monitoring figures from one database.
#[derive(Debug, Clone)]
pub struct Gauges {
    conn: DatabaseConnection,
}

impl Gauges {
    pub(crate) fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    /// Open incidents by team key, stage and severity; combinations with none are left out.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when no connection could be had, `RepoError::Internal` for other
    /// storage failures.
    pub async fn open_incidents(&self) -> Result<Vec<OpenIncidentCount>, RepoError> {
        let statement = Statement::from_string(self.conn.get_database_backend(), open_incidents_sql());
        let rows = self.conn.query_all_raw(statement).await.map_err(repo_err)?;
        rows.iter()
            .map(|row| {
                let count: i64 = row.try_get_by_index(3).map_err(repo_err)?;
                Ok(OpenIncidentCount {
                    team: row.try_get_by_index(0).map_err(repo_err)?,
                    stage: row.try_get_by_index(1).map_err(repo_err)?,
                    severity: row.try_get_by_index(2).map_err(repo_err)?,
                    count: u64::try_from(count).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The pool's connections, when the driver exposes them.
    #[must_use]
    pub fn pool(&self) -> Option<PoolUse> {
        match &self.conn.inner {
            DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
                Some(pool_use(self.conn.get_postgres_connection_pool()))
            }
            DatabaseConnectionType::SqlxSqlitePoolConnection(_) => {
                Some(pool_use(self.conn.get_sqlite_connection_pool()))
            }
            _ => None,
        }
    }
}

fn pool_use<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> PoolUse {
    PoolUse {
        open: pool.size(),
        idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
        max: pool.options().get_max_connections(),
    }
}
