//! `requests.parquet`: one row per request, the columns of `requests.csv` typed and compressed.
//!
//! Integers are integers (`id`, `input_tokens`, `output_tokens` INT64; `status`, `attempts`,
//! `retries`, `client_retries` INT32), times are DOUBLE in the unit their name says
//! (`arrival_s` seconds, `latency_ms` and `ttft_ms` milliseconds, unrounded), names are UTF-8
//! strings, and a field the CSV leaves empty (`deployment`, `error_class`, `ttft_ms`,
//! `fallback_path`) is null. Pages are Snappy-compressed; row groups hold [`ROWS_PER_GROUP`]
//! requests.
//!
//! The engine's side ([`RequestsParquet`], a record sink) only appends to column buffers
//! ([`RequestColumns`]: numbers and name indexes, no per-row allocation or formatting) and hands
//! each full batch to a [`RowGroupOut`]; [`RequestsParquetFile`] encodes batches into the file.
//! It decides the schema, the encodings and the compression; it must not decide where the
//! encoding runs (the application may give it a thread of its own) nor keep more than a batch.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use parquet::basic::{Compression, Encoding};
use parquet::data_type::{ByteArray, ByteArrayType, DataType, DoubleType, Int32Type, Int64Type};
use parquet::file::metadata::ParquetMetaDataReader;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::{SerializedFileWriter, SerializedRowGroupWriter};
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::{ColumnPath, Type};

use super::requests_csv::{fallback_path, group_name};
use crate::metrics::{RecordSink, RequestRecord};
use crate::router::{CallResult, DeploymentTable, GroupIdx};

/// Requests per row group (and per batch the engine hands over).
pub const ROWS_PER_GROUP: usize = 1 << 17;

/// Index of "no deployment" / "no group" in the name-index columns.
const NONE: u32 = u32::MAX;

/// The schema, without and with the `client_retries` column.
fn schema(client_retries: bool) -> String {
    let last = if client_retries {
        "required int32 client_retries;"
    } else {
        ""
    };
    format!(
        "message requests {{
            required int64 id;
            required binary policy (STRING);
            required double arrival_s;
            required binary model (STRING);
            optional binary deployment (STRING);
            required int32 status;
            optional binary error_class (STRING);
            required double latency_ms;
            optional double ttft_ms;
            required int32 attempts;
            required int64 input_tokens;
            required int64 output_tokens;
            required double cost_usd;
            required int32 retries;
            optional binary fallback_path (STRING);
            required binary final_group (STRING);
            {last}
        }}"
    )
}

/// The names a batch's indexes stand for: the policy, each request class's model, each
/// deployment's id and each group's name (model_list order).
#[derive(Debug, Clone)]
pub struct RequestNames {
    policy: String,
    models: Vec<String>,
    deployments: Vec<String>,
    groups: Vec<String>,
}

impl RequestNames {
    /// The names of `policy`'s rows, models per request class, deployments and groups from
    /// `table`.
    pub fn new(policy: &str, models: &[&str], table: &DeploymentTable) -> Self {
        RequestNames {
            policy: policy.to_string(),
            models: models.iter().map(|m| m.to_string()).collect(),
            deployments: table
                .deployments()
                .iter()
                .map(|d| d.config.id.clone())
                .collect(),
            groups: (0..table.groups().len())
                .map(|g| group_name(table, Some(GroupIdx(g as u32))).to_string())
                .collect(),
        }
    }

    fn group(&self, g: Option<GroupIdx>) -> &str {
        g.map_or("?", |g| self.groups[g.0 as usize].as_str())
    }
}

/// Up to a row group of requests, column by column; names are indexes into [`RequestNames`].
#[derive(Debug, Default)]
pub struct RequestColumns {
    id: Vec<i64>,
    arrival_s: Vec<f64>,
    class: Vec<u32>,
    deployment: Vec<u32>,
    status: Vec<i32>,
    error_class: Vec<&'static str>,
    latency_ms: Vec<f64>,
    ttft_ms: Vec<Option<f64>>,
    attempts: Vec<i32>,
    input_tokens: Vec<i64>,
    output_tokens: Vec<i64>,
    cost_usd: Vec<f64>,
    retries: Vec<i32>,
    fallback_end: Vec<u32>,
    fallback_text: String,
    final_group: Vec<u32>,
    client_retries: Vec<i32>,
}

