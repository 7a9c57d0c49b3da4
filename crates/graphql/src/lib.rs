//! Taiō's GraphQL API: schema, resolvers, loaders and the one error mapping. Resolvers are thin:
//! they parse input, call a core service and map the result.

mod context;
pub mod error;
mod loader;
mod mutation;
mod query;
mod schema;
mod subscription;
pub mod types;

pub use context::{Services, connection_data, prepare_request};
pub use error::{ApiError, ErrorCode};
pub use schema::{
    MAX_COMPLEXITY, MAX_DEPTH, MAX_DIRECTIVES, MAX_RECURSIVE_DEPTH, SchemaOptions, TaioSchema, build_schema,
    schema_builder, sdl,
};
pub use subscription::{EventHub, HubOptions, SubscriptionRoot};
