//! `requests.csv`: one row per request, streamed to disk as requests end.
//!
//! Columns: `id, policy, arrival_s, model, deployment, status, error_class, latency_ms, ttft_ms,
//! attempts, input_tokens, output_tokens, cost_usd, retries, fallback_path, final_group`, and
//! `client_retries` when the workload's clients retry by themselves (then `attempts` and
//! `retries` count the provider attempts and gateway retries of all the client's gateway
//! calls). `status` is the HTTP status the client got (200 when served). Formatting reuses one buffer,
//! so writing a row does not allocate. It decides the columns and their spelling; it must not
//! keep records (rows stream to the writer).

use std::fmt::Write as _;
use std::io::Write;

use crate::metrics::{RecordSink, RequestRecord};
use crate::router::{CallResult, DeploymentTable, GroupIdx};

/// Every column, `client_retries` last.
pub const COLUMNS: [&str; 17] = [
    "id",
    "policy",
    "arrival_s",
    "model",
    "deployment",
    "status",
    "error_class",
    "latency_ms",
    "ttft_ms",
    "attempts",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "retries",
    "fallback_path",
    "final_group",
    "client_retries",
];

/// The header row when clients do not retry by themselves: every column but `client_retries`.
pub const HEADER: &[&str] = COLUMNS.split_last().expect("columns").1;

/// The header row when clients retry by themselves: [`HEADER`] and `client_retries`.
pub const CLIENT_RETRIES_HEADER: &[&str] = &COLUMNS;

/// The header row, with the `client_retries` column when clients retry by themselves.
pub fn header(client_retries: bool) -> &'static [&'static str] {
    if client_retries {
        CLIENT_RETRIES_HEADER
    } else {
        HEADER
    }
}

/// Writes rows for one policy's requests.
pub struct RequestsCsv<'a, W: Write> {
    out: &'a mut csv::Writer<W>,
    policy: &'a str,
    models: Vec<&'a str>,
    deployment_ids: Vec<&'a str>,
    table: &'a DeploymentTable,
    buf: String,
    error: Option<csv::Error>,
    client_retries: bool,
}

impl<'a, W: Write> RequestsCsv<'a, W> {
    /// Rows for `policy`, naming models by `models` (per request class) and deployments from
    /// `table`.
    pub fn new(
        out: &'a mut csv::Writer<W>,
        policy: &'a str,
        models: Vec<&'a str>,
        table: &'a DeploymentTable,
    ) -> Self {
        RequestsCsv {
            out,
            policy,
            models,
            deployment_ids: table
                .deployments()
                .iter()
                .map(|d| d.config.id.as_str())
                .collect(),
            table,
            buf: String::with_capacity(32),
            error: None,
            client_retries: false,
        }
    }

    /// Rows with the `client_retries` column when `on` (see [`header`]).
    pub fn client_retries(mut self, on: bool) -> Self {
        self.client_retries = on;
        self
    }

    /// The first write error, if any happened.
    pub fn finish(self) -> Result<(), csv::Error> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn field(&mut self, f: impl FnOnce(&mut String)) -> Result<(), csv::Error> {
        self.buf.clear();
        f(&mut self.buf);
        self.out.write_field(&self.buf)
    }

    fn row(&mut self, r: &RequestRecord<'_>) -> Result<(), csv::Error> {
        self.field(|b| {
            let _ = write!(b, "{}", r.id);
        })?;
        self.out.write_field(self.policy)?;
        self.field(|b| {
            let _ = write!(b, "{:.6}", r.arrival.as_secs_f64());
        })?;
        self.out.write_field(self.models[r.class as usize])?;
        let deployment = r.deployment().map_or("", |d| self.deployment_ids[d.get()]);
        self.out.write_field(deployment)?;
        let (status, class) = match r.result {
            CallResult::Served(_) => (200, ""),
            CallResult::Failed(f) => (f.status(), f.class.name()),
        };
        self.field(|b| {
            let _ = write!(b, "{status}");
        })?;
        self.out.write_field(class)?;
        self.field(|b| {
            let _ = write!(b, "{:.3}", r.latency().as_secs_f64() * 1000.0);
        })?;
        self.field(|b| {
            if let Some(t) = r.time_to_first_token {
                let _ = write!(b, "{:.3}", t.as_secs_f64() * 1000.0);
            }
        })?;
        self.field(|b| {
            let _ = write!(b, "{}", r.attempts());
        })?;
        self.field(|b| {
            let _ = write!(b, "{}", r.input_tokens);
        })?;
        self.field(|b| {
            let _ = write!(b, "{}", r.output_tokens);
        })?;
        self.field(|b| {
            let _ = write!(b, "{:.8}", r.cost_usd);
        })?;
        self.field(|b| {
            let _ = write!(b, "{}", r.retries());
        })?;
        let table = self.table;
        self.field(|b| fallback_path(b, r, |g| group_name(table, g)))?;
        self.out.write_field(group_name(table, r.final_group))?;
        if self.client_retries {
            self.field(|b| {
                let _ = write!(b, "{}", r.client.retries);
            })?;
        }
        self.out.write_record(None::<&[u8]>)
    }
}

/// A group's name, `?` for a name nothing matched.
pub fn group_name(table: &DeploymentTable, group: Option<GroupIdx>) -> &str {
    group.map_or("?", |g| table.group(g).name.as_str())
}

/// Appends the `fallback_path` of `r` to `b`: the groups tried, in order and without repeats,
/// joined by `>` and ending with the final group; nothing when the first group ended it.
pub fn fallback_path<'n>(
    b: &mut String,
    r: &RequestRecord<'_>,
    name: impl Fn(Option<GroupIdx>) -> &'n str,
) {
    if r.failed_groups.is_empty() {
        return;
    }
    let mut last = None;
    for f in r.failed_groups {
        if last != Some(f.group) {
            if last.is_some() {
                b.push('>');
            }
            b.push_str(name(f.group));
            last = Some(f.group);
        }
    }
    if last != Some(r.final_group) {
        b.push('>');
        b.push_str(name(r.final_group));
    }
}

impl<W: Write> RecordSink for RequestsCsv<'_, W> {
    fn request(&mut self, record: &RequestRecord<'_>) {
        if self.error.is_none()
            && let Err(e) = self.row(record)
        {
            self.error = Some(e);
        }
    }
}
