//! Taiō's schema migrations: one set for PostgreSQL and SQLite, the catalog seed included.
//! Applied migrations are never edited; a change is a new migration.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_core_tables;
mod m20261126_000002_seed_catalog_isog_j_2025;
mod m20261126_000003_create_audit_and_access;
mod m20261126_000004_create_team_settings;
mod m20261126_000005_create_dashboard_rollups;
mod m20261201_000006_create_event_outbox;
mod m20261201_000007_add_event_retention;

/// Runs Taiō's migrations in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_core_tables::Migration),
            Box::new(m20261126_000002_seed_catalog_isog_j_2025::Migration),
            Box::new(m20261126_000003_create_audit_and_access::Migration),
            Box::new(m20261126_000004_create_team_settings::Migration),
            Box::new(m20261126_000005_create_dashboard_rollups::Migration),
            Box::new(m20261201_000006_create_event_outbox::Migration),
            Box::new(m20261201_000007_add_event_retention::Migration),
        ]
    }
}
