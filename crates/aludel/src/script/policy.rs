//! What a revision file says about how it is reviewed and run, beside its ops: the lint
//! rules it allows (`allow`, for the whole revision or in one `[[upgrade]]` op) and its
//! run-time limits (`lock_timeout`, `statement_timeout`, `lock_retries`), which override
//! aludel.toml's `[timeouts]`.
//!
//! None of this is part of the revision's checksum: an exception added in review, or a
//! timeout tuned after a slow deploy, does not change what the revision does, so it never
//! makes an applied revision look edited.

use std::time::Duration;

use serde::{Deserialize, Deserializer, de};

/// One lint rule a revision or op allows: `{ rule = "pg-index-not-concurrent", reason = "..." }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    /// The rule's id.
    pub rule: String,
    /// Why the finding is acceptable here, for the reviewer.
    #[serde(deserialize_with = "reason")]
    pub reason: String,
}

fn reason<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let reason = String::deserialize(deserializer)?;
    if reason.trim().is_empty() {
        return Err(de::Error::custom("an allowed rule needs a `reason` that tells the reviewer why it is safe"));
    }
    Ok(reason)
}

/// The lint rules a revision allows: for the whole revision, and per `[[upgrade]]` op.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowances {
    /// `allow = [...]` at the top of the file: every op of the revision.
    pub revision: Vec<Allow>,
    /// Each upgrade op's own `allow`, by the op's position (empty lists for ops without one).
    pub ops: Vec<Vec<Allow>>,
}

impl Allowances {
    /// The exception that covers `rule` for the upgrade op at `op_index` (or the revision as
    /// a whole when `None`): the op's own first, then the revision's.
    pub fn find(&self, rule: &str, op_index: Option<usize>) -> Option<&Allow> {
        let own = op_index.and_then(|i| self.ops.get(i)).into_iter().flatten();
        own.chain(&self.revision).find(|allow| allow.rule == rule)
    }

    /// Every exception, with the op it belongs to (`None` for the revision's).
    pub fn all(&self) -> impl Iterator<Item = (Option<usize>, &Allow)> {
        let ops = self.ops.iter().enumerate().flat_map(|(i, list)| list.iter().map(move |a| (Some(i), a)));
        self.revision.iter().map(|a| (None, a)).chain(ops)
    }
}

/// A revision's own run-time limits; `None` takes aludel.toml's (`[timeouts]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunLimits {
    /// How long a statement waits for a lock before the revision gives up (`lock_timeout`);
    /// zero waits forever.
    pub lock_timeout: Option<Duration>,
    /// How long a statement may run (`statement_timeout`); zero means no limit.
    pub statement_timeout: Option<Duration>,
    /// How many times the revision is tried again after a lock timeout (`lock_retries`).
    pub lock_retries: Option<u32>,
}

/// Reads a duration as aludel's files write it: `"2s"`, `"750ms"`, `"5min"`, or `"0"` for
/// none.
///
/// # Errors
///
/// A message saying what is expected, when `text` is not such a duration.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use aludel::script::parse_duration;
///
/// assert_eq!(parse_duration("750ms"), Ok(Duration::from_millis(750)));
/// assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
/// assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
/// assert!(parse_duration("2 hours").is_err());
/// assert!(parse_duration("3000000000ms").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let invalid = || format!("`{text}` is not a duration; write it as \"750ms\", \"2s\" or \"5min\" (\"0\" for none)");
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let millis = match unit.trim() {
        "" if number == 0 => 0,
        "ms" => number,
        "s" => number.checked_mul(1_000).ok_or_else(invalid)?,
        "min" => number.checked_mul(60_000).ok_or_else(invalid)?,
        _ => return Err(invalid()),
    };
    if millis > MAX_DURATION_MS {
        return Err(format!(
            "`{text}` is longer than {MAX_DURATION_MS}ms (24 days), the longest timeout PostgreSQL takes; write a \
             shorter one, or \"0\" for none"
        ));
    }
    Ok(Duration::from_millis(millis))
}

/// The longest duration [`parse_duration`] takes: PostgreSQL's timeouts are 32-bit numbers of
/// milliseconds, and refuse more when the revision runs.
pub const MAX_DURATION_MS: u64 = i32::MAX as u64;

