//! Collects a log's rows into a [`RecordedTraffic`]: interns request kinds and deployments in
//! first-seen order and applies the bad-row policy; at the end [`super::join`] puts the
//! requests in arrival order (stable) with instants counted from the first arrival. Every
//! reader goes through it, so the formats cannot differ in these rules. It must not parse a
//! format.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::replay::traffic::{
    BadRow, LogFormat, RecordedAttempt, RecordedDeployment, RecordedRequest, RecordedTraffic,
    RequestKind,
};
use crate::router::ErrorClass;
use crate::time::{Span, Time};

/// What a row's request asked for, borrowed from the row.
#[derive(Debug, Clone, Copy)]
pub(super) struct KindRef<'a, T: AsRef<str>> {
    pub model: &'a str,
    pub tags: &'a [T],
    pub stream: bool,
    pub num_retries: Option<u32>,
    pub fallbacks: Option<&'a [T]>,
    pub disable_fallbacks: bool,
    pub timeout: Option<Duration>,
}

impl<T: AsRef<str>> KindRef<'_, T> {
    /// Whether this is `kind`: the fields a kind's key is made of, compared one by one.
    fn is(&self, kind: &RequestKind) -> bool {
        let same = |a: &[T], b: &[String]| {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.as_ref() == b)
        };
        self.model == kind.model
            && same(self.tags, &kind.tags)
            && self.stream == kind.stream
            && self.disable_fallbacks == kind.disable_fallbacks
            && self.num_retries == kind.num_retries
            && self.timeout == kind.timeout
            && match (self.fallbacks, &kind.fallbacks) {
                (None, None) => true,
                (Some(a), Some(b)) => same(a, b),
                _ => false,
            }
    }
}

/// Up to how many kinds or deployments a builder looks up by comparing them one by one
/// rather than through their keys' index.
const FEW: usize = 8;

/// A deployment as a row names it, borrowed from the row (empty strings count as absent).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct DeploymentRef<'a> {
    pub id: Option<&'a str>,
    pub api_base: Option<&'a str>,
    pub model: Option<&'a str>,
    pub model_group: Option<&'a str>,
}

/// What a row says happened to its request (its attempts are pushed before it).
#[derive(Debug, Clone, Copy)]
pub(super) struct Outcome {
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub status: u16,
    pub error: Option<ErrorClass>,
    pub served_by: Option<u32>,
    pub cost_usd: Option<f64>,
    pub duration: Span,
}

/// The error for a row that cannot be read when bad rows are not skipped: names the file and
/// the line.
#[derive(Debug)]
pub(super) struct BadLine {
    file: String,
    line: u64,
    reason: String,
}

impl BadLine {
    /// The same error `lines` further down the file (see [`Builder::lines_after`]).
    pub(super) fn lines_after(self, lines: u64) -> BadLine {
        BadLine {
            line: self.line + lines,
            ..self
        }
    }
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {} (pass --skip-bad-rows to skip such rows)",
            self.file, self.line, self.reason
        )
    }
}

impl std::error::Error for BadLine {}

/// The traffic being read.
pub(super) struct Builder {
    pub(super) file: String,
    pub(super) format: LogFormat,
    pub(super) skip_bad_rows: bool,
    /// The requests read, in log order, their instants not yet set.
    pub(super) rows: Vec<RecordedRequest>,
    /// Each row's arrival in Unix seconds.
    pub(super) arrivals: Vec<f64>,
    pub(super) kinds: Vec<RequestKind>,
    pub(super) kind_index: BTreeMap<Vec<u8>, u32>,
    pub(super) deployments: Vec<RecordedDeployment>,
    pub(super) deployment_index: BTreeMap<Vec<u8>, u32>,
    pub(super) attempts: Vec<RecordedAttempt>,
    /// Where the current row's attempts start.
    row_attempts: u32,
    pub(super) skipped: Vec<BadRow>,
    /// The key being looked up (reused).
    key: Vec<u8>,
}

impl Builder {
    /// An empty log of `format` read from `file`.
    pub fn new(file: &str, format: LogFormat, skip_bad_rows: bool) -> Builder {
        Builder {
            file: file.to_string(),
            format,
            skip_bad_rows,
            rows: Vec::new(),
            arrivals: Vec::new(),
            kinds: Vec::new(),
            kind_index: BTreeMap::new(),
            deployments: Vec::new(),
            deployment_index: BTreeMap::new(),
            attempts: Vec::new(),
            row_attempts: 0,
            skipped: Vec::new(),
            key: Vec::new(),
        }
    }

