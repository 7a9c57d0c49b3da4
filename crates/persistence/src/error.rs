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
    match error {
        DbErr::ConnectionAcquire(e) => RepoError::Unavailable(e.to_string()),
        DbErr::Conn(e) => RepoError::Unavailable(e.to_string()),
        other => RepoError::Internal(other.to_string()),
    }
}

/// A stored value that does not parse back into the domain.
pub(crate) fn corrupt(column: &str, value: &str) -> RepoError {
    RepoError::Internal(format!("stored {column} {value:?} is not valid"))
}
