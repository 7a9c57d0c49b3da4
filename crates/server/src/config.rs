//! Command-line and environment configuration, read once in `main` and passed down.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The database used when none is configured: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://taio.db?mode=rwc";

/// Taiō — incident workflow tracker for SOC/CSIRT teams, organised by the ISOG-J service catalog.
#[derive(Debug, Parser)]
#[command(name = "taio", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (GraphQL API, GraphiQL, health checks). Applies migrations first.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
    /// Print the GraphQL schema (SDL) to stdout.
    Schema(SchemaArgs),
    /// Manage teams.
    #[command(subcommand)]
    Team(TeamCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Benchmarks on synthetic data (never on a database with real incidents).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Database administration.
    #[command(subcommand)]
    Db(DbCommand),
    /// The incident event log (what subscriptions replay).
    #[command(subcommand)]
    Events(EventsCommand),
}

/// `taio events …`
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Delete the incident events recorded more than `--older-than-days` ago. Subscribers resuming
    /// from a cursor before them get `CURSOR_EXPIRED` and start again from `eventCursor`; the
    /// incidents, actions, transitions and audit trail are untouched. Run it as the owner of the
    /// tables (the application role may not delete events).
    Prune {
        /// Keep the events of the last this many days.
        #[arg(long)]
        older_than_days: u32,
        /// The database, as its owner.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// `taio db …`
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Print the PostgreSQL GRANT statements that give the application's role what it needs and no
    /// more: it cannot UPDATE, DELETE or TRUNCATE transitions, actions or the audit trail, nor run
    /// migrations. Run `taio migrate` and `--apply` as the owner of the tables, again after each
    /// upgrade.
    Grants {
        /// The application's role (a plain lowercase identifier; it must exist and must not own
        /// the tables).
        #[arg(long)]
        role: String,
        /// Also apply them (migrating first), then check the role cannot change append-only tables.
        #[arg(long)]
        apply: bool,
        /// The database, as its owner.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// `taio bench …`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Grow a synthetic data set step by step (bulk loaded, no audit trail) and print how long a
    /// team dashboard takes at each size, beside the first page of the incident list as a
    /// baseline timed in the same run.
    Dashboard {
        /// Total incident counts to measure at, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
        steps: Vec<u64>,
        /// Actions per incident.
        #[arg(long, default_value_t = 10)]
        actions_per_incident: u32,
        /// Teams the incidents are spread over (the dashboard is of the first).
        #[arg(long, default_value_t = 10)]
        teams: usize,
        /// Timed repetitions per size (the median is printed).
        #[arg(long, default_value_t = 5)]
        repeat: usize,
        /// The database (use an empty one; it refuses a database with real incidents).
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Record actions from concurrent writers while subscribers follow the event fan-out; print
    /// throughput beside the first writer count's (the baseline, timed in the same run) and the
    /// time from a write's return to its event reaching a subscriber beside the write's own time.
    Events {
        /// Concurrent writer counts to measure, comma-separated; the first is the baseline.
        #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
        writers: Vec<usize>,
        /// Actions each writer records per step.
        #[arg(long, default_value_t = 300)]
        actions: usize,
        /// Subscribers following the fan-out.
        #[arg(long, default_value_t = 50)]
        subscribers: usize,
        /// The database (use an empty one; it refuses a database with real incidents).
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// `taio audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every audit chain: records numbered without gaps, each linked to the one before, each
    /// matching its hash, each chain ending at its recorded head. Names the first broken link and
    /// exits with status 1 when there is one.
    Verify {
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// Where the database is.
#[derive(Args, Clone)]
pub struct DatabaseArgs {
    /// Database URL: `postgres://user:password@host/db`, or `sqlite://path?mode=rwc` (the default
    /// is a SQLite file `taio.db` in the working directory).
    #[arg(long, env = "TAIO_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
    pub database_url: String,
    /// Most database connections in the pool.
    #[arg(long, env = "TAIO_DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,
    /// PostgreSQL only: where the event listener connects for `LISTEN` (one connection, outside
    /// the pool), when `--database-url` goes through a pooler in transaction mode, which cannot
    /// pass notifications; the database URL itself when not given.
    #[arg(long, env = "TAIO_DATABASE_LISTEN_URL", hide_env_values = true)]
    pub database_listen_url: Option<String>,
}

impl std::fmt::Debug for DatabaseArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseArgs")
            .field("database_url", &taio_persistence::redact_url(&self.database_url))
            .field("database_max_connections", &self.database_max_connections)
            .field("database_listen_url", &self.database_listen_url.as_deref().map(taio_persistence::redact_url))
            .finish()
    }
}

/// Options of `taio serve`.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TAIO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Request limits, timeouts and what the edge exposes.
    #[command(flatten)]
    pub edge: crate::edge::EdgeArgs,
}

/// Options of `taio schema`.
#[derive(Debug, Args, Clone)]
pub struct SchemaArgs {
    /// Write the SDL to this file instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

/// `taio team …`
#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Create a team.
    Create {
        /// Short unique key, e.g. SOC (2–16 letters, digits, hyphens).
        #[arg(long)]
        key: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// A role to grant with a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Read the team's incidents.
    Viewer,
    /// Report, acknowledge, classify, transition and record actions.
    Responder,
    /// Also close, reopen and reassign.
    Lead,
    /// Instance administrator (and lead of the team).
    Admin,
}

/// `taio token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// List a person's tokens (never their secrets): id, prefix, label, dates, state.
    List {
        /// The person's name.
        #[arg(long)]
        name: String,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a token at once.
    Revoke {
        /// The token's id (from `taio token list`).
        #[arg(long)]
        id: uuid::Uuid,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Create a token for a person (created if new) with a role in a team. The token is printed
    /// once, as the last line of stdout.
    Create {
        /// The team's key.
        #[arg(long)]
        team: String,
        /// The role in that team.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The person's name (an existing person with this exact name is reused).
        #[arg(long)]
        name: String,
        /// A label for the token, to tell tokens apart.
        #[arg(long, default_value = "cli")]
        label: String,
        /// Days until the token expires; it never expires when omitted.
        #[arg(long)]
        expires_in_days: Option<u32>,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}
