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

/// A check's expression with the spellings PostgreSQL prints for one `IN (...)` list made
/// alike. A type change keeps a check by printing it and reading it back against the new
/// type, and a list read back that way is spelled otherwise than a fresh table's:
/// - strings cast as a whole, `(ARRAY['a'::character varying])::text[]`, come back cast one
///   by one, `ARRAY[('a'::character varying)::text]`;
/// - a string cast to unbounded `character varying` or `text` and then to `text` is the
///   string as `text`, `'a'::text`;
/// - integers compared by `= ANY` or `<> ALL` lose the `(1)::bigint` casts a bigint column
///   gives them;
/// - a `varchar` column cast to `text`, `(name)::text`, is the column (`varchar` has no
///   operators or functions of its own, it takes `text`'s), so that a check reads the same
///   after the column changes between `varchar` and `text`. `varchar_columns` names them.
///
/// Each rewrite means what it replaces, so the result also serves as the check's DDL.
pub(super) fn canonical_check(expr: &str, varchar_columns: &[&str]) -> String {
    let expr = rewrite(expr, "(ARRAY[", array_cast_by_element);
    let expr = rewrite(&expr, "('", string_cast_once);
    let expr = rewrite(&expr, "(ARRAY[", integers_uncast);
    if varchar_columns.is_empty() {
        return expr;
    }
    rewrite(&expr, "(", |_, text| column_uncast(text, varchar_columns))
}

