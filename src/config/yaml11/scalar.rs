//! What a YAML scalar means under YAML 1.1 as PyYAML's `safe_load` reads it (LiteLLM loads its
//! config with `yaml.safe_load`).
//!
//! It decides the value of one scalar from its text, whether it was plain, and its tag: `20_000`
//! is an integer, `yes`/`no`/`on`/`off` are booleans (`y`/`n` are not), `012` is octal, `1:30` is
//! ninety, `1e5` is a string (PyYAML's float needs a dot) and `2024-02-01` keeps its text (PyYAML
//! makes it a date; every key Switchyard reads takes it as text). The regular expressions
//! mirrored here are PyYAML 6's `resolver.py`; the conversions are `constructor.py`'s. It must not
//! know about mappings, anchors or merge keys (the tree builder does).

use serde_yaml::{Number, Value};

/// What a plain or tagged scalar resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// An ordinary value.
    Value(Value),
    /// The merge key `<<`.
    Merge,
}

/// Resolves a scalar. `plain` is false for quoted and block scalars, which are strings unless
/// tagged. `tag` is the explicit tag, written as `!!int` for the core schema. An error says what
/// PyYAML would refuse.
pub fn resolve(text: &str, plain: bool, tag: Option<&str>) -> Result<Scalar, String> {
    match tag {
        None if plain => resolve_plain(text),
        None | Some("!") | Some("!!str") => Ok(Scalar::Value(Value::String(text.to_string()))),
        Some("!!int") if is_int(text) => int(text).map(Scalar::Value),
        Some("!!float") if is_float(text) || is_int(text) => Ok(Scalar::Value(float(text))),
        Some("!!bool") => bool_value(&text.to_ascii_lowercase())
            .map(|b| Scalar::Value(Value::Bool(b)))
            .ok_or_else(|| format!("`{text}` is not a boolean PyYAML knows")),
        Some("!!null") => Ok(Scalar::Value(Value::Null)),
        Some("!!merge") => Ok(Scalar::Merge),
        Some(tag @ ("!!int" | "!!float")) => {
            Err(format!("`{text}` is not valid for the tag {tag}"))
        }
        Some(other) => Err(format!(
            "the tag {other} is not one PyYAML's safe_load (which LiteLLM uses) can read"
        )),
    }
}

fn resolve_plain(text: &str) -> Result<Scalar, String> {
    if let Some(b) = bool_text(text) {
        return Ok(Scalar::Value(Value::Bool(b)));
    }
    if is_float(text) {
        return Ok(Scalar::Value(float(text)));
    }
    if is_int(text) {
        return int(text).map(Scalar::Value);
    }
    match text {
        "<<" => Ok(Scalar::Merge),
        "~" | "null" | "Null" | "NULL" | "" => Ok(Scalar::Value(Value::Null)),
        "=" => {
            Err("a plain `=` is YAML 1.1's value key, which PyYAML cannot read; quote it".into())
        }
        _ => Ok(Scalar::Value(Value::String(text.to_string()))),
    }
}