impl RequestColumns {
    /// Empty columns with room for a row group.
    pub fn for_row_group() -> Self {
        let n = ROWS_PER_GROUP;
        RequestColumns {
            id: Vec::with_capacity(n),
            arrival_s: Vec::with_capacity(n),
            class: Vec::with_capacity(n),
            deployment: Vec::with_capacity(n),
            status: Vec::with_capacity(n),
            error_class: Vec::with_capacity(n),
            latency_ms: Vec::with_capacity(n),
            ttft_ms: Vec::with_capacity(n),
            attempts: Vec::with_capacity(n),
            input_tokens: Vec::with_capacity(n),
            output_tokens: Vec::with_capacity(n),
            cost_usd: Vec::with_capacity(n),
            retries: Vec::with_capacity(n),
            fallback_end: Vec::with_capacity(n),
            fallback_text: String::new(),
            final_group: Vec::with_capacity(n),
            client_retries: Vec::with_capacity(n),
        }
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.id.len()
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// Drops every row, keeping the room.
    pub fn clear(&mut self) {
        self.id.clear();
        self.arrival_s.clear();
        self.class.clear();
        self.deployment.clear();
        self.status.clear();
        self.error_class.clear();
        self.latency_ms.clear();
        self.ttft_ms.clear();
        self.attempts.clear();
        self.input_tokens.clear();
        self.output_tokens.clear();
        self.cost_usd.clear();
        self.retries.clear();
        self.fallback_end.clear();
        self.fallback_text.clear();
        self.final_group.clear();
        self.client_retries.clear();
    }

    /// Appends `r`, naming its fallback path's groups from `names`.
    fn push(&mut self, r: &RequestRecord<'_>, names: &RequestNames) {
        self.id.push(r.id as i64);
        self.arrival_s.push(r.arrival.as_secs_f64());
        self.class.push(r.class);
        self.deployment
            .push(r.deployment().map_or(NONE, |d| d.get() as u32));
        let (status, class) = match r.result {
            CallResult::Served(_) => (200, ""),
            CallResult::Failed(f) => (f.status(), f.class.name()),
        };
        self.status.push(i32::from(status));
        self.error_class.push(class);
        self.latency_ms.push(r.latency().as_secs_f64() * 1000.0);
        self.ttft_ms
            .push(r.time_to_first_token.map(|t| t.as_secs_f64() * 1000.0));
        self.attempts.push(r.attempts() as i32);
        self.input_tokens.push(i64::from(r.input_tokens));
        self.output_tokens.push(i64::from(r.output_tokens));
        self.cost_usd.push(r.cost_usd);
        self.retries.push(r.retries() as i32);
        fallback_path(&mut self.fallback_text, r, |g| names.group(g));
        self.fallback_end.push(self.fallback_text.len() as u32);
        self.final_group.push(r.final_group.map_or(NONE, |g| g.0));
        self.client_retries.push(r.client.retries as i32);
    }

    /// Each row's fallback path (empty when the first group ended it).
    fn fallback_paths(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.fallback_end.iter().copied());
        starts
            .zip(self.fallback_end.iter().copied())
            .map(|(a, b)| &self.fallback_text[a as usize..b as usize])
    }
}

/// Where full batches go.
pub trait RowGroupOut {
    /// Takes a full batch and gives back empty columns to fill next, or `None` once the file
    /// can take no more (its error is reported when the file is closed).
    fn hand_over(&mut self, full: RequestColumns) -> Option<RequestColumns>;
}

/// A record sink that collects one policy's requests into batches for a [`RowGroupOut`].
pub struct RequestsParquet<'a, O: RowGroupOut> {
    names: &'a RequestNames,
    columns: RequestColumns,
    out: O,
    failed: bool,
}

impl<'a, O: RowGroupOut> RequestsParquet<'a, O> {
    /// Rows named from `names`, handed to `out` a row group at a time.
    pub fn new(names: &'a RequestNames, out: O) -> Self {
        RequestsParquet {
            names,
            columns: RequestColumns::for_row_group(),
            out,
            failed: false,
        }
    }

    /// The rows not yet handed over, and the output.
    pub fn finish(self) -> (RequestColumns, O) {
        (self.columns, self.out)
    }
}

impl<O: RowGroupOut> RecordSink for RequestsParquet<'_, O> {
    fn request(&mut self, record: &RequestRecord<'_>) {
        if self.failed {
            return;
        }
        self.columns.push(record, self.names);
        if self.columns.len() >= ROWS_PER_GROUP {
            let full = std::mem::take(&mut self.columns);
            match self.out.hand_over(full) {
                Some(empty) => self.columns = empty,
                None => self.failed = true,
            }
        }
    }

    /// A file that can take no more rows ends the run early; closing it reports why.
    fn stop_requested(&self) -> bool {
        self.failed
    }
}

/// The writer properties: Snappy pages, dictionaries for the name columns only, delta-encoded
/// ids.
fn properties() -> Arc<WriterProperties> {
    let plain = ["id", "arrival_s", "latency_ms", "ttft_ms", "cost_usd"];
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_created_by(format!("switchyard {}", env!("CARGO_PKG_VERSION")));
    for column in plain {
        builder = builder.set_column_dictionary_enabled(ColumnPath::from(column), false);
    }
    builder = builder.set_column_encoding(ColumnPath::from("id"), Encoding::DELTA_BINARY_PACKED);
    Arc::new(builder.build())
}