/// `text` with each occurrence of `start` outside quotes and not right after a name (a
/// function's call) replaced by what `rewrite_at` makes of the text from there, if anything:
/// the replacement and the length it replaces.
fn rewrite(text: &str, start: &str, rewrite_at: impl Fn(&str, &str) -> Option<(String, usize)>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        if c == '\'' || c == '"' {
            let end = i + quoted_len(rest);
            out.push_str(&text[i..end]);
            i = end;
            continue;
        }
        let after_name = out.chars().next_back().is_some_and(|p| p.is_alphanumeric() || matches!(p, '_' | '"'));
        if rest.starts_with(start)
            && !after_name
            && let Some((replacement, len)) = rewrite_at(&text[..i], rest)
        {
            out.push_str(&replacement);
            i += len;
            continue;
        }
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The length of the quoted text `text` starts with, both quotes included and a doubled
/// quote read as one inside; all of `text` when it is not closed.
fn quoted_len(text: &str) -> usize {
    let Some(quote) = text.chars().next() else { return 0 };
    let mut from = 1;
    while let Some(end) = text[from..].find(quote) {
        let after = from + end + 1;
        if !text[after..].starts_with(quote) {
            return after;
        }
        from = after + 1;
    }
    text.len()
}

/// The index in `text` of the `]` that closes the bracket opened just before `from`.
fn closing_bracket(text: &str, from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = from;
    while let Some(c) = text[i..].chars().next() {
        match c {
            '\'' | '"' => {
                i += quoted_len(&text[i..]);
                continue;
            }
            '[' | '(' => depth += 1,
            ']' if depth == 0 => return Some(i),
            ']' | ')' => depth = depth.checked_sub(1)?,
            _ => {}
        }
        i += c.len_utf8();
    }
    None
}

/// The elements of a list, split at the commas outside quotes, brackets and parentheses.
fn elements(list: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start, mut i) = (0usize, 0, 0);
    while let Some(c) = list[i..].chars().next() {
        match c {
            '\'' | '"' => {
                i += quoted_len(&list[i..]);
                continue;
            }
            '[' | '(' => depth += 1,
            ']' | ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(list[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += c.len_utf8();
    }
    parts.push(list[start..].trim());
    parts
}

/// The type label an array cast names, up to and including its `[]` (`text[]`,
/// `character varying(5)[]`, `public."Mood"[]`): its length in `text`.
fn array_label_len(text: &str) -> Option<usize> {
    let end = text.find("[]")? + 2;
    let label = &text[..end - 2];
    let one_dimension = !text[end..].starts_with('[');
    let plain = label.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | ' ' | '.' | '"' | '(' | ')' | ','));
    let balanced = label.chars().try_fold(0usize, |depth, c| match c {
        '(' => Some(depth + 1),
        ')' => depth.checked_sub(1),
        _ => Some(depth),
    }) == Some(0);
    (one_dimension && plain && balanced && type_label(label)).then_some(end)
}

/// `(name)::text` (or `("Name")::text`, as PostgreSQL spells the name) as the name alone,
/// for one of `columns`.
fn column_uncast(text: &str, columns: &[&str]) -> Option<(String, usize)> {
    let inner = &text[1..];
    columns.iter().find_map(|column| {
        let quoted = format!("\"{}\"", column.replace('"', "\"\""));
        [column.to_string(), quoted].into_iter().find_map(|spelled| {
            let rest = inner.strip_prefix(spelled.as_str())?.strip_prefix(")::text")?;
            let ends = !rest.starts_with(|c: char| c.is_alphanumeric() || matches!(c, '_' | '[' | '(' | '"'));
            ends.then(|| (spelled.clone(), 1 + spelled.len() + ")::text".len()))
        })
    })
}

/// `(ARRAY['a'::t, 'b'::t])::u[]` as `ARRAY[('a'::t)::u, ('b'::t)::u]`.
fn array_cast_by_element(_before: &str, text: &str) -> Option<(String, usize)> {
    let open = "(ARRAY[".len();
    let close = closing_bracket(text, open)?;
    let after = text[close..].strip_prefix("])::")?;
    let label_len = array_label_len(after)?;
    let element_type = &after[..label_len - 2];
    let cast = elements(&text[open..close])
        .into_iter()
        .map(|element| typed_string(element).map(|_| format!("({element})::{element_type}")))
        .collect::<Option<Vec<_>>>()?;
    Some((format!("ARRAY[{}]", cast.join(", ")), close + "])::".len() + label_len))
}

/// `('a'::character varying)::text` (or `('a'::text)::text`) as `'a'::text`.
fn string_cast_once(_before: &str, text: &str) -> Option<(String, usize)> {
    let literal_len = quoted_len(&text[1..]);
    let literal = &text[1..=literal_len];
    let rest = &text[1 + literal_len..];
    let inner = ["::character varying)::text", "::text)::text"].into_iter().find(|cast| rest.starts_with(cast))?;
    let after = &rest[inner.len()..];
    let ends = !after.starts_with(|c: char| c.is_alphanumeric() || matches!(c, '_' | '[' | '(' | '"'));
    (literal.ends_with('\'') && ends).then(|| (format!("{literal}::text"), 1 + literal_len + inner.len()))
}

/// `= ANY (ARRAY[(1)::bigint, (2)::bigint])` as `= ANY (ARRAY[1, 2])`, and likewise for
/// `<> ALL`: compared with a column, an integer means the same with and without the cast.
fn integers_uncast(before: &str, text: &str) -> Option<(String, usize)> {
    if !(before.ends_with("= ANY ") || before.ends_with("<> ALL ")) {
        return None;
    }
    let open = "(ARRAY[".len();
    let close = closing_bracket(text, open)?;
    let integer = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let mut cast_seen = false;
    let uncast = elements(&text[open..close])
        .into_iter()
        .map(|element| match element.strip_prefix('(').and_then(|e| e.strip_suffix(")::bigint")) {
            Some(n) if integer(n) => {
                cast_seen = true;
                Some(n)
            }
            _ => integer(element).then_some(element),
        })
        .collect::<Option<Vec<_>>>()?;
    cast_seen.then(|| (format!("(ARRAY[{}]", uncast.join(", ")), close + 1))
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
    fn in_lists_read_back_after_a_type_change_compare_equal_to_fresh_ones() {
        // (fresh table, the same check kept through a type change, both as PostgreSQL prints them)
        for (fresh, kept, canonical) in [
            (
                "((c)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
                "((c)::text = ANY (ARRAY[('a'::character varying)::text, ('b'::character varying)::text]))",
                "((c)::text = ANY (ARRAY['a'::text, 'b'::text]))",
            ),
            (
                "(v = ANY (ARRAY['a'::text, 'b'::text]))",
                "(v = ANY (ARRAY[('a'::character varying)::text, ('b'::character varying)::text]))",
                "(v = ANY (ARRAY['a'::text, 'b'::text]))",
            ),
            ("(i = ANY (ARRAY[(1)::bigint, (2)::bigint]))", "(i = ANY (ARRAY[1, 2]))", "(i = ANY (ARRAY[1, 2]))"),
            ("(i <> ALL (ARRAY[(1)::bigint, 20]))", "(i <> ALL (ARRAY[1, 20]))", "(i <> ALL (ARRAY[1, 20]))"),
            (
                "((c)::text <> ALL ((ARRAY['it''s'::character varying, ')]'::character varying])::text[]))",
                "((c)::text <> ALL (ARRAY[('it''s'::character varying)::text, (')]'::character varying)::text]))",
                "((c)::text <> ALL (ARRAY['it''s'::text, ')]'::text]))",
            ),
        ] {
            assert_eq!(canonical_check(fresh, &[]), canonical, "{fresh}");
            assert_eq!(canonical_check(kept, &[]), canonical, "{kept}");
        }
    }

    #[test]
    fn a_varchar_column_cast_to_text_reads_as_the_column() {
        let varchar = ["kind", "Odd \"one\""];
        for (printed, canonical) in [
            ("((kind)::text = ANY (ARRAY['a'::text]))", "(kind = ANY (ARRAY['a'::text]))"),
            ("(length((kind)::text) > 3)", "(length(kind) > 3)"),
            ("((\"Odd \"\"one\"\"\")::text ~~ 'y%'::text)", "(\"Odd \"\"one\"\"\" ~~ 'y%'::text)"),
            // Other columns, a longer name, a cast to another type, an array cast: kept.
            ("((kinds)::text = 'a'::text)", "((kinds)::text = 'a'::text)"),
            ("((code)::text = 'a'::text)", "((code)::text = 'a'::text)"),
            ("((kind)::bpchar = 'a'::bpchar)", "((kind)::bpchar = 'a'::bpchar)"),
            ("((kind)::text[] IS NULL)", "((kind)::text[] IS NULL)"),
        ] {
            assert_eq!(canonical_check(printed, &varchar), canonical, "{printed}");
        }
    }

    #[test]
    fn casts_that_change_meaning_or_call_functions_are_kept() {
        for kept in [
            // A bounded varchar cuts the string; a cast of a function's result is the function's.
            "((c)::text = ANY (ARRAY[('abc'::character varying(2))::text]))",
            "(lower('A'::text)::text = 'a'::text)",
            "(f(ARRAY['a'::character varying])::text[] = c)",
            // An integer cast where it is not compared with a list member.
            "((i * (2)::bigint) < 5000000000)",
            "(i = ANY (ARRAY[(1)::bigint, (c + 1)]))",
            // Inside a string.
            "(c = '(ARRAY[''a''::character varying])::text[]'::text)",
            "(c = ANY ((ARRAY[(1 + 1)])::bigint[]))",
        ] {
            assert_eq!(canonical_check(kept, &["x"]), kept);
        }
    }

    #[test]
    fn dollar_tags_avoid_the_quoted_text() {
        assert_eq!(dollar_tag(&["SELECT 1".into()]), "$aludel0$");
        assert_eq!(dollar_tag(&["SELECT '$aludel0$'".into(), "$aludel1$".into()]), "$aludel2$");
    }
}
