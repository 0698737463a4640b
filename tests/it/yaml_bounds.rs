//! The YAML reader's bounds, as properties: nesting, brackets and alias expansion past their
//! limits are refused with a line, inside them read in full, and no input makes it panic.

use proptest::prelude::*;
use serde_yaml::Value;
use switchyard::config::yaml11::{MAX_DEPTH, MAX_NODES, read};

/// A list nested `depth` levels deep, in flow style.
fn nested(depth: usize) -> String {
    format!("a: {}x{}\n", "[".repeat(depth), "]".repeat(depth))
}

fn depth_of(mut v: &Value) -> usize {
    let mut d = 0;
    while let Value::Sequence(items) = v {
        d += 1;
        v = &items[0];
    }
    d
}

/// Expanded size of `levels` anchors each listing the previous one `fanout` times.
fn bomb(levels: usize, fanout: usize) -> (String, f64) {
    let items = |x: &str| vec![x; fanout].join(", ");
    let mut text = format!("a0: &a0 [{}]\n", items("x"));
    let mut size = 1.0 + fanout as f64;
    let mut total = size;
    for i in 1..levels {
        text.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            items(&format!("*a{}", i - 1))
        ));
        size = 1.0 + fanout as f64 * size;
        total += size;
    }
    (text, total)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn nesting_within_the_bound_is_read_and_past_it_refused(depth in 1usize..3000) {
        match read(&nested(depth)) {
            Ok(doc) => {
                prop_assert!(depth < MAX_DEPTH);
                prop_assert_eq!(depth_of(&doc.value["a"]), depth);
            }
            Err(e) => {
                prop_assert!(depth >= MAX_DEPTH);
                prop_assert!(e.starts_with("line 1"), "{}", e);
                prop_assert!(e.contains("nested more than") || e.contains("brackets"), "{}", e);
            }
        }
    }

    #[test]
    fn alias_expansion_is_bounded(levels in 1usize..9, fanout in 1usize..12) {
        let (text, size) = bomb(levels, fanout);
        match read(&text) {
            Ok(_) => prop_assert!(size <= MAX_NODES as f64),
            Err(e) => {
                prop_assert!(size > MAX_NODES as f64 / 2.0, "refused at {} values: {}", size, e);
                prop_assert!(e.contains("expands to more than"), "{}", e);
                prop_assert!(e.starts_with("line "), "{}", e);
            }
        }
    }

    #[test]
    fn no_input_makes_the_reader_panic(text in "[\\[\\]{}:,\\- \n&*!'\"#|>a1<_.~]{0,200}") {
        let _ = read(&text);
    }

    #[test]
    fn a_quoted_scalar_is_always_its_text(s in "[a-zA-Z0-9_:.+~<= \\-]{0,20}") {
        let doc = read(&format!("k: '{s}'\n")).unwrap();
        prop_assert_eq!(&doc.value["k"], &Value::String(s.clone()));
    }
}

#[test]
fn eighty_thousand_open_brackets_are_refused_before_parsing() {
    let err = read(&format!("model_list:\n  - {}", "[".repeat(80_000))).unwrap_err();
    assert!(err.starts_with("line 2: more than 1000 brackets"), "{err}");
}
