//! One request's life in the proxy: the router's `Call` driven step by step from tokio. A
//! `Send` becomes an upstream request (or a mock answer), a `Wait` a sleep, a `Finish` the
//! client's response; each attempt's outcome goes back to the router with its attempt id.
//!
//! It decides nothing the router decides. It guarantees that every request ends in a response
//! or a classified error and that its log line is written, even when the client goes away: an
//! [`Exchange`] dropped with an attempt in flight hands the attempt back to the router
//! ([`crate::router::Router::abandon`]) and logs status 499.

use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Map, Value};

use super::Proxy;
use super::controls::{self, Controls};
use super::errors::ApiError;
use super::metrics::counters::Finished;
use super::request_log::{AttemptLine, RequestLine};
use super::response_headers::{self, AnswerFacts};
use super::usage::{Usage, usage_of};
use crate::live::upstream::anthropic::stream::StreamTranslator;
use crate::live::upstream::{Endpoint, UpstreamFailure, timed_out};
use crate::router::{
    AttemptFailure, AttemptId, Call, CallResult, Completion, DeploymentIdx, ErrorClass, Failed,
    Outcome, RequestSpec, Route, Step, Target,
};
use crate::time::Time;

/// The content type of a JSON answer.
const JSON: axum::http::HeaderValue = axum::http::HeaderValue::from_static("application/json");

/// A request being served.
pub(super) struct Exchange {
    pub(super) proxy: Arc<Proxy>,
    pub(super) call: Call,
    pub(super) controls: Controls,
    pub(super) body: Map<String, Value>,
    pub(super) endpoint: Endpoint,
    pub(super) in_flight: Option<(AttemptId, DeploymentIdx, Time)>,
    pub(super) arrived: Time,
    /// Time spent waiting on upstreams (for the overhead header).
    pub(super) upstream_time: Duration,
    /// The client's body as it came, when it had no gateway controls: sent as it is to an
    /// upstream whose model name is the one requested (no re-serialising).
    raw: Option<Bytes>,
    /// The last successful attempt's answer.
    answer: Option<Bytes>,
    /// The last upstream failure's message, for the final error.
    last_failure: Option<UpstreamFailure>,
    pub(super) line: RequestLine,
    pub(super) logged: bool,
    /// The deployment that served, once known (for the metrics).
    served: Option<DeploymentIdx>,
    /// The router's events, when this request is explained ([`super::explain`]).
    pub(super) trace: Option<super::explain::Events>,
}

/// A request that passed authentication and the gate ([`super::request_gate`]).
pub(super) struct Request {
    /// Its controls.
    pub(super) controls: Controls,
    /// What its model resolved to at the gate.
    pub(super) target: Target,
    /// Its body, controls included.
    pub(super) body: Map<String, Value>,
    /// Where it came in.
    pub(super) endpoint: Endpoint,
}

impl Exchange {
    /// The exchange of `request`, which arrived at `arrived` as `raw`.
    pub(super) fn new(
        proxy: Arc<Proxy>,
        request: Request,
        arrived: Time,
        request_id: u64,
        raw: Bytes,
    ) -> Exchange {
        let Request {
            controls,
            target,
            mut body,
            endpoint,
        } = request;
        let spec = proxy
            .core
            .with(|core| spec_of(&core.router, target, &controls, &body, &proxy.clock));
        let call = Call::new(spec);
        let line = RequestLine {
            arrival_unix_s: arrived.as_secs_f64(),
            request_id,
            model: controls.model.clone(),
            tags: controls.tags.clone(),
            stream: controls.stream,
            settings: settings_of(&controls, call.spec().timeout),
            input_tokens: call.spec().input_tokens,
            prompt: proxy
                .log
                .with_prompts
                .then(|| body.get("messages").cloned())
                .flatten(),
            ..RequestLine::default()
        };
        let raw = (!controls::strip(&mut body)).then_some(raw);
        let trace = proxy.explanations.traces(controls.explain).then(Vec::new);
        Exchange {
            raw,
            proxy,
            call,
            controls,
            body,
            endpoint,
            in_flight: None,
            arrived,
            upstream_time: Duration::ZERO,
            answer: None,
            last_failure: None,
            line,
            logged: false,
            served: None,
            trace,
        }
    }

