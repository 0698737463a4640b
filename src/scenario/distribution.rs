//! Distributions as scenario files spell them.
//!
//! A distribution is a scalar (a constant) or a mapping with one key naming the family:
//! `constant`, `uniform {min, max}`, `exponential {mean}`, `normal {mean, std_dev}` (truncated
//! at 0), `lognormal {median, p99}` or `lognormal {mu, sigma}`, `empirical [[q, value], …]`.
//! Times are written with units (`300ms`); token counts as numbers. It decides the spelling
//! and checks the parameters; sampling is the simulator's [`Distribution`].

use crate::config::InputError;
use crate::config::units;
use crate::config::yaml::Node;
use crate::sim::Distribution;

/// What the values of a distribution are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Durations with units, read as seconds.
    Time,
    /// Plain numbers (tokens).
    Count,
}

const FAMILIES: &[&str] = &[
    "constant",
    "uniform",
    "exponential",
    "normal",
    "lognormal",
    "empirical",
];

fn value(node: &Node<'_>, unit: Unit) -> Result<f64, InputError> {
    match unit {
        Unit::Time => units::duration(node).map(|d| d.as_secs_f64()),
        Unit::Count => node.non_negative(),
    }
}

/// Reads a distribution of `unit` values.
pub fn distribution(node: &Node<'_>, unit: Unit) -> Result<Distribution, InputError> {
    if !node.value().is_mapping() {
        let v = value(node, unit).map_err(|_| {
            node.expected(match unit {
                Unit::Time => "a duration such as 300ms, or a distribution such as {lognormal: {median: 300ms, p99: 2s}}",
                Unit::Count => "a number, or a distribution such as {uniform: {min: 100, max: 500}}",
            })
        })?;
        return Distribution::constant(v).map_err(|e| node.error(e));
    }
    let entries = node.entries()?;
    if entries.len() != 1 {
        return Err(node.error(format!(
            "expected exactly one distribution family (one of: {}), found {} keys",
            FAMILIES.join(", "),
            entries.len()
        )));
    }
    node.deny_unknown_keys(FAMILIES)?;
    let (family, params) = &entries[0];
    let built = match *family {
        "constant" => Distribution::constant(value(params, unit)?),
        "uniform" => {
            params.deny_unknown_keys(&["min", "max"])?;
            Distribution::uniform(
                value(&params.require("min")?, unit)?,
                value(&params.require("max")?, unit)?,
            )
        }
        "exponential" => {
            params.deny_unknown_keys(&["mean"])?;
            Distribution::exponential(value(&params.require("mean")?, unit)?)
        }
        "normal" => {
            params.deny_unknown_keys(&["mean", "std_dev"])?;
            Distribution::truncated_normal(
                value(&params.require("mean")?, unit)?,
                value(&params.require("std_dev")?, unit)?,
            )
        }
        "lognormal" => {
            params.deny_unknown_keys(&["median", "p99", "mu", "sigma"])?;
            let quantiles = params.get("median")?.is_some() || params.get("p99")?.is_some();
            if quantiles && (params.get("mu")?.is_some() || params.get("sigma")?.is_some()) {
                return Err(params.error(
                    "give either {median, p99} or {mu, sigma}, not both (they say the same thing two ways)",
                ));
            }
            match (params.get("median")?, params.get("p99")?) {
                (Some(median), Some(p99)) => Distribution::lognormal_from_quantiles(
                    value(&median, unit)?,
                    value(&p99, unit)?,
                ),
                (None, None) => Distribution::lognormal(
                    params.require("mu")?.f64()?,
                    params.require("sigma")?.non_negative()?,
                ),
                _ => {
                    return Err(params.error(
                        "expected either {median, p99} or {mu, sigma} (mu and sigma of the natural log of the value in seconds or tokens)",
                    ));
                }
            }
        }
        "empirical" => {
            let mut points = Vec::new();
            for point in params.items()? {
                let pair = point.items()?;
                if pair.len() != 2 {
                    return Err(point.expected("a [quantile, value] pair"));
                }
                points.push((pair[0].non_negative()?, value(&pair[1], unit)?));
            }
            Distribution::empirical(points)
        }
        _ => unreachable!("deny_unknown_keys admitted only known families"),
    };
    built.map_err(|e| params.error(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::Source;
    use std::collections::BTreeMap;

    fn parse(text: &str, unit: Unit) -> Result<Distribution, String> {
        let env = BTreeMap::new();
        let src = Source::new("s.yaml", &env);
        let v = src.parse(text).unwrap();
        distribution(&src.root(&v).require("d").unwrap(), unit).map_err(|e| e.to_string())
    }

    #[test]
    fn every_family_parses() {
        assert_eq!(parse("d: 300ms", Unit::Time).unwrap().mean(), 0.3);
        assert_eq!(parse("d: {constant: 2s}", Unit::Time).unwrap().mean(), 2.0);
        assert_eq!(
            parse("d: {uniform: {min: 100, max: 300}}", Unit::Count)
                .unwrap()
                .mean(),
            200.0
        );
        assert_eq!(
            parse("d: {exponential: {mean: 10ms}}", Unit::Time)
                .unwrap()
                .mean(),
            0.01
        );
        assert!(parse("d: {normal: {mean: 1s, std_dev: 100ms}}", Unit::Time).is_ok());
        assert!(parse("d: {lognormal: {median: 300ms, p99: 2s}}", Unit::Time).is_ok());
        assert!(parse("d: {lognormal: {mu: 5, sigma: 0.5}}", Unit::Count).is_ok());
        let e = parse(
            "d: {empirical: [[0, 10ms], [0.5, 20ms], [1, 100ms]]}",
            Unit::Time,
        )
        .unwrap();
        assert!((e.mean() - 0.0375).abs() < 1e-12);
    }

    #[test]
    fn mistakes_are_located_and_explained() {
        assert_eq!(
            parse("d: {lognormal: {median: 300ms}}", Unit::Time).unwrap_err(),
            "s.yaml: d.lognormal: expected either {median, p99} or {mu, sigma} (mu and sigma of the natural log of the value in seconds or tokens)"
        );
        assert_eq!(
            parse(
                "d: {lognormal: {median: 300ms, p99: 2s, mu: 1, sigma: 0.5}}",
                Unit::Time
            )
            .unwrap_err(),
            "s.yaml: d.lognormal: give either {median, p99} or {mu, sigma}, not both (they say the same thing two ways)"
        );
        assert_eq!(
            parse("d: {exponental: {mean: 1s}}", Unit::Time).unwrap_err(),
            "s.yaml: d.exponental: unknown key `exponental`; did you mean `exponential`?"
        );
        assert_eq!(
            parse("d: 300", Unit::Time).unwrap_err(),
            "s.yaml: d: expected a duration such as 300ms, or a distribution such as {lognormal: {median: 300ms, p99: 2s}}, found 300"
        );
        assert_eq!(
            parse("d: {uniform: {min: 5s, max: 1s}}", Unit::Time).unwrap_err(),
            "s.yaml: d.uniform: uniform needs 0 <= min <= max, found min 5, max 1"
        );
    }
}
