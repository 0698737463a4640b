//! What a client observed of one request, turned into the [`RequestRecord`] the reports read.
//!
//! A client sees the status, the gateway's `x-litellm-*` headers, the usage in the body and its
//! own timings; it does not see the attempts a gateway made at each deployment, the cooldowns it
//! started, or the groups that failed before a fallback served. Those stay empty in the records
//! (no per-deployment attempt counts, no cooldown events, no fallback paths beyond the depth the
//! `x-litellm-attempted-fallbacks` header gives). Wall-clock spans become virtual ones (× the
//! driver's speed), so the report's latencies compare with a simulation's.
//!
//! It decides how an observation reads as a record; it sends nothing and aggregates nothing.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::plan::PlannedRequest;
use crate::metrics::RequestRecord;
use crate::router::pricing::price_of;
use crate::router::{
    CallResult, Completion, DeploymentIdx, DeploymentTable, ErrorClass, Failed, GroupIdx,
    PriceFile, Served,
};

/// The gateway's headers about how it served a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GatewayHeaders {
    /// `x-litellm-model-id`: the id of the deployment that answered.
    pub model_id: Option<String>,
    /// `x-litellm-model-api-base`: the serving deployment's `api_base`.
    pub api_base: Option<String>,
    /// `x-litellm-attempted-retries`.
    pub retries: u32,
    /// `x-litellm-attempted-fallbacks`.
    pub fallbacks: u32,
    /// `x-litellm-response-cost`, in US dollars.
    pub cost_usd: Option<f64>,
    /// `Retry-After` (seconds; an HTTP date is ignored), on the wall clock.
    pub retry_after: Option<Duration>,
}

impl GatewayHeaders {
    /// Reads the headers of an answer; missing or unreadable ones stay at their defaults.
    pub fn read(headers: &HeaderMap) -> GatewayHeaders {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let count = |name: &str| text(name).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
        GatewayHeaders {
            model_id: text("x-litellm-model-id").map(str::to_string),
            api_base: text("x-litellm-model-api-base").map(str::to_string),
            retries: count("x-litellm-attempted-retries"),
            fallbacks: count("x-litellm-attempted-fallbacks"),
            cost_usd: text("x-litellm-response-cost")
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|c| c.is_finite() && *c >= 0.0),
            retry_after: text("retry-after")
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64),
        }
    }
}

/// Token counts of an OpenAI `usage` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// `prompt_tokens`.
    pub prompt_tokens: u32,
    /// `completion_tokens`.
    pub completion_tokens: u32,
}

impl Usage {
    /// The `usage` of a response body or a stream chunk, if it has one.
    pub fn of(body: &Value) -> Option<Usage> {
        let usage = body.get("usage")?;
        let count = |k: &str| {
            usage
                .get(k)
                .and_then(Value::as_u64)
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
        };
        Some(Usage {
            prompt_tokens: count("prompt_tokens")?,
            completion_tokens: count("completion_tokens")?,
        })
    }
}

/// How the request ended, as the client saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answer {
    /// A successful answer, read to its end.
    Served {
        /// Its usage, when the body (or a stream chunk) carried one.
        usage: Option<Usage>,
    },
    /// An error answer, a broken stream, no answer at all, or the client's own timeout.
    Failed {
        /// The error's class.
        class: ErrorClass,
        /// Whether the gateway answered 429 for an error of another class, as LiteLLM's proxy
        /// does when its message says "No deployments available" ([`Failed::status`]).
        recoded: bool,
    },
}

/// One request's exchange with the gateway; spans are on the wall clock, from the instant the
/// request was due.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// How it ended.
    pub answer: Answer,
    /// The gateway's headers (defaults when there was no answer).
    pub headers: GatewayHeaders,
    /// Until the first token: the first `data:` chunk of a stream, the whole body otherwise.
    pub first_token: Option<Duration>,
    /// Until the end of the answer.
    pub latency: Duration,
}

impl Exchange {
    /// A request that failed with `class` after `latency`, with no headers to read.
    pub fn failed(class: ErrorClass, latency: Duration) -> Exchange {
        Exchange {
            answer: Answer::Failed {
                class,
                recoded: false,
            },
            headers: GatewayHeaders::default(),
            first_token: None,
            latency,
        }
    }
}

/// What turns exchanges into records: the scenario's deployments and prices and the speed.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    /// The deployments the gateway's model ids name.
    pub table: &'a DeploymentTable,
    /// Prices beside the deployments' own, for answers without a cost header.
    pub price_file: Option<&'a PriceFile>,
    /// Virtual seconds per wall-clock second.
    pub speed: f64,
}

