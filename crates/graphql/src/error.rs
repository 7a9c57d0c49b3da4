//! The API's one error type. It deliberately has no `Display`, so that async-graphql's blanket
//! conversion cannot turn it into an error without a code: every error leaves through
//! `From<ApiError> for async_graphql::Error`, which sets `extensions.code` in one place.

use async_graphql::{ErrorExtensions, Value};
use taio_core::IncidentError;
use taio_core::error::FieldError;

/// Stable error codes clients can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// No valid token.
    Unauthenticated,
    /// Role too low.
    Forbidden,
    /// Absent, or not visible to the caller.
    NotFound,
    /// An input was rejected.
    BadUserInput,
    /// Catalog codes that do not exist.
    UnknownService,
    /// The state machine refused the move.
    InvalidTransition,
    /// Stale `expectedVersion`.
    Conflict,
    /// The database is out of reach or saturated; retry later.
    Unavailable,
    /// A subscriber fell too far behind the live events; it resumes from `resumeAfter`.
    SubscriptionLagged,
    /// A WebSocket connection has as many subscriptions open as it may.
    TooManySubscriptions,
    /// A cursor from before pruned events: reload and start from `eventCursor`.
    CursorExpired,
    /// Anything unexpected.
    InternalServerError,
}

impl ErrorCode {
    /// The code as it appears in `extensions.code`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::UnknownService => "UNKNOWN_SERVICE",
            Self::InvalidTransition => "INVALID_TRANSITION",
            Self::Conflict => "CONFLICT",
            Self::Unavailable => "UNAVAILABLE",
            Self::SubscriptionLagged => "SUBSCRIPTION_LAGGED",
            Self::TooManySubscriptions => "TOO_MANY_SUBSCRIPTIONS",
            Self::CursorExpired => "CURSOR_EXPIRED",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }
}

/// An error returned by a resolver: a code, a message safe to show, and extra extensions.
#[derive(Debug, Clone)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    extensions: Vec<(&'static str, Value)>,
}

impl ApiError {
    /// An error with `code` and a message for the client.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), extensions: Vec::new() }
    }

    /// Adds an extension entry.
    #[must_use]
    pub fn with(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.extensions.push((key, value.into()));
        self
    }

    /// The code.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// No token, or a token that is unknown, revoked or expired.
    #[must_use]
    pub fn unauthenticated() -> Self {
        Self::new(ErrorCode::Unauthenticated, "a valid API token is required: send Authorization: Bearer <token>")
    }

    /// Something not found (or not visible).
    #[must_use]
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// A rejected input field.
    #[must_use]
    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::new(ErrorCode::BadUserInput, format!("{field}: {message}")).with("field", field.to_owned())
    }

    /// An unexpected failure: logged in full, shown to the client as a bare code.
    #[must_use]
    pub fn internal(detail: &str) -> Self {
        tracing::error!(detail, "internal error");
        Self::new(ErrorCode::InternalServerError, "Internal server error")
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        Self::bad_input(error.field, error.message)
    }
}

