//! sea-orm entities, one per table. They never leave this crate: `convert` turns them into domain
//! types.

pub mod action;
pub mod action_service;
pub mod api_token;
pub mod audit_head;
pub mod audit_record;
pub mod event_position;
pub mod incident;
pub mod incident_counter;
pub mod incident_event;
pub mod incident_participant;
pub mod membership;
pub mod person;
pub mod service_portfolio;
pub mod sla_target;
pub mod team;
pub mod transition;
