//! Reading request logs: each format into the expected recorded traffic (small hand-checked
//! inputs), the bundled samples with their counts, the bad-row policy, arrival order, a line the
//! proxy writes read back, and no panic on any input.

use std::time::Duration;

use proptest::prelude::*;
use switchyard::replay::read::{ReadOptions, detect, format_named, read_bytes, read_log};
use switchyard::replay::{LogFormat, RecordedTraffic, RequestKind};
use switchyard::router::ErrorClass;
use switchyard::time::{Span, Time};

const STRICT: ReadOptions = ReadOptions {
    format: None,
    skip_bad_rows: false,
};
const SKIP: ReadOptions = ReadOptions {
    format: None,
    skip_bad_rows: true,
};

fn read(text: &str, options: &ReadOptions) -> anyhow::Result<RecordedTraffic> {
    read_bytes("log", text.as_bytes(), options)
}

fn ms(n: u64) -> Span {
    Span::from_nanos(n * 1_000_000)
}

/// Three requests logged in completion order (the second arrived first), one refused before
/// routing: a retry after a 503, a 429 with Retry-After then a fallback, a stream with its
/// first byte.
const PROXY_LOG: &str = r#"{"arrival_unix_s":1000.5,"request_id":2,"model":"gpt-4o","tags":["chat"],"stream":false,"input_tokens":300,"output_tokens":60,"attempts":[{"deployment":"b","outcome":"service_unavailable","status":503,"duration_ms":40.0},{"deployment":"a","outcome":"ok","status":200,"duration_ms":900.0}],"status":200,"error_class":null,"deployment":"a","model_group":"gpt-4o","cost_usd":0.002,"retries":1,"fallbacks":0,"duration_ms":945.0}
{"arrival_unix_s":1000.0,"request_id":1,"model":"gpt-4o","tags":["chat"],"stream":false,"input_tokens":100,"output_tokens":20,"attempts":[{"deployment":"a","outcome":"rate_limit","status":429,"duration_ms":10.0,"retry_after_s":2.0},{"deployment":"mini","outcome":"ok","status":200,"duration_ms":300.0}],"settings":{"num_retries":0,"fallbacks":["gpt-4o-mini"],"timeout_s":30.0},"status":200,"error_class":null,"deployment":"mini","model_group":"gpt-4o-mini","cost_usd":0.0001,"retries":0,"fallbacks":1,"duration_ms":320.0}

{"arrival_unix_s":1001.0,"request_id":3,"model":"","tags":[],"stream":false,"input_tokens":0,"output_tokens":0,"attempts":[],"status":401,"error_class":"authentication","deployment":null,"model_group":null,"cost_usd":0.0,"retries":0,"fallbacks":0,"duration_ms":0.0}
{"arrival_unix_s":1002.0,"request_id":4,"model":"gpt-4o","tags":["chat"],"stream":true,"input_tokens":50,"output_tokens":80,"attempts":[{"deployment":"b","outcome":"ok","status":200,"duration_ms":700.0,"ttft_ms":250.0}],"status":200,"error_class":null,"deployment":"b","model_group":"gpt-4o","cost_usd":0.001,"retries":0,"fallbacks":0,"duration_ms":701.0}
"#;

