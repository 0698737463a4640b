//! Recorded traffic as the simulator replays it: arrivals at logged instants with logged token
//! counts, and the answers the log recorded for each request's attempts.
//!
//! It decides the compact shape a replay hands the engine (a few `Copy` structs per request,
//! behind an `Arc`, so a million requests cost tens of megabytes) and which recorded answer an
//! attempt gets: the first one of the same request on the same deployment not yet used in
//! this run. It must not read a log or fit a profile (the replay layer above does both).

use crate::router::ErrorClass;
use crate::time::{Span, Time};

/// One recorded request: when it arrives, its class, its tokens and its recorded answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordedArrival {
    /// When it arrives.
    pub at: Time,
    /// Index into the workload's mix (one class per distinct kind of request).
    pub class: u32,
    /// Prompt tokens, exactly as logged.
    pub input_tokens: u32,
    /// Completion tokens, exactly as logged.
    pub output_tokens: u32,
    /// Its answers: `answers_start..answers_end` of [`Recording::answers`].
    pub answers_start: u32,
    /// End of its answers (exclusive).
    pub answers_end: u32,
}

/// An answer the log recorded for one attempt of a request on one deployment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordedAnswer {
    /// The deployment (index into the world's deployment table) that answered.
    pub deployment: u32,
    /// `None`: it succeeded; else the error's class.
    pub error: Option<ErrorClass>,
    /// From sending the attempt to its outcome.
    pub duration: Span,
    /// From sending the attempt to the first token, when logged.
    pub time_to_first_token: Option<Span>,
    /// Retry-After sent with the error, when logged.
    pub retry_after: Option<Span>,
}

/// The most recorded answers of one request the engine can tell apart (one bit each); later
/// ones are answered by the deployment's profile.
pub const MAX_ANSWERS_PER_REQUEST: u32 = 32;

/// A replay's arrivals and recorded answers, in arrival order: the engine's request id equals
/// the index here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recording {
    /// Every request, in arrival order.
    pub arrivals: Vec<RecordedArrival>,
    /// Every answer, request by request.
    pub answers: Vec<RecordedAnswer>,
}

impl Recording {
    /// The index in [`Recording::answers`] of the first answer of request `id` on `deployment`
    /// whose bit in `used` is clear, marking it used; `None` when the log has no more answers
    /// of that request there.
    #[inline]
    pub fn take_answer(&self, id: u64, deployment: u32, used: &mut u32) -> Option<u32> {
        let arrival = self.arrivals.get(id as usize)?;
        let end = arrival
            .answers_end
            .min(arrival.answers_start + MAX_ANSWERS_PER_REQUEST);
        (arrival.answers_start..end)
            .enumerate()
            .find(|&(bit, i)| {
                *used & (1 << bit) == 0 && self.answers[i as usize].deployment == deployment
            })
            .map(|(bit, i)| {
                *used |= 1 << bit;
                i
            })
    }

    /// When the last request arrives (zero when there is none).
    pub fn last_arrival(&self) -> Time {
        self.arrivals.last().map_or(Time::ZERO, |a| a.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(deployment: u32, error: Option<ErrorClass>) -> RecordedAnswer {
        RecordedAnswer {
            deployment,
            error,
            duration: Span::from_nanos(10_000_000),
            time_to_first_token: None,
            retry_after: None,
        }
    }

    #[test]
    fn each_recorded_answer_is_used_once_in_log_order() {
        let rec = Recording {
            arrivals: vec![RecordedArrival {
                at: Time::ZERO,
                class: 0,
                input_tokens: 1,
                output_tokens: 1,
                answers_start: 0,
                answers_end: 3,
            }],
            answers: vec![
                answer(1, Some(ErrorClass::RateLimit)),
                answer(2, None),
                answer(1, None),
            ],
        };
        let mut used = 0;
        assert_eq!(rec.take_answer(0, 1, &mut used), Some(0));
        assert_eq!(rec.take_answer(0, 1, &mut used), Some(2));
        assert!(rec.take_answer(0, 1, &mut used).is_none());
        assert!(rec.take_answer(0, 3, &mut used).is_none());
        assert_eq!(rec.take_answer(0, 2, &mut used), Some(1));
        assert!(
            rec.take_answer(7, 2, &mut used).is_none(),
            "no such request"
        );
    }
}
