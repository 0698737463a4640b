//! Long runs: a run stopped early (Ctrl-C) writes a report marked partial whose figures are
//! consistent among themselves; a complete run carries no partial marking; the real binary
//! stops on SIGINT with exit 130 and a partial report.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use switchyard::app::interrupt::{StopFlag, StopWhen};
use switchyard::app::progress::Progress;
use switchyard::app::runner::{RunOutput, write_summary};
use switchyard::app::runner::{run_scenario, run_scenario_as, simulate, write_pages};
use switchyard::metrics::{RecordSink, RequestRecord};
use switchyard::report::PolicySummary;
use switchyard::report::requests_format::RequestsFormat;

use crate::common::scenario;

fn two_policies(duration: &str) -> String {
    format!(
        r#"
name: long
duration: {duration}
seed: 5
router:
  model_list:
    - {{model_name: m, litellm_params: {{model: openai/a, rpm: 600}}, model_info: {{id: a}}}}
    - {{model_name: m, litellm_params: {{model: openai/b, rpm: 600}}, model_info: {{id: b}}}}
  router_settings: {{num_retries: 2}}
providers:
  - {{match: {{id: a}}, ttft: 300ms, errors: {{internal_server: 0.2}}}}
  - {{match: {{id: b}}, ttft: 500ms}}
workload:
  rate: 20/s
  mix:
    - {{model: m, input_tokens: 100, output_tokens: 50}}
policies:
  shuffle: {{routing_strategy: simple-shuffle}}
  latency: {{routing_strategy: latency-based-routing}}
"#
    )
}

/// A sink that asks for a stop (through the flag, as Ctrl-C would) after `after` requests.
struct StopAfter {
    after: u64,
    seen: u64,
    flag: StopFlag,
}

impl RecordSink for StopAfter {
    fn request(&mut self, _: &RequestRecord<'_>) {
        self.seen += 1;
        if self.seen == self.after {
            self.flag.stop();
        }
    }
}

fn consistent(p: &PolicySummary) {
    assert_eq!(p.succeeded + p.failed, p.requests);
    let histogram: u64 = p.attempts_histogram.values().sum();
    assert_eq!(histogram, p.requests, "every arrival finished exactly once");
    let served: u64 = p.deployments.values().map(|d| d.served).sum();
    assert_eq!(served, p.succeeded);
}

#[test]
fn a_run_stopped_after_k_requests_is_marked_partial_and_adds_up() {
    let s = scenario(&two_policies("1h")).unwrap();
    let flag = StopFlag::new();
    let policy = &s.policies[0];
    let sink = StopWhen {
        sink: StopAfter {
            after: 500,
            seen: 0,
            flag: flag.clone(),
        },
        flag: flag.clone(),
    };
    let stats = simulate(&s, policy, s.seed, sink).unwrap();
    let stopped = stats.stopped_at.expect("the run stopped early");
    assert!(stopped.as_secs_f64() > 0.0 && stopped.as_secs_f64() < 3600.0);
    // Arrivals stop at once; the requests in progress when the flag was set still finish.
    assert!(
        stats.requests >= 500 && stats.requests < 600,
        "{}",
        stats.requests
    );

    let dir = tempfile::tempdir().unwrap();
    let stats = vec![(policy.name.clone(), stats)];
    let (summary, path) = write_summary(&s, s.seed, &stats, dir.path()).unwrap();
    let partial = summary.partial.as_ref().expect("marked partial");
    assert_eq!(partial.reason, "interrupted");
    let close = |x: Option<f64>| (x.unwrap() - stopped.as_secs_f64()).abs() < 1e-6;
    assert!(close(partial.stopped_at_s), "{partial:?}");
    assert!(partial.not_run.is_empty());
    let p = &summary.policies[&policy.name];
    assert!(close(p.stopped_at_s));
    consistent(p);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(json["partial"]["reason"], "interrupted");
    assert!(close(
        json["policies"][&policy.name]["stopped_at_s"].as_f64()
    ));
}

#[test]
fn a_stop_before_the_run_leaves_every_policy_not_run_and_the_page_says_so() {
    let s = scenario(&two_policies("1h")).unwrap();
    let flag = StopFlag::new();
    flag.stop();
    let progress = Progress::new(s.policies.len(), s.duration, flag);
    let dir = tempfile::tempdir().unwrap();
    let policies: Vec<_> = s.policies.iter().collect();
    let out: RunOutput = run_scenario_as(
        &s,
        &policies,
        s.seed,
        dir.path(),
        RequestsFormat::Csv,
        &progress,
    )
    .unwrap();
    let partial = out.summary.partial.as_ref().unwrap();
    assert_eq!(partial.not_run, ["shuffle", "latency"]);
    assert_eq!(partial.stopped_at_s, None);
    assert!(out.summary.policies.is_empty());
    write_pages(&s, &out, None, dir.path()).unwrap();
    let page = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(page.contains("class=\"partial\""), "a banner");
    assert!(page.contains("not run: shuffle, latency"));
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.contains("PARTIAL REPORT"));
}

#[test]
fn a_complete_run_carries_no_partial_marking() {
    let s = scenario(&two_policies("1m")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policies: Vec<_> = s.policies.iter().collect();
    let out = run_scenario(&s, &policies, s.seed, dir.path()).unwrap();
    assert!(out.summary.partial.is_none());
    let json = std::fs::read_to_string(&out.summary_path).unwrap();
    assert!(!json.contains("partial") && !json.contains("stopped_at_s"));
    for p in out.summary.policies.values() {
        consistent(p);
    }
    write_pages(&s, &out, None, dir.path()).unwrap();
    let page = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(!page.contains("PARTIAL"));
}

#[test]
fn ctrl_c_on_the_binary_stops_the_run_with_a_partial_report_and_exit_130() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.yaml");
    // Two days of traffic: far longer than the test waits.
    std::fs::write(&file, two_policies("2d").replace("20/s", "200/s")).unwrap();
    let out = dir.path().join("report");
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["run", "--brief", "--out"])
        .arg(&out)
        .arg(&file)
        .env("SWITCHYARD_PROGRESS", "plain")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let mut seen = String::new();
    loop {
        line.clear();
        let n = stderr.read_line(&mut line).unwrap();
        assert!(n > 0, "stderr ended before any progress line: {seen}");
        seen.push_str(&line);
        if line.starts_with("progress: ") {
            break;
        }
    }
    assert!(line.contains("simulated"), "{line}");
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "stderr: {rest}");
    assert!(rest.contains("interrupted"), "{rest}");
    assert!(stdout.contains("PARTIAL REPORT (interrupted)"), "{stdout}");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["partial"]["reason"], "interrupted");
    let window = 2.0 * 86400.0;
    for (_, p) in json["policies"].as_object().unwrap() {
        let stopped = p["stopped_at_s"].as_f64().unwrap();
        assert!(stopped > 0.0 && stopped < window);
        let requests = p["requests"].as_u64().unwrap();
        let ended = p["succeeded"].as_u64().unwrap() + p["failed"].as_u64().unwrap();
        assert_eq!(ended, requests);
    }
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(page.contains("class=\"partial\""));
}