#[test]
fn a_proxy_log_reads_every_attempt_in_arrival_order() {
    let t = read(PROXY_LOG, &STRICT).unwrap();
    assert_eq!(t.format, LogFormat::SwitchyardJsonl);
    assert!(t.every_attempt);
    assert_eq!(t.start_unix_s, 1000.0);
    let at: Vec<Time> = t.requests.iter().map(|r| r.at).collect();
    assert_eq!(
        at,
        [
            Time::ZERO,
            Time::from_secs_f64(0.5),
            Time::from_secs_f64(2.0)
        ]
    );
    // Kinds and deployments in first-seen (log) order.
    assert_eq!(t.kinds.len(), 3);
    assert_eq!(
        t.kinds[0],
        RequestKind {
            model: "gpt-4o".into(),
            tags: vec!["chat".into()],
            ..RequestKind::default()
        }
    );
    assert_eq!(t.kinds[1].num_retries, Some(0));
    assert_eq!(t.kinds[1].fallbacks, Some(vec!["gpt-4o-mini".to_string()]));
    assert_eq!(t.kinds[1].timeout, Some(Duration::from_secs(30)));
    assert!(t.kinds[2].stream);
    let ids: Vec<&str> = t
        .deployments
        .iter()
        .map(|d| d.id.as_deref().unwrap())
        .collect();
    assert_eq!(ids, ["b", "a", "mini"]);
    assert_eq!(t.deployments[1].model_group.as_deref(), Some("gpt-4o"));
    assert_eq!(t.deployments[2].model_group.as_deref(), Some("gpt-4o-mini"));

    let first = &t.requests[0];
    assert_eq!(
        (first.kind, first.input_tokens, first.status),
        (1, 100, 200)
    );
    assert_eq!(first.served_by, Some(2));
    assert_eq!(first.duration, ms(320));
    let attempts = t.attempts_of(first);
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].deployment, 1);
    assert_eq!(attempts[0].error, Some(ErrorClass::RateLimit));
    assert_eq!(attempts[0].retry_after, Some(ms(2000)));
    assert_eq!(attempts[1].error, None);

    let second = &t.requests[1];
    let attempts = t.attempts_of(second);
    assert_eq!(attempts[0].error, Some(ErrorClass::ServiceUnavailable));
    assert_eq!(attempts[0].status, Some(503));
    assert_eq!(attempts[1].duration, ms(900));
    assert_eq!(second.cost_usd, Some(0.002));

    let stream = t.attempts_of(&t.requests[2]);
    assert_eq!(stream[0].time_to_first_token, Some(ms(250)));
    // Attempts stay in log order, each request's together.
    assert_eq!(t.requests[0].attempts, 2..4);
    assert_eq!(t.requests[1].attempts, 0..2);
    // The refused line is listed, with its line number, not replayed.
    assert_eq!(t.skipped.len(), 1);
    assert_eq!(t.skipped[0].line, 4);
    assert!(t.skipped[0].reason.contains("refused before routing"));
}

#[test]
fn a_line_the_proxy_writes_reads_back() {
    use switchyard::live::proxy::request_log::{AttemptLine, RequestLine, RequestSettings};
    let line = RequestLine {
        arrival_unix_s: 1_795_680_000.25,
        request_id: 7,
        model: "gpt-4o".into(),
        tags: vec!["a".into(), "b".into()],
        stream: true,
        input_tokens: 12,
        output_tokens: 34,
        attempts: vec![
            AttemptLine {
                deployment: "x".into(),
                outcome: "rate_limit",
                status: Some(429),
                duration_ms: 5.0,
                ttft_ms: None,
                retry_after_s: Some(3.0),
            },
            AttemptLine {
                deployment: "y".into(),
                outcome: "ok",
                status: Some(200),
                duration_ms: 50.0,
                ttft_ms: Some(20.0),
                retry_after_s: None,
            },
        ],
        settings: RequestSettings {
            num_retries: Some(2),
            fallbacks: Some(vec!["z".into()]),
            timeout_s: Some(1.5),
            disable_fallbacks: true,
        },
        embedding_attempts: Vec::new(),
        status: 200,
        error_class: None,
        deployment: Some("y".into()),
        model_group: Some("g".into()),
        cost_usd: 0.5,
        retries: 1,
        fallbacks: 0,
        duration_ms: 60.0,
        prompt: Some(serde_json::json!([{"role": "user", "content": "hi"}])),
        response: Some("hello".into()),
    };
    let text = serde_json::to_string(&line).unwrap();
    let t = read(&text, &STRICT).unwrap();
    assert_eq!(t.requests.len(), 1);
    assert_eq!(
        t.kinds[0],
        RequestKind {
            model: "gpt-4o".into(),
            tags: vec!["a".into(), "b".into()],
            stream: true,
            num_retries: Some(2),
            fallbacks: Some(vec!["z".into()]),
            disable_fallbacks: true,
            timeout: Some(Duration::from_millis(1500)),
        }
    );
    let r = &t.requests[0];
    assert_eq!((r.input_tokens, r.output_tokens, r.status), (12, 34, 200));
    assert_eq!(
        (r.served_by, r.cost_usd, r.duration),
        (Some(1), Some(0.5), ms(60))
    );
    let a = t.attempts_of(r);
    assert_eq!(a[0].retry_after, Some(ms(3000)));
    assert_eq!(a[1].time_to_first_token, Some(ms(20)));
    assert_eq!(t.deployments[1].model_group.as_deref(), Some("g"));
    // A request that set nothing writes no `settings`, and the fields added later are optional.
    let plain = RequestLine {
        model: "m".into(),
        ..RequestLine::default()
    };
    let text = serde_json::to_string(&plain).unwrap();
    assert!(!text.contains("settings") && !text.contains("ttft_ms"));
    assert_eq!(read(&text, &STRICT).unwrap().kinds[0].num_retries, None);
}