    /// Drives the call to its end (or, for a stream, to its first byte).
    pub(super) async fn run(mut self) -> Response {
        if !self.proxy.auto_routes.is_empty()
            && let Err(error) = super::auto_route::embed_prompt(&mut self).await
        {
            return self.end_with_error(error);
        }
        loop {
            let now = self.proxy.clock.now();
            match self.next_step(now) {
                Step::Send {
                    attempt,
                    deployment,
                    timeout,
                } => {
                    self.in_flight = Some((attempt, deployment, now));
                    if self.controls.mock_response.is_some() {
                        self.mock_attempt();
                    } else if self.controls.stream && self.endpoint == Endpoint::Chat {
                        let opened = match self.upstream_body(deployment) {
                            Ok(body) => {
                                let translator = self.stream_translator(deployment);
                                super::stream::open(
                                    &self.proxy,
                                    deployment,
                                    body,
                                    timeout,
                                    translator,
                                )
                                .await
                            }
                            Err(f) => Err(f),
                        };
                        match opened {
                            Ok(opened) => return super::stream::respond(self, opened),
                            Err(f) => self.failed(f),
                        }
                    } else {
                        self.attempt(deployment, timeout).await;
                    }
                }
                Step::Wait { until } => self.proxy.clock.sleep_until(until).await,
                Step::Pending { .. } => {
                    // Never: the loop records every outcome before it asks again.
                    return self.end_with_error(ApiError::new(500, "internal: asked twice"));
                }
                Step::Finish(result) => return self.finish(result),
            }
        }
    }

    /// The router's next step for this call at `now` (traced when the request is explained).
    pub(super) fn next_step(&mut self, now: Time) -> Step {
        let (call, trace) = (&mut self.call, &mut self.trace);
        self.proxy.core.with(|c| match trace {
            None => c.router.next_step(call, now, &mut c.rng),
            Some(t) => c.router.next_step_traced(call, now, &mut c.rng, t),
        })
    }

    /// One attempt whose whole answer is read before the router hears of it.
    async fn attempt(&mut self, deployment: DeploymentIdx, timeout: Duration) {
        let body = match self.upstream_body(deployment) {
            Ok(body) => body,
            Err(refused) => return self.failed(refused),
        };
        let upstreams = &self.proxy.upstreams;
        let wall_timeout = self.proxy.clock.wall_span(timeout);
        let answer = async {
            let response = upstreams.post(deployment, self.endpoint, body).await?;
            response
                .bytes()
                .await
                .map_err(|e| super::super::upstream::transport_failure(&e))
        };
        match tokio::time::timeout(wall_timeout, answer).await {
            Err(_) => self.failed(timed_out(timeout)),
            Ok(Err(f)) => self.failed(f),
            Ok(Ok(answer)) => {
                let bytes = match upstreams.openai_answer(deployment, answer, self.created()) {
                    Ok(bytes) => bytes,
                    Err(f) => return self.failed(f),
                };
                let usage = usage_of(&bytes).unwrap_or(Usage {
                    input: self.call.spec().input_tokens,
                    output: 0,
                });
                self.succeeded(usage, None);
                self.answer = Some(bytes);
            }
        }
    }

    /// `mock_response`: the answer without an upstream, as LiteLLM gives it.
    fn mock_attempt(&mut self) {
        let text = self.controls.mock_response.clone().unwrap_or_default();
        let usage = Usage {
            input: self.call.spec().input_tokens,
            output: u32::try_from(text.chars().count().div_ceil(4)).unwrap_or(u32::MAX),
        };
        let body = serde_json::json!({
            "id": format!("chatcmpl-mock-{}", self.line.request_id),
            "object": "chat.completion",
            "created": self.arrived.as_secs_f64() as u64,
            "model": self.controls.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": usage.input, "completion_tokens": usage.output, "total_tokens": usage.input + usage.output},
        });
        self.answer = Some(Bytes::from(body.to_string()));
        self.succeeded(usage, Some(Duration::ZERO));
    }

