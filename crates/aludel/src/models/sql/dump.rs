//! What a database's own dump holds besides the statements the schema model reads
//! (`pg_dump --schema-only`, `mysqldump --no-data`, `sqlite3 .schema`), recognised by their
//! first words before `sqlparser` sees them (it cannot read several of them):
//!
//! - ignored, as they set up a session or name owners and rights: `SET`, `RESET`, `GRANT`,
//!   `REVOKE`, `ALTER DEFAULT PRIVILEGES`, `ALTER ... OWNER TO`, `DROP ... IF EXISTS`,
//!   `COMMENT ON EXTENSION | SCHEMA`, and what the backend's hooks name
//!   (`SELECT pg_catalog.set_config(...)`, `LOCK TABLES`, SQLite's own tables);
//! - modelled, in the forms `pg_dump` writes them: `ALTER TABLE t ALTER COLUMN c ADD
//!   GENERATED ... AS IDENTITY (SEQUENCE NAME ... )` with the default sequence options, and a
//!   `serial` column as `CREATE SEQUENCE` + `ALTER SEQUENCE ... OWNED BY t.c` + a default of
//!   that sequence's next value;
//! - carried as written ([`VerbatimObject`]): every other object (views, materialized views,
//!   functions, procedures, aggregates, triggers, domains, other types, sequences no column
//!   owns, extensions, policies, rules, partitioned tables and partitions, tables of other
//!   schemas, ...) and every statement on one of them (its indexes, comments, `ALTER`s). A
//!   later definition of the same object replaces an earlier one at its own place (mysqldump
//!   writes a placeholder for each view before the real one).

use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::dialect::schema_sql::DroppedObject;
use crate::models::ModelError;
use crate::models::VerbatimObject;
use crate::models::sql::statements::SourceStatement;
use crate::models::sql::{Builder, Here};

/// What to do with a statement once its first words are known.
pub(super) enum Reading {
    /// Nothing: it sets up a session, or was read here already.
    Done,
    /// `sqlparser` reads it for the schema model.
    Parse,
}

/// Object kinds after `CREATE` that the schema model does not hold, by their first word.
const CARRIED: &[&str] = &[
    "VIEW",
    "MATERIALIZED",
    "FUNCTION",
    "PROCEDURE",
    "AGGREGATE",
    "TRIGGER",
    "DOMAIN",
    "SEQUENCE",
    "EXTENSION",
    "POLICY",
    "RULE",
    "SCHEMA",
    "OPERATOR",
    "CAST",
    "COLLATION",
    "TEXT",
    "EVENT",
    "STATISTICS",
    "PUBLICATION",
    "SUBSCRIPTION",
    "SERVER",
    "FOREIGN",
    "CONVERSION",
    "LANGUAGE",
    "TRANSFORM",
    "ACCESS",
];

/// The words of a statement that are not whitespace, with their index among all its tokens.
struct Words<'s> {
    tokens: &'s [TokenWithSpan],
    words: Vec<(usize, &'s Token)>,
}

impl<'s> Words<'s> {
    fn new(statement: &'s SourceStatement) -> Self {
        let words = statement
            .tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
            .map(|(i, t)| (i, &t.token))
            .collect();
        Words { tokens: &statement.tokens, words }
    }

    fn len(&self) -> usize {
        self.words.len()
    }

    /// The word at `i`, upper case when it is an unquoted word; empty past the end.
    fn upper(&self, i: usize) -> String {
        match self.words.get(i) {
            Some((_, Token::Word(word))) if word.quote_style.is_none() => word.value.to_ascii_uppercase(),
            Some((_, other)) => other.to_string(),
            None => String::new(),
        }
    }

    fn is(&self, i: usize, keyword: &str) -> bool {
        self.upper(i) == keyword
    }

    /// The first `i` at or after `from` where `keyword` is.
    fn find(&self, from: usize, keyword: &str) -> Option<usize> {
        (from..self.len()).find(|&i| self.is(i, keyword))
    }

    /// The source text of words `first..=last`, whitespace between them kept.
    fn written(&self, first: usize, last: usize) -> String {
        let (Some((start, _)), Some((end, _))) = (self.words.get(first), self.words.get(last)) else {
            return String::new();
        };
        self.tokens[*start..=*end].iter().map(|t| t.token.to_string()).collect()
    }

