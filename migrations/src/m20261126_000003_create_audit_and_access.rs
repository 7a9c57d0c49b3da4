//! The audit trail (hash-chained records and the head of each chain), incident participants and
//! the restricted flag.

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
                    .table(AuditRecords::Table)
                    .col(uuid(AuditRecords::Id).primary_key())
                    .col(string_len(AuditRecords::Chain, 64))
                    .col(big_integer(AuditRecords::Seq))
                    .col(timestamp_with_time_zone(AuditRecords::At))
                    .col(uuid_null(AuditRecords::PersonId))
                    .col(uuid_null(AuditRecords::TokenId))
                    .col(string_len(AuditRecords::Operation, 64))
                    .col(string_len(AuditRecords::ObjectType, 32))
                    .col(string_len(AuditRecords::ObjectId, 64))
                    .col(string_len_null(AuditRecords::BeforeDigest, 64))
                    .col(string_len_null(AuditRecords::AfterDigest, 64))
                    .col(string_len_null(AuditRecords::RequestId, 64))
                    .col(string_len(AuditRecords::PrevHash, 64))
                    .col(string_len(AuditRecords::Hash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_audit_records_chain_seq")
                    .table(AuditRecords::Table)
                    .col(AuditRecords::Chain)
                    .col(AuditRecords::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditHeads::Table)
                    .col(string_len(AuditHeads::Chain, 64).primary_key())
                    .col(big_integer(AuditHeads::Seq))
                    .col(string_len(AuditHeads::Hash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IncidentParticipants::Table)
                    .col(uuid(IncidentParticipants::IncidentId))
                    .col(uuid(IncidentParticipants::PersonId))
                    .primary_key(
                        Index::create().col(IncidentParticipants::IncidentId).col(IncidentParticipants::PersonId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(IncidentParticipants::Table, IncidentParticipants::IncidentId)
                            .to(Incidents::Table, Incidents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(IncidentParticipants::Table, IncidentParticipants::PersonId)
                            .to(People::Table, People::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_incident_participants_person")
                    .table(IncidentParticipants::Table)
                    .col(IncidentParticipants::PersonId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .add_column(boolean(Incidents::Restricted).default(false))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Incidents::Table).drop_column(Incidents::Restricted).to_owned())
            .await?;
        for table in
            [IncidentParticipants::Table.into_iden(), AuditHeads::Table.into_iden(), AuditRecords::Table.into_iden()]
        {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AuditRecords {
    Table,
    Id,
    Chain,
    Seq,
    At,
    PersonId,
    TokenId,
    Operation,
    ObjectType,
    ObjectId,
    BeforeDigest,
    AfterDigest,
    RequestId,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHeads {
    Table,
    Chain,
    Seq,
    Hash,
}

#[derive(DeriveIden)]
enum IncidentParticipants {
    Table,
    IncidentId,
    PersonId,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
    Restricted,
}

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
}
