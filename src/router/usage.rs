//! Per-deployment usage in the current UTC minute: requests and tokens.
//!
//! Requests count when an attempt is sent; tokens when it succeeds (LiteLLM's order). The
//! minute is [`Time::minute`], counted from the driver's time origin: a simulation's origin is
//! its start, a live driver's the Unix epoch, so every instance counts the same UTC minute. It
//! decides only the counting; limits are applied by the checks that read it.

use crate::time::Time;

/// One deployment's usage this minute.
///
/// Only the current minute is kept: read in a later minute the counts are 0, and the next
/// write starts that minute from zero. These are fixed minutes, like LiteLLM's per-minute keys
/// (ROUTING.md §3), not a sliding 60 s window: a burst straddling a minute boundary can get up
/// to twice a limit through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MinuteUsage {
    /// The minute the counts belong to ([`Time::minute`]).
    minute: u64,
    /// Attempts sent in it, counted at dispatch: failures and attempts still in flight count.
    requests: u32,
    /// Input plus output tokens of the successes answered in it.
    tokens: u64,
}

/// The usage minute of `now`: whole minutes since the driver's time origin.
fn minute_of(now: Time) -> u64 {
    now.minute()
}

impl MinuteUsage {
    /// Starts `now`'s minute from zero when the counts belong to an earlier one.
    fn roll(&mut self, now: Time) {
        let m = minute_of(now);
        if m != self.minute {
            *self = MinuteUsage {
                minute: m,
                requests: 0,
                tokens: 0,
            };
        }
    }

    /// Requests sent in `now`'s minute.
    pub fn requests(&self, now: Time) -> u32 {
        if minute_of(now) == self.minute {
            self.requests
        } else {
            0
        }
    }

    /// Tokens used in `now`'s minute.
    pub fn tokens(&self, now: Time) -> u64 {
        if minute_of(now) == self.minute {
            self.tokens
        } else {
            0
        }
    }

    /// An attempt was sent at `now`.
    pub fn add_request(&mut self, now: Time) {
        self.roll(now);
        self.requests += 1;
    }

    /// `tokens` (input plus output) were used by a success at `now`; counted in the minute
    /// the answer came, not the one the attempt was sent in.
    pub fn add_tokens(&mut self, now: Time, tokens: u64) {
        self.roll(now);
        self.tokens += tokens;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_reset_at_the_minute() {
        let mut u = MinuteUsage::default();
        u.add_request(Time::from_secs_f64(10.0));
        u.add_request(Time::from_secs_f64(59.9));
        u.add_tokens(Time::from_secs_f64(59.9), 500);
        assert_eq!(u.requests(Time::from_secs_f64(59.99)), 2);
        assert_eq!(u.tokens(Time::from_secs_f64(59.99)), 500);
        assert_eq!(u.requests(Time::from_secs_f64(60.0)), 0);
        u.add_request(Time::from_secs_f64(61.0));
        assert_eq!(u.requests(Time::from_secs_f64(61.0)), 1);
        assert_eq!(u.tokens(Time::from_secs_f64(61.0)), 0);
    }
}
