//! Switchyard's plain CSV (docs/replay.md): a header row naming documented columns, then one
//! row per request with its final outcome. Required: `arrival` (Unix seconds or ISO 8601),
//! `model`, `input_tokens`, `output_tokens`; optional: `tags` (`;`-separated), `stream`,
//! `deployment`, `model_group`, `status`, `error_class`, `latency_ms`, `ttft_ms`,
//! `retry_after_s`, `cost_usd`, `num_retries`, `fallbacks` (`;`-separated), `timeout_s`,
//! `disable_fallbacks`. An unknown column is an error naming it (with the nearest known name).
//! It decides how a plain CSV row is understood.

use super::builder::{Builder, DeploymentRef, KindRef, Outcome};
use super::litellm_errors::by_status;
use super::timestamp::{SPAN_EXPECTED, seconds_or_date, span_of_seconds};
use crate::config::yaml::nearest;
use crate::replay::traffic::{RecordedAttempt, RecordedTraffic};
use crate::router::ErrorClass;
use crate::time::Span;

/// Columns every file must have.
const REQUIRED: [&str; 4] = ["arrival", "model", "input_tokens", "output_tokens"];

/// Every column, required ones first; [`Fields`] indexes this order.
const COLUMNS: [&str; 18] = [
    "arrival",
    "model",
    "input_tokens",
    "output_tokens",
    "tags",
    "stream",
    "deployment",
    "model_group",
    "status",
    "error_class",
    "latency_ms",
    "ttft_ms",
    "retry_after_s",
    "cost_usd",
    "num_retries",
    "fallbacks",
    "timeout_s",
    "disable_fallbacks",
];

/// One row's fields by column (empty text is absent).
struct Fields<'r> {
    values: [Option<&'r str>; 18],
}

impl<'r> Fields<'r> {
    /// The value of `column`.
    fn get(&self, column: &str) -> Option<&'r str> {
        let index = COLUMNS.iter().position(|c| *c == column)?;
        self.values[index]
    }

    /// A parsed value of `column`, or an error naming it and what was expected.
    fn parsed<T: std::str::FromStr>(&self, column: &str, what: &str) -> Result<Option<T>, String> {
        self.get(column)
            .map(|text| {
                text.parse()
                    .map_err(|_| format!("{column}: `{text}` is not {what}"))
            })
            .transpose()
    }

    /// A span of `column` in `unit`s per second.
    fn span(&self, column: &str, per_second: f64) -> Result<Option<Span>, String> {
        self.parsed::<f64>(column, "a number")?
            .map(|v| {
                span_of_seconds(v / per_second).ok_or_else(|| {
                    format!("{column}: `{v}` is not a span; expected {SPAN_EXPECTED}")
                })
            })
            .transpose()
    }

    /// A `true`/`false` (or `1`/`0`) column, false when absent.
    fn flag(&self, column: &str) -> Result<bool, String> {
        match self.get(column) {
            None | Some("false" | "0") => Ok(false),
            Some("true" | "1") => Ok(true),
            Some(other) => Err(format!("{column}: `{other}`; expected true or false")),
        }
    }
}

/// Reads a plain CSV.
pub(super) fn read(mut builder: Builder, bytes: &[u8]) -> anyhow::Result<RecordedTraffic> {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| anyhow::anyhow!("{}:1: cannot read the header row: {e}", builder.file()))?
        .clone();
    let index =
        column_index(&header).map_err(|why| anyhow::anyhow!("{}:1: {why}", builder.file()))?;
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                builder.bad_row(line, format!("not a CSV row: {e}"))?;
                continue;
            }
        }
        let line = record.position().map_or(line, |p| p.line());
        let mut values = [None; 18];
        for (slot, at) in values.iter_mut().zip(&index) {
            *slot = at
                .and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|t| !t.is_empty());
        }
        if let Err(reason) = add(&mut builder, &Fields { values }) {
            builder.bad_row(line, reason)?;
        }
    }
    Ok(builder.finish())
}

