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
            fill(&mut known.model_group, d.model_group.as_deref());
            fill(&mut known.api_base, d.api_base.as_deref());
            fill(&mut known.model, d.model.as_deref());
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

    /// The index of the kind `kind`, interned in first-seen order.
    pub fn kind<T: AsRef<str>>(&mut self, kind: KindRef<'_, T>) -> u32 {
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
            let known = &mut self.deployments[index as usize];
            fill(&mut known.model_group, group);
            fill(&mut known.api_base, api_base);
            fill(&mut known.model, model);
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
