//! Switchyard's proxy log (docs/live.md): one JSON object per line, every attempt of every
//! request. The file is cut at line ends into parts, each read on the pool into its own
//! builder, and the parts are joined in file order ([`super::join`]), so the result does not
//! depend on the number of threads. A line is read by [`scan`], the fast path, or by
//! serde_json ([`line`]) when the scanner declines it; both give the same value. Fields a
//! replay does not use are ignored; fields added after a log was written are optional. Lines
//! the proxy refused before routing (no model) are listed as not replayed. It decides how a
//! proxy log line is understood and checked.

mod line;
mod scan;

use std::time::Duration;

use rayon::prelude::*;

use super::builder::{BadLine, Builder, DeploymentRef, KindRef, Outcome};
use super::join::join;
use super::timestamp::{SPAN_EXPECTED, span_of_seconds};
use crate::replay::traffic::{RecordedAttempt, RecordedTraffic};
use crate::router::ErrorClass;
use crate::time::Span;
use line::RequestLine;

/// Reads a proxy log: the file is cut at line ends into a few parts per thread, each part read
/// into its own builder on the pool with its lines counted from its own start, and the parts
/// joined in file order once each knows how many lines come before it. With bad rows not
/// skipped, the first part's error is the file's first bad line.
pub(super) fn read(builder: Builder, bytes: &[u8]) -> anyhow::Result<RecordedTraffic> {
    let read: Vec<anyhow::Result<(Builder, u64)>> =
        split_at_lines(bytes, rayon::current_num_threads() * 4)
            .par_iter()
            .map(|part| {
                let mut local = builder.part(rows_in(part));
                let lines = read_part(&mut local, part)?;
                Ok((local, lines))
            })
            .collect();
    let mut parts = Vec::with_capacity(read.len());
    let mut before = 0;
    for result in read {
        let (mut part, lines) = result.map_err(|e| match e.downcast::<BadLine>() {
            Ok(bad) => bad.lines_after(before).into(),
            Err(e) => e,
        })?;
        part.lines_after(before);
        before += lines;
        parts.push(part);
    }
    Ok(join(builder, parts))
}

/// About how many lines `part` holds, a little over rather than under: its size over the
/// mean length of the lines in its first 64 KiB.
fn rows_in(part: &[u8]) -> usize {
    let sample = &part[..part.len().min(1 << 16)];
    let lines = memchr::memchr_iter(b'\n', sample).count() + 1;
    part.len() / sample.len().div_ceil(lines).max(1) * 9 / 8 + 16
}

/// `bytes` cut into about `parts` pieces, each ending after a newline (the last at the end).
fn split_at_lines(bytes: &[u8], parts: usize) -> Vec<&[u8]> {
    let size = bytes.len().div_ceil(parts.max(1)).max(1 << 16);
    let mut pieces = Vec::new();
    let mut rest = bytes;
    while rest.len() > size {
        let cut = rest[size..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |at| size + at + 1);
        let (piece, after) = rest.split_at(cut);
        pieces.push(piece);
        rest = after;
    }
    if !rest.is_empty() {
        pieces.push(rest);
    }
    pieces
}

/// Reads the lines of one part, numbering them from 1, and returns how many newlines it
/// holds. A line goes through the fast scanner, and through serde_json when the scanner
/// declines it.
fn read_part(builder: &mut Builder, part: &[u8]) -> anyhow::Result<u64> {
    let mut request = RequestLine::default();
    let mut spans = Spans {
        duration: Span::ZERO,
        attempts: Vec::new(),
    };
    let mut start = 0;
    let mut newlines = 0;
    let ends = memchr::memchr_iter(b'\n', part).chain(std::iter::once(part.len()));
    for (index, end) in ends.enumerate() {
        newlines = index as u64;
        let line = &part[start..end];
        start = end + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first() != Some(&b'{') && line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let number = 1 + index as u64;
        let read = match scan::scan_line(line, &mut request) {
            Some(()) => Ok(()),
            None => RequestLine::parse(line).map(|parsed| request = parsed),
        };
        match read.and_then(|()| check(&request, &mut spans)) {
            Ok(()) => add(builder, number, &request, &spans)?,
            Err(reason) => builder.bad_row(number, reason)?,
        }
    }
    Ok(newlines)
}

/// A checked line's spans, so that they are converted once: the request's duration, and
/// each attempt's duration, time to first token and Retry-After.
struct Spans {
    duration: Span,
    attempts: Vec<[Option<Span>; 3]>,
}

