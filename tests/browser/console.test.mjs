// End-to-end tests of the console page (/__emulator/ui) in headless Chromium, driven by
// playwright-core against the built binary. Run by scripts/test:
//
//   JANRAIN_EMULATOR_BIN=target/debug/janrain-emulator node --test tests/browser/
//
// Environment: JANRAIN_EMULATOR_BIN (the binary, required), CHROMIUM (default /usr/bin/chromium),
// JANRAIN_EMULATOR_PYTHON (a Python with janrain-python-api, for the settings block's Python line;
// default python3), SCREENSHOT_DIR (default target/console-screenshots).

import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tools = createRequire(path.join(root, "tools/package.json"));
const { chromium } = tools("playwright-core");
const AXE = await readFile(tools.resolve("axe-core/axe.min.js"), "utf8");
const run = promisify(execFile);

const BINARY = process.env.JANRAIN_EMULATOR_BIN;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const PYTHON = process.env.JANRAIN_EMULATOR_PYTHON || "python3";
const SCREENSHOTS = process.env.SCREENSHOT_DIR || path.join(root, "target/console-screenshots");
const OWNER_ID = "emulatorowner0000000000000000001";
const OWNER_SECRET = "emulatorsecret000000000000000001";
const APP = "emulatorapp000000000000001";
const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 390, height: 844 };

let context;
let userDataDir;

before(async () => {
  assert.ok(BINARY, "JANRAIN_EMULATOR_BIN names the emulator binary");
  await mkdir(SCREENSHOTS, { recursive: true });
  userDataDir = await mkdtemp(path.join(tmpdir(), "janrain-console-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: WIDE,
    acceptDownloads: true,
    permissions: ["clipboard-read", "clipboard-write"],
  });
});

after(async () => {
  await context?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

/**
 * A fresh emulator on a free port of 127.0.0.1, stopped (by its PID) when the test ends. It must
 * still be running then, and must exit cleanly on SIGTERM: a crash during the test fails it.
 */
async function emulator(t, flags = []) {
  const child = spawn(BINARY, ["--listen", "127.0.0.1:0", ...flags], { stdio: ["ignore", "pipe", "ignore"] });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  t.after(async () => {
    assert.equal(child.exitCode, null, "the emulator was still running at the end of the test");
    child.kill("SIGTERM");
    assert.deepEqual(await exited, { code: 0, signal: null }, "the emulator exits cleanly on SIGTERM");
  });
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const found = /^listening on (http:\/\/\S+)$/.exec(line.trim());
    if (found) return found[1];
  }
  throw new Error("the emulator ended before it listened");
}

const basic = (id = OWNER_ID, secret = OWNER_SECRET) =>
  "Basic " + Buffer.from(`${id}:${secret}`).toString("base64");

async function api(base, method, pathname, { body, form, auth = basic() } = {}) {
  const headers = auth ? { Authorization: auth } : {};
  let payload;
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  if (form !== undefined) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    payload = new URLSearchParams(form).toString();
  }
  const response = await fetch(base + pathname, { method, headers, body: payload });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const listClients = async (base) => (await api(base, "GET", `/config/${APP}/clients`)).body;

async function openConsole(t, base, viewport = WIDE) {
  const page = await context.newPage();
  t.after(() => page.close());
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  // A refused API call is logged by Chromium as a failed resource; the page handles those.
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      problems.push(message.text());
    }
  });
  t.after(() => assert.deepEqual(problems, [], "the page logged errors"));
  await page.setViewportSize(viewport);
  await page.goto(`${base}/__emulator/ui`);
  await page.waitForSelector("html[data-ready=true]");
  return page;
}

async function screenshot(page, name) {
  for (const [label, size] of [["1280", WIDE], ["390", NARROW]]) {
    await page.setViewportSize(size);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(WIDE);
}

/** Runs axe-core's WCAG 2.1 A and AA rules on the page as it is now; any violation fails. */
async function audit(page, where) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  const violations = result.violations.map(
    (rule) => `${rule.id}: ${rule.help} at ${rule.nodes.map((node) => node.target.join(" ")).join(", ")}`,
  );
  assert.deepEqual(violations, [], `accessibility of ${where}`);
  assert.ok(result.passes.length > 10, "axe ran its rules");
}

