//! The names an SQL expression (a check, an index key, a predicate) reads, found by scanning
//! its tokens: enough to tell which of a table's columns it uses, without parsing it.
//!
//! Not here: rewriting names in an expression (`apply::rename_quoting`), or what a name means
//! beyond matching a column.

/// The names in `expr` that may stand for columns, in order: quoted names (`"a"`, `` `a` ``,
/// `[a]`) and bare words. Left out, because they name no column: string literals, comments,
/// numbers, a word followed by `(` (a function, or MySQL's prefix key `body(10)`), a word
/// after `::` or `AS` (a type) and a word before a string (a typed literal such as
/// `date '2020-01-01'`, or MySQL's `_utf8mb4'x'`). A keyword is still returned: matched
/// against a table's columns, it only counts where a column bears its name.
pub(crate) fn names_read(expr: &str) -> Vec<String> {
    let bytes = expr.as_bytes();
    let mut names = Vec::new();
    // Whether the previous token makes the next word a type name.
    let mut type_follows = false;
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        match bytes[i] {
            b'\'' => {
                i = string_end(bytes, i);
                type_follows = false;
            }
            b'-' | b'/' if comment_end(expr, i).is_some() => i = comment_end(expr, i).unwrap_or(bytes.len()),
            b':' if bytes.get(i + 1) == Some(&b':') => {
                i += 2;
                type_follows = true;
            }
            b'"' | b'`' | b'[' => {
                let name;
                (name, i) = quoted_name(expr, i);
                if !std::mem::take(&mut type_follows) && !expr[i..].trim_start().starts_with('(') {
                    names.push(name);
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$' || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                let word = &expr[start..i];
                let rest = expr[i..].trim_start();
                let is_type = std::mem::take(&mut type_follows);
                if word.eq_ignore_ascii_case("as") {
                    type_follows = true;
                } else if !is_type && !rest.starts_with(['(', '\'']) {
                    names.push(word.to_owned());
                }
            }
            c if c.is_ascii_digit() => {
                // A number (with its exponent or hex digits) is never a name.
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'_') {
                    i += 1;
                }
            }
            c => {
                // A type name may follow `::` after spaces, not after anything else.
                if !c.is_ascii_whitespace() {
                    type_follows = false;
                }
                i += 1;
            }
        }
    }
    names
}

/// The byte after the string literal opening at byte `start` of `bytes` (`''` stands for a
/// quote; unclosed, the end).
pub(crate) fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    i
}

/// The byte where the comment opening at byte `start` of `expr` ends (`--` to the line's
/// end, `/* */` past its close; unclosed, the end), or `None` when none opens there.
pub(crate) fn comment_end(expr: &str, start: usize) -> Option<usize> {
    let rest = &expr[start..];
    if rest.starts_with("--") {
        Some(rest.find('\n').map_or(expr.len(), |n| start + n))
    } else {
        let body = rest.strip_prefix("/*")?;
        Some(body.find("*/").map_or(expr.len(), |n| start + 2 + n + 2))
    }
}

/// The name quoted at byte `start` of `expr` (`"a"`, `` `a` ``, `[a]`, a doubled closing quote
/// standing for itself, unclosed to the end), and the byte after its closing quote.
pub(crate) fn quoted_name(expr: &str, start: usize) -> (String, usize) {
    let bytes = expr.as_bytes();
    let close = match bytes[start] {
        b'[' => b']',
        other => other,
    };
    let mut name = String::new();
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == close {
            if close != b']' && bytes.get(i + 1) == Some(&close) {
                name.push(close as char);
                i += 2;
                continue;
            }
            return (name, i + 1);
        }
        let ch = expr[i..].chars().next().expect("inside the string");
        name.push(ch);
        i += ch.len_utf8();
    }
    (name, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_whole_tokens_outside_strings_calls_and_types() {
        for (expr, names) in [
            ("price > 0", &["price"][..]),
            ("lower(email)", &["email"]),
            ("(\"Email\" <> '') AND `a``b` > [c d]", &["Email", "AND", "a`b", "c d"]),
            ("'name' || 'it''s a' || x", &["x"]),
            ("((discount)::numeric <= price::double precision)", &["discount", "price", "precision"]),
            ("CAST(a AS date) > date '2020-01-01'", &["a"]),
            ("status = _utf8mb4'open' -- a comment naming x\n OR 1e5 > n /* y */", &["status", "OR", "n"]),
            ("body(10)", &[]),
            ("name_2 + é", &["name_2", "é"]),
        ] {
            assert_eq!(names_read(expr), names, "{expr}");
        }
    }

    /// Any text, unclosed quotes and comments and multi-byte characters next to every token
    /// included, is scanned without a panic (expressions come from revision files and models).
    #[test]
    fn any_text_is_scanned_without_a_panic() {
        let pieces =
            ["'", "\"", "`", "[", "]", "--", "/*", "*/", "::", "(", " ", "a", "é", "1e", "_", "AS", "\n", "€x"];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..8 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(pieces[usize::try_from(state % pieces.len() as u64).expect("small")]);
            }
            let names = names_read(&text);
            assert!(names.iter().all(|name| text.contains(name.as_str()) || name.contains('`') || name.contains('"')));
        }
    }
}
