//! Progress of `upgrade` and `downgrade` as they run: a line per finished revision (Alembic's
//! `Running upgrade a -> b, message`), and for a revision that takes a while its elapsed
//! time: a spinner redrawn in place on a terminal, a line every few seconds in a file or a
//! pipe. On a terminal, a run of several revisions also shows which one of how many runs.
//!
//! [`Progress`] is driven by the runner's [`StepEvent`]s and by ticks, each with the time it
//! happens at, so its output depends on the events alone and tests feed it made-up times.
//! The clock and the ticking belong to `commands::migrate`.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use crate::cli::output::{join, step_line};
use crate::cli::style::{Console, shown};
use crate::runtime::StepEvent;
use crate::script::{Direction, RevisionId};

/// A revision shows its elapsed time once it has run this long.
const SHOW_AFTER: Duration = Duration::from_secs(1);
/// Off a terminal, how often a long revision says it is still running.
const NOTE_EVERY: Duration = Duration::from_secs(5);
/// How often the clock ticks: on a terminal, the spinner's pace.
pub(super) const TICK_TERMINAL: Duration = Duration::from_millis(100);
/// How often the clock ticks off a terminal: lines are seconds apart anyway.
pub(super) const TICK_PLAIN: Duration = Duration::from_millis(250);

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/// Erases the line the cursor is on and returns to its start.
const CLEAR_LINE: &str = "\r\x1b[2K";
/// The most characters of a revision's label the spinner line shows: a line longer than the
/// terminal wraps, and erasing it would leave its first part behind.
const LABEL_WIDTH: usize = 60;

/// The revision running now.
struct Running {
    /// `upgrade 3f2a9c1b7d04, add users`.
    label: String,
    number: usize,
    total: usize,
    started: Instant,
    /// Off a terminal: when the next "still running" line is due, counted from `started`.
    next_note: Duration,
}

/// Writes a run's progress to its output as events come.
pub(super) struct Progress<'a> {
    out: &'a mut (dyn Write + Send),
    console: Console,
    running: Option<Running>,
    /// A spinner line is on the terminal, to be erased before the next line.
    drawn: bool,
    /// When the spinner line was last drawn: a run of quick revisions redraws it at the
    /// clock's pace, not once per revision, which would cost more than the revisions.
    last_draw: Option<Instant>,
    steps: usize,
    error: Option<io::Error>,
}

impl<'a> Progress<'a> {
    pub(super) fn new(out: &'a mut (dyn Write + Send), console: Console) -> Self {
        Progress { out, console, running: None, drawn: false, last_draw: None, steps: 0, error: None }
    }

    /// How often [`Progress::tick`] should be called.
    pub(super) fn tick_interval(&self) -> Duration {
        if self.console.terminal { TICK_TERMINAL } else { TICK_PLAIN }
    }

    /// A revision started or finished at `now`.
    pub(super) fn event(&mut self, event: StepEvent<'_>, now: Instant) {
        let result = match event {
            StepEvent::Started { revision, direction, number, total } => {
                let verb = match direction {
                    Direction::Up => "upgrade",
                    Direction::Down => "downgrade",
                };
                self.running = Some(Running {
                    label: format!("{verb} {}, {}", revision.id, shown(revision.message_line())),
                    number,
                    total,
                    started: now,
                    next_note: SHOW_AFTER,
                });
                // On a terminal a run of several revisions says at once where it is, unless
                // the line was drawn a moment ago.
                let recently = self.last_draw.is_some_and(|at| now.saturating_duration_since(at) < TICK_TERMINAL);
                if self.console.terminal && total > 1 && !recently { self.draw(now) } else { Ok(()) }
            }
            StepEvent::Retrying { revision, attempt, retries, wait } => {
                let line = format!(
                    "{} gave up waiting for a lock; trying again in {:.1} s (retry {attempt} of \
                     {retries})",
                    revision.id,
                    wait.as_secs_f64()
                );
                self.erase().and_then(|()| writeln!(self.out, "{line}"))
            }
            StepEvent::Finished { report, .. } => {
                self.running = None;
                self.steps += 1;
                self.erase().and_then(|()| writeln!(self.out, "{}", step_line(report)))
            }
        };
        let flushed = result.and_then(|()| self.out.flush());
        self.keep(flushed);
    }

