//! One entity read into the schema model: its table, columns (with `extra`, comments and
//! `renamed_from`), primary key, unique columns, indexes, relations as foreign keys, and the
//! enum types its columns use, named by the project's convention (`aludel::naming`).

use aludel::naming::{self, NameKind, conventional_name};
use aludel::schema::{
    Column, ColumnType, Constraint, EnumType, Generated, Index, IndexKey, References, ReferentialAction, Table,
};
use sea_orm::sea_query::{ForeignKeyAction, TableName, TableRef};
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, IdenStatic, Iterable, PrimaryKeyToColumn, PrimaryKeyTrait, RelationTrait,
};

use crate::error::{SeaOrmError, Site};

use crate::types::{map_default, map_type};

/// What one entity contributes to the schema.
pub(crate) struct EntityParts {
    pub(crate) table: Table,
    pub(crate) indexes: Vec<Index>,
    /// Enum types with the column that declares each.
    pub(crate) enums: Vec<(EnumType, String)>,
    /// Columns with `renamed_from`: (column, old name).
    pub(crate) renames: Vec<(String, String)>,
}

pub(crate) fn read_entity<E: EntityTrait + Default>() -> Result<EntityParts, SeaOrmError> {
    let entity = E::default();
    let entity_name = std::any::type_name::<E>();
    let table_name = entity.table_name().to_owned();
    if let Some(schema) = entity.schema_name() {
        return Err(SeaOrmError::SchemaName {
            entity: entity_name.to_owned(),
            schema: schema.to_owned(),
            table: table_name,
        });
    }

    // Comments, `extra`, `indexed` and `unique_key` are private in `sea_orm::ColumnDef`; SeaORM's
    // own DDL helper exposes them through SeaQuery's statements.
    let helper = sea_orm::Schema::new(DbBackend::Postgres);
    let ddl = helper.create_table_from_entity(entity);
    let ddl_indexes = helper.create_index_from_entity(entity);

    let primary_key: Vec<String> = E::PrimaryKey::iter().map(|pk| pk.into_column().as_str().to_owned()).collect();
    let identity = E::PrimaryKey::auto_increment() && primary_key.len() == 1;

    let mut table = Table {
        name: table_name.clone(),
        columns: Vec::new(),
        primary_key_name: (!primary_key.is_empty())
            .then(|| conventional_name::<&str>(NameKind::PrimaryKey, &table_name, &[])),
        primary_key: primary_key.clone(),
        constraints: Vec::new(),
        comment: entity.comment().map(str::to_owned),
    };
    let mut indexes = Vec::new();
    let mut enums = Vec::new();
    let mut renames = Vec::new();

    for column in E::Column::iter() {
        let name = column.as_str();
        let site = Site { entity: entity_name, column: name };
        let def = column.def();
        let mut found = Vec::new();
        let ty = map_type(def.get_column_type(), &mut found);
        enums.extend(found.into_iter().map(|e| (e, name.to_owned())));
        let in_primary_key = primary_key.iter().any(|c| c == name);

        let mut mapped = Column::new(name, ty);
        // PostgreSQL makes primary key columns NOT NULL whatever the entity says.
        mapped.nullable = def.is_null() && !in_primary_key;
        if in_primary_key && identity {
            if !matches!(mapped.ty, ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt) {
                return Err(SeaOrmError::AutoIncrementNotInteger {
                    entity: site.entity(),
                    column: site.column(),
                    ty: mapped.ty,
                });
            }
            mapped.identity = true;
        }
        if let Some(default) = def.get_column_default() {
            mapped.default = map_default(default, &site)?;
        }
        if mapped.identity && mapped.default.is_some() {
            return Err(SeaOrmError::AutoIncrementWithDefault { entity: site.entity(), column: site.column() });
        }

        let spec = ddl.get_columns().iter().find(|c| c.get_column_name() == name).map(|c| c.get_column_spec());
        if let Some(spec) = spec {
            if let Some(comment) = spec.comment.as_deref() {
                let (comment, old) = split_renamed_from(comment);
                mapped.comment = comment;
                if let Some(old) = old {
                    renames.push((name.to_owned(), old));
                }
            }
            if let Some(extra) = &spec.extra {
                match read_extra(extra) {
                    // Named once every column is known: after the column the expression reads.
                    Some(Extra::Check(expr)) => table.constraints.push(Constraint::Check { name: None, expr }),
                    Some(Extra::Generated(generated)) => mapped.generated = Some(generated),
                    None => {
                        return Err(SeaOrmError::UnsupportedExtra {
                            entity: site.entity(),
                            column: site.column(),
                            extra: extra.clone(),
                        });
                    }
                }
            }
        }
        if def.is_unique() && !(in_primary_key && primary_key.len() == 1) {
            table.constraints.push(Constraint::Unique {
                name: Some(conventional_name(NameKind::Unique, &table_name, &[name])),
                columns: vec![name.to_owned()],
            });
        }
        table.columns.push(mapped);
    }

    let names: Vec<String> = table.constraints.iter().map(|c| naming::constraint_name(&table, c)).collect();
    for (constraint, conventional) in table.constraints.iter_mut().zip(names) {
        if let Constraint::Check { name: name @ None, .. } = constraint {
            *name = Some(conventional);
        }
    }

    // `indexed` columns and `unique_key` groups: SeaORM creates both as indexes (a group as a
    // unique one, apart from any `unique` constraint on the same column).
    for index in &ddl_indexes {
        let columns = index.get_index_spec().get_column_names();
        indexes.push(Index {
            name: conventional_name(NameKind::Index, &table_name, &columns),
            table: table_name.clone(),
            columns: columns.into_iter().map(IndexKey::Column).collect(),
            unique: index.is_unique_key(),
            predicate: None,
            method: None,
            key_options: Vec::new(),
            include: Vec::new(),
        });
    }

    for relation in E::Relation::iter() {
        let relation = relation.def();
        // Only the owned side (`belongs_to`) holds the foreign key.
        if relation.is_owner || relation.skip_fk {
            continue;
        }
        let target = table_of(&relation.to_tbl, entity_name)?;
        let columns: Vec<String> = relation.from_col.iter().map(|c| c.to_string()).collect();
        let name =
            relation.fk_name.clone().unwrap_or_else(|| conventional_name(NameKind::ForeignKey, &table_name, &columns));
        let on_delete = map_action(relation.on_delete, entity_name, &columns)?;
        let on_update = map_action(relation.on_update, entity_name, &columns)?;
        table.constraints.push(Constraint::ForeignKey {
            name: Some(name),
            columns,
            references: References { table: target, columns: relation.to_col.iter().map(|c| c.to_string()).collect() },
            on_delete,
            on_update,
        });
    }

    Ok(EntityParts { table, indexes, enums, renames })
}

