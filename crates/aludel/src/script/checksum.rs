//! What a revision's checksum covers, and how it is computed.
//!
//! The checksum is SHA-256 (hex) over a canonical form of what a revision runs and where it
//! sits in the graph: its upgrade ops, whether they run in a transaction, its parents
//! (`down_revision`) and its dependencies (`depends_on`). Editing any of those in a revision
//! the database has applied is refused until the edit is accepted (`aludel verify --accept`).
//!
//! Left out on purpose: the downgrade (fixing the downgrade of an applied revision is
//! ordinary maintenance, and `aludel test` proves downgrades), the message, the creation
//! time, branch labels, comments and formatting. Line endings never count: a file checked
//! out with CRLF has the checksum of the same file with LF. Every float counts, NaN and the
//! infinities included.
//!
//! Steps recorded by earlier versions of aludel carry the earlier checksum (upgrade ops and
//! transaction flag, as JSON); [`matches`] accepts it too, computed with either line ending,
//! so upgrading aludel never makes an applied revision look edited.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::ops::Op;
use crate::script::{Revision, RevisionId};

/// The checksum of `revision`, as runs record it.
pub(crate) fn checksum(revision: &Revision) -> String {
    let mut parents: Vec<&str> = revision.down_revisions.iter().map(RevisionId::as_str).collect();
    let mut dependencies: Vec<&str> = revision.depends_on.iter().map(RevisionId::as_str).collect();
    // A merge's parents and a revision's dependencies are sets: their order in the file
    // does not change what runs.
    parents.sort_unstable();
    dependencies.sort_unstable();
    let mut canonical = String::with_capacity(256);
    canonical.push_str("{\"upgrade\":");
    write_ops(&mut canonical, &revision.upgrade);
    canonical.push_str(",\"transactional\":");
    canonical.push_str(if revision.transactional { "true" } else { "false" });
    for (key, ids) in [("down_revision", parents), ("depends_on", dependencies)] {
        canonical.push_str(",\"");
        canonical.push_str(key);
        canonical.push_str("\":[");
        for (i, id) in ids.into_iter().enumerate() {
            if i > 0 {
                canonical.push(',');
            }
            write_string(&mut canonical, id);
        }
        canonical.push(']');
    }
    canonical.push('}');
    hex(&Sha256::digest(canonical.as_bytes()))
}

/// SHA-256 (hex) of `ops` alone, in the canonical form [`checksum`] writes them: what a
/// revision that runs in segments records of the ops that took effect, so that a later run
/// resumes after them only while they read as they ran.
pub(crate) fn ops_checksum(ops: &[Op]) -> String {
    let mut canonical = String::with_capacity(128);
    write_ops(&mut canonical, ops);
    hex(&Sha256::digest(canonical.as_bytes()))
}

fn write_ops(out: &mut String, ops: &[Op]) {
    match toml::Value::try_from(ops) {
        Ok(ops) => write_canonical(out, &ops),
        Err(err) => unreachable!("ops always serialize: {err}"),
    }
}

/// Whether `recorded`, a checksum from the history table, matches `revision` as its file
/// reads now.
pub(crate) fn matches(recorded: &str, revision: &Revision) -> bool {
    recorded == checksum(revision) || matches_earlier(recorded, &revision.upgrade, revision.transactional)
}

/// The checksum versions up to this one recorded: SHA-256 of the JSON of the upgrade ops and
/// the transaction flag, computed on the file as checked out then, whose line endings may
/// have been either.
fn matches_earlier(recorded: &str, upgrade: &[Op], transactional: bool) -> bool {
    let earlier = |ops: &[Op]| {
        let json = serde_json::to_vec(&(ops, transactional)).expect("ops always serialize to JSON");
        hex(&Sha256::digest(&json))
    };
    if recorded == earlier(upgrade) {
        return true;
    }
    let Ok(tree) = toml::Value::try_from(upgrade) else { return false };
    [|text: &str| text.replace("\r\n", "\n"), |text: &str| text.replace("\r\n", "\n").replace('\n', "\r\n")]
        .into_iter()
        .filter_map(|line_endings| Vec::<Op>::deserialize(map_strings(tree.clone(), &line_endings)).ok())
        .any(|ops| recorded == earlier(&ops))
}

