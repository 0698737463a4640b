//! `usage-based-routing` and `usage-based-routing-v2` (the same decision): the deployment with
//! the fewest tokens used in the current minute, among those the request fits.
//!
//! Eligible, as LiteLLM 1.108.7's `lowest_tpm_rpm_v2` decides it: this request's input tokens
//! fit under `tpm` (`tokens + input <= tpm`), and either no request was sent to the deployment
//! this minute or `requests + 1 < rpm`. LiteLLM's rpm counter does not exist until a minute's
//! first request, and a missing counter never excludes: so `rpm: 1` serves the first request of
//! each minute, `rpm: 2` one, `rpm: 3` two. The `usage_exact_rpm` improvement serves exactly
//! `rpm`. Ties at random. None eligible: the router's own 429, retry after 60 s. Requests count
//! when sent, tokens after a success.
//!
//! It decides eligibility and the pick; it must not allocate, and it tells `--explain` why a
//! deployment was refused through [`UsageBased::excludes`], the same rule the pick applies.

use rand::Rng;

use super::least_busy::random_min_by;
use super::{PickContext, Strategy};
use crate::config::deployment_table::DeploymentIdx;
use crate::router::trace::Filtered;

/// Lowest usage this minute.
#[derive(Debug, Clone, Copy, Default)]
pub struct UsageBased {
    /// Serve exactly `rpm` requests a minute instead of LiteLLM's early refusal.
    pub exact_rpm: bool,
}

impl UsageBased {
    /// Whether `d` has room for another request this minute under `rpm`, having been sent
    /// `requests`.
    #[inline]
    fn rpm_allows(&self, requests: u64, rpm: u64) -> bool {
        if self.exact_rpm {
            requests < rpm
        } else {
            requests == 0 || requests + 1 < rpm
        }
    }

    /// Why usage-based routing refuses `d` for this request now (its usage and limits, for
    /// `--explain`), or `None` when `d` is eligible.
    #[inline]
    pub fn excludes(&self, d: DeploymentIdx, ctx: &PickContext<'_>) -> Option<Filtered> {
        let usage = &ctx.usage[d.get()];
        let config = &ctx.table.deployment(d).config;
        let tokens = usage.tokens(ctx.now);
        let requests = usage.requests(ctx.now);
        let input_tokens = ctx.request.input_tokens;
        let fits_tpm = config
            .tpm
            .is_none_or(|tpm| tokens + u64::from(input_tokens) <= tpm);
        let fits_rpm = config
            .rpm
            .is_none_or(|rpm| self.rpm_allows(u64::from(requests), rpm));
        (!(fits_tpm && fits_rpm)).then_some(Filtered::UsageLimit {
            requests,
            rpm: config.rpm,
            tokens,
            input_tokens,
            tpm: config.tpm,
        })
    }
}

impl Strategy for UsageBased {
    fn pick<R: Rng + ?Sized>(
        &self,
        candidates: &[DeploymentIdx],
        ctx: &PickContext<'_>,
        rng: &mut R,
    ) -> Option<DeploymentIdx> {
        random_min_by(candidates, rng, |d| {
            self.excludes(d, ctx)
                .is_none()
                .then(|| ctx.usage[d.get()].tokens(ctx.now))
        })
    }
}
