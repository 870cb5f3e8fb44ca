// Messages to the person at the screen: short toasts in the shell's live region, and a confirm
// dialog (a real <dialog>, so focus is trapped and Escape cancels).

import { h } from "./dom.js";

const TOAST_MS = 5000;

// kind: "info" | "error". Errors stay until dismissed; others fade after a few seconds.
export function toast(message, { kind = "info" } = {}) {
  const region = document.getElementById("toasts");
  if (!region) return;
  const close = h("button", { type: "button", "aria-label": "Dismiss message" }, "×");
  const item = h(
    "div",
    { class: `toast ${kind}`, role: kind === "error" ? "alert" : undefined },
    h("span", {}, message),
    close,
  );
  close.addEventListener("click", () => item.remove());
  region.append(item);
  if (kind !== "error") setTimeout(() => item.remove(), TOAST_MS);
}

export function toastError(error) {
  toast(error.message || String(error), { kind: "error" });
}

// Resolves true when the person confirms, false on Cancel or Escape.
// confirmDialog({title: "Publish set?", message: "…", confirmLabel: "Publish", danger: false})
export function confirmDialog({ title, message, confirmLabel = "Confirm", danger = false }) {
  return new Promise((resolve) => {
    const cancel = h("button", { type: "button", value: "cancel" }, "Cancel");
    const confirm = h(
      "button",
      {
        type: "submit",
        value: "confirm",
        class: danger ? "danger" : "primary",
        dataset: { testid: "confirm" },
      },
      confirmLabel,
    );
    const titleId = `dialog-title-${Date.now()}`;
    const dialog = h(
      "dialog",
      { "aria-labelledby": titleId, dataset: { testid: "confirm-dialog" } },
      h(
        "form",
        { method: "dialog" },
        h("h2", { id: titleId }, title),
        message ? h("p", {}, message) : null,
        h("div", { class: "form-actions" }, confirm, cancel),
      ),
    );
    cancel.addEventListener("click", () => dialog.close("cancel"));
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "confirm");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    (danger ? cancel : confirm).focus();
  });
}
