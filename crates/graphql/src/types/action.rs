//! Actions and their evidence.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use taio_core::incident;

use super::catalog::CatalogService;
use super::enums::{ActionKind, Audience, EvidenceKind, Outcome, Stage};
use super::incident::load_person;
use super::team::Person;
use crate::error::ApiResult;

/// Something someone did on an incident, as part of a D-stage, exercising catalog services.
/// Actions are append-only: a correction is a new action that supersedes the old one.
pub struct Action(pub(crate) incident::Action);

/// Something someone did on an incident, as part of a D-stage, exercising catalog services.
/// Actions are append-only: a correction is a new action that supersedes the old one.
#[Object]
impl Action {
    /// Identity.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The incident it belongs to.
    async fn incident_id(&self) -> ID {
        ID(self.0.incident_id.to_string())
    }

    /// The D-service performed.
    async fn stage(&self) -> Stage {
        self.0.stage.into()
    }

    /// What sort of work.
    async fn kind(&self) -> ActionKind {
        self.0.kind.into()
    }

    /// One-line summary.
    async fn summary(&self) -> &str {
        self.0.summary.as_str()
    }

    /// Markdown details.
    async fn details(&self) -> Option<&str> {
        self.0.details.as_ref().map(|d| d.as_str())
    }

    /// The catalog services exercised.
    async fn services(&self, ctx: &Context<'_>) -> ApiResult<Vec<CatalogService>> {
        use crate::context::ContextExt;
        let catalog = ctx.services()?.incidents.catalog();
        Ok(self.0.services.iter().filter_map(|c| catalog.service(c)).map(CatalogService).collect())
    }

    /// The catalog edition of the service codes.
    async fn catalog_version(&self) -> &str {
        &self.0.catalog_version
    }

    /// Who did it.
    async fn performed_by(&self, ctx: &Context<'_>) -> ApiResult<Person> {
        load_person(ctx, self.0.performed_by).await
    }

    /// When it was done.
    async fn performed_at(&self) -> DateTime<Utc> {
        self.0.performed_at
    }

    /// Who recorded it.
    async fn recorded_by(&self, ctx: &Context<'_>) -> ApiResult<Person> {
        load_person(ctx, self.0.recorded_by).await
    }

    /// When it was recorded (server time).
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }

    /// How it went.
    async fn outcome(&self) -> Option<Outcome> {
        self.0.outcome.map(Into::into)
    }

    /// Effort spent, in minutes.
    async fn effort_minutes(&self) -> Option<i32> {
        self.0.effort_minutes
    }

    /// For D-6 notifications: to whom.
    async fn notification(&self) -> Option<Notification> {
        self.0
            .notification
            .as_ref()
            .map(|n| Notification { audience: n.audience.into(), recipient: n.recipient.as_str().to_owned() })
    }

    /// Evidence references with their custody.
    async fn evidence(&self) -> Vec<Evidence> {
        self.0
            .evidence
            .iter()
            .map(|e| Evidence {
                kind: e.kind.into(),
                uri: e.uri.as_str().to_owned(),
                sha256: e.sha256.as_ref().map(|s| s.as_str().to_owned()),
                collected_at: e.collected_at,
                custody_note: e.custody_note.as_ref().map(|n| n.as_str().to_owned()),
            })
            .collect()
    }

    /// The earlier action this one corrects.
    async fn supersedes(&self) -> Option<ID> {
        self.0.supersedes.map(|id| ID(id.to_string()))
    }
}

/// The addressee of a D-6 notification.
#[derive(SimpleObject)]
pub struct Notification {
    /// Which audience.
    pub audience: Audience,
    /// The recipient (organisation, person or channel).
    pub recipient: String,
}

/// A reference to a piece of evidence.
#[derive(SimpleObject)]
pub struct Evidence {
    /// What it is.
    pub kind: EvidenceKind,
    /// Where it is kept.
    pub uri: String,
    /// SHA-256, lowercase hex.
    pub sha256: Option<String>,
    /// When it was collected.
    pub collected_at: Option<DateTime<Utc>>,
    /// Chain-of-custody note.
    pub custody_note: Option<String>,
}
