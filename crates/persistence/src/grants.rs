//! Least-privilege PostgreSQL grants for the application's role. The owner role runs migrations
//! (`taio migrate`) and owns every table; the application role may read everything, append
//! everywhere, change or remove rows only where the application does, and never change or remove
//! the record of what happened: transitions, actions, their services and the audit trail. It gets
//! no `CREATE` on the schema, so it cannot run migrations itself.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, TransactionTrait};

use crate::{Backend, Database};

/// The schema the migrations create their tables in.
pub const SCHEMA: &str = "public";

/// Every table of the schema and the privileges the application role gets on it. A table missing
/// from this list gets nothing (and the grants test fails).
pub const TABLE_PRIVILEGES: &[(&str, &[Privilege])] = {
    use Privilege::{Delete, Insert, Select, Update};
    &[
        // The migration ledger: read to tell whether the schema is current, never written.
        ("seaql_migrations", &[Select]),
        // The service catalog, seeded by migrations.
        ("catalog_editions", &[Select]),
        ("catalog_categories", &[Select]),
        ("catalog_services", &[Select]),
        // Created, never changed or removed.
        ("teams", &[Select, Insert]),
        // Append-only: the record of what happened.
        ("incident_transitions", &[Select, Insert]),
        ("actions", &[Select, Insert]),
        ("action_services", &[Select, Insert]),
        ("audit_records", &[Select, Insert]),
        ("incident_events", &[Select, Insert]),
        // Changed in place: the admin flag; a token's last use and revocation; an incident's
        // state; the per-team numbering (an upsert); each audit chain's head.
        ("people", &[Select, Insert, Update]),
        ("api_tokens", &[Select, Insert, Update]),
        ("incidents", &[Select, Insert, Update]),
        ("incident_counters", &[Select, Insert, Update]),
        ("audit_heads", &[Select, Insert, Update]),
        // The one row numbering the event log.
        ("event_positions", &[Select, Update]),
        // Team settings, each entry an upsert.
        ("sla_targets", &[Select, Insert, Update]),
        ("service_portfolio", &[Select, Insert, Update]),
        // Dashboard rollups: sums moved by upserts in the transaction of each action.
        ("service_use_days", &[Select, Insert, Update]),
        ("work_days", &[Select, Insert, Update]),
        // Replaced or removed: a member's role (an upsert) and removal; the people named on an
        // incident, rewritten on each change.
        ("memberships", &[Select, Insert, Update, Delete]),
        ("incident_participants", &[Select, Insert, Delete]),
    ]
};

/// The tables whose rows the application role must never change or remove.
pub const APPEND_ONLY: [&str; 5] =
    ["incident_transitions", "actions", "action_services", "audit_records", "incident_events"];

/// A table privilege.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privilege {
    /// Read rows.
    Select,
    /// Add rows.
    Insert,
    /// Change rows.
    Update,
    /// Remove rows.
    Delete,
}

impl Privilege {
    /// The SQL keyword.
    #[must_use]
    pub fn as_sql(self) -> &'static str {
        match self {
            Self::Select => "SELECT",
            Self::Insert => "INSERT",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
        }
    }
}

/// Why grants could not be made or applied.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// The role name is not a plain lowercase identifier.
    #[error(
        "invalid role name {0:?}: use 1–63 lowercase letters, digits and underscores, starting with a letter or \
         underscore, not \"public\", \"none\" or a name starting with pg_"
    )]
    InvalidRole(String),
    /// The database is not PostgreSQL.
    #[error("grants apply to PostgreSQL only: SQLite has no roles")]
    NotPostgres,
    /// After granting, the role can still change or remove rows it must not: it owns the tables,
    /// is a superuser, inherits from the owner, or something granted more elsewhere.
    #[error(
        "role {role} can still {privilege} {table}: it must not own the tables, be a superuser or be a member of \
         the owner role"
    )]
    StillWritable {
        /// The role.
        role: String,
        /// The table.
        table: String,
        /// The privilege it still has.
        privilege: &'static str,
    },
    /// The database refused a statement.
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// The statements that give `role` exactly [`TABLE_PRIVILEGES`]: revoke everything on Taiō's
/// tables, then grant schema usage and each table's privileges. Applying them twice changes
/// nothing; applying them after an upgrade removes privileges a table no longer has.
///
/// # Errors
/// [`GrantError::InvalidRole`] unless `role` is a plain lowercase identifier.
pub fn grant_statements(role: &str) -> Result<Vec<String>, GrantError> {
    let role = quoted_role(role)?;
    let tables: Vec<&str> = TABLE_PRIVILEGES.iter().map(|(table, _)| *table).collect();
    let mut statements = vec![
        format!("REVOKE ALL ON {} FROM {role}", tables.join(", ")),
        format!("GRANT USAGE ON SCHEMA {SCHEMA} TO {role}"),
    ];
    for (table, privileges) in TABLE_PRIVILEGES {
        let privileges: Vec<&str> = privileges.iter().map(|p| p.as_sql()).collect();
        statements.push(format!("GRANT {} ON {table} TO {role}", privileges.join(", ")));
    }
    Ok(statements)
}