/// Where each of [`COLUMNS`] is in the header; an unknown or missing required column is an
/// error naming it.
fn column_index(header: &csv::StringRecord) -> Result<Vec<Option<usize>>, String> {
    for name in header.iter().map(str::trim) {
        if !COLUMNS.contains(&name) {
            let hint = nearest(name, &COLUMNS)
                .map(|near| format!("; did you mean `{near}`?"))
                .unwrap_or_default();
            return Err(format!(
                "unknown column `{name}`{hint} (the columns are documented in docs/replay.md)"
            ));
        }
    }
    let index: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|c| header.iter().position(|h| h.trim() == *c))
        .collect();
    if let Some(missing) = REQUIRED.iter().zip(&index).find(|(_, at)| at.is_none()) {
        return Err(format!(
            "the header row has no `{}` column; a plain CSV needs a header row with {}",
            missing.0,
            REQUIRED.join(", ")
        ));
    }
    Ok(index)
}

/// A `;`-separated list.
fn list(text: Option<&str>) -> Vec<&str> {
    text.map(|t| {
        t.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// The error class and status of a row: from `error_class` when named, else from a `status`
/// that is not a success.
fn outcome_of(row: &Fields<'_>) -> Result<(Option<ErrorClass>, u16), String> {
    let status: Option<u16> = row.parsed("status", "an HTTP status")?;
    match row.get("error_class") {
        Some(name) => {
            let class = ErrorClass::from_name(name).ok_or_else(|| {
                let names: Vec<&str> = ErrorClass::ALL.iter().map(|c| c.name()).collect();
                format!(
                    "error_class: unknown class `{name}`; expected one of: {}",
                    names.join(", ")
                )
            })?;
            Ok((Some(class), status.unwrap_or(class.status())))
        }
        None => match status {
            None => Ok((None, 200)),
            Some(s) if (200..300).contains(&s) => Ok((None, s)),
            Some(s) => by_status(s).map(|c| (Some(c), s)).ok_or_else(|| {
                format!("status: {s} is neither a success nor an error status; name error_class")
            }),
        },
    }
}

/// Adds the request a row describes.
fn add(builder: &mut Builder, row: &Fields<'_>) -> Result<(), String> {
    let arrival = seconds_or_date(row.get("arrival").ok_or("arrival: missing")?)
        .map_err(|why| format!("arrival: {why}"))?;
    let model = row
        .get("model")
        .ok_or("model: missing; expected the requested model")?;
    let input_tokens = row
        .parsed("input_tokens", "a token count")?
        .ok_or("input_tokens: missing; expected a token count")?;
    let output_tokens = row
        .parsed("output_tokens", "a token count")?
        .ok_or("output_tokens: missing; expected a token count")?;
    let (error, status) = outcome_of(row)?;
    let latency = row.span("latency_ms", 1000.0)?.unwrap_or(Span::ZERO);
    let ttft = row.span("ttft_ms", 1000.0)?;
    let retry_after = row.span("retry_after_s", 1.0)?;
    let cost_usd: Option<f64> = row.parsed("cost_usd", "a cost in USD")?;
    let num_retries = row.parsed("num_retries", "a count")?;
    let timeout = row.span("timeout_s", 1.0)?.map(Span::as_duration);
    let (stream, disable_fallbacks) = (row.flag("stream")?, row.flag("disable_fallbacks")?);
    let tags = list(row.get("tags"));
    let fallbacks = row.get("fallbacks").map(|f| list(Some(f)));
    let deployment = builder.deployment(DeploymentRef {
        id: row.get("deployment"),
        model_group: row.get("model_group"),
        ..DeploymentRef::default()
    });
    if let Some(deployment) = deployment {
        builder.attempt(RecordedAttempt {
            deployment,
            error,
            status: Some(status),
            duration: latency,
            time_to_first_token: ttft,
            retry_after,
        });
    }
    let kind = builder.kind(KindRef {
        model,
        tags: &tags,
        stream,
        num_retries,
        fallbacks: fallbacks.as_deref(),
        disable_fallbacks,
        timeout,
    });
    builder.request(
        arrival,
        kind,
        Outcome {
            input_tokens,
            output_tokens,
            status,
            error,
            served_by: deployment.filter(|_| error.is_none()),
            cost_usd: cost_usd.filter(|c| c.is_finite()),
            duration: latency,
        },
    );
    Ok(())
}
