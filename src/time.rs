//! Time as the decision core and the simulator see it.
//!
//! [`Time`] is an instant counted in nanoseconds since a *time origin* that the driver chooses;
//! spans are plain [`std::time::Duration`]s so that the live proxy can hand them to
//! `tokio::time::sleep` as they are. Nothing here reads a clock: the simulator advances a virtual
//! clock event by event, and the live proxy converts its clock into a `Time` at the edge.
//!
//! The origin is shared so that "the current minute" (rpm/tpm usage) and budget windows mean
//! the same thing to every router instance: the simulator's origin is the start of the run
//! ([`Time::ZERO`], which falls on a minute boundary); a live driver's is the Unix epoch
//! ([`Time::since_unix_epoch`]), so instances on different machines agree on minute boundaries
//! as LiteLLM's instances do (its usage keys are named by the wall-clock minute).
//!
//! The bottom layer: it imports nothing from the rest of the crate.

use std::fmt;
use std::num::NonZeroU64;
use std::ops::{Add, Sub};
use std::time::Duration;

/// An instant: nanoseconds since the time origin (the start of a simulated run, or the Unix
/// epoch for a live driver).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Time(u64);

impl Time {
    /// The start of the run.
    pub const ZERO: Time = Time(0);
    /// An instant later than any run reaches.
    pub const NEVER: Time = Time(u64::MAX);

    /// The instant `since_epoch` after the Unix epoch, for a driver whose time origin is the
    /// epoch (the live proxy hands in `SystemTime::now().duration_since(UNIX_EPOCH)`).
    /// Saturates at [`Time::NEVER`].
    pub fn since_unix_epoch(since_epoch: Duration) -> Time {
        Time::ZERO + since_epoch
    }

    /// The minute `self` falls in, counted from the origin (minute 0 starts at the origin).
    pub const fn minute(self) -> u64 {
        self.0 / 60_000_000_000
    }

    /// The instant `nanos` nanoseconds after the start.
    pub const fn from_nanos(nanos: u64) -> Time {
        Time(nanos)
    }

    /// The instant `secs` seconds after the start (saturating; negative counts as zero).
    pub fn from_secs_f64(secs: f64) -> Time {
        Time(secs_to_nanos(secs))
    }

    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the start.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Time) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }

    /// Whole microseconds from `earlier` to `self` (zero if `earlier` is later), as
    /// `self.since(earlier).as_micros()` counts them without going through a `Duration`.
    pub const fn micros_since(self, earlier: Time) -> u64 {
        self.0.saturating_sub(earlier.0) / 1_000
    }

    /// The instant `secs` seconds after `self`, as `self + Duration::try_from_secs_f64(secs)`
    /// gives it, with [`Time::NEVER`] for a span no `Duration` holds (negative, NaN,
    /// infinite) or one past the clock's range.
    #[inline]
    pub fn after_secs_f64(self, secs: f64) -> Time {
        Time(self.0.saturating_add(span_nanos(secs)))
    }
}

/// Converts seconds to whole nanoseconds, saturating at the ends of `u64`.
pub fn secs_to_nanos(secs: f64) -> u64 {
    if secs.is_nan() || secs <= 0.0 {
        0
    } else {
        let nanos = (secs * 1e9).round();
        if nanos >= u64::MAX as f64 {
            u64::MAX
        } else {
            nanos as u64
        }
    }
}

/// Whole nanoseconds in `secs` seconds exactly as `Duration::try_from_secs_f64` counts them
/// (the exact product rounded to the nearest nanosecond, ties to even), saturating at
/// `u64::MAX` — which a negative, NaN or infinite count also gives, as the simulator adds an
/// unrepresentable span as "never". Spans from 2^-31 s to 2^33 s, all a simulation draws, take
/// an integer path on the float's bits; the rest go through `Duration`.
#[inline]
pub fn span_nanos(secs: f64) -> u64 {
    const MANTISSA_BITS: u32 = 52;
    let bits = secs.to_bits();
    let biased = (bits >> MANTISSA_BITS) as i32;
    // Positive, at least 2^-31 s (below that the count rounds to zero) and under 2^33 s.
    if !(1023 - 31..1023 + 33).contains(&biased) {
        return span_nanos_slow(secs);
    }
    let mantissa = (bits & ((1 << MANTISSA_BITS) - 1)) | (1 << MANTISSA_BITS);
    // secs = mantissa * 2^-shift, shift in 20..=83: the product fits in 83 bits.
    let shift = (1023 + MANTISSA_BITS as i32 - biased) as u32;
    let product = u128::from(mantissa) * 1_000_000_000;
    if shift < 64 {
        // Spans from 2^-11 s, nearly all: the part shifted out lies in the low word.
        let (high, low) = ((product >> 64) as u64, product as u64);
        let whole = (low >> shift) | (high << (64 - shift));
        let rest = low & ((1 << shift) - 1);
        return whole + u64::from(rounds_up(rest, 1 << (shift - 1), whole));
    }
    let whole = product >> shift;
    let rest = product & ((1u128 << shift) - 1);
    (whole + u128::from(rounds_up(rest, 1 << (shift - 1), whole))) as u64
}