/// The spellings PyYAML's resolver takes as booleans (not `y`, `n`, nor `tRUE`).
fn bool_text(text: &str) -> Option<bool> {
    match text {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// `construct_yaml_bool`: the lowercased text looked up among yes/no/true/false/on/off.
fn bool_value(lower: &str) -> Option<bool> {
    match lower {
        "yes" | "true" | "on" => Some(true),
        "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// A small cursor over the text for the regular expressions below.
struct Cursor<'t> {
    rest: &'t [u8],
}

impl<'t> Cursor<'t> {
    fn new(text: &'t str) -> Self {
        Cursor {
            rest: text.as_bytes(),
        }
    }
    fn eat(&mut self, pred: impl Fn(u8) -> bool) -> bool {
        match self.rest.first() {
            Some(&c) if pred(c) => {
                self.rest = &self.rest[1..];
                true
            }
            _ => false,
        }
    }
    fn eat_str(&mut self, s: &str) -> bool {
        match self.rest.strip_prefix(s.as_bytes()) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }
    /// Zero or more; returns how many.
    fn many(&mut self, pred: impl Fn(u8) -> bool + Copy) -> usize {
        let mut n = 0;
        while self.eat(pred) {
            n += 1;
        }
        n
    }
    fn sign(&mut self) {
        self.eat(|c| c == b'-' || c == b'+');
    }
    fn done(&self) -> bool {
        self.rest.is_empty()
    }
    /// `(?::[0-5]?[0-9])+`
    fn sexagesimal_parts(&mut self) -> bool {
        let mut any = false;
        loop {
            let save = self.rest;
            if !self.eat(|c| c == b':') {
                return any;
            }
            let a = self.eat(|c| c.is_ascii_digit());
            let ok = if a && matches!(self.rest.first(), Some(c) if c.is_ascii_digit()) {
                // Two digits: the first must have been 0-5.
                save[1] <= b'5' && self.eat(|c| c.is_ascii_digit())
            } else {
                a
            };
            if !ok {
                self.rest = save;
                return any;
            }
            any = true;
        }
    }
}

fn digit_or_underscore(c: u8) -> bool {
    c.is_ascii_digit() || c == b'_'
}

fn matches(text: &str, alternative: impl Fn(&mut Cursor<'_>) -> bool) -> bool {
    let mut cursor = Cursor::new(text);
    alternative(&mut cursor) && cursor.done()
}

/// PyYAML's int regex.
pub fn is_int(text: &str) -> bool {
    let binary = |c: &mut Cursor<'_>| {
        c.sign();
        c.eat_str("0b") && c.many(|b| b == b'0' || b == b'1' || b == b'_') > 0
    };
    let octal = |c: &mut Cursor<'_>| {
        c.sign();
        c.eat_str("0") && c.many(|b| (b'0'..=b'7').contains(&b) || b == b'_') > 0
    };
    let decimal = |c: &mut Cursor<'_>| {
        c.sign();
        c.eat_str("0")
            || (c.eat(|b| (b'1'..=b'9').contains(&b)) && {
                c.many(digit_or_underscore);
                true
            })
    };
    let hex = |c: &mut Cursor<'_>| {
        c.sign();
        c.eat_str("0x") && c.many(|b| b.is_ascii_hexdigit() || b == b'_') > 0
    };
    let sexagesimal = |c: &mut Cursor<'_>| {
        c.sign();
        c.eat(|b| (b'1'..=b'9').contains(&b)) && {
            c.many(digit_or_underscore);
            c.sexagesimal_parts()
        }
    };
    matches(text, binary)
        || matches(text, octal)
        || matches(text, decimal)
        || matches(text, hex)
        || matches(text, sexagesimal)
}

/// PyYAML's float regex (a dot is required; an exponent needs its sign).
pub fn is_float(text: &str) -> bool {
    let exponent = |c: &mut Cursor<'_>| {
        let save = c.rest;
        if c.eat(|b| b == b'e' || b == b'E')
            && c.eat(|b| b == b'-' || b == b'+')
            && c.many(|b| b.is_ascii_digit()) > 0
        {
            return;
        }
        c.rest = save;
    };
    let fixed = |c: &mut Cursor<'_>| {
        c.sign();
        let ok = c.eat(|b| b.is_ascii_digit()) && {
            c.many(digit_or_underscore);
            c.eat(|b| b == b'.')
        };
        c.many(digit_or_underscore);
        exponent(c);
        ok
    };
    let fraction = |c: &mut Cursor<'_>| {
        let ok = c.eat(|b| b == b'.') && c.eat(|b| b.is_ascii_digit());
        c.many(digit_or_underscore);
        exponent(c);
        ok
    };
    let sexagesimal = |c: &mut Cursor<'_>| {
        c.sign();
        let ok = c.eat(|b| b.is_ascii_digit()) && {
            c.many(digit_or_underscore);
            c.sexagesimal_parts() && c.eat(|b| b == b'.')
        };
        c.many(digit_or_underscore);
        ok
    };
    let infinity = |c: &mut Cursor<'_>| {
        c.sign();
        c.eat_str(".inf") || c.eat_str(".Inf") || c.eat_str(".INF")
    };
    let nan = |c: &mut Cursor<'_>| c.eat_str(".nan") || c.eat_str(".NaN") || c.eat_str(".NAN");
    matches(text, fixed)
        || matches(text, fraction)
        || matches(text, sexagesimal)
        || matches(text, infinity)
        || matches(text, nan)
}

/// Splits a leading sign off `text` (underscores already removed).
fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// `construct_yaml_int`, within the 64 bits Switchyard's numbers have.
fn int(text: &str) -> Result<Value, String> {
    let cleaned = text.replace('_', "");
    let (negative, digits) = split_sign(&cleaned);
    let magnitude: Option<u128> = if digits == "0" {
        Some(0)
    } else if let Some(bin) = digits.strip_prefix("0b") {
        u128::from_str_radix(bin, 2).ok()
    } else if let Some(hex) = digits.strip_prefix("0x") {
        u128::from_str_radix(hex, 16).ok()
    } else if digits.starts_with('0') {
        u128::from_str_radix(digits, 8).ok()
    } else if digits.contains(':') {
        digits.split(':').try_fold(0u128, |acc, part| {
            acc.checked_mul(60)?.checked_add(part.parse::<u128>().ok()?)
        })
    } else {
        digits.parse::<u128>().ok()
    };
    let magnitude =
        magnitude.ok_or_else(|| format!("`{text}` is not an integer Switchyard can read"))?;
    let number = if negative {
        i64::try_from(magnitude).ok().map(|m| Number::from(-m))
    } else {
        u64::try_from(magnitude).ok().map(Number::from)
    };
    number
        .map(Value::Number)
        .ok_or_else(|| format!("the integer `{text}` does not fit in 64 bits"))
}

