// The Action's main step: gets the emulator (a binary given, the release's binary for this
// runner, checked against the release's SHA256SUMS, or a container image), starts it on
// 127.0.0.1, waits for its health, and exports where it is and its owner's credentials.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, chmodSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { flagValue, input, owner, splitFlags } from "./common.mjs";

const fail = (message) => {
  console.log(`::error title=janrain-emulator::${message}`);
  process.exit(1);
};
const append = (file, line) => {
  if (process.env[file]) appendFileSync(process.env[file], `${line}\n`);
};

// The release asset for this runner's platform, as the release workflow names it.
function assetName() {
  const os = { Linux: "linux", macOS: "macos", Windows: "windows" }[process.env.RUNNER_OS ?? ""] ??
    { linux: "linux", darwin: "macos", win32: "windows" }[process.platform];
  const arch = { X64: "x86_64", ARM64: process.platform === "linux" ? "aarch64" : "arm64" }[process.env.RUNNER_ARCH ?? ""] ??
    { x64: "x86_64", arm64: process.platform === "linux" ? "aarch64" : "arm64" }[process.arch];
  if (!os || !arch) fail(`no released binary for ${process.platform} ${process.arch}`);
  return `janrain-emulator-${os}-${arch}${os === "windows" ? ".exe" : ""}`;
}

async function download(version, directory) {
  const repository = process.env.GITHUB_ACTION_REPOSITORY || "OWNER/janrain-emulator";
  const base = process.env.JANRAIN_EMULATOR_RELEASES || `https://github.com/${repository}/releases`;
  const release = version === "latest" ? `${base}/latest/download` : `${base}/download/v${version.replace(/^v/, "")}`;
  const asset = assetName();
  const get = async (name) => {
    const answer = await fetch(`${release}/${name}`);
    if (!answer.ok) fail(`${release}/${name}: HTTP ${answer.status}`);
    return Buffer.from(await answer.arrayBuffer());
  };
  const [binary, sums] = [await get(asset), (await get("SHA256SUMS")).toString()];
  const expected = sums.split("\n").map((line) => line.trim().split(/\s+\*?/)).find(([, name]) => name === asset)?.[0];
  if (!expected) fail(`SHA256SUMS of ${release} has no line for ${asset}`);
  const actual = createHash("sha256").update(binary).digest("hex");
  if (actual !== expected) fail(`${asset}: its SHA-256 is ${actual}, SHA256SUMS says ${expected}; not run`);
  const path = join(directory, asset.endsWith(".exe") ? "janrain-emulator.exe" : "janrain-emulator");
  writeFileSync(path, binary);
  chmodSync(path, 0o755);
  return path;
}

const port = input("port") || "8080";
if (!/^\d+$/.test(port) || Number(port) > 65535) fail(`port: ${port} is not a port number`);
const flags = splitFlags(input("flags"));
const fixture = input("fixture");
const image = input("image");
const version = input("version") || "latest";
// A new directory of this run's own (0700), never one a name could have been prepared at: the
// binary is written there after its checksum is checked, then run.
const directory = mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), "janrain-emulator-"));
const log = join(directory, "emulator.log");
const url = `http://127.0.0.1:${port}`;

let waited;
if (image) {
  const argv = ["run", "-d", "-p", `127.0.0.1:${port}:8080`];
  if (fixture) argv.push("-v", `${resolve(fixture)}:/fixture/fixture.json:ro`);
  argv.push(`${image}:${version}`, ...(fixture ? ["--import", "/fixture/fixture.json"] : []), ...flags);
  const started = spawnSync("docker", argv, { encoding: "utf8" });
  if (started.status !== 0) fail(`docker run: ${started.stderr || started.error}`);
  const container = started.stdout.trim();
  append("GITHUB_STATE", `container=${container}`);
  waited = spawnSync("docker", ["exec", container, "/janrain-emulator", "healthcheck", "--wait-ms", "30000"], { encoding: "utf8" });
} else {
  const binary = input("binary") ? resolve(input("binary")) : await download(version, directory);
  const argv = ["--listen", `127.0.0.1:${port}`, ...(fixture ? ["--import", resolve(fixture)] : []), ...flags];
  const out = openSync(log, "a");
  const child = spawn(binary, argv, { detached: true, stdio: ["ignore", out, out] });
  child.on("error", (error) => fail(`${binary}: ${error.message}`));
  child.unref();
  append("GITHUB_STATE", `pid=${child.pid}`);
  append("GITHUB_PATH", dirname(binary));
  waited = spawnSync(binary, ["healthcheck", "--url", `${url}/__emulator/health`, "--wait-ms", "30000"], { encoding: "utf8" });
}
if (waited.status !== 0) {
  const told = image ? "" : readFileSync(log, "utf8");
  fail(`the emulator did not become healthy: ${waited.stderr}${told}`);
}
append("GITHUB_STATE", `url=${url}`);
append("GITHUB_STATE", `log=${log}`);

const token = flagValue(flags, "--control-token");
const { appId, clientId, clientSecret } = await owner(url, token);
console.log(`::add-mask::${clientSecret}`);
const values = {
  JANRAIN_CAPTURE_URL: url,
  JANRAIN_CONFIG_URL: `${url}/config/${appId}`,
  JANRAIN_CLIENT_ID: clientId,
  JANRAIN_CLIENT_SECRET: clientSecret,
};
for (const [name, value] of Object.entries(values)) {
  append("GITHUB_ENV", `${name}=${value}`);
  append("GITHUB_OUTPUT", `${name.replace(/^JANRAIN_/, "").toLowerCase().replace(/_/g, "-")}=${value}`);
}
console.log(`janrain-emulator: listening on ${url} (application ${appId}, owner ${clientId})`);
