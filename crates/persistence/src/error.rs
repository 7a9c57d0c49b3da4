//! Turns sea-orm errors into the domain's storage errors, portably across both backends.

use sea_orm::{DbErr, SqlErr};
use taio_core::RepoError;

/// Classifies a database error: constraint violations by kind, pool exhaustion as unavailable,
/// everything else internal (its text stays in logs).
pub(crate) fn repo_err(error: DbErr) -> RepoError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => return RepoError::Duplicate(detail),
        Some(SqlErr::ForeignKeyConstraintViolation(detail)) => return RepoError::MissingReference(detail),
        _ => {}
    }
    if is_query_cancelled(&error) {
        return RepoError::Unavailable("the statement timed out".into());
    }
    match error {
        DbErr::ConnectionAcquire(e) => RepoError::Unavailable(e.to_string()),
        DbErr::Conn(e) => RepoError::Unavailable(e.to_string()),
        other => RepoError::Internal(other.to_string()),
    }
}

/// PostgreSQL cancelled the statement (SQLSTATE 57014), as its statement timeout does.
fn is_query_cancelled(error: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    match error {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            e.as_database_error().and_then(|d| d.code()).is_some_and(|code| code == "57014")
        }
        _ => false,
    }
}

/// A stored value that does not parse back into the domain.
pub(crate) fn corrupt(column: &str, value: &str) -> RepoError {
    RepoError::Internal(format!("stored {column} {value:?} is not valid"))
}