    /// The clock ticked at `now`: redraws the spinner, or writes a line when one is due.
    pub(super) fn tick(&mut self, now: Instant) {
        let Some(running) = &mut self.running else { return };
        let elapsed = now.saturating_duration_since(running.started);
        let result = if self.console.terminal {
            if elapsed >= SHOW_AFTER || running.total > 1 { self.draw(now) } else { Ok(()) }
        } else if elapsed >= running.next_note {
            while running.next_note <= elapsed {
                running.next_note += NOTE_EVERY;
            }
            let of =
                if running.total > 1 { format!(" ({} of {})", running.number, running.total) } else { String::new() };
            writeln!(self.out, "... {}{of}: running for {} s", running.label, elapsed.as_secs())
        } else {
            return;
        };
        let flushed = result.and_then(|()| self.out.flush());
        self.keep(flushed);
    }

    /// Ends the run's output; `heads` is `None` when the run failed.
    pub(super) fn finish(mut self, heads: Option<&[RevisionId]>) -> io::Result<()> {
        let erased = self.erase().and_then(|()| self.out.flush());
        self.keep(erased);
        if let Some(err) = self.error {
            return Err(err);
        }
        match heads {
            Some([]) if self.steps == 0 => writeln!(self.out, "Nothing to do: the database is at base"),
            Some(heads) if self.steps == 0 => writeln!(self.out, "Nothing to do: the database is at {}", join(heads)),
            _ => Ok(()),
        }
    }

    /// The spinner line: `⠹ [3/10] upgrade 3f2a9c1b7d04, add users (2.4 s)`.
    fn draw(&mut self, now: Instant) -> io::Result<()> {
        let Some(running) = &self.running else { return Ok(()) };
        let elapsed = now.saturating_duration_since(running.started);
        let frame = SPINNER[(elapsed.as_millis() / TICK_TERMINAL.as_millis()) as usize % SPINNER.len()];
        let of = if running.total > 1 { format!(" [{}/{}]", running.number, running.total) } else { String::new() };
        let time = if elapsed >= SHOW_AFTER { format!(" ({:.1} s)", elapsed.as_secs_f64()) } else { String::new() };
        let label = match running.label.char_indices().nth(LABEL_WIDTH) {
            Some((cut, _)) => format!("{}…", &running.label[..cut]),
            None => running.label.clone(),
        };
        write!(self.out, "{CLEAR_LINE}{frame}{of} {label}{time}")?;
        self.drawn = true;
        self.last_draw = Some(now);
        Ok(())
    }

