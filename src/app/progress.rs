//! Progress of a `run` while it simulates: how far each policy has got in simulated time, shown
//! on stderr once the run has lasted a couple of wall seconds.
//!
//! Each policy's record sink is wrapped in a [`Counted`] sink that counts the requests it sees
//! and, every few thousand, publishes the count and the virtual time reached to the policy's
//! [`Slot`] (two relaxed atomic stores); the wrapped sink also obeys the run's [`StopFlag`].
//! A watcher thread reads the slots a few times a second and draws a bar (or, with
//! `SWITCHYARD_PROGRESS=plain`, prints plain lines, for logs and tests). It decides what
//! progress is and how it is shown; it must not change what the simulation does or records —
//! the wrapped sink forwards every record untouched, so the report is the same with or without
//! a watcher. It is an edge of the command line and may read the wall clock.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use super::interrupt::{StopFlag, StopWhen};
use crate::metrics::{RecordSink, RequestRecord};
use crate::router::{Cooldown, DeploymentIdx};
use crate::time::Time;

/// Records between two publications of a policy's progress.
const PUBLISH_EVERY: u64 = 4096;

/// Wall time before the bar appears: short runs (and tests) print nothing.
const SHOW_AFTER: Duration = Duration::from_secs(2);

/// Time between two redraws.
const TICK: Duration = Duration::from_millis(250);

/// Where a policy is: not started (0, a slot's default), simulating, or done.
const RUNNING: u8 = 1;
const DONE: u8 = 2;

/// One policy's published progress.
#[derive(Debug, Default)]
pub struct Slot {
    state: AtomicU8,
    requests: AtomicU64,
    reached_ns: AtomicU64,
}

/// The progress of one run: a slot per policy and the arrival window they cover.
#[derive(Debug)]
pub struct Progress {
    slots: Vec<Slot>,
    window: Time,
    stop: StopFlag,
}

/// What the watcher reads: a consistent-enough picture of the run at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    /// Policies in the run.
    pub policies: usize,
    /// Policies finished.
    pub done: usize,
    /// Policies simulating now.
    pub running: usize,
    /// Requests simulated so far, all policies together.
    pub requests: u64,
    /// The share of the whole run's simulated time covered, 0 to 1 (each policy counts its
    /// window once).
    pub fraction: f64,
    /// The furthest virtual time a running policy has reached, in seconds.
    pub reached_s: f64,
    /// The arrival window, in seconds.
    pub window_s: f64,
}

impl Progress {
    /// The progress of `policies` policies over an arrival window of `window`, obeying `stop`.
    pub fn new(policies: usize, window: Duration, stop: StopFlag) -> Self {
        Progress {
            slots: (0..policies).map(|_| Slot::default()).collect(),
            window: Time::from_nanos(u64::try_from(window.as_nanos()).unwrap_or(u64::MAX)),
            stop,
        }
    }

    /// The progress of a run nobody watches or stops (library callers and tests).
    pub fn unwatched(policies: usize, window: Duration) -> Self {
        Self::new(policies, window, StopFlag::new())
    }

    /// `sink`, counted into policy `index`'s slot and obeying the run's stop flag. Marks the
    /// policy as running.
    pub fn sink<S: RecordSink>(&self, index: usize, sink: S) -> StopWhen<Counted<'_, S>> {
        let slot = &self.slots[index];
        slot.state.store(RUNNING, Ordering::Relaxed);
        StopWhen {
            sink: Counted {
                sink,
                slot,
                requests: 0,
            },
            flag: self.stop.clone(),
        }
    }

    /// Marks policy `index` as finished.
    pub fn finished(&self, index: usize) {
        self.slots[index].state.store(DONE, Ordering::Relaxed);
    }

    /// The run's stop flag.
    pub fn stop_flag(&self) -> &StopFlag {
        &self.stop
    }

    /// Reads every slot.
    pub fn snapshot(&self) -> Snapshot {
        let window = self.window.as_nanos().max(1);
        let mut s = Snapshot {
            policies: self.slots.len(),
            done: 0,
            running: 0,
            requests: 0,
            fraction: 0.0,
            reached_s: 0.0,
            window_s: self.window.as_secs_f64(),
        };
        let mut covered = 0.0;
        for slot in &self.slots {
            s.requests += slot.requests.load(Ordering::Relaxed);
            let reached = slot.reached_ns.load(Ordering::Relaxed).min(window);
            match slot.state.load(Ordering::Relaxed) {
                DONE => {
                    s.done += 1;
                    covered += 1.0;
                }
                RUNNING => {
                    s.running += 1;
                    covered += reached as f64 / window as f64;
                    s.reached_s = s.reached_s.max(reached as f64 / 1e9);
                }
                _ => {}
            }
        }
        s.fraction = covered / self.slots.len().max(1) as f64;
        s
    }
}

