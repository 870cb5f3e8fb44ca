// Pagination controls for a list page, and the list's state (search, filters, page) kept in the
// address bar so that reload, back and a shared link show the same list.

import { h, replaceChildren } from "./dom.js";

// Renders "1–50 of 230" and previous/next buttons into `container` for a page as fetchPage()
// returns it; onPage(n) is called with the page to show. `label` names the list for screen readers.
export function renderPager(container, data, { onPage, label = "List pages" }) {
  if (!data || data.total === 0 || data.pages <= 1) {
    replaceChildren(container, data && data.total ? summary(data) : "");
    return;
  }
  const previous = h(
    "button",
    { type: "button", class: "small", disabled: data.page <= 1, dataset: { testid: "page-previous" } },
    "← Previous",
  );
  const next = h(
    "button",
    { type: "button", class: "small", disabled: !data.has_more, dataset: { testid: "page-next" } },
    "Next →",
  );
  previous.addEventListener("click", () => onPage(data.page - 1));
  next.addEventListener("click", () => onPage(data.page + 1));
  replaceChildren(
    container,
    summary(data),
    h(
      "nav",
      { class: "actions", "aria-label": label },
      previous,
      h("span", {}, `Page ${data.page} of ${data.pages}`),
      next,
    ),
  );
}

function summary(data) {
  const first = (data.page - 1) * data.page_size + 1;
  const last = Math.min(data.total, first + data.items.length - 1);
  return h("span", { dataset: { testid: "pager-summary" } }, `${first}–${last} of ${data.total.toLocaleString()}`);
}

// The list's state from the address bar: {search: "…", page: 2, …} for the names given, with
// `defaults` for absent ones; "page" is a whole number of at least 1.
export function readListState(defaults) {
  const params = new URLSearchParams(window.location.search);
  const state = { ...defaults };
  for (const name of Object.keys(defaults)) {
    if (params.has(name)) state[name] = params.get(name);
  }
  if ("page" in state) state.page = Math.max(1, Number.parseInt(state.page, 10) || 1);
  return state;
}

// Puts the state in the address bar (replacing the entry: typing a search makes no history),
// leaving out values equal to their defaults.
export function writeListState(state, defaults) {
  const params = new URLSearchParams(window.location.search);
  for (const [name, value] of Object.entries(state)) {
    if (value === defaults[name] || value === "" || value === null || value === undefined) {
      params.delete(name);
    } else {
      params.set(name, String(value));
    }
  }
  const search = params.toString();
  window.history.replaceState(null, "", `${window.location.pathname}${search ? `?${search}` : ""}`);
}
