//! The `audit_records` table.

use sea_orm::entity::prelude::*;

/// A row of `audit_records`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub chain: String,
    pub seq: i64,
    pub at: DateTimeUtc,
    pub person_id: Option<Uuid>,
    pub token_id: Option<Uuid>,
    pub operation: String,
    pub object_type: String,
    pub object_id: String,
    pub before_digest: Option<String>,
    pub after_digest: Option<String>,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
