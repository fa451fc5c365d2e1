//! How one op evolves a [`Schema`], as running it on a database would: what the runtime
//! uses to know a table's whole definition where a dialect must rebuild it (SQLite), and
//! what the diff and the tests use to build the state a chain of ops leads to.

use crate::ops::Op;
use crate::schema::{Constraint, EnumType, IndexKey, ReferentialAction, Schema, SchemaError, Table};

impl Schema {
    fn table_mut(&mut self, name: &str) -> Result<&mut Table, SchemaError> {
        self.tables.get_mut(name).ok_or_else(|| SchemaError::UnknownTable { table: name.to_owned() })
    }

    /// Evolves the schema by one op, as running it on a database would.
    ///
    /// Raw SQL ops cannot be followed and leave the schema unchanged.
    ///
    /// # Errors
    ///
    /// Returns [`SchemaError`] when the op names something that does not exist or creates
    /// something that already does.
    pub fn apply(&mut self, op: &Op) -> Result<(), SchemaError> {
        self.apply_quoting(op, '"')
    }

    /// [`Schema::apply`], a renamed column that an expression must quote quoted with `quote`
    /// (see [`rename_identifier`]).
    ///
    /// # Errors
    ///
    /// As [`Schema::apply`].
    pub fn apply_quoting(&mut self, op: &Op, quote: char) -> Result<(), SchemaError> {
        match op {
            Op::CreateTable(table) => {
                if self.tables.contains_key(&table.name) {
                    return Err(SchemaError::AlreadyExists { what: "table", name: table.name.clone() });
                }
                self.tables.insert(table.name.clone(), table.clone());
            }
            Op::DropTable { table, .. } => {
                self.tables.remove(table).ok_or_else(|| SchemaError::UnknownTable { table: table.clone() })?;
                self.indexes.retain(|_, index| &index.table != table);
            }
            Op::RenameTable { table, new_name } => {
                if self.tables.contains_key(new_name) {
                    return Err(SchemaError::AlreadyExists { what: "table", name: new_name.clone() });
                }
                let mut moved =
                    self.tables.remove(table).ok_or_else(|| SchemaError::UnknownTable { table: table.clone() })?;
                moved.name = new_name.clone();
                self.tables.insert(new_name.clone(), moved);
                for index in self.indexes.values_mut().filter(|i| &i.table == table) {
                    index.table = new_name.clone();
                }
                for other in self.tables.values_mut() {
                    for constraint in &mut other.constraints {
                        if let Constraint::ForeignKey { references, .. } = constraint
                            && &references.table == table
                        {
                            references.table = new_name.clone();
                        }
                    }
                }
            }
            Op::AddColumn { table, column } => {
                let target = self.table_mut(table)?;
                if target.column(&column.name).is_some() {
                    return Err(SchemaError::AlreadyExists {
                        what: "column",
                        name: format!("{table}.{}", column.name),
                    });
                }
                target.columns.push(column.clone());
            }
            Op::DropColumn { table, column } => {
                let name = column.name();
                let target = self.table_mut(table)?;
                // A check of the column alone goes with it, as on every backend (SQLite's
                // renderer rebuilds the table for it); one reading other columns too stays.
                let goes: Vec<bool> = target
                    .constraints
                    .iter()
                    .map(|c| match c {
                        Constraint::Check { expr, .. } => target.columns_read(expr) == [name],
                        _ => c.columns().iter().any(|col| col == name),
                    })
                    .collect();
                let before = target.columns.len();
                target.columns.retain(|c| c.name != name);
                if target.columns.len() == before {
                    return Err(SchemaError::UnknownColumn { table: table.clone(), column: name.to_owned() });
                }
                target.primary_key.retain(|c| c != name);
                let mut goes = goes.into_iter();
                target.constraints.retain(|_| !goes.next().expect("one flag per constraint"));
                self.indexes.retain(|_, index| {
                    !(&index.table == table
                        && (index.columns.iter().any(|k| matches!(k, IndexKey::Column(c) if c == name))
                            || index.include.iter().any(|c| c == name)))
                });
            }
            Op::AlterColumn(change) => {
                let target = self.table_mut(&change.table)?;
                let column = target.column_mut(&change.column).ok_or_else(|| SchemaError::UnknownColumn {
                    table: change.table.clone(),
                    column: change.column.clone(),
                })?;
                change.apply_to(column);
                if let Some(new_name) = &change.new_name {
                    let old = change.column.clone();
                    let rename = |c: &mut String| {
                        if *c == old {
                            *c = new_name.clone();
                        }
                    };
                    // Databases rewrite the references in expressions too (PostgreSQL stores
                    // them parsed; SQLite edits the stored text).
                    let rewrite = |expr: &mut String| *expr = rename_quoting(expr, &old, new_name, quote);
                    target.primary_key.iter_mut().for_each(rename);
                    for constraint in &mut target.constraints {
                        match constraint {
                            Constraint::PrimaryKey { columns, .. }
                            | Constraint::Unique { columns, .. }
                            | Constraint::ForeignKey { columns, .. } => columns.iter_mut().for_each(rename),
                            Constraint::Check { expr, .. } => rewrite(expr),
                        }
                    }
                    for column in &mut target.columns {
                        if let Some(generated) = &mut column.generated {
                            rewrite(&mut generated.expr);
                        }
                    }
                    for index in self.indexes.values_mut().filter(|i| i.table == change.table) {
                        for key in &mut index.columns {
                            match key {
                                IndexKey::Column(c) => rename(c),
                                IndexKey::Expr { expr } => match crate::dialect::common::prefix_key(expr) {
                                    // MySQL's prefix key: a column and a length, not a call.
                                    Some((column, length)) if column == old => {
                                        let plain = new_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                                        let name = if plain {
                                            new_name.clone()
                                        } else {
                                            format!("`{}`", new_name.replace('`', "``"))
                                        };
                                        *expr = format!("{name}({length})");
                                    }
                                    _ => rewrite(expr),
                                },
                            }
                        }
                        index.include.iter_mut().for_each(rename);
                        if let Some(predicate) = &mut index.predicate {
                            rewrite(predicate);
                        }
                    }
                    let table_name = change.table.clone();
                    for other in self.tables.values_mut() {
                        for constraint in &mut other.constraints {
                            if let Constraint::ForeignKey { references, .. } = constraint
                                && references.table == table_name
                            {
                                references.columns.iter_mut().for_each(rename);
                            }
                        }
                    }
                }
            }
            Op::CreateIndex(create) => {
                let index = create.index();
                if self.indexes.contains_key(&index.name) {
                    return Err(SchemaError::AlreadyExists { what: "index", name: index.name.clone() });
                }
                self.table_mut(&index.table)?;
                self.indexes.insert(index.name.clone(), index);
            }
            Op::DropIndex { name, .. } => {
                self.indexes.remove(name).ok_or_else(|| SchemaError::Unknown { what: "index", name: name.clone() })?;
            }
            Op::RenameIndex { table, name, new_name } => {
                if self.indexes.contains_key(new_name) {
                    return Err(SchemaError::AlreadyExists { what: "index", name: new_name.clone() });
                }
                let known = self.indexes.get(name).filter(|index| index.table == *table);
                let mut index =
                    known.cloned().ok_or_else(|| SchemaError::Unknown { what: "index", name: name.clone() })?;
                self.indexes.remove(name);
                index.name.clone_from(new_name);
                self.indexes.insert(new_name.clone(), index);
            }
            Op::RenameConstraint { table, name, new_name, existing } => {
                let target = self.table_mut(table)?;
                let taken = target.primary_key_name.as_deref() == Some(new_name.as_str())
                    || target.constraints.iter().any(|c| c.name() == Some(new_name.as_str()));
                if taken {
                    return Err(SchemaError::AlreadyExists { what: "constraint", name: format!("{table}.{new_name}") });
                }
                // A primary key an earlier revision declared without a name, which the
                // database named: the op's definition identifies it.
                let unnamed_key = target.primary_key_name.is_none()
                    && !target.primary_key.is_empty()
                    && matches!(existing, Some(Constraint::PrimaryKey { columns, .. }) if *columns == target.primary_key);
                if target.primary_key_name.as_deref() == Some(name.as_str()) || unnamed_key {
                    target.primary_key_name = Some(new_name.clone());
                } else if let Some(at) =
                    target.constraints.iter().position(|c| c.name() == Some(name.as_str())).or_else(
                        // A constraint an earlier revision declared without a name, which the
                        // database named: the op's definition identifies it.
                        || existing.as_ref().and_then(|existing| unnamed_match(target, existing)),
                    )
                {
                    target.constraints[at] = target.constraints[at].with_name(Some(new_name.clone()));
                } else {
                    return Err(SchemaError::Unknown { what: "constraint", name: format!("{table}.{name}") });
                }
            }
            Op::AddConstraint { table, constraint, .. } => {
                let target = self.table_mut(table)?;
                if let Constraint::PrimaryKey { name, columns } = constraint {
                    target.primary_key = columns.clone();
                    target.primary_key_name = name.clone();
                } else {
                    target.constraints.push(constraint.clone());
                }
            }
            Op::DropConstraint { table, name, existing, .. } => {
                let target = self.table_mut(table)?;
                let unnamed_key = target.primary_key_name.is_none()
                    && !target.primary_key.is_empty()
                    && matches!(existing, Some(Constraint::PrimaryKey { columns, .. }) if *columns == target.primary_key);
                if target.primary_key_name.as_deref() == Some(name.as_str()) || unnamed_key {
                    target.primary_key.clear();
                    target.primary_key_name = None;
                } else if let Some(at) = target.constraints.iter().position(|c| c.name() == Some(name.as_str())) {
                    target.constraints.remove(at);
                } else if let Some(at) = existing.as_ref().and_then(|existing| unnamed_match(target, existing)) {
                    // A constraint the database keeps without a name (SQLite): the op names
                    // it by convention and carries its definition, which identifies it.
                    target.constraints.remove(at);
                } else {
                    return Err(SchemaError::Unknown { what: "constraint", name: format!("{table}.{name}") });
                }
            }
            Op::CreateEnum { name, values } => {
                if self.enums.contains_key(name) {
                    return Err(SchemaError::AlreadyExists { what: "enum", name: name.clone() });
                }
                self.enums.insert(name.clone(), EnumType { name: name.clone(), values: values.clone() });
            }
            Op::DropEnum { name, .. } => {
                self.enums.remove(name).ok_or_else(|| SchemaError::Unknown { what: "enum", name: name.clone() })?;
            }
            Op::AddEnumValue { name, value, before, after } => {
                let target = self
                    .enums
                    .get_mut(name)
                    .ok_or_else(|| SchemaError::Unknown { what: "enum", name: name.clone() })?;
                let position = match (before, after) {
                    (Some(b), _) => target.values.iter().position(|v| v == b),
                    (None, Some(a)) => target.values.iter().position(|v| v == a).map(|p| p + 1),
                    (None, None) => None,
                };
                let at = position.unwrap_or(target.values.len());
                target.values.insert(at, value.clone());
            }
            Op::DropEnumValue { name, value, .. } => {
                let target = self
                    .enums
                    .get_mut(name)
                    .ok_or_else(|| SchemaError::Unknown { what: "enum", name: name.clone() })?;
                let at = target
                    .values
                    .iter()
                    .position(|v| v == value)
                    .ok_or_else(|| SchemaError::Unknown { what: "enum value", name: format!("{name}.{value}") })?;
                target.values.remove(at);
            }
            Op::AlterTable { table, comment } => {
                self.table_mut(table)?.comment.clone_from(&comment.to);
            }
            Op::Sql { .. } | Op::ValidateConstraint { .. } => {}
        }
        Ok(())
    }
}

