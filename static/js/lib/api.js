// The only way pages reach /api/v1: the session cookie plus the CSRF token, JSON in and out,
// and one error type (ApiError) whose message a page can show as it is.

const API_ROOT = "/api/v1";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export class ApiError extends Error {
  // status: the HTTP status (0 when the server could not be reached); detail: the body's
  // `detail`, a string or (422) a list of {loc, msg, type} items.
  constructor(status, detail) {
    super(ApiError.describe(status, detail));
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }

  static describe(status, detail) {
    if (status === 0) return "Relay cannot be reached. Check the connection and try again.";
    if (status === 401) return "You are signed out. Sign in again to continue.";
    if (Array.isArray(detail)) {
      return detail.map((item) => `${fieldName(item.loc)}: ${item.msg}`).join("; ");
    }
    if (typeof detail === "string" && detail) return detail;
    return `The server answered ${status}.`;
  }

  // 422 items keyed by the field they are about (`loc` without "body"/"query"), e.g.
  // {"name": "This field may not be blank.", "artifact_types.1.color": "…"}.
  get fieldErrors() {
    const errors = {};
    if (!Array.isArray(this.detail)) return errors;
    for (const item of this.detail) {
      const key = item.loc.slice(1).join(".");
      errors[key] = errors[key] ? `${errors[key]} ${item.msg}` : item.msg;
    }
    return errors;
  }
}

function fieldName(loc) {
  const parts = (loc || []).slice(1);
  return parts.length ? parts.join(".") : String((loc || ["request"])[0]);
}

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) return meta.content;
  const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
}

// `/api/v1` + path + query string; undefined, null and "" query values are left out.
export function apiUrl(path, query = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.append(name, String(value));
  }
  const search = params.toString();
  return `${API_ROOT}${path}${search ? `?${search}` : ""}`;
}

async function send(method, path, { query, body, formData, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (!SAFE_METHODS.has(method)) headers["X-CSRFToken"] = csrfToken();
  let payload;
  if (formData) {
    payload = formData; // the browser sets the multipart boundary
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(apiUrl(path, query), {
      method,
      headers,
      body: payload,
      signal,
      credentials: "same-origin",
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, null);
  }
  if (response.status === 204) return null;
  const data = await readJson(response);
  if (!response.ok) throw new ApiError(response.status, data && data.detail);
  return data;
}

async function readJson(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: `The server answered ${response.status} with a body that is not JSON.` };
  }
}

export const api = {
  get: (path, query, options = {}) => send("GET", path, { ...options, query }),
  post: (path, body, options = {}) => send("POST", path, { ...options, body }),
  patch: (path, body, options = {}) => send("PATCH", path, { ...options, body }),
  put: (path, body, options = {}) => send("PUT", path, { ...options, body }),
  delete: (path, options = {}) => send("DELETE", path, options),
  // multipart/form-data, e.g. an annotation import: api.form("POST", path, formData, {query})
  form: (method, path, formData, options = {}) => send(method, path, { ...options, formData }),
};

// One page of a list endpoint: {items, total, page, page_size, has_more} plus `pages`, the
// number of pages at this page size (at least 1).
export async function fetchPage(path, { page = 1, pageSize, signal, ...filters } = {}) {
  const data = await api.get(path, { ...filters, page, page_size: pageSize }, { signal });
  return { ...data, pages: Math.max(1, Math.ceil(data.total / data.page_size)) };
}

// Every item of a list endpoint, page after page (for short lists: types, sets, keys).
export async function fetchAll(path, filters = {}, { pageSize = 500, signal } = {}) {
  const items = [];
  for (let page = 1; ; page += 1) {
    const data = await api.get(path, { ...filters, page, page_size: pageSize }, { signal });
    items.push(...data.items);
    if (!data.has_more) return items;
  }
}

// POSTs a file to an upload target (`upload_url` plus `fields`, the presigned form: Relay's own
// storage endpoint or an S3 bucket), reporting progress as (sentBytes, totalBytes). XHR rather
// than fetch because fetch cannot report upload progress. Resolves on 2xx, rejects with ApiError.
export function uploadFile(uploadUrl, fields, file, { onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append("file", file); // last: S3 ignores fields after the file
    request.open("POST", uploadUrl);
    request.upload.addEventListener("progress", (event) => {
      if (onProgress && event.lengthComputable) onProgress(event.loaded, event.total);
    });
    request.addEventListener("load", () => {
      if (request.status >= 200 && request.status < 300) {
        resolve();
        return;
      }
      let detail = request.responseText;
      try {
        detail = JSON.parse(request.responseText).detail;
      } catch {
        // S3 answers XML; show its text
      }
      reject(new ApiError(request.status, detail));
    });
    request.addEventListener("error", () => reject(new ApiError(0, null)));
    request.addEventListener("abort", () => reject(new DOMException("Upload cancelled", "AbortError")));
    if (signal) signal.addEventListener("abort", () => request.abort());
    request.send(form);
  });
}
