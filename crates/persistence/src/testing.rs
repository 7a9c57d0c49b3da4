//! Test support: a fresh, migrated database per test on each backend — a SQLite file always, and
//! PostgreSQL (a new database per test) when `TAIO_TEST_DATABASE_URL` names a server. Under CI
//! a missing PostgreSQL is an error, not a skip. Fixtures create teams and members through the
//! real directory, so tokens authenticate as they do in production.

#![allow(clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use sea_orm::ConnectionTrait;
use taio_core::team::{DirectoryRepository, Role, Team, TeamKey};
use taio_core::{Clock, SystemClock, Text, Viewer};

use crate::{Database, DatabaseConfig};

/// The variable naming a PostgreSQL server for tests (any database on it; the tests create their
/// own).
pub const POSTGRES_ENV: &str = "TAIO_TEST_DATABASE_URL";

/// A database made for one test.
#[derive(Debug)]
pub struct TestDatabase {
    /// `sqlite` or `postgres`, for messages.
    pub backend: &'static str,
    /// Its URL, for starting a server on it.
    pub url: String,
    /// An open pool.
    pub database: Database,
    file: Option<PathBuf>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

/// One fresh database per available backend: SQLite, then PostgreSQL when configured.
///
/// # Panics
/// When a database cannot be created, or when `CI` is set but [`POSTGRES_ENV`] is not.
pub async fn test_databases() -> Vec<TestDatabase> {
    let mut databases = vec![sqlite().await];
    if let Some(postgres) = postgres().await {
        databases.push(postgres);
    }
    databases
}

/// A fresh SQLite file in the temporary directory.
///
/// # Panics
/// When the file cannot be created or migrated.
pub async fn sqlite() -> TestDatabase {
    let file = std::env::temp_dir().join(format!("taio-test-{}.db", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let database = open(&url).await;
    TestDatabase { backend: "sqlite", url, database, file: Some(file) }
}

/// A fresh PostgreSQL database, when [`POSTGRES_ENV`] is set.
///
/// # Panics
/// When `CI` is set but [`POSTGRES_ENV`] is not, or the server refuses.
pub async fn postgres() -> Option<TestDatabase> {
    let Ok(server) = std::env::var(POSTGRES_ENV) else {
        assert!(std::env::var_os("CI").is_none(), "CI must test PostgreSQL: set {POSTGRES_ENV}");
        return None;
    };
    let name = format!("taio_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(server.as_str()).await.expect("connect to the PostgreSQL test server");
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create a test database");
    admin.close().await.expect("close the admin connection");
    let url = with_database(&server, &name);
    let database = open(&url).await;
    Some(TestDatabase { backend: "postgres", url, database, file: None })
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

async fn open(url: &str) -> Database {
    let database = Database::connect(&DatabaseConfig::new(url)).await.expect("open the test database");
    database.migrate().await.expect("migrate the test database");
    database
}

/// A member of a fixture team, with a working token.
#[derive(Debug, Clone)]
pub struct Member {
    /// As the services see them.
    pub viewer: Viewer,
    /// Their bearer token.
    pub token: String,
}

/// A team with one member per role.
#[derive(Debug, Clone)]
pub struct TeamFixture {
    /// The team.
    pub team: Team,
    /// A lead.
    pub lead: Member,
    /// A responder.
    pub responder: Member,
    /// A viewer.
    pub viewer: Member,
}

/// Creates team `key` with a lead, a responder and a viewer.
///
/// # Panics
/// When the directory refuses (e.g. the key is taken).
pub async fn team_fixture(database: &Database, key: &str) -> TeamFixture {
    let directory = database.directory();
    let now = SystemClock.now();
    let team_key = TeamKey::parse(key).expect("a valid team key");
    let team = directory
        .create_team(&team_key, &Text::parse("name", &format!("Team {key}"), 200).expect("name"), now, None)
        .await
        .expect("create team");
    let mut members = Vec::new();
    for role in [Role::Lead, Role::Responder, Role::Viewer] {
        let name = Text::parse("name", &format!("{key} {}", role.as_str().to_lowercase()), 200).expect("name");
        let person = directory.person_named(&name, now).await.expect("create person");
        directory.set_membership(team.id, person.id, role, now, None).await.expect("membership");
        let token = directory
            .issue_token(person.id, &Text::parse("label", "test", 200).expect("label"), None, now, None)
            .await
            .expect("token");
        let viewer = directory.authenticate(&token.secret, now).await.expect("authenticate").expect("a valid token");
        members.push(Member { viewer, token: token.secret });
    }
    let mut members = members.into_iter();
    let (Some(lead), Some(responder), Some(viewer)) = (members.next(), members.next(), members.next()) else {
        unreachable!("three members were created")
    };
    TeamFixture { team, lead, responder, viewer }
}

/// Runs a `SELECT` returning one integer, for checking what is stored.
///
/// # Panics
/// When the statement fails or returns no integer.
pub async fn scalar(database: &Database, sql: &str) -> i64 {
    let row = database
        .conn
        .query_one_raw(sea_orm::Statement::from_string(database.conn.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("an integer")
}

/// Runs a statement that returns nothing, for arranging what a test needs (an expired or revoked
/// token, a busy connection).
///
/// # Panics
/// When the statement fails.
pub async fn execute(database: &Database, sql: &str) {
    database.conn.execute_unprepared(sql).await.expect("statement");
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn a_test_database_name_replaces_the_servers() {
        assert_eq!(with_database("postgres://u@h:5432/postgres", "t1"), "postgres://u@h:5432/t1");
        assert_eq!(with_database("postgres://u@h/x?sslmode=disable", "t1"), "postgres://u@h/t1?sslmode=disable");
        assert_eq!(with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
    }
}
