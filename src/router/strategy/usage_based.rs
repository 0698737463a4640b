//! `usage-based-routing` and `usage-based-routing-v2` (the same decision): the deployment with
//! the fewest tokens used in the current minute, among those the request fits.
//!
//! Eligible: this request's input tokens fit under `tpm`, and `requests + 1 < rpm` (LiteLLM
//! refuses one request early, so `rpm: 2` serves one request a minute; the
//! `usage_exact_rpm` improvement serves exactly `rpm`). Ties at random. None eligible: the
//! router's own 429, retry after 60 s. Requests count when sent, tokens after a success.

use rand::Rng;

use super::least_busy::random_min_by;
use super::{PickContext, Strategy};
use crate::config::deployment_table::DeploymentIdx;

/// Lowest usage this minute.
#[derive(Debug, Clone, Copy, Default)]
pub struct UsageBased {
    /// Serve exactly `rpm` requests a minute instead of LiteLLM's `rpm - 1`.
    pub exact_rpm: bool,
}

impl Strategy for UsageBased {
    fn pick<R: Rng + ?Sized>(
        &self,
        candidates: &[DeploymentIdx],
        ctx: &PickContext<'_>,
        rng: &mut R,
    ) -> Option<DeploymentIdx> {
        random_min_by(candidates, rng, |d| {
            let usage = &ctx.usage[d.get()];
            let config = &ctx.table.deployment(d).config;
            let tokens = usage.tokens(ctx.now);
            let requests = u64::from(usage.requests(ctx.now));
            let fits_tpm = config
                .tpm
                .is_none_or(|tpm| tokens + u64::from(ctx.request.input_tokens) <= tpm);
            let fits_rpm = config.rpm.is_none_or(|rpm| {
                if self.exact_rpm {
                    requests < rpm
                } else {
                    requests + 1 < rpm
                }
            });
            (fits_tpm && fits_rpm).then_some(tokens)
        })
    }
}
