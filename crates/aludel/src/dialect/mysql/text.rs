//! MySQL's SQL text: quoting names and strings, reading strings and `ENUM(...)` types back,
//! the spelling of an expression that introspection and normalization compare, and prefix
//! keys (`col(N)`). Pure text work, shared by `render`, `introspect` and `normalize`.

use std::borrow::Cow;

use crate::dialect::common::expressions::replace_quoted;
use crate::dialect::common::keywords::is_mysql_reserved as is_reserved;
use crate::schema::ColumnType;

/// Quotes an identifier with backticks, doubling embedded ones.
pub(crate) fn quote_ident(ident: &str) -> String {
    format!("`{}`", ident.replace('`', "``"))
}

/// `expr` with the column names it quotes the standard way (`"order"`, as PostgreSQL and
/// SQLite quote names) in backticks, where `is_column` knows the quoted text for one. MySQL
/// reads `"order"` as a string: a check `"order" > 0` from another backend's history would
/// compare the string `'order'`, and every insert would fail. Other double-quoted text stays,
/// a string as MySQL writes one; strings and backticked names are left alone.
pub(super) fn backtick_quoted_columns<'e>(expr: &'e str, is_column: impl Fn(&str) -> bool) -> Cow<'e, str> {
    if !expr.contains('"') {
        return Cow::Borrowed(expr);
    }
    Cow::Owned(replace_quoted(expr, true, |quote, whole, inside| {
        let name = inside.replace("\"\"", "\"");
        if quote == b'"' && is_column(&name) { quote_ident(&name) } else { whole.to_owned() }
    }))
}

/// Quotes a string literal: MySQL reads a backslash as an escape, so it is doubled along with
/// single quotes.
pub(crate) fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

/// The text of a single-quoted MySQL string (`''` and backslash escapes); `None` when `text`
/// is not exactly one string.
pub(super) fn unquote(text: &str) -> Option<String> {
    let body = text.strip_prefix('\'')?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    loop {
        match chars.next()? {
            '\\' => out.push(match chars.next()? {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '0' => '\0',
                'Z' => '\u{1a}',
                'b' => '\u{8}',
                other => other,
            }),
            '\'' => {
                let rest = chars.as_str();
                if let Some(after) = rest.strip_prefix('\'') {
                    out.push('\'');
                    chars = after.chars();
                } else {
                    return rest.is_empty().then_some(out);
                }
            }
            other => out.push(other),
        }
    }
}

/// A MySQL string literal (backslash escapes) written the standard way: its characters as
/// they are, a quote doubled. `\%` and `\_` keep their backslash, as MySQL keeps it.
fn standard_string(literal: &str) -> String {
    let body = literal.strip_prefix('\'').and_then(|b| b.strip_suffix('\'')).unwrap_or(literal);
    if !body.contains('\\') {
        return literal.to_owned();
    }
    let mut out = String::with_capacity(body.len() + 2);
    out.push('\'');
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some('Z') => out.push('\u{1a}'),
                Some('b') => out.push('\u{8}'),
                Some(kept @ ('%' | '_')) => {
                    out.push('\\');
                    out.push(kept);
                }
                Some('\'') => out.push_str("''"),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            other => out.push(other),
        }
    }
    out.push('\'');
    out
}

/// `expr`, written the standard way (a backslash is a backslash), as MySQL reads it: the
/// backslashes in its strings doubled.
pub(super) fn backslashes_escaped(expr: &str) -> Cow<'_, str> {
    if !expr.contains('\\') {
        return Cow::Borrowed(expr);
    }
    Cow::Owned(replace_quoted(expr, false, |quote, whole, inside| {
        if quote == b'\'' { format!("'{}'", inside.replace('\\', "\\\\")) } else { whole.to_owned() }
    }))
}

/// `text` without parentheses that enclose all of it.
pub(super) fn strip_parentheses(text: &str) -> &str {
    let mut text = text.trim();
    while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        // `(a) + (b)` is not enclosed: the first `(` must close at the end.
        let mut depth = 0i32;
        let mut quote = None;
        let mut closes_at_end = true;
        for (i, c) in text.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"' | '`') => quote = Some(c),
                (None, '(') => depth += 1,
                (None, ')') => {
                    depth -= 1;
                    if depth == 0 && i != text.len() - 1 {
                        closes_at_end = false;
                        break;
                    }
                }
                _ => {}
            }
        }
        if !closes_at_end {
            break;
        }
        text = inner.trim();
    }
    text
}

/// An expression as MySQL prints it, with the backquotes around plain names (lower case,
/// not reserved) left out: MySQL quotes every name, the models and the names a rename
/// writes mostly do not. Its strings are written the standard way (`'a\b'` is backslash
/// and `b`; a quote is doubled), as the models and revisions write them.
pub(super) fn expression(text: &str) -> String {
    let text = text.trim();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['\'', '"', '`']) {
        out.push_str(&rest[..at]);
        let quote = rest.as_bytes()[at];
        let body = &rest[at + 1..];
        // The end of the quoted part: a quote not doubled (strings also take `\` escapes).
        let mut end = None;
        let mut i = 0;
        let bytes = body.as_bytes();
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if quote != b'`' => i += 2,
                b if b == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
                b if b == quote => {
                    end = Some(i);
                    break;
                }
                _ => i += 1,
            }
        }
        let Some(end) = end else {
            out.push_str(&rest[at..]);
            return out;
        };
        let name = &body[..end];
        if quote == b'\'' {
            out.push_str(&standard_string(&rest[at..at + end + 2]));
            rest = &body[end + 1..];
            continue;
        }
        let plain = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !is_reserved(name);
        if quote == b'`' && plain {
            out.push_str(name);
        } else {
            out.push_str(&rest[at..at + end + 2]);
        }
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A prefix key part as a key expression: `col(N)`, the column quoted when it must be.
pub(super) fn prefix_expr(column: &str, length: u32) -> String {
    let plain = !column.is_empty() && column.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain { format!("{column}({length})") } else { format!("{}({length})", quote_ident(column)) }
}