/// A spend-log export in LiteLLM's columns (a subset of them, in another order, with one
/// column the reader does not use): a success, a 429 failure, an embedding, a cache hit.
const SPEND_CSV: &str = "\
request_id,call_type,startTime,endTime,completionStartTime,model,model_group,model_id,api_base,prompt_tokens,completion_tokens,spend,status,request_tags,metadata,cache_hit,user
r2,acompletion,2026-11-26 08:00:01.500+00,2026-11-26 08:00:01.600+00,2026-11-26 08:00:01.600+00,openai/gpt-4o,gpt-4o,east,http://east/v1,0,0,0,failure,\"[\"\"chat\"\"]\",\"{\"\"status\"\": \"\"failure\"\", \"\"error_information\"\": {\"\"error_code\"\": \"\"429\"\", \"\"error_class\"\": \"\"RateLimitError\"\", \"\"error_message\"\": \"\"slow down\"\"}}\",False,u
r1,acompletion,2026-11-26T08:00:00.000000+00:00,2026-11-26T08:00:00.800000+00:00,2026-11-26T08:00:00.300000+00:00,openai/gpt-4o,gpt-4o,west,http://west/v1,100,20,0.0015,success,\"[\"\"chat\"\"]\",{},False,u
r3,aembedding,2026-11-26T08:00:02Z,2026-11-26T08:00:02.1Z,,openai/text-embedding-3-small,embed,e,,5,0,0.00001,success,[],{},False,u
r4,acompletion,2026-11-26T08:00:03Z,2026-11-26T08:00:03Z,,openai/gpt-4o,gpt-4o,,,10,5,0,success,[],{},True,u
r2-attempt-0,acompletion,2026-11-26T08:00:01.5Z,2026-11-26T08:00:01.6Z,,openai/gpt-4o,gpt-4o,west,,10,5,0.0001,failure,[],\"{\"\"billed_retry_attempt\"\": true}\",False,u
";

fn check_spend_rows(t: &RecordedTraffic) {
    assert!(!t.every_attempt);
    assert_eq!(t.requests.len(), 2);
    assert_eq!(t.start_unix_s, 1_795_680_000.0);
    assert_eq!(t.kinds.len(), 1);
    assert_eq!(t.kinds[0].model, "gpt-4o");
    assert_eq!(t.kinds[0].tags, ["chat"]);
    let ids: Vec<&str> = t
        .deployments
        .iter()
        .map(|d| d.id.as_deref().unwrap())
        .collect();
    assert_eq!(ids, ["east", "west"]);
    assert_eq!(t.deployments[0].api_base.as_deref(), Some("http://east/v1"));
    assert_eq!(t.deployments[0].model.as_deref(), Some("openai/gpt-4o"));
    let ok = &t.requests[0];
    assert_eq!(ok.at, Time::ZERO);
    assert_eq!((ok.status, ok.error, ok.served_by), (200, None, Some(1)));
    assert_eq!((ok.input_tokens, ok.output_tokens), (100, 20));
    assert_eq!(ok.cost_usd, Some(0.0015));
    assert_eq!(ok.duration, ms(800));
    let a = t.attempts_of(ok);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].time_to_first_token, Some(ms(300)));
    let failed = &t.requests[1];
    assert_eq!(failed.at, Time::from_secs_f64(1.5));
    assert_eq!(failed.status, 429);
    assert_eq!(failed.error, Some(ErrorClass::RateLimit));
    assert_eq!(failed.served_by, None);
    let a = t.attempts_of(failed);
    assert_eq!(
        (a[0].deployment, a[0].error),
        (0, Some(ErrorClass::RateLimit))
    );
    assert_eq!(a[0].duration, ms(100));
    assert_eq!(a[0].time_to_first_token, None);
    // The embedding, the cache hit and the billed earlier attempt are listed as not replayed,
    // whatever the policy.
    let lines: Vec<u64> = t.skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines.len(), 3);
    assert!(t.skipped[0].reason.contains("aembedding"));
    assert!(t.skipped[1].reason.contains("cache hit"));
    assert!(t.skipped[2].reason.contains("billed_retry_attempt"));
}

