//! A fast reader for the plain TOML that revision files are written in.
//!
//! The `toml` crate is the reference: it is complete and reports errors precisely, but it
//! costs several microseconds per small file, which a 1,000-revision history turns into
//! most of the time `aludel current` takes. This reader handles what
//! [`crate::script::NewRevision::to_toml`] writes and what people usually type — key/value
//! lines, dotted keys, `[[upgrade]]` / `[[downgrade]]` headers, comments, strings, decimal
//! numbers, booleans, arrays and single-line inline tables — and gives up (`None`) on
//! anything else, including every error. The caller then parses the text with `toml`, so
//! the result never depends on which reader ran, only the time does.
//!
//! The document becomes a [`Node`] tree that borrows its strings from the text and is a
//! serde `Deserializer` itself, so reading a revision allocates little more than the
//! revision.

use std::borrow::Cow;

use serde::de::value::{Error, MapAccessDeserializer, MapDeserializer, SeqDeserializer};
use serde::de::{self, IntoDeserializer, Visitor};

/// The document as a tree, or `None` when the text is outside the subset (or not valid
/// TOML).
pub(crate) fn parse(text: &str) -> Option<Node<'_>> {
    let mut reader = Reader { text, bytes: text.as_bytes(), pos: 0, depth: 0 };
    reader.document().map(Node::Table)
}

/// A TOML value (no date-times: those are left to `toml`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array(Vec<Node<'a>>),
    /// Keys in file order, each once.
    Table(Table<'a>),
}

type Table<'a> = Vec<(Cow<'a, str>, Node<'a>)>;

impl<'de> de::Deserializer<'de> for Node<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Str(Cow::Borrowed(text)) => visitor.visit_borrowed_str(text),
            Node::Str(Cow::Owned(text)) => visitor.visit_string(text),
            Node::Int(value) => visitor.visit_i64(value),
            Node::Float(value) => visitor.visit_f64(value),
            Node::Bool(value) => visitor.visit_bool(value),
            Node::Array(items) => visitor.visit_seq(SeqDeserializer::new(items.into_iter())),
            Node::Table(fields) => {
                visitor.visit_map(MapDeserializer::new(fields.into_iter().map(|(k, v)| (Node::Str(k), v))))
            }
        }
    }

    // TOML has no null: a present value is always `Some`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    // `"cascade"` is a unit variant; `{ value = 1 }` a variant with its content.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self {
            Node::Str(Cow::Borrowed(text)) => visitor.visit_enum(text.into_deserializer()),
            Node::Str(Cow::Owned(text)) => visitor.visit_enum(text.into_deserializer()),
            Node::Table(fields) => visitor.visit_enum(MapAccessDeserializer::new(MapDeserializer::new(
                fields.into_iter().map(|(k, v)| (Node::Str(k), v)),
            ))),
            other => other.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, Error> for Node<'de> {
    type Deserializer = Node<'de>;

    fn into_deserializer(self) -> Node<'de> {
        self
    }
}

/// Arrays and inline tables nested deeper than this are left to `toml`, which refuses them
/// with an error: a revision nests three or four levels, and recursing without a bound would
/// overflow the stack on a hostile file.
const MAX_DEPTH: usize = 32;

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Arrays and inline tables open around the current value.
    depth: usize,
}

/// The array of tables a `[[header]]` opened.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Upgrade,
    Downgrade,
}

