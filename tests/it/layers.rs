//! The crate's layers (stated in `src/lib.rs`): no module imports from a layer above its own.
//!
//! Reads every file under `src/`, blanks comments and string literals, drops `#[cfg(test)]`
//! items, and collects each `crate::<module>` reference (and `super::` chains that climb to the
//! crate root). A reference from a file of one top-level module to a module of a higher layer
//! fails the test, naming the file, the line and the import.

use std::path::{Path, PathBuf};

/// The layers, bottom to top: a module may import from its own layer and the ones before it.
const LAYERS: &[&str] = &[
    "time", "config", "router", "metrics", "sim", "scenario", "replay", "report", "live", "app",
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|m| *m == module)
}

/// Whether the `r` at `i` begins a raw string (`r"`, `r#"`, `br"`) rather than ending an
/// identifier or beginning a raw identifier (`r#type`).
fn starts_raw_string(c: &[char], i: usize) -> bool {
    let ident = |k: usize| c[k].is_alphanumeric() || c[k] == '_';
    let fresh = i == 0 || !ident(i - 1) || (c[i - 1] == 'b' && (i == 1 || !ident(i - 2)));
    let quote = c[i + 1..].iter().find(|ch| **ch != '#');
    fresh && quote == Some(&'"')
}

/// `code` with comments, string and character literals blanked (newlines kept, so line numbers
/// stay right).
fn blank_comments_and_literals(code: &str) -> String {
    let c: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if c[i] == 'r' && matches!(next, Some('"' | '#')) && starts_raw_string(&c, i) {
            // A raw string: r"…" or r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                match c.get(j) {
                    None => break,
                    Some('"') if (1..=hashes).all(|k| c.get(j + k) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    _ => j += 1,
                }
            }
            for ch in &c[i..j.min(c.len())] {
                blank(&mut out, *ch);
            }
            i = j;
        } else if c[i] == '"' {
            blank(&mut out, c[i]);
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    blank(&mut out, c[i]);
                    i += 1;
                }
                if i < c.len() {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
            if i < c.len() {
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '\'' {
            // A character literal ('x', '\n', '\u{..}'), else a lifetime or label.
            let end = if next == Some('\\') {
                (i + 3..c.len()).find(|&j| c[j] == '\'')
            } else if c.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(e) => {
                    for ch in &c[i..=e] {
                        blank(&mut out, *ch);
                    }
                    i = e + 1;
                }
                None => {
                    out.push(c[i]);
                    i += 1;
                }
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// `code` (already blanked) without the items marked `#[cfg(test)]`.
fn drop_test_items(code: &str) -> String {
    const MARK: &str = "#[cfg(test)]";
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        // The item ends at its first `;` outside braces, or at the brace closing its body.
        let mut depth = 0usize;
        let mut end = item.len();
        for (k, ch) in item.char_indices().skip(MARK.len()) {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        out.extend(
            item[..end]
                .chars()
                .map(|ch| if ch == '\n' { '\n' } else { ' ' }),
        );
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

fn ident_at(s: &str) -> &str {
    let s = s.trim_start();
    let end = s
        .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The leading identifiers of the top-level entries of a `{a, b::c, d::{e, f}}` group, `s`
/// starting just after the `{`.
fn group_heads(s: &str) -> Vec<&str> {
    let mut heads = vec![ident_at(s)];
    let mut depth = 0usize;
    for (k, ch) in s.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => heads.push(ident_at(&s[k + 1..])),
            _ => {}
        }
    }
    heads.retain(|h| !h.is_empty());
    heads
}

/// Every top-level module `code` names through `crate::` (or `super::` chains climbing `depth`
/// levels to the crate root), with the line of the reference.
fn crate_references(code: &str, depth: usize) -> Vec<(usize, String)> {
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut refs = Vec::new();
    let mut push = |at: usize, after: &str| {
        let after = after.trim_start();
        if let Some(group) = after.strip_prefix('{') {
            for head in group_heads(group) {
                refs.push((line_of(at), head.to_string()));
            }
        } else {
            let head = ident_at(after);
            if !head.is_empty() {
                refs.push((line_of(at), head.to_string()));
            }
        }
    };
    let is_path_start =
        |at: usize| at == 0 || !code[..at].ends_with(|ch: char| ch.is_alphanumeric() || ch == '_');
    for (at, _) in code.match_indices("crate::") {
        if is_path_start(at) && !code[..at].ends_with('$') {
            push(at, &code[at + "crate::".len()..]);
        }
    }
    if depth > 0 {
        let climb = "super::".repeat(depth);
        for (at, _) in code.match_indices(&climb) {
            if is_path_start(at) && !code[..at].ends_with("super::") {
                push(at, &code[at + climb.len()..]);
            }
        }
    }
    refs
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The upward imports in the crate under `src`, one message each.
fn upward_imports(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut problems = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
            .collect();
        if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
            continue;
        }
        let shown = format!("src/{}", rel.display());
        let top = &parts[0];
        let Some(own) = layer(top) else {
            problems.push(format!(
                "{shown}: module `{top}` is in no layer; add it to src/lib.rs's list and to LAYERS"
            ));
            continue;
        };
        // How deep the file's module is: `src/a.rs` and `src/a/mod.rs` are 1, `src/a/b.rs` 2.
        let depth = parts.len() - usize::from(parts.last().is_some_and(|p| p == "mod"));
        let text = std::fs::read_to_string(&file).unwrap();
        let code = drop_test_items(&blank_comments_and_literals(&text));
        for (line, module) in crate_references(&code, depth) {
            match layer(&module) {
                Some(l) if l > own => problems.push(format!(
                    "{shown}:{line}: `{top}` (layer {}) imports `crate::{module}` (layer {}), a layer above it",
                    own + 1,
                    l + 1
                )),
                _ => {}
            }
        }
    }
    problems
}

#[test]
fn no_module_imports_from_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = upward_imports(&src);
    assert!(
        problems.is_empty(),
        "upward imports break the layering stated in src/lib.rs:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_library_docs_list_the_same_layers() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let listed: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//! "))
        .filter_map(|l| {
            let (n, rest) = l.split_once(". [`")?;
            n.parse::<usize>().ok()?;
            rest.split_once("`]").map(|(m, _)| m)
        })
        .collect();
    assert_eq!(listed, LAYERS, "src/lib.rs's layer list and LAYERS differ");
}

#[test]
fn the_scanner_sees_imports_and_skips_comments_literals_and_tests() {
    let code = r##"//! Docs may name [`crate::app`].
use crate::config::X;
use crate::{router::Y, metrics::{A, B}};
use super::super::sim::Z;
fn f() -> &'static str { let _c = '"'; "crate::app" }
const RAW: &str = r#"crate::report"#;
/* crate::scenario */
#[cfg(test)]
mod tests {
    use crate::app::Everything;
}
fn g() { crate::report::x(); }
"##;
    let refs = crate_references(&drop_test_items(&blank_comments_and_literals(code)), 2);
    let modules: Vec<(usize, &str)> = refs.iter().map(|(l, m)| (*l, m.as_str())).collect();
    assert_eq!(
        modules,
        [
            (2, "config"),
            (3, "router"),
            (3, "metrics"),
            (12, "report"),
            (4, "sim")
        ]
    );
}
