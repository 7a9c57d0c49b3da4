//! Typed identifiers: a UUID per aggregate, so that an incident id is never passed as a person id.

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A new, time-ordered identifier (UUIDv7).
            #[must_use]
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            /// Wraps an existing UUID.
            #[must_use]
            pub fn from_uuid(uuid: uuid::Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID.
            #[must_use]
            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Identifies an incident.
    IncidentId
);
id_type!(
    /// Identifies an action.
    ActionId
);
id_type!(
    /// Identifies a stored transition.
    TransitionId
);
id_type!(
    /// Identifies a team.
    TeamId
);
id_type!(
    /// Identifies a person.
    PersonId
);
id_type!(
    /// Identifies an API token.
    TokenId
);
