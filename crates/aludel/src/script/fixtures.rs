//! Data fixtures a revision file carries for `aludel test`: statements that run before its
//! upgrade and assertions (queries that must return true) after its upgrade and after its
//! downgrade, so a data migration is tested where it is written.
//!
//! ```toml
//! [[test.before]]             # runs before the revision's upgrade
//! sql = "INSERT INTO users (email) VALUES ('ada@example.com')"
//!
//! [[test.assert_upgraded]]    # one row, one column, true
//! sql = "SELECT count(*) = 1 FROM users WHERE domain = 'example.com'"
//!
//! [[test.assert_downgraded]]
//! sql = "SELECT count(*) = 1 FROM users"
//! dialect = "postgresql"      # only on this backend, as the `sql` op spells it
//! ```
//!
//! Fixtures are not part of the revision's checksum: they test the revision and change
//! nothing a database holds outside a test run, so adding or fixing one never makes an
//! applied revision look edited.

use serde::Deserialize;

/// The fixtures of one revision (`[test]` in its file); empty when it has none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    /// Statements run before the revision's upgrade, on its parent's schema.
    #[serde(default)]
    pub before: Vec<Fixture>,
    /// Queries that must return true after the upgrade.
    #[serde(default)]
    pub assert_upgraded: Vec<Fixture>,
    /// Queries that must return true after the downgrade.
    #[serde(default)]
    pub assert_downgraded: Vec<Fixture>,
}

impl Fixtures {
    /// Whether the revision carries no fixture.
    pub fn is_empty(&self) -> bool {
        self.before.is_empty() && self.assert_upgraded.is_empty() && self.assert_downgraded.is_empty()
    }
}

/// One statement or assertion, optionally for one backend only.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// The SQL text (several statements allowed for `before`; one query for an assertion).
    pub sql: String,
    /// Run only on this backend: `postgresql` (or `postgres`), `sqlite`, `mysql` (or
    /// `mariadb`), as the `sql` op names them.
    #[serde(default, deserialize_with = "crate::dialect::read_dialect_name")]
    pub dialect: Option<String>,
}

impl Fixture {
    /// Whether the fixture runs on the dialect named `dialect` (`Dialect::name`).
    pub fn applies_to(&self, dialect: &str) -> bool {
        self.dialect.as_deref().is_none_or(|wanted| crate::dialect::names_dialect(wanted, dialect))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::script::{Revision, ScriptError};

    fn parse(text: &str) -> Result<Revision, ScriptError> {
        Revision::parse(text, Path::new("a1_x.toml"))
    }

    #[test]
    fn fixtures_are_read_with_their_dialects() {
        let revision = parse(
            "revision = \"a1\"\n\n[[upgrade]]\nop = \"drop_table\"\ntable = \"t\"\n\n\
             [[test.before]]\nsql = \"INSERT INTO t VALUES (1)\"\n\n\
             [[test.assert_upgraded]]\nsql = \"SELECT 1 = 1\"\ndialect = \"postgres\"\n\n\
             [[test.assert_downgraded]]\nsql = \"SELECT count(*) = 1 FROM t\"\n",
        )
        .expect("a valid revision");
        let fixtures = &revision.fixtures;
        assert_eq!(fixtures.before[0].sql, "INSERT INTO t VALUES (1)");
        assert_eq!(fixtures.assert_downgraded.len(), 1);
        let postgres_only = &fixtures.assert_upgraded[0];
        assert!(postgres_only.applies_to("postgresql"));
        assert!(!postgres_only.applies_to("sqlite"));
        assert!(fixtures.before[0].applies_to("mysql"));
        assert!(parse("revision = \"a1\"\n").expect("valid").fixtures.is_empty());
    }

    #[test]
    fn fixtures_stay_out_of_the_checksum() {
        let plain = "revision = \"a1\"\n\n[[upgrade]]\nop = \"drop_table\"\ntable = \"t\"\n";
        let tested = format!("{plain}\n[[test.assert_upgraded]]\nsql = \"SELECT true\"\n");
        assert_eq!(parse(plain).unwrap().checksum(), parse(&tested).unwrap().checksum());
    }

    #[test]
    fn a_misspelt_fixture_is_an_error_at_its_line() {
        for (text, line, words) in [
            ("revision = \"a1\"\n[[test.after]]\nsql = \"x\"\n", 2, "unknown field `after`"),
            ("revision = \"a1\"\n[[test.before]]\nsql = \"x\"\ndialect = \"oracle\"\n", 4, "unknown dialect `oracle`"),
            // The same names hold for an `sql` op, whose SQL a misspelt one would run nowhere.
            (
                "revision = \"a1\"\n\n[[upgrade]]\nop = \"sql\"\nsql = \"x\"\ndialect = \"sqlit\"\n",
                6,
                "unknown dialect `sqlit`: use postgresql, sqlite or mysql",
            ),
        ] {
            match parse(text) {
                Err(ScriptError::Parse { line: at, message, .. }) => {
                    assert_eq!(at, line, "{message}");
                    assert!(message.contains(words), "{message}");
                }
                other => panic!("expected a parse error, got {other:?}"),
            }
        }
    }
}