/** The card of the client named `name`. */
const card = (page, name) => page.locator("#client-list > li").filter({ has: page.getByRole("heading", { name, exact: true }) });

/** The newest journal entry whose path is `pathname`. */
const journalEntry = (page, pathname) =>
  page.locator("#journal-list > li").filter({ has: page.locator(".path", { hasText: pathname }) }).first();

test("a client created in the page is there for the Configuration API", async (t) => {
  const base = await emulator(t);
  const page = await openConsole(t, base);
  await page.getByRole("button", { name: "New client" }).click();
  const dialog = page.getByRole("dialog", { name: "New client" });
  await dialog.getByRole("textbox", { name: "Name" }).fill("made in the page");
  await dialog.getByRole("checkbox", { name: "direct_read_access" }).check();
  await dialog.getByRole("textbox", { name: "IP allowlist" }).fill("10.0.0.0/8\n192.168.1.0/24");
  await dialog.getByRole("button", { name: "Create" }).click();
  await card(page, "made in the page").waitFor();
  assert.equal(await dialog.isVisible(), false);

  const made = (await listClients(base)).find((client) => client.name === "made in the page");
  assert.ok(made, "the Configuration API lists the client");
  assert.deepEqual(made.features, ["direct_read_access"]);
  assert.deepEqual(made.ipWhitelist, ["10.0.0.0/8", "192.168.1.0/24"]);
  const shown = card(page, "made in the page");
  assert.equal(await shown.locator("code.mono").first().textContent(), made._id);
  assert.equal(await shown.getByText(made._secret).count(), 0, "the secret is hidden until asked for");
  await audit(page, "the page at 1,280 px with a client");
  await screenshot(page, "clients");
});

test("at most 200 clients are shown, and an empty allowlist field leaves the API's default", async (t) => {
  const base = await emulator(t);
  for (let n = 0; n < 205; n += 1) {
    assert.equal((await api(base, "POST", `/config/${APP}/clients`, { body: { name: `bulk ${n}` } })).status, 201);
  }
  const page = await openConsole(t, base);
  await page.locator("#client-count", { hasText: "206 clients; showing the first 200" }).waitFor();
  assert.equal(await page.locator("#client-list > li").count(), 200);

  await page.getByRole("button", { name: "New client" }).click();
  const dialog = page.getByRole("dialog", { name: "New client" });
  await dialog.getByRole("textbox", { name: "Name" }).fill("no list given");
  await dialog.getByRole("button", { name: "Create" }).click();
  await page.locator("#client-count", { hasText: "207 clients" }).waitFor();
  const made = (await listClients(base)).find((client) => client.name === "no list given");
  assert.deepEqual(made.ipWhitelist, ["0.0.0.0/0"], "the field was left out, not sent empty");
});

test("the APIs' own error texts appear next to the field", async (t) => {
  const base = await emulator(t);
  const page = await openConsole(t, base);
  const direct = async (body) => (await api(base, "POST", `/config/${APP}/clients`, { body })).body.errors;

  await page.getByRole("button", { name: "New client" }).click();
  const dialog = page.getByRole("dialog", { name: "New client" });
  await dialog.getByRole("textbox", { name: "Name" }).fill("refused");
  const allowlist = dialog.getByRole("textbox", { name: "IP allowlist" });
  await allowlist.fill("10.0.0.0/33");
  await dialog.getByRole("button", { name: "Create" }).click();
  const cidrText = await direct({ name: "refused", features: [], ipWhitelist: ["10.0.0.0/33"] });
  await page.locator("#client-allowlist-error").getByText(cidrText, { exact: true }).waitFor();
  assert.equal(await allowlist.getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator("#client-allowlist").evaluate((node) => node === document.activeElement), true);

  await allowlist.fill("");
  await dialog.getByRole("checkbox", { name: "login_client" }).check();
  await dialog.getByRole("checkbox", { name: "owner" }).check();
  await dialog.getByRole("button", { name: "Create" }).click();
  const featuresText = await direct({ name: "refused", features: ["owner", "login_client"] });
  assert.match(featuresText, /login_client/);
  await page.locator("#client-features-error").getByText(featuresText, { exact: true }).waitFor();
  assert.equal(await page.locator("#client-allowlist-error").isVisible(), false, "the old error went away");

  await dialog.getByRole("checkbox", { name: "owner" }).uncheck();
  await dialog.getByRole("textbox", { name: "Name" }).fill("Emulator owner client");
  await dialog.getByRole("button", { name: "Create" }).click();
  const nameText = await direct({ name: "Emulator owner client" });
  await page.locator("#client-name-error").getByText(nameText, { exact: true }).waitFor();
  await audit(page, "the client dialog showing an error");
  await screenshot(page, "client-errors");

  await page.keyboard.press("Escape");
  assert.equal(await dialog.isVisible(), false);
  const names = (await listClients(base)).map((client) => client.name);
  assert.deepEqual(names, ["Emulator owner client"], "nothing was created");
});

