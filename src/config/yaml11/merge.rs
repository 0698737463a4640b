//! YAML 1.1 merge keys (`<<: *defaults`) and repeated keys, as PyYAML 6.0.4 builds a mapping.
//!
//! PyYAML's `flatten_mapping` puts the merged pairs first — each `<<` in the order written, and
//! for a list `<<: [*a, *b]` each mapping of the list in order — then the mapping's own pairs,
//! and builds a Python dict from that list: a later pair's value wins, a key keeps the position
//! it first had. So the mapping's own keys override merged ones, and among merged mappings the
//! later one wins (PyYAML 6.0.4 drops only pairs whose key is the very same string object, which
//! in practice means one-character keys). It decides only the mapping's keys and values; it must
//! not know what they mean.

use serde_yaml::{Mapping, Value};

/// A mapping key as read: the merge key or an ordinary value.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    /// `<<`.
    Merge,
    /// Any other key.
    Value(Value),
}

/// One key-value pair of a mapping, with the line of its key.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// The key.
    pub key: Key,
    /// The value.
    pub value: Value,
    /// The key's line (1-based).
    pub line: usize,
}

/// Builds a mapping from its pairs in file order; returns it with notes about repeated keys.
pub fn build_mapping(pairs: Vec<Pair>) -> Result<(Mapping, Vec<String>), String> {
    let mut merged: Vec<(Value, Value)> = Vec::new();
    let mut own: Vec<(Value, Value, usize)> = Vec::new();
    for pair in pairs {
        match pair.key {
            Key::Merge => merged.extend(merge_source(pair.value, pair.line)?),
            Key::Value(key) => own.push((key, pair.value, pair.line)),
        }
    }
    let mut mapping = Mapping::with_capacity(merged.len() + own.len());
    for (key, value) in merged {
        mapping.insert(key, value);
    }
    let mut seen = Mapping::new();
    let mut notes = Vec::new();
    for (key, value, line) in own {
        if seen.insert(key.clone(), Value::Null).is_some() {
            notes.push(format!(
                "line {line}: key {} appears twice in one mapping; the later value is used, as LiteLLM (PyYAML) does",
                key_text(&key)
            ));
        }
        mapping.insert(key, value);
    }
    Ok((mapping, notes))
}

/// The pairs a `<<` brings in: a mapping's, or each mapping's of a list in order.
fn merge_source(value: Value, line: usize) -> Result<Vec<(Value, Value)>, String> {
    match value {
        Value::Mapping(map) => Ok(map.into_iter().collect()),
        Value::Sequence(items) => {
            let mut pairs = Vec::new();
            for item in items {
                match item {
                    Value::Mapping(map) => pairs.extend(map),
                    other => {
                        return Err(format!(
                            "line {line}: `<<` merges mappings, but its list holds {}",
                            super::super::yaml::describe(&other)
                        ));
                    }
                }
            }
            Ok(pairs)
        }
        other => Err(format!(
            "line {line}: `<<` merges a mapping or a list of mappings, found {}",
            super::super::yaml::describe(&other)
        )),
    }
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => format!("`{s}`"),
        other => super::super::yaml::describe(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(key: &str, value: Value) -> Pair {
        Pair {
            key: Key::Value(Value::String(key.into())),
            value,
            line: 1,
        }
    }

    fn map(pairs: &[(&str, u64)]) -> Value {
        Value::Mapping(
            pairs
                .iter()
                .map(|(k, v)| (Value::String(k.to_string()), Value::from(*v)))
                .collect(),
        )
    }

    fn keys(m: &Mapping) -> Vec<&str> {
        m.keys().map(|k| k.as_str().unwrap()).collect()
    }

    #[test]
    fn own_keys_override_and_merged_keys_come_first() {
        let (m, notes) = build_mapping(vec![
            pair("k0", Value::from(0u64)),
            Pair {
                key: Key::Merge,
                value: map(&[("k1", 1), ("k2", 2)]),
                line: 2,
            },
            pair("k2", Value::from(9u64)),
        ])
        .unwrap();
        assert_eq!(keys(&m), ["k1", "k2", "k0"]);
        assert_eq!(m["k2"], Value::from(9u64));
        assert!(notes.is_empty());
    }

    #[test]
    fn in_a_merged_list_the_later_mapping_wins() {
        let list = Value::Sequence(vec![map(&[("rpm", 1), ("y", 1)]), map(&[("rpm", 2)])]);
        let (m, _) = build_mapping(vec![Pair {
            key: Key::Merge,
            value: list,
            line: 1,
        }])
        .unwrap();
        assert_eq!(m["rpm"], Value::from(2u64));
        assert_eq!(keys(&m), ["rpm", "y"]);
    }

    #[test]
    fn merging_a_scalar_is_an_error() {
        let err = build_mapping(vec![Pair {
            key: Key::Merge,
            value: Value::from(3u64),
            line: 4,
        }])
        .unwrap_err();
        assert_eq!(
            err,
            "line 4: `<<` merges a mapping or a list of mappings, found 3"
        );
    }
}
