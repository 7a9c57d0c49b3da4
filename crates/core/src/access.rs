//! Who is asking, and what each role may do. Every service call is checked here; another team's
//! object is reported as not found, never as forbidden.

use crate::error::IncidentError;
use crate::id::{PersonId, TeamId, TokenId};
use crate::team::{Membership, Person, Role};

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The person.
    pub person: Person,
    /// The token used, when the request came with one.
    pub token_id: Option<TokenId>,
    /// The person's teams and roles.
    pub memberships: Vec<Membership>,
    /// The id of the request being served, for the audit trail.
    pub request_id: Option<String>,
}

/// Who made a change, as the audit trail records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The person.
    pub person: PersonId,
    /// The token used.
    pub token: Option<TokenId>,
    /// The request.
    pub request_id: Option<String>,
}

/// A change to be recorded in the audit trail: who, and which operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    /// Who.
    pub actor: Actor,
    /// The API operation, e.g. `closeIncident`.
    pub operation: &'static str,
}

/// An operation on a team's incidents, with the least role it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Read incidents, actions and history.
    Read,
    /// Report a new incident.
    Report,
    /// Acknowledge (D-1 → D-3).
    Acknowledge,
    /// Change triage fields.
    Classify,
    /// Move along the main line.
    Transition,
    /// Record an action.
    RecordAction,
    /// Close.
    Close,
    /// Reopen.
    Reopen,
    /// Hand to another owner.
    Reassign,
    /// Mark restricted or name participants (the owner may too).
    ManageAccess,
    /// Read an incident's audit trail.
    ReadAudit,
    /// Change team settings (SLA targets, service portfolio).
    ManageTeam,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Self; 12] = [
        Self::Read,
        Self::Report,
        Self::Acknowledge,
        Self::Classify,
        Self::Transition,
        Self::RecordAction,
        Self::Close,
        Self::Reopen,
        Self::Reassign,
        Self::ManageAccess,
        Self::ReadAudit,
        Self::ManageTeam,
    ];

    /// The least role that may perform the operation (DOMAIN §5).
    #[must_use]
    pub fn required_role(self) -> Role {
        match self {
            Self::Read => Role::Viewer,
            Self::Report | Self::Acknowledge | Self::Classify | Self::Transition | Self::RecordAction => {
                Role::Responder
            }
            Self::Close | Self::Reopen | Self::Reassign | Self::ManageAccess | Self::ReadAudit | Self::ManageTeam => {
                Role::Lead
            }
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Read => "read incidents",
            Self::Report => "report incidents",
            Self::Acknowledge => "acknowledge incidents",
            Self::Classify => "classify incidents",
            Self::Transition => "move incidents between stages",
            Self::RecordAction => "record actions",
            Self::Close => "close incidents",
            Self::Reopen => "reopen incidents",
            Self::Reassign => "reassign incidents",
            Self::ManageAccess => "change who may see an incident",
            Self::ReadAudit => "read audit trails",
            Self::ManageTeam => "change team settings",
        }
    }
}

impl Viewer {
    /// The caller's person id.
    #[must_use]
    pub fn person_id(&self) -> PersonId {
        self.person.id
    }

    /// The audit record of `operation` done by the caller.
    #[must_use]
    pub fn audit(&self, operation: &'static str) -> Audit {
        Audit {
            actor: Actor { person: self.person.id, token: self.token_id, request_id: self.request_id.clone() },
            operation,
        }
    }

    /// The caller's role in `team`.
    #[must_use]
    pub fn role_in(&self, team: TeamId) -> Option<Role> {
        self.memberships.iter().find(|m| m.team_id == team).map(|m| m.role)
    }

    /// The teams whose incidents the caller can read.
    #[must_use]
    pub fn team_ids(&self) -> Vec<TeamId> {
        self.memberships.iter().map(|m| m.team_id).collect()
    }

    /// Whether the caller can read `team`'s incidents.
    #[must_use]
    pub fn can_read(&self, team: TeamId) -> bool {
        self.role_in(team).is_some()
    }

    /// Checks that the caller may perform `operation` in `team`.
    ///
    /// # Errors
    /// [`IncidentError::NotFound`] when the caller is not in the team (its objects do not exist
    /// for them); [`IncidentError::Forbidden`] when their role is too low.
    pub fn authorize(&self, team: TeamId, operation: Operation) -> Result<Role, IncidentError> {
        let role = self.role_in(team).ok_or(IncidentError::NotFound)?;
        let needed = operation.required_role();
        if role >= needed {
            Ok(role)
        } else {
            Err(IncidentError::Forbidden(format!(
                "a {} cannot {}; it needs the {} role",
                role.as_str().to_lowercase(),
                operation.verb(),
                needed.as_str().to_lowercase()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Text;

    fn viewer(memberships: &[(TeamId, Role)]) -> Viewer {
        Viewer {
            person: Person { id: PersonId::generate(), name: Text::from_stored("Aiko".into()), admin: false },
            token_id: None,
            memberships: memberships.iter().map(|&(team_id, role)| Membership { team_id, role }).collect(),
            request_id: None,
        }
    }

    #[test]
    fn every_operation_follows_the_role_table() {
        let team = TeamId::generate();
        for role in Role::ALL {
            let v = viewer(&[(team, *role)]);
            for op in Operation::ALL {
                let allowed = v.authorize(team, op).is_ok();
                assert_eq!(allowed, *role >= op.required_role(), "{role:?} {op:?}");
            }
        }
    }

    #[test]
    fn another_teams_object_is_not_found_rather_than_forbidden() {
        let v = viewer(&[(TeamId::generate(), Role::Lead)]);
        assert_eq!(v.authorize(TeamId::generate(), Operation::Read), Err(IncidentError::NotFound));
    }

    #[test]
    fn a_viewer_may_not_close() {
        let team = TeamId::generate();
        assert!(matches!(
            viewer(&[(team, Role::Viewer)]).authorize(team, Operation::Close),
            Err(IncidentError::Forbidden(_))
        ));
    }
}
