//! An embedding request the proxy makes for itself (the auto router's utterances and prompts),
//! driven through the router like a client's: the embedding group's deployments, retries,
//! waits, cooldowns and fallbacks, the same upstreams.
//!
//! It decides only how an embeddings answer becomes vectors; every routing decision is the
//! router's. A call dropped with an attempt in flight hands the attempt back to the router, so
//! a client that leaves while its prompt is embedded leaves no attempt counted as in flight.

use std::time::Duration;

use bytes::Bytes;
use serde::Deserialize;

use super::Proxy;
use super::request_log::AttemptLine;
use super::usage::usage_of;
use crate::live::upstream::{Endpoint, UpstreamFailure, timed_out, transport_failure};
use crate::router::{
    AttemptFailure, AttemptId, Call, CallResult, Completion, DeploymentIdx, Outcome, RequestSpec,
    Route, Step,
};
use crate::time::Time;

/// One `data` item of an embeddings answer.
#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    index: usize,
    embedding: Vec<f32>,
}

/// An embeddings answer (only what is read of it).
#[derive(Deserialize)]
struct Answer {
    data: Vec<Item>,
}

/// The vectors of an embeddings answer for `n` inputs, in input order.
fn vectors_of(body: &[u8], n: usize) -> Result<Vec<Vec<f32>>, String> {
    let answer: Answer = serde_json::from_slice(body)
        .map_err(|e| format!("the embeddings answer has no `data` of vectors: {e}"))?;
    let mut items = answer.data;
    if items.len() != n {
        return Err(format!(
            "the embeddings answer has {} vectors for {n} inputs",
            items.len()
        ));
    }
    items.sort_by_key(|i| i.index);
    Ok(items.into_iter().map(|i| i.embedding).collect())
}

/// Why the proxy embeds: which of LiteLLM's calls it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Embedding {
    /// The routes' utterances, when the auto router is built: LiteLLM's synchronous
    /// `Router.embedding`, which its Prometheus callbacks (async hooks only) do not count.
    Utterances,
    /// A request's prompt: LiteLLM's `Router.aembedding`, counted in the embedding
    /// deployment's metrics like any call.
    Prompt,
}

/// An embedding request in progress.
struct EmbeddingCall<'a> {
    proxy: &'a Proxy,
    /// Whether its attempts go into the deployments' metrics.
    counted: bool,
    call: Call,
    in_flight: Option<(AttemptId, DeploymentIdx, Time)>,
}

impl Drop for EmbeddingCall<'_> {
    /// Dropped mid-attempt (the client that waited for it left): the attempt goes back.
    fn drop(&mut self) {
        if let Some((attempt, _, _)) = self.in_flight.take() {
            let call = &mut self.call;
            self.proxy.core.with(|c| c.router.abandon(call, attempt));
        }
    }
}

/// Embeds `inputs` with the group `route` names, through the router; every attempt is appended
/// to `attempts`. `Err` says why no vectors came: the group's final error after its retries and
/// fallbacks, or an answer without one vector per input.
pub(super) async fn embed(
    proxy: &Proxy,
    route: Route,
    inputs: &[String],
    why: Embedding,
    attempts: &mut Vec<AttemptLine>,
) -> Result<Vec<Vec<f32>>, String> {
    let chars: usize = inputs.iter().map(|t| t.chars().count()).sum();
    let tokens = u32::try_from(chars.div_ceil(4)).unwrap_or(u32::MAX);
    let mut run = EmbeddingCall {
        proxy,
        counted: why == Embedding::Prompt,
        call: Call::new(RequestSpec::new(route, tokens)),
        in_flight: None,
    };
    let mut answer: Option<Bytes> = None;
    let mut last_failure = String::new();
    loop {
        let now = proxy.clock.now();
        let step = proxy
            .core
            .with(|c| c.router.next_step(&mut run.call, now, &mut c.rng));
        match step {
            Step::Send {
                attempt,
                deployment,
                timeout,
            } => {
                run.in_flight = Some((attempt, deployment, now));
                let result = run.attempt(deployment, timeout, inputs).await;
                run.in_flight = None;
                attempts.push(run.record(attempt, deployment, now, tokens, &result));
                match result {
                    Ok(body) => answer = Some(body),
                    Err(f) => last_failure = f.message,
                }
            }
            Step::Wait { until } => proxy.clock.sleep_until(until).await,
            Step::Pending { .. } => return Err("internal: the router was asked twice".into()),
            Step::Finish(CallResult::Served(_)) => {
                return vectors_of(&answer.unwrap_or_default(), inputs.len());
            }
            Step::Finish(CallResult::Failed(failed)) => {
                let why = proxy
                    .core
                    .with(|c| c.router.failure_message(&run.call))
                    .unwrap_or_else(|| failed.class.name().to_string());
                return Err(if last_failure.is_empty() {
                    why
                } else {
                    format!("{why}; last upstream error: {last_failure}")
                });
            }
        }
    }
}

