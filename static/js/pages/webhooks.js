// Settings → Webhooks: add one (its signing secret shown once), list them, ping, switch on or off,
// delete after confirming, and read a webhook's delivery log.

import { api } from "../lib/api.js";
import { dataTable, h, replaceChildren } from "../lib/dom.js";
import { confirmDialog, toast, toastError } from "../lib/feedback.js";
import { timeElement } from "../lib/format.js";
import { clearErrors, showErrors } from "../lib/forms.js";
import { listView } from "../lib/listview.js";
import { copySecret } from "../lib/secret.js";

const form = document.getElementById("webhook-form");
const urlInput = document.getElementById("webhook-url");
const newSecret = document.getElementById("new-secret");
const newSecretValue = document.getElementById("new-secret-value");
const deliveriesCard = document.getElementById("deliveries");
let deliveries = null;

const list = listView({
  container: document.getElementById("webhook-list"),
  pagerContainer: document.getElementById("webhook-pager"),
  path: "/webhooks",
  defaults: { page: 1 },
  pageSize: 50,
  label: "Webhook list pages",
  urlState: false,
  render: renderWebhooks,
  empty: () => ({ title: "No webhooks yet", text: "Add one above to hear about finished work." }),
});

function button(label, name, onClick, extra = {}) {
  const element = h("button", { type: "button", class: "small", "aria-label": name, ...extra }, label);
  element.addEventListener("click", onClick);
  return element;
}

function renderWebhooks(container, data) {
  const rows = data.items.map((webhook) => {
    const state = webhook.is_active ? "active" : "paused";
    return h(
      "tr",
      { class: webhook.is_active ? undefined : "is-revoked", dataset: { testid: "webhook-row" } },
      h(
        "td",
        {},
        h("span", { class: "row-title mono" }, webhook.url),
        webhook.description ? h("div", { class: "muted" }, webhook.description) : null,
      ),
      h("td", { "data-label": "Events" }, webhook.events.map((event) => h("span", { class: "chip" }, event))),
      h("td", { class: "nowrap", "data-label": "Created" }, timeElement(webhook.created_at)),
      h("td", { class: "nowrap", "data-label": "Status" }, h("span", { class: `badge ${state}` }, state)),
      h(
        "td",
        {},
        h(
          "div",
          { class: "row-actions" },
          button("Ping", `Ping ${webhook.url}`, () => ping(webhook), { dataset: { testid: "ping-webhook" } }),
          button("Deliveries", `Deliveries of ${webhook.url}`, () => showDeliveries(webhook), {
            dataset: { testid: "show-deliveries" },
          }),
          button(webhook.is_active ? "Pause" : "Resume", `${webhook.is_active ? "Pause" : "Resume"} ${webhook.url}`, () =>
            setActive(webhook, !webhook.is_active),
          ),
          button("Delete", `Delete ${webhook.url}`, () => remove(webhook), { dataset: { testid: "delete-webhook" } }),
        ),
      ),
    );
  });
  replaceChildren(container, dataTable(["URL", "Events", "Created", "Status", ""], rows));
}

function deliveryOutcome(delivery) {
  if (delivery.response_status) return `HTTP ${delivery.response_status}`;
  return delivery.error || "—";
}

function renderDeliveries(container, data) {
  const rows = data.items.map((delivery) =>
    h(
      "tr",
      { dataset: { testid: "delivery-row" } },
      h("td", { class: "mono" }, delivery.event_type),
      h("td", { "data-label": "Attempt" }, String(delivery.attempt)),
      h("td", { "data-label": "Status" }, h("span", { class: `badge ${delivery.status}` }, delivery.status)),
      h("td", { "data-label": "Answer" }, deliveryOutcome(delivery), delivery.will_retry ? " (will retry)" : ""),
      h("td", { class: "nowrap", "data-label": "When" }, timeElement(delivery.attempted_at || delivery.scheduled_at)),
    ),
  );
  replaceChildren(container, dataTable(["Event", "Attempt", "Status", "Answer", "When"], rows));
}

async function showDeliveries(webhook) {
  deliveriesCard.hidden = false;
  document.getElementById("deliveries-heading").textContent = `Deliveries to ${webhook.url}`;
  deliveries = listView({
    container: document.getElementById("delivery-list"),
    pagerContainer: document.getElementById("delivery-pager"),
    path: `/webhooks/${webhook.id}/deliveries`,
    defaults: { page: 1 },
    pageSize: 25,
    label: "Delivery pages",
    urlState: false,
    render: renderDeliveries,
    empty: () => ({ title: "Nothing delivered yet", text: "Ping the webhook to send a test event." }),
  });
  await deliveries.load();
  deliveriesCard.scrollIntoView({ block: "nearest" });
}

async function ping(webhook) {
  try {
    const delivery = await api.post(`/webhooks/${webhook.id}/ping`);
    const outcome = deliveryOutcome(delivery);
    toast(`Ping ${delivery.status}: ${outcome}.`, { kind: delivery.status === "succeeded" ? "info" : "error" });
    await showDeliveries(webhook);
  } catch (error) {
    toastError(error);
  }
}

async function setActive(webhook, isActive) {
  try {
    await api.patch(`/webhooks/${webhook.id}`, { is_active: isActive });
    toast(isActive ? "Webhook resumed." : "Webhook paused: it hears nothing until resumed.");
    await list.load({ quiet: true });
  } catch (error) {
    toastError(error);
  }
}

async function remove(webhook) {
  const confirmed = await confirmDialog({
    title: "Delete this webhook?",
    message: `${webhook.url} hears nothing more, and its delivery log goes too.`,
    confirmLabel: "Delete webhook",
    danger: true,
  });
  if (!confirmed) return;
  try {
    await api.delete(`/webhooks/${webhook.id}`);
    toast("Webhook deleted.");
    deliveriesCard.hidden = true;
    await list.load({ quiet: true });
  } catch (error) {
    toastError(error);
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const events = [...form.querySelectorAll('input[name="events"]:checked')].map((box) => box.value);
  const submit = form.querySelector('button[type="submit"]');
  submit.disabled = true;
  try {
    const created = await api.post("/webhooks", {
      url: urlInput.value.trim(),
      events,
      description: document.getElementById("webhook-description").value.trim(),
    });
    form.reset();
    newSecretValue.textContent = created.secret;
    newSecret.hidden = false;
    newSecret.focus();
    await list.load({ quiet: true });
  } catch (error) {
    for (const message of showErrors(form, error, { prefix: "webhook" })) toast(message, { kind: "error" });
  } finally {
    submit.disabled = false;
  }
});

document.getElementById("copy-secret").addEventListener("click", () => copySecret(newSecretValue, { what: "secret" }));

document.getElementById("dismiss-secret").addEventListener("click", () => {
  newSecretValue.textContent = "";
  newSecret.hidden = true;
  urlInput.focus();
});

list.load();
