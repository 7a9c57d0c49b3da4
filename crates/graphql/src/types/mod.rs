//! GraphQL object, input and enum types. Each wraps a domain value; none is an entity.

pub mod action;
pub mod catalog;
pub mod dashboard;
pub mod enums;
pub mod event;
pub(crate) mod ids;
pub mod incident;
pub mod input;
pub mod team;