/// Whether `whole` plus a remainder `rest` out of twice `half` rounds up to the nearest
/// integer, ties to even: `rest` above `half`, or at it with `whole` odd.
#[inline]
fn rounds_up<T>(rest: T, half: T, whole: T) -> bool
where
    T: Copy + From<u8> + PartialOrd + std::ops::Add<Output = T> + std::ops::BitAnd<Output = T>,
{
    rest + (whole & T::from(1)) > half
}

/// [`span_nanos`] through `Duration`, for counts outside the integer path's range.
#[cold]
fn span_nanos_slow(secs: f64) -> u64 {
    Duration::try_from_secs_f64(secs)
        .ok()
        .and_then(|d| u64::try_from(d.as_nanos()).ok())
        .unwrap_or(u64::MAX)
}

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, span: Duration) -> Time {
        let nanos = u64::try_from(span.as_nanos()).unwrap_or(u64::MAX);
        Time(self.0.saturating_add(nanos))
    }
}

impl Sub<Time> for Time {
    type Output = Duration;
    fn sub(self, earlier: Time) -> Duration {
        self.since(earlier)
    }
}

/// A span of whole nanoseconds up to [`Span::MAX`] (about 584 years, the clock's whole range)
/// in 8 bytes, and its `Option` in 8 bytes too, where a `Duration` takes 16 and its `Option`
/// 16: a recorded log holds millions of spans. It converts to and from `Duration` exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span(NonZeroU64);

impl Span {
    /// No time at all.
    pub const ZERO: Span = Span(NonZeroU64::MIN);
    /// The longest span: `u64::MAX - 1` nanoseconds.
    pub const MAX: Span = Span(NonZeroU64::MAX);

    /// `nanos` nanoseconds, [`Span::MAX`] if longer (as instants saturate at [`Time::NEVER`]).
    pub const fn from_nanos(nanos: u64) -> Span {
        match NonZeroU64::new(nanos.saturating_add(1)) {
            Some(n) => Span(n),
            None => Span::MAX,
        }
    }

    /// `span` exactly, or `None` when it is longer than [`Span::MAX`].
    pub fn from_duration(span: Duration) -> Option<Span> {
        u64::try_from(span.as_nanos())
            .ok()
            .filter(|&n| n < u64::MAX)
            .map(Span::from_nanos)
    }

    /// Whole nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0.get() - 1
    }

    /// The same span as a `Duration`.
    pub const fn as_duration(self) -> Duration {
        Duration::from_nanos(self.as_nanos())
    }

    /// Seconds, exactly as `Duration::as_secs_f64` gives them.
    pub fn as_secs_f64(self) -> f64 {
        self.as_duration().as_secs_f64()
    }
}

impl From<Span> for Duration {
    fn from(span: Span) -> Duration {
        span.as_duration()
    }
}

