//! Random schemas for property tests: pairs that mostly agree, so that their diff is small.

use aludel::schema::{
    Column, ColumnType, Constraint, DefaultValue, EnumType, Index, IndexKey, KeyOptions, Literal, PortableExpr,
    References, ReferentialAction, Schema, Table,
};

/// Which backend the raw SQL in a random schema is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// PostgreSQL: arrays and `gen_random_uuid()`.
    Postgres,
    /// SQLite: no arrays.
    Sqlite,
    /// MySQL / MariaDB: no arrays, no partial indexes, `uuid()`.
    MySql,
}

/// xorshift64*: enough randomness for schemas, with no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // Zero is xorshift's one fixed point.
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let value = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (value % n as u64) as usize
    }
}

/// Draws for one schema of a pair. `shared` is seeded alike for both schemas and drawn the
/// same number of times whatever the outcomes, so most choices agree; `own` differs.
struct Draws {
    shared: Rng,
    own: Rng,
}

impl Draws {
    /// A choice among `n`: the pair's shared one, or in `vary` percent of cases this schema's own.
    fn pick(&mut self, n: usize, vary: usize) -> usize {
        let shared = self.shared.below(n);
        let own = self.own.below(n);
        if self.own.below(100) < vary { own } else { shared }
    }
}

/// Column types by family: a column keeps its family and may change type within it, as a
/// real schema does (and as the database can convert).
const FAMILIES: &[&[&str]] = &[
    &["integer", "bigint", "smallint", "numeric(10,2)"],
    &["text", "varchar(20)", "varchar(100)"],
    &["boolean"],
    &["timestamptz"],
    &["jsonb"],
    &["uuid"],
    &["enum:mood", "text"],
    &["text[]"],
];
const MOODS: &[&str] = &["sad", "ok", "happy", "ecstatic"];
const TABLES: usize = 5;
const COLUMNS: usize = 4;