/// Applies [`grant_statements`] in one transaction, then checks that `role` really cannot
/// `UPDATE`, `DELETE` or `TRUNCATE` what it was not granted (an owner or superuser could).
/// Run it as the owner, after migrations.
///
/// # Errors
/// [`GrantError::InvalidRole`]; [`GrantError::NotPostgres`] on SQLite;
/// [`GrantError::StillWritable`] when the role keeps a privilege it must not have (nothing is
/// applied then); [`GrantError::Database`] when a statement fails (e.g. the role does not exist).
pub async fn apply_grants(database: &Database, role: &str) -> Result<(), GrantError> {
    let statements = grant_statements(role)?;
    if database.backend() != Backend::Postgres {
        return Err(GrantError::NotPostgres);
    }
    let txn = database.conn.begin().await?;
    for statement in &statements {
        txn.execute_unprepared(statement).await?;
    }
    for (table, granted) in TABLE_PRIVILEGES {
        for (privilege, keyword) in
            [(Some(Privilege::Update), "UPDATE"), (Some(Privilege::Delete), "DELETE"), (None, "TRUNCATE")]
        {
            if privilege.is_some_and(|p| granted.contains(&p)) {
                continue;
            }
            let check = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT has_table_privilege($1, $2, $3)",
                [role.into(), format!("{SCHEMA}.{table}").into(), keyword.into()],
            );
            let row = txn.query_one_raw(check).await?.ok_or_else(|| DbErr::RecordNotFound("privilege".into()))?;
            if row.try_get_by_index::<bool>(0)? {
                return Err(GrantError::StillWritable {
                    role: role.to_owned(),
                    table: (*table).to_owned(),
                    privilege: keyword,
                });
            }
        }
    }
    txn.commit().await?;
    Ok(())
}

/// `role` double-quoted, once it is known to need no quoting: lowercase (PostgreSQL folds
/// unquoted names), within the 63-byte limit, and not a name `GRANT … TO` treats specially.
fn quoted_role(role: &str) -> Result<String, GrantError> {
    let mut chars = role.chars();
    let plain = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && role.len() <= 63
        && !matches!(role, "public" | "none")
        && !role.starts_with("pg_");
    if plain { Ok(format!("\"{role}\"")) } else { Err(GrantError::InvalidRole(role.to_owned())) }
}

#[cfg(test)]
mod tests {
    use super::{APPEND_ONLY, Privilege, TABLE_PRIVILEGES, grant_statements};

    #[test]
    fn only_plain_lowercase_role_names_are_accepted() {
        for bad in ["", "Taio", "taio-app", "taio app", "1taio", "public", "none", "pg_monitor", "x\"; DROP", "é"] {
            assert!(grant_statements(bad).is_err(), "{bad:?} must be refused");
        }
        assert!(grant_statements(&"a".repeat(64)).is_err(), "longer than 63 bytes");
        for good in ["taio_app", "_app", "app2", &"a".repeat(63)] {
            assert!(grant_statements(good).is_ok(), "{good:?} must be accepted");
        }
    }

    #[test]
    fn append_only_tables_get_neither_update_nor_delete() {
        for table in APPEND_ONLY {
            let (_, privileges) = TABLE_PRIVILEGES.iter().find(|(t, _)| *t == table).expect("listed");
            assert_eq!(*privileges, [Privilege::Select, Privilege::Insert], "{table}");
        }
        let statements = grant_statements("taio_app").expect("valid");
        assert!(statements.iter().all(|s| !s.contains("TRUNCATE") && !s.contains("ALL PRIVILEGES")));
        assert!(statements.contains(&"GRANT SELECT, INSERT ON audit_records TO \"taio_app\"".to_owned()));
        assert!(statements[0].starts_with("REVOKE ALL ON seaql_migrations, "), "{}", statements[0]);
    }
}
