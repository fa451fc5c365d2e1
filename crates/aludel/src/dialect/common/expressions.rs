//! Reading SQL expression text as the backends share it: where quoted text ends, and the
//! PostgreSQL syntax in an expression (a history made there holds its spellings) that the
//! other backends cannot read, so that they refuse it before a revision runs.

/// A construct of PostgreSQL's own in an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PostgresSyntax {
    /// `x::type`.
    Cast,
    /// `ARRAY[...]`, as `= ANY (ARRAY[...])` prints an `IN` list.
    Array,
    /// `IS [NOT] DISTINCT FROM`.
    DistinctFrom,
    /// `ILIKE`.
    Ilike,
}

impl PostgresSyntax {
    /// The refusal's words: what the expression uses, and what to write instead.
    pub(crate) fn refusal(self, backend: &str) -> String {
        match self {
            PostgresSyntax::Cast => {
                format!("uses PostgreSQL's `::` cast, which {backend} cannot read; write `CAST(x AS type)`")
            }
            PostgresSyntax::Array => format!(
                "uses a PostgreSQL array (`ARRAY[...]`), which {backend} has not; write `x IN (...)` for `x = ANY (ARRAY[...])`"
            ),
            PostgresSyntax::DistinctFrom => {
                format!("uses `IS DISTINCT FROM`, which {backend} cannot read; write `NOT (a <=> b)`")
            }
            PostgresSyntax::Ilike => {
                format!("uses PostgreSQL's `ILIKE`, which {backend} has not; write `LOWER(x) LIKE LOWER(pattern)`")
            }
        }
    }
}

/// The first of PostgreSQL's constructs in `expr`, outside its strings and quoted names;
/// `backslash_escapes` when a backslash escapes the next character of a string (MySQL).
pub(crate) fn postgres_syntax(expr: &str, backslash_escapes: bool) -> Option<PostgresSyntax> {
    let bare = without_comments(&outside_quotes(expr, backslash_escapes)).to_uppercase();
    let spaced = bare.split_whitespace().collect::<Vec<_>>().join(" ");
    let words: Vec<&str> = bare.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')).collect();
    let phrase = |phrase: &[&str]| {
        words.iter().filter(|w| !w.is_empty()).copied().collect::<Vec<_>>().windows(phrase.len()).any(|w| w == phrase)
    };
    if spaced.contains("::") {
        Some(PostgresSyntax::Cast)
    } else if spaced.contains("ARRAY[") || spaced.contains("ARRAY [") {
        Some(PostgresSyntax::Array)
    } else if phrase(&["IS", "DISTINCT", "FROM"]) || phrase(&["IS", "NOT", "DISTINCT", "FROM"]) {
        Some(PostgresSyntax::DistinctFrom)
    } else if words.contains(&"ILIKE") {
        Some(PostgresSyntax::Ilike)
    } else {
        None
    }
}

/// `text` (its strings and quoted names emptied already) with each comment, `-- ...` to the
/// end of its line or `/* ... */`, as one space.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['-', '/']) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let end = if from.starts_with("--") {
            from.find('\n').unwrap_or(from.len())
        } else if let Some(comment) = from.strip_prefix("/*") {
            comment.find("*/").map_or(from.len(), |end| end + 4)
        } else {
            out.push_str(&from[..1]);
            rest = &from[1..];
            continue;
        };
        out.push(' ');
        rest = &from[end..];
    }
    out.push_str(rest);
    out
}

/// `expr` with what its strings and quoted names hold left out (their quotes stay), so that
/// what is searched in it is SQL, not text.
fn outside_quotes(expr: &str, backslash_escapes: bool) -> String {
    replace_quoted(expr, backslash_escapes, |quote, _, _| format!("{0}{0}", char::from(quote)))
}

/// `expr` with each quoted piece (a string, a quoted name) replaced by what `replace` makes
/// of its quote character, its whole text and the text inside the quotes (still escaped).
/// From a quote that is never closed on, the text stays as written.
pub(crate) fn replace_quoted(
    expr: &str,
    backslash_escapes: bool,
    mut replace: impl FnMut(u8, &str, &str) -> String,
) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut rest = expr;
    while let Some(at) = rest.find(['\'', '"', '`']) {
        let quote = rest.as_bytes()[at];
        let body = &rest[at + 1..];
        let Some(end) = quoted_end(body, quote, backslash_escapes) else { break };
        out.push_str(&rest[..at]);
        out.push_str(&replace(quote, &rest[at..at + end + 2], &body[..end]));
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Where the quoted text starting at `body` ends (at its closing `quote`): a doubled quote is
/// one quote, and with `backslash_escapes` a backslash in a string escapes the next character.
fn quoted_end(body: &str, quote: u8, backslash_escapes: bool) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if backslash_escapes && quote == b'\'' => i += 2,
            b if b == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
            b if b == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgresql_syntax_is_found_outside_strings_and_names_only() {
        for (expr, found) in [
            ("(status)::text <> 'done'::text", PostgresSyntax::Cast),
            ("status = ANY (ARRAY['a', 'b'])", PostgresSyntax::Array),
            ("a IS DISTINCT FROM b", PostgresSyntax::DistinctFrom),
            ("a is  not\tdistinct from b", PostgresSyntax::DistinctFrom),
            ("name ILIKE 'x%'", PostgresSyntax::Ilike),
            ("(a)ILIKE'x'", PostgresSyntax::Ilike),
            ("b IS DISTINCT/**/FROM 3", PostgresSyntax::DistinctFrom),
            ("b > 0 -- a comment\n AND c::int > 0", PostgresSyntax::Cast),
        ] {
            assert_eq!(postgres_syntax(expr, true), Some(found), "{expr}");
        }
        for expr in [
            "status IN ('a', 'b')",
            "note <> 'a::b ARRAY[1] IS DISTINCT FROM'",
            "note <> 'it''s'' ARRAY[1]'",
            "`weird::name` > 0",
            "\"weird::name\" > 0",
            "CAST(a AS CHAR) <> ''",
            "NOT (a <=> b)",
            "name LIKE 'x%'",
            "b > 0 -- :: ILIKE",
            "b > 0 /* ARRAY[1] ILIKE :: */",
            "a - 1 > b / 2",
        ] {
            assert_eq!(postgres_syntax(expr, true), None, "{expr}");
        }
        // A backslash escapes only where the backend says so.
        assert_eq!(postgres_syntax(r"a <> 'x\' OR b::int > 0 OR c <> '\'", true), None);
        assert_eq!(postgres_syntax(r"a <> 'x\' OR b::int > 0", false), Some(PostgresSyntax::Cast));
    }
}
