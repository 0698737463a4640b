//! Prices: what a deployment charges per input and output token.
//!
//! One source feeds cost-based routing and every `cost_usd` in reports. For each deployment:
//! its own `input_cost_per_token`/`output_cost_per_token` (`litellm_params`, else `model_info`),
//! else a `--prices` file in LiteLLM's `model_prices_and_context_window.json` format, else the
//! built-in [`table`]. Models are looked up by the full `model` (`azure/gpt-4o`), then
//! `model_info.base_model`, then the name after the provider prefix (`gpt-4o`). A user's file
//! beats the built-in table because it is the more deliberate statement.

pub mod table;

use crate::config::DeploymentConfig;
pub use crate::config::price_file::{ModelPrice, PriceFile};

/// Where a deployment's price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceSource {
    /// The deployment's own `input_cost_per_token`/`output_cost_per_token`.
    Deployment,
    /// The `--prices` file.
    File,
    /// The built-in table.
    BuiltIn,
}

/// A deployment's price per token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// USD per input token.
    pub input: f64,
    /// USD per output token.
    pub output: f64,
    /// Where it came from.
    pub source: PriceSource,
}

impl Price {
    /// The cost of a call with these token counts.
    pub fn cost(&self, input_tokens: u32, output_tokens: u32) -> f64 {
        f64::from(input_tokens) * self.input + f64::from(output_tokens) * self.output
    }
}

fn built_in(name: &str) -> Option<ModelPrice> {
    table::BUILT_IN
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .map(|i| table::BUILT_IN[i].1)
}

/// The names a deployment's model is looked up by, most specific first.
fn lookup_names(d: &DeploymentConfig) -> impl Iterator<Item = &str> {
    let bare = d.model.split_once('/').map(|(_, rest)| rest);
    std::iter::once(d.model.as_str())
        .chain(d.base_model.as_deref())
        .chain(bare)
}

/// A deployment's price, if any source knows it.
pub fn price_of(d: &DeploymentConfig, file: Option<&PriceFile>) -> Option<Price> {
    if d.input_cost_per_token.is_some() || d.output_cost_per_token.is_some() {
        return Some(Price {
            input: d.input_cost_per_token.unwrap_or(0.0),
            output: d.output_cost_per_token.unwrap_or(0.0),
            source: PriceSource::Deployment,
        });
    }
    for name in lookup_names(d) {
        if let Some(p) = file.and_then(|f| f.get(name)) {
            return Some(Price {
                input: p.input_cost_per_token,
                output: p.output_cost_per_token,
                source: PriceSource::File,
            });
        }
    }
    for name in lookup_names(d) {
        if let Some(p) = built_in(name) {
            return Some(Price {
                input: p.input_cost_per_token,
                output: p.output_cost_per_token,
                source: PriceSource::BuiltIn,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_table_is_sorted_for_binary_search() {
        assert!(table::BUILT_IN.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(built_in("gpt-4o").unwrap().input_cost_per_token, 2.5e-6);
        assert_eq!(
            built_in("claude-sonnet-4-20250514")
                .unwrap()
                .output_cost_per_token,
            15e-6
        );
    }

    #[test]
    fn a_price_file_in_litellm_format_parses_and_bad_prices_are_located() {
        let f = PriceFile::parse(
            r#"{"sample_spec": {"max_tokens": "set to max"}, "my-model": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "max_input_tokens": 1000}}"#,
            "prices.json",
        )
        .unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f.get("my-model").unwrap().max_input_tokens, Some(1000));
        let e = PriceFile::parse(
            r#"{"m": {"input_cost_per_token": "cheap", "output_cost_per_token": 1}}"#,
            "prices.json",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"prices.json: m.input_cost_per_token: expected a number that is not negative, found "cheap""#
        );
    }
}
