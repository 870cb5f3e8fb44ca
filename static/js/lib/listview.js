// A paginated list from an /api/v1 list endpoint: loading, empty and error states, the pager,
// and its filters kept in the address bar. Pages give it how to draw the items.

import { fetchPage } from "./api.js";
import { notBusy, showState } from "./dom.js";
import { readListState, renderPager, writeListState } from "./pager.js";

// listView({
//   container, pagerContainer,       elements for the items and the pager
//   path: "/datasets",                the list endpoint
//   defaults: {search: "", page: 1},  filters (read from and written to the address bar)
//   pageSize: 25, label: "Datasets pages",
//   render(container, data, state),   draws data.items (called only when there are items)
//   empty(state) -> {title, text, actions},
//   urlState: true                    false keeps the state out of the address bar
//   onLoad(data)                      after every successful load
//   toQuery(filters) -> query         the API query for the filters (default: as they are)
// }) -> {state, load(), update(patch)}
export function listView(options) {
  const { container, pagerContainer, path, defaults, pageSize, label } = options;
  const urlState = options.urlState !== false;
  const state = urlState ? readListState(defaults) : { ...defaults };
  const toQuery = options.toQuery || ((filters) => filters);
  let controller = null;
  let hasShownItems = false;

  async function load({ quiet = false } = {}) {
    if (controller) controller.abort();
    controller = new AbortController();
    const { signal } = controller;
    if (!hasShownItems && !quiet) showState(container, "loading", { text: "Loading…" });
    else container.setAttribute("aria-busy", "true");
    try {
      const query = toQuery(filtersOf(state));
      const data = await fetchPage(path, { ...query, page: state.page, pageSize, signal });
      if (data.items.length === 0 && data.total > 0 && state.page > 1) {
        // the page emptied under us (rows deleted): show the last one instead
        state.page = data.pages;
        return load({ quiet });
      }
      if (data.items.length === 0) {
        hasShownItems = false;
        showState(container, "empty", options.empty(state));
      } else {
        hasShownItems = true;
        options.render(container, data, state);
        notBusy(container);
      }
      if (pagerContainer) {
        renderPager(pagerContainer, data, { label, onPage: (page) => update({ page }) });
      }
      if (options.onLoad) options.onLoad(data);
      return data;
    } catch (error) {
      if (error.name === "AbortError") return null;
      if (quiet && hasShownItems) return null; // a background refresh failed: keep what is shown
      hasShownItems = false;
      const retry = document.createElement("button");
      retry.type = "button";
      retry.textContent = "Try again";
      retry.addEventListener("click", () => load());
      const actions = [retry];
      if (error.status === 401) actions.unshift(signInLink());
      showState(container, "error", {
        title: "This list could not be loaded",
        text: error.message,
        actions,
      });
      return null;
    }
  }

  function update(patch) {
    const filterChanged = Object.keys(patch).some((name) => name !== "page");
    Object.assign(state, patch);
    if (filterChanged && !("page" in patch)) state.page = 1;
    if (urlState) writeListState(state, defaults);
    return load();
  }

  return { state, load, update };
}

// Back to this page after signing in again (the session expired, or the user signed out elsewhere).
function signInLink() {
  const link = document.createElement("a");
  link.className = "button primary";
  link.href = `/login/?next=${encodeURIComponent(window.location.pathname + window.location.search)}`;
  link.textContent = "Sign in again";
  return link;
}

function filtersOf(state) {
  const { page, ...filters } = state;
  return filters;
}
