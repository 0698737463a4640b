//! Prometheus's text exposition format, version 0.0.4: `# HELP` and `# TYPE` lines, samples
//! with escaped label values, histograms as cumulative `_bucket{le=…}` lines ending in `+Inf`
//! with `_sum` and `_count`.
//!
//! It decides only how metrics are spelled on the wire, never which metrics exist. Written by
//! hand rather than with `prometheus-client`: that crate's labelled families look a label set up
//! in a locked map on every update, while the proxy's counters are plain atomics indexed by
//! deployment, group and error class; only the wire format is needed, and a real parser reads it
//! back in the tests (`prometheus-parse`).

use std::fmt::Write;

use super::histogram::{HistogramSnapshot, LATENCY_BUCKETS};

/// The content type of a scrape's answer.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What kind of metric a family is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up; samples are named `<name>_total`.
    Counter,
    /// Any value, read now.
    Gauge,
    /// Observations in buckets.
    Histogram,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// `key="value"` pairs joined by commas, each value escaped (`\\`, `\"`, `\n`).
pub fn labels(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(key);
        out.push_str("=\"");
        escape_into(&mut out, value);
        out.push('"');
    }
    out
}

/// Appends `value` escaped as a label value.
fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// `label_set` with one more pair (an already rendered set may be empty).
pub fn with(label_set: &str, key: &str, value: &str) -> String {
    let extra = labels(&[(key, value)]);
    if label_set.is_empty() {
        extra
    } else {
        format!("{label_set},{extra}")
    }
}

/// A scrape's text, family by family.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
}

impl Exposition {
    /// Starts a family: its help text and type. A counter's lines name it `<name>_total`, as
    /// `prometheus_client` (LiteLLM's library) writes the 0.0.4 format, so that parsers tie its
    /// `<name>_total` samples to the counter.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let suffix = if kind == Kind::Counter { "_total" } else { "" };
        let help = help.replace('\n', " ");
        let _ = writeln!(self.out, "# HELP {name}{suffix} {help}");
        let _ = writeln!(self.out, "# TYPE {name}{suffix} {}", kind.name());
    }

    /// One sample of a gauge (or any sample named exactly `name`).
    pub fn sample(&mut self, name: &str, label_set: &str, value: f64) {
        self.out.push_str(name);
        if !label_set.is_empty() {
            self.out.push('{');
            self.out.push_str(label_set);
            self.out.push('}');
        }
        self.out.push(' ');
        push_value(&mut self.out, value);
        self.out.push('\n');
    }

    /// One sample of counter `name` (`<name>_total`).
    pub fn counter(&mut self, name: &str, label_set: &str, value: f64) {
        self.sample(&format!("{name}_total"), label_set, value);
    }

    /// A histogram's lines for one label set.
    pub fn histogram(&mut self, name: &str, label_set: &str, h: &HistogramSnapshot) {
        let bucket = format!("{name}_bucket");
        for (i, count) in h.cumulative.iter().enumerate() {
            let le = LATENCY_BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_string(), |b| format_float(*b));
            self.sample(&bucket, &with(label_set, "le", &le), *count as f64);
        }
        self.sample(&format!("{name}_sum"), label_set, h.sum_seconds);
        self.sample(&format!("{name}_count"), label_set, h.count() as f64);
    }

    /// Appends another exposition's families (written apart so that each family's samples
    /// stay together while one pass over the counters feeds two families).
    pub fn append(&mut self, other: Exposition) {
        self.out.push_str(&other.out);
    }

    /// The text.
    pub fn finish(self) -> String {
        self.out
    }
}

/// A number as the format spells it (`+Inf`, `-Inf`, `NaN`, integers without a fraction).
fn format_float(v: f64) -> String {
    let mut s = String::new();
    push_value(&mut s, v);
    s
}

fn push_value(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(out, "{v:.1}");
    } else {
        let _ = write!(out, "{v}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::proxy::metrics::histogram::Histogram;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            labels(&[("model_id", "a\"b\\c\nd"), ("x", "")]),
            r#"model_id="a\"b\\c\nd",x="""#
        );
        assert_eq!(with("", "le", "+Inf"), r#"le="+Inf""#);
        assert_eq!(with(r#"a="1""#, "le", "0.5"), r#"a="1",le="0.5""#);
    }

    #[test]
    fn a_histogram_ends_in_inf_with_sum_and_count() {
        let h = Histogram::default();
        h.observe(std::time::Duration::from_millis(300));
        h.observe(std::time::Duration::from_secs(1000));
        let mut e = Exposition::default();
        e.family("lat", Kind::Histogram, "latency");
        e.histogram("lat", r#"g="x""#, &h.snapshot());
        let text = e.finish();
        assert!(text.starts_with("# HELP lat latency\n# TYPE lat histogram\n"));
        assert!(
            text.contains("lat_bucket{g=\"x\",le=\"0.25\"} 0.0\n"),
            "{text}"
        );
        assert!(
            text.contains("lat_bucket{g=\"x\",le=\"0.5\"} 1.0\n"),
            "{text}"
        );
        assert!(
            text.contains("lat_bucket{g=\"x\",le=\"600.0\"} 1.0\n"),
            "{text}"
        );
        assert!(
            text.contains("lat_bucket{g=\"x\",le=\"+Inf\"} 2.0\n"),
            "{text}"
        );
        assert!(text.contains("lat_sum{g=\"x\"} 1000.3\n"), "{text}");
        assert!(text.contains("lat_count{g=\"x\"} 2.0\n"), "{text}");
    }

    #[test]
    fn counters_carry_the_total_suffix_and_special_values_are_spelled_out() {
        let mut e = Exposition::default();
        e.family("reqs", Kind::Counter, "requests");
        e.counter("reqs", "", 3.0);
        e.sample("g", "", f64::INFINITY);
        e.sample("g", "", f64::NAN);
        e.sample("g", "", 0.25);
        let text = e.finish();
        assert!(
            text.contains(
                "# HELP reqs_total requests\n# TYPE reqs_total counter\nreqs_total 3.0\n"
            ),
            "{text}"
        );
        assert!(text.contains("g +Inf\ng NaN\ng 0.25\n"), "{text}");
    }
}