impl Section {
    fn key(self) -> &'static str {
        match self {
            Section::Upgrade => "upgrade",
            Section::Downgrade => "downgrade",
        }
    }
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn rest(&self) -> &[u8] {
        &self.bytes[self.pos..]
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// A comment up to (not including) the end of the line.
    fn comment(&mut self) -> Option<()> {
        if self.eat(b'#') {
            while let Some(byte) = self.peek() {
                match byte {
                    b'\n' | b'\r' => break,
                    b'\t' => {}
                    0..0x20 | 0x7f => return None,
                    _ => {}
                }
                self.pos += 1;
            }
        }
        Some(())
    }

    /// Spaces, an optional comment, then a newline or the end of the text.
    fn line_end(&mut self) -> Option<()> {
        self.spaces();
        self.comment()?;
        match self.peek() {
            None => Some(()),
            Some(b'\n') => {
                self.pos += 1;
                Some(())
            }
            Some(b'\r') if self.rest().starts_with(b"\r\n") => {
                self.pos += 2;
                Some(())
            }
            _ => None,
        }
    }

    /// Whitespace, newlines and comments, as allowed between array items.
    fn blank(&mut self) -> Option<()> {
        loop {
            self.spaces();
            self.comment()?;
            match self.peek() {
                Some(b'\n') => self.pos += 1,
                Some(b'\r') if self.rest().starts_with(b"\r\n") => self.pos += 2,
                _ => return Some(()),
            }
        }
    }

    fn document(&mut self) -> Option<Table<'a>> {
        if self.text.starts_with('\u{feff}') {
            return None;
        }
        let mut root: Table<'a> = Vec::new();
        let mut section: Option<Section> = None;
        let mut opened: Vec<Section> = Vec::new();
        // Tables that dotted keys created in the current table; only those may be extended.
        let mut implicit: Vec<String> = Vec::new();
        loop {
            self.spaces();
            match self.peek() {
                None => return Some(root),
                Some(b'\n' | b'\r' | b'#') => self.line_end()?,
                Some(b'[') => {
                    let next = self.header()?;
                    let tables = match get_mut(&mut root, next.key()) {
                        None => {
                            root.push((Cow::Borrowed(next.key()), Node::Array(Vec::new())));
                            opened.push(next);
                            match root.last_mut() {
                                Some((_, Node::Array(tables))) => tables,
                                _ => return None,
                            }
                        }
                        // Only an array of tables opened by a header can take more tables.
                        Some(Node::Array(tables)) if opened.contains(&next) => tables,
                        Some(_) => return None,
                    };
                    tables.push(Node::Table(Vec::new()));
                    section = Some(next);
                    implicit.clear();
                    self.line_end()?;
                }
                Some(_) => {
                    let path = self.dotted_key()?;
                    self.spaces();
                    if !self.eat(b'=') {
                        return None;
                    }
                    self.spaces();
                    let value = self.value()?;
                    self.line_end()?;
                    let table = match section {
                        None => &mut root,
                        Some(section) => match get_mut(&mut root, section.key()) {
                            Some(Node::Array(tables)) => match tables.last_mut() {
                                Some(Node::Table(table)) => table,
                                _ => return None,
                            },
                            _ => return None,
                        },
                    };
                    insert(table, &path, value, &mut implicit)?;
                }
            }
        }
    }

    /// `[[upgrade]]` or `[[downgrade]]`.
    fn header(&mut self) -> Option<Section> {
        if !self.rest().starts_with(b"[[") {
            return None;
        }
        self.pos += 2;
        self.spaces();
        let section = if self.rest().starts_with(b"upgrade") {
            self.pos += "upgrade".len();
            Section::Upgrade
        } else if self.rest().starts_with(b"downgrade") {
            self.pos += "downgrade".len();
            Section::Downgrade
        } else {
            return None;
        };
        self.spaces();
        if !self.rest().starts_with(b"]]") {
            return None;
        }
        self.pos += 2;
        Some(section)
    }

    fn dotted_key(&mut self) -> Option<Vec<Cow<'a, str>>> {
        let mut path = vec![self.key()?];
        loop {
            let before = self.pos;
            self.spaces();
            if self.eat(b'.') {
                self.spaces();
                path.push(self.key()?);
            } else {
                self.pos = before;
                return Some(path);
            }
        }
    }

    fn key(&mut self) -> Option<Cow<'a, str>> {
        match self.peek()? {
            b'"' => self.basic_string(),
            b'\'' => self.literal_string(),
            _ => {
                let start = self.pos;
                while matches!(self.peek(), Some(b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-')) {
                    self.pos += 1;
                }
                (self.pos > start).then(|| Cow::Borrowed(&self.text[start..self.pos]))
            }
        }
    }

    fn value(&mut self) -> Option<Node<'a>> {
        match self.peek()? {
            b'"' if self.rest().starts_with(b"\"\"\"") => self.multiline_basic_string().map(Node::Str),
            b'"' => self.basic_string().map(Node::Str),
            b'\'' if self.rest().starts_with(b"'''") => self.multiline_literal_string().map(Node::Str),
            b'\'' => self.literal_string().map(Node::Str),
            b'[' | b'{' if self.depth >= MAX_DEPTH => None,
            b'[' => {
                self.depth += 1;
                let array = self.array();
                self.depth -= 1;
                array
            }
            b'{' => {
                self.depth += 1;
                let table = self.inline_table();
                self.depth -= 1;
                table
            }
            b't' | b'f' => {
                let (word, value) = if self.rest().starts_with(b"true") { ("true", true) } else { ("false", false) };
                if !self.rest().starts_with(word.as_bytes()) {
                    return None;
                }
                self.pos += word.len();
                self.delimited().then_some(Node::Bool(value))
            }
            b'+' | b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// Whether a scalar ends here, as `true1` or `1970-01-01` must not.
    fn delimited(&self) -> bool {
        matches!(self.peek(), None | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}' | b'#'))
    }

    /// Decimal integers and plain floats; anything fancier (`1_000`, `0x1f`, `inf`, dates)
    /// is left to `toml`.
    fn number(&mut self) -> Option<Node<'a>> {
        let start = self.pos;
        while !self.delimited() {
            self.pos += 1;
        }
        let token = &self.text[start..self.pos];
        let unsigned = token.strip_prefix(['+', '-']).unwrap_or(token);
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(e) => (&unsigned[..e], Some(&unsigned[e + 1..])),
            None => (unsigned, None),
        };
        let (whole, fraction) = match mantissa.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (mantissa, None),
        };
        let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (whole.len() > 1 && whole.starts_with('0')) {
            return None;
        }
        if fraction.is_some_and(|f| !digits(f)) {
            return None;
        }
        if let Some(exponent) = exponent
            && !digits(exponent.strip_prefix(['+', '-']).unwrap_or(exponent))
        {
            return None;
        }
        if fraction.is_none() && exponent.is_none() {
            return token.parse::<i64>().ok().map(Node::Int);
        }
        let float: f64 = token.parse().ok()?;
        float.is_finite().then_some(Node::Float(float))
    }

    fn array(&mut self) -> Option<Node<'a>> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.blank()?;
            if self.eat(b']') {
                return Some(Node::Array(items));
            }
            items.push(self.value()?);
            self.blank()?;
            if self.eat(b',') {
                continue;
            }
            self.blank()?;
            return self.eat(b']').then_some(Node::Array(items));
        }
    }

    /// `{ key = value, ... }` on one line, without dotted keys or a trailing comma.
    fn inline_table(&mut self) -> Option<Node<'a>> {
        self.pos += 1;
        let mut table: Table<'a> = Vec::new();
        self.spaces();
        if self.eat(b'}') {
            return Some(Node::Table(table));
        }
        loop {
            self.spaces();
            let key = self.key()?;
            self.spaces();
            if !self.eat(b'=') {
                return None;
            }
            self.spaces();
            let value = self.value()?;
            if get_mut(&mut table, &key).is_some() {
                return None;
            }
            table.push((key, value));
            self.spaces();
            if self.eat(b'}') {
                return Some(Node::Table(table));
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    fn literal_string(&mut self) -> Option<Cow<'a, str>> {
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.peek()? {
                b'\'' => {
                    let text = &self.text[start..self.pos];
                    self.pos += 1;
                    return Some(Cow::Borrowed(text));
                }
                b'\t' => {}
                0..0x20 | 0x7f => return None,
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn basic_string(&mut self) -> Option<Cow<'a, str>> {
        self.pos += 1;
        let mut out: Option<String> = None;
        let mut start = self.pos;
        loop {
            match self.peek()? {
                b'"' => {
                    let text = finish(out, &self.text[start..self.pos]);
                    self.pos += 1;
                    return Some(text);
                }
                b'\\' => {
                    let out = out.get_or_insert_with(String::new);
                    out.push_str(&self.text[start..self.pos]);
                    self.pos += 1;
                    out.push(self.escape()?);
                    start = self.pos;
                }
                b'\t' => self.pos += 1,
                0..0x20 | 0x7f => return None,
                _ => self.pos += 1,
            }
        }
    }

    /// The character an escape (after its backslash) stands for.
    fn escape(&mut self) -> Option<char> {
        let byte = self.peek()?;
        self.pos += 1;
        let hex = |reader: &mut Self, len: usize| -> Option<char> {
            let digits = reader.text.get(reader.pos..reader.pos + len)?;
            if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            reader.pos += len;
            char::from_u32(u32::from_str_radix(digits, 16).ok()?)
        };
        match byte {
            b'b' => Some('\u{8}'),
            b't' => Some('\t'),
            b'n' => Some('\n'),
            b'f' => Some('\u{c}'),
            b'r' => Some('\r'),
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'u' => hex(self, 4),
            b'U' => hex(self, 8),
            _ => None,
        }
    }

    fn multiline_basic_string(&mut self) -> Option<Cow<'a, str>> {
        self.pos += 3;
        self.opening_newline();
        let mut out: Option<String> = None;
        let mut start = self.pos;
        loop {
            match self.peek()? {
                b'"' if self.rest().starts_with(b"\"\"\"") => {
                    // Quotes right before the closing ones belong to the string; leave
                    // those to `toml`.
                    if self.rest().starts_with(b"\"\"\"\"") {
                        return None;
                    }
                    let text = finish(out, &self.text[start..self.pos]);
                    self.pos += 3;
                    return Some(text);
                }
                b'\\' => {
                    let out = out.get_or_insert_with(String::new);
                    out.push_str(&self.text[start..self.pos]);
                    self.pos += 1;
                    if matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                        // A line-ending backslash swallows the newline and the indentation.
                        self.spaces();
                        if self.peek() != Some(b'\n') {
                            return None;
                        }
                        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n')) {
                            self.pos += 1;
                        }
                    } else {
                        out.push(self.escape()?);
                    }
                    start = self.pos;
                }
                b'\t' | b'\n' => self.pos += 1,
                0..0x20 | 0x7f => return None,
                _ => self.pos += 1,
            }
        }
    }

    fn multiline_literal_string(&mut self) -> Option<Cow<'a, str>> {
        self.pos += 3;
        self.opening_newline();
        let start = self.pos;
        loop {
            match self.peek()? {
                b'\'' if self.rest().starts_with(b"'''") => {
                    if self.rest().starts_with(b"''''") {
                        return None;
                    }
                    let text = &self.text[start..self.pos];
                    self.pos += 3;
                    return Some(Cow::Borrowed(text));
                }
                b'\t' | b'\n' => self.pos += 1,
                0..0x20 | 0x7f => return None,
                _ => self.pos += 1,
            }
        }
    }

    /// A newline right after the opening quotes is not part of a multi-line string.
    fn opening_newline(&mut self) {
        self.eat(b'\n');
    }
}

