//! The `service_portfolio` table.

use sea_orm::entity::prelude::*;

/// A row of `service_portfolio`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_portfolio")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub team_id: Uuid,
    pub catalog_version: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_code: String,
    pub provision: String,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
