//! Anthropic upstreams (`anthropic/<model>`): the Messages API spoken on behalf of an OpenAI
//! client, as LiteLLM 1.108.7 translates it.
//!
//! An OpenAI chat body becomes a Messages body ([`request`]), a Messages answer an OpenAI
//! `chat.completion` ([`response`]), the Messages event stream OpenAI `chat.completion.chunk`
//! events ([`stream`]), and an Anthropic error one of the core's classes ([`errors`]). The
//! `max_tokens` Anthropic requires defaults as LiteLLM's does ([`max_tokens`]). It translates
//! and classifies; it never sends, retries or chooses (the proxy and the router do).

pub mod errors;
pub mod max_tokens;
pub mod request;
pub mod response;
pub mod stream;

pub use max_tokens::default_max_tokens;

/// The `anthropic-version` header LiteLLM sends.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// The `chat.completion` id of an answer whose Messages id is `id` (LiteLLM draws a fresh
/// `chatcmpl-<uuid>`; Switchyard keeps Anthropic's id in it so that the two can be matched).
pub fn completion_id(id: &str) -> String {
    format!("chatcmpl-{id}")
}
