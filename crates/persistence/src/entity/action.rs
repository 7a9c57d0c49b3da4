//! The `actions` table.

use sea_orm::entity::prelude::*;

/// A row of `actions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "actions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub incident_id: Uuid,
    pub stage: String,
    pub kind: String,
    pub summary: String,
    pub details: Option<String>,
    pub catalog_version: String,
    pub performed_by: Uuid,
    pub performed_at: DateTimeUtc,
    pub recorded_by: Uuid,
    pub recorded_at: DateTimeUtc,
    pub outcome: Option<String>,
    pub effort_minutes: Option<i32>,
    pub audience: Option<String>,
    pub recipient: Option<String>,
    pub evidence: String,
    pub supersedes: Option<Uuid>,
    pub team_id: Option<Uuid>,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
