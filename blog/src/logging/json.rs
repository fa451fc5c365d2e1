//! `LOG_FORMAT=json`: one JSON object per line, written straight to the line. The fields of
//! the spans an event happened in (a request's id, method and path) are rendered as JSON once,
//! when the span opens, and copied into each of its lines. tracing-subscriber's own JSON
//! format stores them as text and parses them back for every line, which made a request's
//! access log cost as much as the rest of serving `/health`.
//!
//! A line: `{"timestamp":"…","level":"INFO","message":"request finished","status":200,
//! "latency_ms":0.8,"request_id":"…","method":"GET","path":"/posts/1","target":"blog::logging"}`.
//! Every string is escaped, so no value (a path, a header a client sent) can end a line early
//! or carry a terminal escape sequence.

use std::fmt::{self, Write};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The line of an event: time, level, the event's fields, its spans' fields, target.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonLines;

/// A span's fields as the inside of a JSON object (`"a":1,"b":"x"`), kept with the span.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonFields;

impl<S> FormatEvent<S, JsonFields> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let metadata = event.metadata();
        writer.write_str("{\"timestamp\":\"")?;
        SystemTime.format_time(&mut writer)?;
        write!(writer, "\",\"level\":\"{}\"", metadata.level())?;
        let mut fields = JsonVisitor::new(&mut writer, false);
        event.record(&mut fields);
        fields.result?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                if let Some(stored) = extensions.get::<FormattedFields<JsonFields>>()
                    && !stored.fields.is_empty()
                {
                    writer.write_char(',')?;
                    writer.write_str(&stored.fields)?;
                }
            }
        }
        writer.write_str(",\"target\":")?;
        write_string(&mut writer, metadata.target())?;
        writer.write_str("}\n")
    }
}

impl<'writer> FormatFields<'writer> for JsonFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = JsonVisitor::new(&mut writer, true);
        fields.record(&mut visitor);
        visitor.result
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let first = current.fields.is_empty();
        let mut writer = current.as_writer();
        let mut visitor = JsonVisitor::new(&mut writer, first);
        fields.record(&mut visitor);
        visitor.result
    }
}

/// Writes each field as `,"name":value` (no comma before the first when `first`).
struct JsonVisitor<'a, 'w> {
    writer: &'a mut Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl<'a, 'w> JsonVisitor<'a, 'w> {
    fn new(writer: &'a mut Writer<'w>, first: bool) -> Self {
        JsonVisitor { writer, first, result: Ok(()) }
    }

    fn field(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'w>) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        let separator = if self.first { "" } else { "," };
        self.first = false;
        self.result = self
            .writer
            .write_str(separator)
            .and_then(|()| write_string(self.writer, field.name()))
            .and_then(|()| self.writer.write_char(':'))
            .and_then(|()| value(self.writer));
    }
}

impl Visit for JsonVisitor<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, |w| write_string(w, value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |w| write!(w, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |w| write!(w, "{value}"));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN or infinity.
        self.field(field, |w| if value.is_finite() { write!(w, "{value}") } else { w.write_str("null") });
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |w| write!(w, "{value}"));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.field(field, |w| write_quoted(w, format_args!("{value}")));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, |w| write_quoted(w, format_args!("{value:?}")));
    }
}

fn write_string(writer: &mut impl Write, value: &str) -> fmt::Result {
    writer.write_char('"')?;
    Escaped(writer).write_str(value)?;
    writer.write_char('"')
}

/// Writes formatted text as a JSON string without collecting it first.
fn write_quoted(writer: &mut impl Write, value: fmt::Arguments<'_>) -> fmt::Result {
    writer.write_char('"')?;
    Escaped(&mut *writer).write_fmt(value)?;
    writer.write_char('"')
}

/// Escapes what it is given for the inside of a JSON string.
struct Escaped<'a, W: Write>(&'a mut W);

impl<W: Write> Write for Escaped<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut plain = 0;
        for (at, byte) in text.bytes().enumerate() {
            let escape = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0..=0x1f | 0x7f => "",
                _ => continue,
            };
            self.0.write_str(&text[plain..at])?;
            if escape.is_empty() {
                write!(self.0, "\\u{byte:04x}")?;
            } else {
                self.0.write_str(escape)?;
            }
            plain = at + 1;
        }
        self.0.write_str(&text[plain..])
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use serde_json::{Value, json};

    use super::*;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("not poisoned").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// The lines `log` writes through the JSON format, each parsed.
    fn logged(log: impl FnOnce()) -> Vec<Value> {
        let lines = Lines::default();
        let sink = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .fmt_fields(JsonFields)
            .event_format(JsonLines)
            .finish();
        tracing::subscriber::with_default(subscriber, log);
        let text = String::from_utf8(lines.0.lock().expect("not poisoned").clone()).expect("UTF-8");
        text.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))).collect()
    }

    #[test]
    fn a_line_carries_the_event_and_its_spans() {
        let lines = logged(|| {
            let span = tracing::info_span!("request", request_id = %"ab-1", method = %"GET", path = %"/posts/1");
            let _entered = span.enter();
            let inner = tracing::info_span!("inner", attempt = 2_u64);
            let _inner = inner.enter();
            tracing::info!(status = 200_u16, latency_ms = 0.5, slow = false, delta = -3_i64, "request finished");
        });
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["message"], "request finished");
        for (key, value) in [
            ("status", json!(200)),
            ("latency_ms", json!(0.5)),
            ("slow", json!(false)),
            ("delta", json!(-3)),
            ("request_id", json!("ab-1")),
            ("method", json!("GET")),
            ("path", json!("/posts/1")),
            ("attempt", json!(2)),
            ("target", json!(module_path!())),
        ] {
            assert_eq!(line[key], value, "{key} in {line}");
        }
        let timestamp = line["timestamp"].as_str().expect("a timestamp");
        assert!(chrono::DateTime::parse_from_rfc3339(timestamp).is_ok(), "{timestamp}");
    }

    #[test]
    fn fields_recorded_later_join_the_span() {
        let lines = logged(|| {
            let span = tracing::info_span!("request", user = tracing::field::Empty);
            span.record("user", 7_u64);
            let _entered = span.enter();
            tracing::warn!("denied");
        });
        assert_eq!(lines[0]["user"], 7);
        assert_eq!(lines[0]["level"], "WARN");
    }

    #[test]
    fn no_value_can_break_a_line() {
        let hostile = "/posts/\"1\"\\\n{\"level\":\"ERROR\"}\r\t\u{1b}[31m\u{7f}\u{0}é";
        let lines = logged(|| {
            let span = tracing::info_span!("request", path = %hostile);
            let _entered = span.enter();
            tracing::info!(header = hostile, debugged = ?hostile, "seen {hostile}");
        });
        assert_eq!(lines.len(), 1, "one event, one line");
        let line = &lines[0];
        assert_eq!(line["path"], hostile);
        assert_eq!(line["header"], hostile);
        assert_eq!(line["debugged"], format!("{hostile:?}"));
        assert_eq!(line["message"], format!("seen {hostile}"));
        assert_eq!(line["level"], "INFO");
    }

    #[test]
    fn numbers_json_cannot_hold_are_null() {
        let lines = logged(|| tracing::info!(ratio = f64::NAN, big = f64::INFINITY, "odd"));
        assert_eq!(lines[0]["ratio"], Value::Null);
        assert_eq!(lines[0]["big"], Value::Null);
    }
}
