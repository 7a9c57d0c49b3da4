//! The `taio` binary as an operator runs it: help for every command, a team and a token made on
//! a fresh SQLite file, `taio audit verify` before and after tampering with that file, and
//! `taio db grants` (applied on PostgreSQL when `TAIO_TEST_DATABASE_URL` is set).

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

use taio_persistence::testing::{execute, scalar};
use taio_persistence::{Database, DatabaseConfig};

/// Runs `taio` with `args`, with no database configured through the environment.
fn taio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_taio"))
        .args(args)
        .env_remove("TAIO_DATABASE_URL")
        .env("TAIO_LOG", "off")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A SQLite file in the temporary directory, removed at the end.
struct SqliteFile(PathBuf);

impl SqliteFile {
    fn new() -> Self {
        Self(std::env::temp_dir().join(format!("taio-cli-{}.db", uuid::Uuid::new_v4().simple())))
    }

    fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.0.display())
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["schema", "--help"],
        &["team", "--help"],
        &["team", "create", "--help"],
        &["token", "--help"],
        &["token", "create", "--help"],
        &["audit", "--help"],
        &["audit", "verify", "--help"],
        &["db", "--help"],
        &["db", "grants", "--help"],
        &["bench", "events", "--help"],
        &["events", "prune", "--help"],
    ] {
        let output = taio(args);
        assert!(output.status.success(), "taio {args:?}: {}", stderr(&output));
        assert!(stdout(&output).contains("Usage: taio"), "taio {args:?}: {}", stdout(&output));
    }
}

#[tokio::test]
async fn audit_verify_passes_on_a_fresh_database_and_names_a_tampered_chain() {
    let file = SqliteFile::new();
    let url = file.url();
    let team = taio(&["team", "create", "--key", "SOC", "--name", "Security Operations", "--database-url", &url]);
    assert!(team.status.success(), "{}", stderr(&team));
    let token =
        taio(&["token", "create", "--team", "SOC", "--role", "lead", "--name", "Alice", "--database-url", &url]);
    assert!(token.status.success(), "{}", stderr(&token));
    let secret = stdout(&token).lines().last().unwrap_or_default().to_owned();
    assert!(secret.starts_with("taio_") && secret.len() >= 48, "the token is the last line: {secret:?}");

    let intact = taio(&["audit", "verify", "--database-url", &url]);
    assert_eq!(intact.status.code(), Some(0), "{}", stderr(&intact));
    // createTeam, createPerson and createApiToken on the instance chain; setTeamMember on the team's.
    assert!(stdout(&intact).contains("checked 4 records in 2 chains; anchor "), "{}", stdout(&intact));
    assert!(stdout(&intact).contains("audit trail intact"), "{}", stdout(&intact));

    let database = Database::connect(&DatabaseConfig::new(url.as_str())).await.unwrap();
    assert_eq!(scalar(&database, "SELECT COUNT(*) FROM audit_records WHERE chain = 'instance'").await, 3);
    execute(&database, "UPDATE audit_records SET operation = 'revokeApiToken' WHERE chain = 'instance' AND seq = 3")
        .await;
    database.close().await;

    let tampered = taio(&["audit", "verify", "--database-url", &url]);
    assert_eq!(tampered.status.code(), Some(1), "{}", stdout(&tampered));
    assert!(!stdout(&tampered).contains("audit trail intact"), "{}", stdout(&tampered));
    assert!(
        stderr(&tampered).contains("audit trail broken: chain instance record 3: its content does not match its hash"),
        "{}",
        stderr(&tampered)
    );
}

