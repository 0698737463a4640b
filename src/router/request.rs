//! What the router needs to know about one request, and what an attempt's outcome tells it.
//!
//! These are plain `Copy` values so that the simulator's hot loop can hand them over without
//! allocating. It decides the shape of the conversation between a driver (simulator or proxy)
//! and the core; not any policy.

use std::sync::Arc;
use std::time::Duration;

use super::error_class::ErrorClass;
use super::tags::RequestTags;
use crate::config::deployment_table::{DeploymentIdx, Target};

/// Where a request is addressed, after name resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A known group or deployment.
    To(Target),
    /// No group, alias, deployment id or wildcard matches the requested name.
    Unknown,
}

/// One request as the router sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestSpec {
    /// The resolved model name.
    pub route: Route,
    /// Prompt size in tokens (context-window and token-rate checks).
    pub input_tokens: u32,
    /// Whether the client streams the answer (latency strategies use time to first token).
    pub stream: bool,
    /// The request's own `num_retries`, overriding the deployment's and the router's.
    pub num_retries: Option<u32>,
    /// The request's own `fallbacks`, replacing the configured list of the requested group.
    pub fallbacks: Option<Arc<[Route]>>,
    /// `disable_fallbacks: true`: only the requested group's attempts.
    pub disable_fallbacks: bool,
    /// The request's own per-attempt `timeout`.
    pub timeout: Option<Duration>,
    /// The request's tags (`tags` or `metadata.tags`).
    pub tags: RequestTags,
    /// The last user message, for the auto router.
    pub prompt: Option<Arc<str>>,
    /// The last user message's embedding, for an auto router built from an embedding model's
    /// vectors (the live proxy computes it before the request reaches the router); `None` for
    /// the built-in encoder, or when the embedding call failed (the default model then serves).
    pub prompt_vector: Option<Arc<[f32]>>,
    /// The client named a `litellm_params.model` that LiteLLM's proxy routes as a specific
    /// deployment ([`super::Router::routes_as_specific_deployment`]). Its fallbacks keep
    /// `specific_deployment`: each target is looked up by `litellm_params.model` alone, and a
    /// group's name finds no deployment.
    pub specific_deployment: bool,
}

impl RequestSpec {
    /// A plain request to `route` with `input_tokens` and no per-request settings.
    pub fn new(route: Route, input_tokens: u32) -> Self {
        RequestSpec {
            route,
            input_tokens,
            stream: false,
            num_retries: None,
            fallbacks: None,
            disable_fallbacks: false,
            timeout: None,
            tags: RequestTags::default(),
            prompt: None,
            prompt_vector: None,
            specific_deployment: false,
        }
    }
}

/// What a provider did with one attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// The attempt succeeded.
    Success(Completion),
    /// The attempt failed.
    Failure(AttemptFailure),
}

/// A successful attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Completion {
    /// Prompt tokens billed.
    pub input_tokens: u32,
    /// Completion tokens produced.
    pub output_tokens: u32,
    /// From the attempt's dispatch to its last token.
    pub latency: Duration,
    /// From the attempt's dispatch to its first token.
    pub time_to_first_token: Duration,
}

/// A failed attempt, already classified.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttemptFailure {
    /// The class of the failure.
    pub class: ErrorClass,
    /// The provider's Retry-After, if it sent one.
    pub retry_after: Option<Duration>,
    /// From dispatch to the failure.
    pub latency: Duration,
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CallResult {
    /// A deployment answered.
    Served(Served),
    /// Every allowed attempt failed, or the router refused the request.
    Failed(Failed),
}

/// A served request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Served {
    /// The deployment that answered.
    pub deployment: DeploymentIdx,
    /// The successful attempt's completion.
    pub completion: Completion,
    /// Attempts made, the successful one included.
    pub attempts: u32,
    /// Retries within the group that served (0 when a fallback served).
    pub retries: u32,
    /// Attempted fallbacks as LiteLLM 1.108.7 reports them (`x-litellm-attempted-fallbacks`):
    /// the targets tried from the requested group's own fallback list (its next `order` tier
    /// counting as the first), up to the one whose walk served; 0 when the requested group
    /// served. A group reached through a nested list adds nothing.
    pub fallbacks: u32,
}

/// A failed request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Failed {
    /// The class of the final error.
    pub class: ErrorClass,
    /// Retry-After the client is told, if any.
    pub retry_after: Option<Duration>,
    /// The deployment of the last attempt, if any attempt was made.
    pub last_deployment: Option<DeploymentIdx>,
    /// Attempts made.
    pub attempts: u32,
    /// Retries made in the last group tried.
    pub retries: u32,
    /// Attempted fallbacks, counted as for a served request ([`Served::fallbacks`]).
    pub fallbacks: u32,
    /// Whether LiteLLM's message for it says "No deployments available": its final error, or
    /// the last fallback's, ran out of deployments (all cooling, or all over budget).
    pub out_of_deployments: bool,
}

impl Failed {
    /// The HTTP status LiteLLM 1.108.7's proxy answers it with: its class's, recoded to 429 when
    /// the message says "No deployments available" (`ProxyException`, `proxy/_types.py`,
    /// recodes any message that does, whatever the error; docs/litellm-compat.md §14).
    pub fn status(&self) -> u16 {
        if self.out_of_deployments {
            429
        } else {
            self.class.status()
        }
    }
}

impl CallResult {
    /// Attempts made in all.
    pub fn attempts(&self) -> u32 {
        match self {
            CallResult::Served(s) => s.attempts,
            CallResult::Failed(f) => f.attempts,
        }
    }
}