/// `construct_yaml_float`.
fn float(text: &str) -> Value {
    let cleaned = text.replace('_', "").to_ascii_lowercase();
    let (negative, body) = split_sign(&cleaned);
    let magnitude = match body {
        ".inf" => f64::INFINITY,
        ".nan" => f64::NAN,
        _ if body.contains(':') => body
            .split(':')
            .fold(0.0, |acc, part| acc * 60.0 + parse_decimal(part)),
        _ => parse_decimal(body),
    };
    let value = if negative { -magnitude } else { magnitude };
    Value::Number(Number::from(value))
}

/// Python's `float()` of a decimal such as `1.`, `.5`, `1.5e+3` or `12`.
fn parse_decimal(text: &str) -> f64 {
    let text = match text.split_once('.') {
        Some((whole, frac)) => {
            let whole = if whole.is_empty() { "0" } else { whole };
            let (digits, exp) = frac.split_at(frac.find('e').unwrap_or(frac.len()));
            let digits = if digits.is_empty() { "0" } else { digits };
            format!("{whole}.{digits}{exp}")
        }
        None => text.to_string(),
    };
    text.parse().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Value {
        match resolve(text, true, None).unwrap() {
            Scalar::Value(v) => v,
            Scalar::Merge => panic!("merge"),
        }
    }

    fn s(text: &str) -> Value {
        Value::String(text.to_string())
    }

    #[test]
    fn integers_as_pyyaml_reads_them() {
        assert_eq!(plain("20_000"), Value::from(20_000u64));
        assert_eq!(plain("012"), Value::from(10u64));
        assert_eq!(plain("0x1F"), Value::from(31u64));
        assert_eq!(plain("0b101"), Value::from(5u64));
        assert_eq!(plain("1:30"), Value::from(90u64));
        assert_eq!(plain("+12"), Value::from(12u64));
        assert_eq!(plain("-3"), Value::from(-3i64));
        assert_eq!(plain("-0"), Value::from(0u64));
        assert_eq!(plain("08"), s("08"), "not octal, not decimal");
        assert_eq!(
            plain("0o12"),
            s("0o12"),
            "YAML 1.2 octal is a string in 1.1"
        );
        assert_eq!(plain("1:60"), s("1:60"));
        assert!(resolve("99999999999999999999999", true, None).is_err());
    }

    #[test]
    fn floats_need_a_dot_and_a_signed_exponent() {
        assert_eq!(plain("1_000.5"), Value::from(1000.5));
        assert_eq!(plain("1.0e+5"), Value::from(100_000.0));
        assert_eq!(plain(".5"), Value::from(0.5));
        assert_eq!(plain("1."), Value::from(1.0));
        assert_eq!(plain("1:30.5"), Value::from(90.5));
        assert_eq!(plain("1e5"), s("1e5"));
        assert_eq!(plain("1e-6"), s("1e-6"));
        assert_eq!(plain("1.0e5"), s("1.0e5"));
        assert_eq!(plain("-.inf").as_f64(), Some(f64::NEG_INFINITY));
        assert!(plain(".nan").as_f64().unwrap().is_nan());
    }

    #[test]
    fn booleans_and_nulls() {
        for t in [
            "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
        ] {
            assert_eq!(plain(t), Value::Bool(true), "{t}");
        }
        for f in [
            "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
        ] {
            assert_eq!(plain(f), Value::Bool(false), "{f}");
        }
        for t in ["y", "n", "Y", "N", "tRUE"] {
            assert_eq!(plain(t), s(t));
        }
        for n in ["~", "null", "Null", "NULL", ""] {
            assert_eq!(plain(n), Value::Null);
        }
        assert_eq!(plain("2024-02-01"), s("2024-02-01"));
    }

    #[test]
    fn quoted_scalars_and_tags() {
        assert_eq!(resolve("yes", false, None), Ok(Scalar::Value(s("yes"))));
        assert_eq!(
            resolve("12", true, Some("!!str")),
            Ok(Scalar::Value(s("12")))
        );
        assert_eq!(
            resolve("12", false, Some("!!int")),
            Ok(Scalar::Value(Value::from(12u64)))
        );
        assert_eq!(resolve("<<", true, None), Ok(Scalar::Merge));
        assert!(resolve("x", true, Some("!ENV")).is_err());
        assert!(resolve("=", true, None).is_err());
    }
}
