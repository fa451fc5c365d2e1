//! PostgreSQL's SQL text as its catalog functions print it: a string cast to a type
//! (`'x'::text`), a `NULL` default, the expression of a `CHECK (...)`; and dollar quotes that
//! avoid the text they quote. PostgreSQL quotes names in what it prints itself, so no list
//! of keywords is needed to read it back.

/// `'text'::label`: the unescaped text and the type label. `None` for anything else, such as
/// an expression that merely starts with a literal.
pub(super) fn typed_string(text: &str) -> Option<(String, &str)> {
    let body = text.strip_prefix('\'')?;
    let mut literal = String::new();
    let mut chars = body.char_indices();
    let rest = loop {
        let (i, c) = chars.next()?;
        if c != '\'' {
            literal.push(c);
        } else if body[i + 1..].starts_with('\'') {
            literal.push('\'');
            chars.next();
        } else {
            break &body[i + 1..];
        }
    };
    let label = rest.strip_prefix("::")?;
    type_label(label).then_some((literal, label))
}

/// Whether `label` is a type name as a cast prints it (`character varying`, `"Mood"[]`,
/// `public."it's {odd}"`), not the start of a longer expression. A quoted name may hold
/// anything, `""` standing for a quote.
fn type_label(label: &str) -> bool {
    let mut chars = label.chars().peekable();
    if label.is_empty() {
        return false;
    }
    while let Some(c) = chars.next() {
        match c {
            '"' => loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                    }
                    Some('"') => break,
                    Some(_) => {}
                    None => return false,
                }
            },
            c if c.is_alphanumeric() || matches!(c, '_' | ' ' | '.' | '[' | ']' | '(' | ')' | ',') => {}
            _ => return false,
        }
    }
    true
}

/// Whether a default is a null: `DEFAULT NULL` leaves no default, except on a type with a
/// length or precision, where PostgreSQL keeps `NULL::numeric`. Both mean no default.
pub(super) fn is_null(printed: &str) -> bool {
    let text = printed.trim();
    text == "NULL" || text.strip_prefix("NULL::").is_some_and(type_label)
}

/// The expression of `CHECK (<expr>)`, as `pg_get_constraintdef` prints a check, possibly
/// followed by `NOT VALID` or `NO INHERIT`.
pub(super) fn check_expr(definition: &str) -> Option<&str> {
    let body = definition.strip_prefix("CHECK (")?;
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in body.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => return Some(&body[..i]),
            (None, ')') => depth -= 1,
            (None, _) => {}
        }
    }
    None
}

/// A dollar-quote tag that occurs in none of `bodies`.
pub(super) fn dollar_tag(bodies: &[String]) -> String {
    let mut n = 0usize;
    loop {
        let tag = format!("$aludel{n}$");
        if !bodies.iter().any(|body| body.contains(&tag)) {
            return tag;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_to_quoted_type_names_are_typed_strings() {
        for (printed, literal, label) in [
            ("'x'::\"Mood\"", "x", "\"Mood\""),
            ("'$aludel$'::\"mo'od {value}\"", "$aludel$", "\"mo'od {value}\""),
            ("'a''b'::public.\"it\"\"s\"[]", "a'b", "public.\"it\"\"s\"[]"),
        ] {
            assert_eq!(typed_string(printed), Some((literal.to_owned(), label)), "{printed}");
        }
        for expression in ["'x'::\"unclosed", "'x'::text || 'y'::text", "'x'::\"a\" || 'y'"] {
            assert_eq!(typed_string(expression), None, "{expression}");
        }
    }

    #[test]
    fn null_defaults_are_no_defaults() {
        for null in ["NULL", "NULL::numeric", "NULL::character varying", "NULL::bpchar", "NULL::\"Mood\"[]"] {
            assert!(is_null(null), "{null}");
        }
        for other in ["NULL::text || 'x'::text", "'NULL'::text", "NULLIF(1, 2)", "nullval()"] {
            assert!(!is_null(other), "{other}");
        }
    }

    #[test]
    fn check_definitions_lose_their_check_keyword() {
        assert_eq!(check_expr("CHECK ((x > 0))"), Some("(x > 0)"));
        assert_eq!(check_expr("CHECK ((y IS NOT NULL)) NOT VALID"), Some("(y IS NOT NULL)"));
        assert_eq!(check_expr("CHECK ((z <> ')'::text)) NO INHERIT"), Some("(z <> ')'::text)"));
        assert_eq!(check_expr("CHECK (\"we)ird\")"), Some("\"we)ird\""));
        assert_eq!(check_expr("UNIQUE (x)"), None);
        assert_eq!(check_expr("CHECK ((x > 0)"), None);
    }

    #[test]
    fn dollar_tags_avoid_the_quoted_text() {
        assert_eq!(dollar_tag(&["SELECT 1".into()]), "$aludel0$");
        assert_eq!(dollar_tag(&["SELECT '$aludel0$'".into(), "$aludel1$".into()]), "$aludel2$");
    }
}
