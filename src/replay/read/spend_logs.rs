//! LiteLLM's spend logs: rows of the `LiteLLM_SpendLogs` table exported as CSV (a header row
//! naming the columns) or as JSON (an array of row objects, or one object per line). One row is
//! one request with its final attempt only: the deployment that served it (`model_id`,
//! `api_base`, `model`, `model_group`), or for a failure the one whose error the client got,
//! with the error's class and code from `metadata.error_information` (docs/litellm-compat.md).
//! Columns a replay does not use are ignored. Rows of other call types (embeddings, images …),
//! cache hits and the rows LiteLLM adds for a failed request's earlier billed attempts are
//! listed as not replayed. It decides how a spend-log row is understood.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::builder::{Builder, DeploymentRef, KindRef, Outcome};
use super::litellm_errors::class_of;
use super::timestamp::{seconds_of, span, unix_nanos};
use crate::replay::traffic::{RecordedAttempt, RecordedTraffic};

/// The columns a replay reads, in the order of [`Row::values`].
const COLUMNS: [&str; 15] = [
    "startTime",
    "endTime",
    "completionStartTime",
    "model",
    "model_group",
    "model_id",
    "api_base",
    "prompt_tokens",
    "completion_tokens",
    "spend",
    "status",
    "request_tags",
    "metadata",
    "call_type",
    "cache_hit",
];

/// The call types a replay routes: chat and text completions and the Responses API.
const COMPLETION_CALL_TYPES: [&str; 6] = [
    "acompletion",
    "completion",
    "atext_completion",
    "text_completion",
    "aresponses",
    "responses",
];

/// One row's values of [`COLUMNS`] (empty text and `null` are absent).
struct Row<'r> {
    values: [Option<Cow<'r, str>>; 15],
}

impl Row<'_> {
    /// The value of column `name` (one of [`COLUMNS`]).
    fn get(&self, name: &str) -> Option<&str> {
        let index = COLUMNS.iter().position(|c| *c == name)?;
        self.values[index].as_deref()
    }
}

/// Reads a CSV export.
pub(super) fn read_csv(mut builder: Builder, bytes: &[u8]) -> anyhow::Result<RecordedTraffic> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = reader
        .byte_headers()
        .map_err(|e| anyhow::anyhow!("{}:1: cannot read the header row: {e}", builder.file()))?
        .clone();
    let index: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|c| header.iter().position(|h| h.trim_ascii() == c.as_bytes()))
        .collect();
    if index[0].is_none() {
        anyhow::bail!(
            "{}:1: the header row has no `startTime` column; expected LiteLLM_SpendLogs' columns",
            builder.file()
        );
    }
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                builder.bad_row(line, format!("not a CSV row: {e}"))?;
                continue;
            }
        }
        let line = record.position().map_or(line, |p| p.line());
        let row = csv_row(&record, &index);
        match row {
            Ok(row) => add(&mut builder, line, &row)?,
            Err(reason) => builder.bad_row(line, reason)?,
        }
    }
    Ok(builder.finish())
}

/// A CSV record's values of [`COLUMNS`].
fn csv_row<'r>(record: &'r csv::ByteRecord, index: &[Option<usize>]) -> Result<Row<'r>, String> {
    let mut values: [Option<Cow<'r, str>>; 15] = Default::default();
    for (slot, (column, at)) in values.iter_mut().zip(COLUMNS.iter().zip(index)) {
        let Some(field) = at.and_then(|i| record.get(i)) else {
            continue;
        };
        let text = std::str::from_utf8(field)
            .map_err(|_| format!("{column}: not UTF-8 text"))?
            .trim();
        if !text.is_empty() {
            *slot = Some(Cow::Borrowed(text));
        }
    }
    Ok(Row { values })
}

/// Reads a JSON export: an array of row objects, or one object per line.
pub(super) fn read_json(mut builder: Builder, bytes: &[u8]) -> anyhow::Result<RecordedTraffic> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let objects = match start.map(|s| bytes[s]) {
        Some(b'[') => array_objects(bytes, start.unwrap_or_default())
            .map_err(|why| anyhow::anyhow!("{}:{why}", builder.file()))?,
        _ => line_objects(bytes),
    };
    for (line, object) in objects {
        match object.map(|o| json_row(&o)) {
            Ok(row) => add(&mut builder, line, &row)?,
            Err(reason) => builder.bad_row(line, reason)?,
        }
    }
    Ok(builder.finish())
}