fn map_strings(value: toml::Value, map: &impl Fn(&str) -> String) -> toml::Value {
    match value {
        toml::Value::String(text) => toml::Value::String(map(&text)),
        toml::Value::Array(items) => toml::Value::Array(items.into_iter().map(|v| map_strings(v, map)).collect()),
        toml::Value::Table(fields) => {
            toml::Value::Table(fields.into_iter().map(|(k, v)| (k, map_strings(v, map))).collect())
        }
        scalar => scalar,
    }
}

/// Writes `value` as compact JSON-like text: fields in the order the types declare them,
/// strings with LF line endings, floats in Rust's shortest exact spelling (`NaN`, `inf`
/// and `-inf` as such, outside quotes, so they differ from each other and from strings).
fn write_canonical(out: &mut String, value: &toml::Value) {
    match value {
        toml::Value::String(text) => write_string(out, &text.replace("\r\n", "\n")),
        toml::Value::Integer(number) => out.push_str(&number.to_string()),
        toml::Value::Float(number) => out.push_str(&format!("{number:?}")),
        toml::Value::Boolean(flag) => out.push_str(if *flag { "true" } else { "false" }),
        toml::Value::Datetime(moment) => {
            out.push_str("datetime:");
            write_string(out, &moment.to_string());
        }
        toml::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        toml::Value::Table(fields) => {
            out.push('{');
            for (i, (key, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_canonical(out, value);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, text: &str) {
    out.push_str(&serde_json::Value::String(text.to_owned()).to_string());
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn revision(text: &str) -> Revision {
        Revision::parse(text, Path::new("a1_r.toml")).expect("a valid revision")
    }

    const BASE: &str = "revision = \"a1\"\ndown_revision = [\"p1\", \"p2\"]\nmessage = \"m\"\n\n\
                        [[upgrade]]\nop = \"sql\"\nsql = \"\"\"\nSELECT 1;\nSELECT 2;\n\"\"\"\n\n\
                        [[upgrade]]\nop = \"add_column\"\ntable = \"t\"\n\
                        column = { name = \"f\", type = \"double\", default = { value = 1.5 } }\n\n\
                        [[downgrade]]\nop = \"drop_column\"\ntable = \"t\"\ncolumn = \"f\"\n";

    #[test]
    fn checksum_ignores_formatting_and_sees_changes() {
        let a = revision("revision = \"a1\"\n[[upgrade]]\nop = \"drop_table\"\ntable = \"users\"\n");
        let b = revision("revision = 'a1'\r\n# a comment\r\n[[upgrade]]\r\ntable   =   'users'\r\nop='drop_table'\r\n");
        let c = revision("revision = \"a1\"\n[[upgrade]]\nop = \"drop_table\"\ntable = \"posts\"\n");
        let d =
            revision("revision = \"a1\"\ntransactional = false\n[[upgrade]]\nop = \"drop_table\"\ntable = \"users\"\n");
        assert_eq!(checksum(&a), checksum(&b));
        assert_ne!(checksum(&a), checksum(&c));
        assert_ne!(checksum(&a), checksum(&d));
    }

    /// Each edit either changes the checksum (it changes what runs or where the revision
    /// sits) or does not (it changes only what the reader sees, or the downgrade).
    #[test]
    fn what_a_checksum_covers() {
        let base = checksum(&revision(BASE));
        for (edit, from, to, changes) in [
            ("CRLF line endings", "\n", "\r\n", false),
            ("message", "message = \"m\"", "message = \"other\"", false),
            ("comment", "[[downgrade]]", "# reviewed\n[[downgrade]]", false),
            ("parents' order", "[\"p1\", \"p2\"]", "[\"p2\", \"p1\"]", false),
            ("downgrade", "column = \"f\"\n", "column = \"g\"\n", false),
            ("created", "message = \"m\"", "message = \"m\"\ncreated = \"2026-01-01T00:00:00Z\"", false),
            ("an upgrade op", "SELECT 2", "SELECT 3", true),
            ("a parent", "\"p2\"]", "\"p3\"]", true),
            ("a dependency", "message = \"m\"", "message = \"m\"\ndepends_on = \"d1\"", true),
            ("the transaction", "message = \"m\"", "message = \"m\"\ntransactional = false", true),
            ("a float", "1.5", "2.5", true),
        ] {
            let edited = checksum(&revision(&BASE.replace(from, to)));
            assert_eq!(edited != base, changes, "{edit}");
        }
    }

    /// A field added to the file format later is left out of the checksum while it is unset,
    /// so files written before it keep their checksums: here an identity column and a column
    /// change without `identity_always`, in the canonical form earlier versions hashed.
    #[test]
    fn fields_added_later_leave_earlier_checksums_alone() {
        let text = "revision = \"a1\"\n[[upgrade]]\nop = \"add_column\"\ntable = \"t\"\n\
                    column = { name = \"id\", type = \"bigint\", nullable = false, identity = true }\n\
                    [[upgrade]]\nop = \"alter_column\"\ntable = \"t\"\ncolumn = \"c\"\nnullable = true\n";
        let canonical = "{\"upgrade\":[{\"op\":\"add_column\",\"table\":\"t\",\"column\":{\"name\":\"id\",\
                         \"type\":\"bigint\",\"nullable\":false,\"identity\":true}},{\"op\":\"alter_column\",\
                         \"table\":\"t\",\"column\":\"c\",\"nullable\":true}],\"transactional\":true,\
                         \"down_revision\":[],\"depends_on\":[]}";
        assert_eq!(checksum(&revision(text)), hex(&Sha256::digest(canonical.as_bytes())));
        let always = text.replace("identity = true }", "identity = true, identity_always = true }");
        assert_ne!(checksum(&revision(&always)), checksum(&revision(text)));
    }

    /// The checksum of ops alone is that of their canonical form, as the revision's checksum
    /// writes them: formatting and line endings do not count, their content and order do.
    #[test]
    fn ops_checksums_cover_the_ops_in_canonical_form() {
        let ops = &revision(BASE).upgrade;
        let canonical = "[{\"op\":\"sql\",\"sql\":\"SELECT 1;\\nSELECT 2;\\n\"}]";
        assert_eq!(ops_checksum(&ops[..1]), hex(&Sha256::digest(canonical.as_bytes())));
        assert_eq!(ops_checksum(ops), ops_checksum(&revision(&BASE.replace('\n', "\r\n")).upgrade));
        assert_ne!(ops_checksum(ops), ops_checksum(&revision(&BASE.replace("1.5", "2.5")).upgrade));
        assert_ne!(ops_checksum(&ops[..1]), ops_checksum(ops));
        let swapped: Vec<Op> = ops.iter().rev().cloned().collect();
        assert_ne!(ops_checksum(&swapped), ops_checksum(ops));
    }

    #[test]
    fn nan_and_the_infinities_have_checksums_of_their_own() {
        let sums: std::collections::BTreeSet<String> = ["nan", "inf", "-inf", "1.0", "\"nan\""]
            .into_iter()
            .map(|value| checksum(&revision(&BASE.replace("1.5", value))))
            .collect();
        assert_eq!(sums.len(), 5);
    }

    /// What earlier versions recorded (the JSON of the upgrade ops, on an LF or a CRLF
    /// checkout) still matches, and an edited op still does not.
    #[test]
    fn checksums_recorded_by_earlier_versions_still_match() {
        let lf = revision(BASE);
        let crlf = revision(&BASE.replace('\n', "\r\n"));
        let earlier =
            |r: &Revision| hex(&Sha256::digest(serde_json::to_vec(&(&r.upgrade, r.transactional)).expect("json")));
        for (recorded, now) in [(&lf, &lf), (&lf, &crlf), (&crlf, &lf), (&crlf, &crlf)] {
            assert!(matches(&earlier(recorded), now));
        }
        let edited = revision(&BASE.replace("SELECT 2", "SELECT 3"));
        assert!(!matches(&earlier(&lf), &edited));
        assert!(!matches(&checksum(&lf), &edited));
        assert!(matches(&checksum(&crlf), &lf));
    }
}
