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
    /// With a fleet, the whole view: the store's total plus what this instance has not yet
    /// seen come back from it.
    requests: u32,
    /// Input plus output tokens of the successes answered in it (the whole view, like
    /// `requests`).
    tokens: u64,
    /// This instance's own additions not yet taken for the store.
    pending: Counts,
    /// Taken for the store, not yet confirmed by totals read back.
    sent: Counts,
}

/// Requests and tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    requests: u32,
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
                ..MinuteUsage::default()
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
        self.pending.requests += 1;
    }

    /// `tokens` (input plus output) were used by a success at `now`; counted in the minute
    /// the answer came, not the one the attempt was sent in.
    pub fn add_tokens(&mut self, now: Time, tokens: u64) {
        self.roll(now);
        self.tokens += tokens;
        self.pending.tokens += tokens;
    }

    /// This instance's additions to `now`'s minute since the last take, as (minute, requests,
    /// tokens), now counted as sent; `None` when there are none.
    pub fn take(&mut self, now: Time) -> Option<(u64, u32, u64)> {
        self.roll(now);
        let p = std::mem::take(&mut self.pending);
        if p == Counts::default() {
            return None;
        }
        self.sent.requests += p.requests;
        self.sent.tokens += p.tokens;
        Some((self.minute, p.requests, p.tokens))
    }

    /// The fleet's totals for `now`'s minute (`(0, 0)` when the store holds none): they include
    /// what was sent, so the view becomes them plus what was added since the take.
    pub fn apply(&mut self, now: Time, requests: u64, tokens: u64) {
        self.roll(now);
        let requests = u32::try_from(requests).unwrap_or(u32::MAX);
        self.requests = requests.saturating_add(self.pending.requests);
        self.tokens = tokens.saturating_add(self.pending.tokens);
        self.sent = Counts::default();
    }

    /// What was sent never reached the store and is given up (LiteLLM's way): it counts here
    /// until the next totals replace the view, and never fleet-wide.
    pub fn drop_sent(&mut self) {
        self.sent = Counts::default();
    }

    /// What was sent never reached the store: it is this instance's own again.
    pub fn unsend(&mut self) {
        self.pending.requests += self.sent.requests;
        self.pending.tokens += self.sent.tokens;
        self.sent = Counts::default();
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

    #[test]
    fn the_view_is_the_fleets_total_plus_what_is_not_yet_back() {
        let at = Time::from_secs_f64;
        let mut u = MinuteUsage::default();
        u.add_request(at(1.0));
        u.add_tokens(at(1.0), 10);
        assert_eq!(u.take(at(2.0)), Some((0, 1, 10)));
        assert_eq!(u.take(at(2.0)), None, "nothing new since");
        u.add_request(at(3.0));
        assert_eq!(u.requests(at(3.0)), 2, "sent and new both count");
        u.apply(at(4.0), 5, 50);
        assert_eq!((u.requests(at(4.0)), u.tokens(at(4.0))), (6, 50));
        assert_eq!(u.take(at(5.0)), Some((0, 1, 0)));
        u.unsend();
        assert_eq!(
            u.take(at(6.0)),
            Some((0, 1, 0)),
            "a failed write goes again"
        );
        u.apply(at(61.0), 0, 0);
        assert_eq!(u.requests(at(61.0)), 0, "a new minute starts empty");
    }
}
