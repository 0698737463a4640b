//! Which format a log is in: told by its content (the first line's shape and names), or named
//! by the user. It decides nothing about a row's meaning.

use crate::replay::traffic::LogFormat;

/// Every format, in the order their names are listed to a user.
const FORMATS: [LogFormat; 4] = [
    LogFormat::SwitchyardJsonl,
    LogFormat::LitellmSpendLogsCsv,
    LogFormat::LitellmSpendLogsJson,
    LogFormat::PlainCsv,
];

/// The format named `name` (as [`LogFormat::name`] spells it), or an error listing the names.
pub fn format_named(name: &str) -> Result<LogFormat, String> {
    FORMATS
        .into_iter()
        .find(|f| f.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = FORMATS.iter().map(|f| f.name()).collect();
            format!(
                "unknown log format `{name}`; expected one of: {}",
                names.join(", ")
            )
        })
}

/// The format of a log's content: a JSON array or LiteLLM's columns in a JSON object → the
/// spend-log JSON; a JSON object with `arrival_unix_s` → Switchyard's proxy log; a header row
/// with `startTime` → the spend-log CSV; a header row with `arrival` → the plain CSV.
pub fn detect(bytes: &[u8]) -> Result<LogFormat, String> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = text.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Err("the log is empty; expected a request log (docs/replay.md)".into());
    };
    let first_line = first_line(&text[start..]);
    match text[start] {
        b'[' => Ok(LogFormat::LitellmSpendLogsJson),
        b'{' => json_object_format(first_line),
        _ => csv_header_format(first_line),
    }
}

/// The first line of `text`, without its line ending.
fn first_line(text: &[u8]) -> &[u8] {
    let end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
    text[..end].strip_suffix(b"\r").unwrap_or(&text[..end])
}

/// A log of JSON objects, told by the first object's keys.
fn json_object_format(line: &[u8]) -> Result<LogFormat, String> {
    let has = |key: &str| contains(line, format!("\"{key}\"").as_bytes());
    if has("arrival_unix_s") {
        Ok(LogFormat::SwitchyardJsonl)
    } else if has("startTime") {
        Ok(LogFormat::LitellmSpendLogsJson)
    } else {
        Err(
            "the first line is a JSON object with neither `arrival_unix_s` (Switchyard's \
             proxy log) nor `startTime` (LiteLLM's spend logs); name the format with --format"
                .into(),
        )
    }
}

/// A CSV log, told by its header row.
fn csv_header_format(line: &[u8]) -> Result<LogFormat, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line);
    let header = reader
        .byte_records()
        .next()
        .and_then(Result::ok)
        .unwrap_or_default();
    let named = |name: &[u8]| header.iter().any(|h| h.trim_ascii() == name);
    if named(b"startTime") {
        Ok(LogFormat::LitellmSpendLogsCsv)
    } else if named(b"arrival") {
        Ok(LogFormat::PlainCsv)
    } else {
        Err(
            "the first line is neither a JSON object nor a CSV header row naming `startTime` \
             (LiteLLM's spend logs) or `arrival` (the plain CSV); expected a request log \
             (docs/replay.md)"
                .into(),
        )
    }
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