test("edit, reset the secret with a grace period, copy it, and delete", async (t) => {
  const base = await emulator(t);
  const made = (await api(base, "POST", `/config/${APP}/clients`, { body: { name: "to change" } })).body;
  const page = await openConsole(t, base);
  const shown = card(page, "to change");

  await shown.getByRole("button", { name: "Edit to change" }).click();
  const edit = page.getByRole("dialog", { name: "Edit to change" });
  await edit.getByRole("textbox", { name: "Name" }).fill("changed");
  await edit.getByRole("checkbox", { name: "access_issuer" }).check();
  await edit.getByRole("button", { name: "Save" }).click();
  await card(page, "changed").waitFor();
  let stored = (await api(base, "GET", `/config/${APP}/clients/${made._id}`)).body;
  assert.equal(stored.name, "changed");
  assert.deepEqual(stored.features, ["access_issuer"]);

  const changed = card(page, "changed");
  await changed.getByRole("button", { name: "Reset secret of changed" }).click();
  const reset = page.getByRole("dialog", { name: "Reset the secret of changed" });
  const hours = reset.getByRole("spinbutton", { name: "Hours the old secret keeps working" });
  await hours.fill("500");
  await reset.getByRole("button", { name: "Reset secret" }).click();
  const rangeText = (await api(base, "PUT", `/config/${APP}/clients/${made._id}/secret`, { body: { hoursToLive: 500 } })).body.errors;
  await page.locator("#secret-hours-error").getByText(rangeText, { exact: true }).waitFor();
  await hours.fill("2");
  await reset.getByRole("button", { name: "Reset secret" }).click();
  await changed.getByText("In its grace period").waitFor();
  stored = (await api(base, "GET", `/config/${APP}/clients/${made._id}`)).body;
  assert.notEqual(stored._secret, made._secret);
  await changed.getByText(stored._secret, { exact: true }).waitFor();
  const oldStillWorks = await api(base, "POST", "/clients/list", { auth: basic(made._id, made._secret) });
  assert.equal(oldStillWorks.body.stat, "error", "the client is not an owner, so it is refused...");
  assert.notEqual(oldStillWorks.body.code, 402, "...but its old secret is still accepted");

  await changed.getByRole("button", { name: "Copy secret of changed" }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), stored._secret);
  await page.locator("#announcer").getByText("Secret of changed copied.").waitFor();

  await changed.getByRole("button", { name: "Delete changed" }).click();
  const confirm = page.getByRole("dialog", { name: "Delete changed?" });
  await confirm.getByRole("button", { name: "Delete" }).click();
  await changed.waitFor({ state: "detached" });
  assert.equal((await api(base, "GET", `/config/${APP}/clients/${made._id}`)).status, 404);

  const owner = card(page, "Emulator owner client");
  await owner.getByRole("button", { name: "Delete Emulator owner client" }).click();
  await page.getByRole("dialog", { name: "Delete Emulator owner client?" }).getByRole("button", { name: "Delete" }).click();
  const refusal = (await api(base, "DELETE", `/config/${APP}/clients/${OWNER_ID}`)).body.errors;
  await page.locator("#confirm-form-error").getByText(refusal, { exact: true }).waitFor();
  await page.keyboard.press("Escape");
  await owner.waitFor();
});

