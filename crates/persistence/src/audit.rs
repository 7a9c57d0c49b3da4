//! The audit trail: every write appends a record in its own transaction, hash-chained per
//! incident (`incident:<id>`), per team (`team:<id>`) and for instance-wide records (`instance`).
//! `audit_heads` holds the last record of each chain: appending locks that row, so chains never
//! fork, and verification compares it with the records, so a truncated chain shows.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
};
use sha2::{Digest, Sha256};
use taio_core::id::{IncidentId, PersonId, TeamId, TokenId};
use taio_core::incident::AuditEntry;
use taio_core::{Actor, RepoError};

use crate::entity::{api_token, audit_head, audit_record, incident, membership, person, team};
use crate::error::repo_err;

/// The `prev_hash` of the first record of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The chain of instance-wide records (teams, people, tokens).
pub const INSTANCE_CHAIN: &str = "instance";
const VERIFY_BATCH: u64 = 5_000;

/// The chain of an incident.
pub(crate) fn incident_chain(id: IncidentId) -> String {
    format!("incident:{id}")
}

/// The chain of a team's non-incident records.
pub(crate) fn team_chain(id: TeamId) -> String {
    format!("team:{id}")
}

/// SHA-256 in lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A digest of a stored state, for the before/after fields.
pub(crate) fn digest_of(state: &impl std::fmt::Debug) -> String {
    sha256_hex(format!("{state:?}").as_bytes())
}

/// One record to append.
pub(crate) struct Entry<'a> {
    pub chain: String,
    pub operation: &'a str,
    pub object_type: &'static str,
    pub object_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub actor: Option<&'a Actor>,
    pub at: DateTime<Utc>,
}

impl<'a> Entry<'a> {
    /// A record of a change with no "before" state: a creation, or a setting replaced.
    pub(crate) fn record(
        chain: String,
        operation: &'a str,
        object_type: &'static str,
        object_id: String,
        after: Option<String>,
        actor: Option<&'a Actor>,
        at: DateTime<Utc>,
    ) -> Self {
        Self { chain, operation, object_type, object_id, before: None, after, actor, at }
    }
}

/// The hash of a record: SHA-256 of its fields as a JSON array, so that no two different records
/// serialise alike.
fn record_hash(r: &audit_record::Model) -> String {
    let fields = serde_json::json!([
        r.chain,
        r.seq,
        r.at.timestamp_micros(),
        r.person_id.map(|p| p.to_string()),
        r.token_id.map(|t| t.to_string()),
        r.operation,
        r.object_type,
        r.object_id,
        r.before_digest,
        r.after_digest,
        r.request_id,
        r.prev_hash,
    ]);
    sha256_hex(fields.to_string().as_bytes())
}

/// Appends `entry` to its chain inside the caller's transaction.
pub(crate) async fn append<C: ConnectionTrait>(txn: &C, entry: Entry<'_>) -> Result<(), RepoError> {
    use audit_head::Column as H;
    let open = Query::insert()
        .into_table(audit_head::Entity)
        .columns([H::Chain, H::Seq, H::Hash])
        .values([entry.chain.clone().into(), 0_i64.into(), GENESIS.into()])
        .map_err(|e| RepoError::Internal(e.to_string()))?
        .on_conflict(OnConflict::column(H::Chain).do_nothing().to_owned())
        .to_owned();
    txn.execute(&open).await.map_err(repo_err)?;
    let advance = Query::update()
        .table(audit_head::Entity)
        .value(H::Seq, Expr::col(H::Seq).add(1))
        .and_where(H::Chain.eq(entry.chain.clone()))
        .returning(Query::returning().columns([H::Seq, H::Hash]))
        .to_owned();
    let head = txn.query_one(&advance).await.map_err(repo_err)?.ok_or(RepoError::NotFound)?;
    let seq: i64 = head.try_get("", "seq").map_err(repo_err)?;
    let prev_hash: String = head.try_get("", "hash").map_err(repo_err)?;
    let mut record = audit_record::Model {
        id: uuid::Uuid::now_v7(),
        chain: entry.chain,
        seq,
        at: entry.at,
        person_id: entry.actor.map(|a| a.person.as_uuid()),
        token_id: entry.actor.and_then(|a| a.token.map(|t| t.as_uuid())),
        operation: entry.operation.to_owned(),
        object_type: entry.object_type.to_owned(),
        object_id: entry.object_id,
        before_digest: entry.before,
        after_digest: entry.after,
        request_id: entry.actor.and_then(|a| a.request_id.clone()).map(|r| r.chars().take(64).collect()),
        prev_hash,
        hash: String::new(),
    };
    record.hash = record_hash(&record);
    let seal = Query::update()
        .table(audit_head::Entity)
        .value(H::Hash, record.hash.clone())
        .and_where(H::Chain.eq(record.chain.clone()))
        .to_owned();
    audit_record::Entity::insert(record.into_active_model()).exec_without_returning(txn).await.map_err(repo_err)?;
    txn.execute(&seal).await.map_err(repo_err)?;
    Ok(())
}

