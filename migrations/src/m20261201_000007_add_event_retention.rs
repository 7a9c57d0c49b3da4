//! Event retention: `event_positions.pruned_through` is the last position `taio events prune`
//! removed, so that a subscriber resuming from an older cursor is told its events are gone
//! instead of silently missing them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EventPositions::Table)
                    .add_column(ColumnDef::new(EventPositions::PrunedThrough).big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(EventPositions::Table).drop_column(EventPositions::PrunedThrough).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum EventPositions {
    Table,
    PrunedThrough,
}
