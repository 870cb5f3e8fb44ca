// Settings → API keys: create a key (its secret shown once, with a copy button), list the keys,
// revoke one after confirming.

import { api } from "../lib/api.js";
import { dataTable, h, replaceChildren } from "../lib/dom.js";
import { confirmDialog, toast, toastError } from "../lib/feedback.js";
import { formatDateTime, timeElement } from "../lib/format.js";
import { clearErrors, showErrors } from "../lib/forms.js";
import { listView } from "../lib/listview.js";
import { copySecret } from "../lib/secret.js";

const DAY_MS = 24 * 60 * 60 * 1000;

const form = document.getElementById("key-form");
const nameInput = document.getElementById("key-name");
const expiry = document.getElementById("key-expiry");
const expiryDate = document.getElementById("key-expiry-date");
const newKey = document.getElementById("new-key");
const newKeyValue = document.getElementById("new-key-value");

const list = listView({
  container: document.getElementById("key-list"),
  pagerContainer: document.getElementById("key-pager"),
  path: "/api-keys",
  defaults: { page: 1 },
  pageSize: 50,
  label: "Key list pages",
  urlState: false,
  render: renderKeys,
  empty: () => ({ title: "No keys yet", text: "Create one above to call the API from a script." }),
});

function keyStatus(key) {
  if (key.revoked_at) return "revoked";
  if (key.expires_at && new Date(key.expires_at) <= new Date()) return "expired";
  return "active";
}

function renderKeys(container, data) {
  const rows = data.items.map((key) => {
    const status = keyStatus(key);
    const revoke =
      status === "active"
        ? h(
            "button",
            { type: "button", class: "small", "aria-label": `Revoke ${key.name}`, dataset: { testid: "revoke-key" } },
            "Revoke",
          )
        : null;
    if (revoke) revoke.addEventListener("click", () => revokeKey(key));
    return h(
      "tr",
      { class: status === "active" ? undefined : "is-revoked", dataset: { testid: "key-row", prefix: key.prefix } },
      h("td", {}, h("span", { class: "row-title" }, key.name)),
      h("td", { class: "mono", "data-label": "Prefix" }, `rly_${key.prefix}_…`),
      h("td", { "data-label": "Scopes" }, key.scopes.map((scope) => h("span", { class: "chip" }, scope))),
      h("td", { class: "nowrap", "data-label": "Created" }, timeElement(key.created_at)),
      h("td", { class: "nowrap", "data-label": "Last used" }, key.last_used_at ? timeElement(key.last_used_at) : "never"),
      h(
        "td",
        { class: "nowrap", "data-label": "Status" },
        h("span", { class: `badge ${status}` }, status),
        status === "active" && key.expires_at
          ? h("div", { class: "muted" }, `until ${formatDateTime(key.expires_at)}`)
          : null,
        status === "revoked" ? h("div", { class: "muted" }, formatDateTime(key.revoked_at)) : null,
      ),
      h("td", {}, h("div", { class: "row-actions" }, revoke)),
    );
  });
  replaceChildren(container, dataTable(["Name", "Prefix", "Scopes", "Created", "Last used", "Status", ""], rows));
}

async function revokeKey(key) {
  const confirmed = await confirmDialog({
    title: `Revoke “${key.name}”?`,
    message:
      `Anything using rly_${key.prefix}_… gets 401 from now on. This cannot be undone; ` +
      "the key stays in this list as revoked.",
    confirmLabel: "Revoke key",
    danger: true,
  });
  if (!confirmed) return;
  try {
    await api.delete(`/api-keys/${key.id}`);
    toast(`Revoked “${key.name}”.`);
    await list.load({ quiet: true });
  } catch (error) {
    toastError(error);
  }
}

function expiresAt() {
  if (expiry.value === "") return null;
  if (expiry.value === "date") {
    if (!expiryDate.value) return undefined;
    const [year, month, day] = expiryDate.value.split("-").map(Number);
    return new Date(year, month - 1, day, 23, 59, 59).toISOString(); // the end of that day, here
  }
  return new Date(Date.now() + Number(expiry.value) * DAY_MS).toISOString();
}

expiry.addEventListener("change", () => {
  expiryDate.hidden = expiry.value !== "date";
  if (!expiryDate.hidden) expiryDate.focus();
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const scopes = [...form.querySelectorAll('input[name="scopes"]:checked')].map((box) => box.value);
  const expires = expiresAt();
  if (expires === undefined) {
    document.getElementById("key-expires_at-error").textContent = "Pick the day the key should stop working.";
    expiryDate.focus();
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const created = await api.post("/api-keys", {
      name: nameInput.value.trim(),
      scopes,
      expires_at: expires,
    });
    form.reset();
    expiryDate.hidden = true;
    newKeyValue.textContent = created.key;
    newKey.hidden = false;
    newKey.focus();
    await list.load({ quiet: true });
  } catch (error) {
    for (const message of showErrors(form, error, { prefix: "key" })) toast(message, { kind: "error" });
  } finally {
    button.disabled = false;
  }
});

document.getElementById("copy-key").addEventListener("click", () => copySecret(newKeyValue, { what: "key" }));

document.getElementById("dismiss-key").addEventListener("click", () => {
  newKeyValue.textContent = "";
  newKey.hidden = true;
  nameInput.focus();
});

list.load();
