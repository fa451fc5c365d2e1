//! DDL that the PostgreSQL and SQLite renderers spell alike: checked names, column lists
//! and expressions, table constraints, literal defaults, index keys, the `sql` op and the
//! plain `ALTER TABLE` statements both backends have.
//!
//! A backend's renderer implements [`DdlSpelling`] with the few spellings that differ
//! (booleans, non-finite floats, raw SQL defaults, a limit on name length) and gets the rest
//! as provided methods. Statements only one backend writes (comments, enums, the SQLite
//! rebuild) and the order in which a backend checks an op's parts stay in its own `render`.

use std::borrow::Cow;
use std::fmt;

use crate::dialect::common::{quote_ident_ansi, quote_literal};
use crate::dialect::{RenderError, Statement};
use crate::ops::{ColumnChange, Op};
use crate::schema::{
    Column, Constraint, DefaultValue, IndexKey, KeyOptions, Literal, PortableExpr, ReferentialAction, Table,
    number_literal,
};

/// The longest name a backend keeps as written.
pub(crate) enum NameLimit {
    /// PostgreSQL's: names are cut to this many bytes.
    Bytes(usize),
    /// MySQL's: names over this many characters are refused.
    #[cfg(feature = "mysql")]
    Chars(usize),
}

/// Renders the parts of one op as a backend spells them; errors name the op.
pub(crate) trait DdlSpelling {
    /// The name `RenderError::Unsupported` reports.
    const DIALECT: &'static str;

    /// The longest name the backend keeps as written; `None` when it keeps any.
    const NAME_LIMIT: Option<NameLimit> = None;

    /// The backend as error messages name it (`PostgreSQL`).
    const BACKEND: &'static str;

    /// The op being rendered.
    fn op(&self) -> &Op;

    /// `true` or `false` as a default.
    fn bool_literal(&self, value: bool) -> &'static str;

    /// A NaN or infinite float as the default of `column`.
    fn non_finite_default(&self, column: &str, value: f64) -> Result<String, RenderError>;

    /// A raw SQL default, already checked to be non-empty, as `DEFAULT` takes it.
    fn sql_default(&self, expr: &str) -> String;

