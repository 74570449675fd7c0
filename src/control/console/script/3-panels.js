// ---------------------------------------------------------------------------------------------
// Journal

function journalQuery() {
  const query = new URLSearchParams({ limit: String(JOURNAL_LIMIT) });
  const family = $("journal-family").value;
  if (family) query.set("family", family);
  const status = $("journal-status").value;
  if (status) {
    const [name, value] = status.split("=");
    query.set(name, value);
  }
  return query.toString();
}

function failed(entry) {
  return entry.status >= 400 || entry.legacy_code !== undefined;
}

function outcomeText(entry) {
  if (!failed(entry)) return `${entry.status} ok`;
  const code = entry.legacy_code !== undefined ? ` (code ${entry.legacy_code})` : "";
  return `${entry.status} ${entry.error || "error"}${code}`;
}

function journalEntry(entry) {
  const rows = [
    ["Request id", entry.request_id],
    ["Time", entry.time],
    ["Family", entry.family === "legacy" ? "Legacy Clients API" : "Configuration API"],
    ["Application", entry.app_id],
    ["Client", entry.client_id],
    ["HTTP status", String(entry.status)],
    ["Legacy code", entry.legacy_code !== undefined ? String(entry.legacy_code) : null],
    ["Error", entry.error],
    ["Why", entry.detail],
    ["Injected fault", entry.fault ? "yes" : null],
    ["Duration", `${entry.duration_ms.toFixed(2)} ms`],
  ].filter(([, value]) => value !== null && value !== undefined);
  const params = entry.params || {};
  const paramsText = Object.keys(params).length ? JSON.stringify(params, null, 2) : "none";
  return el(
    "li",
    { "data-request-id": entry.request_id },
    el(
      "details",
      {},
      el(
        "summary",
        {},
        el("span", { class: "time", text: entry.time.slice(11, 19) }),
        el("span", { class: "method", text: entry.method }),
        el("span", { class: "path", text: entry.path }),
        el("span", { class: `outcome ${failed(entry) ? "error" : "ok"}`, text: outcomeText(entry) }),
        entry.fault ? el("span", { class: "badge", text: "fault" }) : null,
      ),
      el(
        "div",
        { class: "entry-body" },
        el("dl", {}, rows.flatMap(([name, value]) => [el("dt", { text: name }), el("dd", { text: value })])),
        el("h3", { text: "Parameters" }),
        el("pre", { class: "params" }, el("code", { text: paramsText })),
      ),
    ),
  );
}

/** Shows `entries` in order, reusing the nodes of entries already shown (so that open entries
 * stay open and focus stays put). */
function renderJournal(entries) {
  const list = $("journal-list");
  const wanted = entries.map((entry) => state.journalNodes.get(entry.request_id) || journalEntry(entry));
  const keep = new Set(wanted);
  for (const node of [...list.children]) if (!keep.has(node)) node.remove();
  wanted.forEach((node, index) => {
    if (list.children[index] !== node) list.insertBefore(node, list.children[index] || null);
  });
  state.journalNodes = new Map(entries.map((entry, index) => [entry.request_id, wanted[index]]));
  $("journal-count").textContent = entries.length
    ? `${entries.length} shown${entries.length === JOURNAL_LIMIT ? " (the newest)" : ""}.`
    : "Nothing yet: calls to either API appear here.";
}

/** Whether a recorded call may have changed the clients. */
function mayChange(entry) {
  if (failed(entry)) return false;
  if (entry.family === "config") return entry.method !== "GET";
  return !entry.path.endsWith("/list");
}

async function pollJournal() {
  const everything = await control("GET", `/requests?limit=${JOURNAL_LIMIT}`);
  const query = journalQuery();
  const shown = query === `limit=${JOURNAL_LIMIT}` ? everything : await control("GET", `/requests?${query}`);
  renderJournal(shown);
  const newest = everything.length ? everything[0].request_id : null;
  if (state.newestRequest !== undefined && newest !== state.newestRequest) {
    const seenAt = everything.findIndex((entry) => entry.request_id === state.newestRequest);
    const fresh = seenAt === -1 ? everything : everything.slice(0, seenAt);
    if (fresh.some(mayChange)) state.staleClients = true;
  }
  state.newestRequest = newest;
  // A large tenant's snapshot takes a while to make and read: reload it at most once in five
  // times that long, so that a busy test run does not keep the page (and the emulator) busy.
  const wait = Math.max(POLL_MS, 5 * state.clientsLoadMs);
  if (state.staleClients && performance.now() - state.clientsLoadedAt >= wait) await refreshClients();
}

async function tick() {
  try {
    await Promise.all([pollJournal(), refreshFaults(), refreshClock()]);
    $("load-error").hidden = true;
  } catch (error) {
    $("load-error").textContent = `Lost contact with the emulator: ${error.message} Retrying.`;
    $("load-error").hidden = false;
  }
}