test("API calls appear in the journal as they happen, with parameters but never secrets", async (t) => {
  const base = await emulator(t);
  const page = await openConsole(t, base);
  const made = (await api(base, "POST", `/config/${APP}/clients`, { body: { name: "journaled" } })).body;
  const form = { client_id: OWNER_ID, client_secret: OWNER_SECRET, for_client_id: made._id, description: "renamed by form" };
  assert.equal((await api(base, "POST", "/clients/set_description", { form, auth: null })).body.stat, "ok");

  const entry = journalEntry(page, "/clients/set_description");
  await entry.waitFor();
  await entry.getByText("200 ok").waitFor();
  await entry.locator("summary").click();
  const params = JSON.parse(await entry.locator("pre.params").textContent());
  assert.deepEqual(params, { ...form, client_secret: "(hidden)" });
  assert.equal(await page.getByText(OWNER_SECRET).count(), 0);
  // The description changed through the legacy API, and the page noticed.
  await card(page, "renamed by form").waitFor();
  await screenshot(page, "journal");

  // A failure: HTTP 200 with stat error, found by the Failed filter.
  await api(base, "POST", "/clients/delete", { form: { for_client_id: "nope" } });
  await page.getByRole("combobox", { name: "Status" }).selectOption({ label: "Failed (legacy stat error too)" });
  const failure = journalEntry(page, "/clients/delete");
  await failure.getByText(/200 \w+ \(code \d+\)/).waitFor();
  await entry.waitFor({ state: "detached" });
  await page.getByRole("combobox", { name: "Family" }).selectOption({ label: "Configuration API" });
  await failure.waitFor({ state: "detached" });
  await page.getByRole("combobox", { name: "Status" }).selectOption({ label: "Any" });
  await journalEntry(page, `/config/${APP}/clients`).waitFor();

  // Paused, the journal stays as it is.
  await page.getByRole("combobox", { name: "Family" }).selectOption({ label: "Both" });
  await page.getByRole("button", { name: "Live updates" }).click();
  assert.equal(await page.getByRole("button", { name: "Live updates" }).getAttribute("aria-pressed"), "false");
});

test("a fault added in the page fails the next call, then is gone", async (t) => {
  const base = await emulator(t);
  const page = await openConsole(t, base);
  const faults = page.getByRole("region", { name: "Faults" });
  await faults.getByRole("textbox", { name: "Path" }).fill("/clients/list");
  await faults.getByRole("spinbutton", { name: "Times" }).fill("0");
  await faults.getByRole("button", { name: "Add fault" }).click();
  const timesText = (await api(base, "POST", "/__emulator/faults", { body: { path: "/clients/list", status: 503, times: 0 } })).body.error;
  await page.locator("#fault-times-error").getByText(timesText, { exact: true }).waitFor();

  await faults.getByRole("spinbutton", { name: "Times" }).fill("1");
  await faults.getByRole("radio", { name: /legacy error code/ }).check();
  await faults.getByRole("spinbutton", { name: "Legacy error code" }).fill("510");
  await faults.getByRole("button", { name: "Add fault" }).click();
  const pending = page.locator("#fault-list > li[data-fault-id]");
  await pending.getByText(`Any method /clients/list (application ${APP} only)`).waitFor();
  assert.equal((await api(base, "GET", "/__emulator/faults")).body[0].app_id, APP, "for the chosen application");
  await screenshot(page, "faults");

  const failed = await api(base, "POST", "/clients/list");
  assert.equal(failed.status, 200);
  assert.equal(failed.body.stat, "error");
  assert.equal(failed.body.code, 510);
  const next = await api(base, "POST", "/clients/list");
  assert.equal(next.body.stat, "ok");
  await pending.first().waitFor({ state: "detached" });
  const faulted = page
    .locator("#journal-list > li")
    .filter({ has: page.locator(".path", { hasText: "/clients/list" }) })
    .filter({ has: page.locator(".badge", { hasText: "fault" }) });
  await faulted.getByText("200 api_limit_error (code 510)").waitFor();
  assert.equal(await faulted.count(), 1, "only the first call met the fault");

  await faults.getByRole("textbox", { name: "Path" }).fill("/config/*");
  await faults.getByRole("radio", { name: "An HTTP status" }).check();
  await faults.getByRole("spinbutton", { name: "HTTP status" }).fill("503");
  await faults.getByRole("spinbutton", { name: "Times" }).fill("3");
  await faults.getByRole("button", { name: "Add fault" }).click();
  await pending.first().waitFor();
  assert.equal((await api(base, "GET", `/config/${APP}/clients`)).status, 503);
  await page.getByRole("button", { name: "Remove every fault" }).click();
  await pending.first().waitFor({ state: "detached" });
  assert.equal((await api(base, "GET", `/config/${APP}/clients`)).status, 200);
});