/// The chains that must exist: the instance chain once any team, person or token does, and the
/// chain of every team with members.
async fn required_chains<C: ConnectionTrait>(
    conn: &C,
    seen: &HashSet<String>,
) -> Result<Option<BrokenLink>, RepoError> {
    use sea_orm::PaginatorTrait;
    let administered = team::Entity::find().count(conn).await.map_err(repo_err)?
        + person::Entity::find().count(conn).await.map_err(repo_err)?
        + api_token::Entity::find().count(conn).await.map_err(repo_err)?;
    if administered > 0 && !seen.contains(INSTANCE_CHAIN) {
        return Ok(Some(BrokenLink {
            chain: INSTANCE_CHAIN.to_owned(),
            seq: None,
            problem: "teams, people or tokens exist but the instance chain does not".into(),
        }));
    }
    let teams: Vec<uuid::Uuid> = membership::Entity::find()
        .select_only()
        .column(membership::Column::TeamId)
        .distinct()
        .into_tuple()
        .all(conn)
        .await
        .map_err(repo_err)?;
    Ok(teams.into_iter().map(TeamId::from_uuid).map(team_chain).find(|chain| !seen.contains(chain)).map(|chain| {
        BrokenLink { chain, seq: None, problem: "the team has members but its audit chain does not exist".into() }
    }))
}

/// The records of an incident's chain, in order.
pub(crate) async fn incident_trail(conn: &DatabaseConnection, id: IncidentId) -> Result<Vec<AuditEntry>, RepoError> {
    let rows = audit_record::Entity::find()
        .filter(audit_record::Column::Chain.eq(incident_chain(id)))
        .order_by_asc(audit_record::Column::Seq)
        .all(conn)
        .await
        .map_err(repo_err)?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            seq: r.seq,
            at: r.at,
            person: r.person_id.map(PersonId::from_uuid),
            token: r.token_id.map(TokenId::from_uuid),
            operation: r.operation,
            object_type: r.object_type,
            object_id: r.object_id,
            before_digest: r.before_digest,
            after_digest: r.after_digest,
            request_id: r.request_id,
            prev_hash: r.prev_hash,
            hash: r.hash,
        })
        .collect())
}

/// The first place where the trail does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The chain.
    pub chain: String,
    /// The record's position, where there is one.
    pub seq: Option<i64>,
    /// What is wrong.
    pub problem: String,
}

impl std::fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "chain {} record {seq}: {}", self.chain, self.problem),
            None => write!(f, "chain {}: {}", self.chain, self.problem),
        }
    }
}

/// The outcome of checking every chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Chains checked.
    pub chains: u64,
    /// Records checked.
    pub records: u64,
    /// The first broken link, if any.
    pub broken: Option<BrokenLink>,
    /// SHA-256 over every chain head: keep it elsewhere to detect a wholesale rewrite later.
    pub anchor: String,
}

struct Walk {
    chain: String,
    seq: i64,
    hash: String,
}

/// Checks every chain: records numbered from 1 without gaps, each linked to the one before, each
/// hash matching its content, the last one matching the chain's head, and every incident having a
/// chain.
///
/// # Errors
/// Storage failures.
pub(crate) async fn verify(db: &DatabaseConnection) -> Result<AuditReport, RepoError> {
    use sea_orm::{AccessMode, DbBackend, IsolationLevel, TransactionTrait};
    // One snapshot for the whole check, so that writes made meanwhile cannot look like breaks.
    let snapshot = match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await
        }
        _ => db.begin().await,
    }
    .map_err(repo_err)?;
    let report = verify_in(&snapshot).await;
    snapshot.rollback().await.map_err(repo_err)?;
    report
}