fn table_of(table: &TableRef, entity: &'static str) -> Result<String, SeaOrmError> {
    match table {
        TableRef::Table(TableName(Some(schema), name), _) => Err(SeaOrmError::SchemaName {
            entity: entity.to_owned(),
            schema: schema.1.to_string(),
            table: name.to_string(),
        }),
        other => Ok(other.sea_orm_table().to_string()),
    }
}

fn map_action(
    action: Option<ForeignKeyAction>,
    entity: &'static str,
    columns: &[String],
) -> Result<Option<ReferentialAction>, SeaOrmError> {
    Ok(Some(match action {
        None => return Ok(None),
        Some(ForeignKeyAction::Restrict) => ReferentialAction::Restrict,
        Some(ForeignKeyAction::Cascade) => ReferentialAction::Cascade,
        Some(ForeignKeyAction::SetNull) => ReferentialAction::SetNull,
        Some(ForeignKeyAction::NoAction) => ReferentialAction::NoAction,
        Some(ForeignKeyAction::SetDefault) => ReferentialAction::SetDefault,
        Some(other) => {
            return Err(SeaOrmError::UnsupportedAction {
                entity: entity.to_owned(),
                columns: columns.to_vec(),
                action: format!("{other:?}"),
            });
        }
    }))
}

/// SeaORM appends `renamed_from "old"` to the column comment (after `; ` when there is a
/// comment too): splits that into the user's comment and the old name.
fn split_renamed_from(comment: &str) -> (Option<String>, Option<String>) {
    let (comment, old) = match comment.rsplit_once("renamed_from \"") {
        Some((before, after)) => match after.strip_suffix('"') {
            Some(old) => (before.trim_end().trim_end_matches(';'), Some(old.to_owned())),
            None => (comment, None),
        },
        None => (comment, None),
    };
    ((!comment.is_empty()).then(|| comment.to_owned()), old)
}

enum Extra {
    Check(String),
    Generated(Generated),
}

/// Reads `extra = "CHECK (...)"` and `extra = "GENERATED ALWAYS AS (...) [STORED]"`.
fn read_extra(extra: &str) -> Option<Extra> {
    let text = extra.trim();
    let upper = text.to_ascii_uppercase();
    if upper.starts_with("CHECK") {
        let (expr, rest) = parenthesized(text["CHECK".len()..].trim_start())?;
        return rest.trim().is_empty().then(|| Extra::Check(expr.to_owned()));
    }
    let keyword = "GENERATED ALWAYS AS";
    if upper.starts_with(keyword) {
        let (expr, rest) = parenthesized(text[keyword.len()..].trim_start())?;
        let stored = match rest.trim().to_ascii_uppercase().as_str() {
            "STORED" => true,
            "" | "VIRTUAL" => false,
            _ => return None,
        };
        return Some(Extra::Generated(Generated { expr: expr.to_owned(), stored }));
    }
    None
}

/// Splits `(inner) rest` at the parenthesis that closes the first one.
fn parenthesized(text: &str) -> Option<(&str, &str)> {
    let body = text.strip_prefix('(')?;
    let mut depth = 1usize;
    for (at, c) in body.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&body[..at], &body[at + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_reads_checks_and_generated_columns() {
        assert!(matches!(read_extra("CHECK (price > 0)"), Some(Extra::Check(e)) if e == "price > 0"));
        assert!(matches!(read_extra("check ((a) < (b))"), Some(Extra::Check(e)) if e == "(a) < (b)"));
        assert!(matches!(
            read_extra("GENERATED ALWAYS AS (a * 2) STORED"),
            Some(Extra::Generated(Generated { stored: true, .. }))
        ));
        assert!(read_extra("COLLATE \"C\"").is_none());
        assert!(read_extra("CHECK (a > 0) NOT VALID").is_none());
    }

    #[test]
    fn comments_lose_the_renamed_from_marker() {
        let old = Some("old".to_owned());
        assert_eq!(split_renamed_from("renamed_from \"old\""), (None, old.clone()));
        assert_eq!(split_renamed_from("the title; renamed_from \"old\""), (Some("the title".to_owned()), old));
        assert_eq!(split_renamed_from("plain"), (Some("plain".to_owned()), None));
    }
}