#[test]
fn a_spend_log_csv_reads_one_final_attempt_per_row() {
    let t = read(SPEND_CSV, &STRICT).unwrap();
    assert_eq!(t.format, LogFormat::LitellmSpendLogsCsv);
    check_spend_rows(&t);
    assert_eq!(
        t.skipped.iter().map(|s| s.line).collect::<Vec<_>>(),
        [4, 5, 6]
    );
}

/// The same rows as JSON objects, as `SELECT row_to_json(...)` or LiteLLM's API gives them.
fn spend_json_rows() -> Vec<serde_json::Value> {
    let mut reader = csv::Reader::from_reader(SPEND_CSV.as_bytes());
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let object: serde_json::Map<String, serde_json::Value> = header
                .iter()
                .zip(r.iter())
                .map(|(k, v)| {
                    let value = match k {
                        "prompt_tokens" | "completion_tokens" | "spend" => {
                            serde_json::from_str(v).unwrap()
                        }
                        "request_tags" => serde_json::from_str(v).unwrap(),
                        _ => serde_json::Value::String(v.to_string()),
                    };
                    (k.to_string(), value)
                })
                .collect();
            serde_json::Value::Object(object)
        })
        .collect()
}

#[test]
fn a_spend_log_json_array_or_lines_reads_as_the_csv_does() {
    let rows = spend_json_rows();
    let array = serde_json::to_string_pretty(&rows).unwrap();
    let t = read(&array, &STRICT).unwrap();
    assert_eq!(t.format, LogFormat::LitellmSpendLogsJson);
    check_spend_rows(&t);
    // Line numbers are the lines the rows start on.
    let starts: Vec<u64> = array
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "  {")
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert_eq!(t.skipped[0].line, starts[2]);
    let lines: String = rows.iter().map(|r| format!("{r}\n")).collect();
    let t = read(&lines, &STRICT).unwrap();
    check_spend_rows(&t);
    assert_eq!(t.skipped[0].line, 3);
}

const PLAIN_CSV: &str = "\
arrival,model,input_tokens,output_tokens,tags,stream,deployment,status,error_class,latency_ms,ttft_ms,cost_usd,num_retries,fallbacks,timeout_s
2026-11-26T08:00:01Z,gpt-4o,100,20,chat;vip,true,a,,,800,200,0.001,2,gpt-4o-mini,30
1795680000,gpt-4o,50,0,,false,b,503,,40,,,,,
1795680002.5,gpt-4o-mini,10,5,,,,,,,,,,,
";