    /// `now()` as a default: `CURRENT_TIMESTAMP` on the backends that do not keep `now()`
    /// apart from it.
    fn now_default(&self) -> &'static str {
        "CURRENT_TIMESTAMP"
    }

    /// Quotes a name; the backends but MySQL use double quotes.
    fn quote(&self, name: &str) -> String {
        quote_ident_ansi(name)
    }

    /// Quotes a string literal; the backends but MySQL only double single quotes.
    fn literal(&self, text: &str) -> String {
        quote_literal(text)
    }

    /// The op is malformed.
    fn invalid(&self, reason: impl Into<String>) -> RenderError {
        RenderError::Invalid { op: self.op().describe(), reason: reason.into() }
    }

    /// The backend lacks what the op needs.
    fn unsupported(&self, hint: impl Into<String>) -> RenderError {
        RenderError::Unsupported { op: self.op().describe(), dialect: Self::DIALECT, hint: hint.into() }
    }

    /// Quotes a name after checking that the backend keeps it as written.
    fn ident(&self, what: &str, name: &str) -> Result<String, RenderError> {
        if name.is_empty() {
            return Err(self.invalid(format!("a {what} name is empty; give the {what} a name")));
        }
        if name.contains('\0') {
            return Err(self.invalid(format!(
                "the {what} name {name:?} holds a NUL character, which no database takes in a name; remove it"
            )));
        }
        let backend = Self::BACKEND;
        match Self::NAME_LIMIT {
            Some(NameLimit::Bytes(bytes)) if name.len() > bytes => Err(self.invalid(format!(
                "the {what} name `{name}` is {} bytes long, and {backend} truncates names to {bytes} bytes; shorten it",
                name.len()
            ))),
            #[cfg(feature = "mysql")]
            Some(NameLimit::Chars(chars)) if name.chars().count() > chars => Err(self.invalid(format!(
                "the {what} name `{name}` is {} characters long, and {backend} refuses names over {chars} \
                 characters; shorten it",
                name.chars().count()
            ))),
            _ => Ok(self.quote(name)),
        }
    }

    /// A parenthesised, non-empty list of quoted column names.
    fn column_list(&self, what: &str, columns: &[String]) -> Result<String, RenderError> {
        if columns.is_empty() {
            return Err(self.invalid(format!("the {what} lists no columns; name at least one")));
        }
        let quoted: Result<Vec<String>, RenderError> = columns.iter().map(|c| self.ident("column", c)).collect();
        Ok(format!("({})", quoted?.join(", ")))
    }

    /// What in an expression this backend cannot read as the backend that wrote it meant
    /// (PostgreSQL's `::` cast on MySQL, say), as the words of a refusal; `None` when nothing.
    fn unreadable_syntax(&self, expr: &str) -> Option<String> {
        let _ = expr;
        None
    }

    /// `expr`, written the standard way, as this backend reads the same meaning (MySQL's
    /// strings take backslash escapes, so their backslashes are doubled).
    fn backend_spelling<'e>(&self, expr: &'e str) -> Cow<'e, str> {
        Cow::Borrowed(expr)
    }

    /// An SQL expression written in the file, checked to be non-empty and readable here, as
    /// this backend reads it.
    fn expr<'e>(&self, what: &str, text: &'e str) -> Result<Cow<'e, str>, RenderError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(self.invalid(format!("the {what} is empty; write the SQL expression")));
        }
        if let Some(why) = self.unreadable_syntax(text) {
            return Err(self.unsupported(format!(
                "the {what} `{text}` {why}, in the models (then generate the revision again) or in this revision"
            )));
        }
        Ok(self.backend_spelling(text))
    }

    /// The default of `column`, as `DEFAULT` takes it.
    fn default_value(&self, column: &str, default: &DefaultValue) -> Result<String, RenderError> {
        Ok(match default {
            DefaultValue::Value(Literal::Bool(value)) => self.bool_literal(*value).to_owned(),
            DefaultValue::Value(Literal::Int(n)) => n.to_string(),
            DefaultValue::Value(Literal::Float(f)) if !f.is_finite() => return self.non_finite_default(column, *f),
            // Debug keeps the `.0` of whole numbers, so the value stays a float.
            DefaultValue::Value(Literal::Float(f)) => format!("{f:?}"),
            DefaultValue::Value(Literal::String(text)) => self.literal(text),
            DefaultValue::Expr(PortableExpr::CurrentTimestamp) => "CURRENT_TIMESTAMP".into(),
            DefaultValue::Expr(PortableExpr::CurrentDate) => "CURRENT_DATE".into(),
            DefaultValue::Expr(PortableExpr::CurrentTime) => "CURRENT_TIME".into(),
            DefaultValue::Expr(PortableExpr::Now) => self.now_default().into(),
            DefaultValue::Number(text) => self.number(column, text)?,
            DefaultValue::Sql(sql) => self.sql_default(&self.expr("default", sql)?),
        })
    }

    /// A number kept as written, checked to be one: it is SQL text the file holds.
    fn number(&self, column: &str, text: &str) -> Result<String, RenderError> {
        if number_literal(text).is_none() {
            return Err(self.invalid(format!(
                "the default of `{column}` is `{{ number = \"{text}\" }}`, which is not a number; write digits with \
                 an optional sign, point and exponent (`0.00`, `-1.5e3`)"
            )));
        }
        Ok(text.trim().to_owned())
    }

    /// A table constraint as `CREATE TABLE` and `ALTER TABLE ... ADD` spell it.
    fn constraint(&self, constraint: &Constraint) -> Result<String, RenderError> {
        let name = match constraint.name() {
            Some(name) => format!("CONSTRAINT {} ", self.ident("constraint", name)?),
            None => String::new(),
        };
        let body = match constraint {
            Constraint::PrimaryKey { columns, .. } => {
                format!("PRIMARY KEY {}", self.column_list("primary key", columns)?)
            }
            Constraint::Unique { columns, .. } => format!("UNIQUE {}", self.column_list("unique constraint", columns)?),
            Constraint::ForeignKey { columns, references, on_delete, on_update, .. } => {
                if columns.len() != references.columns.len() {
                    return Err(self.invalid(format!(
                        "the foreign key has {} column(s) but references {}; list the referenced columns of `{}` in \
                         the order of the referencing ones",
                        columns.len(),
                        references.columns.len(),
                        references.table
                    )));
                }
                let mut sql = format!(
                    "FOREIGN KEY {} REFERENCES {} {}",
                    self.column_list("foreign key", columns)?,
                    self.ident("table", &references.table)?,
                    self.column_list("foreign key's `references`", &references.columns)?
                );
                if let Some(action) = on_delete {
                    sql.push_str(&format!(" ON DELETE {}", referential_action(*action)));
                }
                if let Some(action) = on_update {
                    sql.push_str(&format!(" ON UPDATE {}", referential_action(*action)));
                }
                sql
            }
            Constraint::Check { expr, .. } => format!("CHECK ({})", self.expr("check expression", expr)?),
        };
        Ok(format!("{name}{body}"))
    }

    /// Checks that a table to create has columns.
    fn check_has_columns(&self, table: &Table) -> Result<(), RenderError> {
        if table.columns.is_empty() {
            return Err(self.invalid("the table has no columns; list at least one under `columns`"));
        }
        Ok(())
    }

    /// Checks that a table to create declares its primary key once, and names only a key
    /// it declares.
    fn check_primary_key(&self, table: &Table) -> Result<(), RenderError> {
        let constraint_key = table.constraints.iter().any(|c| matches!(c, Constraint::PrimaryKey { .. }));
        if !table.primary_key.is_empty() && constraint_key {
            return Err(self.invalid("the table has both `primary_key` and a primary key constraint; keep one of them"));
        }
        if table.primary_key.is_empty() && table.primary_key_name.is_some() {
            return Err(self.invalid("`primary_key_name` is set but `primary_key` lists no columns; add them"));
        }
        Ok(())
    }

    /// Checks that an `alter_column` changes something.
    fn check_column_change(&self, change: &ColumnChange) -> Result<(), RenderError> {
        let ColumnChange {
            table: _,
            column: _,
            ty,
            nullable,
            default,
            on_update,
            comment,
            collation,
            identity_always,
            new_name,
        } = change;
        if ty.is_none()
            && nullable.is_none()
            && default.is_none()
            && on_update.is_none()
            && comment.is_none()
            && collation.is_none()
            && identity_always.is_none()
            && new_name.is_none()
        {
            return Err(self.invalid(
                "nothing to change; set `type`, `nullable`, `default`, `on_update`, `comment`, `collation`, \
                 `identity_always` or `new_name`",
            ));
        }
        Ok(())
    }

    /// Checks that a column is at most one of identity, generated and defaulted.
    fn check_value_source(&self, column: &Column) -> Result<(), RenderError> {
        let name = &column.name;
        match (column.identity, &column.generated, &column.default) {
            (true, Some(_), _) => {
                return Err(self.invalid(format!("column `{name}` is both identity and generated; keep one")));
            }
            (true, None, Some(_)) => {
                return Err(self.invalid(format!(
                    "column `{name}` has both `identity` and a `default`; an identity column takes its values from \
                     its sequence, so remove `default`"
                )));
            }
            (false, Some(_), Some(_)) => {
                return Err(self.invalid(format!("column `{name}` is generated and has a `default`; remove `default`")));
            }
            _ => {}
        }
        if column.serial && !column.identity {
            return Err(self.invalid(format!(
                "column `{name}` has `serial = true` without `identity = true`; a serial column is an identity, so \
                 add `identity = true` or remove `serial`"
            )));
        }
        if column.identity_always && (!column.identity || column.serial) {
            return Err(self.invalid(format!(
                "column `{name}` has `identity_always = true` without an identity column (`identity = true` and no \
                 `serial`); `GENERATED ALWAYS` says how an identity column takes its values, so make the column an \
                 identity or remove `identity_always`"
            )));
        }
        Ok(())
    }

    /// ` COLLATE name`, or nothing for the backend's default collation.
    fn collate(&self, collation: Option<&str>) -> Result<String, RenderError> {
        Ok(match collation {
            Some(name) => format!(" COLLATE {}", self.ident("collation", name)?),
            None => String::new(),
        })
    }

    /// Refuses `on_update`, which only MySQL has.
    #[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))] // MySQL spells its own.
    fn refuse_on_update(&self, column: &str, on_update: bool) -> Result<(), RenderError> {
        if on_update {
            return Err(self.unsupported(format!(
                "column `{column}` has `on_update`, which only MySQL has; keep it to revisions for MySQL, or set the \
                 column in a trigger (an `sql` op for {})",
                Self::DIALECT
            )));
        }
        Ok(())
    }

    /// Checks that an index has keys, and options for each key or none.
    fn check_index_keys(&self, keys: &[IndexKey], options: &[KeyOptions]) -> Result<(), RenderError> {
        if keys.is_empty() {
            return Err(self.invalid("the index lists no columns; name at least one column or `{ expr = \"...\" }`"));
        }
        if !options.is_empty() && options.len() != keys.len() {
            return Err(self.invalid(format!(
                "`key_options` has {} entries for {} keys; give one per key, `{{}}` for a plain one",
                options.len(),
                keys.len()
            )));
        }
        Ok(())
    }

    /// What the backend's index keys take besides the order: (operator classes, `NULLS FIRST`
    /// / `NULLS LAST`). PostgreSQL takes both.
    fn key_option_support(&self) -> (bool, bool) {
        (true, true)
    }

    /// What follows the key `key` of an index: its operator class, `DESC`, its NULLs' place;
    /// an error for what the backend lacks.
    fn key_suffix(&self, key: &IndexKey, options: Option<&KeyOptions>) -> Result<String, RenderError> {
        let Some(options) = options else { return Ok(String::new()) };
        let (opclasses, nulls) = self.key_option_support();
        let named = match key {
            IndexKey::Column(column) => format!("`{column}`"),
            IndexKey::Expr { expr } => format!("`{expr}`"),
        };
        let mut suffix = String::new();
        if let Some(opclass) = &options.opclass {
            if !opclasses {
                return Err(self.unsupported(format!(
                    "index key {named} has operator class `{opclass}`, and {} has no operator classes; drop `opclass`",
                    Self::DIALECT
                )));
            }
            suffix.push(' ');
            suffix.push_str(&self.ident("operator class", opclass)?);
        }
        if options.desc {
            suffix.push_str(" DESC");
        }
        if let Some(first) = options.nulls_first {
            if !nulls {
                return Err(self.unsupported(format!(
                    "index key {named} sets where NULLs sort (`nulls_first`), which {} index keys do not take; drop \
                     `nulls_first`",
                    Self::DIALECT
                )));
            }
            suffix.push_str(if first { " NULLS FIRST" } else { " NULLS LAST" });
        }
        Ok(suffix)
    }

    /// An index's keys, parenthesised: quoted columns and parenthesised expressions, each with
    /// its options.
    #[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))] // MySQL spells its own.
    fn index_keys(&self, keys: &[IndexKey], options: &[KeyOptions]) -> Result<String, RenderError> {
        let keys: Result<Vec<String>, RenderError> = keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let base = match key {
                    IndexKey::Column(column) => self.ident("column", column)?,
                    IndexKey::Expr { expr } => format!("({})", self.expr("index expression", expr)?),
                };
                Ok(base + &self.key_suffix(key, options.get(i))?)
            })
            .collect();
        Ok(format!("({})", keys?.join(", ")))
    }

    /// A partial index's predicate, checked to be non-empty.
    #[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))] // MySQL spells its own.
    fn index_predicate<'e>(&self, predicate: Option<&'e str>) -> Result<Option<Cow<'e, str>>, RenderError> {
        predicate.map(|predicate| self.expr("`where` predicate", predicate)).transpose()
    }

    /// `DROP TABLE "t"`.
    fn drop_table(&self, table: &str) -> Result<Statement, RenderError> {
        Ok(Statement::new(format!("DROP TABLE {}", self.ident("table", table)?)))
    }

    /// `ALTER TABLE "t" RENAME TO "new"`.
    #[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))] // MySQL spells its own.
    fn rename_table(&self, table: &str, new_name: &str) -> Result<Statement, RenderError> {
        Ok(Statement::new(format!(
            "ALTER TABLE {} RENAME TO {}",
            self.ident("table", table)?,
            self.ident("table", new_name)?
        )))
    }

    /// `ALTER TABLE "t" DROP COLUMN "c"`.
    fn drop_column(&self, table: &str, column: &str) -> Result<Statement, RenderError> {
        Ok(Statement::new(format!(
            "ALTER TABLE {} DROP COLUMN {}",
            self.ident("table", table)?,
            self.ident("column", column)?
        )))
    }

    /// `ALTER TABLE "t" RENAME COLUMN "c" TO "new"`.
    fn rename_column(&self, table: &str, column: &str, new_name: &str) -> Result<Statement, RenderError> {
        Ok(Statement::new(format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {}",
            self.ident("table", table)?,
            self.ident("column", column)?,
            self.ident("column", new_name)?
        )))
    }

    /// An `sql` op: its statements one by one, as the database's own client sends them (cut
    /// on `;` outside strings, comments and routine bodies), or nothing when it names another
    /// dialect. Sent whole, PostgreSQL would run several in one implicit transaction, which
    /// `CREATE INDEX CONCURRENTLY` refuses, and a failure could not tell which ran.
    fn raw_sql(&self, sql: &str, dialect: Option<&str>) -> Result<Vec<Statement>, RenderError> {
        let ours = dialect.is_none_or(|d| crate::dialect::names_dialect(d, Self::DIALECT));
        if !ours {
            return Ok(Vec::new());
        }
        let text = sql.trim().trim_end_matches(';').trim_end();
        if text.is_empty() {
            return Err(self.invalid("`sql` is empty; write the statements to run"));
        }
        match crate::models::statement_texts(text, Self::DIALECT) {
            Some(Ok(statements)) if !statements.is_empty() => Ok(statements.into_iter().map(Statement::new).collect()),
            // Text the tokenizer cannot read (an unterminated string) goes whole: the database
            // says what is wrong with it; so does all of it in a build without the parser.
            _ => Ok(vec![Statement::new(text)]),
        }
    }
}

