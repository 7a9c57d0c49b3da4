//! The incident event outbox: one row per committed change, numbered in commit order.
//!
//! `event_positions` holds one row with the last position handed out. A writer takes the next
//! position by updating that row as the last statement of its transaction, so the row lock orders
//! writers: position N+1 is handed out only after the transaction holding N has committed or
//! rolled back. Positions are therefore gap-free and visible in order, and a reader that has seen
//! N never misses an N-1 that commits late.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EventPositions::Table)
                    .col(integer(EventPositions::Id).primary_key())
                    .col(big_integer(EventPositions::Last))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(EventPositions::Table)
                    .columns([EventPositions::Id, EventPositions::Last])
                    .values_panic([1.into(), 0_i64.into()])
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IncidentEvents::Table)
                    .col(big_integer(IncidentEvents::Position).primary_key())
                    .col(timestamp_with_time_zone(IncidentEvents::At))
                    .col(uuid(IncidentEvents::TeamId))
                    .col(uuid(IncidentEvents::IncidentId))
                    .col(big_integer(IncidentEvents::IncidentVersion))
                    .col(string_len(IncidentEvents::Kind, 32))
                    .col(uuid_null(IncidentEvents::ActorId))
                    .col(text(IncidentEvents::Payload))
                    .foreign_key(
                        ForeignKey::create()
                            .from(IncidentEvents::Table, IncidentEvents::IncidentId)
                            .to(Incidents::Table, Incidents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(IncidentEvents::Table, IncidentEvents::TeamId)
                            .to(Teams::Table, Teams::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // A subscriber resuming on one team or one incident reads its events in order by index.
        for (name, column) in [
            ("idx_incident_events_team_position", IncidentEvents::TeamId),
            ("idx_incident_events_incident_position", IncidentEvents::IncidentId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(IncidentEvents::Table)
                        .col(column)
                        .col(IncidentEvents::Position)
                        .to_owned(),
                )
                .await?;
        }
        // One event per incident version: a change is never recorded twice.
        manager
            .create_index(
                Index::create()
                    .name("uq_incident_events_incident_version")
                    .table(IncidentEvents::Table)
                    .col(IncidentEvents::IncidentId)
                    .col(IncidentEvents::IncidentVersion)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(IncidentEvents::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(EventPositions::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum EventPositions {
    Table,
    Id,
    Last,
}

#[derive(DeriveIden)]
enum IncidentEvents {
    Table,
    Position,
    At,
    TeamId,
    IncidentId,
    IncidentVersion,
    Kind,
    ActorId,
    Payload,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
}