#[test]
fn a_plain_csv_reads_its_documented_columns() {
    let t = read(PLAIN_CSV, &STRICT).unwrap();
    assert_eq!(t.format, LogFormat::PlainCsv);
    assert!(!t.every_attempt);
    let at: Vec<Time> = t.requests.iter().map(|r| r.at).collect();
    assert_eq!(
        at,
        [
            Time::ZERO,
            Time::from_secs_f64(1.0),
            Time::from_secs_f64(2.5)
        ]
    );
    assert_eq!(
        t.kinds[0],
        RequestKind {
            model: "gpt-4o".into(),
            tags: vec!["chat".into(), "vip".into()],
            stream: true,
            num_retries: Some(2),
            fallbacks: Some(vec!["gpt-4o-mini".into()]),
            disable_fallbacks: false,
            timeout: Some(Duration::from_secs(30)),
        }
    );
    let failed = &t.requests[0];
    assert_eq!(failed.error, Some(ErrorClass::ServiceUnavailable));
    assert_eq!((failed.status, failed.served_by), (503, None));
    assert_eq!(t.attempts_of(failed)[0].deployment, 1);
    let ok = &t.requests[1];
    assert_eq!(
        (ok.status, ok.served_by, ok.cost_usd),
        (200, Some(0), Some(0.001))
    );
    assert_eq!(t.attempts_of(ok)[0].time_to_first_token, Some(ms(200)));
    assert_eq!(ok.duration, ms(800));
    // No deployment: a request without attempts.
    assert!(t.attempts_of(&t.requests[2]).is_empty());
}

#[test]
fn a_plain_csv_names_an_unknown_or_missing_column() {
    let error = read(
        "arrival,model,input_tokens,output_tokens,latncy_ms\n",
        &STRICT,
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("log:1: unknown column `latncy_ms`"),
        "{error}"
    );
    assert!(error.contains("did you mean `latency_ms`?"), "{error}");
    let error = read("arrival,model,input_tokens\n1,m,2\n", &STRICT)
        .unwrap_err()
        .to_string();
    assert!(error.contains("no `output_tokens` column"), "{error}");
}

#[test]
fn a_bad_row_is_an_error_naming_line_and_field_unless_skipped() {
    let csv = "arrival,model,input_tokens,output_tokens\n1,m,1,1\n2,m,many,1\n3,m,1,1\n";
    let error = read(csv, &STRICT).unwrap_err().to_string();
    assert!(
        error.starts_with("log:3: input_tokens: `many` is not a token count"),
        "{error}"
    );
    let t = read(csv, &SKIP).unwrap();
    assert_eq!(t.requests.len(), 2);
    assert_eq!(t.skipped.len(), 1);
    assert_eq!(t.skipped[0].line, 3);
    assert!(t.skipped[0].reason.contains("input_tokens"));

    let jsonl = PROXY_LOG.replacen(
        "\"outcome\":\"service_unavailable\"",
        "\"outcome\":\"melted\"",
        1,
    );
    let error = read(&jsonl, &STRICT).unwrap_err().to_string();
    assert!(
        error.contains("log:1: attempts[0].outcome: unknown error class `melted`"),
        "{error}"
    );
    let t = read(&jsonl, &SKIP).unwrap();
    assert_eq!(t.requests.len(), 2);
    // The skipped row's attempts are gone with it.
    assert_eq!(t.attempts.len(), 3);
    assert_eq!(t.skipped[0].line, 1);

    let broken = PROXY_LOG.replacen("{\"arrival_unix_s\":1002.0", "{\"arrival_unix_s\":", 1);
    let error = read(&broken, &STRICT).unwrap_err().to_string();
    assert!(error.starts_with("log:5: not a proxy log line"), "{error}");

    let spend = SPEND_CSV.replacen("2026-11-26 08:00:01.500+00", "yesterday", 1);
    let error = read(&spend, &STRICT).unwrap_err().to_string();
    assert!(
        error.starts_with("log:2: startTime: `yesterday`"),
        "{error}"
    );
}

#[test]
fn a_span_beyond_the_clocks_range_is_a_bad_row_not_a_silent_clamp() {
    // 1e13 s is within a `Duration` but past the 584 years a span (and the clock) can hold.
    let csv = "arrival,model,input_tokens,output_tokens,latency_ms\n1,m,1,1,10\n2,m,1,1,1e16\n";
    let error = read(csv, &STRICT).unwrap_err().to_string();
    assert!(
        error.starts_with("log:3: latency_ms: `10000000000000000` is not a span"),
        "{error}"
    );
    assert!(error.contains("584 years"), "{error}");
    let jsonl = PROXY_LOG.replacen("\"retry_after_s\":2.0", "\"retry_after_s\":1e13", 1);
    assert_ne!(jsonl, PROXY_LOG, "the sample has a Retry-After to stretch");
    let error = read(&jsonl, &STRICT).unwrap_err().to_string();
    assert!(
        error.contains("attempts[0].retry_after_s: 10000000000000 is not a span"),
        "{error}"
    );
    let t = read(&jsonl, &SKIP).unwrap();
    let bad: Vec<u64> = t
        .skipped
        .iter()
        .filter(|s| s.reason.contains("retry_after_s"))
        .map(|s| s.line)
        .collect();
    assert_eq!(bad, [2]);
}