/// An open `requests.parquet` (or a part of one) that encodes batches as row groups.
pub struct RequestsParquetFile {
    writer: SerializedFileWriter<File>,
    path: PathBuf,
    client_retries: bool,
    names: EncodedNames,
    strings: Vec<ByteArray>,
    levels: Vec<i16>,
    doubles: Vec<f64>,
    error: Option<anyhow::Error>,
}

/// The names as Parquet values (cloning one shares its bytes).
struct EncodedNames {
    policy: ByteArray,
    models: Vec<ByteArray>,
    deployments: Vec<ByteArray>,
    groups: Vec<ByteArray>,
    /// `?`: a group nothing matched (as the CSV writes it), or a name missing from the lists.
    unknown: ByteArray,
}

fn byte_array(s: &str) -> ByteArray {
    ByteArray::from(s.as_bytes().to_vec())
}

impl EncodedNames {
    fn new(names: &RequestNames) -> Self {
        let all = |v: &[String]| v.iter().map(|s| byte_array(s)).collect();
        EncodedNames {
            policy: byte_array(&names.policy),
            models: all(&names.models),
            deployments: all(&names.deployments),
            groups: all(&names.groups),
            unknown: byte_array("?"),
        }
    }
}

impl RequestsParquetFile {
    /// Creates `path` for rows named from `names`, with the `client_retries` column when
    /// `client_retries`.
    pub fn create(path: &Path, names: &RequestNames, client_retries: bool) -> Result<Self> {
        let cannot = || format!("cannot write {}", path.display());
        let schema = Arc::new(parse_message_type(&schema(client_retries)).with_context(cannot)?);
        let file = File::create(path).with_context(cannot)?;
        let writer = SerializedFileWriter::new(file, schema, properties()).with_context(cannot)?;
        Ok(RequestsParquetFile {
            writer,
            path: path.to_path_buf(),
            client_retries,
            names: EncodedNames::new(names),
            strings: Vec::new(),
            levels: Vec::new(),
            doubles: Vec::new(),
            error: None,
        })
    }

    /// Writes `columns` as one row group (nothing when empty).
    pub fn write(&mut self, columns: &RequestColumns) -> Result<()> {
        if columns.is_empty() {
            return Ok(());
        }
        self.write_row_group(columns)
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    /// Finishes the file (its footer), or reports the first error of a [`RowGroupOut`] hand-over.
    pub fn close(self) -> Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.writer
            .close()
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        Ok(())
    }

    fn write_row_group(&mut self, c: &RequestColumns) -> parquet::errors::Result<()> {
        let mut rg = self.writer.next_row_group()?;
        let n = &self.names;
        let (s, l, d) = (&mut self.strings, &mut self.levels, &mut self.doubles);
        column::<Int64Type>(&mut rg, &c.id, None)?;
        names(&mut rg, s, l, c.id.iter().map(|_| Some(&n.policy)))?;
        column::<DoubleType>(&mut rg, &c.arrival_s, None)?;
        let model = |&m: &u32| Some(n.models.get(m as usize).unwrap_or(&n.unknown));
        names(&mut rg, s, l, c.class.iter().map(model))?;
        let deployment = |&i: &u32| (i != NONE).then(|| n.deployments.get(i as usize)).flatten();
        optional_names(&mut rg, s, l, c.deployment.iter().map(deployment))?;
        column::<Int32Type>(&mut rg, &c.status, None)?;
        let error_classes = c
            .error_class
            .iter()
            .map(|e| (!e.is_empty()).then(|| byte_array(e)));
        optional_owned(&mut rg, s, l, error_classes)?;
        column::<DoubleType>(&mut rg, &c.latency_ms, None)?;
        optional_doubles(&mut rg, d, l, &c.ttft_ms)?;
        column::<Int32Type>(&mut rg, &c.attempts, None)?;
        column::<Int64Type>(&mut rg, &c.input_tokens, None)?;
        column::<Int64Type>(&mut rg, &c.output_tokens, None)?;
        column::<DoubleType>(&mut rg, &c.cost_usd, None)?;
        column::<Int32Type>(&mut rg, &c.retries, None)?;
        let paths = c
            .fallback_paths()
            .map(|p| (!p.is_empty()).then(|| byte_array(p)));
        optional_owned(&mut rg, s, l, paths)?;
        let group = |&g: &u32| Some(n.groups.get(g as usize).unwrap_or(&n.unknown));
        names(&mut rg, s, l, c.final_group.iter().map(group))?;
        if self.client_retries {
            column::<Int32Type>(&mut rg, &c.client_retries, None)?;
        }
        rg.close()?;
        Ok(())
    }
}