/// `ON DELETE` / `ON UPDATE` actions.
pub(crate) fn referential_action(action: ReferentialAction) -> &'static str {
    match action {
        ReferentialAction::NoAction => "NO ACTION",
        ReferentialAction::Restrict => "RESTRICT",
        ReferentialAction::Cascade => "CASCADE",
        ReferentialAction::SetNull => "SET NULL",
        ReferentialAction::SetDefault => "SET DEFAULT",
    }
}

/// `CREATE [UNIQUE] INDEX [CONCURRENTLY] "name" ON "t" [USING method] (keys) [WHERE ...]`,
/// from parts the backend has checked and quoted in its own order.
#[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))] // MySQL spells its own.
pub(crate) struct IndexSql<'a> {
    /// `UNIQUE`.
    pub(crate) unique: bool,
    /// `CONCURRENTLY` (PostgreSQL).
    pub(crate) concurrently: bool,
    /// The quoted index name.
    pub(crate) name: String,
    /// The quoted table name.
    pub(crate) table: String,
    /// The access method, a plain name (PostgreSQL).
    pub(crate) method: Option<String>,
    /// The keys as [`DdlSpelling::index_keys`] spells them.
    pub(crate) keys: String,
    /// The quoted columns of `INCLUDE` (PostgreSQL), none when empty.
    pub(crate) include: Vec<String>,
    /// The predicate of a partial index.
    pub(crate) predicate: Option<Cow<'a, str>>,
}