#[test]
fn the_format_is_told_by_content_or_named() {
    assert_eq!(detect(PROXY_LOG.as_bytes()), Ok(LogFormat::SwitchyardJsonl));
    assert_eq!(
        detect(SPEND_CSV.as_bytes()),
        Ok(LogFormat::LitellmSpendLogsCsv)
    );
    assert_eq!(detect(b" \n[{}]"), Ok(LogFormat::LitellmSpendLogsJson));
    assert_eq!(
        detect(b"{\"startTime\": \"x\"}\n"),
        Ok(LogFormat::LitellmSpendLogsJson)
    );
    assert_eq!(detect(PLAIN_CSV.as_bytes()), Ok(LogFormat::PlainCsv));
    assert!(detect(b"").unwrap_err().contains("empty"));
    assert!(detect(b"a,b\n").unwrap_err().contains("arrival"));
    assert_eq!(format_named("plain-csv"), Ok(LogFormat::PlainCsv));
    assert!(
        format_named("csv")
            .unwrap_err()
            .contains("switchyard-jsonl")
    );
    // A named format wins over the content.
    let named = ReadOptions {
        format: Some(LogFormat::PlainCsv),
        skip_bad_rows: false,
    };
    assert!(read(PROXY_LOG, &named).is_err());
}

fn example(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/replay")
        .join(name)
}

#[test]
fn the_bundled_proxy_log_reads_whole() {
    let t = read_log(&example("proxy-log.jsonl"), &STRICT).unwrap();
    let lines = std::fs::read_to_string(example("proxy-log.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(t.requests.len() + t.skipped.len(), lines);
    assert!(t.skipped.is_empty());
    assert_eq!(t.deployments.len(), 4);
    assert_eq!(
        t.kinds.len(),
        3,
        "chat, streamed chat, batch with its settings"
    );
    assert!(t.requests.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(t.last_arrival() > Time::from_secs_f64(240.0));
    let failed = |class| t.attempts.iter().filter(|a| a.error == Some(class)).count();
    assert!(failed(ErrorClass::ServiceUnavailable) > 0, "the outage");
    assert!(failed(ErrorClass::RateLimit) > 0, "mini-b's rpm limit");
    assert!(t.attempts.iter().any(|a| a.retry_after.is_some()));
    assert!(t.attempts.iter().any(|a| a.time_to_first_token.is_some()));
    assert!(t.attempts.len() > t.requests.len(), "retries and fallbacks");
}

#[test]
fn a_proxy_log_reads_the_same_on_any_number_of_threads() {
    let read_on = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| read_log(&example("proxy-log.jsonl"), &STRICT).unwrap())
    };
    // The log is cut into parts by thread count; the parts' kinds and deployments are merged
    // in file order.
    let one = read_on(1);
    assert_eq!(one, read_on(2));
    assert_eq!(one, read_on(7));
    // With a bad line in a later part, the error names that line.
    let mut text = std::fs::read_to_string(example("proxy-log.jsonl")).unwrap();
    let lines = text.lines().count();
    text.push_str("{\"arrival_unix_s\": -1, \"status\": 200}\n");
    let error = read_bytes("log", text.as_bytes(), &STRICT)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(&format!("log:{}: arrival_unix_s", lines + 1)),
        "{error}"
    );
    // Bad lines spread through the parts are each named by their line in the file, however
    // many parts the file is read in; without skipping, the first is the error.
    let mut numbered: Vec<&str> = text.lines().take(lines).collect();
    let bad = "{\"arrival_unix_s\": -1, \"status\": 200}";
    for at in [lines * 7 / 8, lines / 2, lines / 5, 3] {
        numbered.insert(at, bad);
    }
    let spread = numbered.join("\n");
    let expected: Vec<u64> = numbered
        .iter()
        .enumerate()
        .filter(|(_, line)| **line == bad)
        .map(|(i, _)| i as u64 + 1)
        .collect();
    for threads in [1, 2, 7] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let skipped = pool.install(|| read_bytes("log", spread.as_bytes(), &SKIP).unwrap());
        let at: Vec<u64> = skipped.skipped.iter().map(|s| s.line).collect();
        assert_eq!(at, expected, "{threads} threads");
        let error = pool
            .install(|| read_bytes("log", spread.as_bytes(), &STRICT))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(&format!("log:{}: arrival_unix_s", expected[0])),
            "{threads} threads: {error}"
        );
    }
}

