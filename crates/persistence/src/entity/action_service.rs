//! The `action_services` table.

use sea_orm::entity::prelude::*;

/// A row of `action_services`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_services")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub action_id: Uuid,
    pub incident_id: Uuid,
    pub catalog_version: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_code: String,
    pub position: i32,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