/// A record sink that forwards everything and publishes how far it has got.
#[derive(Debug)]
pub struct Counted<'a, S> {
    sink: S,
    slot: &'a Slot,
    requests: u64,
}

impl<S> Counted<'_, S> {
    fn publish(&self, reached: Time) {
        self.slot.requests.store(self.requests, Ordering::Relaxed);
        self.slot
            .reached_ns
            .fetch_max(reached.as_nanos(), Ordering::Relaxed);
    }
}

impl<S: RecordSink> RecordSink for Counted<'_, S> {
    fn attempt(&mut self, deployment: DeploymentIdx, ok: bool) {
        self.sink.attempt(deployment, ok);
    }

    fn cooldown(&mut self, deployment: DeploymentIdx, now: Time, cooldown: Cooldown) {
        self.sink.cooldown(deployment, now, cooldown);
    }

    fn budget_sample(&mut self, at: Time, budget: &str, spent: f64, limit: f64) {
        self.sink.budget_sample(at, budget, spent, limit);
    }

    fn request(&mut self, record: &RequestRecord<'_>) {
        self.sink.request(record);
        self.requests += 1;
        if self.requests.is_multiple_of(PUBLISH_EVERY) {
            self.publish(record.arrival);
        }
    }

    fn stop_requested(&self) -> bool {
        self.sink.stop_requested()
    }
}

impl<S> Drop for Counted<'_, S> {
    fn drop(&mut self) {
        self.slot.requests.store(self.requests, Ordering::Relaxed);
    }
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// Not at all.
    Hidden,
    /// A bar on the terminal, once the run has lasted [`SHOW_AFTER`].
    Bar,
    /// A plain line on stderr from the first tick on, then one a second
    /// (`SWITCHYARD_PROGRESS=plain`).
    Plain,
}

impl Display {
    /// The display for a run: hidden with `quiet`; plain lines when the environment asks
    /// (`SWITCHYARD_PROGRESS=plain`); a bar when stderr is a terminal; else hidden.
    pub fn choose(quiet: bool) -> Display {
        use std::io::IsTerminal;
        if quiet {
            Display::Hidden
        } else if std::env::var("SWITCHYARD_PROGRESS").is_ok_and(|v| v == "plain") {
            Display::Plain
        } else if std::io::stderr().is_terminal() {
            Display::Bar
        } else {
            Display::Hidden
        }
    }
}

/// Runs `work` while a watcher thread shows `progress` as `display` says; the display is
/// cleared when `work` returns.
pub fn watch<T>(progress: &Progress, display: Display, work: impl FnOnce() -> T) -> T {
    if display == Display::Hidden {
        return work();
    }
    let (done, finished) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        scope.spawn(move || show(progress, display, &finished));
        let result = work();
        drop(done);
        result
    })
}