impl fmt::Display for IndexSql<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let IndexSql { unique, concurrently, name, table, method, keys, include, predicate } = self;
        let unique = if *unique { "UNIQUE " } else { "" };
        let concurrently = if *concurrently { "CONCURRENTLY " } else { "" };
        write!(f, "CREATE {unique}INDEX {concurrently}{name} ON {table}")?;
        if let Some(method) = method {
            write!(f, " USING {method}")?;
        }
        write!(f, " {keys}")?;
        if !include.is_empty() {
            write!(f, " INCLUDE ({})", include.join(", "))?;
        }
        if let Some(predicate) = predicate {
            write!(f, " WHERE {predicate}")?;
        }
        Ok(())
    }
}

/// The renderers' test helper: `input` lists ops under `[[op]]`; all but the last build
/// `before`, the last is rendered. `expected` is its statements, or the error's message.
#[cfg(test)]
pub(crate) fn check_render(
    render: fn(&Op, &crate::schema::Schema) -> Result<Vec<Statement>, RenderError>,
    input: &str,
    expected: Result<&[&str], &str>,
) {
    #[derive(serde::Deserialize)]
    struct Input {
        op: Vec<Op>,
    }
    let ops = toml::from_str::<Input>(input).expect("valid ops").op;
    let (last, earlier) = ops.split_last().expect("at least one op");
    let mut before = crate::schema::Schema::default();
    for op in earlier {
        before.apply(op).expect("setup fits");
    }
    let rendered = render(last, &before).map(|s| s.into_iter().map(|s| s.sql).collect::<Vec<_>>());
    match (rendered, expected) {
        (Ok(got), Ok(want)) => assert_eq!(got, want, "{input}"),
        (Err(err), Err(want)) => assert_eq!(err.to_string(), want, "{input}"),
        (got, want) => panic!("{input}\ngot {got:?}\nexpected {want:?}"),
    }
}