impl RowGroupOut for RequestsParquetFile {
    fn hand_over(&mut self, mut full: RequestColumns) -> Option<RequestColumns> {
        if let Err(e) = self.write(&full) {
            self.error = Some(e);
            return None;
        }
        full.clear();
        Some(full)
    }
}

type RowGroup<'a> = SerializedRowGroupWriter<'a, File>;

/// Writes the next column of the row group.
fn column<T: DataType>(
    rg: &mut RowGroup<'_>,
    values: &[T::T],
    levels: Option<&[i16]>,
) -> parquet::errors::Result<()> {
    let mut col = rg
        .next_column()?
        .ok_or_else(|| parquet::errors::ParquetError::General("schema too short".into()))?;
    col.typed::<T>().write_batch(values, levels, None)?;
    col.close()
}

/// Writes the next column, a required string, from shared names.
fn names<'n>(
    rg: &mut RowGroup<'_>,
    strings: &mut Vec<ByteArray>,
    levels: &mut Vec<i16>,
    values: impl Iterator<Item = Option<&'n ByteArray>>,
) -> parquet::errors::Result<()> {
    strings.clear();
    strings.extend(values.flatten().cloned());
    levels.clear();
    column::<ByteArrayType>(rg, strings, None)
}

/// Writes the next column, an optional string, from shared names (`None` is null).
fn optional_names<'n>(
    rg: &mut RowGroup<'_>,
    strings: &mut Vec<ByteArray>,
    levels: &mut Vec<i16>,
    values: impl Iterator<Item = Option<&'n ByteArray>>,
) -> parquet::errors::Result<()> {
    optional_owned(rg, strings, levels, values.map(|v| v.cloned()))
}

/// Writes the next column, an optional string (`None` is null).
fn optional_owned(
    rg: &mut RowGroup<'_>,
    strings: &mut Vec<ByteArray>,
    levels: &mut Vec<i16>,
    values: impl Iterator<Item = Option<ByteArray>>,
) -> parquet::errors::Result<()> {
    strings.clear();
    levels.clear();
    for v in values {
        levels.push(i16::from(v.is_some()));
        strings.extend(v);
    }
    column::<ByteArrayType>(rg, strings, Some(levels))
}

/// Writes the next column, an optional double (`None` is null).
fn optional_doubles(
    rg: &mut RowGroup<'_>,
    doubles: &mut Vec<f64>,
    levels: &mut Vec<i16>,
    values: &[Option<f64>],
) -> parquet::errors::Result<()> {
    doubles.clear();
    levels.clear();
    for v in values {
        levels.push(i16::from(v.is_some()));
        doubles.extend(v);
    }
    column::<DoubleType>(rg, doubles, Some(levels))
}

/// Joins part files (same schema) into `path`, their row groups in order, copying the encoded
/// pages as they are; removes the parts.
pub fn join_parts(parts: &[PathBuf], path: &Path) -> Result<()> {
    let cannot = || format!("cannot write {}", path.display());
    if let [only] = parts {
        return std::fs::rename(only, path).with_context(cannot);
    }
    let first = parts.first().ok_or_else(|| anyhow!("no part to join"))?;
    let schema = read_schema(first)?;
    let mut out = SerializedFileWriter::new(
        File::create(path).with_context(cannot)?,
        schema,
        properties(),
    )
    .with_context(cannot)?;
    for part in parts {
        append_part(&mut out, part).with_context(cannot)?;
        std::fs::remove_file(part).with_context(|| format!("cannot remove {}", part.display()))?;
    }
    out.close().with_context(cannot)?;
    Ok(())
}

/// The root schema of the Parquet file at `path`.
fn read_schema(path: &Path) -> Result<Arc<Type>> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let metadata = ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(metadata.file_metadata().schema_descr().root_schema_ptr())
}

/// Copies every row group of `part` into `out`.
fn append_part(out: &mut SerializedFileWriter<File>, part: &Path) -> Result<()> {
    let input = File::open(part).with_context(|| format!("cannot read {}", part.display()))?;
    let metadata = ParquetMetaDataReader::new()
        .parse_and_finish(&input)
        .with_context(|| format!("cannot read {}", part.display()))?;
    for rg in metadata.row_groups() {
        let mut rg_out = out.next_row_group()?;
        for column in rg.columns() {
            let close = parquet::column::writer::ColumnCloseResult {
                bytes_written: column.compressed_size() as u64,
                rows_written: rg.num_rows() as u64,
                metadata: column.clone(),
                bloom_filter: None,
                column_index: None,
                offset_index: None,
            };
            rg_out.append_column(&input, close)?;
        }
        rg_out.close()?;
    }
    Ok(())
}