    /// The body `deployment`'s upstream receives (the stripped body with its model name, or
    /// its translation for an upstream that speaks another API), or why none can be sent.
    fn upstream_body(&mut self, deployment: DeploymentIdx) -> Result<Bytes, UpstreamFailure> {
        let upstreams = &self.proxy.upstreams;
        if let Some(translated) = upstreams.translated_body(deployment, self.endpoint, &self.body) {
            return translated;
        }
        let model = self
            .proxy
            .upstreams
            .target(deployment)
            .map_or("", |t| t.model.as_str());
        if let Some(raw) = &self.raw
            && self.controls.model == model
        {
            return Ok(raw.clone());
        }
        Ok(Bytes::from(controls::upstream_body(&mut self.body, model)))
    }

    /// The translator of `deployment`'s stream into OpenAI chunks, if it needs one.
    fn stream_translator(&self, deployment: DeploymentIdx) -> Option<StreamTranslator> {
        self.proxy
            .upstreams
            .stream_translator(deployment, self.created(), &self.body)
    }

    /// The `created` of a translated answer: the request's arrival in Unix seconds.
    fn created(&self) -> u64 {
        self.arrived.as_secs_f64() as u64
    }

    /// Reports the attempt in flight as served with `usage`.
    pub(super) fn succeeded(&mut self, usage: Usage, ttft: Option<Duration>) {
        let Some((attempt, deployment, sent)) = self.in_flight.take() else {
            return;
        };
        let now = self.proxy.clock.now();
        let latency = now - sent;
        self.upstream_time += latency;
        let outcome = Outcome::Success(Completion {
            input_tokens: usage.input,
            output_tokens: usage.output,
            latency,
            time_to_first_token: ttft.unwrap_or(latency),
        });
        self.record(attempt, deployment, &outcome, now, None);
        if let (Some(ttft), Some(line)) = (ttft, self.line.attempts.last_mut()) {
            line.ttft_ms = Some(ttft.as_secs_f64() * 1000.0);
        }
        self.line.input_tokens = usage.input;
        self.line.output_tokens = usage.output;
    }

    /// Reports the attempt in flight as failed with `failure`.
    pub(super) fn failed(&mut self, failure: UpstreamFailure) {
        let Some((attempt, deployment, sent)) = self.in_flight.take() else {
            return;
        };
        let now = self.proxy.clock.now();
        let latency = now - sent;
        self.upstream_time += latency;
        let outcome = Outcome::Failure(AttemptFailure {
            class: failure.class,
            retry_after: failure.retry_after,
            latency,
        });
        self.record(attempt, deployment, &outcome, now, failure.status);
        self.last_failure = Some(failure);
    }

    fn record(
        &mut self,
        attempt: AttemptId,
        deployment: DeploymentIdx,
        outcome: &Outcome,
        now: Time,
        status: Option<u16>,
    ) {
        let (call, trace) = (&mut self.call, &mut self.trace);
        let recorded = self.proxy.core.with(|c| match trace {
            None => c.router.record(call, attempt, outcome, now, &mut c.rng),
            Some(t) => c
                .router
                .record_traced(call, attempt, outcome, now, &mut c.rng, t),
        });
        let cooled = recorded.cooldown.map(|c| c.reason);
        let counters = &self.proxy.metrics.counters;
        counters.attempt(deployment, outcome, self.controls.stream, cooled);
        let (outcome_name, status, latency, retry_after) = match outcome {
            Outcome::Success(c) => ("ok", Some(200), c.latency, None),
            Outcome::Failure(f) => (f.class.name(), status, f.latency, f.retry_after),
        };
        self.line.attempts.push(AttemptLine {
            deployment: self.proxy.labels[deployment.get()].id.clone(),
            outcome: outcome_name,
            status,
            duration_ms: latency.as_secs_f64() * 1000.0,
            ttft_ms: None,
            // The upstream's Retry-After is wall time; the log's spans are the proxy's clock.
            retry_after_s: retry_after.map(|d| self.proxy.clock.clock_span(d).as_secs_f64()),
        });
    }

