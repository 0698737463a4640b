//! Budget periods: `Ns`, `Nm`, `Nh`, `Nd`, `Nw`, `Nmo` (a month counts as 30 days).
//!
//! It decides only how a period is spelled and how long it is; when a budget's window opens is
//! the router's.

use std::time::Duration;

use super::error::InputError;
use super::yaml::Node;

/// What a period looks like, for messages.
pub const PERIOD_HINT: &str = "a budget period such as 30s, 10m, 1h, 1d, 1w or 1mo";

/// Parses a budget period into its length.
pub fn parse_period(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let unit_secs: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "mo" => 30 * 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(n.checked_mul(unit_secs)?))
}

/// Reads a budget period at `node`: an error naming the key path when it is not one.
pub fn period(node: &Node<'_>) -> Result<Duration, InputError> {
    let text = node.string()?;
    parse_period(&text).ok_or_else(|| node.expected(PERIOD_HINT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_period_unit() {
        assert_eq!(parse_period("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_period("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_period("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_period("1d"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_period("1w"), Some(Duration::from_secs(604_800)));
        assert_eq!(parse_period("1mo"), Some(Duration::from_secs(2_592_000)));
        assert_eq!(parse_period("1y"), None);
        assert_eq!(parse_period("d"), None);
    }
}