/// A row object's values of [`COLUMNS`].
fn json_row(object: &Map<String, Value>) -> Row<'static> {
    let mut values: [Option<Cow<'static, str>>; 15] = Default::default();
    for (slot, column) in values.iter_mut().zip(COLUMNS) {
        *slot = match object.get(column) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(Cow::Owned(s.trim().to_string())),
            Some(other) => Some(Cow::Owned(other.to_string())),
        };
    }
    Row { values }
}

/// Objects of one-per-line JSON, each with its line number.
type Objects = Vec<(u64, Result<Map<String, Value>, String>)>;

/// The objects of a file with one JSON object per line.
fn line_objects(bytes: &[u8]) -> Objects {
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
        .map(|(i, line)| (i as u64 + 1, object(line)))
        .collect()
}

/// One JSON object, or why the text is not one.
fn object(text: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("not a spend-log row: expected a JSON object".into()),
        Err(e) => Err(format!("not a spend-log row: {}", short(&e))),
    }
}

/// serde_json's message without its position (the caller names the line).
fn short(e: &serde_json::Error) -> String {
    e.to_string()
        .split(" at line ")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The elements of a JSON array starting at `open`, each with the line it starts on. A
/// syntax error ends the reading: no later row can be found reliably.
fn array_objects(bytes: &[u8], open: usize) -> Result<Objects, String> {
    let mut rows = Vec::new();
    let (mut at, mut line, mut counted) = (open + 1, 1u64, 0usize);
    loop {
        at = skip_whitespace(bytes, at);
        line += bytes[counted..at].iter().filter(|&&b| b == b'\n').count() as u64;
        counted = at;
        match bytes.get(at) {
            Some(b']') => return Ok(rows),
            None => {
                return Err(format!(
                    "{line}: the JSON array is not closed; expected `]`"
                ));
            }
            _ => {}
        }
        let mut values = serde_json::Deserializer::from_slice(&bytes[at..]).into_iter::<Value>();
        let value = match values.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(format!("{line}: not a JSON array of rows: {}", short(&e))),
            None => {
                return Err(format!(
                    "{line}: the JSON array is not closed; expected `]`"
                ));
            }
        };
        at += values.byte_offset();
        rows.push((
            line,
            match value {
                Value::Object(map) => Ok(map),
                _ => Err("not a spend-log row: expected a JSON object".into()),
            },
        ));
        at = skip_whitespace(bytes, at);
        match bytes.get(at) {
            Some(b',') => at += 1,
            Some(b']') => return Ok(rows),
            _ => {
                let here = line
                    + bytes[counted..at.min(bytes.len())]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count() as u64;
                return Err(format!("{here}: expected `,` or `]` after a row"));
            }
        }
    }
}

/// The first position from `at` that is not whitespace.
fn skip_whitespace(bytes: &[u8], at: usize) -> usize {
    at + bytes[at.min(bytes.len())..]
        .iter()
        .take_while(|b| b.is_ascii_whitespace())
        .count()
}

/// A number column's value, or an error naming the column.
fn number<T: std::str::FromStr + Default>(
    row: &Row<'_>,
    column: &str,
    what: &str,
) -> Result<T, String> {
    match row.get(column) {
        None => Ok(T::default()),
        Some(text) => text
            .parse()
            .map_err(|_| format!("{column}: `{text}` is not {what}")),
    }
}

/// What a failure row's metadata says about the error: its class and status code.
fn failure_of(row: &Row<'_>) -> Result<(crate::router::ErrorClass, Option<u16>), String> {
    let metadata: Value = match row.get("metadata") {
        None => Value::Null,
        Some(text) => {
            serde_json::from_str(text).map_err(|e| format!("metadata: not JSON ({})", short(&e)))?
        }
    };
    let info = metadata.get("error_information");
    let field = |key: &str| info.and_then(|i| i.get(key));
    let code = field("error_code").and_then(|c| match c {
        Value::String(s) => s.trim().parse::<u16>().ok(),
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        _ => None,
    });
    let name = field("error_class").and_then(Value::as_str).unwrap_or("");
    let message = field("error_message").and_then(Value::as_str).unwrap_or("");
    class_of(name, code, message)
        .map(|c| (c, code))
        .ok_or_else(|| {
            format!(
                "metadata.error_information: error_class `{name}` and error_code {code:?} name no \
             error LiteLLM raises; expected e.g. RateLimitError / 429"
            )
        })
}

