//! sea-orm entities, one per table. They never leave this crate: `convert` turns them into domain
//! types.

pub mod action;
pub mod action_service;
pub mod api_token;
pub mod incident;
pub mod incident_counter;
pub mod membership;
pub mod person;
pub mod team;
pub mod transition;