    fn erase(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.drawn) { self.out.write_all(CLEAR_LINE.as_bytes()) } else { Ok(()) }
    }

    /// Keeps the first write error for [`Progress::finish`]: a run is not stopped half way
    /// because its output cannot be written.
    fn keep(&mut self, result: io::Result<()>) {
        if let Err(err) = result
            && self.error.is_none()
        {
            self.error = Some(err);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::runtime::StepReport;
    use crate::script::Revision;

    fn revision(id: &str, parent: Option<&str>) -> Revision {
        let parent = parent.map(|p| format!("down_revision = \"{p}\"\n")).unwrap_or_default();
        let text = format!("revision = \"{id}\"\n{parent}message = \"step {id}\"\n");
        Revision::parse(&text, &PathBuf::from(format!("{id}.toml"))).expect("a valid revision")
    }

    fn report(revision: &Revision, millis: u64) -> StepReport {
        StepReport {
            revision: revision.id.clone(),
            down_revisions: revision.down_revisions.clone(),
            direction: Direction::Up,
            message: revision.message.clone(),
            duration: Duration::from_millis(millis),
        }
    }

    /// What happens in a run, at milliseconds from its start.
    enum At {
        Start(usize),
        Tick,
        Finish(usize, u64),
    }

    /// Feeds `events` to a progress for `console` and returns what it wrote.
    fn check(console: Console, events: &[(u64, At)], expected: &str) {
        let revisions = [revision("aaaa00000001", None), revision("bbbb00000002", Some("aaaa00000001"))];
        let total = revisions.len();
        let mut out = Vec::new();
        let origin = Instant::now();
        let mut progress = Progress::new(&mut out, console);
        for (millis, event) in events {
            let now = origin + Duration::from_millis(*millis);
            match event {
                At::Start(i) => progress.event(
                    StepEvent::Started { revision: &revisions[*i], direction: Direction::Up, number: i + 1, total },
                    now,
                ),
                At::Tick => progress.tick(now),
                At::Finish(i, took) => {
                    let report = report(&revisions[*i], *took);
                    progress.event(StepEvent::Finished { report: &report, number: i + 1, total }, now);
                }
            }
        }
        progress.finish(Some(&[revisions[1].id.clone()])).expect("writes to a Vec");
        assert_eq!(String::from_utf8(out).expect("UTF-8"), expected);
    }

    #[test]
    fn a_quick_run_off_a_terminal_is_one_line_per_revision() {
        let events = [
            (0, At::Start(0)),
            (100, At::Tick),
            (120, At::Finish(0, 120)),
            (120, At::Start(1)),
            (200, At::Finish(1, 80)),
        ];
        check(
            Console::PLAIN,
            &events,
            "Running upgrade <base> -> aaaa00000001, step aaaa00000001 (120 ms)\n\
             Running upgrade aaaa00000001 -> bbbb00000002, step bbbb00000002 (80 ms)\n",
        );
    }

    #[test]
    fn a_long_revision_off_a_terminal_says_so_every_few_seconds() {
        let mut events = vec![(0, At::Start(0)), (10, At::Finish(0, 10)), (10, At::Start(1))];
        // Ticks every 250 ms for 12 s: lines at 1 s, 6 s and 11 s of the revision's time.
        events.extend((1..=48).map(|n| (10 + n * 250, At::Tick)));
        events.push((12_100, At::Finish(1, 12_090)));
        check(
            Console::PLAIN,
            &events,
            "Running upgrade <base> -> aaaa00000001, step aaaa00000001 (10 ms)\n\
             ... upgrade bbbb00000002, step bbbb00000002 (2 of 2): running for 1 s\n\
             ... upgrade bbbb00000002, step bbbb00000002 (2 of 2): running for 6 s\n\
             ... upgrade bbbb00000002, step bbbb00000002 (2 of 2): running for 11 s\n\
             Running upgrade aaaa00000001 -> bbbb00000002, step bbbb00000002 (12090 ms)\n",
        );
    }

    #[test]
    fn a_late_tick_off_a_terminal_writes_one_line() {
        // The clock stalled (a busy machine): one line for the time, not one per missed note.
        let events = [(0, At::Start(0)), (16_000, At::Tick), (16_100, At::Tick), (16_200, At::Finish(0, 16_200))];
        check(
            Console::PLAIN,
            &events,
            "... upgrade aaaa00000001, step aaaa00000001 (1 of 2): running for 16 s\n\
             Running upgrade <base> -> aaaa00000001, step aaaa00000001 (16200 ms)\n",
        );
    }

    #[test]
    fn a_terminal_shows_k_of_n_and_a_spinner_with_the_elapsed_time() {
        let terminal = Console { terminal: true, color: false };
        let events = [(0, At::Start(0)), (100, At::Tick), (1_230, At::Tick), (1_300, At::Finish(0, 1_300))];
        check(
            terminal,
            &events,
            "\r\x1b[2K⠋ [1/2] upgrade aaaa00000001, step aaaa00000001\
             \r\x1b[2K⠙ [1/2] upgrade aaaa00000001, step aaaa00000001\
             \r\x1b[2K⠹ [1/2] upgrade aaaa00000001, step aaaa00000001 (1.2 s)\
             \r\x1b[2KRunning upgrade <base> -> aaaa00000001, step aaaa00000001 (1300 ms)\n",
        );
    }

    #[test]
    fn quick_revisions_on_a_terminal_redraw_the_line_at_the_clocks_pace() {
        let terminal = Console { terminal: true, color: false };
        // The second revision starts 30 ms after the line was drawn: the next tick draws it.
        let events = [
            (0, At::Start(0)),
            (20, At::Finish(0, 20)),
            (30, At::Start(1)),
            (100, At::Tick),
            (150, At::Finish(1, 120)),
        ];
        check(
            terminal,
            &events,
            "\r\x1b[2K⠋ [1/2] upgrade aaaa00000001, step aaaa00000001\
             \r\x1b[2KRunning upgrade <base> -> aaaa00000001, step aaaa00000001 (20 ms)\n\
             \r\x1b[2K⠋ [2/2] upgrade bbbb00000002, step bbbb00000002\
             \r\x1b[2KRunning upgrade aaaa00000001 -> bbbb00000002, step bbbb00000002 (120 ms)\n",
        );
    }

    #[test]
    fn a_long_message_is_cut_on_a_terminal_so_the_line_does_not_wrap() {
        // Two bytes a character: a cut by bytes would split one.
        let long = "ü".repeat(50);
        let text = format!("revision = \"aaaa00000001\"\nmessage = \"{long}\"\n");
        let revision = Revision::parse(&text, &PathBuf::from("aaaa00000001.toml")).expect("a valid revision");
        let mut out = Vec::new();
        let origin = Instant::now();
        let mut progress = Progress::new(&mut out, Console { terminal: true, color: false });
        progress
            .event(StepEvent::Started { revision: &revision, direction: Direction::Up, number: 1, total: 2 }, origin);
        drop(progress);
        let line = String::from_utf8(out).expect("UTF-8");
        assert_eq!(line, format!("\r\x1b[2K⠋ [1/2] upgrade aaaa00000001, {}…", "ü".repeat(38)));
    }

    #[test]
    fn a_hostile_message_reaches_the_terminal_escaped() {
        let text = "revision = \"aaaa00000001\"\nmessage = \"a\\u001b[2Jb\"\n";
        let revision = Revision::parse(text, &PathBuf::from("aaaa00000001.toml")).expect("a valid revision");
        let mut out = Vec::new();
        let origin = Instant::now();
        let mut progress = Progress::new(&mut out, Console { terminal: true, color: false });
        progress
            .event(StepEvent::Started { revision: &revision, direction: Direction::Up, number: 1, total: 2 }, origin);
        let report = report(&revision, 5);
        progress.event(StepEvent::Finished { report: &report, number: 1, total: 2 }, origin);
        drop(progress);
        // The spinner's own codes are the only ones.
        let text = String::from_utf8(out).expect("UTF-8");
        assert_eq!(
            text,
            "\r\x1b[2K⠋ [1/2] upgrade aaaa00000001, a\\u{1b}[2Jb\
             \r\x1b[2KRunning upgrade <base> -> aaaa00000001, a\\u{1b}[2Jb (5 ms)\n"
        );
    }

    #[test]
    fn a_failed_run_on_a_terminal_leaves_no_spinner_behind() {
        let terminal = Console { terminal: true, color: false };
        let revisions = [revision("aaaa00000001", None)];
        let mut out = Vec::new();
        let origin = Instant::now();
        let mut progress = Progress::new(&mut out, terminal);
        let started = StepEvent::Started { revision: &revisions[0], direction: Direction::Up, number: 1, total: 1 };
        progress.event(started, origin);
        progress.tick(origin + Duration::from_millis(500));
        progress.tick(origin + Duration::from_millis(2_000));
        progress.finish(None).expect("writes to a Vec");
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "\r\x1b[2K⠋ upgrade aaaa00000001, step aaaa00000001 (2.0 s)\r\x1b[2K",
            "a single revision shows nothing before a second, then its time; the line is erased at the end"
        );
    }

    #[test]
    fn a_retry_after_a_lock_timeout_is_announced_on_its_own_line() {
        let revisions = [revision("aaaa00000001", None)];
        let mut out = Vec::new();
        let origin = Instant::now();
        let mut progress = Progress::new(&mut out, Console::PLAIN);
        progress.event(
            StepEvent::Started { revision: &revisions[0], direction: Direction::Up, number: 1, total: 1 },
            origin,
        );
        let retrying =
            StepEvent::Retrying { revision: &revisions[0], attempt: 1, retries: 3, wait: Duration::from_millis(500) };
        progress.event(retrying, origin + Duration::from_millis(2_000));
        progress.event(StepEvent::Finished { report: &report(&revisions[0], 2_600), number: 1, total: 1 }, origin);
        drop(progress);
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "aaaa00000001 gave up waiting for a lock; trying again in 0.5 s (retry 1 of 3)\n\
             Running upgrade <base> -> aaaa00000001, step aaaa00000001 (2600 ms)\n"
        );
    }
}