impl From<IncidentError> for ApiError {
    fn from(error: IncidentError) -> Self {
        match error {
            IncidentError::NotFound => Self::new(ErrorCode::NotFound, "not found, or not visible to you"),
            IncidentError::Forbidden(message) => Self::new(ErrorCode::Forbidden, message),
            IncidentError::Invalid(field) => field.into(),
            IncidentError::UnknownServices(codes) => {
                let message = format!("unknown catalog services: {}", codes.join(", "));
                Self::new(ErrorCode::UnknownService, message)
                    .with("unknownServices", Value::List(codes.into_iter().map(Value::from).collect()))
            }
            IncidentError::InvalidTransition { from, to, allowed, message } => {
                let allowed = Value::List(allowed.iter().map(|s| Value::from(s.as_str())).collect());
                let mut error = Self::new(ErrorCode::InvalidTransition, message)
                    .with("from", from.as_str())
                    .with("allowed", allowed);
                if let Some(to) = to {
                    error = error.with("to", to.as_str());
                }
                error
            }
            IncidentError::Conflict { expected, actual } => {
                let message = match actual {
                    Some(actual) => format!(
                        "the incident changed: you sent version {expected}, it is now at {actual}; reload and retry"
                    ),
                    None => format!("the incident changed after version {expected}; reload and retry"),
                };
                let mut error = Self::new(ErrorCode::Conflict, message).with("expectedVersion", expected);
                if let Some(actual) = actual {
                    error = error.with("currentVersion", actual);
                }
                error
            }
            IncidentError::CursorExpired { pruned_through } => Self::new(
                ErrorCode::CursorExpired,
                format!(
                    "the events after this cursor up to ev:{pruned_through} were pruned; reload what you show and start from eventCursor"
                ),
            )
            .with("prunedThrough", format!("ev:{pruned_through}")),
            IncidentError::Unavailable => {
                Self::new(ErrorCode::Unavailable, "the database is unavailable or busy; retry shortly")
            }
            IncidentError::Internal(detail) => Self::internal(&detail),
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let ApiError { code, message, extensions } = error;
        async_graphql::Error::new(message).extend_with(|_, e| {
            e.set("code", code.as_str());
            for (key, value) in extensions {
                e.set(key, value);
            }
        })
    }
}

/// The result type of resolvers.
pub type ApiResult<T> = Result<T, ApiError>;

/// Resolves a nullable field as the GraphQL specification has it: on error the field is `null`
/// and the error is reported beside the data. (Returning the error would make async-graphql drop
/// the field from its parent object altogether.)
pub(crate) fn nullable<T>(ctx: &async_graphql::Context<'_>, result: ApiResult<T>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            let error: async_graphql::Error = error.into();
            ctx.add_error(ctx.set_error_path(error.into_server_error(ctx.item.pos)));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use taio_core::incident::WorkflowState;

    fn code_of(error: ApiError) -> Option<String> {
        let error: async_graphql::Error = error.into();
        match error.extensions?.get("code")? {
            Value::String(code) => Some(code.clone()),
            _ => None,
        }
    }

    #[test]
    fn each_domain_error_has_its_code() {
        let cases = [
            (IncidentError::NotFound, "NOT_FOUND"),
            (IncidentError::Forbidden("no".into()), "FORBIDDEN"),
            (FieldError::new("title", "empty").into(), "BAD_USER_INPUT"),
            (IncidentError::UnknownServices(vec!["Z-9".into()]), "UNKNOWN_SERVICE"),
            (
                IncidentError::InvalidTransition {
                    from: WorkflowState::D1,
                    to: Some(WorkflowState::D5),
                    allowed: vec![WorkflowState::D3],
                    message: "no".into(),
                },
                "INVALID_TRANSITION",
            ),
            (IncidentError::Conflict { expected: 1, actual: Some(2) }, "CONFLICT"),
            (IncidentError::Unavailable, "UNAVAILABLE"),
            (IncidentError::CursorExpired { pruned_through: 9 }, "CURSOR_EXPIRED"),
            (IncidentError::Internal("secret SQL".into()), "INTERNAL_SERVER_ERROR"),
        ];
        for (error, code) in cases {
            assert_eq!(code_of(error.into()).as_deref(), Some(code));
        }
        assert_eq!(code_of(ApiError::unauthenticated()).as_deref(), Some("UNAUTHENTICATED"));
        let crowded = ApiError::new(ErrorCode::TooManySubscriptions, "no room");
        assert_eq!(code_of(crowded).as_deref(), Some("TOO_MANY_SUBSCRIPTIONS"));
    }

    #[test]
    fn a_lagged_subscription_names_its_code_and_where_to_resume() {
        let error = crate::subscription::lagged(taio_core::incident::EventPosition::from_stored(42), 7);
        let error: async_graphql::Error = error.into();
        let extensions = error.extensions.expect("extensions");
        assert_eq!(extensions.get("code"), Some(&Value::from("SUBSCRIPTION_LAGGED")));
        assert_eq!(extensions.get("resumeAfter"), Some(&Value::from("ev:42")));
        assert!(error.message.contains("7 events behind"), "{}", error.message);
    }

    #[test]
    fn an_internal_error_shows_nothing_internal() {
        let error: async_graphql::Error =
            ApiError::from(IncidentError::Internal("relation incidents does not exist".into())).into();
        assert_eq!(error.message, "Internal server error");
    }

    #[test]
    fn an_unknown_service_error_names_the_codes() {
        let error: async_graphql::Error =
            ApiError::from(IncidentError::UnknownServices(vec!["Z-9".into(), "C-99".into()])).into();
        assert!(error.message.contains("Z-9") && error.message.contains("C-99"));
        let listed = error.extensions.and_then(|e| e.get("unknownServices").cloned());
        assert_eq!(listed, Some(Value::List(vec![Value::from("Z-9"), Value::from("C-99")])));
    }

    #[test]
    fn an_invalid_transition_names_the_allowed_targets() {
        let error: async_graphql::Error = ApiError::from(IncidentError::InvalidTransition {
            from: WorkflowState::D4,
            to: Some(WorkflowState::D7),
            allowed: vec![WorkflowState::D3, WorkflowState::D5],
            message: "no".into(),
        })
        .into();
        let allowed = error.extensions.and_then(|e| e.get("allowed").cloned());
        assert_eq!(allowed, Some(Value::List(vec![Value::from("D3"), Value::from("D5")])));
    }
}
