//! Team settings for dashboards (SLA targets, service portfolio) and the on-hold reason of
//! incidents.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .add_column(string_len_null(Incidents::OnHoldReason, 500))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SlaTargets::Table)
                    .col(uuid(SlaTargets::TeamId))
                    .col(string_len(SlaTargets::Priority, 4))
                    .col(string_len(SlaTargets::Clock, 16))
                    .col(big_integer(SlaTargets::TargetSeconds))
                    .primary_key(
                        Index::create().col(SlaTargets::TeamId).col(SlaTargets::Priority).col(SlaTargets::Clock),
                    )
                    .foreign_key(
                        ForeignKey::create().from(SlaTargets::Table, SlaTargets::TeamId).to(Teams::Table, Teams::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServicePortfolio::Table)
                    .col(uuid(ServicePortfolio::TeamId))
                    .col(string_len(ServicePortfolio::CatalogVersion, 64))
                    .col(string_len(ServicePortfolio::ServiceCode, 8))
                    .col(string_len(ServicePortfolio::Provision, 16))
                    .primary_key(Index::create().col(ServicePortfolio::TeamId).col(ServicePortfolio::ServiceCode))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ServicePortfolio::Table, ServicePortfolio::TeamId)
                            .to(Teams::Table, Teams::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(ServicePortfolio::Table)
                            .from_col(ServicePortfolio::CatalogVersion)
                            .from_col(ServicePortfolio::ServiceCode)
                            .to_tbl(CatalogServices::Table)
                            .to_col(CatalogServices::CatalogVersion)
                            .to_col(CatalogServices::Code),
                    )
                    .to_owned(),
            )
            .await?;
        // The team of each action and transition, so that dashboards read one team's activity in a
        // period by index instead of every team's.
        for (table, column) in [
            (Actions::Table.into_iden(), Actions::TeamId.into_iden()),
            (IncidentTransitions::Table.into_iden(), IncidentTransitions::TeamId.into_iden()),
        ] {
            manager
                .alter_table(Table::alter().table(table).add_column(ColumnDef::new(column).uuid().null()).to_owned())
                .await?;
        }
        for (table, incident) in [
            (Actions::Table.into_iden(), Actions::IncidentId.into_iden()),
            (IncidentTransitions::Table.into_iden(), IncidentTransitions::IncidentId.into_iden()),
        ] {
            let team = Query::select()
                .column(Incidents::TeamId)
                .from(Incidents::Table)
                .and_where(Expr::col((Incidents::Table, Incidents::Id)).equals((table.clone(), incident)))
                .to_owned();
            manager
                .exec_stmt(
                    Query::update()
                        .table(table)
                        .value(Actions::TeamId, SimpleExpr::SubQuery(None, Box::new(team.into_sub_query_statement())))
                        .to_owned(),
                )
                .await?;
        }
        for index in [
            Index::create()
                .name("ix_actions_team_performed")
                .table(Actions::Table)
                .col(Actions::TeamId)
                .col(Actions::PerformedAt)
                .to_owned(),
            Index::create()
                .name("ix_incident_transitions_team_at")
                .table(IncidentTransitions::Table)
                .col(IncidentTransitions::TeamId)
                .col(IncidentTransitions::At)
                .to_owned(),
            Index::create().name("ix_actions_performed").table(Actions::Table).col(Actions::PerformedAt).to_owned(),
            Index::create()
                .name("ix_incident_transitions_at")
                .table(IncidentTransitions::Table)
                .col(IncidentTransitions::At)
                .to_owned(),
            Index::create().name("ix_actions_supersedes").table(Actions::Table).col(Actions::Supersedes).to_owned(),
            Index::create()
                .name("ix_action_services_incident")
                .table(ActionServices::Table)
                .col(ActionServices::IncidentId)
                .to_owned(),
            Index::create()
                .name("ix_incidents_status_team_stage_severity")
                .table(Incidents::Table)
                .col(Incidents::Status)
                .col(Incidents::TeamId)
                .col(Incidents::Stage)
                .col(Incidents::Severity)
                .to_owned(),
            Index::create()
                .name("ix_incidents_team_closed")
                .table(Incidents::Table)
                .col(Incidents::TeamId)
                .col(Incidents::ClosedAt)
                .to_owned(),
        ] {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_actions_team_performed").table(Actions::Table).to_owned()).await?;
        manager
            .drop_index(
                Index::drop().name("ix_incident_transitions_team_at").table(IncidentTransitions::Table).to_owned(),
            )
            .await?;
        manager.alter_table(Table::alter().table(Actions::Table).drop_column(Actions::TeamId).to_owned()).await?;
        manager
            .alter_table(
                Table::alter().table(IncidentTransitions::Table).drop_column(IncidentTransitions::TeamId).to_owned(),
            )
            .await?;
        manager.drop_index(Index::drop().name("ix_incidents_team_closed").table(Incidents::Table).to_owned()).await?;
        manager
            .drop_index(
                Index::drop().name("ix_incidents_status_team_stage_severity").table(Incidents::Table).to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name("ix_action_services_incident").table(ActionServices::Table).to_owned())
            .await?;
        manager.drop_index(Index::drop().name("ix_actions_supersedes").table(Actions::Table).to_owned()).await?;
        manager
            .drop_index(Index::drop().name("ix_incident_transitions_at").table(IncidentTransitions::Table).to_owned())
            .await?;
        manager.drop_index(Index::drop().name("ix_actions_performed").table(Actions::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ServicePortfolio::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(SlaTargets::Table).to_owned()).await?;
        manager
            .alter_table(Table::alter().table(Incidents::Table).drop_column(Incidents::OnHoldReason).to_owned())
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
    OnHoldReason,
    TeamId,
    ClosedAt,
    Status,
    Stage,
    Severity,
}

#[derive(DeriveIden)]
enum IncidentTransitions {
    Table,
    At,
    TeamId,
    IncidentId,
}

#[derive(DeriveIden)]
enum ActionServices {
    Table,
    IncidentId,
}

#[derive(DeriveIden)]
enum SlaTargets {
    Table,
    TeamId,
    Priority,
    Clock,
    TargetSeconds,
}

#[derive(DeriveIden)]
enum ServicePortfolio {
    Table,
    TeamId,
    CatalogVersion,
    ServiceCode,
    Provision,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CatalogServices {
    Table,
    CatalogVersion,
    Code,
}

#[derive(DeriveIden)]
enum Actions {
    Table,
    PerformedAt,
    Supersedes,
    TeamId,
    IncidentId,
}
