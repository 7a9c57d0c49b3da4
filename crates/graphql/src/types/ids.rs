//! Reading GraphQL `ID`s into typed domain ids.

use async_graphql::ID;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// Parses an `ID` argument as a UUID-based id, naming `field` when it is malformed.
pub(crate) fn parse_id<T>(field: &str, id: &ID, wrap: fn(Uuid) -> T) -> ApiResult<T> {
    Uuid::parse_str(id.as_str()).map(wrap).map_err(|_| ApiError::bad_input(field, "is not a valid ID"))
}

/// Parses an optional `ID` argument.
pub(crate) fn parse_opt_id<T>(field: &str, id: Option<&ID>, wrap: fn(Uuid) -> T) -> ApiResult<Option<T>> {
    id.map(|id| parse_id(field, id, wrap)).transpose()
}
