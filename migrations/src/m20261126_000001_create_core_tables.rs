//! Catalog reference tables, teams, people, tokens, incidents, transitions and actions.

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
                    .table(CatalogEditions::Table)
                    .col(string_len(CatalogEditions::Version, 64).primary_key())
                    .col(text(CatalogEditions::Name))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CatalogCategories::Table)
                    .col(string_len(CatalogCategories::CatalogVersion, 64))
                    .col(string_len(CatalogCategories::Code, 8))
                    .col(text(CatalogCategories::TitleJa))
                    .col(text(CatalogCategories::TitleEn))
                    .col(integer(CatalogCategories::Position))
                    .primary_key(Index::create().col(CatalogCategories::CatalogVersion).col(CatalogCategories::Code))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CatalogCategories::Table, CatalogCategories::CatalogVersion)
                            .to(CatalogEditions::Table, CatalogEditions::Version),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CatalogServices::Table)
                    .col(string_len(CatalogServices::CatalogVersion, 64))
                    .col(string_len(CatalogServices::Code, 8))
                    .col(string_len(CatalogServices::CategoryCode, 8))
                    .col(text(CatalogServices::TitleJa))
                    .col(text(CatalogServices::TitleEn))
                    .col(text(CatalogServices::SummaryEn))
                    .col(integer(CatalogServices::Position))
                    .primary_key(Index::create().col(CatalogServices::CatalogVersion).col(CatalogServices::Code))
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(CatalogServices::Table)
                            .from_col(CatalogServices::CatalogVersion)
                            .from_col(CatalogServices::CategoryCode)
                            .to_tbl(CatalogCategories::Table)
                            .to_col(CatalogCategories::CatalogVersion)
                            .to_col(CatalogCategories::Code),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Teams::Table)
                    .col(uuid(Teams::Id).primary_key())
                    .col(string_len_uniq(Teams::Key, 16))
                    .col(string_len(Teams::Name, 200))
                    .col(timestamp_with_time_zone(Teams::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(People::Table)
                    .col(uuid(People::Id).primary_key())
                    .col(string_len(People::Name, 200))
                    .col(boolean(People::Admin).default(false))
                    .col(timestamp_with_time_zone(People::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(uuid(Memberships::TeamId))
                    .col(uuid(Memberships::PersonId))
                    .col(string_len(Memberships::Role, 16))
                    .col(timestamp_with_time_zone(Memberships::CreatedAt))
                    .primary_key(Index::create().col(Memberships::TeamId).col(Memberships::PersonId))
                    .foreign_key(
                        ForeignKey::create().from(Memberships::Table, Memberships::TeamId).to(Teams::Table, Teams::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::PersonId)
                            .to(People::Table, People::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_memberships_person")
                    .table(Memberships::Table)
                    .col(Memberships::PersonId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(uuid(ApiTokens::Id).primary_key())
                    .col(uuid(ApiTokens::PersonId))
                    .col(string_len(ApiTokens::Name, 200))
                    .col(string_len(ApiTokens::Prefix, 32))
                    .col(string_len_uniq(ApiTokens::SecretHash, 64))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create().from(ApiTokens::Table, ApiTokens::PersonId).to(People::Table, People::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IncidentCounters::Table)
                    .col(uuid(IncidentCounters::TeamId))
                    .col(integer(IncidentCounters::Year))
                    .col(big_integer(IncidentCounters::Last))
                    .primary_key(Index::create().col(IncidentCounters::TeamId).col(IncidentCounters::Year))
                    .foreign_key(
                        ForeignKey::create()
                            .from(IncidentCounters::Table, IncidentCounters::TeamId)
                            .to(Teams::Table, Teams::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Incidents::Table)
                    .col(uuid(Incidents::Id).primary_key())
                    .col(uuid(Incidents::TeamId))
                    .col(string_len(Incidents::Key, 32))
                    .col(string_len(Incidents::Title, 200))
                    .col(text_null(Incidents::Description))
                    .col(string_len(Incidents::Source, 32))
                    .col(string_len(Incidents::Tlp, 16))
                    .col(string_len(Incidents::Stage, 4))
                    .col(string_len(Incidents::Status, 8))
                    .col(big_integer(Incidents::Version))
                    .col(string_len(Incidents::Determination, 16))
                    .col(string_len_null(Incidents::Category, 80))
                    .col(string_len_null(Incidents::Severity, 16))
                    .col(string_len_null(Incidents::Urgency, 16))
                    .col(string_len_null(Incidents::Priority, 4))
                    .col(string_len_null(Incidents::PriorityOverrideReason, 500))
                    .col(uuid_null(Incidents::OwnerId))
                    .col(uuid(Incidents::ReportedBy))
                    .col(timestamp_with_time_zone(Incidents::ReportedAt))
                    .col(timestamp_with_time_zone_null(Incidents::DetectedAt))
                    .col(timestamp_with_time_zone_null(Incidents::AcknowledgedAt))
                    .col(timestamp_with_time_zone_null(Incidents::TriagedAt))
                    .col(timestamp_with_time_zone_null(Incidents::DeclaredAt))
                    .col(timestamp_with_time_zone_null(Incidents::ContainedAt))
                    .col(timestamp_with_time_zone_null(Incidents::RecoveredAt))
                    .col(timestamp_with_time_zone_null(Incidents::ReportCompletedAt))
                    .col(timestamp_with_time_zone_null(Incidents::ClosedAt))
                    .col(timestamp_with_time_zone_null(Incidents::FirstNotifiedAt))
                    .col(string_len_null(Incidents::Resolution, 32))
                    .col(text_null(Incidents::ClosureSummary))
                    .col(uuid_null(Incidents::DuplicateOf))
                    .col(integer(Incidents::ReopenCount).default(0))
                    .col(timestamp_with_time_zone_null(Incidents::ReportRecordedAt))
                    .col(timestamp_with_time_zone(Incidents::CreatedAt))
                    .col(timestamp_with_time_zone(Incidents::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create().from(Incidents::Table, Incidents::TeamId).to(Teams::Table, Teams::Id),
                    )
                    .foreign_key(
                        ForeignKey::create().from(Incidents::Table, Incidents::OwnerId).to(People::Table, People::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Incidents::Table, Incidents::ReportedBy)
                            .to(People::Table, People::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Incidents::Table, Incidents::DuplicateOf)
                            .to(Incidents::Table, Incidents::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("ux_incidents_team_key", &[Incidents::TeamId, Incidents::Key][..]),
            ("ix_incidents_team_reported", &[Incidents::TeamId, Incidents::ReportedAt, Incidents::Id][..]),
            ("ix_incidents_team_status_stage", &[Incidents::TeamId, Incidents::Status, Incidents::Stage][..]),
            ("ix_incidents_owner", &[Incidents::OwnerId][..]),
        ] {
            let mut index = Index::create().name(name).table(Incidents::Table).to_owned();
            for column in columns {
                index.col(*column);
            }
            if name.starts_with("ux_") {
                index.unique();
            }
            manager.create_index(index).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(IncidentTransitions::Table)
                    .col(uuid(IncidentTransitions::Id).primary_key())
                    .col(uuid(IncidentTransitions::IncidentId))
                    .col(big_integer(IncidentTransitions::IncidentVersion))
                    .col(string_len_null(IncidentTransitions::FromState, 8))
                    .col(string_len(IncidentTransitions::ToState, 8))
                    .col(timestamp_with_time_zone(IncidentTransitions::At))
                    .col(uuid(IncidentTransitions::ByPerson))
                    .col(string_len_null(IncidentTransitions::Reason, 2000))
                    .col(string_len_null(IncidentTransitions::Resolution, 32))
                    .foreign_key(
                        ForeignKey::create()
                            .from(IncidentTransitions::Table, IncidentTransitions::IncidentId)
                            .to(Incidents::Table, Incidents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(IncidentTransitions::Table, IncidentTransitions::ByPerson)
                            .to(People::Table, People::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_incident_transitions_incident_version")
                    .table(IncidentTransitions::Table)
                    .col(IncidentTransitions::IncidentId)
                    .col(IncidentTransitions::IncidentVersion)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Actions::Table)
                    .col(uuid(Actions::Id).primary_key())
                    .col(uuid(Actions::IncidentId))
                    .col(string_len(Actions::Stage, 4))
                    .col(string_len(Actions::Kind, 16))
                    .col(string_len(Actions::Summary, 500))
                    .col(text_null(Actions::Details))
                    .col(string_len(Actions::CatalogVersion, 64))
                    .col(uuid(Actions::PerformedBy))
                    .col(timestamp_with_time_zone(Actions::PerformedAt))
                    .col(uuid(Actions::RecordedBy))
                    .col(timestamp_with_time_zone(Actions::RecordedAt))
                    .col(string_len_null(Actions::Outcome, 16))
                    .col(integer_null(Actions::EffortMinutes))
                    .col(string_len_null(Actions::Audience, 32))
                    .col(string_len_null(Actions::Recipient, 500))
                    .col(text(Actions::Evidence))
                    .col(uuid_null(Actions::Supersedes))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Actions::Table, Actions::IncidentId)
                            .to(Incidents::Table, Incidents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create().from(Actions::Table, Actions::PerformedBy).to(People::Table, People::Id),
                    )
                    .foreign_key(
                        ForeignKey::create().from(Actions::Table, Actions::RecordedBy).to(People::Table, People::Id),
                    )
                    .foreign_key(
                        ForeignKey::create().from(Actions::Table, Actions::Supersedes).to(Actions::Table, Actions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Actions::Table, Actions::CatalogVersion)
                            .to(CatalogEditions::Table, CatalogEditions::Version),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_actions_incident_performed")
                    .table(Actions::Table)
                    .col(Actions::IncidentId)
                    .col(Actions::PerformedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ActionServices::Table)
                    .col(uuid(ActionServices::ActionId))
                    .col(uuid(ActionServices::IncidentId))
                    .col(string_len(ActionServices::CatalogVersion, 64))
                    .col(string_len(ActionServices::ServiceCode, 8))
                    .col(integer(ActionServices::Position))
                    .primary_key(Index::create().col(ActionServices::ActionId).col(ActionServices::ServiceCode))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ActionServices::Table, ActionServices::ActionId)
                            .to(Actions::Table, Actions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ActionServices::Table, ActionServices::IncidentId)
                            .to(Incidents::Table, Incidents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(ActionServices::Table)
                            .from_col(ActionServices::CatalogVersion)
                            .from_col(ActionServices::ServiceCode)
                            .to_tbl(CatalogServices::Table)
                            .to_col(CatalogServices::CatalogVersion)
                            .to_col(CatalogServices::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_action_services_service_incident")
                    .table(ActionServices::Table)
                    .col(ActionServices::ServiceCode)
                    .col(ActionServices::IncidentId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ActionServices::Table.into_iden(),
            Actions::Table.into_iden(),
            IncidentTransitions::Table.into_iden(),
            Incidents::Table.into_iden(),
            IncidentCounters::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Memberships::Table.into_iden(),
            People::Table.into_iden(),
            Teams::Table.into_iden(),
            CatalogServices::Table.into_iden(),
            CatalogCategories::Table.into_iden(),
            CatalogEditions::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub(crate) enum CatalogEditions {
    Table,
    Version,
    Name,
}

#[derive(DeriveIden)]
pub(crate) enum CatalogCategories {
    Table,
    CatalogVersion,
    Code,
    TitleJa,
    TitleEn,
    Position,
}

#[derive(DeriveIden)]
pub(crate) enum CatalogServices {
    Table,
    CatalogVersion,
    Code,
    CategoryCode,
    TitleJa,
    TitleEn,
    SummaryEn,
    Position,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
    Key,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
    Name,
    Admin,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    TeamId,
    PersonId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    PersonId,
    Name,
    Prefix,
    SecretHash,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum IncidentCounters {
    Table,
    TeamId,
    Year,
    Last,
}

#[derive(DeriveIden, Clone, Copy)]
enum Incidents {
    Table,
    Id,
    TeamId,
    Key,
    Title,
    Description,
    Source,
    Tlp,
    Stage,
    Status,
    Version,
    Determination,
    Category,
    Severity,
    Urgency,
    Priority,
    PriorityOverrideReason,
    OwnerId,
    ReportedBy,
    ReportedAt,
    DetectedAt,
    AcknowledgedAt,
    TriagedAt,
    DeclaredAt,
    ContainedAt,
    RecoveredAt,
    ReportCompletedAt,
    ClosedAt,
    FirstNotifiedAt,
    Resolution,
    ClosureSummary,
    DuplicateOf,
    ReopenCount,
    ReportRecordedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IncidentTransitions {
    Table,
    Id,
    IncidentId,
    IncidentVersion,
    FromState,
    ToState,
    At,
    ByPerson,
    Reason,
    Resolution,
}

#[derive(DeriveIden)]
enum Actions {
    Table,
    Id,
    IncidentId,
    Stage,
    Kind,
    Summary,
    Details,
    CatalogVersion,
    PerformedBy,
    PerformedAt,
    RecordedBy,
    RecordedAt,
    Outcome,
    EffortMinutes,
    Audience,
    Recipient,
    Evidence,
    Supersedes,
}

#[derive(DeriveIden)]
enum ActionServices {
    Table,
    ActionId,
    IncidentId,
    CatalogVersion,
    ServiceCode,
    Position,
}
