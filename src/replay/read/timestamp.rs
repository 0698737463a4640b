//! Instants as logs write them: Unix seconds, or ISO 8601 / RFC 3339 / Postgres text with a
//! `T` or a space between date and time, fractional seconds or none, and an offset (`Z`,
//! `+00:00`, `+0000`, `+00`) or none, which counts as UTC. It decides only how text becomes
//! Unix seconds.

use chrono::{DateTime, NaiveDateTime};

use crate::time::Span;

/// Unix seconds of a date-and-time text.
pub(super) fn unix_seconds(text: &str) -> Result<f64, String> {
    unix_nanos(text).map(seconds_of)
}

/// Unix seconds of Unix nanoseconds, as near as an `f64` gets (whole seconds and the fraction
/// converted apart, so that a quarter second stays a quarter).
pub(super) fn seconds_of(nanos: i64) -> f64 {
    nanos.div_euclid(1_000_000_000) as f64 + nanos.rem_euclid(1_000_000_000) as f64 / 1e9
}

/// What a logged span must be, for error messages.
pub(super) const SPAN_EXPECTED: &str = "a number, 0 or more (up to about 584 years)";

/// `secs` seconds as a span, exactly as `Duration::try_from_secs_f64` reads it, or `None` when
/// it is not a number of seconds from 0 to [`Span::MAX`].
pub(super) fn span_of_seconds(secs: f64) -> Option<Span> {
    std::time::Duration::try_from_secs_f64(secs)
        .ok()
        .and_then(Span::from_duration)
}

/// The span from `start` to `end` (Unix nanoseconds), zero if `end` is earlier: exact, where
/// a difference of two Unix seconds as `f64` would be off by a fraction of a microsecond.
pub(super) fn span(start: i64, end: i64) -> Span {
    Span::from_nanos(u64::try_from(end.saturating_sub(start)).unwrap_or(0))
}

/// Unix nanoseconds of a date-and-time text.
pub(super) fn unix_nanos(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let normalised;
    let text = if text.len() > 10 && text.as_bytes()[10] == b' ' {
        normalised = format!("{}T{}", &text[..10], &text[11..]);
        normalised.as_str()
    } else {
        text
    };
    let utc = if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        t.to_utc()
    } else if let Ok(t) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%#z") {
        t.to_utc()
    } else if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        t.and_utc()
    } else {
        return Err(format!(
            "`{text}` is not a date and time; expected ISO 8601 text such as \
             2026-11-26T08:00:00.250Z or 2026-11-26 08:00:00.25+00"
        ));
    };
    utc.timestamp_nanos_opt()
        .ok_or_else(|| format!("`{text}` is out of range; expected a date between 1677 and 2262"))
}

/// Unix seconds of either a number of seconds or a date-and-time text.
pub(super) fn seconds_or_date(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => Ok(secs),
        Ok(_) => Err(format!(
            "`{text}` is not an instant; expected Unix seconds (0 or more) or ISO 8601 text"
        )),
        Err(_) => unix_seconds(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_one_instant_agrees() {
        let at = 1_795_680_000.25; // 2026-11-26T08:00:00.25Z
        for text in [
            "2026-11-26T08:00:00.25Z",
            "2026-11-26 08:00:00.250+00:00",
            "2026-11-26 08:00:00.25+00",
            "2026-11-26T09:00:00.25+0100",
            "2026-11-26T08:00:00.250000",
            "2026-11-26 08:00:00.25",
            "1795680000.25",
        ] {
            assert_eq!(seconds_or_date(text), Ok(at), "{text}");
        }
        assert_eq!(unix_seconds("2026-11-26 08:00:00"), Ok(1_795_680_000.0));
    }

    #[test]
    fn nonsense_is_an_error_naming_what_was_expected() {
        for text in [
            "",
            "yesterday",
            "2026-13-01T00:00:00",
            "-5",
            "NaN",
            "2026-11-26 08:",
        ] {
            let error = seconds_or_date(text).unwrap_err();
            assert!(error.contains("expected"), "{text}: {error}");
        }
    }
}
