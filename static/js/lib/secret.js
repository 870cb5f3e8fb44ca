// A secret shown once (an API key, a webhook's signing secret): copy it to the clipboard, or, where
// there is no clipboard API (a plain-http address other than localhost), select it for Ctrl+C.

import { toast } from "./feedback.js";

export async function copySecret(output, { what }) {
  try {
    await navigator.clipboard.writeText(output.textContent);
  } catch {
    const range = document.createRange();
    range.selectNodeContents(output);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    toast(`Press Ctrl+C (⌘C) to copy the selected ${what}.`);
    return;
  }
  toast(`${what[0].toUpperCase()}${what.slice(1)} copied to the clipboard.`);
}
