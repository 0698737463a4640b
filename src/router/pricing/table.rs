//! The built-in price table: widely used models with their published per-token prices and
//! context windows.
//!
//! Generated from LiteLLM 1.108.7's `model_prices_and_context_window_backup.json` for the models
//! below; the Anthropic entries that price map no longer lists (`claude-sonnet-4-20250514`,
//! `claude-opus-4-20250514`, `claude-3-7-sonnet-20250219`, `claude-3-5-haiku-20241022`) carry
//! Anthropic's published list prices. Sorted by name for binary search.

use crate::config::price_file::ModelPrice;

/// `(model name, price)`, sorted by name.
pub const BUILT_IN: &[(&str, ModelPrice)] = &[
    (
        "claude-3-5-haiku-20241022",
        ModelPrice {
            input_cost_per_token: 8e-07,
            output_cost_per_token: 4e-06,
            max_input_tokens: Some(200000),
            max_output_tokens: Some(8192),
        },
    ),
    (
        "claude-3-7-sonnet-20250219",
        ModelPrice {
            input_cost_per_token: 3e-06,
            output_cost_per_token: 1.5e-05,
            max_input_tokens: Some(200000),
            max_output_tokens: Some(64000),
        },
    ),
    (
        "claude-haiku-4-5",
        ModelPrice {
            input_cost_per_token: 1e-06,
            output_cost_per_token: 5e-06,
            max_input_tokens: Some(200000),
            max_output_tokens: Some(64000),
        },
    ),
    (
        "claude-haiku-4-5-20251001",
        ModelPrice {
            input_cost_per_token: 1e-06,
            output_cost_per_token: 5e-06,
            max_input_tokens: Some(200000),
            max_output_tokens: Some(64000),
        },
    ),
    (
        "claude-opus-4-20250514",
        ModelPrice {
            input_cost_per_token: 1.5e-05,
            output_cost_per_token: 7.5e-05,
            max_input_tokens: Some(200000),
            max_output_tokens: Some(32000),
        },
    ),
    (
        "claude-opus-4-5",
        ModelPrice {
            input_cost_per_token: 5e-06,
            output_cost_per_token: 2.5e-05,
            max_input_tokens: Some(200000),
            max_output_tokens: Some(64000),
        },
    ),
    (
        "claude-opus-4-6",
        ModelPrice {
            input_cost_per_token: 5e-06,
            output_cost_per_token: 2.5e-05,
            max_input_tokens: Some(1000000),
            max_output_tokens: Some(128000),
        },
    ),
    (
        "claude-sonnet-4",
        ModelPrice {
            input_cost_per_token: 3e-06,
            output_cost_per_token: 1.5e-05,
            max_input_tokens: Some(200000),
            max_output_tokens: Some(64000),
        },
    ),
    (
        "claude-sonnet-4-20250514",
        ModelPrice {
            input_cost_per_token: 3e-06,
            output_cost_per_token: 1.5e-05,
            max_input_tokens: Some(200000),
            max_output_tokens: Some(64000),
        },
    ),
    (
        "claude-sonnet-4-5",
        ModelPrice {
            input_cost_per_token: 3e-06,
            output_cost_per_token: 1.5e-05,
            max_input_tokens: Some(200000),
            max_output_tokens: Some(64000),
        },
    ),
    (
        "claude-sonnet-4-5-20250929",
        ModelPrice {
            input_cost_per_token: 3e-06,
            output_cost_per_token: 1.5e-05,
            max_input_tokens: Some(200000),
            max_output_tokens: Some(64000),
        },
    ),
    (
        "claude-sonnet-4-6",
        ModelPrice {
            input_cost_per_token: 3e-06,
            output_cost_per_token: 1.5e-05,
            max_input_tokens: Some(1000000),
            max_output_tokens: Some(128000),
        },
    ),
    (
        "deepseek/deepseek-chat",
        ModelPrice {
            input_cost_per_token: 2.8e-07,
            output_cost_per_token: 4.2e-07,
            max_input_tokens: Some(131072),
            max_output_tokens: Some(8192),
        },
    ),
    (
        "deepseek/deepseek-reasoner",
        ModelPrice {
            input_cost_per_token: 2.8e-07,
            output_cost_per_token: 4.2e-07,
            max_input_tokens: Some(131072),
            max_output_tokens: Some(65536),
        },
    ),
    (
        "gemini/gemini-2.5-flash",
        ModelPrice {
            input_cost_per_token: 3e-07,
            output_cost_per_token: 2.5e-06,
            max_input_tokens: Some(1048576),
            max_output_tokens: Some(65536),
        },
    ),
    (
        "gemini/gemini-2.5-flash-lite",
        ModelPrice {
            input_cost_per_token: 1e-07,
            output_cost_per_token: 4e-07,
            max_input_tokens: Some(1048576),
            max_output_tokens: Some(65536),
        },
    ),
    (
        "gemini/gemini-2.5-pro",
        ModelPrice {
            input_cost_per_token: 1.25e-06,
            output_cost_per_token: 1e-05,
            max_input_tokens: Some(1048576),
            max_output_tokens: Some(65536),
        },
    ),
    (
        "gpt-3.5-turbo",
        ModelPrice {
            input_cost_per_token: 5e-07,
            output_cost_per_token: 1.5e-06,
            max_input_tokens: Some(16385),
            max_output_tokens: Some(4096),
        },
    ),
    (
        "gpt-4",
        ModelPrice {
            input_cost_per_token: 3e-05,
            output_cost_per_token: 6e-05,
            max_input_tokens: Some(8192),
            max_output_tokens: Some(4096),
        },
    ),
    (
        "gpt-4-turbo",
        ModelPrice {
            input_cost_per_token: 1e-05,
            output_cost_per_token: 3e-05,
            max_input_tokens: Some(128000),
            max_output_tokens: Some(4096),
        },
    ),
    (
        "gpt-4.1",
        ModelPrice {
            input_cost_per_token: 2e-06,
            output_cost_per_token: 8e-06,
            max_input_tokens: Some(1047576),
            max_output_tokens: Some(32768),
        },
    ),
    (
        "gpt-4.1-mini",
        ModelPrice {
            input_cost_per_token: 4e-07,
            output_cost_per_token: 1.6e-06,
            max_input_tokens: Some(1047576),
            max_output_tokens: Some(32768),
        },
    ),
    (
        "gpt-4.1-nano",
        ModelPrice {
            input_cost_per_token: 1e-07,
            output_cost_per_token: 4e-07,
            max_input_tokens: Some(1047576),
            max_output_tokens: Some(32768),
        },
    ),
    (
        "gpt-4o",
        ModelPrice {
            input_cost_per_token: 2.5e-06,
            output_cost_per_token: 1e-05,
            max_input_tokens: Some(128000),
            max_output_tokens: Some(16384),
        },
    ),
    (
        "gpt-4o-mini",
        ModelPrice {
            input_cost_per_token: 1.5e-07,
            output_cost_per_token: 6e-07,
            max_input_tokens: Some(128000),
            max_output_tokens: Some(16384),
        },
    ),
    (
        "gpt-5",
        ModelPrice {
            input_cost_per_token: 1.25e-06,
            output_cost_per_token: 1e-05,
            max_input_tokens: Some(272000),
            max_output_tokens: Some(128000),
        },
    ),
    (
        "gpt-5-mini",
        ModelPrice {
            input_cost_per_token: 2.5e-07,
            output_cost_per_token: 2e-06,
            max_input_tokens: Some(272000),
            max_output_tokens: Some(128000),
        },
    ),
    (
        "gpt-5-nano",
        ModelPrice {
            input_cost_per_token: 5e-08,
            output_cost_per_token: 4e-07,
            max_input_tokens: Some(272000),
            max_output_tokens: Some(128000),
        },
    ),
    (
        "mistral/codestral-latest",
        ModelPrice {
            input_cost_per_token: 3e-07,
            output_cost_per_token: 9e-07,
            max_input_tokens: Some(128000),
            max_output_tokens: Some(128000),
        },
    ),
    (
        "mistral/mistral-large-latest",
        ModelPrice {
            input_cost_per_token: 5e-07,
            output_cost_per_token: 1.5e-06,
            max_input_tokens: Some(262144),
            max_output_tokens: Some(262144),
        },
    ),
    (
        "mistral/mistral-medium-latest",
        ModelPrice {
            input_cost_per_token: 1.5e-06,
            output_cost_per_token: 7.5e-06,
            max_input_tokens: Some(262144),
            max_output_tokens: Some(262144),
        },
    ),
    (
        "mistral/mistral-small-latest",
        ModelPrice {
            input_cost_per_token: 1.5e-07,
            output_cost_per_token: 6e-07,
            max_input_tokens: Some(262144),
            max_output_tokens: Some(262144),
        },
    ),
    (
        "o3",
        ModelPrice {
            input_cost_per_token: 2e-06,
            output_cost_per_token: 8e-06,
            max_input_tokens: Some(200000),
            max_output_tokens: Some(100000),
        },
    ),
    (
        "o3-mini",
        ModelPrice {
            input_cost_per_token: 1.1e-06,
            output_cost_per_token: 4.4e-06,
            max_input_tokens: Some(200000),
            max_output_tokens: Some(100000),
        },
    ),
    (
        "o4-mini",
        ModelPrice {
            input_cost_per_token: 1.1e-06,
            output_cost_per_token: 4.4e-06,
            max_input_tokens: Some(200000),
            max_output_tokens: Some(100000),
        },
    ),
    (
        "text-embedding-3-large",
        ModelPrice {
            input_cost_per_token: 1.3e-07,
            output_cost_per_token: 0.0,
            max_input_tokens: Some(8191),
            max_output_tokens: None,
        },
    ),
    (
        "text-embedding-3-small",
        ModelPrice {
            input_cost_per_token: 2e-08,
            output_cost_per_token: 0.0,
            max_input_tokens: Some(8191),
            max_output_tokens: None,
        },
    ),
    (
        "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
        ModelPrice {
            input_cost_per_token: 1.04e-06,
            output_cost_per_token: 1.04e-06,
            max_input_tokens: Some(131072),
            max_output_tokens: None,
        },
    ),
    (
        "xai/grok-4.3",
        ModelPrice {
            input_cost_per_token: 1.25e-06,
            output_cost_per_token: 2.5e-06,
            max_input_tokens: Some(1000000),
            max_output_tokens: Some(1000000),
        },
    ),
];