/// A record, and the model id the gateway named when it matches no deployment of the scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observed<'id> {
    /// The request's record.
    pub record: RequestRecord<'static>,
    /// The `x-litellm-model-id` of a served request whose headers name no deployment of the
    /// scenario (the record then counts it under the first deployment of the requested group).
    pub unknown_model_id: Option<&'id str>,
}

impl Reader<'_> {
    /// The deployment the headers name: by its id, else the one deployment (of the requested
    /// group, when the name is one) with the `api_base` the gateway reports — LiteLLM's ids are
    /// hashes unless the config sets `model_info.id`.
    fn deployment(&self, h: &GatewayHeaders, group: Option<GroupIdx>) -> Option<DeploymentIdx> {
        if let Some(d) = h
            .model_id
            .as_deref()
            .and_then(|id| self.table.deployment_with_id(id))
        {
            return Some(d);
        }
        let base = h.api_base.as_deref()?.trim_end_matches('/');
        let all = self.table.deployments();
        let candidates: Vec<DeploymentIdx> = match group {
            Some(g) => self.table.group(g).members.clone(),
            None => (0..all.len() as u32).map(DeploymentIdx).collect(),
        };
        let mut matching = candidates.into_iter().filter(|d| {
            let config = &all[d.get()].config;
            let own = config.api_base.as_ref().and_then(|b| b.value.as_deref());
            own.is_some_and(|own| own.trim_end_matches('/') == base)
        });
        match (matching.next(), matching.next()) {
            (Some(d), None) => Some(d),
            _ => None,
        }
    }

    fn virtual_span(&self, wall: Duration) -> Duration {
        wall.mul_f64(self.speed)
    }

    /// The record of `request` (asking for `model`) from what the client observed.
    pub fn record<'x>(
        &self,
        request: &PlannedRequest,
        model: &str,
        exchange: &'x Exchange,
    ) -> Observed<'x> {
        let h = &exchange.headers;
        let requested_group = self.table.group_named(model);
        let named = self.deployment(h, requested_group);
        let latency = self.virtual_span(exchange.latency);
        let end = request.at + latency;
        let (attempts, retries, fallbacks) = (1 + h.retries + h.fallbacks, h.retries, h.fallbacks);
        let drawn = request.drawn;
        let (result, ttft, input_tokens, output_tokens, cost_usd, unknown) = match exchange.answer {
            Answer::Served { usage } => {
                let (deployment, unknown) = match named {
                    Some(d) => (d, None),
                    None => (
                        requested_group
                            .and_then(|g| self.table.group(g).members.first().copied())
                            .unwrap_or(DeploymentIdx(0)),
                        Some(h.model_id.as_deref().unwrap_or("")),
                    ),
                };
                let (input, output) = usage
                    .map_or((drawn.input_tokens, drawn.output_tokens), |u| {
                        (u.prompt_tokens, u.completion_tokens)
                    });
                let ttft = self.virtual_span(exchange.first_token.unwrap_or(exchange.latency));
                let cost = h.cost_usd.unwrap_or_else(|| {
                    price_of(&self.table.deployment(deployment).config, self.price_file)
                        .map_or(0.0, |p| p.cost(input, output))
                });
                let served = Served {
                    deployment,
                    completion: Completion {
                        input_tokens: input,
                        output_tokens: output,
                        latency,
                        time_to_first_token: ttft,
                    },
                    attempts,
                    retries,
                    fallbacks,
                };
                (
                    CallResult::Served(served),
                    Some(ttft),
                    input,
                    output,
                    cost,
                    unknown,
                )
            }
            Answer::Failed { class, recoded } => {
                let failed = Failed {
                    out_of_deployments: recoded,
                    class,
                    retry_after: h.retry_after.map(|r| self.virtual_span(r)),
                    last_deployment: named,
                    attempts,
                    retries,
                    fallbacks,
                };
                let input = drawn.input_tokens;
                (CallResult::Failed(failed), None, input, 0, 0.0, None)
            }
        };
        let final_group: Option<GroupIdx> = match result {
            CallResult::Served(s) if unknown.is_none() => {
                Some(self.table.deployment(s.deployment).group)
            }
            CallResult::Failed(Failed {
                last_deployment: Some(d),
                ..
            }) => Some(self.table.deployment(d).group),
            _ => requested_group,
        };
        Observed {
            record: RequestRecord {
                id: request.id,
                arrival: request.at,
                end,
                class: drawn.class,
                result,
                time_to_first_token: ttft,
                input_tokens,
                output_tokens,
                cost_usd,
                failed_groups: &[],
                final_group,
                client: Default::default(),
            },
            unknown_model_id: unknown,
        }
    }
}