    /// An empty builder for one part of the same file, read on its own and then added to this
    /// one with [`Builder::absorb`].
    /// `rows` is how many rows the part may hold (room is made for them at once).
    pub fn part(&self, rows: usize) -> Builder {
        let mut part = Builder::new(&self.file, self.format, self.skip_bad_rows);
        part.rows.reserve(rows);
        part.arrivals.reserve(rows);
        part.attempts.reserve(rows + rows / 2);
        part
    }

    /// The index of `kind` under `key`, interned if new.
    pub(super) fn interned_kind(&mut self, key: Vec<u8>, kind: RequestKind) -> u32 {
        if let Some(&index) = self.kind_index.get(&key) {
            return index;
        }
        let index = self.kinds.len() as u32;
        self.kinds.push(kind);
        self.kind_index.insert(key, index);
        index
    }

    /// The index of deployment `d` under `key`, interned if new (filling what a known one
    /// lacks).
    pub(super) fn interned_deployment(&mut self, key: Vec<u8>, d: RecordedDeployment) -> u32 {
        if let Some(&index) = self.deployment_index.get(&key) {
            let known = &mut self.deployments[index as usize];
            let (group, api_base, model) = (&d.model_group, &d.api_base, &d.model);
            learn(
                known,
                group.as_deref(),
                api_base.as_deref(),
                model.as_deref(),
            );
            return index;
        }
        let index = self.deployments.len() as u32;
        self.deployments.push(d);
        self.deployment_index.insert(key, index);
        index
    }

    /// The file as the user named it.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// A row that cannot be read: an error naming the file and line, or (when the user asked
    /// to skip bad rows) listed and skipped. Drops any attempts the row already pushed.
    pub fn bad_row(&mut self, line: u64, reason: impl Into<String>) -> anyhow::Result<()> {
        let reason = reason.into();
        self.attempts.truncate(self.row_attempts as usize);
        if !self.skip_bad_rows {
            return Err(BadLine {
                file: self.file.clone(),
                line,
                reason,
            }
            .into());
        }
        self.skipped.push(BadRow { line, reason });
        Ok(())
    }

    /// Moves the lines of the rows listed as skipped `lines` further down the file: a part
    /// read with its lines counted from its own start, once the lines before it are known.
    pub(super) fn lines_after(&mut self, lines: u64) {
        for row in &mut self.skipped {
            row.line += lines;
        }
    }

    /// A row a replay cannot use whatever the policy (another call type, a cache hit, a
    /// request refused before routing): always listed in `skipped`, never an error.
    pub fn not_replayed(&mut self, line: u64, reason: impl Into<String>) {
        self.attempts.truncate(self.row_attempts as usize);
        self.skipped.push(BadRow {
            line,
            reason: reason.into(),
        });
    }

    /// The index of the kind `kind`, interned in first-seen order. While there are few kinds
    /// they are compared field by field, which is what their keys encode, before any key is
    /// built.
    pub fn kind<T: AsRef<str>>(&mut self, kind: KindRef<'_, T>) -> u32 {
        if self.kinds.len() <= FEW
            && let Some(at) = self.kinds.iter().position(|k| kind.is(k))
        {
            return at as u32;
        }
        let key = &mut self.key;
        key.clear();
        push_str(key, kind.model);
        push_strs(key, Some(kind.tags));
        key.extend([u8::from(kind.stream), u8::from(kind.disable_fallbacks)]);
        push_number(key, kind.num_retries.map(u128::from));
        push_number(key, kind.timeout.map(|t| t.as_nanos()));
        push_strs(key, kind.fallbacks);
        if let Some(&index) = self.kind_index.get(&self.key) {
            return index;
        }
        let index = self.kinds.len() as u32;
        self.kinds.push(RequestKind {
            model: kind.model.to_string(),
            tags: kind.tags.iter().map(|t| t.as_ref().to_string()).collect(),
            stream: kind.stream,
            num_retries: kind.num_retries,
            fallbacks: kind
                .fallbacks
                .map(|f| f.iter().map(|n| n.as_ref().to_string()).collect()),
            disable_fallbacks: kind.disable_fallbacks,
            timeout: kind.timeout,
        });
        self.kind_index.insert(self.key.clone(), index);
        index
    }

