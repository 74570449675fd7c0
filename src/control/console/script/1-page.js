// The console page of janrain-emulator: plain JavaScript, no build step, no dependencies.
//
// Everything it shows and changes goes through the emulator's control plane (/__emulator/*) or
// the Configuration API, called with an owner client's credentials taken from the snapshot, so
// that whatever the page does can be scripted the same way.
"use strict";

const CONTROL = "/__emulator";
const JOURNAL_LIMIT = 100;
const CLIENT_LIMIT = 200;
const POLL_MS = 1000;
const MASK = "••••••••••••";

const state = {
  info: null,
  snapshot: null,
  appId: null,
  revealed: new Set(),
  revealSettings: false,
  settingsText: "",
  newestRequest: undefined,
  journalNodes: new Map(),
  live: true,
  pollTimer: null,
  dialogOpener: null,
  editing: null,
  resetting: null,
  confirmRun: null,
  settingsEdit: null,
  staleClients: false,
  clientsLoadedAt: 0,
  clientsLoadMs: 0,
};

const $ = (id) => document.getElementById(id);

/** An element with attributes (`text` sets its text, `class` its class) and children. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/** Text for screen readers only. */
const hidden = (text) => el("span", { class: "visually-hidden", text });

/** A failed call: the HTTP status and the API's own message. */
class Failure extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function send(url, { method = "GET", headers = {}, body } = {}) {
  const init = { method, headers: { ...headers }, cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new Failure(0, `The emulator did not answer (${error.message}).`);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const message = (json && (json.errors || json.error)) || text || response.statusText;
    throw new Failure(response.status, typeof message === "string" ? message : JSON.stringify(message));
  }
  return json;
}

const TOKEN_KEY = "janrain-emulator-control-token";

/**
 * A control-plane call. With `--control-token`, the emulator answers 401 until the page sends
 * the token: the page asks for it once and keeps it for the tab (sessionStorage).
 */
async function control(method, path, body) {
  for (;;) {
    const token = window.sessionStorage.getItem(TOKEN_KEY);
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    try {
      return await send(CONTROL + path, { method, body, headers });
    } catch (error) {
      if (error.status !== 401) throw error;
      await askForToken(Boolean(token));
    }
  }
}

let tokenAsked = null;

/** Opens the token dialog (once, however many calls wait for it) and resolves when it is given. */
function askForToken(wrong) {
  if (!tokenAsked) {
    tokenAsked = new Promise((resolve) => {
      const dialog = $("token-dialog");
      const error = $("token-error");
      error.hidden = !wrong;
      error.textContent = wrong ? "That token was refused." : "";
      $("token-value").value = "";
      const submit = (event) => {
        event.preventDefault();
        const value = $("token-value").value.trim();
        if (!value) {
          error.textContent = "Enter the token the emulator was started with.";
          error.hidden = false;
          return;
        }
        window.sessionStorage.setItem(TOKEN_KEY, value);
        $("token-form").removeEventListener("submit", submit);
        dialog.close();
        tokenAsked = null;
        resolve();
      };
      $("token-form").addEventListener("submit", submit);
      if (!dialog.open) dialog.showModal();
      $("token-value").focus();
    });
  }
  return tokenAsked;
}

/** A Configuration API call for the chosen application's clients, as its owner client. */
const configApi = (method, path, body) => configCall(method, `/clients${path}`, body);

/** A Configuration API call under `/config/{appId}` for the chosen application, as its owner. */
function configCall(method, path, body) {
  const app = currentApp();
  const owner = ownerOf(app);
  if (!owner) throw new Failure(0, "No owner client in this application.");
  const authorization = "Basic " + btoa(`${owner._id}:${owner._secret}`);
  return send(`/config/${encodeURIComponent(app.app_id)}${path}`, {
    method,
    headers: { Authorization: authorization },
    body,
  });
}

function announce(text) {
  const announcer = $("announcer");
  announcer.textContent = "";
  window.requestAnimationFrame(() => {
    announcer.textContent = text;
  });
}

