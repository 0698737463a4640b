//! The `max_tokens` an Anthropic request gets when the client names none.
//!
//! LiteLLM (`AnthropicConfig.get_max_tokens_for_model`) takes the model's `max_output_tokens`
//! from its price map and falls back to `DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS` (4096) for a model
//! the map does not list. The map of 1.108.7 lists the Anthropic chat models below; it no longer
//! lists `claude-sonnet-4-20250514` and the other older ids, which therefore get 4096 (observed:
//! docs/litellm-compat.md). A deployment's `model_info.max_output_tokens` is not read by LiteLLM
//! here, so it is not read either. It decides only this number.

/// LiteLLM's fallback `DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS`.
pub const FALLBACK_MAX_TOKENS: u32 = 4096;

/// `(model, max_output_tokens)` of the Anthropic chat models in LiteLLM 1.108.7's price map,
/// sorted by name.
const LITELLM_MAX_OUTPUT_TOKENS: &[(&str, u32)] = &[
    ("claude-fable-5", 128_000),
    ("claude-fable-5-1", 128_000),
    ("claude-haiku-4-5", 64_000),
    ("claude-haiku-4-5-20251001", 64_000),
    ("claude-haiku-5-5", 128_000),
    ("claude-mythos-5", 128_000),
    ("claude-mythos-5-1", 128_000),
    ("claude-mythos-preview", 128_000),
    ("claude-opus-4-5", 64_000),
    ("claude-opus-4-5-20251101", 64_000),
    ("claude-opus-4-6", 128_000),
    ("claude-opus-4-6-20260205", 128_000),
    ("claude-opus-4-7", 128_000),
    ("claude-opus-4-7-20260416", 128_000),
    ("claude-opus-4-8", 128_000),
    ("claude-opus-5", 128_000),
    ("claude-opus-5-5", 128_000),
    ("claude-sonnet-4-5", 64_000),
    ("claude-sonnet-4-5-20250929", 64_000),
    ("claude-sonnet-4-6", 128_000),
    ("claude-sonnet-5", 128_000),
    ("claude-sonnet-5-5", 128_000),
];

/// The `max_tokens` LiteLLM sends for `model` (the name after `anthropic/`) when the client
/// sends none.
pub fn default_max_tokens(model: &str) -> u32 {
    LITELLM_MAX_OUTPUT_TOKENS
        .binary_search_by(|(name, _)| (*name).cmp(model))
        .map_or(FALLBACK_MAX_TOKENS, |i| LITELLM_MAX_OUTPUT_TOKENS[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_models_get_their_max_output_and_others_4096() {
        assert!(
            LITELLM_MAX_OUTPUT_TOKENS
                .windows(2)
                .all(|w| w[0].0 < w[1].0)
        );
        assert_eq!(default_max_tokens("claude-haiku-4-5"), 64_000);
        assert_eq!(default_max_tokens("claude-opus-4-6"), 128_000);
        assert_eq!(default_max_tokens("claude-sonnet-4-20250514"), 4096);
        assert_eq!(default_max_tokens("claude-3-5-haiku-20241022"), 4096);
    }
}