/// The request's tags from `request_tags` (a JSON list of strings).
fn tags_of(row: &Row<'_>) -> Result<Vec<String>, String> {
    match row.get("request_tags") {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str::<Vec<String>>(text)
            .map_err(|_| format!("request_tags: `{text}` is not a JSON list of strings")),
    }
}

/// Adds one row's request, or says why it is not replayed or cannot be read.
fn add(builder: &mut Builder, line: u64, row: &Row<'_>) -> anyhow::Result<()> {
    if let Some(call_type) = row.get("call_type")
        && !COMPLETION_CALL_TYPES.contains(&call_type)
    {
        builder.not_replayed(
            line,
            format!("call_type `{call_type}` is not a completion; not replayed"),
        );
        return Ok(());
    }
    if row
        .get("cache_hit")
        .is_some_and(|h| h.eq_ignore_ascii_case("true"))
    {
        builder.not_replayed(line, "a cache hit: no deployment was called; not replayed");
        return Ok(());
    }
    if billed_retry_attempt(row) {
        builder.not_replayed(
            line,
            "an earlier attempt's billed row (metadata.billed_retry_attempt), not a request",
        );
        return Ok(());
    }
    match request_of(builder, row) {
        Ok(()) => Ok(()),
        Err(reason) => builder.bad_row(line, reason),
    }
}

/// Whether the row is one LiteLLM writes for an earlier, billed attempt of a failed request
/// (`metadata.billed_retry_attempt: true`, request id `<id>-attempt-<n>`) rather than for a
/// request. The metadata is parsed only when it names the key.
fn billed_retry_attempt(row: &Row<'_>) -> bool {
    row.get("metadata")
        .filter(|m| m.contains("billed_retry_attempt"))
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
        .is_some_and(|m| m.get("billed_retry_attempt") == Some(&Value::Bool(true)))
}

/// Adds the request a readable row describes.
fn request_of(builder: &mut Builder, row: &Row<'_>) -> Result<(), String> {
    let instant = |column: &str| -> Result<Option<i64>, String> {
        row.get(column)
            .map(|t| unix_nanos(t).map_err(|why| format!("{column}: {why}")))
            .transpose()
    };
    let start = instant("startTime")?.ok_or("startTime: missing; expected the request's start")?;
    let end = instant("endTime")?.ok_or("endTime: missing; expected the request's end")?;
    let first_token = instant("completionStartTime")?;
    let span = |to: i64| span(start, to);
    let failed = match row.get("status") {
        None | Some("success") => false,
        Some("failure") => true,
        Some(other) => {
            return Err(format!(
                "status: `{other}`; expected `success` or `failure`"
            ));
        }
    };
    let failure = failed.then(|| failure_of(row)).transpose()?;
    let group = row.get("model_group");
    let model = group
        .or(row.get("model"))
        .ok_or("model_group and model: both empty; expected the model the request asked for")?;
    let tags = tags_of(row)?;
    let input_tokens = number(row, "prompt_tokens", "a token count")?;
    let output_tokens = number(row, "completion_tokens", "a token count")?;
    let spend: f64 = number(row, "spend", "a cost in USD")?;
    let deployment = builder.deployment(DeploymentRef {
        id: row.get("model_id"),
        api_base: row.get("api_base"),
        model: row.get("model"),
        model_group: group,
    });
    let error = failure.map(|(class, _)| class);
    let status = failure.map_or(200, |(class, code)| code.unwrap_or(class.status()));
    if let Some(deployment) = deployment {
        builder.attempt(RecordedAttempt {
            deployment,
            error,
            status: Some(status),
            duration: span(end),
            time_to_first_token: first_token.filter(|_| error.is_none()).map(span),
            retry_after: None,
        });
    }
    let kind = builder.kind(KindRef {
        model,
        tags: &tags,
        stream: false,
        num_retries: None,
        fallbacks: None,
        disable_fallbacks: false,
        timeout: None,
    });
    builder.request(
        seconds_of(start),
        kind,
        Outcome {
            input_tokens,
            output_tokens,
            status,
            error,
            served_by: deployment.filter(|_| error.is_none()),
            cost_usd: spend.is_finite().then_some(spend),
            duration: span(end),
        },
    );
    Ok(())
}
