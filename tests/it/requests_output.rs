//! The per-request file in each format: `requests.parquet` read back with the parquet crate's
//! reader agrees with the summary and, row for row, with `requests.csv`; `requests.csv` is
//! byte-identical to the one written before Parquet existed; `none` writes neither; a file that
//! cannot be written is an error naming it.

use std::path::Path;

use parquet::basic::Type as Physical;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, Row};
use sha2::{Digest, Sha256};
use switchyard::app::progress::Progress;
use switchyard::app::runner::{RunOutput, run_scenario_as, simulate};
use switchyard::report::requests_csv::{CLIENT_RETRIES_HEADER, HEADER};
use switchyard::report::requests_format::RequestsFormat;
use switchyard::report::requests_parquet::RequestNames;
use switchyard::scenario::Scenario;

use crate::common::bundled;

fn mix_models(s: &Scenario) -> Vec<&str> {
    s.workload.mix.iter().map(|c| c.model.as_str()).collect()
}

fn run_as(s: &Scenario, format: RequestsFormat, dir: &Path) -> RunOutput {
    let policies: Vec<_> = s.policies.iter().collect();
    run_scenario_as(
        s,
        &policies,
        s.seed,
        dir,
        format,
        &Progress::unwatched(policies.len(), s.duration),
    )
    .expect("the run is written")
}

fn parquet_rows(path: &Path) -> (Vec<(String, Physical)>, Vec<Row>) {
    let file = std::fs::File::open(path).unwrap();
    let reader = SerializedFileReader::new(file).expect("a Parquet file");
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let columns = schema
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), c.physical_type()))
        .collect();
    let rows = reader.get_row_iter(None).unwrap().map(|r| r.unwrap());
    (columns, rows.collect())
}

/// A Parquet field as the CSV spells it (null as empty), numbers to the CSV's decimals.
fn as_csv_text(column: &str, field: &Field) -> String {
    let decimals = match column {
        "arrival_s" => 6,
        "cost_usd" => 8,
        _ => 3,
    };
    match field {
        Field::Null => String::new(),
        Field::Str(s) => s.clone(),
        Field::Int(i) => i.to_string(),
        Field::Long(i) => i.to_string(),
        Field::Double(x) => format!("{x:.decimals$}"),
        other => panic!("unexpected field {other:?} in {column}"),
    }
}

/// Every row of the Parquet file equals the CSV's (numbers at the CSV's rounding).
fn assert_same_rows(parquet: &Path, csv: &Path, header: &[&str]) -> usize {
    let (columns, rows) = parquet_rows(parquet);
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, header, "the Parquet columns are the CSV's");
    let mut reader = csv::Reader::from_path(csv).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), records.len(), "one row per request in both");
    for (row, record) in rows.iter().zip(&records) {
        for ((name, field), text) in row.get_column_iter().zip(record.iter()) {
            assert_eq!(
                as_csv_text(name, field),
                text,
                "column {name} of {record:?}"
            );
        }
    }
    rows.len()
}

