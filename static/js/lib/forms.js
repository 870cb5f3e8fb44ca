// Showing an API's 422 items next to the fields they are about. A field's message goes into the
// element `#<prefix>-<field>-error` (for nested fields, the most specific one that exists:
// "artifact_types-1-color", then "artifact_types-1", then "artifact_types"), and the input it
// describes (aria-describedby) gets aria-invalid. Whatever has no place is returned.

import { ApiError } from "./api.js";

export function clearErrors(form) {
  for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

// Returns the messages that found no slot (to show elsewhere), or [error.message] when the error
// is not a validation error.
export function showErrors(form, error, { prefix }) {
  if (!(error instanceof ApiError) || error.status !== 422) return [error.message];
  const unplaced = [];
  let first = null;
  for (const [key, message] of Object.entries(error.fieldErrors)) {
    const slot = slotFor(form, prefix, key.split("."));
    if (!slot) {
      unplaced.push(key ? `${key}: ${message}` : message);
      continue;
    }
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    // the input the message is about: among those the slot describes, the one whose
    // data-field names the last part of the key, else the first
    const described = `[aria-describedby~="${slot.id}"]`;
    const field = key.split(".").pop();
    const input = form.querySelector(`${described}[data-field="${field}"]`) || form.querySelector(described);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      first = first || input;
    }
  }
  if (first && typeof first.focus === "function") first.focus();
  return unplaced;
}

function slotFor(form, prefix, parts) {
  for (let length = parts.length; length > 0; length -= 1) {
    const slot = form.querySelector(`#${CSS.escape(`${prefix}-${parts.slice(0, length).join("-")}-error`)}`);
    if (slot) return slot;
  }
  return null;
}