function schedule() {
  window.clearTimeout(state.pollTimer);
  if (!state.live) return;
  state.pollTimer = window.setTimeout(async () => {
    if (!document.hidden) await tick();
    schedule();
  }, POLL_MS);
}

// ---------------------------------------------------------------------------------------------
// Faults

function describeFault(rule) {
  const answer = [];
  if (rule.legacy_code !== null && rule.legacy_code !== undefined) answer.push(`legacy code ${rule.legacy_code}`);
  if (rule.status !== null && rule.status !== undefined) answer.push(`HTTP ${rule.status}`);
  if (rule.delay_ms) answer.push(`after ${rule.delay_ms} ms`);
  if (!answer.length) answer.push("the real answer");
  const uses = `${rule.times} more time${rule.times === 1 ? "" : "s"}`;
  const scope = rule.app_id ? ` (application ${rule.app_id} only)` : "";
  return `${rule.method || "Any method"} ${rule.path}${scope}: ${answer.join(", ")}, ${uses}`;
}

async function refreshFaults() {
  const rules = await control("GET", "/faults");
  const list = $("fault-list");
  keepingFocus(list, () =>
    list.replaceChildren(
      ...(rules.length
        ? rules.map((rule) =>
            el(
              "li",
              { "data-fault-id": String(rule.id) },
              el("span", { text: describeFault(rule) }),
              el(
                "button",
                {
                  type: "button",
                  class: "small",
                  "data-focus": `fault-${rule.id}`,
                  onclick: async () => {
                    await control("DELETE", `/faults/${rule.id}`).catch(() => {});
                    await refreshFaults();
                    announce("Fault removed.");
                  },
                },
                "Remove",
                hidden(` fault on ${rule.path}`),
              ),
            ),
          )
        : [el("li", { text: "None pending." })]),
    ),
  );
  $("faults-clear").disabled = rules.length === 0;
}

const FAULT_FIELDS = {
  path: "fault-path",
  method: "fault-method",
  status: "fault-status",
  legacy_code: "fault-legacy-code",
  legacy_error: "fault-legacy-code",
  times: "fault-times",
  delay_ms: "fault-delay",
};

function faultKind() {
  return document.querySelector("input[name=kind]:checked").value;
}

function showFaultKind() {
  const kind = faultKind();
  $("fault-status-field").hidden = kind !== "status";
  $("fault-legacy-field").hidden = kind !== "legacy_code";
}

/** A number field's value: a number when it reads as one, its text otherwise (the control plane
 * says what is wrong with it), nothing when empty. */
function numberField(id) {
  const raw = $(id).value.trim();
  if (raw === "") return undefined;
  const number = Number(raw);
  return Number.isFinite(number) ? number : raw;
}

async function addFault(event) {
  event.preventDefault();
  const form = $("fault-form");
  clearErrors(form);
  const body = { path: $("fault-path").value.trim() };
  const method = $("fault-method").value;
  if (method) body.method = method;
  const kind = faultKind();
  if (kind === "status") body.status = numberField("fault-status");
  if (kind === "legacy_code") body.legacy_code = numberField("fault-legacy-code");
  const times = numberField("fault-times");
  if (times !== undefined) body.times = times;
  const delay = numberField("fault-delay");
  if (delay !== undefined) body.delay_ms = delay;
  const app = currentApp();
  if ($("fault-app-only").checked && app) body.app_id = app.app_id;
  try {
    const rule = await control("POST", "/faults", body);
    await refreshFaults();
    announce(`Fault added: ${describeFault(rule)}.`);
  } catch (error) {
    const field = Object.keys(FAULT_FIELDS).find((name) => error.message.startsWith(`${name} `));
    const id = field ? FAULT_FIELDS[field] : /\/__emulator/.test(error.message) ? "fault-path" : null;
    showError(id, "fault-form-error", error.message);
  }
}

// ---------------------------------------------------------------------------------------------
// Settings