impl Add<Span> for Time {
    type Output = Time;
    fn add(self, span: Span) -> Time {
        Time(self.0.saturating_add(span.as_nanos()))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_spans_saturates_instead_of_wrapping() {
        assert_eq!(Time::NEVER + Duration::from_secs(1), Time::NEVER);
        assert_eq!(Time::from_secs_f64(1.5).as_nanos(), 1_500_000_000);
        assert_eq!(Time::from_secs_f64(-3.0), Time::ZERO);
        assert_eq!(
            Time::from_nanos(5) - Time::from_nanos(9),
            Duration::ZERO,
            "a span to an earlier instant is empty"
        );
        for (later, earlier) in [(9_999, 5), (5, 9), (u64::MAX, 0), (3_000_000_001, 1_000)] {
            let (later, earlier) = (Time::from_nanos(later), Time::from_nanos(earlier));
            let through_duration = u64::try_from(later.since(earlier).as_micros()).unwrap();
            assert_eq!(later.micros_since(earlier), through_duration);
        }
    }

    #[test]
    fn spans_convert_to_and_from_durations_exactly_and_their_options_take_eight_bytes() {
        assert_eq!(std::mem::size_of::<Option<Span>>(), 8);
        for nanos in [
            0,
            1,
            999_999_999,
            1_000_000_000,
            86_400_123_456_789,
            u64::MAX - 1,
        ] {
            let d = Duration::from_nanos(nanos);
            let span = Span::from_duration(d).expect("within the range");
            assert_eq!(span.as_nanos(), nanos);
            assert_eq!(Duration::from(span), d);
            assert_eq!(span.as_secs_f64().to_bits(), d.as_secs_f64().to_bits());
            assert_eq!(Time::from_nanos(7) + span, Time::from_nanos(7) + d);
        }
        assert_eq!(Span::ZERO.as_nanos(), 0);
        assert_eq!(Span::from_duration(Duration::from_nanos(u64::MAX)), None);
        assert_eq!(Span::from_duration(Duration::MAX), None);
        assert_eq!(Span::from_nanos(u64::MAX), Span::MAX, "saturates");
        assert_eq!(Time::from_nanos(5) + Span::MAX, Time::NEVER);
        assert!(Span::from_nanos(3) < Span::from_nanos(4));
    }

    #[test]
    fn instants_anchored_to_the_unix_epoch_agree_on_the_wall_clock_minute() {
        // 2026-11-28 12:00:59.900 and 12:01:00.100 UTC.
        let before = Time::since_unix_epoch(Duration::from_millis(1_795_867_259_900));
        let after = Time::since_unix_epoch(Duration::from_millis(1_795_867_260_100));
        assert_eq!(
            after.minute(),
            before.minute() + 1,
            "a minute boundary lies between"
        );
        assert_eq!(
            after.minute() * 60,
            1_795_867_260,
            "minutes are whole UTC minutes"
        );
        assert_eq!(Time::from_secs_f64(59.9).minute(), 0);
        assert_eq!(Time::from_secs_f64(60.0).minute(), 1);
    }

    /// What `Duration::try_from_secs_f64` makes of `secs`, in the terms of [`span_nanos`].
    fn through_duration(secs: f64) -> u64 {
        match Duration::try_from_secs_f64(secs) {
            Ok(d) => u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
            Err(_) => u64::MAX,
        }
    }

    #[test]
    fn span_nanos_rounds_as_duration_does_at_ties_edges_and_bad_counts() {
        let cases = [
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            2f64.powi(-31),
            2f64.powi(-31) * 1.5,
            2f64.powi(-10),       // 976_562.5 ns: a tie, to even
            3.0 * 2f64.powi(-10), // 2_929_687.5 ns: a tie, to even
            0.5e-9,
            1.5e-9,
            0.999_999_999_6,
            1.0,
            2f64.powi(33) - 1e-6,
            2f64.powi(33),
            1.8e10,
            1.9e10,
            -1e-9,
            -3.0,
            f64::NAN,
            f64::INFINITY,
            f64::MAX,
        ];
        for secs in cases {
            assert_eq!(span_nanos(secs), through_duration(secs), "{secs:e}");
        }
        assert_eq!(span_nanos(2f64.powi(-10)), 976_562);
        assert_eq!(span_nanos(3.0 * 2f64.powi(-10)), 2_929_688);
        assert_eq!(Time::from_nanos(3).after_secs_f64(-1.0), Time::NEVER);
        assert_eq!(
            Time::from_nanos(3).after_secs_f64(1e-9),
            Time::from_nanos(4)
        );
    }

    proptest::proptest! {
        /// Every bit pattern, and every count in the range the simulator draws from, converts
        /// exactly as through `Duration`.
        #[test]
        fn span_nanos_matches_the_duration_conversion(bits: u64, secs in 0.0f64..1e5) {
            let any = f64::from_bits(bits);
            proptest::prop_assert_eq!(span_nanos(any), through_duration(any));
            proptest::prop_assert_eq!(span_nanos(secs), through_duration(secs));
        }
    }
}