#[test]
fn db_grants_prints_statements_that_leave_history_append_only() {
    let output = taio(&["db", "grants", "--role", "taio_app"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let statements = stdout(&output);
    assert!(statements.lines().all(|l| l.ends_with(';')), "pipeable into psql: {statements}");
    assert!(statements.contains("GRANT USAGE ON SCHEMA public TO \"taio_app\";"), "{statements}");
    for table in ["actions", "action_services", "incident_transitions", "audit_records"] {
        assert!(statements.contains(&format!("GRANT SELECT, INSERT ON {table} TO \"taio_app\";")), "{statements}");
    }
    assert!(!statements.contains("TRUNCATE") && !statements.contains("CREATE"), "{statements}");

    let invalid = taio(&["db", "grants", "--role", "taio-app; DROP TABLE incidents"]);
    assert_eq!(invalid.status.code(), Some(1));
    assert!(stderr(&invalid).contains("invalid role name"), "{}", stderr(&invalid));
    assert!(stdout(&invalid).is_empty(), "nothing printed for a bad name: {}", stdout(&invalid));

    let file = SqliteFile::new();
    let sqlite = taio(&["db", "grants", "--role", "taio_app", "--apply", "--database-url", &file.url()]);
    assert_eq!(sqlite.status.code(), Some(1));
    assert!(stderr(&sqlite).contains("PostgreSQL only"), "{}", stderr(&sqlite));
}

#[tokio::test]
async fn db_grants_apply_gives_the_role_insert_but_not_update_on_the_audit_trail() {
    let Some(db) = taio_persistence::testing::postgres().await else { return };
    let role = format!("taio_app_{}", uuid::Uuid::new_v4().simple());
    execute(&db.database, &format!("CREATE ROLE {role} LOGIN")).await;
    let applied = taio(&["db", "grants", "--role", &role, "--apply", "--database-url", &db.url]);
    let owner = taio(&["db", "grants", "--role", "postgres", "--apply", "--database-url", &db.url]);
    let privilege = |table: &str, privilege: &str| {
        format!("SELECT COUNT(*) FROM (SELECT 1 WHERE has_table_privilege('{role}', '{table}', '{privilege}')) AS p")
    };
    let insert = scalar(&db.database, &privilege("audit_records", "INSERT")).await;
    let update = scalar(&db.database, &privilege("audit_records", "UPDATE")).await;
    let truncate = scalar(&db.database, &privilege("actions", "TRUNCATE")).await;
    execute(&db.database, &format!("DROP OWNED BY {role}")).await;
    execute(&db.database, &format!("DROP ROLE {role}")).await;

    assert!(applied.status.success(), "{}", stderr(&applied));
    assert!(stderr(&applied).contains(&format!("granted to {role}")), "{}", stderr(&applied));
    assert_eq!((insert, update, truncate), (1, 0, 0));
    // The owner (here a superuser) can always rewrite the tables: refused, nothing applied.
    assert_eq!(owner.status.code(), Some(1));
    assert!(stderr(&owner).contains("role postgres can still UPDATE"), "{}", stderr(&owner));
}

#[tokio::test]
async fn a_token_listed_by_the_cli_can_be_revoked_by_it_and_stops_working() {
    let file = SqliteFile::new();
    let url = file.url();
    assert!(
        taio(&["team", "create", "--key", "SOC", "--name", "Security Operations", "--database-url", &url])
            .status
            .success()
    );
    let created =
        taio(&["token", "create", "--team", "SOC", "--role", "responder", "--name", "Ken", "--database-url", &url]);
    let secret = stdout(&created).lines().last().unwrap_or_default().to_owned();

    let listed = taio(&["token", "list", "--name", "Ken", "--database-url", &url]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let line = stdout(&listed).lines().next().unwrap_or_default().to_owned();
    assert!(line.contains(&secret[..12]) && line.contains("active"), "the prefix and state are listed: {line}");
    assert!(!stdout(&listed).contains(&secret), "the secret is never listed");
    let id = line.split('\t').next().unwrap_or_default().to_owned();

    let revoked = taio(&["token", "revoke", "--id", &id, "--database-url", &url]);
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    let listed = taio(&["token", "list", "--name", "Ken", "--database-url", &url]);
    assert!(stdout(&listed).contains("revoked"), "{}", stdout(&listed));
    let database =
        taio_persistence::Database::connect(&taio_persistence::DatabaseConfig::new(url.clone())).await.unwrap();
    let now = chrono::Utc::now();
    assert!(database.directory().authenticate(&secret, now).await.unwrap().is_none(), "a revoked token stops working");

    let unknown = taio(&["token", "revoke", "--id", &uuid::Uuid::new_v4().to_string(), "--database-url", &url]);
    assert_eq!(unknown.status.code(), Some(1), "an unknown token is an error");
    let verify = taio(&["audit", "verify", "--database-url", &url]);
    assert!(stdout(&verify).contains("audit trail intact"), "the revocation is audited: {}", stdout(&verify));
}

#[test]
fn events_prune_reports_what_it_removed() {
    let file = SqliteFile::new();
    let url = file.url();
    let run = taio(&["events", "prune", "--older-than-days", "30", "--database-url", &url]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stdout(&run).starts_with("pruned 0 events recorded before "), "{}", stdout(&run));
    assert!(stdout(&run).contains("cursors up to ev:0 now get CURSOR_EXPIRED"), "{}", stdout(&run));
    let missing = taio(&["events", "prune", "--database-url", &url]);
    assert_eq!(missing.status.code(), Some(2), "--older-than-days is required");
}

#[test]
fn the_event_benchmark_prints_a_line_per_writer_count() {
    let file = SqliteFile::new();
    let url = file.url();
    let args = ["bench", "events", "--writers", "1,3", "--actions", "6", "--subscribers", "2", "--database-url", &url];
    let run = taio(&args);
    assert!(run.status.success(), "{}", stderr(&run));
    let out = stdout(&run);
    let rows: Vec<Vec<&str>> =
        out.lines().filter(|l| l.starts_with("1\t") || l.starts_with("3\t")).map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2, "one line per writer count: {out}");
    assert_eq!(rows[0][2], "1.00", "the first writer count is the baseline: {out}");
    assert!(rows.iter().all(|r| r.len() == 8 && r[1].parse::<f64>().is_ok_and(|rate| rate > 0.0)), "{out}");
    let again = taio(&args);
    assert!(again.status.success(), "its own incidents do not count as real ones: {}", stderr(&again));
}

#[test]
fn the_dashboard_benchmark_prints_a_line_per_size_and_refuses_real_data() {
    let file = SqliteFile::new();
    let url = file.url();
    let args =
        ["bench", "dashboard", "--steps", "40,80", "--repeat", "1", "--actions-per-incident", "2", "--teams", "2"];
    let run = taio(&[&args[..], &["--database-url", &url]].concat());
    assert!(run.status.success(), "{}", stderr(&run));
    let out = stdout(&run);
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("40\t") || l.starts_with("80\t")).collect();
    assert_eq!(rows.len(), 2, "one line per size: {out}");
    assert!(rows[1].starts_with("80\t160\t"), "80 incidents with 160 actions: {}", rows[1]);

    let real = SqliteFile::new();
    let real_url = real.url();
    assert!(
        taio(&["team", "create", "--key", "SOC", "--name", "Security Operations", "--database-url", &real_url])
            .status
            .success()
    );
    let created =
        taio(&["token", "create", "--team", "SOC", "--role", "lead", "--name", "Mina", "--database-url", &real_url]);
    assert!(created.status.success());
    let url = real_url.clone();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        use std::sync::Arc;
        let database = taio_persistence::Database::connect(&taio_persistence::DatabaseConfig::new(url)).await.unwrap();
        let lead = database
            .directory()
            .authenticate(stdout(&created).lines().last().unwrap(), chrono::Utc::now())
            .await
            .unwrap()
            .unwrap();
        let service = database.incident_service(Arc::new(taio_core::SystemClock));
        let request = taio_core::incident::NewIncidentRequest {
            team_id: lead.memberships[0].team_id,
            title: taio_core::Text::parse("title", "A real incident", 200).unwrap(),
            description: None,
            source: None,
            reported_at: None,
            detected_at: None,
            tlp: None,
        };
        service.report(&lead, request).await.unwrap();
    });
    let refused = taio(&[&args[..], &["--database-url", &real_url]].concat());
    assert_eq!(refused.status.code(), Some(1), "a database with real incidents is refused");
    assert!(stderr(&refused).contains("real incidents"), "{}", stderr(&refused));
}
