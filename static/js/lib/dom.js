// Building DOM without innerHTML (user text never becomes markup), and the shared states of a
// region that loads something: loading, empty, error.

// h("a", {href: "/x", class: "button", dataset: {testid: "open"}}, "Open")
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "style") {
      // setProperty, so that custom properties ("--chip-color") work too; set through the
      // CSSOM, styles are allowed by a Content-Security-Policy that forbids style attributes
      for (const [property, propertyValue] of Object.entries(value)) {
        if (propertyValue !== undefined && propertyValue !== null) {
          element.style.setProperty(property, propertyValue);
        }
      }
    }
    else if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replaceChildren(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

// The region's content becomes a state message. kind: "loading" | "empty" | "error".
// `actions` are elements (buttons, links) shown under the text.
export function showState(container, kind, { title, text, actions = [] } = {}) {
  const box = h(
    "div",
    {
      class: `state ${kind}`,
      role: kind === "error" ? "alert" : undefined,
      dataset: { testid: `state-${kind}` },
    },
    title ? h("h3", {}, title) : null,
    text ? h("p", { class: kind === "loading" ? "loading" : undefined }, text) : null,
    actions.length ? h("div", { class: "actions" }, actions) : null,
  );
  container.setAttribute("aria-busy", kind === "loading" ? "true" : "false");
  replaceChildren(container, box);
  return box;
}

export function notBusy(container) {
  container.setAttribute("aria-busy", "false");
}

export function debounce(fn, waitMs) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), waitMs);
  };
}

// Server data a template put in a json_script tag.
export function readJsonScript(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
}

// A list table that stacks into labelled blocks in narrow windows (give cells `data-label`).
// headers: ["Name", ["Audio", {class: "num"}], …]; a header "" is a hidden "Actions" column.
// scroll: false leaves out the horizontally scrolling wrapper (it would clip drop-down menus).
export function dataTable(headers, rows, { scroll = true } = {}) {
  const headerCells = headers.map((header) => {
    const [text, attributes] = Array.isArray(header) ? header : [header, {}];
    return h("th", { scope: "col", ...attributes }, text || h("span", { class: "visually-hidden" }, "Actions"));
  });
  const table = h("table", { class: "stack" }, h("thead", {}, h("tr", {}, headerCells)), h("tbody", {}, rows));
  return scroll ? h("div", { class: "table-wrap" }, table) : table;
}