    /// The index of the deployment `d`, interned in first-seen order by its id (else by its
    /// `api_base` and model); a model group learnt later fills one not yet known. `None` when
    /// the row names no deployment at all.
    pub fn deployment(&mut self, d: DeploymentRef<'_>) -> Option<u32> {
        let (id, api_base, model, group) = (
            present(d.id),
            present(d.api_base),
            present(d.model),
            present(d.model_group),
        );
        // While there are few deployments, one named by its id is found by comparing ids:
        // only a deployment interned by its id has one.
        let named = id.filter(|_| self.deployments.len() <= FEW).and_then(|id| {
            let named = |d: &RecordedDeployment| d.id.as_deref() == Some(id);
            self.deployments.iter().position(named)
        });
        if let Some(index) = named {
            learn(&mut self.deployments[index], group, api_base, model);
            return Some(index as u32);
        }
        self.key.clear();
        match id {
            Some(id) => {
                self.key.push(0);
                push_str(&mut self.key, id);
            }
            None if api_base.is_some() || model.is_some() => {
                self.key.push(1);
                push_str(&mut self.key, api_base.unwrap_or(""));
                push_str(&mut self.key, model.unwrap_or(""));
            }
            None => return None,
        }
        if let Some(&index) = self.deployment_index.get(&self.key) {
            learn(
                &mut self.deployments[index as usize],
                group,
                api_base,
                model,
            );
            return Some(index);
        }
        let index = self.deployments.len() as u32;
        self.deployments.push(RecordedDeployment {
            id: id.map(String::from),
            api_base: api_base.map(String::from),
            model: model.map(String::from),
            model_group: group.map(String::from),
        });
        self.deployment_index.insert(self.key.clone(), index);
        Some(index)
    }

    /// Adds an attempt to the current row.
    pub fn attempt(&mut self, attempt: RecordedAttempt) {
        self.attempts.push(attempt);
    }

    /// Ends the current row: its request arrived at `arrival_unix_s` as `kind` with `outcome`
    /// and the attempts pushed since the last row ended.
    pub fn request(&mut self, arrival_unix_s: f64, kind: u32, outcome: Outcome) {
        let end = self.attempts.len() as u32;
        self.arrivals.push(arrival_unix_s);
        self.rows.push(RecordedRequest {
            at: Time::ZERO,
            kind,
            input_tokens: outcome.input_tokens,
            output_tokens: outcome.output_tokens,
            attempts: self.row_attempts..end,
            status: outcome.status,
            error: outcome.error,
            served_by: outcome.served_by,
            cost_usd: outcome.cost_usd,
            duration: outcome.duration,
        });
        self.row_attempts = end;
    }

    /// The traffic: requests in arrival order (ties in log order), instants from the first
    /// arrival; attempts stay in log order, each request's together.
    pub fn finish(self) -> RecordedTraffic {
        let whole = Builder::new(&self.file, self.format, self.skip_bad_rows);
        super::join::join(whole, vec![self])
    }
}

/// Interns a part's `items` (in their order) through `intern`, given each one's key from
/// `index`; returns the new index of each old one.
pub(super) fn remap<T>(
    index: &BTreeMap<Vec<u8>, u32>,
    items: Vec<T>,
    mut intern: impl FnMut(Vec<u8>, T) -> u32,
) -> Vec<u32> {
    let mut keys = vec![Vec::new(); items.len()];
    for (key, &at) in index {
        keys[at as usize] = key.clone();
    }
    items
        .into_iter()
        .zip(keys)
        .map(|(item, key)| intern(key, item))
        .collect()
}

