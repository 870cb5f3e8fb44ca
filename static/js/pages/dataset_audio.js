// The dataset page's audio list: status, duration, format, metadata; filters by name, status and
// metadata; pages; refreshed while any listed file is still on its way. Part of dataset.js.

import { dataTable, debounce, h, replaceChildren } from "../lib/dom.js";
import { formatBytes, formatDuration, plural, timeElement } from "../lib/format.js";
import { listView } from "../lib/listview.js";
import { slashFocuses } from "../lib/shortcuts.js";
import { pageUrls } from "../lib/urls.js";

const REFRESH_MS = 2000;
const STATUS_TEXT = { pending: "waiting for upload", processing: "processing", ready: "ready", failed: "failed" };

// "voice=anna, take=2" -> {"metadata.voice": "anna", "metadata.take": "2"}
export function metadataQuery(text) {
  const query = {};
  for (const part of text.split(",")) {
    const [key, ...rest] = part.split("=");
    if (key.trim() && rest.length) query[`metadata.${key.trim()}`] = rest.join("=").trim();
  }
  return query;
}

// setupAudioList({datasetId, form, container, pagerContainer, summary, labelTarget})
// labelTarget() -> a draft set id to open files in, or null. Returns {reload()}.
export function setupAudioList({ datasetId, form, container, pagerContainer, summary, labelTarget }) {
  const search = form.elements.search;
  const status = form.elements.processing_status;
  const metadata = form.elements.metadata;
  let refreshTimer = null;

  const list = listView({
    container,
    pagerContainer,
    path: `/datasets/${datasetId}/audio`,
    defaults: { search: "", processing_status: "", metadata: "", page: 1 },
    pageSize: 50,
    label: "Audio list pages",
    toQuery: ({ metadata: text, ...filters }) => ({ ...filters, ...metadataQuery(text) }),
    render,
    empty: (state) =>
      state.search || state.processing_status || state.metadata
        ? { title: "No audio matches these filters", text: "Change or clear the filters above." }
        : { title: "No audio yet", text: "Drop audio files on the upload area above; they are listed here as they arrive." },
    onLoad: (data) => {
      summary.textContent = plural(data.total, "file");
      // Files being processed are refreshed; pending ones wait for an upload this page
      // started (which reports itself), or for one that may never come.
      scheduleRefresh(data.items.some((audio) => audio.processing_status === "processing"));
    },
  });

  function scheduleRefresh(needed) {
    clearTimeout(refreshTimer);
    if (needed) refreshTimer = setTimeout(() => list.load({ quiet: true }), REFRESH_MS);
  }

  function render(target, data) {
    const setId = labelTarget();
    const rows = data.items.map((audio) => {
      const name =
        setId && audio.processing_status === "ready"
          ? h("a", { class: "row-title", href: pageUrls.label(datasetId, setId, { audioId: audio.id }) }, audio.filename)
          : h("span", { class: "row-title" }, audio.filename);
      return h(
        "tr",
        { dataset: { testid: "audio-row", status: audio.processing_status, filename: audio.filename } },
        h("td", {}, name, h("div", { class: "muted mono" }, audio.id.slice(0, 8))),
        h(
          "td",
          { "data-label": "Status" },
          h("span", { class: `badge ${audio.processing_status}`, dataset: { testid: "audio-status" } },
            STATUS_TEXT[audio.processing_status] || audio.processing_status),
          audio.processing_error
            ? h("div", { class: "error", dataset: { testid: "processing-error" } }, audio.processing_error)
            : null,
        ),
        h("td", { class: "num", "data-label": "Duration" }, formatDuration(audio.duration_ms)),
        h(
          "td",
          { class: "nowrap", "data-label": "Format" },
          audio.sample_rate ? `${(audio.sample_rate / 1000).toLocaleString()} kHz · ${audio.channels} ch` : "–",
          h("div", { class: "muted" }, formatBytes(audio.file_size)),
        ),
        h(
          "td",
          { "data-label": "Metadata" },
          h("div", { class: "metadata" }, Object.entries(audio.metadata || {}).map(([key, value]) =>
            h("span", { title: `${key}: ${JSON.stringify(value)}` }, `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`),
          )),
        ),
        h("td", { class: "nowrap", "data-label": "Added" }, timeElement(audio.created_at)),
      );
    });
    replaceChildren(
      target,
      dataTable(["File", "Status", ["Duration", { class: "num" }], "Format", "Metadata", "Added"], rows),
    );
  }

  search.value = list.state.search;
  slashFocuses(search);
  status.value = list.state.processing_status;
  metadata.value = list.state.metadata;
  const typed = debounce(
    () => list.update({ search: search.value.trim(), metadata: metadata.value.trim() }),
    250,
  );
  search.addEventListener("input", typed);
  metadata.addEventListener("input", typed);
  status.addEventListener("change", () => list.update({ processing_status: status.value }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    list.update({ search: search.value.trim(), metadata: metadata.value.trim() });
  });
  list.load();
  return { reload: () => list.load({ quiet: true }) };
}
