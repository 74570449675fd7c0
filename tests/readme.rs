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
