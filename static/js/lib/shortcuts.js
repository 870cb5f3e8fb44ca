// Single-key shortcuts for a page, ignored while the person types in a field or a dialog is open.

export function isTyping(target) {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))
  );
}

// shortcut("/", () => search.focus()); the handler's element may carry aria-keyshortcuts.
export function shortcut(key, handler) {
  document.addEventListener("keydown", (event) => {
    if (event.key !== key || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target) || document.querySelector("dialog[open]")) return;
    event.preventDefault();
    handler(event);
  });
}

// "/" focuses the page's search box, as in most list-heavy tools.
export function slashFocuses(input) {
  input.setAttribute("aria-keyshortcuts", "/");
  shortcut("/", () => {
    input.focus();
    input.select();
  });
}
