// The Action's post step, run when the job failed: prints the calls the emulator answered with
// an error (its journal, oldest first), then stops it.
import { spawnSync } from "node:child_process";
import { control, flagValue, input, splitFlags } from "./common.mjs";

const url = process.env.STATE_url;
if (!url) {
  console.log("janrain-emulator: it never started; nothing to report");
  process.exit(0);
}
const token = flagValue(splitFlags(input("flags")), "--control-token");
try {
  const failed = (await control(url, "/requests?outcome=error&limit=1000", token)).reverse();
  console.log(`::group::janrain-emulator: ${failed.length} call(s) answered with an error`);
  for (const entry of failed) {
    const code = entry.legacy_code ? ` (legacy code ${entry.legacy_code})` : "";
    console.log(`${entry.time} ${entry.method} ${entry.path} -> HTTP ${entry.status}${code} ${entry.error}: ${entry.detail}`);
  }
  console.log("::endgroup::");
} catch (error) {
  console.log(`janrain-emulator: its journal could not be read: ${error.message}`);
}
if (process.env.STATE_container) {
  spawnSync("docker", ["rm", "-f", process.env.STATE_container], { stdio: "ignore" });
} else if (process.env.STATE_pid) {
  try {
    process.kill(Number(process.env.STATE_pid), "SIGTERM");
  } catch {
    // Gone already.
  }
}
