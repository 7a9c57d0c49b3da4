//! `taio`: the command line. Parses the configuration once and runs one command.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use taio_core::{Clock, SystemClock};
use taio_persistence::{Database, DatabaseConfig};
use taio_server::bootstrap::{self, DirectoryError};
use taio_server::config::{AuditCommand, Cli, Command, DatabaseArgs, ServeArgs, TeamCommand, TokenCommand};
use taio_server::{AppState, app};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("TAIO_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("taio: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Writes a line to stdout (tokens, addresses and SDL are for the operator, not the log).
#[allow(clippy::print_stdout)]
fn say(line: &str) {
    println!("{line}");
}

async fn open(args: &DatabaseArgs) -> Result<Database, String> {
    let mut config = DatabaseConfig::new(args.database_url.clone());
    config.max_connections = args.database_max_connections;
    let database = Database::connect(&config)
        .await
        .map_err(|e| format!("cannot open database {}: {e}", taio_persistence::redact_url(&args.database_url)))?;
    database.migrate().await.map_err(|e| format!("migrations failed: {e}"))?;
    Ok(database)
}

fn directory_error(error: DirectoryError) -> String {
    error.to_string()
}

async fn run(command: Command) -> Result<(), String> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match command {
        Command::Serve(args) => serve(args, clock).await,
        Command::Migrate(args) => {
            open(&args).await?.close().await;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Schema(args) => {
            let sdl = taio_graphql::sdl();
            match args.output {
                Some(path) => std::fs::write(&path, sdl).map_err(|e| format!("cannot write {}: {e}", path.display())),
                None => {
                    say(sdl.trim_end());
                    Ok(())
                }
            }
        }
        Command::Team(TeamCommand::Create { key, name, database }) => {
            let db = open(&database).await?;
            let team =
                bootstrap::create_team(&db.directory(), clock.as_ref(), &key, &name).await.map_err(directory_error)?;
            say(&format!("created team {} ({}) with id {}", team.key, team.name.as_str(), team.id));
            db.close().await;
            Ok(())
        }
        Command::Bench(taio_server::config::BenchCommand::Dashboard {
            steps,
            actions_per_incident,
            teams,
            repeat,
            database,
        }) => {
            let db = open(&database).await?;
            let settings = taio_server::bench::BenchSettings { steps, actions_per_incident, teams, repeat };
            let result = taio_server::bench::dashboard(&db, clock, &settings, say).await;
            db.close().await;
            result
        }
        Command::Bench(taio_server::config::BenchCommand::Events { writers, actions, subscribers, database }) => {
            let db = open(&database).await?;
            db.listen_for_events(database.database_listen_url.as_deref());
            let settings = taio_server::bench_events::EventBenchSettings { writers, actions, subscribers };
            let result = taio_server::bench_events::events(&db, clock, &settings, say).await;
            db.close().await;
            result
        }
        Command::Events(taio_server::config::EventsCommand::Prune { older_than_days, database }) => {
            let db = open(&database).await?;
            let before = clock.now() - chrono::Duration::days(i64::from(older_than_days));
            let pruned = db.prune_events(before).await.map_err(|e| format!("pruning failed: {e}"));
            db.close().await;
            let pruned = pruned?;
            say(&format!(
                "pruned {} events recorded before {}; cursors up to {} now get CURSOR_EXPIRED",
                pruned.events,
                before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                pruned.through.cursor()
            ));
            Ok(())
        }
        Command::Audit(AuditCommand::Verify { database }) => {
            let db = open(&database).await?;
            let report = db.verify_audit().await.map_err(|e| format!("cannot read the audit trail: {e}"))?;
            db.close().await;
            say(&format!("checked {} records in {} chains; anchor {}", report.records, report.chains, report.anchor));
            match report.broken {
                None => {
                    say("audit trail intact");
                    Ok(())
                }
                Some(broken) => Err(format!("audit trail broken: {broken}")),
            }
        }
        Command::Db(taio_server::config::DbCommand::Grants { role, apply, database }) => {
            let statements = taio_persistence::grants::grant_statements(&role).map_err(|e| e.to_string())?;
            for statement in &statements {
                say(&format!("{statement};"));
            }
            if apply {
                let db = open(&database).await?;
                let applied = taio_persistence::grants::apply_grants(&db, &role).await;
                db.close().await;
                applied.map_err(|e| format!("cannot apply the grants: {e}"))?;
                eprintln!("granted to {role}; it cannot change or remove transitions, actions or audit records");
            }
            Ok(())
        }
        Command::Token(TokenCommand::List { name, database }) => {
            let db = open(&database).await?;
            let tokens = bootstrap::list_tokens(&db.directory(), &name).await.map_err(directory_error)?;
            for t in tokens {
                let state = match (t.revoked_at, t.expires_at) {
                    (Some(at), _) => format!("revoked {at}"),
                    (None, Some(at)) if at <= clock.now() => format!("expired {at}"),
                    (None, Some(at)) => format!("expires {at}"),
                    (None, None) => "active".to_owned(),
                };
                let used = t.last_used_at.map_or_else(|| "never used".to_owned(), |at| format!("last used {at}"));
                say(&format!(
                    "{}\t{}…\t{}\tcreated {}\t{state}\t{used}",
                    t.id,
                    t.prefix,
                    t.name.as_str(),
                    t.created_at
                ));
            }
            db.close().await;
            Ok(())
        }
        Command::Token(TokenCommand::Revoke { id, database }) => {
            let db = open(&database).await?;
            let token = bootstrap::revoke_token(&db.directory(), clock.as_ref(), id).await.map_err(directory_error)?;
            say(&format!("revoked token {} ({}…)", token.id, token.prefix));
            db.close().await;
            Ok(())
        }
        Command::Token(TokenCommand::Create { team, role, name, label, expires_in_days, database }) => {
            let db = open(&database).await?;
            let token =
                bootstrap::create_token(&db.directory(), clock.as_ref(), &team, role, &name, &label, expires_in_days)
                    .await
                    .map_err(directory_error)?;
            eprintln!("created token {} ({}…) for {name}; it is shown only once:", token.token.id, token.token.prefix);
            say(&token.secret);
            db.close().await;
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs, clock: Arc<dyn Clock>) -> Result<(), String> {
    let mut config = DatabaseConfig::new(args.database.database_url.clone());
    config.max_connections = args.database.database_max_connections;
    args.edge.apply_to(&mut config);
    let database = Database::connect(&config).await.map_err(|e| {
        format!("cannot open database {}: {e}", taio_persistence::redact_url(&args.database.database_url))
    })?;
    database.migrate().await.map_err(|e| format!("migrations failed: {e}"))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    if let Some(first) = bootstrap::first_run(&database.directory(), clock.as_ref()).await.map_err(directory_error)? {
        say("First start: created team SOC and an administrator who leads it.");
        if args.edge.graphiql_enabled() {
            say(&format!("GraphiQL: http://{address}/graphiql"));
            say(&format!("Administrator token for team {} (shown only once; paste it into GraphiQL):", first.team_key));
        } else {
            say(&format!("Administrator token for team {} (shown only once):", first.team_key));
        }
        say(&first.token.secret);
    }
    tracing::info!(%address, backend = ?database.backend(), "Taiō listening");
    tracing::info!(edge = ?args.edge, "edge settings");
    database.listen_for_events(args.database.database_listen_url.as_deref());
    let state = AppState::with_edge(database.clone(), clock, &args.edge);
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown_signal()).await.map_err(|e| e.to_string())?;
    database.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