/// The watcher: redraws every [`TICK`] until the sender of `finished` is dropped.
#[allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "the progress display is wall-clock by nature; the simulation never reads a clock"
)]
fn show(progress: &Progress, display: Display, finished: &mpsc::Receiver<()>) {
    let started = std::time::Instant::now();
    let mut bar: Option<indicatif::ProgressBar> = None;
    let mut ticks = 0u64;
    while let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(TICK) {
        ticks += 1;
        let elapsed = started.elapsed();
        let snapshot = progress.snapshot();
        let text = line(&snapshot, elapsed.as_secs_f64());
        match display {
            // Plain lines go to logs: the first at once, then one a second.
            Display::Plain if ticks % 4 == 1 => {
                super::output::err(format_args!("progress: {text}"))
            }
            Display::Bar if elapsed >= SHOW_AFTER => {
                let bar = bar.get_or_insert_with(new_bar);
                bar.set_position((snapshot.fraction * 1000.0) as u64);
                bar.set_message(text);
            }
            _ => {}
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

/// A bar of 1000 steps with the progress line beside it, cut to the terminal's width.
fn new_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(1000);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:20} {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// The progress line: policies, virtual time reached over the window, requests, speed, time left.
pub fn line(s: &Snapshot, elapsed_s: f64) -> String {
    let current = (s.done + s.running.max(1)).min(s.policies);
    let policy = if s.running > 1 {
        format!("policies {}–{current} of {}", s.done + 1, s.policies)
    } else {
        format!("policy {current} of {}", s.policies)
    };
    let speed = s.requests as f64 / elapsed_s.max(1e-9);
    let eta = if s.fraction > 0.0 {
        clock(elapsed_s * (1.0 - s.fraction) / s.fraction)
    } else {
        "?".to_string()
    };
    format!(
        "{policy}, {} / {} simulated ({:.0} %), {} requests, {} requests/s, {eta} left",
        clock(s.reached_s),
        clock(s.window_s),
        s.fraction * 100.0,
        s.requests,
        speed.round()
    )
}

/// Seconds as `1h02m03s`, `2m03s` or `3s`.
fn clock(secs: f64) -> String {
    let t = secs.max(0.0).round() as u64;
    let (h, m, s) = (t / 3600, t / 60 % 60, t % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s:02}s"),
        _ => format!("{h}h{m:02}m{s:02}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_policy_the_virtual_time_and_what_is_left() {
        let s = Snapshot {
            policies: 3,
            done: 1,
            running: 1,
            requests: 120_000,
            fraction: 0.5,
            reached_s: 1800.0,
            window_s: 3600.0,
        };
        assert_eq!(
            line(&s, 10.0),
            "policy 2 of 3, 30m00s / 1h00m00s simulated (50 %), 120000 requests, \
             12000 requests/s, 10s left"
        );
        let parallel = Snapshot { running: 2, ..s };
        assert!(line(&parallel, 10.0).starts_with("policies 2–3 of 3"));
    }

    #[test]
    fn a_counted_sink_publishes_every_few_thousand_records_and_at_the_end() {
        let progress = Progress::new(2, Duration::from_secs(100), StopFlag::new());
        let record = |i: u64| RequestRecord {
            id: i,
            arrival: Time::from_secs_f64(i as f64 / 1000.0),
            end: Time::from_secs_f64(i as f64 / 1000.0 + 1.0),
            class: 0,
            result: crate::router::CallResult::Failed(crate::router::Failed {
                class: crate::router::ErrorClass::Timeout,
                retry_after: None,
                last_deployment: None,
                attempts: 1,
                retries: 0,
                fallbacks: 0,
                out_of_deployments: false,
            }),
            time_to_first_token: None,
            input_tokens: 1,
            output_tokens: 0,
            cost_usd: 0.0,
            failed_groups: &[],
            final_group: None,
            client: Default::default(),
        };
        {
            let mut sink = progress.sink(0, crate::metrics::Discard);
            for i in 0..=PUBLISH_EVERY {
                sink.request(&record(i));
            }
            let s = progress.snapshot();
            assert_eq!((s.running, s.done, s.requests), (1, 0, PUBLISH_EVERY));
            assert!((s.reached_s - (PUBLISH_EVERY - 1) as f64 / 1000.0).abs() < 1e-6);
        }
        progress.finished(0);
        let s = progress.snapshot();
        assert_eq!((s.running, s.done, s.requests), (0, 1, PUBLISH_EVERY + 1));
        assert!((s.fraction - 0.5).abs() < 1e-9);
    }

    #[test]
    fn the_wrapped_sink_obeys_the_stop_flag() {
        let flag = StopFlag::new();
        let progress = Progress::new(1, Duration::from_secs(1), flag.clone());
        let sink = progress.sink(0, crate::metrics::Discard);
        assert!(!sink.stop_requested());
        flag.stop();
        assert!(sink.stop_requested());
    }
}