async function copyText(text, what) {
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    const area = el("textarea", { class: "visually-hidden", readonly: true });
    area.value = text;
    document.body.append(area);
    area.select();
    try {
      copied = document.execCommand("copy");
    } catch {
      copied = false;
    }
    area.remove();
  }
  announce(copied ? `${what} copied.` : `${what} could not be copied; select it and copy by hand.`);
}

// ---------------------------------------------------------------------------------------------
// Applications and clients

function currentApp() {
  const apps = state.snapshot ? state.snapshot.apps : [];
  return apps.find((app) => app.app_id === state.appId) || apps[0] || null;
}

/** The owner client the page acts as: the one made at start if it is there, else the first. */
function ownerOf(app) {
  if (!app) return null;
  const owners = app.clients.filter((client) => (client.features || []).includes("owner"));
  const preferred = state.info && state.info.owner_client_id;
  return owners.find((client) => client._id === preferred) || owners[0] || null;
}

async function refreshClients() {
  const started = performance.now();
  state.staleClients = false;
  state.snapshot = await control("GET", "/snapshot");
  state.clientsLoadedAt = performance.now();
  state.clientsLoadMs = state.clientsLoadedAt - started;
  const apps = state.snapshot.apps;
  if (!apps.some((app) => app.app_id === state.appId)) {
    const fallback = apps.find((app) => app.app_id === state.info.default_app_id) || apps[0];
    state.appId = fallback ? fallback.app_id : null;
  }
  renderApps();
  renderClients();
  renderSettings();
}

function renderApps() {
  const select = $("app-select");
  const ids = state.snapshot.apps.map((app) => app.app_id);
  const current = [...select.options].map((option) => option.value);
  if (ids.join("\n") !== current.join("\n")) {
    select.replaceChildren(
      ...state.snapshot.apps.map((app) =>
        el("option", {
          value: app.app_id,
          text: app.app_id === state.info.default_app_id ? `${app.app_id} (default)` : app.app_id,
        }),
      ),
    );
  }
  select.value = state.appId || "";
}