test("reset and the snapshot download both ask first", async (t) => {
  const base = await emulator(t);
  await api(base, "POST", `/config/${APP}/clients`, { body: { name: "short-lived" } });
  const page = await openConsole(t, base);
  await card(page, "short-lived").waitFor();

  await page.getByRole("button", { name: "Reset to the start state…" }).click();
  const ask = page.getByRole("dialog", { name: "Reset to the start state?" });
  await ask.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await ask.isVisible(), false);
  assert.ok((await listClients(base)).some((client) => client.name === "short-lived"), "cancel keeps the state");
  assert.equal(
    await page.getByRole("button", { name: "Reset to the start state…" }).evaluate((node) => node === document.activeElement),
    true,
    "focus goes back to the button",
  );

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    (async () => {
      await page.getByRole("button", { name: "Download snapshot…" }).click();
      await page.getByRole("dialog", { name: "Download a snapshot?" }).getByRole("button", { name: "Download" }).click();
    })(),
  ]);
  assert.match(download.suggestedFilename(), /^janrain-emulator-snapshot-.*\.json$/);
  const saved = JSON.parse(await readFile(await download.path(), "utf8"));
  assert.deepEqual(saved, (await api(base, "GET", "/__emulator/snapshot")).body);

  await page.getByRole("button", { name: "Reset to the start state…" }).click();
  await ask.getByRole("button", { name: "Reset" }).click();
  await card(page, "short-lived").waitFor({ state: "detached" });
  assert.deepEqual((await listClients(base)).map((client) => client.name), ["Emulator owner client"]);
});

test("settings of a client and of the application: seen, edited, and the effective value shown", async (t) => {
  const base = await emulator(t);
  const made = (await api(base, "POST", `/config/${APP}/clients`, { body: { name: "configured" } })).body;
  const other = (await api(base, "POST", `/config/${APP}/clients`, { body: { name: "bystander" } })).body;
  await api(base, "PUT", `/config/${APP}/clients/${made._id}/settings`, { body: { site_name: "Own site", login_attempts: 4 } });
  const page = await openConsole(t, base);
  await card(page, "configured").getByText("2 of its own").waitFor();

  // The application's defaults.
  await page.getByRole("button", { name: "Application settings" }).click();
  const defaults = page.getByRole("dialog", { name: "Application settings" });
  await defaults.getByRole("textbox", { name: "Name of the new setting" }).fill("site_name");
  await defaults.getByRole("textbox", { name: "Its value" }).fill("Default site");
  await defaults.getByRole("button", { name: "Add setting" }).click();
  await defaults.getByRole("textbox", { name: "Name of the new setting" }).fill("rpx_realm");
  await defaults.getByRole("textbox", { name: "Its value" }).fill("demo-realm");
  await defaults.getByRole("button", { name: "Add setting" }).click();
  await defaults.getByRole("textbox", { name: "Value of rpx_realm" }).waitFor();
  await audit(page, "the application settings dialog");
  await defaults.getByRole("button", { name: "Save settings" }).click();
  await defaults.waitFor({ state: "hidden" });
  const global = (await api(base, "GET", `/config/${APP}/settings`)).body;
  assert.equal(global.site_name, "Default site");
  assert.equal(global.rpx_realm, "demo-realm");
  // The legacy family reads the same defaults.
  const legacyDefault = await api(base, "POST", "/settings/get_default", { form: { key: "rpx_realm" } });
  assert.equal(legacyDefault.body.result, "demo-realm");

  // A client's own values beside the defaults, with the value that applies.
  await card(page, "configured").getByRole("button", { name: "Settings of configured" }).click();
  const own = page.getByRole("dialog", { name: "Settings of configured" });
  const row = (key) => own.getByRole("row").filter({ has: page.getByRole("rowheader", { name: key, exact: true }) });
  await row("site_name").getByText("Own site (own value)").waitFor();
  await row("rpx_realm").getByText("demo-realm (default)").waitFor();
  await row("login_attempts").getByText("4 (own value)").waitFor();
  // An own value for a setting that only had a default, typed character by character.
  const realm = own.getByRole("textbox", { name: "Own value of rpx_realm" });
  await realm.click();
  await realm.pressSequentially("mine");
  await row("rpx_realm").getByText("mine (own value)").waitFor();
  await own.getByRole("button", { name: "Remove own value of site_name" }).click();
  await row("site_name").getByText("Default site (default)").waitFor();
  await audit(page, "a client's settings dialog");
  await screenshot(page, "client-settings");
  await own.getByRole("button", { name: "Save settings" }).click();
  await own.waitFor({ state: "hidden" });
  const stored = (await api(base, "GET", `/config/${APP}/clients/${made._id}/settings`)).body;
  assert.deepEqual(
    { site_name: stored.site_name, rpx_realm: stored.rpx_realm, login_attempts: stored.login_attempts },
    { site_name: undefined, rpx_realm: "mine", login_attempts: 4 },
    "the untouched number stays a number",
  );
  const items = await api(base, "POST", "/settings/items", { form: { for_client_id: made._id } });
  assert.deepEqual(items.body.result, { site_name: "Default site", rpx_realm: "mine", login_attempts: 4 });
  assert.equal((await api(base, "GET", `/config/${APP}/clients/${other._id}/settings`)).body.site_name, undefined);

  // The API's refusal is shown in the dialog, which stays open.
  await card(page, "bystander").getByRole("button", { name: "Settings of bystander" }).click();
  const refused = page.getByRole("dialog", { name: "Settings of bystander" });
  await refused.getByRole("textbox", { name: "Name of the new setting" }).fill("_reserved");
  await refused.getByRole("button", { name: "Add setting" }).click();
  await refused.getByRole("button", { name: "Save settings" }).click();
  const text = (await api(base, "PUT", `/config/${APP}/clients/${other._id}/settings`, { body: { _reserved: "" } })).body.errors;
  await page.locator("#settings-form-error").getByText(text, { exact: true }).waitFor();
  await page.keyboard.press("Escape");
});