/// The text read so far: borrowed when there was no escape.
fn finish<'a>(escaped: Option<String>, tail: &'a str) -> Cow<'a, str> {
    match escaped {
        None => Cow::Borrowed(tail),
        Some(mut text) => {
            text.push_str(tail);
            Cow::Owned(text)
        }
    }
}

fn get_mut<'t, 'a>(table: &'t mut Table<'a>, key: &str) -> Option<&'t mut Node<'a>> {
    table.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Sets `path` (a dotted key) in `table`; `None` for a key set twice or a table that is not
/// open to dotted keys.
fn insert<'a>(table: &mut Table<'a>, path: &[Cow<'a, str>], value: Node<'a>, implicit: &mut Vec<String>) -> Option<()> {
    let (last, parents) = path.split_last()?;
    let mut table = table;
    let mut prefix = String::new();
    for part in parents {
        if !prefix.is_empty() {
            prefix.push('.');
        }
        prefix.push_str(part);
        let index = match table.iter().position(|(k, _)| k == part) {
            Some(index) if implicit.contains(&prefix) => index,
            Some(_) => return None,
            None => {
                implicit.push(prefix.clone());
                table.push((part.clone(), Node::Table(Vec::new())));
                table.len() - 1
            }
        };
        let Node::Table(next) = &mut table[index].1 else { return None };
        table = next;
    }
    if get_mut(table, last).is_some() {
        return None;
    }
    table.push((last.clone(), value));
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde::Deserialize;

    /// `toml`'s reading of `text`, as JSON.
    fn reference(text: &str) -> Option<serde_json::Value> {
        let table: toml::Table = toml::from_str(text).ok()?;
        Some(serde_json::to_value(table).expect("TOML values convert to JSON"))
    }

    /// The fast reader either agrees with `toml` or gives up; `fast` says which is expected.
    fn check(text: &str, fast: bool) {
        let got = parse(text);
        assert_eq!(got.is_some(), fast, "fast reader on {text:?}: {got:?}");
        if let Some(got) = got {
            let got = serde_json::Value::deserialize(got).expect("a tree reads as JSON");
            assert_eq!(Some(got), reference(text), "{text:?}");
        }
    }

    #[test]
    fn agrees_with_toml_or_gives_up() {
        let agree = [
            "",
            "\n\n# only a comment\n",
            "revision = \"a1\"\ndown_revision = [\"b2\", 'c3',]\nmessage = 'it is'\n",
            "revision = \"a1\"  # trailing comment\r\nmessage = \"crlf\"\r\n",
            "a = 1\nb = -2\nc = +3\nd = 1.5\ne = -0.25\nf = 1e3\ng = 2.5E-2\nh = 0\ni = true\nj = false\n",
            "s = \"tab\\there \\\"q\\\" \\\\ \\u00e9 \\U0001F600 é\"\n",
            "s = \"\"\"\nfirst\n  second \"quoted\" \\\n    joined\"\"\"\n",
            "s = '''\nraw \\n 'single' ''' \n",
            "t = {}\nu = { a = 1, b = { c = [1, 2] }, 'd e' = \"x\" }\n",
            "x = [\n  { a = 1 },  # one\n  { a = 2 },\n\n]\n",
            "[[upgrade]]\nop = \"drop_table\"\ntable = \"t\"\n\n[[downgrade]]\nop = 'x'\n[[upgrade]]\nop = \"y\"\n",
            "[[upgrade]]\nexisting.table = \"t\"\nexisting.columns = [{ name = \"id\" }]\nexisting.more.deep = 1\n",
            "  [[ upgrade ]]  # spaced\n  op = \"sql\"\n",
            "\"quoted key\" = 1\n'literal key' = 2\nbare-key_1 = 3\n",
            "a = []\nb = [[1, 2], [\"x\"]]\n",
            "a = \"\"\"\n\"\"\"\nb = ''''''\nc = \"\\\"\\\"\\\"\"\nd = \"\"\n",
            "a . b = 1\na. c = 'x'\n\"ключ\" = 2\n",
            "a = -0\nb = 9223372036854775807\nc = -9223372036854775808\n",
            "s = \"\"\"\nescaped \\\\\nnewline kept\"\"\"\n",
        ];
        for text in agree {
            check(text, true);
        }
        let give_up = [
            // Outside the subset, though valid.
            "created = 2026-11-22T10:00:00Z\n",
            "n = 1_000\n",
            "n = 0x1f\n",
            "n = inf\n",
            "[table]\na = 1\n",
            "[[other]]\na = 1\n",
            "t = { a = 1, }\n",
            "t = {\n a = 1 }\n",
            "s = \"\"\"a\"\"\"\"\n",
            "s = \"\\e\"\n",
            // Invalid TOML.
            "a = 1\na = 2\n",
            "upgrade = []\n[[upgrade]]\nop = \"x\"\n",
            "t = { a = 1 }\nt.b = 2\n",
            "a.b = 1\na = 2\n",
            "a = \"unterminated\n",
            "message = 'it''s'\n",
            "a = 'x\ny'\n",
            "a = 1 b = 2\n",
            "a = truex\n",
            "a = 01\n",
            "a = 1.\n",
            "a = .5\n",
            "a = [1 2]\n",
            "a = \"\\q\"\n",
            "a = \"bell \u{7}\"\n",
            "= 1\n",
            "a\n",
            "a = \"x\" # bad \u{1}\n",
            "a = 1\r",
            "\u{feff}a = 1\n",
            "a = 9223372036854775808\n",
            "a = 1e400\n",
            "a = 3.0e\n",
            "s = '''\r\nx'''\n",
            "s = \"\"\"x\\ y\"\"\"\n",
        ];
        for text in give_up {
            check(text, false);
        }
        // Nesting past the bound is left to `toml`, deep or shallow.
        let nested = |depth: usize| {
            format!(
                "a = {}{}\nb = {{ c = {}1{} }}\n",
                "[".repeat(depth),
                "]".repeat(depth),
                "{ d = ".repeat(depth),
                " }".repeat(depth)
            )
        };
        check(&nested(MAX_DEPTH - 1), true);
        check(&nested(MAX_DEPTH + 1), false);
    }

    /// A hostile file nesting arrays or inline tables a hundred thousand deep is an error,
    /// not a stack overflow.
    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let path = std::path::Path::new("versions/a1_deep.toml");
        for (open, close) in [("[", "]"), ("{ a = ", " }")] {
            let depth = 100_000;
            let text = format!("revision = \"a1\"\nx = {}1{}\n", open.repeat(depth), close.repeat(depth));
            let error = crate::script::Revision::parse(&text, path).expect_err("too deep");
            assert!(error.to_string().contains("a1_deep.toml"), "{error}");
        }
    }

    #[test]
    fn reads_what_new_revision_writes_and_the_design_examples() {
        use crate::script::{NewRevision, RevisionId};

        let design_base = r#"
revision = "1a2b3c4d5e6f"
message = "create users"
created = "2026-11-21T09:00:00Z"

[[upgrade]]
op = "create_table"
table = "users"
columns = [
  { name = "id", type = "bigint", nullable = false, identity = true },
  { name = "email", type = "varchar(255)", nullable = false },
  { name = "active", type = "boolean", nullable = false, default = { value = true } },
  { name = "created_at", type = "timestamptz", nullable = false, default = { expr = "current_timestamp" } },
]
primary_key = ["id"]

[[upgrade]]
op = "create_index"
table = "users"
name = "ix_users_email"
columns = ["email"]
unique = true

[[upgrade]]
op = "sql"                       # raw SQL; `dialect = "postgresql"` limits it to one backend
sql = "INSERT INTO users (email) VALUES ('admin@example.com')"

[[downgrade]]
op = "drop_table"
table = "users"
"#;
        check(design_base, true);
        let design_child = "revision = \"3f2a9c1b7d04\"\ndown_revision = \"1a2b3c4d5e6f\"   # a list for a merge\n\
            message = \"add age to users\"\ncreated = \"2026-11-22T10:00:00Z\"\n# branch_labels = [\"billing\"]\n\n\
            [[upgrade]]\nop = \"add_column\"\ntable = \"users\"\n\
            column = { name = \"age\", type = \"integer\", nullable = true }\n\n\
            [[downgrade]]\nop = \"drop_column\"\ntable = \"users\"\ncolumn = \"age\"\n";
        check(design_child, true);

        #[derive(serde::Deserialize)]
        struct Ops {
            upgrade: Vec<crate::ops::Op>,
        }
        let upgrade = toml::from_str::<Ops>(design_base).expect("valid ops").upgrade;
        let mut upgrade_with_text = upgrade.clone();
        upgrade_with_text.push(crate::ops::Op::Sql {
            sql: "UPDATE t SET a = 'x\\y'\n  WHERE b = \"q\" -- ünï\n".to_owned(),
            down: Some("tab\there".to_owned()),
            dialect: None,
        });
        let new = NewRevision {
            id: RevisionId::parse("a1").unwrap(),
            down_revisions: vec![RevisionId::parse("b2").unwrap(), RevisionId::parse("c3").unwrap()],
            message: "it's \"quoted\"\nand multi-line".to_owned(),
            created: "2026-11-22T10:00:00Z".to_owned(),
            branch_labels: vec!["billing".to_owned()],
            depends_on: vec![RevisionId::parse("d4").unwrap()],
            transactional: false,
            downgrade: crate::ops::downgrade_of(&upgrade[..2]).expect("reversible"),
            downgrade_written: false,
            notes: Default::default(),
            upgrade: upgrade_with_text,
        };
        check(&new.to_toml(), true);
        let empty = NewRevision { upgrade: Vec::new(), downgrade: Vec::new(), ..new };
        check(&empty.to_toml(), true);
    }
}
