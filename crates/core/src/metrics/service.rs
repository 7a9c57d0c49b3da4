//! Reading dashboards and changing the team settings they use.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::compute::compute;
use super::model::{Audience, Dashboard, DashboardFacts, Period, Provision, SlaTarget, default_sla};
use crate::access::{Actor, Operation, Viewer};
use crate::catalog::{Catalog, ServiceCode};
use crate::clock::Clock;
use crate::error::{FieldError, IncidentError, RepoError};
use crate::id::TeamId;
#[cfg(doc)]
use crate::incident::visible_to;
use crate::team::Role;

/// Longest period a dashboard covers.
const MAX_PERIOD_DAYS: i64 = 3 * 366;
/// Longest SLA target: a year.
const MAX_TARGET_SECONDS: i64 = 366 * 24 * 3600;

/// What dashboards read and the settings they use.
#[async_trait]
pub trait MetricsRepository: Send + Sync + std::fmt::Debug {
    /// What the dashboard of `team` for `period` needs (see [`DashboardFacts`]), over the
    /// incidents `audience` may see as [`visible_to`] decides.
    ///
    /// # Errors
    /// Storage failures.
    async fn facts(&self, team: TeamId, period: Period, audience: Audience) -> Result<DashboardFacts, RepoError>;

    /// The targets the team has set (possibly none).
    ///
    /// # Errors
    /// Storage failures.
    async fn sla_targets(&self, team: TeamId) -> Result<Vec<SlaTarget>, RepoError>;

    /// Sets targets (one per priority and clock; others stay), with an audit record.
    ///
    /// # Errors
    /// Storage failures.
    async fn set_sla_targets(
        &self,
        team: TeamId,
        targets: &[SlaTarget],
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<(), RepoError>;

    /// The team's declared portfolio.
    ///
    /// # Errors
    /// Storage failures.
    async fn portfolio(&self, team: TeamId) -> Result<BTreeMap<ServiceCode, Provision>, RepoError>;

    /// Declares how the team provides these services (others stay), with an audit record.
    ///
    /// # Errors
    /// [`RepoError::MissingReference`] for a code not in the stored catalog.
    async fn set_portfolio(
        &self,
        team: TeamId,
        entries: &[(ServiceCode, Provision)],
        catalog_version: &str,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<(), RepoError>;
}

/// Team dashboards on behalf of a [`Viewer`].
#[derive(Debug, Clone)]
pub struct DashboardService {
    repo: Arc<dyn MetricsRepository>,
    catalog: &'static Catalog,
    clock: Arc<dyn Clock>,
}

impl DashboardService {
    /// A service over `repo`.
    #[must_use]
    pub fn new(repo: Arc<dyn MetricsRepository>, catalog: &'static Catalog, clock: Arc<dyn Clock>) -> Self {
        Self { repo, catalog, clock }
    }

    /// The dashboard of `team` for `[from, to)` (the last 90 days when omitted), over the incidents
    /// the caller may see.
    ///
    /// # Errors
    /// `NotFound` for a team the caller is not in; `Invalid` for a period that is empty, reversed
    /// or longer than three years.
    pub async fn dashboard(
        &self,
        viewer: &Viewer,
        team: TeamId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Dashboard, IncidentError> {
        let role = viewer.authorize(team, Operation::Read)?;
        let now = self.clock.now();
        let to = to.unwrap_or(now);
        let from = from.unwrap_or(to - Duration::days(90));
        if from >= to {
            return Err(FieldError::new("from", "must be earlier than to").into());
        }
        if to - from > Duration::days(MAX_PERIOD_DAYS) {
            return Err(FieldError::new("from", "a dashboard covers at most three years").into());
        }
        let period = Period { from, to };
        let audience = Audience { person: viewer.person_id(), sees_restricted: role == Role::Lead };
        let facts = self.repo.facts(team, period, audience).await?;
        let policy = self.policy(team).await?;
        let portfolio = self.repo.portfolio(team).await?;
        Ok(compute(&facts, period, now, &policy, &portfolio, self.catalog))
    }

    async fn policy(&self, team: TeamId) -> Result<Vec<SlaTarget>, IncidentError> {
        let set = self.repo.sla_targets(team).await?;
        Ok(default_sla()
            .into_iter()
            .map(|d| set.iter().find(|s| s.priority == d.priority && s.clock == d.clock).copied().unwrap_or(d))
            .collect())
    }

    /// The SLA targets in force for `team`: its own, and the defaults where it set none.
    ///
    /// # Errors
    /// `NotFound` for a team the caller is not in.
    pub async fn sla_policy(&self, viewer: &Viewer, team: TeamId) -> Result<Vec<SlaTarget>, IncidentError> {
        viewer.authorize(team, Operation::Read)?;
        self.policy(team).await
    }

    /// Sets SLA targets (the team's leads).
    ///
    /// # Errors
    /// `Forbidden` below lead; `Invalid` on `targets` for a target outside 1 s – 1 year.
    pub async fn set_sla_policy(
        &self,
        viewer: &Viewer,
        team: TeamId,
        targets: &[SlaTarget],
    ) -> Result<Vec<SlaTarget>, IncidentError> {
        viewer.authorize(team, Operation::ManageTeam)?;
        if targets.iter().any(|t| !(1..=MAX_TARGET_SECONDS).contains(&t.target_seconds)) {
            return Err(FieldError::new("targets", "each target is between 1 second and a year").into());
        }
        self.repo.set_sla_targets(team, targets, self.clock.now(), &viewer.audit("setSlaPolicy").actor).await?;
        self.policy(team).await
    }

    /// The team's declared service portfolio.
    ///
    /// # Errors
    /// `NotFound` for a team the caller is not in.
    pub async fn portfolio(
        &self,
        viewer: &Viewer,
        team: TeamId,
    ) -> Result<BTreeMap<ServiceCode, Provision>, IncidentError> {
        viewer.authorize(team, Operation::Read)?;
        Ok(self.repo.portfolio(team).await?)
    }

    /// Declares how the team provides catalog services (the team's leads).
    ///
    /// # Errors
    /// `Forbidden` below lead; `UnknownServices` naming codes not in the catalog.
    pub async fn set_portfolio(
        &self,
        viewer: &Viewer,
        team: TeamId,
        entries: &[(String, Provision)],
    ) -> Result<BTreeMap<ServiceCode, Provision>, IncidentError> {
        viewer.authorize(team, Operation::ManageTeam)?;
        let codes: Vec<&str> = entries.iter().map(|(c, _)| c.as_str()).collect();
        let resolved = self.catalog.resolve(&codes).map_err(IncidentError::UnknownServices)?;
        let mut by_code: BTreeMap<ServiceCode, Provision> = BTreeMap::new();
        for (raw, provision) in entries {
            if let Some(code) = resolved.iter().find(|c| ServiceCode::parse(raw).ok().as_ref() == Some(*c)) {
                by_code.insert(code.clone(), *provision);
            }
        }
        let entries: Vec<_> = by_code.into_iter().collect();
        let actor = viewer.audit("setServicePortfolio").actor;
        self.repo.set_portfolio(team, &entries, self.catalog.version(), self.clock.now(), &actor).await?;
        Ok(self.repo.portfolio(team).await?)
    }
}
