//! The `incident_transitions` table.

use sea_orm::entity::prelude::*;

/// A row of `incident_transitions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incident_transitions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub incident_id: Uuid,
    pub incident_version: i64,
    pub from_state: Option<String>,
    pub to_state: String,
    pub at: DateTimeUtc,
    pub by_person: Uuid,
    pub reason: Option<String>,
    pub resolution: Option<String>,
    pub team_id: Option<Uuid>,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
