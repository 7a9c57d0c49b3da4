//! Daily rollups for team dashboards, so that a dashboard reads a few thousand rows however many
//! actions a team has recorded: service uses per team, UTC day, stage and service, and work per
//! team, day and person. They count actions that no correction supersedes, and the application
//! keeps them in the transaction that records an action. Existing actions are counted here.
//!
//! Also the indexes dashboards read through. Both databases know partial indexes with the same
//! syntax; their predicates are written exactly as the queries write them, so that the planners
//! can match them.

use std::collections::HashMap;

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::prelude::{ChronoDateTimeUtc, Uuid};
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Indexes a dashboard reads through: partial ones for small subsets of large tables (a team's
/// restricted incidents, the D-6 notifications still planned, failed containments), and covering
/// ones, which answer from the index alone, for the rollups and the stage moves.
const INDEXES: [(&str, &str); 6] = [
    ("ix_incidents_team_restricted", r#"ON "incidents" ("team_id") WHERE ("restricted" OR "tlp" = 'RED')"#),
    (
        "ix_actions_team_planned_notifications",
        r#"ON "actions" ("team_id") WHERE "stage" = 'D6' AND "outcome" = 'PLANNED'"#,
    ),
    (
        "ix_incident_transitions_team_failed_containments",
        r#"ON "incident_transitions" ("team_id", "at") WHERE "from_state" = 'D5' AND "to_state" = 'D4'"#,
    ),
    (
        "ix_incident_transitions_stays",
        r#"ON "incident_transitions" ("incident_id", "incident_version", "to_state", "at")"#,
    ),
    ("ix_service_use_days_cover", r#"ON "service_use_days" ("team_id", "day", "stage", "service_code", "uses")"#),
    ("ix_work_days_cover", r#"ON "work_days" ("team_id", "day", "person_id", "actions", "effort_minutes")"#),
];

/// Actions read per round of the backfill.
const PAGE: usize = 5_000;
/// Rows per `INSERT` of the backfill.
const ROWS_PER_INSERT: usize = 500;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServiceUseDays::Table)
                    .col(uuid(ServiceUseDays::TeamId))
                    .col(integer(ServiceUseDays::Day))
                    .col(string_len(ServiceUseDays::Stage, 2))
                    .col(string_len(ServiceUseDays::ServiceCode, 8))
                    .col(big_integer(ServiceUseDays::Uses))
                    .primary_key(
                        Index::create()
                            .col(ServiceUseDays::TeamId)
                            .col(ServiceUseDays::Day)
                            .col(ServiceUseDays::Stage)
                            .col(ServiceUseDays::ServiceCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ServiceUseDays::Table, ServiceUseDays::TeamId)
                            .to(Teams::Table, Teams::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WorkDays::Table)
                    .col(uuid(WorkDays::TeamId))
                    .col(integer(WorkDays::Day))
                    .col(uuid(WorkDays::PersonId))
                    .col(big_integer(WorkDays::Actions))
                    .col(big_integer(WorkDays::EffortMinutes))
                    .primary_key(Index::create().col(WorkDays::TeamId).col(WorkDays::Day).col(WorkDays::PersonId))
                    .foreign_key(
                        ForeignKey::create().from(WorkDays::Table, WorkDays::TeamId).to(Teams::Table, Teams::Id),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for (name, definition) in INDEXES {
            db.execute_unprepared(&format!(r#"CREATE INDEX "{name}" {definition}"#)).await?;
        }
        backfill(db).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _) in INDEXES {
            db.execute_unprepared(&format!(r#"DROP INDEX "{name}""#)).await?;
        }
        manager.drop_table(Table::drop().table(WorkDays::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ServiceUseDays::Table).to_owned()).await?;
        Ok(())
    }
}

/// Days since 1970-01-01 (UTC) of `at`.
fn day_of(at: ChronoDateTimeUtc) -> Result<i32, DbErr> {
    <i32 as std::convert::TryFrom<i64>>::try_from(at.timestamp().div_euclid(86_400))
        .map_err(|e| DbErr::Custom(e.to_string()))
}

type UseKey = (Uuid, i32, String, String);
type WorkKey = (Uuid, i32, Uuid);

/// Counts the actions no correction supersedes, page by page in id order, and stores the sums.
async fn backfill(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let placeholder = if backend == DbBackend::Postgres { "$1" } else { "?" };
    let page_sql = format!(
        r#"SELECT a."id", a."team_id", a."stage", a."performed_by", a."performed_at", a."effort_minutes",
                  s."service_code"
           FROM (SELECT * FROM "actions" x
                 WHERE x."id" > {placeholder} AND x."team_id" IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM "actions" c WHERE c."supersedes" = x."id")
                 ORDER BY x."id" LIMIT {PAGE}) a
           LEFT JOIN "action_services" s ON s."action_id" = a."id"
           ORDER BY a."id""#
    );
    let mut uses: HashMap<UseKey, i64> = HashMap::new();
    let mut work: HashMap<WorkKey, (i64, i64)> = HashMap::new();
    let mut last = Uuid::nil();
    loop {
        let rows = db.query_all_raw(Statement::from_sql_and_values(backend, &page_sql, [last.into()])).await?;
        if rows.is_empty() {
            break;
        }
        let mut previous: Option<Uuid> = None;
        for row in &rows {
            let id: Uuid = row.try_get("", "id")?;
            let team: Uuid = row.try_get("", "team_id")?;
            let day = day_of(row.try_get("", "performed_at")?)?;
            let stage: String = row.try_get("", "stage")?;
            if previous != Some(id) {
                let effort: Option<i32> = row.try_get("", "effort_minutes")?;
                let entry = work.entry((team, day, row.try_get("", "performed_by")?)).or_default();
                entry.0 += 1;
                entry.1 += i64::from(effort.unwrap_or(0));
                previous = Some(id);
            }
            if let Some(code) = row.try_get::<Option<String>>("", "service_code")? {
                *uses.entry((team, day, stage, code)).or_default() += 1;
            }
            last = id;
        }
    }
    let uses: Vec<_> = uses.into_iter().collect();
    for chunk in uses.chunks(ROWS_PER_INSERT) {
        let mut insert = Query::insert();
        insert.into_table(ServiceUseDays::Table).columns([
            ServiceUseDays::TeamId,
            ServiceUseDays::Day,
            ServiceUseDays::Stage,
            ServiceUseDays::ServiceCode,
            ServiceUseDays::Uses,
        ]);
        for ((team, day, stage, code), n) in chunk {
            insert
                .values([(*team).into(), (*day).into(), stage.clone().into(), code.clone().into(), (*n).into()])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        db.execute(&insert).await?;
    }
    let work: Vec<_> = work.into_iter().collect();
    for chunk in work.chunks(ROWS_PER_INSERT) {
        let mut insert = Query::insert();
        insert.into_table(WorkDays::Table).columns([
            WorkDays::TeamId,
            WorkDays::Day,
            WorkDays::PersonId,
            WorkDays::Actions,
            WorkDays::EffortMinutes,
        ]);
        for ((team, day, person), (actions, effort)) in chunk {
            insert
                .values([(*team).into(), (*day).into(), (*person).into(), (*actions).into(), (*effort).into()])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

#[derive(DeriveIden)]
enum ServiceUseDays {
    Table,
    TeamId,
    Day,
    Stage,
    ServiceCode,
    Uses,
}

#[derive(DeriveIden)]
enum WorkDays {
    Table,
    TeamId,
    Day,
    PersonId,
    Actions,
    EffortMinutes,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
}