#[test]
fn the_litellm_spend_log_samples_read_alike() {
    let csv = read_log(&example("litellm-spend-logs.csv"), &STRICT).unwrap();
    let json = read_log(&example("litellm-spend-logs.json"), &STRICT).unwrap();
    assert_eq!(csv.format, LogFormat::LitellmSpendLogsCsv);
    assert_eq!(json.format, LogFormat::LitellmSpendLogsJson);
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(example("litellm-spend-logs.json")).unwrap())
            .unwrap();
    let completions = rows
        .iter()
        .filter(|r| r["call_type"] == "acompletion")
        .count();
    let failures = rows
        .iter()
        .filter(|r| r["call_type"] == "acompletion" && r["status"] == "failure")
        .count();
    for t in [&csv, &json] {
        assert_eq!(t.requests.len(), completions);
        assert_eq!(t.skipped.len(), rows.len() - completions);
        assert!(t.skipped.iter().all(|s| s.reason.contains("aembedding")));
        assert_eq!(
            t.requests.iter().filter(|r| r.error.is_some()).count(),
            failures
        );
        assert_eq!(t.deployments.len(), 3);
        assert_eq!(t.kinds.len(), 4, "two groups × two tags");
    }
    // serde_json reads a float to within an ulp or so; everything else is equal.
    let without_cost = |t: &RecordedTraffic| {
        let mut requests = t.requests.clone();
        for r in &mut requests {
            r.cost_usd = r.cost_usd.map(|c| (c * 1e12).round());
        }
        requests
    };
    assert_eq!(without_cost(&csv), without_cost(&json));
    assert_eq!(csv.attempts, json.attempts);
    let classes: std::collections::BTreeSet<ErrorClass> =
        csv.requests.iter().filter_map(|r| r.error).collect();
    assert_eq!(
        classes.into_iter().collect::<Vec<_>>(),
        [
            ErrorClass::RateLimit,
            ErrorClass::Timeout,
            ErrorClass::ServiceUnavailable
        ]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_input_makes_a_reader_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), skip: bool) {
        for format in [None, Some(LogFormat::SwitchyardJsonl), Some(LogFormat::LitellmSpendLogsCsv),
                       Some(LogFormat::LitellmSpendLogsJson), Some(LogFormat::PlainCsv)] {
            let _ = read_bytes("fuzz", &bytes, &ReadOptions { format, skip_bad_rows: skip });
        }
    }

    #[test]
    fn no_mangled_line_makes_a_reader_panic(
        cut in 0usize..2000,
        insert in "[ -~]{0,12}",
        skip: bool,
    ) {
        for text in [PROXY_LOG, SPEND_CSV, PLAIN_CSV] {
            let mut at = cut.min(text.len());
            while !text.is_char_boundary(at) { at -= 1; }
            let mangled = format!("{}{insert}{}", &text[..at], &text[at..]);
            let _ = read(&mangled, &ReadOptions { format: None, skip_bad_rows: skip });
            let json = serde_json::to_string(&spend_json_rows()).unwrap();
            let at = cut.min(json.len());
            let mangled = format!("{}{insert}{}", &json[..at], &json[at..]);
            let _ = read(&mangled, &ReadOptions { format: None, skip_bad_rows: skip });
        }
    }
}
