//! The README is a contract: its credentials and test command, and the flag table of
//! docs/flags.md, must match the code.

use std::collections::BTreeSet;
use std::process::Command;

use base64::Engine as _;
use janrain_emulator::config::{
    DEFAULT_APP_ID, DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET,
};

const README: &str = include_str!("../README.md");
const CI_RUN: &str = include_str!("../.ci/run");
const FLAGS: &str = include_str!("../docs/flags.md");

#[test]
fn the_readme_shows_the_real_defaults() {
    let header = base64::engine::general_purpose::STANDARD.encode(format!(
        "{DEFAULT_OWNER_CLIENT_ID}:{DEFAULT_OWNER_CLIENT_SECRET}"
    ));
    assert!(README.contains(&format!("Basic {header}")));
    for value in [
        DEFAULT_APP_ID,
        DEFAULT_OWNER_CLIENT_ID,
        DEFAULT_OWNER_CLIENT_SECRET,
    ] {
        assert!(README.contains(&format!("`{value}`")), "{value}");
    }
}

fn variables(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("JANRAIN_EMULATOR_"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_flag_table_matches_the_binary() {
    let help = Command::new(env!("CARGO_BIN_EXE_janrain-emulator"))
        .arg("--help")
        .output()
        .expect("runs");
    let help = String::from_utf8(help.stdout).expect("utf-8");
    let table = FLAGS
        .split("\n## ")
        .next()
        .expect("the flag table before any other section");
    assert_eq!(variables(table), variables(&help));
}

#[test]
fn ci_runs_the_readme_test_command() {
    let section = README
        .split("## Test it")
        .nth(1)
        .expect("a Test it section");
    let command = section
        .split("```sh\n")
        .nth(1)
        .and_then(|block| block.lines().next())
        .expect("a command block");
    let last = CI_RUN
        .lines()
        .rfind(|line| !line.trim().is_empty())
        .expect("a command");
    assert_eq!(last.trim(), command.trim());
}

const CONTAINERS: &str = include_str!("../docs/ci-and-containers.md");
const RUST_RECIPE: &str = include_str!("recipes/testcontainers.rs");

/// scripts/check-container runs tests/recipes/testcontainers.rs; what it runs is the recipe a
/// reader pastes.
#[test]
fn the_rust_testcontainers_recipe_is_the_file_the_check_runs() {
    let block = CONTAINERS
        .split("<!-- recipe: testcontainers -->\n```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a Rust testcontainers recipe");
    assert_eq!(block, RUST_RECIPE);
}

const QUIRKS: &str = include_str!("../docs/quirks.md");

/// One table row of docs/quirks.md: its behaviour and its last cell.
struct QuirkRow<'a> {
    line: usize,
    behaviour: &'a str,
    test: &'a str,
}

/// The rows of every table whose header starts with `behaviour`, checking on the way that
/// each such table ends in a `test` column.
fn quirk_rows() -> Vec<QuirkRow<'static>> {
    let mut rows = Vec::new();
    let mut in_table = false;
    for (index, line) in QUIRKS.lines().enumerate() {
        let cells = table_cells(line);
        match cells.as_slice() {
            [] => in_table = false,
            [first, .., last] if first.trim() == "behaviour" => {
                assert_eq!(last.trim(), "test", "line {}: no test column", index + 1);
                in_table = true;
            }
            [first, ..] if first.trim_start().starts_with("---") => {}
            [behaviour, .., test] if in_table => rows.push(QuirkRow {
                line: index + 1,
                behaviour: behaviour.trim(),
                test: test.trim(),
            }),
            _ => {}
        }
    }
    rows
}

