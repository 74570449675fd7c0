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