/// `expr` with every reference to the column `old` spelled as `new`: bare identifiers match
/// case-insensitively, quoted ones (`"x"`, `` `x` ``, `[x]`) exactly; strings, comments and
/// function names are left alone. `new` is written bare when it is a plain lower-case name
/// that no backend reserves (`index`, `user` and `order` are not), quoted otherwise: as the reference it replaces was quoted, else as the expression quotes
/// other names, else in double quotes (see [`rename_quoting`] for MySQL's backticks).
pub fn rename_identifier(expr: &str, old: &str, new: &str) -> String {
    rename_quoting(expr, old, new, '"')
}

/// [`rename_identifier`] for a database that quotes names with `quote` (MySQL's `` ` ``,
/// where `"x"` is a string).
pub fn rename_quoting(expr: &str, old: &str, new: &str, quote: char) -> String {
    let plain = crate::dialect::common::keywords::is_bare_name;
    let quoted = |open: u8| match open {
        b'`' => format!("`{}`", new.replace('`', "``")),
        b'[' => format!("[{new}]"),
        _ => format!("\"{}\"", new.replace('"', "\"\"")),
    };
    let bare_spelled = if plain(new) {
        new.to_owned()
    } else if expr.contains('`') || quote == '`' {
        quoted(b'`')
    } else {
        quoted(b'"')
    };
    let bytes = expr.as_bytes();
    let mut out = String::with_capacity(expr.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b'\'' => {
                i = super::expr::string_end(bytes, i);
                out.push_str(&expr[start..i]);
            }
            b'-' | b'/' if super::expr::comment_end(expr, i).is_some() => {
                i = super::expr::comment_end(expr, i).unwrap_or(bytes.len());
                out.push_str(&expr[start..i]);
            }
            b'"' | b'`' | b'[' => {
                let name;
                (name, i) = super::expr::quoted_name(expr, i);
                if name != old {
                    out.push_str(&expr[start..i]);
                } else if plain(new) {
                    out.push_str(new);
                } else {
                    out.push_str(&quoted(c));
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$' || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                let word = &expr[start..i];
                let is_call = expr[i..].trim_start().starts_with('(');
                if !is_call && word.eq_ignore_ascii_case(old) && (plain(old) || word == old) {
                    out.push_str(&bare_spelled);
                } else {
                    out.push_str(word);
                }
            }
            c if c.is_ascii_digit() => {
                // A number (with its exponent or hex digits) is never a name.
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'_') {
                    i += 1;
                }
                out.push_str(&expr[start..i]);
            }
            _ => {
                let ch = expr[i..].chars().next().expect("inside the string");
                i += ch.len_utf8();
                out.push(ch);
            }
        }
    }
    out
}