/// The cells of a Markdown table line, splitting on `|` outside code spans.
fn table_cells(line: &str) -> Vec<&str> {
    let Some(inner) = line.trim().strip_prefix('|') else {
        return Vec::new();
    };
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let (mut cells, mut start, mut in_code) = (Vec::new(), 0, false);
    for (at, c) in inner.char_indices() {
        match c {
            '`' => in_code = !in_code,
            '|' if !in_code => {
                cells.push(&inner[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    cells.push(&inner[start..]);
    cells
}

/// The `file`: `name`, `name` references of a test cell, in order. Splitting on backticks
/// leaves code spans at the odd places and the text between them at the even ones; a name
/// belongs to the file before it while only `:` (the first) or `,` (the next) separates them.
fn test_references(cell: &str) -> Vec<(&str, Vec<&str>)> {
    let pieces: Vec<&str> = cell.split('`').collect();
    let mut references: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut names_may_follow = false;
    for at in (1..pieces.len()).step_by(2) {
        let (before, span) = (pieces[at - 1].trim(), pieces[at]);
        let is_file = span.contains('/') && span.contains('.') && !span.contains(' ');
        if is_file && !span.starts_with('/') {
            references.push((span, Vec::new()));
            names_may_follow = true;
        } else if let Some((_, names)) = references.last_mut().filter(|_| names_may_follow) {
            let separator = if names.is_empty() { ":" } else { "," };
            names_may_follow = before == separator;
            if names_may_follow {
                names.push(span);
            }
        }
    }
    references
}

fn defines(source: &str, name: &str) -> bool {
    [
        format!("fn {name}("),
        format!("def {name}("),
        format!("test(\"{name}\""),
    ]
    .iter()
    .any(|form| source.contains(form.as_str()))
}

#[test]
fn every_quirk_names_a_test_that_exists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let rows = quirk_rows();
    assert!(rows.len() > 100, "only {} rows found", rows.len());
    let mut problems = Vec::new();
    let mut tested = 0;
    for row in &rows {
        let QuirkRow {
            line,
            behaviour,
            test,
        } = row;
        if test.starts_with("none:") {
            continue;
        }
        let references = test_references(test);
        if !references.iter().any(|(_, names)| !names.is_empty()) {
            problems.push(format!("line {line} ({behaviour}): names no test"));
            continue;
        }
        let mut all_found = true;
        for (file, names) in &references {
            let Ok(source) = std::fs::read_to_string(root.join(file)) else {
                problems.push(format!("line {line} ({behaviour}): no file {file}"));
                all_found = false;
                continue;
            };
            for name in names {
                if !defines(&source, name) {
                    problems.push(format!("line {line} ({behaviour}): {file} has no {name}"));
                    all_found = false;
                }
            }
        }
        tested += usize::from(all_found);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        tested * 10 >= rows.len() * 9,
        "{tested} of {} rows name their test; at least 90% must",
        rows.len()
    );
}

#[test]
fn test_references_are_read_as_file_then_names() {
    let cell = "`tests/a.rs`: `one`, `two` (`openssl verify` refuses); `src/b.rs` unit tests";
    assert_eq!(
        test_references(cell),
        vec![("tests/a.rs", vec!["one", "two"]), ("src/b.rs", vec![])]
    );
    assert_eq!(table_cells("| a `x|y` | b |"), vec![" a `x|y` ", " b "]);
}

/// The names a `pub fn` (not `pub(crate)`) of an `impl Store` block in `text` declares.
fn public_store_methods(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("impl Store") {
            inside = true;
        } else if line.starts_with('}') {
            inside = false;
        } else if let (true, Some(rest)) = (inside, line.strip_prefix("    pub fn ")) {
            let name = rest.split(['(', '<']).next().unwrap_or_default();
            names.push(name.to_owned());
        }
    }
    names
}

#[test]
fn the_architecture_names_every_public_store_method_and_shared_field() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let architecture =
        std::fs::read_to_string(root.join("docs/architecture.md")).expect("architecture");
    let api = architecture
        .split("## The public API")
        .nth(1)
        .expect("a public API section");
    let mut methods = Vec::new();
    for entry in std::fs::read_dir(root.join("src/store")).expect("src/store") {
        let path = entry.expect("entry").path();
        methods.extend(public_store_methods(
            &std::fs::read_to_string(&path).expect("source"),
        ));
    }
    assert!(methods.len() > 10, "{methods:?}");
    for method in &methods {
        assert!(
            api.contains(&format!("`{method}`")) || api.contains(&format!("`Store::{method}`")),
            "docs/architecture.md's public API does not name Store::{method}"
        );
    }
    let shared = std::fs::read_to_string(root.join("src/state.rs")).expect("state.rs");
    let line = architecture
        .split("- `state`: ")
        .nth(1)
        .and_then(|rest| rest.split("\n- ").next())
        .expect("the state line");
    let fields: Vec<&str> = shared
        .lines()
        .filter_map(|l| l.strip_prefix("    pub "))
        .filter_map(|l| l.split_once(':').map(|(name, _)| name))
        .filter(|name| !name.contains(' '))
        .collect();
    assert!(fields.len() > 5, "{fields:?}");
    for field in fields {
        assert!(
            line.contains(&format!("`{field}`")),
            "docs/architecture.md's state line does not name ServerState's {field}"
        );
    }
}

/// Every operation of the emulated APIs in the OpenAPI document (which the route table makes)
/// is in docs/endpoints.md.
#[tokio::test]
async fn the_endpoint_table_names_every_route_of_both_families() {
    let endpoints = include_str!("../docs/endpoints.md");
    let emulator = janrain_emulator::Emulator::start(janrain_emulator::Config::default())
        .await
        .expect("started");
    let document: serde_json::Value =
        reqwest::get(format!("{}/__emulator/openapi.json", emulator.uri()))
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
    let paths = document["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (path, item) in paths {
        if path.starts_with("/__emulator") {
            continue;
        }
        let shown = path
            .replace("{app_id}", "{appId}")
            .replace("{client_id}", "{clientId}");
        let rows: Vec<&str> = endpoints
            .lines()
            .filter(|row| row.contains(&format!("{shown}`")) || row.contains(&format!("{shown} ")))
            .collect();
        assert!(!rows.is_empty(), "docs/endpoints.md has no row for {shown}");
        if shown.starts_with("/config") {
            for method in ["get", "post", "put", "delete"] {
                if item.get(method).is_some() {
                    let method = method.to_uppercase();
                    assert!(
                        rows.iter().any(|row| row.contains(&format!("`{method}"))),
                        "docs/endpoints.md does not name {method} {shown}"
                    );
                }
            }
        }
        checked += 1;
    }
    assert!(checked > 20, "{checked}");
    emulator.shutdown().await;
}
