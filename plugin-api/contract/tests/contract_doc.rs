//! `docs/CONTRACT.md` says what the code does: its function table, its scopes and its list of
//! writing functions are checked against [`FUNCTIONS`] and the input schemas, so the document
//! and the code can't drift apart.

use std::collections::BTreeSet;

use ponte_contract::{FUNCTIONS, Function};

fn document() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/CONTRACT.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The backticked words of `text`.
fn ticked(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The function table's rows: (function, seed name, input column).
fn table_rows(doc: &str) -> Vec<(String, String, String)> {
    doc.lines()
        .filter(|line| line.starts_with("| `"))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells.get(1)?.trim_matches('`');
            name.parse::<Function>().ok()?;
            let seed = cells.get(2)?.replace("*(no seed shape)*", "").trim().to_owned();
            Some((name.to_owned(), seed, cells.get(3)?.to_string()))
        })
        .collect()
}

#[test]
fn the_function_table_lists_every_function_in_order_with_its_seed_name() {
    let doc = document();
    let rows = table_rows(&doc);
    let documented: Vec<&str> = rows.iter().map(|(name, _, _)| name.as_str()).collect();
    let code: Vec<&str> = FUNCTIONS.iter().map(|spec| spec.function.as_str()).collect();
    assert_eq!(documented, code, "docs/CONTRACT.md's table and the function table differ");
    for ((name, seed, _), spec) in rows.iter().zip(FUNCTIONS) {
        assert_eq!(seed, spec.seed_name, "{name}: the seed name");
    }
}

#[test]
fn every_input_field_the_table_names_is_in_the_schema_and_every_required_one_is_named() {
    for (name, _, input) in table_rows(&document()) {
        let function: Function = name.parse().expect("a function");
        let schema = serde_json::to_value(ponte_contract::schema::input_schema(function)).expect("schema");
        let properties: BTreeSet<String> =
            schema["properties"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
        let required: BTreeSet<String> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let named: BTreeSet<String> = ticked(&input).into_iter().collect();
        for field in &named {
            assert!(properties.contains(field), "{name}: the table names `{field}`, not an input field");
        }
        for field in &required {
            assert!(named.contains(field), "{name}: required input `{field}` missing from the table");
        }
    }
}

#[test]
fn the_totem_scope_and_the_writing_functions_are_the_tables() {
    let doc = document();
    let after = |marker: &str| -> BTreeSet<String> {
        let start = doc.find(marker).unwrap_or_else(|| panic!("docs/CONTRACT.md lost `{marker}`")) + marker.len();
        let end = doc[start..].find(')').map_or(doc.len(), |e| start + e);
        ticked(&doc[start..end]).into_iter().collect()
    };
    let totem: BTreeSet<String> =
        FUNCTIONS.iter().filter(|s| s.totem).map(|s| s.function.as_str().to_owned()).collect();
    assert_eq!(after("`totem` ("), totem, "the totem scope");
    let writes: BTreeSet<String> =
        FUNCTIONS.iter().filter(|s| s.is_write()).map(|s| s.function.as_str().to_owned()).collect();
    assert_eq!(after("required on the writing functions ("), writes, "the writing functions");
}
