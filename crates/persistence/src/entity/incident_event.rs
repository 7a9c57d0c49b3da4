//! The `incident_events` table (the outbox).

use sea_orm::entity::prelude::*;

/// A row of `incident_events`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incident_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i64,
    pub at: DateTimeUtc,
    pub team_id: Uuid,
    pub incident_id: Uuid,
    pub incident_version: i64,
    pub kind: String,
    pub actor_id: Option<Uuid>,
    pub payload: String,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