/// Checks that the line's values make sense, and keeps its spans in `spans`.
fn check(line: &RequestLine<'_>, spans: &mut Spans) -> Result<(), String> {
    if !line.arrival_unix_s.is_finite() || line.arrival_unix_s < 0.0 {
        return Err(format!(
            "arrival_unix_s: {} is not an instant; expected Unix seconds (0 or more)",
            line.arrival_unix_s
        ));
    }
    spans.duration = seconds("duration_ms", line.duration_ms / 1000.0)?;
    spans.attempts.clear();
    for (i, a) in line.attempts.iter().enumerate() {
        if a.deployment.is_empty() {
            return Err(format!(
                "attempts[{i}].deployment: empty; expected a deployment id"
            ));
        }
        let fields = [
            ("duration_ms", Some(a.duration_ms / 1000.0)),
            ("ttft_ms", a.ttft_ms.map(|t| t / 1000.0)),
            ("retry_after_s", a.retry_after_s),
        ];
        let mut kept = [None; 3];
        for ((field, value), kept) in fields.into_iter().zip(&mut kept) {
            if let Some(value) = value {
                match span_of_seconds(value) {
                    Some(span) => *kept = Some(span),
                    None => return seconds(&format!("attempts[{i}].{field}"), value).map(drop),
                }
            }
        }
        spans.attempts.push(kept);
    }
    if let Some(timeout) = line.settings.as_ref().and_then(|s| s.timeout_s) {
        seconds("settings.timeout_s", timeout)?;
    }
    Ok(())
}

/// A span in seconds that must be a finite number, 0 or more (and within a [`Span`]).
fn seconds(field: &str, value: f64) -> Result<Span, String> {
    span_of_seconds(value)
        .ok_or_else(|| format!("{field}: {value} is not a span; expected {SPAN_EXPECTED}"))
}

/// A class name from the log, or an error naming the field (`field` is called only then).
fn class(field: impl FnOnce() -> String, name: &str) -> Result<ErrorClass, String> {
    ErrorClass::from_name(name).ok_or_else(|| {
        let field = field();
        let names: Vec<&str> = ErrorClass::ALL.iter().map(|c| c.name()).collect();
        format!(
            "{field}: unknown error class `{name}`; expected `ok` or one of: {}",
            names.join(", ")
        )
    })
}

/// Adds one line's request, whose spans `check` kept.
fn add(builder: &mut Builder, line: u64, r: &RequestLine<'_>, spans: &Spans) -> anyhow::Result<()> {
    if r.model.is_empty() {
        builder.not_replayed(
            line,
            format!(
                "refused before routing (status {}): no model to replay",
                r.status
            ),
        );
        return Ok(());
    }
    for (i, (a, &[duration, ttft, retry_after])) in
        r.attempts.iter().zip(&spans.attempts).enumerate()
    {
        let error = match a.outcome.as_ref() {
            "ok" => None,
            name => match class(|| format!("attempts[{i}].outcome"), name) {
                Ok(c) => Some(c),
                Err(reason) => return builder.bad_row(line, reason),
            },
        };
        let deployment = builder
            .deployment(DeploymentRef {
                id: Some(&a.deployment),
                ..DeploymentRef::default()
            })
            .unwrap_or_default(); // `check` made sure the id is not empty
        builder.attempt(RecordedAttempt {
            deployment,
            error,
            status: a.status.or(error.is_none().then_some(200)),
            duration: duration.unwrap_or(Span::MAX), // `check` kept every attempt's
            time_to_first_token: ttft,
            retry_after,
        });
    }
    let error = match r.error_class.as_deref() {
        None => None,
        Some(name) => match class(|| "error_class".into(), name) {
            Ok(c) => Some(c),
            Err(reason) => return builder.bad_row(line, reason),
        },
    };
    let served_by = r.deployment.as_deref().and_then(|id| {
        builder.deployment(DeploymentRef {
            id: Some(id),
            model_group: r.model_group.as_deref(),
            ..DeploymentRef::default()
        })
    });
    let settings = r.settings.as_ref();
    let kind = builder.kind(KindRef {
        model: &r.model,
        tags: &r.tags,
        stream: r.stream,
        num_retries: settings.and_then(|s| s.num_retries),
        fallbacks: settings.and_then(|s| s.fallbacks.as_deref()),
        disable_fallbacks: settings.is_some_and(|s| s.disable_fallbacks),
        timeout: settings
            .and_then(|s| s.timeout_s)
            .map(Duration::from_secs_f64),
    });
    builder.request(
        r.arrival_unix_s,
        kind,
        Outcome {
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            status: r.status,
            error,
            served_by,
            cost_usd: r.cost_usd,
            duration: spans.duration,
        },
    );
    Ok(())
}