async fn verify_in<C: ConnectionTrait>(conn: &C) -> Result<AuditReport, RepoError> {
    let mut heads: Vec<audit_head::Model> = audit_head::Entity::find().all(conn).await.map_err(repo_err)?;
    heads.sort_by(|a, b| a.chain.cmp(&b.chain));
    let anchor =
        sha256_hex(heads.iter().map(|h| format!("{}|{}|{}\n", h.chain, h.seq, h.hash)).collect::<String>().as_bytes());
    let head_of = |chain: &str| heads.binary_search_by(|h| h.chain.as_str().cmp(chain)).ok().map(|i| &heads[i]);
    let mut report = AuditReport { chains: 0, records: 0, broken: None, anchor };
    let mut seen: HashSet<String> = HashSet::new();
    let mut walk: Option<Walk> = None;
    let mut after: Option<(String, i64)> = None;
    let finish = |walk: &Walk| -> Option<BrokenLink> {
        match head_of(&walk.chain) {
            Some(head) if head.seq == walk.seq && head.hash == walk.hash => None,
            Some(head) => Some(BrokenLink {
                chain: walk.chain.clone(),
                seq: Some(walk.seq),
                problem: format!(
                    "the chain ends at record {} but its head is record {}: records were removed or altered",
                    walk.seq, head.seq
                ),
            }),
            None => Some(BrokenLink { chain: walk.chain.clone(), seq: None, problem: "the chain has no head".into() }),
        }
    };
    'batches: loop {
        let mut select = audit_record::Entity::find()
            .order_by_asc(audit_record::Column::Chain)
            .order_by_asc(audit_record::Column::Seq)
            .limit(VERIFY_BATCH);
        if let Some((chain, seq)) = &after {
            select = select.filter(
                Condition::any().add(audit_record::Column::Chain.gt(chain.clone())).add(
                    Condition::all()
                        .add(audit_record::Column::Chain.eq(chain.clone()))
                        .add(audit_record::Column::Seq.gt(*seq)),
                ),
            );
        }
        let batch = select.all(conn).await.map_err(repo_err)?;
        let Some(last) = batch.last() else { break };
        after = Some((last.chain.clone(), last.seq));
        for record in batch {
            report.records += 1;
            let expected = match &walk {
                Some(w) if w.chain == record.chain => (w.seq + 1, w.hash.clone()),
                _ => {
                    if let Some(done) = &walk
                        && let Some(broken) = finish(done)
                    {
                        report.broken = Some(broken);
                        break 'batches;
                    }
                    report.chains += 1;
                    seen.insert(record.chain.clone());
                    (1, GENESIS.to_owned())
                }
            };
            let problem = if record.seq != expected.0 {
                Some(format!("expected record {} here: records are missing or out of order", expected.0))
            } else if record.prev_hash != expected.1 {
                Some("its link to the previous record does not match: records were reordered or altered".to_owned())
            } else if record_hash(&record) != record.hash {
                Some("its content does not match its hash: the record was altered".to_owned())
            } else {
                None
            };
            if let Some(problem) = problem {
                report.broken = Some(BrokenLink { chain: record.chain, seq: Some(record.seq), problem });
                break 'batches;
            }
            walk = Some(Walk { chain: record.chain, seq: record.seq, hash: record.hash });
        }
    }
    if report.broken.is_none()
        && let Some(done) = &walk
    {
        report.broken = finish(done);
    }
    if report.broken.is_none()
        && let Some(head) = heads.iter().find(|h| !seen.contains(&h.chain))
    {
        report.broken = Some(BrokenLink {
            chain: head.chain.clone(),
            seq: None,
            problem: format!("the head names record {} but the chain has no records: it was truncated", head.seq),
        });
    }
    if report.broken.is_none() {
        let ids: Vec<uuid::Uuid> = incident::Entity::find()
            .select_only()
            .column(incident::Column::Id)
            .into_tuple()
            .all(conn)
            .await
            .map_err(repo_err)?;
        if let Some(id) = ids.into_iter().map(IncidentId::from_uuid).find(|id| !seen.contains(&incident_chain(*id))) {
            report.broken = Some(BrokenLink {
                chain: incident_chain(id),
                seq: None,
                problem: "the incident exists but its audit chain does not".into(),
            });
        }
    }
    if report.broken.is_none() {
        report.broken = required_chains(conn, &seen).await?;
    }
    Ok(report)
}