impl Schema {
    /// Whether `table` holds the key or foreign key `existing` only without a name, and none
    /// by `name`: an earlier revision declared it unnamed, so `name` is what one database
    /// called it, which another database may not share. Ops that name such a constraint are
    /// rendered to find it by its definition.
    pub fn holds_unnamed(&self, table: &str, name: &str, existing: &Constraint) -> bool {
        let Some(known) = self.table(table) else { return false };
        if known.primary_key_name.as_deref() == Some(name) || known.constraints.iter().any(|c| c.name() == Some(name)) {
            return false;
        }
        match existing {
            Constraint::PrimaryKey { columns, .. } => {
                known.primary_key_name.is_none() && !known.primary_key.is_empty() && *columns == known.primary_key
            }
            Constraint::Unique { .. } | Constraint::ForeignKey { .. } => unnamed_match(known, existing).is_some(),
            Constraint::Check { .. } => false,
        }
    }

    /// [`Self::holds_unnamed`] for a check, which a database cannot find by its definition:
    /// an op that names it must use the name this database gave it.
    pub fn holds_unnamed_check(&self, table: &str, name: &str, existing: &Constraint) -> bool {
        let Some(known) = self.table(table) else { return false };
        matches!(existing, Constraint::Check { .. })
            && !known.constraints.iter().any(|c| c.name() == Some(name))
            && unnamed_match(known, existing).is_some()
    }
}

