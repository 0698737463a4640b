//! LiteLLM's price file (`model_prices_and_context_window.json`), read and checked when a
//! scenario or `--prices` names one.
//!
//! It decides how the file is read and what a wrong entry is (an error naming the file and the
//! model's key); which price a deployment pays is the router's (`router::pricing`).

use std::collections::BTreeMap;
use std::path::Path;

use super::InputError;

/// One model's prices and limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPrice {
    /// USD per input token.
    pub input_cost_per_token: f64,
    /// USD per output token.
    pub output_cost_per_token: f64,
    /// Context window in input tokens.
    pub max_input_tokens: Option<u64>,
    /// Largest completion in tokens.
    pub max_output_tokens: Option<u64>,
}

/// Prices loaded from a LiteLLM price file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceFile {
    models: BTreeMap<String, ModelPrice>,
}

impl PriceFile {
    /// Reads a `model_prices_and_context_window.json`-format file.
    pub fn load(path: &Path) -> Result<PriceFile, InputError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::new(&file, "", format!("cannot read the file: {e}")))?;
        PriceFile::parse(&text, &file)
    }

    /// Parses price-file JSON; `file` names it in messages. Entries without both prices (such
    /// as LiteLLM's `sample_spec`) are skipped; a price of the wrong type is an error.
    pub fn parse(text: &str, file: &str) -> Result<PriceFile, InputError> {
        let root: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            InputError::new(
                file,
                "",
                format!(
                    "line {}, column {}: not valid JSON: {e}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        let entries = root
            .as_object()
            .ok_or_else(|| InputError::new(file, "", "expected a JSON object of models"))?;
        let mut models = BTreeMap::new();
        for (name, entry) in entries {
            let Some(obj) = entry.as_object() else {
                continue;
            };
            let number = |key: &str| -> Result<Option<f64>, InputError> {
                match obj.get(key) {
                    None | Some(serde_json::Value::Null) => Ok(None),
                    Some(v) => v.as_f64().filter(|x| *x >= 0.0).map(Some).ok_or_else(|| {
                        InputError::new(
                            file,
                            format!("{name}.{key}"),
                            format!("expected a number that is not negative, found {v}"),
                        )
                    }),
                }
            };
            let count =
                |key: &str| -> Option<u64> { obj.get(key).and_then(serde_json::Value::as_u64) };
            if let (Some(input), Some(output)) = (
                number("input_cost_per_token")?,
                number("output_cost_per_token")?,
            ) {
                models.insert(
                    name.clone(),
                    ModelPrice {
                        input_cost_per_token: input,
                        output_cost_per_token: output,
                        max_input_tokens: count("max_input_tokens"),
                        max_output_tokens: count("max_output_tokens"),
                    },
                );
            }
        }
        Ok(PriceFile { models })
    }

    /// The prices of the model called `name`, if the file has them.
    pub fn get(&self, name: &str) -> Option<&ModelPrice> {
        self.models.get(name)
    }

    /// Models in the file.
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// True when the file priced nothing.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }
}
