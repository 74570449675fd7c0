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

// ---------------------------------------------------------------------------------------------
// Dialogs

function openDialog(dialog, opener) {
  state.dialogOpener = opener || document.activeElement;
  clearErrors(dialog);
  dialog.showModal();
}

function closeDialog(dialog) {
  if (dialog.open) dialog.close();
}

function restoreFocus() {
  const opener = state.dialogOpener;
  state.dialogOpener = null;
  if (opener && opener.isConnected && !opener.disabled) {
    opener.focus();
    return;
  }
  // The opener went away (its client was deleted, say): the section heading takes focus.
  const heading = $("clients-heading");
  heading.setAttribute("tabindex", "-1");
  heading.focus();
}

function clearErrors(scope) {
  for (const error of scope.querySelectorAll(".field-error")) {
    error.hidden = true;
    error.textContent = "";
  }
  for (const invalid of scope.querySelectorAll("[aria-invalid]")) invalid.removeAttribute("aria-invalid");
}

/** Shows `message` under the field `fieldId` (or the form's own error line) and focuses it. */
function showError(fieldId, formErrorId, message) {
  const target = fieldId ? $(fieldId) : null;
  const errorLine = $(target ? `${fieldId}-error` : formErrorId);
  errorLine.textContent = message;
  errorLine.hidden = false;
  if (target) {
    target.setAttribute("aria-invalid", "true");
    const focusable = target.matches("fieldset") ? target.querySelector("input") : target;
    if (focusable) focusable.focus();
  }
}

/** The client form field an API error text is about, or null for the form as a whole. */
function clientField(message) {
  if (/cidr|whitelist|ip address/i.test(message)) return "client-allowlist";
  if (/feature|login_client|metadata/i.test(message)) return "client-features";
  if (/already exists|string|required field|name/i.test(message)) return "client-name";
  return null;
}

function renderFeatureChoices(selected) {
  const names = [...state.info.assignable_features];
  for (const feature of selected) if (!names.includes(feature)) names.push(feature);
  $("client-feature-choices").replaceChildren(
    ...names.map((feature) =>
      el(
        "div",
        { class: "choice" },
        el("input", {
          type: "checkbox",
          id: `feature-${feature}`,
          name: "features",
          value: feature,
          checked: selected.includes(feature),
        }),
        el("label", { for: `feature-${feature}` }, el("code", { text: feature })),
      ),
    ),
  );
}

/** Opens the client form: empty to create a client, or filled in with `client` to edit it. */
function openClientForm(client, opener) {
  state.editing = client ? client._id : null;
  $("client-dialog-title").textContent = client ? `Edit ${client.name}` : "New client";
  $("client-save").textContent = client ? "Save" : "Create";
  $("client-name").value = client ? client.name : "";
  $("client-allowlist").value = client ? client.ipWhitelist.join("\n") : "";
  renderFeatureChoices(client ? client.features : []);
  openDialog($("client-dialog"), opener);
  $("client-name").focus();
}

async function saveClient(event) {
  event.preventDefault();
  const dialog = $("client-dialog");
  clearErrors(dialog);
  const body = {
    name: $("client-name").value,
    features: [...dialog.querySelectorAll("input[name=features]:checked")].map((box) => box.value),
  };
  const blocks = $("client-allowlist")
    .value.split(/[\n,]/)
    .map((line) => line.trim())
    .filter(Boolean);
  if (blocks.length) body.ipWhitelist = blocks;
  try {
    if (state.editing) {
      await configApi("PUT", `/${encodeURIComponent(state.editing)}`, body);
      announce(`Client ${body.name} saved.`);
    } else {
      const made = await configApi("POST", "", body);
      announce(`Client ${made.name} created with id ${made._id}.`);
    }
    closeDialog(dialog);
    await refreshClients();
  } catch (error) {
    showError(clientField(error.message), "client-form-error", error.message);
  }
}

function openSecretReset(client, opener) {
  state.resetting = client;
  $("secret-dialog-title").textContent = `Reset the secret of ${client.name}`;
  $("secret-dialog-text").textContent =
    "The client gets a new secret. The old one can keep working for a grace period, so that running code can switch over.";
  $("secret-hours").value = "0";
  openDialog($("secret-dialog"), opener);
  $("secret-hours").focus();
}

async function resetSecret(event) {
  event.preventDefault();
  const dialog = $("secret-dialog");
  clearErrors(dialog);
  const client = state.resetting;
  const raw = $("secret-hours").value.trim();
  const hours = raw === "" ? raw : Number(raw);
  try {
    await configApi("PUT", `/${encodeURIComponent(client._id)}/secret`, { hoursToLive: hours });
    closeDialog(dialog);
    state.revealed.add(`${state.appId}/${client._id}`);
    await refreshClients();
    announce(`The secret of ${client.name} was reset; the new one is shown.`);
  } catch (error) {
    const field = /greater than|integer|hours|field|null/i.test(error.message) ? "secret-hours" : null;
    showError(field, "secret-form-error", error.message);
  }
}

/** Asks before `run`; an error from `run` is shown in the dialog, which stays open. */
function confirmThen(opener, { title, text, yes, run }) {
  $("confirm-dialog-title").textContent = title;
  $("confirm-dialog-text").textContent = text;
  $("confirm-yes").textContent = yes;
  state.confirmRun = run;
  openDialog($("confirm-dialog"), opener);
  $("confirm-yes").focus();
}

async function confirmed(event) {
  event.preventDefault();
  const dialog = $("confirm-dialog");
  clearErrors(dialog);
  try {
    await state.confirmRun();
    closeDialog(dialog);
  } catch (error) {
    showError(null, "confirm-form-error", error.message);
  }
}

