//! The host's modules depend in one direction, from the API down to the store: no cycle between
//! its top-level modules (`api`, `call`, `invoke`, `settlement`, `store`, ...). Read from the
//! source: every `crate::<module>` outside a comment is an edge from the file's top-level module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("host/src is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `module -> modules it names`, with one example place for each edge.
fn edges() -> BTreeMap<String, BTreeMap<String, String>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&root).expect("under src").to_string_lossy().replace('\\', "/");
        let top = relative.split('/').next().unwrap_or_default().trim_end_matches(".rs").to_owned();
        // The crate roots sit above every module.
        if top == "host" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a source file");
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for (at, _) in line.match_indices("crate::") {
                let name: String =
                    line[at + "crate::".len()..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                if !name.is_empty() && name != top {
                    edges
                        .entry(top.clone())
                        .or_default()
                        .entry(name)
                        .or_insert_with(|| format!("{relative}:{}", number + 1));
                }
            }
        }
    }
    edges
}

/// A cycle through `start`, if any: the path back to it.
fn cycle_from(start: &str, edges: &BTreeMap<String, BTreeMap<String, String>>) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_owned(), vec![start.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in edges.get(&node).map(|n| n.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(next);
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next, longer));
            }
        }
    }
    None
}

#[test]
fn the_hosts_modules_form_no_cycle() {
    let edges = edges();
    assert!(edges.contains_key("api") && edges.contains_key("invoke"), "the scan found the modules: {edges:?}");
    for module in edges.keys() {
        if let Some(cycle) = cycle_from(module, &edges) {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|pair| format!("{} -> {} ({})", pair[0], pair[1], edges[&pair[0]][&pair[1]]))
                .collect();
            panic!("the host's modules form a cycle:\n  {}", steps.join("\n  "));
        }
    }
}