test("the settings block works as shown", async (t) => {
  const base = await emulator(t);
  const page = await openConsole(t, base);
  const block = page.locator("#settings-block");
  assert.equal(await block.getByText(OWNER_SECRET).count(), 0, "secrets are masked until asked for");
  await page.getByRole("button", { name: "Show secrets" }).click();
  const text = await block.textContent();
  assert.match(text, new RegExp(`Configuration API: +${base}/config/${APP}`));
  assert.match(text, new RegExp(`Owner client secret: +${OWNER_SECRET}`));

  const lines = text.split("\n");
  const curls = lines.filter((line) => line.startsWith("curl "));
  assert.equal(curls.length, 3);
  // Through the emulator as the proxy, to the Configuration API's real host name.
  const proxied = curls[2].replace("$(janrain-emulator ", `$('${BINARY}' `);
  assert.match(proxied, /--proxy /);
  // `janrain-emulator ca --url` leaves its bundle in the temporary directory, as a user wants:
  // here, one of the test's own, removed after.
  const bundles = await mkdtemp(path.join(tmpdir(), "janrain-console-bundle-"));
  t.after(() => rm(bundles, { recursive: true, force: true }));
  const inBundles = { env: { ...process.env, TMPDIR: bundles } };
  const viaProxy = JSON.parse((await run("sh", ["-c", proxied], inBundles)).stdout);
  assert.deepEqual(viaProxy.map((client) => client._id), [OWNER_ID]);
  assert.match(text, /TLS listener: +off/);
  const listing = JSON.parse((await run("sh", ["-c", curls[0]])).stdout);
  assert.deepEqual(listing.map((client) => client._id), [OWNER_ID]);
  const legacy = JSON.parse((await run("sh", ["-c", curls[1]])).stdout);
  assert.equal(legacy.stat, "ok");
  const pythonLine = lines.find((line) => line.startsWith("python3 -c "));
  const printed = (await run("sh", ["-c", pythonLine.replace(/^python3 /, `'${PYTHON}' `)])).stdout;
  assert.match(printed, /'stat': 'ok'/);
  assert.match(printed, new RegExp(OWNER_ID));

  await page.getByRole("button", { name: "Copy settings" }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), text);
  await screenshot(page, "settings");
});

