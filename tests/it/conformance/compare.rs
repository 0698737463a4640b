//! Compares Switchyard's record of a situation with LiteLLM's, as `litellm_side.py --check`
//! compares two LiteLLM runs: what must be equal is equal, waits agree within LiteLLM's jitter,
//! shares within the situation's tolerance. Each disagreement is a [`Diff`] whose `key` names
//! the place (`request 2: result`, `share of a`) without the values, so that the differences
//! list can name it. It decides what counts as agreement; not which disagreements are accepted.

use super::record::{Golden, RequestRecord};
use super::situation::{Mode, Situation};

/// LiteLLM adds U[0, 0.75) s of jitter to every wait, and its event loop some milliseconds;
/// Switchyard draws its own jitter from the same range.
pub const WAIT_TOLERANCE: f64 = 0.8;

/// One disagreement.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// Where: `request N: field`, `share of ID`, `results`, `served by`, `requests`.
    pub key: String,
    /// LiteLLM's value, then Switchyard's.
    pub detail: String,
}

fn diff(
    key: impl Into<String>,
    litellm: impl std::fmt::Debug,
    switchyard: impl std::fmt::Debug,
) -> Diff {
    Diff {
        key: key.into(),
        detail: format!("LiteLLM {litellm:?}, Switchyard {switchyard:?}"),
    }
}

/// Every disagreement between LiteLLM's `golden` and Switchyard's `replayed` record.
pub fn compare(s: &Situation, golden: &Golden, replayed: &Golden) -> Vec<Diff> {
    match (s.compare, s.clients) {
        (Mode::Shares, _) | (_, Some(_)) => shares(
            golden
                .served_counts
                .as_ref()
                .expect("a share golden has served_counts"),
            replayed
                .served_counts
                .as_ref()
                .expect("the replay counts served requests"),
            s.tolerance.unwrap_or(0.05),
        ),
        (Mode::Tally, None) => tally(requests(golden), requests(replayed)),
        (Mode::Exact, None) => exact(s, requests(golden), requests(replayed)),
    }
}

fn requests(g: &Golden) -> &[RequestRecord] {
    g.requests.as_deref().expect("a request-by-request record")
}

fn exact(s: &Situation, golden: &[RequestRecord], replayed: &[RequestRecord]) -> Vec<Diff> {
    let mut out = Vec::new();
    if golden.len() != replayed.len() {
        out.push(diff("requests", golden.len(), replayed.len()));
    }
    let unordered = s.ids.as_deref() == Some("unordered");
    for (i, (a, b)) in golden.iter().zip(replayed).enumerate() {
        out.extend(request(i, a, b, unordered));
    }
    out
}

/// The disagreements about request `i`.
fn request(i: usize, a: &RequestRecord, b: &RequestRecord, unordered: bool) -> Vec<Diff> {
    let mut out = Vec::new();
    let key = |field: &str| format!("request {i}: {field}");
    let (mut sa, mut sb) = (a.attempts.clone(), b.attempts.clone());
    if unordered {
        sa.sort();
        sb.sort();
    }
    if sa != sb {
        out.push(diff(key("attempts"), &a.attempts, &b.attempts));
    }
    if a.result != b.result {
        out.push(diff(key("result"), &a.result, &b.result));
    }
    if a.result.served_by.is_some() && (a.retries, a.fallbacks) != (b.retries, b.fallbacks) {
        out.push(diff(
            key("retries and fallbacks"),
            (a.retries, a.fallbacks),
            (b.retries, b.fallbacks),
        ));
    }
    if a.waits.len() == b.waits.len() {
        for (w, (x, y)) in a.waits.iter().zip(&b.waits).enumerate() {
            if (x - y).abs() > WAIT_TOLERANCE {
                out.push(diff(key(&format!("wait {w}")), x, y));
            }
        }
    }
    if a.cooling_after != b.cooling_after {
        out.push(diff(
            key("cooling_after"),
            &a.cooling_after,
            &b.cooling_after,
        ));
    }
    out
}

/// Which requests were served and how the others failed, and how many each deployment served.
fn tally(golden: &[RequestRecord], replayed: &[RequestRecord]) -> Vec<Diff> {
    let kinds = |rs: &[RequestRecord]| {
        rs.iter()
            .map(|r| r.result.kind().to_string())
            .collect::<Vec<_>>()
    };
    let served = |rs: &[RequestRecord]| {
        let mut by: Vec<String> = rs
            .iter()
            .filter_map(|r| r.result.served_by.clone())
            .collect();
        by.sort();
        by
    };
    let mut out = Vec::new();
    if kinds(golden) != kinds(replayed) {
        out.push(diff("results", kinds(golden), kinds(replayed)));
    }
    if served(golden) != served(replayed) {
        out.push(diff("served by", served(golden), served(replayed)));
    }
    out
}

/// Each deployment's share of the served requests, within `tolerance`.
fn shares(
    golden: &std::collections::BTreeMap<String, u32>,
    replayed: &std::collections::BTreeMap<String, u32>,
    tolerance: f64,
) -> Vec<Diff> {
    let total =
        |m: &std::collections::BTreeMap<String, u32>| f64::from(m.values().sum::<u32>().max(1));
    let (ta, tb) = (total(golden), total(replayed));
    golden
        .iter()
        .filter_map(|(id, &n)| {
            let a = f64::from(n) / ta;
            let b = f64::from(replayed.get(id).copied().unwrap_or(0)) / tb;
            ((a - b).abs() > tolerance).then(|| {
                diff(
                    format!("share of {id}"),
                    format!("{a:.3}"),
                    format!("{b:.3}"),
                )
            })
        })
        .collect()
}
