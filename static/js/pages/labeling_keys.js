// The labeling page's keyboard map (listed for people in the `?` dialog of
// templates/annotations/_labeling.html). Keys are ignored while a field has the focus; Tab moves
// between regions only while the waveform has it, so the rest of the page stays reachable by Tab.
// Part of labeling.js.

import { isTyping } from "../lib/shortcuts.js";

const SEEK_MS = 100;
const SEEK_LONG_MS = 1000;

// actions: {typeKey(n), playPause(), seekBy(ms), markStart(), markEnd(), step(+1|-1),
// removeSelected(), undo(), redo(), file(+1|-1), cue(+1|-1), zoom(factor), fit(), escape(),
// help()}; waveform: the element whose focus makes Tab step between regions.
export function bindKeys(actions, waveform) {
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.metaKey) return;
    const choice = event.target instanceof HTMLInputElement && ["radio", "checkbox"].includes(event.target.type);
    if (isTyping(event.target) && !choice) return;
    if (choice && event.key.startsWith("Arrow")) return; // arrows move between the types
    if (document.querySelector("dialog[open]")) return; // the dialog handles its own keys
    const handler = handlerFor(event, actions, waveform);
    if (!handler) return;
    event.preventDefault();
    handler();
  });
}

function handlerFor(event, actions, waveform) {
  const { key, shiftKey, ctrlKey } = event;
  if (ctrlKey) {
    const letter = key.toLowerCase();
    if (letter === "z") return shiftKey ? actions.redo : actions.undo;
    if (letter === "y") return actions.redo;
    return null;
  }
  if (/^[1-9]$/.test(key)) return () => actions.typeKey(Number(key));
  switch (key) {
    case " ":
      return actions.playPause;
    case "ArrowLeft":
      return () => actions.seekBy(shiftKey ? -SEEK_LONG_MS : -SEEK_MS);
    case "ArrowRight":
      return () => actions.seekBy(shiftKey ? SEEK_LONG_MS : SEEK_MS);
    case "[":
      return actions.markStart;
    case "]":
      return actions.markEnd;
    case "Tab":
      return event.target === waveform ? () => actions.step(shiftKey ? -1 : 1) : null;
    case "Delete":
    case "Backspace":
      return actions.removeSelected;
    case "n":
      return () => actions.file(1);
    case "p":
      return () => actions.file(-1);
    case ".":
      return () => actions.cue(1);
    case ",":
      return () => actions.cue(-1);
    case "+":
    case "=":
      return () => actions.zoom(0.5);
    case "-":
      return () => actions.zoom(2);
    case "0":
      return actions.fit;
    case "Escape":
      return actions.escape;
    case "?":
      return actions.help;
    default:
      return null;
  }
}