function renderSettings() {
  const app = currentApp();
  const code = $("settings-block").firstElementChild;
  const owner = ownerOf(app);
  if (!app || !owner) {
    code.textContent = "No owner client in this application: there are no credentials to show.";
    return;
  }
  const origin = window.location.origin;
  const port = window.location.port || (window.location.protocol === "https:" ? "443" : "80");
  const isDefault = app.app_id === state.info.default_app_id;
  const domain = app.capture_domains[0];
  const legacyBase = isDefault || !domain ? origin : `${window.location.protocol}//${domain}:${port}`;
  const secret = (text) => (state.revealSettings ? text : MASK);
  const lines = (reveal) => {
    const s = reveal ? (text) => text : secret;
    const credentials = `${owner._id}:${s(owner._secret)}`;
    const host = isDefault || !domain ? "" : ` -H 'Host: ${domain}'`;
    const out = [
      `Application id:       ${app.app_id}`,
      `Legacy Clients API:   ${origin}${isDefault || !domain ? "" : `  (send Host: ${domain})`}`,
      `Configuration API:    ${origin}/config/${app.app_id}`,
      `Owner client id:      ${owner._id}`,
      `Owner client secret:  ${s(owner._secret)}`,
      "",
      "# List the clients with curl, through the Configuration API and the legacy API:",
      `curl -u '${credentials}' '${origin}/config/${app.app_id}/clients'`,
      `curl -u '${credentials}' -X POST${host} '${origin}/clients/list'`,
      "",
      "# The same with janrain-python-api 0.4.0 (pip install janrain-python-api==0.4.0; it needs setuptools<58):",
    ];
    if (legacyBase !== origin) {
      out.push(`# first make ${domain} resolve to this emulator's address (in /etc/hosts, say)`);
    }
    out.push(
      `python3 -c 'from janrain.capture import Api; print(Api("${legacyBase}", {"client_id": "${owner._id}", "client_secret": "${s(owner._secret)}"}).call("clients/list"))'`,
    );
    // The HTTPS routes, for code that builds Janrain's real URLs itself.
    const tls = state.info.tls || {};
    const bundle = `"$(janrain-emulator ca --url ${origin}${tls.ca_pem || "/__emulator/ca.pem"})"`;
    out.push(
      "",
      "# Code that names Janrain's real hosts: this emulator as its HTTPS proxy (it answers for",
      "# *.janraincapture.com and *.janrain.com only), trusting its CA (which vouches for those names only):",
      `curl --proxy ${origin} --cacert ${bundle} -u '${credentials}' 'https://v1.api.us.janrain.com/config/${app.app_id}/clients'`,
      `export HTTPS_PROXY=${origin} NO_PROXY=${window.location.hostname} REQUESTS_CA_BUNDLE=${bundle}`,
      tls.https_url
        ? `TLS listener:         ${tls.https_url}  (name it v1.api.us.janrain.com or <realm>.janraincapture.com in /etc/hosts or with --add-host)`
        : "TLS listener:         off (start the emulator with --https-listen ADDR)",
    );
    return out.join("\n");
  };
  code.textContent = lines(false);
  state.settingsText = lines(true);
}

// ---------------------------------------------------------------------------------------------
// Applications made at run time

async function newApp() {
  const made = await control("POST", "/apps");
  await refreshClients();
  state.appId = made.app_id;
  renderApps();
  renderClients();
  renderSettings();
  announce(`Application ${made.app_id} created, with owner client ${made.owner_client_id}.`);
}