/// The position of the unnamed constraint of `table` that `existing` describes, names aside.
fn unnamed_match(table: &Table, existing: &Constraint) -> Option<usize> {
    let mut wanted = existing.clone();
    match &mut wanted {
        Constraint::PrimaryKey { name, .. }
        | Constraint::Unique { name, .. }
        | Constraint::ForeignKey { name, .. }
        | Constraint::Check { name, .. } => *name = None,
    }
    table.constraints.iter().position(|c| *c == wanted).or_else(|| match &wanted {
        // A database that keeps a check's text as written (SQLite) is read back in its own
        // spelling: the same check however it is spaced, cased or parenthesized.
        Constraint::Check { expr, .. } => {
            let key = expression_key(expr);
            table
                .constraints
                .iter()
                .position(|c| matches!(c, Constraint::Check { name: None, expr } if expression_key(expr) == key))
        }
        // A foreign key declared `ON DELETE NO ACTION` is read back without the default
        // action it states.
        Constraint::ForeignKey { .. } => {
            let wanted = without_default_actions(&wanted);
            table.constraints.iter().position(|c| without_default_actions(c) == wanted)
        }
        _ => None,
    })
}

/// `constraint` with a foreign key's `NO ACTION`, the default, left unstated.
fn without_default_actions(constraint: &Constraint) -> Constraint {
    let mut constraint = constraint.clone();
    if let Constraint::ForeignKey { on_delete, on_update, .. } = &mut constraint {
        for action in [on_delete, on_update] {
            if *action == Some(ReferentialAction::NoAction) {
                *action = None;
            }
        }
    }
    constraint
}