test("a second application is managed as its own owner, and its settings name its domain", async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), "janrain-console-fixture-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const fixture = path.join(dir, "apps.json");
  const second = { id: "secondapp00000000000000002", owner: "secondowner000000000000000000002", secret: "secondsecret00000000000000000002" };
  await writeFile(
    fixture,
    JSON.stringify({
      apps: [
        { app_id: APP, capture_domains: [], clients: [{ _id: OWNER_ID, _secret: OWNER_SECRET, name: "Emulator owner client", features: ["owner"], ipWhitelist: ["0.0.0.0/0"] }] },
        {
          app_id: second.id,
          capture_domains: ["second.example.com"],
          clients: [{ _id: second.owner, _secret: second.secret, name: "second owner", features: ["owner"], ipWhitelist: ["0.0.0.0/0"] }],
        },
      ],
    }),
  );
  const base = await emulator(t, ["--import", fixture]);
  const page = await openConsole(t, base);
  await page.getByRole("combobox", { name: "Application" }).selectOption(second.id);
  await card(page, "second owner").waitFor();
  await page.getByText("The page acts as owner client " + second.owner).waitFor();
  await page.getByRole("button", { name: "New client" }).click();
  const dialog = page.getByRole("dialog", { name: "New client" });
  await dialog.getByRole("textbox", { name: "Name" }).fill("in the second app");
  await dialog.getByRole("button", { name: "Create" }).click();
  await card(page, "in the second app").waitFor();

  const auth = basic(second.owner, second.secret);
  const names = (await api(base, "GET", `/config/${second.id}/clients`, { auth })).body.map((client) => client.name);
  assert.deepEqual(names, ["second owner", "in the second app"]);
  assert.deepEqual((await listClients(base)).map((client) => client.name), ["Emulator owner client"]);

  await page.getByRole("button", { name: "Show secrets" }).click();
  const text = await page.locator("#settings-block").textContent();
  const legacyCurl = text.split("\n").find((line) => line.startsWith("curl ") && line.includes("/clients/list"));
  assert.match(legacyCurl, /-H 'Host: second\.example\.com'/);
  const listed = JSON.parse((await run("sh", ["-c", legacyCurl])).stdout);
  assert.equal(listed.stat, "ok");
  assert.deepEqual(listed.results.map((client) => client.description).sort(), ["in the second app", "second owner"]);
  await journalEntry(page, `/config/${second.id}/clients`).waitFor();
  await screenshot(page, "second-app");
});

test("at 390 px, with the keyboard alone, every control named", async (t) => {
  const base = await emulator(t);
  const page = await openConsole(t, base, NARROW);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);

  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea, button")]
      .filter((node) => {
        if (node.matches("button")) return !node.textContent.trim() && !node.getAttribute("aria-label");
        return node.labels.length === 0 && !node.getAttribute("aria-label") && !node.getAttribute("aria-labelledby");
      })
      .map((node) => node.outerHTML),
  );
  assert.deepEqual(unnamed, [], "every control has a label");

  // Tab from the top of the page to "New client", then create a client with keys only.
  let focused = "";
  for (let presses = 0; presses < 30 && focused !== "new-client"; presses += 1) {
    await page.keyboard.press("Tab");
    focused = await page.evaluate(() => document.activeElement.id);
  }
  assert.equal(focused, "new-client", "Tab reaches the New client button");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.id), "client-name");
  await page.keyboard.type("typed with keys");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Space"); // the second feature, access_issuer
  await page.keyboard.press("Enter"); // submits the form
  await card(page, "typed with keys").waitFor();
  assert.equal(
    await page.getByRole("button", { name: "New client" }).evaluate((node) => node === document.activeElement),
    true,
    "focus goes back to the button that opened the dialog",
  );
  const made = (await listClients(base)).find((client) => client.name === "typed with keys");
  assert.deepEqual(made.features, ["access_issuer"]);

  // A journal entry opens with Enter on its summary.
  const entry = journalEntry(page, `/config/${APP}/clients`);
  await entry.waitFor();
  await entry.locator("summary").focus();
  await page.keyboard.press("Enter");
  await entry.locator("pre.params").waitFor();
  await audit(page, "the page at 390 px with an open journal entry");
  const after = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(after <= 0, `with a client and an open entry the page is ${after} px too wide`);
  await page.screenshot({ path: path.join(SCREENSHOTS, "keyboard-390.png"), fullPage: true });
});

