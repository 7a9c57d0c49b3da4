//! Connecting to PostgreSQL or SQLite, running migrations, and the statement counter.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend, DbErr};
use taio_core::incident::IncidentService;
use taio_core::{Catalog, Clock};
use taio_migrations::Migrator;
use taio_migrations::MigratorTrait;

use crate::{SqlActions, SqlIncidents, SqlTeams};

/// How to reach the database.
#[derive(Clone)]
pub struct DatabaseConfig {
    /// `postgres://…` or `sqlite://path?mode=rwc`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
    /// How long a request waits for a pooled connection before failing as unavailable.
    pub acquire_timeout: Duration,
    /// Longest a statement may run (PostgreSQL).
    pub statement_timeout: Duration,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &redact(&self.url))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .finish()
    }
}

impl DatabaseConfig {
    /// Defaults for `url`: 10 connections, 5 s to acquire one, 30 s per statement.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(30),
        }
    }
}

/// Hides the password in a database URL.
#[must_use]
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Which database engine is behind a [`Database`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

/// A connection pool with Taiō's settings, and a count of the statements it has run.
#[derive(Debug, Clone)]
pub struct Database {
    pub(crate) conn: DatabaseConnection,
    statements: Arc<AtomicU64>,
    signal: crate::EventSignal,
    url: Arc<str>,
}

impl Database {
    /// Opens a pool. SQLite files are created when missing and run in WAL mode with foreign keys
    /// on and full fsync, so an acknowledged write survives a crash.
    ///
    /// # Errors
    /// The driver's error when the database cannot be reached or the URL is malformed.
    pub async fn connect(config: &DatabaseConfig) -> Result<Self, DbErr> {
        let mut options = ConnectOptions::new(config.url.clone());
        options
            .max_connections(config.max_connections)
            .min_connections(0)
            .acquire_timeout(config.acquire_timeout)
            .connect_timeout(config.acquire_timeout)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
            });
        if config.url.starts_with("postgres") {
            options.statement_timeout(config.statement_timeout);
        }
        let mut conn = sea_orm::Database::connect(options).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&statements);
        conn.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        Ok(Self { conn, statements, signal: crate::EventSignal::default(), url: Arc::from(config.url.as_str()) })
    }

    /// Brings the schema up to date.
    ///
    /// # Errors
    /// The failing migration's error.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        // An application role without DDL rights can start once an owner has migrated.
        if Migrator::get_pending_migrations_read_only(&self.conn).await.is_ok_and(|pending| pending.is_empty()) {
            return Ok(());
        }
        Migrator::up(&self.conn, None).await
    }

    /// Checks the database answers.
    ///
    /// # Errors
    /// The driver's error when it does not.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.execute_unprepared("SELECT 1").await.map(|_| ())
    }

    /// Which engine this is.
    #[must_use]
    pub fn backend(&self) -> Backend {
        match self.conn.get_database_backend() {
            DbBackend::Postgres => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }

    /// How many SQL statements this pool has run since it was opened.
    #[must_use]
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Monitoring figures read from this database: open incidents, pool use.
    #[must_use]
    pub fn gauges(&self) -> crate::Gauges {
        crate::Gauges::new(self.conn.clone())
    }

    /// The incident service over this database.
    #[must_use]
    pub fn incident_service(&self, clock: Arc<dyn Clock>) -> IncidentService {
        IncidentService::new(
            Arc::new(self.incidents()),
            Arc::new(self.actions()),
            Arc::new(self.teams()),
            Arc::new(self.events()),
            Catalog::embedded(),
            clock,
        )
    }

    /// The event log over this database.
    #[must_use]
    pub fn events(&self) -> crate::SqlEvents {
        crate::SqlEvents::new(self.conn.clone(), self.signal.clone())
    }

    /// Deletes the incident events recorded before `before` (see [`crate::Pruned`]); run as the
    /// owner of the tables.
    ///
    /// # Errors
    /// Storage failures, e.g. a role without DELETE on `incident_events`.
    pub async fn prune_events(
        &self,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::Pruned, taio_core::RepoError> {
        crate::events::prune(&self.conn, before).await
    }

    /// Starts following other servers' events: on PostgreSQL a task listens for
    /// [`crate::NOTIFY_CHANNEL`] on a connection of its own, outside the pool (to `listen_url`
    /// when given, e.g. straight to PostgreSQL when the pool goes through a transaction pooler;
    /// else to the pool's database), and wakes this process's readers; on SQLite (one process)
    /// this process's own commits are all there is, and nothing is started. Call once, from a
    /// Tokio runtime.
    pub fn listen_for_events(&self, listen_url: Option<&str>) {
        if self.backend() == Backend::Postgres {
            let url = listen_url.map_or_else(|| self.url.to_string(), str::to_owned);
            tokio::spawn(crate::events::listen(url, self.signal.clone()));
        }
    }

    /// The incident repository over this database.
    #[must_use]
    pub fn incidents(&self) -> SqlIncidents {
        SqlIncidents::new(self.conn.clone(), self.signal.clone())
    }

    /// The action repository over this database.
    #[must_use]
    pub fn actions(&self) -> SqlActions {
        SqlActions::new(self.conn.clone(), self.signal.clone())
    }

    /// The dashboard service over this database.
    #[must_use]
    pub fn dashboard_service(&self, clock: Arc<dyn Clock>) -> taio_core::metrics::DashboardService {
        taio_core::metrics::DashboardService::new(
            Arc::new(crate::SqlMetrics::new(self.conn.clone())),
            Catalog::embedded(),
            clock,
        )
    }

    /// How many incidents there are.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn count_incidents(&self) -> Result<u64, taio_core::RepoError> {
        use sea_orm::{EntityTrait, PaginatorTrait};
        crate::entity::incident::Entity::find().count(&self.conn).await.map_err(crate::error::repo_err)
    }

    /// How many incidents were not made by the benchmark loader.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn count_non_benchmark_incidents(&self) -> Result<u64, taio_core::RepoError> {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        crate::entity::incident::Entity::find()
            .filter(crate::entity::incident::Column::Key.not_like("INC-BENCH-%"))
            .count(&self.conn)
            .await
            .map_err(crate::error::repo_err)
    }

    /// Bulk-loads a synthetic history (benchmarks only; see [`crate::bulk`]).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn bulk_load(
        &self,
        spec: &crate::bulk::BulkSpec,
        progress: impl FnMut(u64),
    ) -> Result<(), taio_core::RepoError> {
        crate::bulk::bulk_load(&self.conn, spec, progress).await
    }

    /// The team repository over this database.
    #[must_use]
    pub fn teams(&self) -> SqlTeams {
        SqlTeams::new(self.conn.clone())
    }

    /// The directory of teams, people and tokens.
    #[must_use]
    pub fn directory(&self) -> crate::Directory {
        crate::Directory::new(self.conn.clone())
    }

    /// Checks every audit chain and names the first broken link.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn verify_audit(&self) -> Result<crate::AuditReport, taio_core::RepoError> {
        crate::audit::verify(&self.conn).await
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(self) {
        if let Err(error) = self.conn.close().await {
            tracing::warn!(%error, "closing the database pool failed");
        }
    }
}

/// Begins a write transaction: `BEGIN IMMEDIATE` on SQLite, so that two writers queue for the
/// lock up front instead of failing when a read lock would be upgraded.
pub(crate) async fn begin_write(conn: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    conn.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn a_password_in_a_url_is_redacted() {
        assert_eq!(redact("postgres://taio:s3cret@db:5432/taio"), "postgres://taio:***@db:5432/taio");
        assert_eq!(redact("sqlite://taio.db?mode=rwc"), "sqlite://taio.db?mode=rwc");
    }
}
