//! The replay's text views: `replay.md` (for a pull request) and the terminal tables.
//!
//! Both show the same three things: candidate against current with intervals and verdicts,
//! where the attempts' answers came from, and the replay held against the log with its
//! tolerances. It decides wording and layout; the numbers are the [`ReplayReport`]'s.

use std::fmt::Write as _;

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use super::comparison::IntervalOut;
use super::replay::{ConfigReplay, ReplayMetric, ReplayReport, TrustRow};
use super::table::fmt_value as num;

fn interval(i: IntervalOut) -> String {
    format!("{} [{}, {}]", num(i.mean), num(i.low), num(i.high))
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// The metric rows: metric, current, candidate, difference, verdict (without a current
/// config: metric and candidate).
fn metric_rows(r: &ReplayReport) -> Vec<Vec<String>> {
    let current = r.current.as_ref();
    r.candidate
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut row = vec![m.metric.to_string()];
            if let Some(c) = current {
                row.push(interval(c.metrics[i].value));
            }
            row.push(interval(m.value));
            if current.is_some() {
                row.push(m.difference.map_or("—".into(), interval));
                row.push(verdict(m));
            }
            row
        })
        .collect()
}

fn verdict(m: &ReplayMetric) -> String {
    m.verdict.map_or("—".into(), |v| v.label().to_string())
}

fn metric_header(r: &ReplayReport) -> Vec<&'static str> {
    if r.current.is_some() {
        vec![
            "metric",
            "current [95 % CI]",
            "candidate [95 % CI]",
            "candidate − current [95 % CI]",
            "verdict",
        ]
    } else {
        vec!["metric", "candidate [95 % CI]"]
    }
}

fn answers_rows(r: &ReplayReport) -> Vec<Vec<String>> {
    let row = |c: &ConfigReplay| {
        vec![
            format!("{} ({})", c.role, c.config),
            c.answers.attempts.to_string(),
            pct(c.answers.observed),
            pct(c.answers.fitted),
            pct(c.answers.modelled),
        ]
    };
    std::iter::once(&r.candidate)
        .chain(r.current.as_ref())
        .map(row)
        .collect()
}

const ANSWERS_HEADER: [&str; 5] = ["config", "attempts", "observed", "fitted", "modelled"];
const TRUST_HEADER: [&str; 6] = [
    "measure",
    "logged",
    "replayed",
    "difference",
    "tolerance",
    "ok",
];

fn trust_rows(r: &ReplayReport) -> Vec<Vec<String>> {
    r.trust.rows.iter().map(trust_row).collect()
}

fn trust_row(t: &TrustRow) -> Vec<String> {
    let tol = &t.tolerance;
    let tolerance = match (tol.absolute > 0.0, tol.relative > 0.0) {
        (true, true) => format!("±{} or ±{:.0} %", num(tol.absolute), tol.relative * 100.0),
        (true, false) => format!("±{}", num(tol.absolute)),
        _ => format!("±{:.0} %", tol.relative * 100.0),
    };
    vec![
        t.measure.clone(),
        num(t.logged),
        num(t.replayed),
        num(t.difference),
        tolerance,
        if t.within { "yes" } else { "NO" }.to_string(),
    ]
}

fn table(header: Vec<&str>, rows: Vec<Vec<String>>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header);
    for row in rows {
        let cells = row.into_iter().enumerate().map(|(i, s)| {
            let c = Cell::new(s);
            if i == 0 {
                c
            } else {
                c.set_alignment(CellAlignment::Right)
            }
        });
        t.add_row(cells.collect::<Vec<_>>());
    }
    t
}

/// The terminal view: the metrics, the answers' provenance and the trust check.
pub fn replay_tables(r: &ReplayReport) -> Vec<Table> {
    vec![
        table(metric_header(r), metric_rows(r)),
        table(ANSWERS_HEADER.to_vec(), answers_rows(r)),
        table(TRUST_HEADER.to_vec(), trust_rows(r)),
    ]
}

fn md_table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", " --- |".repeat(header.len()));
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out.push('\n');
}

/// Lines saying what the reader should know before the numbers.
pub fn notes(r: &ReplayReport) -> Vec<String> {
    let mut notes = Vec::new();
    if !r.every_attempt {
        notes.push("The log records only each request's last attempt: earlier attempts (retries, fallbacks) are answered by fitted profiles.".to_string());
    }
    if r.current.is_none() {
        notes.push("No --baseline-config: the candidate's replay is held against the log; that measures the change, not the replay's fidelity.".to_string());
    }
    if !r.skipped_rows.is_empty() {
        notes.push(format!(
            "{} bad rows were skipped (--skip-bad-rows).",
            r.skipped_rows.len()
        ));
    }
    notes.extend(r.warnings.iter().cloned());
    notes
}

/// `replay.md`.
pub fn replay_md(r: &ReplayReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Replay of {}\n", r.log);
    let _ = writeln!(
        out,
        "{} requests ({}), {} paired seeds, 95 % intervals.\n",
        r.requests,
        r.format,
        r.seeds.len()
    );
    for n in notes(r) {
        let _ = writeln!(out, "- {n}");
    }
    out.push_str("\n## Candidate vs current\n\n");
    md_table(&mut out, &metric_header(r), &metric_rows(r));
    out.push_str("## Where the answers came from\n\n");
    md_table(&mut out, &ANSWERS_HEADER, &answers_rows(r));
    let _ = writeln!(
        out,
        "## How far to trust it: the {} config's replay against the log\n",
        r.trust.role
    );
    md_table(&mut out, &TRUST_HEADER, &trust_rows(r));
    let _ = writeln!(
        out,
        "{}",
        if r.trust.all_within {
            "Every measure is within tolerance."
        } else {
            "Some measures are outside tolerance: read the comparison with care."
        }
    );
    out
}

/// The table rows of the report, for the page: (header, rows) of each section.
pub fn sections(r: &ReplayReport) -> [(Vec<&'static str>, Vec<Vec<String>>); 3] {
    [
        (metric_header(r), metric_rows(r)),
        (ANSWERS_HEADER.to_vec(), answers_rows(r)),
        (TRUST_HEADER.to_vec(), trust_rows(r)),
    ]
}
