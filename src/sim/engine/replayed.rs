//! The engine's replay path: recorded requests arrive with their logged classes and tokens,
//! and an attempt the log answered gets that answer instead of a synthetic provider's.
//!
//! It decides only how a recorded answer is carried out (when the outcome event fires, what
//! the first token's instant is) and counts each attempt's provenance; whether the router
//! accepts the answer (a timed-out attempt's is stale) is the router's. An observed answer
//! never touches the deployment's synthetic provider, so its concurrency bookkeeping stays
//! whole. A run without a recording never enters this file.

use std::time::Duration;

use super::{AttemptRef, Engine, Event};
use crate::metrics::RecordSink;
use crate::router::{AttemptFailure, Completion, Outcome};
use crate::sim::workload::DrawnRequest;
use crate::time::{Span, Time};

impl<S: RecordSink> Engine<'_, S> {
    /// The recorded request arriving now: the one whose index is the next request id.
    pub(super) fn recorded_request(&self) -> DrawnRequest {
        let recording = self
            .world
            .workload
            .recorded
            .as_ref()
            .expect("called only for a recorded workload");
        let a = recording.arrivals[self.next_id as usize];
        DrawnRequest {
            class: a.class,
            input_tokens: a.input_tokens,
            output_tokens: a.output_tokens,
            prompt: None,
        }
    }

    /// Sends `attempt` to the log's answer when the log has an unused one of this request on
    /// this deployment (true); else counts it as the profile's and returns false, and the
    /// synthetic provider answers.
    pub(super) fn dispatch_recorded(
        &mut self,
        attempt: AttemptRef,
        timeout: Duration,
        now: Time,
    ) -> bool {
        let Some(recording) = self.world.workload.recorded.as_ref() else {
            return false;
        };
        let deployment = attempt.deployment;
        let active = &mut self.active[attempt.slot];
        let Some(index) =
            recording.take_answer(active.id, deployment.get() as u32, &mut active.answered)
        else {
            self.sink.answered(deployment, false);
            return false;
        };
        self.sink.answered(deployment, true);
        let answer = recording.answers[index as usize];
        active.attempt_sent = now;
        if answer.error.is_none() {
            let ttft = answer.time_to_first_token.unwrap_or(answer.duration);
            active.first_token_at = now + ttft.min(answer.duration);
        }
        let at = now + answer.duration;
        self.queue.push(
            at,
            Event::Observed {
                attempt,
                answer: index,
            },
        );
        let deadline = now + timeout;
        if at > deadline {
            self.queue.push(deadline, Event::TimedOut { attempt });
        }
        true
    }

    /// The recorded answer `index` of `attempt` arrives.
    pub(super) fn observed(&mut self, attempt: AttemptRef, index: u32, now: Time) {
        let Some(recording) = self.world.workload.recorded.as_ref() else {
            return;
        };
        let answer = recording.answers[index as usize];
        // A request that already ended (its attempt timed out and it gave up) has no slot.
        let Some(active) = self.active.get(attempt.slot) else {
            return;
        };
        let latency = now - active.attempt_sent;
        let outcome = match answer.error {
            None => Outcome::Success(Completion {
                input_tokens: active.input_tokens(),
                output_tokens: active.output_tokens,
                latency,
                time_to_first_token: active.first_token_at - active.attempt_sent,
            }),
            Some(class) => {
                self.provider_answered(attempt, class);
                Outcome::Failure(AttemptFailure {
                    class,
                    retry_after: answer.retry_after.map(Span::as_duration),
                    latency,
                })
            }
        };
        self.record(attempt, &outcome, now);
    }
}