    /// The response for a finished call.
    fn finish(mut self, result: CallResult) -> Response {
        match result {
            CallResult::Served(served) => {
                let mut body = self.answer.take().unwrap_or_default();
                if self.controls.explain {
                    body = super::explain::into_answer(super::explain::rendered(&self, 200), body);
                }
                let mut response = ([(CONTENT_TYPE, JSON)], body.clone()).into_response();
                self.add_served_headers(
                    response.headers_mut(),
                    served.deployment,
                    served.retries,
                    served.fallbacks,
                );
                self.log_served(served.deployment, served.retries, served.fallbacks, &body);
                response
            }
            CallResult::Failed(failed) => {
                let now = self.proxy.clock.now();
                let (message, all_cooling) = self.proxy.core.with(|c| {
                    let router = &c.router;
                    let message = router.failure_message(&self.call);
                    (message, router.failed_all_cooling(&self.call, now))
                });
                let mut message = message.unwrap_or_else(|| failed.class.name().to_string());
                if let Some(f) = &self.last_failure {
                    message.push_str(&format!("; last upstream error: {}", f.message));
                }
                let error = failed_error(&failed, message, all_cooling);
                self.line.error_class = Some(failed.class.name());
                self.line.retries = failed.retries;
                self.line.fallbacks = failed.fallbacks;
                self.end_with_error(error)
            }
        }
    }

    /// Ends the request with `error`, logging it.
    pub(super) fn end_with_error(mut self, error: ApiError) -> Response {
        self.line.status = error.status;
        let explanation = self
            .controls
            .explain
            .then(|| super::explain::rendered(&self, error.status));
        self.write_log();
        match explanation {
            Some(e) => super::explain::into_error(error, e),
            None => error.into_response(),
        }
    }

    /// Adds LiteLLM's response headers for an answer from `deployment` to `headers`.
    pub(super) fn add_served_headers(
        &self,
        headers: &mut HeaderMap,
        deployment: DeploymentIdx,
        retries: u32,
        fallbacks: u32,
    ) {
        let total = self.proxy.clock.now() - self.arrived;
        let facts = AnswerFacts {
            retries,
            fallbacks,
            cost: self.cost(deployment, self.line.input_tokens, self.line.output_tokens),
            total,
            overhead: total.saturating_sub(self.upstream_time),
            request_id: self.line.request_id,
        };
        response_headers::add(headers, &self.proxy.labels[deployment.get()], facts);
        if let Route::To(Target::Model(m)) = self.call.current_route() {
            // LiteLLM's model group is then the `litellm_params.model` named, not a group.
            response_headers::name_model_group(headers, &self.proxy.table.litellm_model(m).name);
        }
        super::explain::add_kept_header(self, headers);
    }

    /// The cost of an answer from `deployment` at the router's prices.
    pub(super) fn cost(&self, deployment: DeploymentIdx, input: u32, output: u32) -> f64 {
        self.proxy.prices[deployment.get()].map_or(0.0, |p| p.cost(input, output))
    }

    /// Logs a served request.
    pub(super) fn log_served(
        &mut self,
        deployment: DeploymentIdx,
        retries: u32,
        fallbacks: u32,
        body: &[u8],
    ) {
        let labels = &self.proxy.labels[deployment.get()];
        self.served = Some(deployment);
        self.line.status = 200;
        self.line.deployment = Some(labels.id.clone());
        self.line.model_group = Some(labels.group.clone());
        self.line.retries = retries;
        self.line.fallbacks = fallbacks;
        self.line.cost_usd = self.cost(deployment, self.line.input_tokens, self.line.output_tokens);
        if self.proxy.log.with_prompts {
            self.line.response = answer_text(body);
        }
        self.write_log();
    }