impl EmbeddingCall<'_> {
    /// One attempt: the whole answer, within `timeout` of the proxy's clock.
    async fn attempt(
        &self,
        deployment: DeploymentIdx,
        timeout: Duration,
        inputs: &[String],
    ) -> Result<Bytes, UpstreamFailure> {
        let upstreams = &self.proxy.upstreams;
        let model = upstreams
            .target(deployment)
            .map_or("", |t| t.model.as_str());
        let body = serde_json::json!({"model": model, "input": inputs}).to_string();
        let answer = async {
            let response = upstreams
                .post(deployment, Endpoint::Embeddings, Bytes::from(body))
                .await?;
            response.bytes().await.map_err(|e| transport_failure(&e))
        };
        let wall_timeout = self.proxy.clock.wall_span(timeout);
        match tokio::time::timeout(wall_timeout, answer).await {
            Err(_) => Err(timed_out(timeout)),
            Ok(result) => result,
        }
    }

    /// Tells the router, and for a prompt the deployment's metrics, how the attempt went; the
    /// attempt's log entry.
    fn record(
        &mut self,
        attempt: AttemptId,
        deployment: DeploymentIdx,
        sent: Time,
        tokens: u32,
        result: &Result<Bytes, UpstreamFailure>,
    ) -> AttemptLine {
        let now = self.proxy.clock.now();
        let latency = now - sent;
        let (outcome, status) = match result {
            Ok(body) => (
                Outcome::Success(Completion {
                    input_tokens: usage_of(body).map_or(tokens, |u| u.input),
                    output_tokens: 0,
                    latency,
                    time_to_first_token: latency,
                }),
                Some(200),
            ),
            Err(f) => (
                Outcome::Failure(AttemptFailure {
                    class: f.class,
                    retry_after: f.retry_after,
                    latency,
                }),
                f.status,
            ),
        };
        let call = &mut self.call;
        let recorded = self
            .proxy
            .core
            .with(|c| c.router.record(call, attempt, &outcome, now, &mut c.rng));
        if self.counted {
            let cooled = recorded.cooldown.map(|c| c.reason);
            let counters = &self.proxy.metrics.counters;
            counters.attempt(deployment, &outcome, false, cooled);
        }
        AttemptLine {
            deployment: self.proxy.labels[deployment.get()].id.clone(),
            outcome: match &outcome {
                Outcome::Success(_) => "ok",
                Outcome::Failure(f) => f.class.name(),
            },
            status,
            duration_ms: latency.as_secs_f64() * 1000.0,
            ttft_ms: None,
            retry_after_s: match &outcome {
                Outcome::Success(_) => None,
                Outcome::Failure(f) => f
                    .retry_after
                    .map(|d| self.proxy.clock.clock_span(d).as_secs_f64()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_gives_its_vectors_in_input_order_or_says_what_is_wrong() {
        let body =
            br#"{"data":[{"index":1,"embedding":[0.0,1.0]},{"index":0,"embedding":[1.0,0.0]}]}"#;
        assert_eq!(
            vectors_of(body, 2).unwrap(),
            vec![vec![1.0, 0.0], vec![0.0, 1.0]]
        );
        assert!(
            vectors_of(body, 3)
                .unwrap_err()
                .contains("2 vectors for 3 inputs")
        );
        assert!(vectors_of(b"{}", 1).unwrap_err().contains("no `data`"));
    }
}