test("applications made at run time are listed and deleted, and the clock is shown and moved", async (t) => {
  const base = await emulator(t);
  const made = (await api(base, "POST", "/__emulator/apps")).body;
  const page = await openConsole(t, base);
  const select = page.getByRole("combobox", { name: "Application" });
  await select.selectOption(made.app_id);
  await card(page, "Application owner client").waitFor();
  await page.getByText(`The page acts as owner client ${made.owner_client_id}`).waitFor();

  // A new one from the page.
  await page.getByRole("button", { name: "New application" }).click();
  await page.locator("#announcer").getByText(/^Application \w+ created/).waitFor();
  const apps = (await api(base, "GET", "/__emulator/apps")).body.apps;
  assert.equal(apps.length, 3);
  assert.equal(await select.inputValue(), apps[2].app_id, "the new application is chosen");

  // Deleted from the page, after asking.
  await select.selectOption(made.app_id);
  await page.getByRole("button", { name: "Delete application", exact: true }).click();
  const confirm = page.getByRole("dialog", { name: `Delete application ${made.app_id}?` });
  await confirm.getByRole("button", { name: "Delete application", exact: true }).click();
  await confirm.waitFor({ state: "hidden" });
  assert.equal((await api(base, "GET", `/__emulator/apps/${made.app_id}`)).status, 404);
  assert.equal(await select.inputValue(), APP);
  assert.equal(await page.getByRole("button", { name: "Delete application", exact: true }).isDisabled(), true, "not the default one");

  // The chosen application's clock first: it moves alone.
  await page.getByText("(the emulator's clock)").waitFor();
  await page.getByRole("spinbutton", { name: "Hours" }).fill("2");
  await page.getByRole("button", { name: "Move forward" }).click();
  await page.getByText("(moved, running)").waitFor();
  assert.equal((await api(base, "GET", `/__emulator/apps/${APP}/clock`)).body.system, false);
  assert.equal((await api(base, "GET", "/__emulator/clock")).body.system, true, "the emulator's clock did not move");
  await page.getByRole("button", { name: "Back to the emulator's clock" }).click();
  await page.getByText("(the emulator's clock)").waitFor();
  assert.equal((await api(base, "GET", `/__emulator/apps/${APP}/clock`)).body.system, true);

  // Then the emulator's clock.
  await page.getByRole("combobox", { name: "Whose clock" }).selectOption("emulator");
  await page.getByText("(the real clock)").waitFor();
  await page.getByRole("spinbutton", { name: "Hours" }).fill("24");
  await page.getByRole("button", { name: "Move forward" }).click();
  await page.getByText("(moved, running)").waitFor();
  const moved = (await api(base, "GET", "/__emulator/clock")).body;
  assert.ok(Date.parse(moved.now) - Date.now() > 23 * 3600 * 1000, `the clock is a day ahead: ${moved.now}`);
  await page.getByRole("button", { name: "Freeze" }).click();
  await page.getByText("(frozen)").waitFor();
  assert.equal((await api(base, "GET", "/__emulator/clock")).body.frozen, true);
  await audit(page, "the page with a moved clock");
  await page.getByRole("button", { name: "Back to the real clock" }).click();
  await page.getByText("(the real clock)").waitFor();
  assert.equal((await api(base, "GET", "/__emulator/clock")).body.system, true);
  await screenshot(page, "clock");
});

test("with a control token, the page asks for it once and keeps it for the tab", async (t) => {
  const base = await emulator(t, ["--control-token", "console-token"]);
  const page = await context.newPage();
  t.after(() => page.close());
  await page.goto(`${base}/__emulator/ui`);
  const dialog = page.getByRole("dialog", { name: "Control token" });
  await dialog.waitFor();
  await dialog.getByLabel("Token").fill("wrong");
  await dialog.getByRole("button", { name: "Use this token" }).click();
  await dialog.getByText("That token was refused.").waitFor();
  await dialog.getByLabel("Token").fill("console-token");
  await dialog.getByRole("button", { name: "Use this token" }).click();
  await page.waitForSelector("html[data-ready=true]");
  await card(page, "Emulator owner client").waitFor();
  await audit(page, "the page after the token was given");
  // A reload in the same tab does not ask again.
  await page.reload();
  await page.waitForSelector("html[data-ready=true]");
  await card(page, "Emulator owner client").waitFor();
  assert.equal(await dialog.isVisible(), false);
});