/** Re-renders `container`, giving focus back to the control that had it. */
function keepingFocus(container, render) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.focus : null;
  render();
  if (key) {
    const again = container.querySelector(`[data-focus="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }
}

function renderClients() {
  const app = currentApp();
  const owner = ownerOf(app);
  const list = $("client-list");
  $("no-owner").hidden = !app || Boolean(owner);
  $("new-client").disabled = !owner;
  $("delete-app").disabled = !app || app.app_id === state.info.default_app_id;
  $("app-settings").disabled = !owner;
  if (!app) {
    list.replaceChildren();
    $("app-summary").textContent = "No application.";
    $("client-count").textContent = "";
    return;
  }
  const domains = app.capture_domains.length
    ? `Capture domains: ${app.capture_domains.join(", ")} (legacy calls with one of them as Host come here).`
    : "No capture domain.";
  const isDefault = app.app_id === state.info.default_app_id;
  $("app-summary").textContent = [
    domains,
    isDefault ? "The default application: legacy calls to any other host come here." : "",
    owner ? `The page acts as owner client ${owner._id}.` : "",
  ]
    .filter(Boolean)
    .join(" ");

  const filter = $("client-filter").value.trim().toLowerCase();
  const matching = app.clients.filter(
    (client) =>
      !filter ||
      client.name.toLowerCase().includes(filter) ||
      client._id.toLowerCase().includes(filter) ||
      client.features.some((feature) => feature.includes(filter)),
  );
  const shown = matching.slice(0, CLIENT_LIMIT);
  keepingFocus(list, () => list.replaceChildren(...shown.map((client) => clientCard(app, client, owner))));
  const total = app.clients.length;
  let count = `${total} client${total === 1 ? "" : "s"}`;
  if (filter) count += `, ${matching.length} matching`;
  if (shown.length < matching.length) count += `; showing the first ${shown.length}, filter to find others`;
  $("client-count").textContent = count + ".";
}

function clientCard(app, client, owner) {
  const key = `${app.app_id}/${client._id}`;
  const revealed = state.revealed.has(key);
  const headingId = `client-${client._id}`;
  const canChange = Boolean(owner);
  const isOwner = owner && owner._id === client._id;
  const previous = client._previousSecret;

  const secretValue = revealed
    ? el("code", { class: "value", text: client._secret })
    : el("span", { class: "value" }, el("span", { "aria-hidden": "true", text: MASK }), hidden("hidden"));

  const features = client.features.length
    ? el("ul", { class: "tags" }, client.features.map((feature) => el("li", { text: feature })))
    : el("span", { text: "none" });
  const allowlist = el("ul", { class: "tags" }, client.ipWhitelist.map((block) => el("li", { text: block })));

  return el(
    "li",
    { class: "card", "data-client-id": client._id },
    el(
      "article",
      { "aria-labelledby": headingId },
      el("h3", { id: headingId, text: client.name }),
      isOwner ? el("p", { class: "badges" }, el("span", { class: "badge", text: "the page calls the API as this client" })) : null,
      el(
        "dl",
        {},
        el("dt", { text: "Client id" }),
        el(
          "dd",
          {},
          el("code", { class: "value mono", text: client._id }),
          el(
            "button",
            {
              type: "button",
              class: "small",
              "data-focus": `${client._id}:copy-id`,
              onclick: () => copyText(client._id, `Client id of ${client.name}`),
            },
            "Copy id",
            hidden(` of ${client.name}`),
          ),
        ),
        el("dt", { text: "Secret" }),
        el(
          "dd",
          {},
          secretValue,
          el(
            "button",
            {
              type: "button",
              class: "small",
              "aria-pressed": String(revealed),
              "data-focus": `${client._id}:reveal`,
              onclick: () => {
                if (state.revealed.has(key)) state.revealed.delete(key);
                else state.revealed.add(key);
                renderClients();
              },
            },
            "Show secret",
            hidden(` of ${client.name}`),
          ),
          el(
            "button",
            {
              type: "button",
              class: "small",
              "data-focus": `${client._id}:copy-secret`,
              onclick: () => copyText(client._secret, `Secret of ${client.name}`),
            },
            "Copy secret",
            hidden(` of ${client.name}`),
          ),
        ),
        el("dt", { text: "Features" }),
        el("dd", {}, features),
        el("dt", { text: "Allowlist" }),
        el("dd", {}, allowlist),
        el("dt", { text: "Settings" }),
        el("dd", {}, ownSettingsText(client)),
        el("dt", { text: "Previous secret" }),
        el(
          "dd",
          { class: previous ? "grace" : "" },
          previous ? `In its grace period, works until ${previous.expiresAt}` : "None",
        ),
      ),
      el(
        "div",
        { class: "actions" },
        el(
          "button",
          { type: "button", disabled: !canChange, "data-focus": `${client._id}:edit`, onclick: (event) => openClientForm(client, event.currentTarget) },
          "Edit",
          hidden(` ${client.name}`),
        ),
        el(
          "button",
          { type: "button", disabled: !canChange, "data-focus": `${client._id}:settings`, onclick: (event) => openSettings(client, event.currentTarget) },
          "Settings",
          hidden(` of ${client.name}`),
        ),
        el(
          "button",
          { type: "button", disabled: !canChange, "data-focus": `${client._id}:reset`, onclick: (event) => openSecretReset(client, event.currentTarget) },
          "Reset secret",
          hidden(` of ${client.name}`),
        ),
        el(
          "button",
          { type: "button", class: "danger", disabled: !canChange, "data-focus": `${client._id}:delete`, onclick: (event) => openDelete(client, event.currentTarget) },
          "Delete",
          hidden(` ${client.name}`),
        ),
      ),
    ),
  );
}

