//! The replay's `index.html`: the same three sections as `replay.md`, in the look of the other
//! reports (their inline style), one self-contained file with no script and no network
//! reference. It decides layout only; the numbers are the [`ReplayReport`]'s.

use std::fmt::Write as _;

use super::html::{escape, page_start};
use super::replay::ReplayReport;
use super::replay_text::{notes, sections};

const TITLES: [&str; 3] = [
    "Candidate vs current",
    "Where the answers came from",
    "How far to trust it",
];

fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    out.push_str("<table><thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        let class = match row.last().map(String::as_str) {
            Some("better") | Some("yes") => " class=\"better\"",
            Some("worse") | Some("NO") => " class=\"worse\"",
            _ => "",
        };
        let _ = write!(out, "<tr{class}>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

/// The page.
pub fn replay_html(r: &ReplayReport) -> String {
    let mut out = String::with_capacity(1 << 14);
    page_start(&mut out, " replay", &r.log, "");
    let _ = write!(
        out,
        "<h1>Replay of {}</h1><p class=\"muted\">{} requests ({}), {} paired seeds, 95 % intervals.</p>",
        escape(&r.log),
        r.requests,
        r.format,
        r.seeds.len()
    );
    let notes = notes(r);
    if !notes.is_empty() {
        out.push_str("<ul>");
        for n in notes {
            let _ = write!(out, "<li>{}</li>", escape(&n));
        }
        out.push_str("</ul>");
    }
    for (title, (header, rows)) in TITLES.iter().zip(sections(r)) {
        let _ = write!(out, "<h2>{title}</h2>");
        table(&mut out, &header, &rows);
    }
    out.push_str("</body></html>\n");
    out
}
