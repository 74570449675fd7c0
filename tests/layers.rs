//! The layering rule of `docs/architecture.md`, checked by the project itself: every top-level
//! module of `src/` belongs to one layer, and may use (`crate::...`) only modules of its own
//! layer or those below; a family never uses another family; and no two top-level modules use
//! each other, however indirectly.
//!
//! Run it alone with `cargo test --test layers`. A new module goes into [`LAYERS`] here and into
//! the table of `docs/architecture.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first, and their top-level modules.
const LAYERS: [(&str, &[&str]); 5] = [
    (
        "core",
        &[
            "model",
            "settings",
            "error",
            "caller",
            "store",
            "persistence",
            "fixture",
            "bootstrap",
            "config",
            "clock",
            "tokens",
            "redact",
            "family",
            "registration_codes",
            "hostnames",
        ],
    ),
    (
        "services",
        &["journal", "faults", "logging", "ca", "connections"],
    ),
    (
        "HTTP shared",
        &[
            "state",
            "auth",
            "body",
            "params",
            "request_path",
            "listing_cache",
        ],
    ),
    ("families", &["legacy", "config_api", "control"]),
    (
        "wiring",
        &[
            "router",
            "openapi",
            "server",
            "proxy",
            "cli",
            "command",
            "healthcheck",
            "ca_command",
            "clone_command",
            "testcontainers",
        ],
    ),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            found.extend(files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

/// The top-level module a file of `src/` belongs to (`None` for `lib.rs` and `main.rs`).
fn module_of(file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src()).expect("under src");
    let first = relative
        .components()
        .next()?
        .as_os_str()
        .to_str()?
        .to_owned();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
    (name != "lib" && name != "main").then_some(name)
}

/// The top-level modules `text` names as `crate::<module>`, outside comments. A `use crate::{a,
/// b}` group names each.
fn used(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        names.insert(name);
                    }
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    names.insert(name);
                }
            }
        }
    }
    names
}

/// Which top-level modules each top-level module uses, itself left out.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files(&src()) {
        let Some(module) = module_of(&file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("readable");
        let uses = graph.entry(module.clone()).or_default();
        for name in used(&text) {
            if name != module {
                uses.insert(name);
            }
        }
    }
    graph
}

fn layer_of(module: &str) -> Option<(usize, &'static str)> {
    LAYERS
        .iter()
        .enumerate()
        .find(|(_, (_, modules))| modules.contains(&module))
        .map(|(index, (name, _))| (index, *name))
}

#[test]
fn every_module_has_a_layer_and_uses_only_its_own_and_those_below() {
    let graph = graph();
    let mut problems = Vec::new();
    for (module, uses) in &graph {
        let Some((level, layer)) = layer_of(module) else {
            problems.push(format!(
                "src/{module} is in no layer: add it to LAYERS and docs/architecture.md"
            ));
            continue;
        };
        for target in uses {
            // Names that are not modules of the crate (`crate::Config`, re-exports) are skipped.
            let Some((target_level, target_layer)) = layer_of(target) else {
                continue;
            };
            if target_level > level {
                problems.push(format!(
                    "{module} ({layer}) uses {target} ({target_layer}), a layer above it"
                ));
            }
            if layer == "families" && target_layer == "families" {
                problems.push(format!("the family {module} uses the family {target}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_two_modules_use_each_other() {
    let graph = graph();
    // Depth-first search for a cycle, reporting the first one found as a path.
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|m| m == module) {
            let mut cycle = path[at..].to_vec();
            cycle.push(module.to_owned());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_owned());
        for next in graph.get(module).into_iter().flatten() {
            if graph.contains_key(next)
                && let Some(cycle) = visit(next, graph, path, done)
            {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(module.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        if let Some(cycle) = visit(module, &graph, &mut Vec::new(), &mut done) {
            panic!("an import cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_check_reads_use_lines_and_paths() {
    let text = "use crate::{store::Store, model};\nlet x = crate::journal::note();\n// crate::router in a comment\n";
    let found: Vec<String> = used(text).into_iter().collect();
    assert_eq!(found, ["journal", "model", "store"]);
}