    /// The index after a parenthesised group starting at `open`, when one does.
    fn group_end(&self, open: usize) -> Option<usize> {
        if self.words.get(open).map(|(_, t)| *t) != Some(&Token::LParen) {
            return None;
        }
        let mut depth = 0usize;
        for i in open..self.len() {
            match self.words[i].1 {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

/// A dotted name read from a statement's words.
struct NameAt {
    /// Its parts as the database stores them.
    parts: Vec<String>,
    /// As written.
    written: String,
    /// The index of the word after it.
    end: usize,
}

impl Builder<'_> {
    /// Reads what a dump holds beyond the schema model's statements; [`Reading::Parse`] for
    /// the rest.
    pub(super) fn dump_statement(&mut self, statement: &SourceStatement, here: &Here) -> Result<Reading, ModelError> {
        let words = Words::new(statement);
        let head: Vec<String> = (0..words.len().min(16)).map(|i| words.upper(i)).collect();
        let head: Vec<&str> = head.iter().map(String::as_str).collect();
        let ignored = match head.as_slice() {
            [] | ["SET" | "RESET" | "GRANT" | "REVOKE", ..] => true,
            ["ALTER", "DEFAULT", "PRIVILEGES", ..] | ["COMMENT", "ON", "EXTENSION" | "SCHEMA", ..] => true,
            ["DROP", rest @ ..] => rest.windows(2).take(4).any(|pair| pair == ["IF", "EXISTS"]),
            ["ALTER", ..] => owner_to(&words),
            _ => false,
        };
        if ignored || self.hooks.session_statement(&head) {
            return Ok(Reading::Done);
        }
        match head.as_slice() {
            ["CREATE", ..] => self.create(&words, statement, here),
            ["ALTER", "TABLE", ..] => self.alter_table_of_dump(&words, statement, here),
            ["ALTER", "SEQUENCE", ..] => {
                let start = if words.is(2, "IF") { 4 } else { 2 };
                let Some(sequence) = self.name_at(&words, start) else { return Ok(Reading::Parse) };
                let key = self.key(&sequence.parts);
                if words.is(sequence.end, "OWNED") && words.is(sequence.end + 1, "BY") {
                    if let Some(column) = self.name_at(&words, sequence.end + 2)
                        && column.parts.len() >= 2
                    {
                        let (table, column) = column.parts.split_at(column.parts.len() - 1);
                        self.owned_sequences.push((key.clone(), self.key(table), column[0].clone()));
                    }
                    self.carry("sequence owner", &key, None, statement, here);
                } else {
                    self.carry("alter sequence", &key, None, statement, here);
                }
                Ok(Reading::Done)
            }
            ["ALTER", kind, ..] if *kind != "TYPE" => {
                let name = self.name_at(&words, 2).map(|n| self.key(&n.parts)).unwrap_or_default();
                self.carry(&format!("alter {}", kind.to_ascii_lowercase()), &name, None, statement, here);
                Ok(Reading::Done)
            }
            ["COMMENT", "ON", kind, ..] => {
                let Some(name) = self.name_at(&words, 3) else { return Ok(Reading::Parse) };
                let relation = match *kind {
                    "TABLE" => name.parts.clone(),
                    "COLUMN" => name.parts[..name.parts.len().saturating_sub(1)].to_vec(),
                    _ => Vec::new(),
                };
                let key = self.key(&name.parts);
                if relation.is_empty() || self.carried_relation(&relation) {
                    self.carry("comment", &key, None, statement, here);
                    return Ok(Reading::Done);
                }
                Ok(Reading::Parse)
            }
            _ => Ok(Reading::Parse),
        }
    }

    /// `CREATE ...`: a table, index or enum for the model, or an object to carry.
    fn create(&mut self, words: &Words<'_>, statement: &SourceStatement, here: &Here) -> Result<Reading, ModelError> {
        // The kind follows modifiers (`OR REPLACE`, `TEMP`, `UNIQUE`, MySQL's `DEFINER=...`).
        let Some(at) = (1..words.len().min(16)).find(|&i| {
            let word = words.upper(i);
            CARRIED.contains(&word.as_str()) || matches!(word.as_str(), "TABLE" | "INDEX" | "TYPE")
        }) else {
            return Ok(Reading::Parse);
        };
        let kind_word = words.upper(at);
        let mut start = at + 1;
        let mut kind = kind_word.to_ascii_lowercase();
        match kind_word.as_str() {
            "TABLE" => return self.create_table_of_dump(words, start, statement, here),
            "INDEX" => {
                let Some(on) = words.find(start, "ON") else { return Ok(Reading::Parse) };
                let only = words.is(on + 1, "ONLY");
                let Some(table) = self.name_at(words, on + 1 + usize::from(only)) else { return Ok(Reading::Parse) };
                if !only && !self.carried_relation(&table.parts) {
                    return Ok(Reading::Parse);
                }
                let name = self.name_at(words, start).map(|n| self.key(&n.parts)).unwrap_or_default();
                self.carry("index", &name, None, statement, here);
                return Ok(Reading::Done);
            }
            "TYPE" => {
                let name = self.name_at(words, start);
                if let Some(name) = &name
                    && words.is(name.end, "AS")
                    && words.is(name.end + 1, "ENUM")
                {
                    return Ok(Reading::Parse);
                }
            }
            // Kinds of more than one word.
            "MATERIALIZED" | "FOREIGN" | "ACCESS" | "OPERATOR" => {
                if matches!(words.upper(start).as_str(), "VIEW" | "TABLE" | "METHOD" | "CLASS" | "FAMILY") {
                    kind = format!("{kind} {}", words.upper(start).to_ascii_lowercase());
                    start += 1;
                }
                if words.is(start, "DATA") && words.is(start + 1, "WRAPPER") {
                    kind = "foreign data wrapper".into();
                    start += 2;
                }
            }
            "TEXT" => {
                kind = format!("text search {}", words.upper(start + 1).to_ascii_lowercase());
                start += 2;
            }
            "EVENT" if words.is(start, "TRIGGER") => {
                kind = "event trigger".into();
                start += 1;
            }
            _ => {}
        }
        if words.is(start, "IF") && words.is(start + 1, "NOT") {
            start += 3;
        }
        let name = self.name_at(words, start);
        let key = name.as_ref().map(|n| self.key(&n.parts)).unwrap_or_default();
        let written = name.as_ref().map(|n| n.written.clone()).unwrap_or_default();
        let after = name.as_ref().map_or(start, |n| n.end);
        let arguments = words.group_end(after).map(|end| words.written(after, end - 1));
        let on_table = match kind.as_str() {
            "trigger" | "policy" | "rule" => {
                let on = words.find(after, "ON");
                let on = if kind == "rule" { on.and_then(|on| words.find(on, "TO")) } else { on };
                on.and_then(|on| self.name_at(words, on + 1))
            }
            _ => None,
        };
        let table = on_table.as_ref().map(|n| n.written.clone());
        // A trigger, policy or rule is named within its table: `last_updated on actor`.
        let key = match &on_table {
            Some(on) => format!("{key} on {}", self.key(&on.parts)),
            None => key,
        };
        let object =
            DroppedObject { kind: &kind, name: &written, arguments: arguments.as_deref(), table: table.as_deref() };
        let undo = if written.is_empty() { None } else { self.hooks.drop_object(&object) };
        let creates = matches!(kind.as_str(), "view" | "materialized view" | "foreign table");
        self.carry_object(&kind, &key, undo, creates, statement, here);
        Ok(Reading::Done)
    }

    /// `CREATE TABLE`: for the model, unless it is SQLite's own, partitioned, a partition, an
    /// heir or in another schema.
    fn create_table_of_dump(
        &mut self,
        words: &Words<'_>,
        mut start: usize,
        statement: &SourceStatement,
        here: &Here,
    ) -> Result<Reading, ModelError> {
        if words.is(start, "IF") && words.is(start + 1, "NOT") {
            start += 3;
        }
        let Some(name) = self.name_at(words, start) else { return Ok(Reading::Parse) };
        let key = self.key(&name.parts);
        if self.hooks.internal_table(&key) {
            return Ok(Reading::Done);
        }
        let mut depth = 0usize;
        let mut special = key.contains('.') || self.partitions.contains(&key);
        for i in name.end..words.len() {
            match words.words[i].1 {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                _ if depth == 0 => {
                    special |= words.is(i, "INHERITS")
                        || (words.is(i, "PARTITION") && (words.is(i + 1, "OF") || words.is(i + 1, "BY")));
                }
                _ => {}
            }
        }
        if !special {
            return Ok(Reading::Parse);
        }
        let undo =
            self.hooks.drop_object(&DroppedObject { kind: "table", name: &name.written, arguments: None, table: None });
        self.carry_object("table", &key, undo, true, statement, here);
        Ok(Reading::Done)
    }

    /// `ALTER TABLE` in the forms a dump writes: on a carried table, changes the model has no
    /// place for, and `pg_dump`'s identity columns.
    fn alter_table_of_dump(
        &mut self,
        words: &Words<'_>,
        statement: &SourceStatement,
        here: &Here,
    ) -> Result<Reading, ModelError> {
        let mut start = 2;
        if words.is(start, "IF") && words.is(start + 1, "EXISTS") {
            start += 2;
        }
        if words.is(start, "ONLY") {
            start += 1;
        }
        let Some(name) = self.name_at(words, start) else { return Ok(Reading::Parse) };
        let key = self.key(&name.parts);
        let rest: Vec<String> = (name.end..words.len()).map(|i| words.upper(i)).collect();
        let has = |phrase: &[&str]| rest.windows(phrase.len()).any(|w| w == phrase);
        let unmodelled = has(&["ATTACH", "PARTITION"])
            || has(&["DETACH", "PARTITION"])
            || has(&["ROW", "LEVEL", "SECURITY"])
            || has(&["TRIGGER"])
            || has(&["CLUSTER", "ON"])
            || has(&["REPLICA", "IDENTITY"])
            || has(&["INHERIT"]);
        if self.carried_relation(&name.parts) || unmodelled {
            // A foreign key of a carried table is undone first, so the tables it references
            // can go.
            let add = (name.end..words.len()).find(|&i| words.is(i, "ADD") && words.is(i + 1, "CONSTRAINT"));
            let undo = add.filter(|_| has(&["FOREIGN", "KEY"])).and_then(|add| self.name_at(words, add + 2)).and_then(
                |constraint| {
                    self.hooks.drop_object(&DroppedObject {
                        kind: "foreign key",
                        name: &constraint.written,
                        arguments: None,
                        table: Some(&name.written),
                    })
                },
            );
            self.carry("alter table", &key, undo, statement, here);
            return Ok(Reading::Done);
        }
        // ALTER [COLUMN] c ADD GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY [(options)]
        let column_at = name.end + 1 + usize::from(words.is(name.end + 1, "COLUMN"));
        if !(words.is(name.end, "ALTER") && words.is(column_at + 1, "ADD") && words.is(column_at + 2, "GENERATED")) {
            return Ok(Reading::Parse);
        }
        let Some(column) = self.name_at(words, column_at) else { return Ok(Reading::Parse) };
        let identity_at = (column_at + 3..words.len().min(column_at + 8)).find(|&i| words.is(i, "IDENTITY"));
        let Some(identity_at) = identity_at else { return Ok(Reading::Parse) };
        if let Some(end) = words.group_end(identity_at + 1) {
            let options: Vec<String> = (identity_at + 2..end - 1).map(|i| words.upper(i)).collect();
            if let Some(unusual) = unusual_identity_options(&options) {
                return Err(self.unsupported(
                    here,
                    format!("the identity option(s) `{unusual}` of `{}.{}`", key, column.parts.join(".")),
                    "identity columns are modelled with the default sequence options; set them in a revision's \
                     `sql` op, and remove them from the file",
                ));
            } else if end != words.len() {
                return Ok(Reading::Parse);
            }
        }
        let table = self.table_mut(&key, here)?;
        let Some(target) = table.column_mut(&column.parts.concat()) else {
            let reason = format!("table `{key}` has no column `{}`", column.parts.concat());
            return Err(self.invalid(here, reason));
        };
        target.identity = true;
        target.identity_always = words.is(column_at + 3, "ALWAYS");
        target.nullable = false;
        target.default = None;
        Ok(Reading::Done)
    }

    /// A dotted name at word `start`.
    fn name_at(&self, words: &Words<'_>, start: usize) -> Option<NameAt> {
        let mut parts = Vec::new();
        let mut i = start;
        while let Some((_, Token::Word(word))) = words.words.get(i) {
            parts.push(self.ident(&sqlparser::ast::Ident {
                value: word.value.clone(),
                quote_style: word.quote_style,
                span: sqlparser::tokenizer::Span::empty(),
            }));
            i += 1;
            if words.words.get(i).map(|(_, t)| *t) != Some(&Token::Period) {
                break;
            }
            i += 1;
        }
        if parts.is_empty() {
            return None;
        }
        Some(NameAt { parts, written: words.written(start, i - 1), end: i })
    }

    /// A name's parts without the default schema, joined with dots.
    fn key(&self, parts: &[String]) -> String {
        let default_schema = self.hooks.default_schema();
        let skip = usize::from(parts.len() > 1 && Some(parts[0].as_str()) == default_schema);
        parts[skip..].join(".")
    }

    /// Whether a relation (table, view) of that name is carried as written.
    fn carried_relation(&self, parts: &[String]) -> bool {
        let key = self.key(parts);
        key.contains('.') || self.carried_relations.contains(&key)
    }

    /// Carries a statement on an object (its comment, index, `ALTER`), undone with it.
    fn carry(&mut self, kind: &str, name: &str, undo: Option<String>, statement: &SourceStatement, here: &Here) {
        let object = self.verbatim_object(kind, name, undo, statement, here);
        self.verbatim.push(object);
    }

    /// Carries an object of its own; a later definition of it replaces an earlier one.
    fn carry_object(
        &mut self,
        kind: &str,
        name: &str,
        undo: Option<String>,
        creates: bool,
        statement: &SourceStatement,
        here: &Here,
    ) {
        // The same object is the same kind, name and table (triggers of one name on two
        // tables are two objects), which the statement undoing it says.
        if !name.is_empty() {
            self.verbatim.retain(|o| !(o.is_object && o.kind == kind && o.name == name && o.undo == undo));
        }
        if creates || kind == "table" {
            self.carried_relations.insert(name.to_owned());
        }
        let object = VerbatimObject {
            is_object: true,
            creates_table: kind == "table",
            ..self.verbatim_object(kind, name, undo, statement, here)
        };
        self.verbatim.push(object);
    }

    fn verbatim_object(
        &self,
        kind: &str,
        name: &str,
        undo: Option<String>,
        statement: &SourceStatement,
        here: &Here,
    ) -> VerbatimObject {
        VerbatimObject {
            kind: kind.to_owned(),
            name: name.to_owned(),
            sql: self.hooks.verbatim_sql(kind, &statement.sql),
            undo,
            is_object: false,
            creates_table: false,
            line: here.line,
            position: here.position,
        }
    }

    /// Notes the tables that a later `ALTER TABLE ... ATTACH PARTITION` makes partitions (as
    /// `pg_dump` declares them): they are carried with their partitioned table.
    pub(super) fn find_partitions(&mut self, statements: &[SourceStatement]) {
        for statement in statements {
            let words = Words::new(statement);
            if !(words.is(0, "ALTER") && words.is(1, "TABLE")) {
                continue;
            }
            let Some(attach) = (2..words.len()).find(|&i| words.is(i, "ATTACH") && words.is(i + 1, "PARTITION")) else {
                continue;
            };
            if let Some(partition) = self.name_at(&words, attach + 2) {
                let key = self.key(&partition.parts);
                self.partitions.insert(key);
            }
        }
    }

    /// Turns each sequence a column owns and draws its default from into that column's
    /// identity (a `serial` column, as `pg_dump` writes it).
    pub(super) fn resolve_owned_sequences(&mut self) {
        for (sequence, table, column) in std::mem::take(&mut self.owned_sequences) {
            let Some(target) = self.schema.tables.get_mut(&table).and_then(|t| t.column_mut(&column)) else { continue };
            let draws = match &target.default {
                Some(crate::schema::DefaultValue::Sql(sql)) => {
                    self.hooks.sequence_of_default(sql).is_some_and(|s| s == sequence)
                }
                _ => false,
            };
            if draws {
                target.identity = true;
                target.serial = true;
                target.nullable = false;
                target.default = None;
                self.verbatim
                    .retain(|o| !(matches!(o.kind.as_str(), "sequence" | "sequence owner") && o.name == sequence));
            }
        }
    }
}

/// Whether an `ALTER ...` statement only changes the owner.
fn owner_to(words: &Words<'_>) -> bool {
    let n = words.len();
    n >= 3 && words.is(n - 3, "OWNER") && words.is(n - 2, "TO")
}

/// The options of `pg_dump`'s identity clause that differ from a new identity's, as written;
/// `None` when there are none. The sequence's name is not an option the model holds.
fn unusual_identity_options(options: &[String]) -> Option<String> {
    let mut rest = Vec::new();
    let mut i = 0;
    while i < options.len() {
        match options[i].as_str() {
            "SEQUENCE" if options.get(i + 1).map(String::as_str) == Some("NAME") => {
                i += 3;
                while options.get(i).map(String::as_str) == Some(".") {
                    i += 2;
                }
                continue;
            }
            "AS" => {
                i += 2;
                continue;
            }
            _ => rest.push(options[i].clone()),
        }
        i += 1;
    }
    let text = format!(" {} ", rest.join(" "));
    let defaults = [
        " START WITH 1 ",
        " START 1 ",
        " INCREMENT BY 1 ",
        " INCREMENT 1 ",
        " NO MINVALUE ",
        " NO MAXVALUE ",
        " MINVALUE 1 ",
        " MAXVALUE 32767 ",
        " MAXVALUE 2147483647 ",
        " MAXVALUE 9223372036854775807 ",
        " CACHE 1 ",
        " NO CYCLE ",
    ];
    let mut left = text;
    for default in defaults {
        left = left.replacen(default, " ", 1);
    }
    let left = left.trim();
    (!left.is_empty()).then(|| left.to_owned())
}