    /// Writes the log line once.
    pub(super) fn write_log(&mut self) {
        if self.logged {
            return;
        }
        self.logged = true;
        self.line.duration_ms = (self.proxy.clock.now() - self.arrived).as_secs_f64() * 1000.0;
        let metrics = &self.proxy.metrics;
        metrics.counters.finished(Finished {
            requested: metrics.slot_of(&self.proxy.table, self.call.spec().route),
            line: &self.line,
            served: self
                .served
                .map(|d| (d, self.proxy.table.deployment(d).group)),
        });
        super::explain::keep(self);
        self.proxy.log.write(std::mem::take(&mut self.line));
    }
}

impl Drop for Exchange {
    /// A request dropped before its end (the client went away): the attempt in flight goes back
    /// to the router, and the log says 499.
    fn drop(&mut self) {
        if let Some((attempt, _, _)) = self.in_flight.take() {
            let call = &mut self.call;
            self.proxy.core.with(|c| c.router.abandon(call, attempt));
        }
        if !self.logged {
            self.line.status = 499;
            self.line.error_class = Some("client_closed");
            self.write_log();
        }
    }
}

/// The answer to a request that failed with `failed`, in LiteLLM's proxy's status and `type`:
/// [`Failed::status`], with the `type` of the class's own status (a recode to 429 keeps it),
/// or the one LiteLLM's exception carries: `throttling_error` for its `RateLimitError`, and
/// `internal_server_error` for a budget's refusal, a `ValueError` the proxy answers as a 500,
/// and `all_deployments_in_cooldown` for its `RouterRateLimitError` ("no deployments
/// available" with the whole group cooling: `all_cooling`).
fn failed_error(failed: &Failed, message: String, all_cooling: bool) -> ApiError {
    let mut error = ApiError {
        retry_after: failed.retry_after.filter(|_| failed.class.status() == 429),
        ..ApiError::new(failed.class.status(), message)
    };
    error.kind = match failed.class {
        ErrorClass::RateLimit => Some("throttling_error"),
        ErrorClass::BudgetExceeded => Some("internal_server_error"),
        ErrorClass::NoDeploymentsAvailable if all_cooling => Some("all_deployments_in_cooldown"),
        _ => None,
    };
    if failed.status() == error.status {
        error
    } else {
        error.recoded(failed.status())
    }
}

/// The router's request for `controls` and `body`, its model resolved to `target`.
fn spec_of(
    router: &crate::router::Router,
    target: Target,
    controls: &Controls,
    body: &Map<String, Value>,
    clock: &crate::live::clock::LiveClock,
) -> RequestSpec {
    let mut spec = RequestSpec::new(Route::To(target), controls::input_tokens(body));
    spec.specific_deployment = router.routes_as_specific_deployment(&controls.model, spec.route);
    spec.stream = controls.stream;
    spec.num_retries = controls.num_retries;
    spec.fallbacks = controls
        .fallbacks
        .as_ref()
        .map(|names| names.iter().map(|n| router.resolve(n)).collect());
    spec.disable_fallbacks = controls.disable_fallbacks;
    // A client's timeout is wall-clock seconds; a proxy whose clock runs `--speed` times faster
    // counts it that many times longer, so `drive --speed N` (which divides a scenario's
    // timeouts by N) and `serve --speed N` together keep the scenario's timeout.
    spec.timeout = controls.timeout.map(|t| clock.clock_span(t));
    spec.tags = router.request_tags(&controls.tags);
    // The prompt is copied out only when an auto router could read it.
    if router.has_auto_router() {
        spec.prompt = controls::last_user_message(body).map(Into::into);
    }
    spec
}

/// The settings the request set for itself, as the log records them; `timeout` is the
/// request's timeout as the proxy's clock counts it (the client's seconds times `--speed`), so
/// that every span in the log is on one clock.
fn settings_of(
    controls: &Controls,
    timeout: Option<Duration>,
) -> super::request_log::RequestSettings {
    super::request_log::RequestSettings {
        num_retries: controls.num_retries,
        fallbacks: controls.fallbacks.clone(),
        timeout_s: controls.timeout.and(timeout).map(|t| t.as_secs_f64()),
        disable_fallbacks: controls.disable_fallbacks,
    }
}

/// The answer's text, for `--log-prompts`.
fn answer_text(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v.pointer("/choices/0/message/content")?
        .as_str()
        .map(String::from)
}
