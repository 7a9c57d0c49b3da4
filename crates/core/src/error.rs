//! Errors of the incident service and of the storage ports.

use crate::incident::WorkflowState;

/// A rejected input field: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The input field, as the API names it (camelCase).
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A rejection of `field` for `message`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}

/// Everything an incident operation can fail with. Each variant is a business outcome the API
/// maps to one stable error code; `Internal` is the opaque bucket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncidentError {
    /// The object does not exist, or the caller may not know that it does.
    #[error("not found")]
    NotFound,
    /// The caller may see the object but lacks the role for this operation.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// An input was rejected.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// Service codes that are not in the catalog.
    #[error("unknown catalog services: {}", .0.join(", "))]
    UnknownServices(Vec<String>),
    /// The state machine does not allow this move from the current state.
    #[error("{message}")]
    InvalidTransition {
        /// Where the incident is.
        from: WorkflowState,
        /// Where the request wanted it.
        to: Option<WorkflowState>,
        /// The states the incident can move to now.
        allowed: Vec<WorkflowState>,
        /// Why the move was refused.
        message: String,
    },
    /// The caller's `expectedVersion` is stale.
    #[error("version conflict: expected version {expected} is stale")]
    Conflict {
        /// The version the caller saw.
        expected: i64,
        /// The version stored now, where known.
        actual: Option<i64>,
    },
    /// A cursor from before the events that were pruned: what followed it is gone.
    #[error("events through {pruned_through} were pruned")]
    CursorExpired {
        /// The last position removed.
        pruned_through: i64,
    },
    /// The database is out of reach or saturated.
    #[error("storage unavailable")]
    Unavailable,
    /// An unexpected failure; the detail is for logs only.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What storage ports fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoError {
    /// A conditional write matched no row: someone else wrote first.
    #[error("concurrent modification")]
    Conflict,
    /// A row that must exist does not.
    #[error("not found")]
    NotFound,
    /// A referenced row does not exist (foreign key).
    #[error("missing reference: {0}")]
    MissingReference(String),
    /// A unique constraint refused the write.
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// The database could not be reached in time.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else.
    #[error("storage failure: {0}")]
    Internal(String),
}

impl From<RepoError> for IncidentError {
    fn from(error: RepoError) -> Self {
        match error {
            RepoError::Conflict => Self::Conflict { expected: 0, actual: None },
            RepoError::NotFound => Self::NotFound,
            RepoError::Unavailable(_) => Self::Unavailable,
            RepoError::MissingReference(detail) | RepoError::Duplicate(detail) | RepoError::Internal(detail) => {
                Self::Internal(detail)
            }
        }
    }
}
