//! The `incidents` table.

use sea_orm::entity::prelude::*;

/// A row of `incidents`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incidents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub team_id: Uuid,
    pub key: String,
    pub title: String,
    pub description: Option<String>,
    pub source: String,
    pub tlp: String,
    pub stage: String,
    pub status: String,
    pub version: i64,
    pub determination: String,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub urgency: Option<String>,
    pub priority: Option<String>,
    pub priority_override_reason: Option<String>,
    pub owner_id: Option<Uuid>,
    pub reported_by: Uuid,
    pub reported_at: DateTimeUtc,
    pub detected_at: Option<DateTimeUtc>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub triaged_at: Option<DateTimeUtc>,
    pub declared_at: Option<DateTimeUtc>,
    pub contained_at: Option<DateTimeUtc>,
    pub recovered_at: Option<DateTimeUtc>,
    pub report_completed_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub first_notified_at: Option<DateTimeUtc>,
    pub resolution: Option<String>,
    pub closure_summary: Option<String>,
    pub duplicate_of: Option<Uuid>,
    pub reopen_count: i32,
    pub report_recorded_at: Option<DateTimeUtc>,
    pub restricted: bool,
    pub on_hold_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