/// A random schema: up to [`TABLES`] tables with an `id` key, columns of every kind of
/// type, defaults, comments, uniques, checks, indexes (unique, partial), foreign keys between
/// the tables (cycles and self references included) and an enum. `named` gives every
/// constraint a name, as an introspected database has; otherwise some are left unnamed, as
/// models may. `flavor` keeps out what a backend cannot hold (arrays on SQLite and MySQL,
/// partial indexes and indexes on JSON on MySQL) and picks its raw SQL; the draws are the same
/// whatever the flavor, so a seed gives the same schema but for those.
pub fn random_schema(shared_seed: u64, own_seed: u64, named: bool, flavor: Flavor) -> Schema {
    let mut draw = Draws { shared: Rng::new(shared_seed), own: Rng::new(own_seed) };
    let mut schema = Schema::default();
    let has_enum = draw.pick(4, 20) != 0;
    let moods: Vec<String> = MOODS.iter().filter(|_| draw.pick(3, 20) != 0).map(|m| (*m).to_owned()).collect();
    if has_enum {
        schema.enums.insert("mood".into(), EnumType { name: "mood".into(), values: moods });
    }
    let present: Vec<bool> = (0..TABLES).map(|_| draw.pick(4, 20) != 0).collect();
    for (i, &here) in present.iter().enumerate() {
        let t = format!("t{i}");
        let mut columns = vec![Column { nullable: false, ..Column::new("id", ColumnType::BigInt) }];
        let mut constraints = Vec::new();
        let mut indexes = Vec::new();
        for k in 0..COLUMNS {
            let column_here = draw.pick(4, 20) != 0;
            let family = FAMILIES[draw.pick(FAMILIES.len(), 0)];
            let ty = family[draw.pick(family.len(), 15)];
            let nullable = draw.pick(3, 15) != 0;
            let default = draw.pick(6, 15);
            let comment = draw.pick(4, 15) == 0;
            let unique = draw.pick(5, 20) == 0;
            let check = draw.pick(8, 20);
            let index = draw.pick(5, 20);
            let unnamed_constraint = !named && draw.own.below(2) == 0;
            if !column_here {
                continue;
            }
            let c = format!("c{k}");
            let ty = if ty == "enum:mood" && !has_enum { "text" } else { ty };
            // SQLite and MySQL have no arrays.
            let ty = if flavor != Flavor::Postgres && ty.ends_with("[]") { "text" } else { ty };
            let mut column = Column::new(&c, ColumnType::parse(ty).expect("valid type"));
            column.nullable = nullable;
            column.default = if default < 4 { default_for(&column.ty, flavor) } else { None };
            column.comment = comment.then(|| format!("about {c}"));
            columns.push(column);
            let name = |suffix: &str| (!unnamed_constraint).then(|| format!("{t}_{c}_{suffix}"));
            if unique {
                constraints.push(Constraint::Unique { name: name("key"), columns: vec![c.clone()] });
            }
            if check < 2 {
                let expr = if check == 0 { format!("{c} IS NOT NULL") } else { format!("{c} <> {c}") };
                constraints.push(Constraint::Check { name: name("check"), expr });
            }
            // MySQL has no partial indexes, and MySQL 8 indexes no JSON column.
            let mysql = flavor == Flavor::MySql;
            if index < 3 && !(mysql && ty == "jsonb") {
                indexes.push(Index {
                    name: format!("ix_{t}_{c}"),
                    table: t.clone(),
                    columns: vec![IndexKey::Column(c.clone())],
                    unique: index == 1,
                    predicate: (index == 2 && !mysql).then(|| format!("{c} IS NOT NULL")),
                    method: None,
                    // Some plain indexes descend (by the column's name, so that a pair of
                    // schemas also turns one around).
                    key_options: if index == 0 && c.len() % 2 == 1 {
                        vec![KeyOptions::new(None, true, None)]
                    } else {
                        Vec::new()
                    },
                    include: Vec::new(),
                });
            }
        }
        for (j, &target_here) in present.iter().enumerate() {
            let fk = draw.pick(4, 20) == 0;
            let action = draw.pick(3, 20);
            let unnamed_constraint = !named && draw.own.below(2) == 0;
            if !fk || !target_here {
                continue;
            }
            let column = format!("t{j}_id");
            columns.push(Column::new(&column, ColumnType::BigInt));
            constraints.push(Constraint::ForeignKey {
                name: (!unnamed_constraint).then(|| format!("{t}_{column}_fkey")),
                columns: vec![column],
                references: References { table: format!("t{j}"), columns: vec!["id".into()] },
                on_delete: [None, Some(ReferentialAction::Cascade), Some(ReferentialAction::SetNull)][action],
                on_update: None,
            });
        }
        let wide_key = draw.pick(6, 20) == 0;
        let unnamed_key = !named && draw.own.below(2) == 0;
        if !here {
            continue;
        }
        let mut primary_key = vec!["id".to_owned()];
        if wide_key && let Some(second) = columns.get(1) {
            primary_key.push(second.name.clone());
            // Foreign keys reference `id` alone, which must then be unique by itself.
            let name = (!unnamed_key).then(|| format!("{t}_id_key"));
            constraints.push(Constraint::Unique { name, columns: vec!["id".to_owned()] });
        }
        schema.tables.insert(
            t.clone(),
            Table {
                name: t.clone(),
                columns,
                primary_key,
                primary_key_name: (!unnamed_key).then(|| format!("{t}_pkey")),
                constraints,
                comment: None,
            },
        );
        for index in indexes {
            schema.indexes.insert(index.name.clone(), index);
        }
    }
    schema
}

/// A server default that fits `ty`, if the type has a simple one.
fn default_for(ty: &ColumnType, flavor: Flavor) -> Option<DefaultValue> {
    Some(match ty {
        ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt | ColumnType::Numeric(_) => {
            DefaultValue::Value(Literal::Int(0))
        }
        ColumnType::Text | ColumnType::Varchar(_) => DefaultValue::Value(Literal::String("x".into())),
        ColumnType::Boolean => DefaultValue::Value(Literal::Bool(false)),
        ColumnType::Timestamptz => DefaultValue::Expr(PortableExpr::CurrentTimestamp),
        ColumnType::Jsonb => DefaultValue::Value(Literal::String("{}".into())),
        ColumnType::Uuid if flavor == Flavor::Postgres => DefaultValue::Sql("gen_random_uuid()".into()),
        ColumnType::Uuid if flavor == Flavor::MySql => DefaultValue::Sql("uuid()".into()),
        ColumnType::Uuid => DefaultValue::Sql("lower(hex(randomblob(16)))".into()),
        _ => return None,
    })
}