/// `s` unless it is empty.
fn present(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

/// Fills what `known` does not know yet of its model group, `api_base` and model.
fn learn(
    known: &mut RecordedDeployment,
    group: Option<&str>,
    api_base: Option<&str>,
    model: Option<&str>,
) {
    fill(&mut known.model_group, group);
    fill(&mut known.api_base, api_base);
    fill(&mut known.model, model);
}

/// Sets `slot` from `value` when it is still unknown.
fn fill(slot: &mut Option<String>, value: Option<&str>) {
    if slot.is_none()
        && let Some(value) = value
    {
        *slot = Some(value.to_string());
    }
}

/// Appends `s` to a key, length first (so no two different keys read the same).
fn push_str(key: &mut Vec<u8>, s: &str) {
    key.extend_from_slice(&(s.len() as u64).to_le_bytes());
    key.extend_from_slice(s.as_bytes());
}

/// Appends a list of strings (or its absence) to a key.
fn push_strs<T: AsRef<str>>(key: &mut Vec<u8>, list: Option<&[T]>) {
    match list {
        None => key.push(0),
        Some(list) => {
            key.push(1);
            key.extend_from_slice(&(list.len() as u64).to_le_bytes());
            for s in list {
                push_str(key, s.as_ref());
            }
        }
    }
}

/// Appends a number (or its absence) to a key.
fn push_number(key: &mut Vec<u8>, n: Option<u128>) {
    match n {
        None => key.push(0),
        Some(n) => {
            key.push(1);
            key.extend_from_slice(&n.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A row: model, tags, stream, disable_fallbacks, num_retries, timeout (s), fallbacks,
    /// and the deployments tried, each an id and maybe a model group.
    type Row = (
        u8,
        Vec<u8>,
        bool,
        bool,
        Option<u32>,
        Option<u64>,
        Option<Vec<u8>>,
        Vec<(u8, Option<u8>)>,
    );

    fn row() -> impl Strategy<Value = Row> {
        let names = || prop::collection::vec(0u8..3, 0..3);
        (
            0u8..3,
            names(),
            any::<bool>(),
            prop::bool::weighted(0.2),
            prop::option::of(0u32..2),
            prop::option::of(1u64..3),
            prop::option::of(names()),
            prop::collection::vec((0u8..12, prop::option::of(0u8..2)), 0..3),
        )
    }

    fn kind_of(r: &Row) -> RequestKind {
        let names = |n: &[u8]| n.iter().map(|t| format!("n{t}")).collect::<Vec<_>>();
        RequestKind {
            model: format!("m{}", r.0),
            tags: names(&r.1),
            stream: r.2,
            disable_fallbacks: r.3,
            num_retries: r.4,
            timeout: r.5.map(Duration::from_secs),
            fallbacks: r.6.as_deref().map(names),
        }
    }

    proptest! {
        /// Kinds and deployments are interned as distinct values in first-seen order, each
        /// row getting its own, whether found by comparing fields (few) or by key (many).
        #[test]
        fn kinds_and_deployments_intern_in_first_seen_order(
            rows in prop::collection::vec(row(), 0..80),
        ) {
            let mut b = Builder::new("log", LogFormat::SwitchyardJsonl, false);
            for (i, r) in rows.iter().enumerate() {
                for (id, group) in &r.7 {
                    let d = b
                        .deployment(DeploymentRef {
                            id: Some(&format!("d{id}")),
                            model_group: group.map(|g| format!("g{g}")).as_deref(),
                            ..DeploymentRef::default()
                        })
                        .unwrap();
                    b.attempt(RecordedAttempt {
                        deployment: d,
                        error: None,
                        status: Some(200),
                        duration: Span::from_nanos(1),
                        time_to_first_token: None,
                        retry_after: None,
                    });
                }
                let k = kind_of(r);
                let kind = b.kind(KindRef {
                    model: &k.model,
                    tags: &k.tags,
                    stream: k.stream,
                    num_retries: k.num_retries,
                    fallbacks: k.fallbacks.as_deref(),
                    disable_fallbacks: k.disable_fallbacks,
                    timeout: k.timeout,
                });
                let outcome = Outcome {
                    input_tokens: 0,
                    output_tokens: 0,
                    status: 200,
                    error: None,
                    served_by: None,
                    cost_usd: None,
                    duration: Span::from_nanos(1),
                };
                b.request(i as f64, kind, outcome);
            }
            let t = b.finish();
            let mut kinds: Vec<RequestKind> = Vec::new();
            let mut ids: Vec<String> = Vec::new();
            let mut groups: Vec<Option<String>> = Vec::new();
            for (r, request) in rows.iter().zip(&t.requests) {
                let k = kind_of(r);
                if !kinds.contains(&k) {
                    kinds.push(k.clone());
                }
                prop_assert_eq!(&t.kinds[request.kind as usize], &k);
                for ((id, group), a) in r.7.iter().zip(t.attempts_of(request)) {
                    let id = format!("d{id}");
                    let at = ids.iter().position(|i| *i == id).unwrap_or_else(|| {
                        ids.push(id.clone());
                        groups.push(None);
                        ids.len() - 1
                    });
                    if groups[at].is_none() {
                        groups[at] = group.map(|g| format!("g{g}"));
                    }
                    prop_assert_eq!(t.deployments[a.deployment as usize].id.as_ref(), Some(&id));
                }
            }
            prop_assert_eq!(&t.kinds, &kinds);
            let logged: Vec<(Option<String>, Option<String>)> = t
                .deployments
                .iter()
                .map(|d| (d.id.clone(), d.model_group.clone()))
                .collect();
            let expected: Vec<(Option<String>, Option<String>)> =
                ids.into_iter().map(Some).zip(groups).collect();
            prop_assert_eq!(logged, expected);
        }
    }
}
