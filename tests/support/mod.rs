//! Starting and stopping the real binary, shared by the tests that need the process itself.
//! Not every test binary uses every helper.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::time::SystemTime;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

pub const BINARY: &str = env!("CARGO_BIN_EXE_janrain-emulator");

/// A started emulator process; killed if a test fails before stopping it.
pub struct Running {
    pub child: Child,
    pub base: String,
    /// The TLS listener's base URL (`https://...`), when started with `--https-listen`.
    pub https: Option<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary and waits for its `listening on` line.
pub fn start(args: &[&str], env: &[(&str, &str)]) -> Running {
    spawn(args, env, Stdio::null())
}

/// Like [`start`], with standard error kept for the test to read (`child.stderr`).
pub fn start_capturing(args: &[&str], env: &[(&str, &str)]) -> Running {
    spawn(args, env, Stdio::piped())
}

/// Like [`start`], with standard error written to `log`: a file never fills up as a pipe does,
/// however much a trace-level run writes.
pub fn start_logging_to(args: &[&str], env: &[(&str, &str)], log: std::fs::File) -> Running {
    spawn(args, env, Stdio::from(log))
}

/// The binary with `args`, run by `sh` after `prelude` (such as `ulimit -n 256` or
/// `umask 000`), which applies to the binary alone.
pub fn under_shell(prelude: &str, args: &[&str]) -> Command {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("{prelude} && exec \"$0\" \"$@\""))
        .arg(BINARY)
        .args(args);
    command
}

/// Like [`start`], for a command made by [`under_shell`]: `args` are the binary's, to tell
/// whether it prints a second (`https://`) address line.
pub fn start_under_shell(prelude: &str, args: &[&str]) -> Running {
    let mut command = under_shell(prelude, args);
    command.stderr(Stdio::null());
    started(command, args)
}

fn spawn(args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Running {
    let mut command = Command::new(BINARY);
    command.args(args).stderr(stderr);
    for (key, value) in env {
        command.env(key, value);
    }
    started(command, args)
}

fn started(mut command: Command, args: &[&str]) -> Running {
    command.stdout(Stdio::piped());
    let mut child = command.spawn().expect("binary starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut stdout = BufReader::new(stdout);
    let mut next_address = || {
        let mut line = String::new();
        // Blocks until the server has bound its socket and printed the line: no sleep needed.
        stdout.read_line(&mut line).expect("address line");
        line.trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected line: {line:?}"))
            .to_owned()
    };
    let base = next_address();
    let https = args
        .iter()
        .any(|arg| arg.starts_with("--https-listen"))
        .then(&mut next_address);
    Running { child, base, https }
}

/// Sends SIGTERM and waits (at most 5 s) for the exit.
pub fn stop(mut running: Running) -> ExitStatus {
    let pid = Pid::from_raw(i32::try_from(running.child.id()).expect("pid fits"));
    kill(pid, Signal::SIGTERM).expect("signal sent");
    for _ in 0..500 {
        if let Some(status) = running.child.try_wait().expect("wait") {
            return status;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the emulator did not stop within 5 s of SIGTERM");
}

/// Starts the binary on a port of its own, keeping its state in `path`.
pub fn start_with_state_file(path: &std::path::Path) -> Running {
    let path = path.to_str().expect("a UTF-8 path");
    start(&["--listen", "127.0.0.1:0", "--state-file", path], &[])
}

/// Runs the binary to completion (for start-up failures).
pub fn run(args: &[&str]) -> std::process::Output {
    Command::new(BINARY).args(args).output().expect("runs")
}

/// Runs `command` to completion, which must come within 10 s: a start that should have been
/// refused, but serves, fails the test instead of holding it forever.
pub fn run_to_refusal(mut command: Command) -> std::process::Output {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("runs");
    for _ in 0..1_000 {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let output = child.wait_with_output().expect("output");
    panic!(
        "still running after 10 s instead of refusing to start: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// [`run`], for a run that must end by itself within 10 s ([`run_to_refusal`]).
pub fn run_briefly(args: &[&str]) -> std::process::Output {
    let mut command = Command::new(BINARY);
    command.args(args);
    run_to_refusal(command)
}

/// Sends a request and reads its JSON body, failing the test on the way if either fails.
pub trait FetchJson {
    /// The response body as JSON.
    fn fetch_json(self) -> impl std::future::Future<Output = serde_json::Value>;
}

impl FetchJson for reqwest::RequestBuilder {
    async fn fetch_json(self) -> serde_json::Value {
        self.send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("a JSON body")
    }
}

/// The names of the default application's clients, in the listing's order, as its owner sees
/// them through the Configuration API.
pub async fn client_names(http: &reqwest::Client, running: &Running) -> Vec<String> {
    use janrain_emulator::config::{
        DEFAULT_APP_ID, DEFAULT_OWNER_CLIENT_ID, DEFAULT_OWNER_CLIENT_SECRET,
    };
    let listed = http
        .get(format!("{}/config/{DEFAULT_APP_ID}/clients", running.base))
        .basic_auth(DEFAULT_OWNER_CLIENT_ID, Some(DEFAULT_OWNER_CLIENT_SECRET))
        .fetch_json()
        .await;
    listed
        .as_array()
        .expect("a JSON array of clients")
        .iter()
        .map(|c| c["name"].as_str().expect("name").to_owned())
        .collect()
}

/// `YYYY-MM-DD HH:MM:SS` in UTC, the `Date` of a `janrain-signed` request.
pub fn date_header(at: SystemTime) -> String {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let at = time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).expect("fits"))
        .expect("valid");
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Base64 HMAC-SHA1 of `text` under `secret`, as a client signs.
pub fn sign(secret: &str, text: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Everything written so far to a log file that [`start_logging_to`] was given.
pub fn read_log(log: &mut std::fs::File) -> String {
    use std::io::{Read as _, Seek as _};
    let mut text = String::new();
    log.seek(std::io::SeekFrom::Start(0)).expect("seek");
    log.read_to_string(&mut text).expect("log read");
    text
}
