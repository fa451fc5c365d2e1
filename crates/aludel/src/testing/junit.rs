//! A [`Report`] as JUnit XML, the format CI services read test results from: one
//! `<testsuite>` per backend (and one for the files), one `<testcase>` per result.

use std::fmt::Write as _;

use crate::testing::{Outcome, Report};

/// The report as a JUnit XML document.
///
/// # Examples
///
/// ```
/// use aludel::testing::Report;
///
/// let xml = aludel::testing::junit::to_junit(&Report::default());
/// assert!(xml.starts_with("<?xml"));
/// ```
pub fn to_junit(report: &Report) -> String {
    let mut suites: Vec<(String, Vec<&crate::testing::CheckResult>)> = Vec::new();
    for result in &report.results {
        let name = match result.backend {
            Some(backend) => format!("aludel test ({backend})"),
            None => "aludel test (revision files)".to_owned(),
        };
        match suites.iter_mut().find(|(suite, _)| *suite == name) {
            Some((_, results)) => results.push(result),
            None => suites.push((name, vec![result])),
        }
    }
    let count = |outcome: fn(&Outcome) -> bool| report.results.iter().filter(|r| outcome(&r.outcome)).count();
    let failures = count(|o| matches!(o, Outcome::Failed(_)));
    let skipped = count(|o| matches!(o, Outcome::Skipped(_)));
    let seconds = |d: std::time::Duration| format!("{:.3}", d.as_secs_f64());
    let total: std::time::Duration = report.results.iter().map(|r| r.duration).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    writeln!(
        xml,
        "<testsuites name=\"aludel test\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{}\">",
        report.results.len(),
        seconds(total)
    )
    .ok();
    for (name, results) in &suites {
        let failed = results.iter().filter(|r| r.failed()).count();
        let skipped = results.iter().filter(|r| matches!(r.outcome, Outcome::Skipped(_))).count();
        let time: std::time::Duration = results.iter().map(|r| r.duration).sum();
        writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" skipped=\"{skipped}\" time=\"{}\">",
            escape(name),
            results.len(),
            seconds(time)
        )
        .ok();
        for result in results {
            let open = format!(
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
                escape(&format!("aludel.{}", result.check)),
                escape(&result.subject),
                seconds(result.duration)
            );
            match &result.outcome {
                Outcome::Passed => writeln!(xml, "{open}/>").ok(),
                Outcome::Failed(message) => writeln!(
                    xml,
                    "{open}>\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                    escape(first_line(message)),
                    escape(message)
                )
                .ok(),
                Outcome::Skipped(reason) => {
                    writeln!(xml, "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>", escape(reason)).ok()
                }
            };
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// `text` escaped for an XML attribute or text node; characters XML 1.0 cannot hold at all
/// (most control characters) are replaced.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push_str(&format!("&#{};", c as u32)),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Check, CheckResult};

    #[test]
    fn results_become_escaped_test_cases_per_backend() {
        let result = |check, backend, subject: &str, outcome| CheckResult {
            check,
            backend,
            revision: None,
            subject: subject.to_owned(),
            outcome,
            duration: std::time::Duration::from_millis(1500),
        };
        let report = Report {
            results: vec![
                result(Check::Graph, None, "a single head", Outcome::Passed),
                result(
                    Check::Stairway,
                    Some("postgresql"),
                    "revision a1, <users> & \"more\"",
                    Outcome::Failed("downgrade of a1 left index `ix` behind\nsecond\u{1}line".into()),
                ),
                result(Check::Models, Some("postgresql"), "models", Outcome::Skipped("no models".into())),
            ],
            databases: Vec::new(),
        };
        insta::assert_snapshot!(to_junit(&report), @r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites name="aludel test" tests="3" failures="1" skipped="1" time="4.500">
          <testsuite name="aludel test (revision files)" tests="1" failures="0" skipped="0" time="1.500">
            <testcase classname="aludel.graph" name="a single head" time="1.500"/>
          </testsuite>
          <testsuite name="aludel test (postgresql)" tests="2" failures="1" skipped="1" time="3.000">
            <testcase classname="aludel.stairway" name="revision a1, &lt;users&gt; &amp; &quot;more&quot;" time="1.500">
              <failure message="downgrade of a1 left index `ix` behind">downgrade of a1 left index `ix` behind&#10;second�line</failure>
            </testcase>
            <testcase classname="aludel.models" name="models" time="1.500">
              <skipped message="no models"/>
            </testcase>
          </testsuite>
        </testsuites>
        "#);
    }
}