/// Spells a duration as [`parse_duration`] reads it.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis == 0 {
        "0".to_owned()
    } else if millis.is_multiple_of(60_000) {
        format!("{}min", millis / 60_000)
    } else if millis.is_multiple_of(1_000) {
        format!("{}s", millis / 1_000)
    } else {
        format!("{millis}ms")
    }
}

/// Reads an optional duration field of a revision file.
pub(crate) fn optional_duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_duration(&text).map(Some).map_err(de::Error::custom)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::script::{Revision, ScriptError};

    fn parse(name: &str, text: &str) -> Result<Revision, ScriptError> {
        Revision::parse(text, Path::new(name))
    }

    /// Asserts that `text` fails to parse at `(line, column)` with a message holding `words`.
    fn check_error(text: &str, (line, column, words): (usize, usize, &str)) {
        match parse("a1_x.toml", text) {
            Err(ScriptError::Parse { line: l, column: c, message, .. }) => {
                assert_eq!((l, c), (line, column), "{message}");
                assert!(message.contains(words), "{message:?} lacks {words:?}");
            }
            other => panic!("expected a parse error for\n{text}\ngot {other:?}"),
        }
    }

    #[test]
    fn exceptions_and_limits_are_read_beside_the_ops() {
        let revision = parse(
            "a1_x.toml",
            "revision = \"a1\"\nallow = [{ rule = \"drop-table\", reason = \"unused since 2.3\" }]\n\
             lock_timeout = \"750ms\"\nlock_retries = 5\n\
             [[upgrade]]\nop = \"drop_table\"\ntable = \"a\"\n\
             [[upgrade]]\nop = \"drop_table\"\ntable = \"b\"\nallow = [{ rule = \"drop-table\", reason = \"b is empty\" }]\n",
        )
        .unwrap();
        assert_eq!(revision.upgrade.len(), 2);
        assert_eq!(revision.allow.find("drop-table", Some(1)).unwrap().reason, "b is empty");
        assert_eq!(revision.allow.find("drop-table", Some(0)).unwrap().reason, "unused since 2.3");
        assert_eq!(revision.limits.lock_timeout, Some(std::time::Duration::from_millis(750)));
        assert_eq!(revision.limits.statement_timeout, None);
        assert_eq!(revision.limits.lock_retries, Some(5));
        // Neither is part of what the revision runs.
        let plain = parse("a1_x.toml", "revision = \"a1\"\n[[upgrade]]\nop = \"drop_table\"\ntable = \"a\"\n[[upgrade]]\nop = \"drop_table\"\ntable = \"b\"\n").unwrap();
        assert_eq!(plain.checksum(), revision.checksum());
        check_error(
            "revision = \"a1\"\nallow = [{ rule = \"drop-table\", reason = \" \" }]\n",
            (2, 42, "needs a `reason`"),
        );
        check_error("revision = \"a1\"\nlock_timeout = \"2 hours\"\n", (2, 16, "not a duration"));
        // PostgreSQL refused it at run time, blamed on the revision's first statement.
        check_error(
            "revision = \"a1\"\nlock_timeout = \"3000000000ms\"\n",
            (2, 16, "the longest timeout PostgreSQL takes"),
        );
        assert_eq!(parse_duration("2147483647ms"), Ok(std::time::Duration::from_millis(2_147_483_647)));
    }

    #[test]
    fn durations_read_and_spell_alike() {
        for (text, millis) in [("0", 0), ("750ms", 750), ("2s", 2_000), ("1500ms", 1_500), ("5min", 300_000)] {
            let duration = parse_duration(text).expect(text);
            assert_eq!(duration.as_millis(), millis, "{text}");
            assert_eq!(format_duration(duration), text);
        }
        for bad in ["", "2", "s", "-1s", "2h", "1.5s", "99999999999999999999s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_op_exception_wins_over_the_revision_one() {
        let allow = |rule: &str, reason: &str| Allow { rule: rule.into(), reason: reason.into() };
        let allowances = Allowances {
            revision: vec![allow("drop-column", "whole revision")],
            ops: vec![vec![], vec![allow("drop-column", "this op")]],
        };
        assert_eq!(allowances.find("drop-column", Some(1)).map(|a| a.reason.as_str()), Some("this op"));
        assert_eq!(allowances.find("drop-column", Some(0)).map(|a| a.reason.as_str()), Some("whole revision"));
        assert_eq!(allowances.find("drop-table", Some(1)), None);
        assert_eq!(allowances.all().count(), 2);
    }
}