pub(super) use crate::dialect::common::prefix_key;

/// The values of an `enum('a','b')` type; `None` for any other type.
pub(super) fn enum_values(ty: &ColumnType) -> Option<Vec<String>> {
    let ColumnType::Custom(text) = ty else { return None };
    let text = text.trim();
    let inner = text.get(..5).filter(|p| p.eq_ignore_ascii_case("enum("))?;
    let list = text[inner.len()..].strip_suffix(')')?;
    let mut values = Vec::new();
    let mut rest = list.trim();
    while !rest.is_empty() {
        // Find the end of one quoted value: a quote not doubled and not escaped.
        let bytes = rest.as_bytes();
        if bytes.first() != Some(&b'\'') {
            return None;
        }
        let mut i = 1;
        let end = loop {
            match bytes.get(i)? {
                b'\\' => i += 2,
                b'\'' if bytes.get(i + 1) == Some(&b'\'') => i += 2,
                b'\'' => break i,
                _ => i += 1,
            }
        };
        values.push(unquote(&rest[..=end])?);
        rest = rest[end + 1..].trim_start();
        rest = match rest.strip_prefix(',') {
            Some(next) => next.trim_start(),
            None if rest.is_empty() => rest,
            None => return None,
        };
    }
    Some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_quoted_column_names_become_backticked() {
        let columns = |name: &str| ["order", "Status", "we\"ird"].contains(&name);
        assert_eq!(backtick_quoted_columns(r#""order" > 0"#, columns), "`order` > 0");
        assert_eq!(backtick_quoted_columns(r#""Status" IN ('a', 'b')"#, columns), "`Status` IN ('a', 'b')");
        assert_eq!(backtick_quoted_columns(r#""we""ird" <> ''"#, columns), "`we\"ird` <> ''");
        // A string in double quotes (MySQL's), text inside strings and backticked names stay.
        assert_eq!(backtick_quoted_columns(r#"status = "a""#, columns), r#"status = "a""#);
        assert_eq!(
            backtick_quoted_columns(r#"note <> 'say "order"' AND "order" > 0"#, columns),
            r#"note <> 'say "order"' AND `order` > 0"#
        );
        assert_eq!(
            backtick_quoted_columns(r#"note <> 'it''s \' "order"' AND `x"y` > 0"#, columns),
            r#"note <> 'it''s \' "order"' AND `x"y` > 0"#
        );
        // Unbalanced quotes are left as written, for MySQL to refuse.
        assert_eq!(backtick_quoted_columns(r#""order > 0"#, columns), r#""order > 0"#);
    }

    #[test]
    fn identifiers_and_literals_escape_for_mysql() {
        assert_eq!(quote_ident("we`ird"), "`we``ird`");
        assert_eq!(quote_literal("it's a\\b"), "'it''s a\\\\b'");
    }

    #[test]
    fn expressions_lose_the_quotes_plain_names_do_not_need() {
        assert_eq!(expression("octet_length(`email`) > 3"), "octet_length(email) > 3");
        assert_eq!(expression("`rank` > 0 and `Mixed` <> 'it''s `x`'"), "`rank` > 0 and `Mixed` <> 'it''s `x`'");
        assert_eq!(expression("`we``ird` + `a_1` + \"`q`\""), "`we``ird` + a_1 + \"`q`\"");
        assert_eq!(expression("'a\\'b' = `c`"), "'a''b' = c");
        // MySQL's escapes are read; the standard spelling has none.
        assert_eq!(expression(r"`x` <> 'a\\nb' and `y` <> 'c\nd\%'"), "x <> 'a\\nb' and y <> 'c\nd\\%'");
        assert_eq!(backslashes_escaped(r"x <> 'a\nb' AND `w\` > 0"), r"x <> 'a\\nb' AND `w\` > 0");
        assert_eq!(expression(&backslashes_escaped(r"x <> 'a\nb''\'")), r"x <> 'a\nb''\'");
    }

    #[test]
    fn outer_parentheses_only_go_when_they_enclose_everything() {
        assert_eq!(strip_parentheses("((1 + 2))"), "1 + 2");
        assert_eq!(strip_parentheses("(a) + (b)"), "(a) + (b)");
        assert_eq!(strip_parentheses("(')')"), "')'");
    }

    #[test]
    fn prefix_keys_name_a_column_and_a_length() {
        assert_eq!(prefix_key("body(10)"), Some(("body".into(), 10)));
        assert_eq!(prefix_key(" `we``ird`( 3 ) "), Some(("we`ird".into(), 3)));
        assert_eq!(prefix_key("lower(body)"), None);
        assert_eq!(prefix_key("a + b(1)"), None);
    }

    #[test]
    fn enum_types_give_their_values() {
        let values = |text: &str| enum_values(&ColumnType::Custom(text.into()));
        assert_eq!(values("enum('a','b''c','d\\\\e')"), Some(vec!["a".into(), "b'c".into(), "d\\e".into()]));
        assert_eq!(values("ENUM('x')"), Some(vec!["x".into()]));
        assert_eq!(values("enum('a,b', 'c)')"), Some(vec!["a,b".into(), "c)".into()]));
        assert_eq!(values("set('a')"), None);
        assert_eq!(values("enum(a)"), None);
    }
}
