//! [`RevisionId`]: the id of a revision, valid by construction.
//!
//! Ids are what file names start with and what the version table stores. Generating and
//! parsing live here; resolving a prefix or a label to an id is the graph's job.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::script::ScriptError;

/// The longest id [`RevisionId::parse`] accepts; it fits the version table's column.
const MAX_LEN: usize = 32;

/// A revision id: 1 to 32 ASCII letters, digits or underscores, such as `3f2a9c1b7d04`.
///
/// # Examples
///
/// ```
/// use aludel::script::RevisionId;
///
/// let id = RevisionId::parse("3f2a9c1b7d04")?;
/// assert_eq!(id.as_str(), "3f2a9c1b7d04");
/// assert!(RevisionId::parse("not an id").is_err());
/// # Ok::<(), aludel::script::ScriptError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RevisionId(String);

impl RevisionId {
    /// Reads a revision id.
    ///
    /// # Errors
    ///
    /// [`ScriptError::InvalidRevisionId`] when `text` is empty, longer than 32 characters or
    /// holds anything but ASCII letters, digits and `_`.
    pub fn parse(text: &str) -> Result<RevisionId, ScriptError> {
        if is_valid(text) {
            Ok(RevisionId(text.to_owned()))
        } else {
            Err(ScriptError::InvalidRevisionId { text: text.to_owned() })
        }
    }

    /// A new id of 12 lowercase hex characters, different on every call.
    ///
    /// # Examples
    ///
    /// ```
    /// use aludel::script::RevisionId;
    ///
    /// let (a, b) = (RevisionId::generate(), RevisionId::generate());
    /// assert_ne!(a, b);
    /// assert_eq!(a.as_str().len(), 12);
    /// ```
    pub fn generate() -> RevisionId {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        // The clock alone can repeat within a process and across processes started together;
        // the pid and a counter separate those.
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut hasher = Sha256::new();
        hasher.update(nanos.to_le_bytes());
        hasher.update(std::process::id().to_le_bytes());
        hasher.update(count.to_le_bytes());
        let digest = hasher.finalize();
        RevisionId(digest.iter().take(6).map(|b| format!("{b:02x}")).collect())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_valid(text: &str) -> bool {
    (1..=MAX_LEN).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl fmt::Display for RevisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RevisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

// Ids compare, order and hash exactly as their text does, so maps keyed by id can be
// searched with a `&str` (and by prefix).
impl std::borrow::Borrow<str> for RevisionId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for RevisionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for RevisionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RevisionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        RevisionId::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, valid: bool) {
        assert_eq!(RevisionId::parse(text).is_ok(), valid, "{text:?}");
    }

    #[test]
    fn parse_accepts_letters_digits_and_underscores_up_to_32() {
        check("a", true);
        check("3f2a9c1b7d04", true);
        check("Base_1", true);
        check(&"x".repeat(32), true);
        check(&"x".repeat(33), false);
        check("", false);
        check("ab-c", false);
        check("ab c", false);
        check("héllo", false);
        check("a@head", false);
    }

    #[test]
    fn invalid_ids_name_the_text() {
        let err = RevisionId::parse("no way").unwrap_err();
        assert!(matches!(&err, ScriptError::InvalidRevisionId { text } if text == "no way"));
        assert_eq!(err.to_string(), "invalid revision id `no way`: use 1 to 32 letters, digits or underscores");
    }

    #[test]
    fn generated_ids_are_12_hex_chars_and_unique() {
        let ids: std::collections::BTreeSet<RevisionId> = (0..1000).map(|_| RevisionId::generate()).collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            assert_eq!(id.as_str().len(), 12);
            assert!(id.as_str().bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')), "{id}");
        }
    }

    #[test]
    fn serializes_as_a_plain_string() {
        let id = RevisionId::parse("abc123").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"abc123\"");
        assert_eq!(serde_json::from_str::<RevisionId>("\"abc123\"").unwrap(), id);
        assert!(serde_json::from_str::<RevisionId>("\"a b\"").is_err());
    }
}