function openDelete(client, opener) {
  confirmThen(opener, {
    title: `Delete ${client.name}?`,
    text: `Client ${client._id} stops working at once, in both APIs.`,
    yes: "Delete",
    run: async () => {
      await configApi("DELETE", `/${encodeURIComponent(client._id)}`);
      await refreshClients();
      announce(`Client ${client.name} deleted.`);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Settings of a client, and the application's defaults

/** A setting's value as text: strings as they are, other JSON values as JSON. */
const shownValue = (value) => (typeof value === "string" ? value : JSON.stringify(value));

function ownSettingsText(client) {
  const count = Object.keys(client.settings || {}).length;
  return count === 0 ? "None of its own" : `${count} of its own`;
}

/**
 * Opens the settings editor: of `client`, with the application's defaults beside its own values
 * and the value it effectively sees, or (for `null`) of the application's defaults.
 */
function openSettings(client, opener) {
  const app = currentApp();
  const defaults = app.settings || {};
  state.settingsEdit = {
    client,
    defaults,
    original: client ? { ...(client.settings || {}) } : { ...defaults },
    draft: new Map(Object.entries(client ? client.settings || {} : defaults).map(([k, v]) => [k, shownValue(v)])),
  };
  const dialog = $("settings-dialog");
  dialog.classList.toggle("for-client", Boolean(client));
  $("settings-dialog-title").textContent = client ? `Settings of ${client.name}` : "Application settings";
  $("settings-dialog-text").textContent = client
    ? "The client's own values. Where it has none, it sees the application's default; the last column shows which value applies."
    : "The application's defaults (the Configuration API's global settings): every client sees them unless it has a value of its own.";
  $("settings-value-heading").textContent = client ? "Own value" : "Value";
  $("setting-new-key").value = "";
  $("setting-new-value").value = "";
  renderSettingRows();
  openDialog(dialog, opener);
  $("setting-new-key").focus();
}

/** What a client sees for `key` with the draft as it is: its own value, else the default. */
function effective(edit, key) {
  if (edit.draft.has(key)) return `${edit.draft.get(key)} (own value)`;
  if (key in edit.defaults) return `${shownValue(edit.defaults[key])} (default)`;
  return "not set";
}

function renderSettingRows() {
  const edit = state.settingsEdit;
  const keys = [...edit.draft.keys()];
  if (edit.client) for (const key of Object.keys(edit.defaults)) if (!edit.draft.has(key)) keys.push(key);
  const rows = $("settings-rows");
  keepingFocus(rows, () =>
    rows.replaceChildren(
      ...keys.map((key, index) => {
        const input = el("input", {
          type: "text",
          id: `setting-value-${index}`,
          "data-focus": `value:${key}`,
          autocomplete: "off",
          spellcheck: "false",
          "aria-label": edit.client ? `Own value of ${key}` : `Value of ${key}`,
          placeholder: edit.client && !edit.draft.has(key) ? "uses the default" : null,
        });
        input.value = edit.draft.has(key) ? edit.draft.get(key) : "";
        const effectiveCell = el("td", { class: "client-only", "data-effective": key, text: effective(edit, key) });
        input.addEventListener("input", () => {
          const added = !edit.draft.has(key);
          edit.draft.set(key, input.value);
          effectiveCell.textContent = effective(edit, key);
          if (!added) return;
          // The row now has an own value to remove: draw it again, the caret where it was.
          const caret = input.selectionStart;
          renderSettingRows();
          const again = $("settings-rows").querySelector(`[data-focus="${CSS.escape(`value:${key}`)}"]`);
          if (again) again.setSelectionRange(caret, caret);
        });
        const remove = edit.draft.has(key)
          ? el(
              "button",
              {
                type: "button",
                class: "small",
                "data-focus": `remove:${key}`,
                onclick: () => {
                  edit.draft.delete(key);
                  renderSettingRows();
                  announce(edit.client ? `The own value of ${key} will be removed when you save.` : `${key} will be removed when you save.`);
                },
              },
              "Remove",
              hidden(edit.client ? ` own value of ${key}` : ` ${key}`),
            )
          : null;
        return el(
          "tr",
          {},
          el("th", { scope: "row" }, el("code", { text: key })),
          el("td", {}, input),
          el("td", { class: "client-only", text: key in edit.defaults ? shownValue(edit.defaults[key]) : "—" }),
          effectiveCell,
          el("td", {}, remove),
        );
      }),
    ),
  );
  $("settings-empty").hidden = keys.length > 0;
}

function addSetting() {
  const edit = state.settingsEdit;
  clearErrors($("settings-dialog"));
  const key = $("setting-new-key").value.trim();
  if (!key) {
    showError("setting-new-key", "settings-form-error", "A setting needs a name.");
    return;
  }
  edit.draft.set(key, $("setting-new-value").value);
  $("setting-new-key").value = "";
  $("setting-new-value").value = "";
  renderSettingRows();
  announce(`${key} added; save to keep it.`);
  $("setting-new-key").focus();
}

async function saveSettings(event) {
  event.preventDefault();
  const edit = state.settingsEdit;
  const dialog = $("settings-dialog");
  clearErrors(dialog);
  const body = {};
  for (const [key, text] of edit.draft) {
    // An untouched value keeps its JSON type (a number set through the API stays a number).
    const before = edit.original[key];
    body[key] = before !== undefined && shownValue(before) === text ? before : text;
  }
  try {
    if (edit.client) {
      await configApi("PUT", `/${encodeURIComponent(edit.client._id)}/settings`, body);
      announce(`Settings of ${edit.client.name} saved.`);
    } else {
      await configCall("PUT", "/settings", body);
      announce("Application settings saved.");
    }
    closeDialog(dialog);
    await refreshClients();
  } catch (error) {
    showError(null, "settings-form-error", error.message);
  }
}

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