#[test]
fn requests_parquet_has_the_csv_columns_typed_and_one_row_per_request() {
    let s = bundled("seed-load-balancing.yaml");
    let (pq_dir, csv_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = run_as(&s, RequestsFormat::Parquet, pq_dir.path());
    assert_eq!(out.requests_path, pq_dir.path().join("requests.parquet"));
    let csv_out = run_as(&s, RequestsFormat::Csv, csv_dir.path());
    let rows = assert_same_rows(&out.requests_path, &csv_out.requests_path, HEADER);
    let requests: u64 = out.summary.policies.values().map(|p| p.requests).sum();
    assert_eq!(rows as u64, requests, "rows = the summary's requests");
    let (columns, _) = parquet_rows(&out.requests_path);
    let typed = |name: &str| columns.iter().find(|(n, _)| n == name).unwrap().1;
    assert_eq!(typed("id"), Physical::INT64);
    assert_eq!(typed("status"), Physical::INT32);
    assert_eq!(typed("arrival_s"), Physical::DOUBLE);
    assert_eq!(typed("latency_ms"), Physical::DOUBLE);
    assert_eq!(typed("deployment"), Physical::BYTE_ARRAY);
    let parquet_bytes = std::fs::metadata(&out.requests_path).unwrap().len();
    let csv_bytes = std::fs::metadata(&csv_out.requests_path).unwrap().len();
    assert!(
        parquet_bytes * 2 < csv_bytes,
        "{parquet_bytes} vs {csv_bytes} bytes"
    );
}

#[test]
fn policies_join_in_order_with_the_client_retries_column() {
    let s = bundled("client-retry-storm.yaml");
    assert_eq!(
        s.policies.len(),
        2,
        "the join of two policies' parts is tested"
    );
    let (pq_dir, csv_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = run_as(&s, RequestsFormat::Parquet, pq_dir.path());
    let csv_out = run_as(&s, RequestsFormat::Csv, csv_dir.path());
    assert_same_rows(
        &out.requests_path,
        &csv_out.requests_path,
        CLIENT_RETRIES_HEADER,
    );
    let leftovers: Vec<_> = std::fs::read_dir(pq_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "part files left: {leftovers:?}");
}

#[test]
fn requests_csv_is_byte_identical_to_the_csv_before_parquet() {
    // The digest of seed-load-balancing/requests.csv (seed 42) from scripts/scenario-digests.sh
    // at the commit before requests.parquet, whose runs had no API keys in the environment (the
    // deployment ids hash the resolved parameters).
    const BEFORE: &str = "a7f6729260aab9e328288548fa4e1427305b9799a505b19a8af705b199333580";
    let no_keys = std::collections::BTreeMap::<String, String>::new();
    let path = crate::common::scenarios_dir().join("seed-load-balancing.yaml");
    let s = switchyard::scenario::load_scenario(&path, &no_keys).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = run_as(&s, RequestsFormat::Csv, dir.path());
    assert_eq!(out.requests_path, dir.path().join("requests.csv"));
    let digest = Sha256::digest(std::fs::read(&out.requests_path).unwrap());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, BEFORE);
}

#[test]
fn none_writes_no_per_request_file_and_the_same_summary() {
    let s = bundled("seed-load-balancing.yaml");
    let (none_dir, pq_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = run_as(&s, RequestsFormat::None, none_dir.path());
    let with_file = run_as(&s, RequestsFormat::Parquet, pq_dir.path());
    for name in ["requests.csv", "requests.parquet"] {
        assert!(!none_dir.path().join(name).exists(), "{name} written");
    }
    assert!(none_dir.path().join("summary.json").exists());
    assert_eq!(
        std::fs::read(out.summary_path).unwrap(),
        std::fs::read(with_file.summary_path).unwrap(),
        "the per-request file does not change the summary"
    );
}

#[test]
fn a_directory_in_the_way_is_an_error_naming_the_file() {
    let s = bundled("seed-load-balancing.yaml");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("requests.parquet")).unwrap();
    std::fs::write(dir.path().join("requests.parquet").join("x"), "x").unwrap();
    let policies: Vec<_> = s.policies.iter().collect();
    let err = run_scenario_as(
        &s,
        &policies,
        42,
        dir.path(),
        RequestsFormat::Parquet,
        &Progress::unwatched(policies.len(), s.duration),
    )
    .expect_err("requests.parquet cannot be written");
    let message = format!("{err:#}");
    assert!(
        message.contains(&dir.path().join("requests.parquet").display().to_string()),
        "{message}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_an_error_naming_the_file_not_a_panic() {
    let full = Path::new("/dev/full");
    if !full.exists() {
        return;
    }
    let s = bundled("seed-load-balancing.yaml");
    let policy = &s.policies[0];
    let names = RequestNames::new(&policy.name, &mix_models(&s), &s.config.table);
    let err =
        switchyard::app::requests_writer::write_requests_parquet(full, &names, false, |rows| {
            simulate(&s, policy, 42, rows)
        })
        .expect_err("nothing fits on /dev/full");
    assert!(format!("{err:#}").contains("/dev/full"), "{err:#}");
}

#[test]
fn the_command_line_writes_requests_parquet_by_default_and_refuses_an_unknown_format() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_switchyard"))
            .args(["run", "seed-weighted.yaml", "--brief", "--quiet", "--out"])
            .arg(dir.path())
            .args(extra)
            .current_dir(crate::common::scenarios_dir())
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("requests.parquet").exists());
    assert!(!dir.path().join("requests.csv").exists());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("requests.parquet"), "{stdout}");
    let bad = run(&["--requests", "xlsx"]);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("expected parquet, csv or none"), "{stderr}");
}

#[test]
fn encoding_on_a_second_thread_gives_the_same_bytes_as_encoding_in_line() {
    use switchyard::report::requests_parquet::{RequestsParquet, RequestsParquetFile};
    // 10 minutes at 500/s: three row groups, so batches are handed over and recycled.
    let text =
        std::fs::read_to_string(crate::common::scenarios_dir().join("seed-load-balancing.yaml"))
            .unwrap()
            .replace("  rate: 20/s", "  rate: 500/s");
    let s = crate::common::scenario(&text).expect("the scenario parses");
    let policy = &s.policies[0];
    let names = RequestNames::new(&policy.name, &mix_models(&s), &s.config.table);
    let dir = tempfile::tempdir().unwrap();
    let (threaded, in_line) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    let stats = switchyard::app::requests_writer::write_requests_parquet(
        &threaded,
        &names,
        false,
        |rows| simulate(&s, policy, 7, rows),
    )
    .unwrap();
    assert!(stats.requests > 2 * 131_072, "{} requests", stats.requests);
    let file = RequestsParquetFile::create(&in_line, &names, false).unwrap();
    let mut rows = RequestsParquet::new(&names, file);
    simulate(&s, policy, 7, &mut rows).unwrap();
    let (rest, mut file) = rows.finish();
    file.write(&rest).unwrap();
    file.close().unwrap();
    let bytes = std::fs::read(&threaded).unwrap();
    assert!(
        bytes == std::fs::read(&in_line).unwrap(),
        "the two files differ"
    );
    let (_, read_back) = parquet_rows(&threaded);
    assert_eq!(read_back.len() as u64, stats.requests);
}
