//! Human units in input files: durations (`250ms`, `30s`, `10m`, `1h`, `1d`) and rates
//! (`50/s`, `1000/min`, `3600/h`).
//!
//! It decides only how such strings are spelled and what they mean; where a duration or a rate
//! is allowed is the scenario schema's business.

use std::time::Duration;

use super::error::InputError;
use super::yaml::Node;

const DURATION_HINT: &str = "a duration such as 250ms, 30s, 10m, 1h or 1d";
const RATE_HINT: &str = "a rate such as 50/s, 1000/min or 3600/h";

/// Parses a duration with a unit: `us`, `ms`, `s`, `m`, `h`, `d`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.trim().parse().ok()?;
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let secs_per_unit = match unit {
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(value * secs_per_unit).ok()
}

/// Parses a rate `N/unit` into events per second; units `s`, `min` (or `m`), `h`.
pub fn parse_rate(text: &str) -> Option<f64> {
    let (number, unit) = text.trim().split_once('/')?;
    let value: f64 = number.trim().parse().ok()?;
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let per_second = match unit.trim() {
        "s" | "sec" => 1.0,
        "m" | "min" => 1.0 / 60.0,
        "h" => 1.0 / 3600.0,
        _ => return None,
    };
    Some(value * per_second)
}

/// A duration given with its unit, e.g. `30s`.
pub fn duration(node: &Node<'_>) -> Result<Duration, InputError> {
    node.value()
        .as_str()
        .and_then(parse_duration)
        .ok_or_else(|| node.expected(DURATION_HINT))
}

/// A rate given with its unit, e.g. `50/s`, in events per second.
pub fn rate(node: &Node<'_>) -> Result<f64, InputError> {
    node.value()
        .as_str()
        .and_then(parse_rate)
        .ok_or_else(|| node.expected(RATE_HINT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1d"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("30"), None, "a bare number has no unit");
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("3 fortnights"), None);
    }

    #[test]
    fn rates_per_second_minute_and_hour() {
        assert_eq!(parse_rate("50/s"), Some(50.0));
        assert_eq!(parse_rate("1000/min"), Some(1000.0 / 60.0));
        assert_eq!(parse_rate("3600/h"), Some(1.0));
        assert_eq!(parse_rate("50"), None);
        assert_eq!(parse_rate("5/week"), None);
    }
}