function deleteApp(opener) {
  const app = currentApp();
  confirmThen(opener, {
    title: `Delete application ${app.app_id}?`,
    text: `Its ${app.clients.length} client${app.clients.length === 1 ? "" : "s"} and their settings are gone at once, and their credentials stop working.`,
    yes: "Delete application",
    run: async () => {
      await control("DELETE", `/apps/${encodeURIComponent(app.app_id)}`);
      state.appId = state.info.default_app_id;
      await refreshClients();
      announce(`Application ${app.app_id} deleted.`);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Clock

/** The clock the panel shows: the chosen application's, or the emulator's. */
function clockPath() {
  const app = currentApp();
  return $("clock-scope").value === "app" && app ? `/apps/${encodeURIComponent(app.app_id)}/clock` : "/clock";
}

function renderClock(clock) {
  const ofApp = clockPath() !== "/clock";
  const base = ofApp ? "the emulator's clock" : "the real clock";
  const how = clock.frozen ? "frozen" : clock.system ? base : "moved, running";
  $("clock-now").textContent = `${clock.now.replace(/\.\d+Z$/, "Z")} (${how})`;
  const freeze = $("clock-freeze");
  freeze.setAttribute("aria-pressed", String(clock.frozen));
  freeze.textContent = clock.frozen ? "Unfreeze" : "Freeze";
  const back = $("clock-system");
  back.textContent = ofApp ? "Back to the emulator's clock" : "Back to the real clock";
  back.disabled = clock.system;
}

async function refreshClock() {
  renderClock(await control("GET", clockPath()));
}

async function moveClock(body, said) {
  renderClock(await control("POST", clockPath(), body));
  announce(said);
}

async function advanceClock(event) {
  event.preventDefault();
  clearErrors($("clock-form"));
  const hours = Number($("clock-hours").value);
  if (!Number.isFinite(hours) || hours < 0 || $("clock-hours").value.trim() === "") {
    showError("clock-hours", null, "Give a number of hours, 0 or more.");
    return;
  }
  try {
    await moveClock({ advance_secs: hours * 3600 }, `The clock moved forward ${hours} hour${hours === 1 ? "" : "s"}.`);
  } catch (error) {
    showError("clock-hours", null, error.message);
  }
}

// ---------------------------------------------------------------------------------------------
// State

function downloadSnapshot(opener) {
  confirmThen(opener, {
    title: "Download a snapshot?",
    text: "The file holds every application and client, with their secrets. Keep it where secrets belong.",
    yes: "Download",
    run: async () => {
      const snapshot = await control("GET", "/snapshot");
      const blob = new Blob([JSON.stringify(snapshot, null, 2) + "\n"], { type: "application/json" });
      const url = URL.createObjectURL(blob);
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const link = el("a", { href: url, download: `janrain-emulator-snapshot-${stamp}.json`, class: "visually-hidden" });
      document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10000);
      announce("Snapshot downloaded.");
    },
  });
}

function resetState(opener) {
  confirmThen(opener, {
    title: "Reset to the start state?",
    text: "Every client created, changed or deleted since the emulator started goes back to how it was. The journal and pending faults stay.",
    yes: "Reset",
    run: async () => {
      await control("POST", "/reset");
      state.revealed.clear();
      await refreshClients();
      announce("The state was reset.");
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Start

function wire() {
  $("app-select").addEventListener("change", (event) => {
    state.appId = event.target.value;
    renderClients();
    renderSettings();
    refreshClock().catch((error) => announce(error.message));
  });
  $("clock-scope").addEventListener("change", () => refreshClock().catch((error) => announce(error.message)));
  $("client-filter").addEventListener("input", renderClients);
  $("new-client").addEventListener("click", (event) => openClientForm(null, event.currentTarget));
  $("refresh-clients").addEventListener("click", async () => {
    await refreshClients();
    announce("Clients refreshed.");
  });
  $("client-form").addEventListener("submit", saveClient);
  $("secret-form").addEventListener("submit", resetSecret);
  $("confirm-form").addEventListener("submit", confirmed);
  $("settings-form").addEventListener("submit", saveSettings);
  $("setting-add").addEventListener("click", addSetting);
  $("app-settings").addEventListener("click", (event) => openSettings(null, event.currentTarget));
  // The page cannot work without the token: Escape does not close its dialog.
  $("token-dialog").addEventListener("cancel", (event) => event.preventDefault());
  $("new-app").addEventListener("click", () => newApp().catch((error) => announce(error.message)));
  $("delete-app").addEventListener("click", (event) => deleteApp(event.currentTarget));
  $("clock-form").addEventListener("submit", advanceClock);
  $("clock-freeze").addEventListener("click", (event) => {
    const frozen = event.currentTarget.getAttribute("aria-pressed") === "true";
    moveClock({ freeze: !frozen }, frozen ? "The clock runs again." : "The clock is frozen.").catch((error) => announce(error.message));
  });
  $("clock-system").addEventListener("click", () =>
    moveClock({ system: true }, "Back to the real clock.").catch((error) => announce(error.message)),
  );
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.addEventListener("close", restoreFocus);
    for (const button of dialog.querySelectorAll("[data-close]")) {
      button.addEventListener("click", () => closeDialog(dialog));
    }
  }
  $("journal-family").addEventListener("change", tick);
  $("journal-status").addEventListener("change", tick);
  $("journal-live").addEventListener("click", (event) => {
    state.live = !state.live;
    event.currentTarget.setAttribute("aria-pressed", String(state.live));
    announce(state.live ? "Live updates on." : "Live updates paused.");
    if (state.live) tick();
    schedule();
  });
  $("journal-clear").addEventListener("click", async () => {
    await control("DELETE", "/requests");
    await tick();
    announce("Journal cleared.");
  });
  for (const radio of document.querySelectorAll("input[name=kind]")) radio.addEventListener("change", showFaultKind);
  $("fault-form").addEventListener("submit", addFault);
  $("faults-clear").addEventListener("click", async () => {
    await control("DELETE", "/faults");
    await refreshFaults();
    announce("Every fault removed.");
  });
  $("settings-reveal").addEventListener("click", (event) => {
    state.revealSettings = !state.revealSettings;
    const button = event.currentTarget;
    button.setAttribute("aria-pressed", String(state.revealSettings));
    renderSettings();
  });
  $("settings-copy").addEventListener("click", () => copyText(state.settingsText, "Settings"));
  $("snapshot-download").addEventListener("click", (event) => downloadSnapshot(event.currentTarget));
  $("state-reset").addEventListener("click", (event) => resetState(event.currentTarget));
}

async function start() {
  wire();
  showFaultKind();
  try {
    state.info = await control("GET", "/info");
    $("version").textContent = `v${state.info.version}`;
    await refreshClients();
    await tick();
  } catch (error) {
    $("load-error").textContent = `The console could not load: ${error.message}`;
    $("load-error").hidden = false;
  }
  document.documentElement.dataset.ready = "true";
  schedule();
}

start();