/// An expression with white space and identifier quotes dropped and ASCII letters in lower
/// case outside string literals, and without parentheses around the whole: a key under which
/// spellings of one expression compare equal.
fn expression_key(expr: &str) -> String {
    let mut key = String::with_capacity(expr.len());
    let mut in_string = false;
    for c in expr.chars() {
        match c {
            '\'' => {
                in_string = !in_string;
                key.push(c);
            }
            _ if in_string => key.push(c),
            '"' | '`' => {}
            c if c.is_whitespace() => {}
            c => key.push(c.to_ascii_lowercase()),
        }
    }
    while key.starts_with('(') && key.ends_with(')') && encloses_all(&key) {
        key = key[1..key.len() - 1].to_owned();
    }
    key
}

/// Whether the opening parenthesis of `key` closes at its end.
fn encloses_all(key: &str) -> bool {
    let mut depth = 0usize;
    for (i, c) in key.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i == key.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_keeps_its_key_however_it_is_spelled() {
        let key = expression_key("c0 IS NOT NULL");
        for spelled in ["c0 is not null", "(\"c0\" IS NOT NULL)", "((c0  is not\nnull))"] {
            assert_eq!(expression_key(spelled), key, "{spelled}");
        }
        assert_ne!(expression_key("x = 'A b'"), expression_key("x = 'a b'"), "strings keep their text");
        assert_eq!(expression_key("(a) + (b)"), "(a)+(b)");
    }

    /// The ops of `op = [...]`, a TOML array of inline tables.
    fn ops(text: &str) -> Vec<Op> {
        toml::from_str::<std::collections::BTreeMap<String, Vec<Op>>>(text)
            .expect("valid ops")
            .remove("op")
            .expect("ops")
    }

    #[test]
    fn included_columns_are_renamed_and_go_with_their_index() {
        let ops = ops(r#"
            op = [
                { op = "create_table", table = "t", columns = [{ name = "a", type = "integer" }, { name = "b", type = "integer" }] },
                { op = "create_index", table = "t", name = "ix_t_a", columns = ["a"], include = ["b"] },
                { op = "alter_column", table = "t", column = "b", new_name = "c" },
            ]
            "#);
        let mut schema = Schema::default();
        for op in &ops {
            schema.apply(op).expect("fits");
        }
        assert_eq!(schema.indexes["ix_t_a"].include, ["c"]);
        let drop: Op = toml::from_str(
            r#"op = "drop_column"
            table = "t"
            column = "c""#,
        )
        .expect("valid op");
        schema.apply(&drop).expect("fits");
        assert!(schema.indexes.is_empty(), "dropping an included column drops the index, as the databases do");
    }

    #[test]
    fn dropping_a_column_drops_the_checks_of_it_alone() {
        let ops = ops(r#"
            op = [
                { op = "create_table", table = "t", columns = [
                    { name = "price", type = "integer" }, { name = "discount", type = "integer" }, { name = "name", type = "text" },
                  ], constraints = [
                    { kind = "check", name = "t_price_check", expr = "(\"Price\" > 0) AND price IS NOT NULL" },
                    { kind = "check", name = "t_discount_check", expr = "discount <= price" },
                    { kind = "check", name = "t_name_check", expr = "name <> 'price'" },
                  ] },
                { op = "drop_column", table = "t", column = "price" },
            ]
            "#);
        let mut schema = Schema::default();
        for op in &ops {
            schema.apply(op).expect("fits");
        }
        let names: Vec<_> = schema.tables["t"].constraints.iter().filter_map(Constraint::name).collect();
        assert_eq!(names, ["t_discount_check", "t_name_check"], "a check reading other columns too stays");
    }

    #[test]
    fn a_prefix_key_follows_its_column_and_a_call_its_argument() {
        let ops = ops(r#"
            op = [
                { op = "create_table", table = "t", columns = [{ name = "name", type = "varchar(100)" }] },
                { op = "create_index", table = "t", name = "ix_prefix", columns = [{ expr = "name(10)" }] },
                { op = "create_index", table = "t", name = "ix_call", columns = [{ expr = "lower(name)" }] },
                { op = "alter_column", table = "t", column = "name", new_name = "Full Name" },
            ]
            "#);
        let mut schema = Schema::default();
        for op in &ops {
            schema.apply_quoting(op, '`').expect("fits");
        }
        let key = |index: &str| match &schema.indexes[index].columns[0] {
            IndexKey::Expr { expr } => expr.clone(),
            IndexKey::Column(column) => column.clone(),
        };
        assert_eq!(key("ix_prefix"), "`Full Name`(10)");
        assert_eq!(key("ix_call"), "lower(`Full Name`)");
    }

    #[test]
    fn renaming_a_column_rewrites_its_references_only() {
        for (expr, old, new, expected) in [
            ("length(title) > 0", "title", "headline", "length(headline) > 0"),
            (
                "\"title\" <> 'title' AND Title IS NOT NULL",
                "title",
                "headline",
                "headline <> 'title' AND headline IS NOT NULL",
            ),
            ("title_2 > 0 AND subtitle > 0 -- title", "title", "headline", "title_2 > 0 AND subtitle > 0 -- title"),
            ("title(x) = title", "title", "Head Line", "title(x) = \"Head Line\""),
            ("\"Code\" > 1 AND code > 2", "Code", "sku", "sku > 1 AND code > 2"),
            ("[a b] + `a b` + 1e5", "a b", "ab", "ab + ab + 1e5"),
            // A quoted name needing quotes keeps its quotes: on MySQL `"Quantity"` is a string.
            ("(`qty` > 0)", "qty", "Quantity", "(`Quantity` > 0)"),
            ("`id` > 0 AND qty > 0", "qty", "Quantity", "`id` > 0 AND `Quantity` > 0"),
            ("[qty] > 0", "qty", "Quantity", "[Quantity] > 0"),
            ("\"qty\" > 0", "qty", "Quantity", "\"Quantity\" > 0"),
        ] {
            assert_eq!(rename_identifier(expr, old, new), expected, "{expr}");
        }
        assert_eq!(rename_quoting("qty > 0", "qty", "Quantity", '`'), "`Quantity` > 0");
        assert_eq!(rename_quoting("qty > 0", "qty", "amount", '`'), "amount > 0");
        // A name some backend reserves is quoted: `index <> 7` is a syntax error on MySQL, and
        // `user` bare is PostgreSQL's current user.
        assert_eq!(rename_quoting("c8 <> 7", "c8", "index", '`'), "`index` <> 7");
        assert_eq!(rename_identifier("c8 <> 'x'", "c8", "user"), "\"user\" <> 'x'");
        assert_eq!(rename_identifier("\"c8\" > 0", "c8", "order"), "\"order\" > 0");
    }
}
