// Small charts drawn without a library: an SVG line chart (per-epoch losses) and a horizontal
// bar chart (artifact rates by metadata value). Both redraw in place, so a page can call them
// again with new data as it arrives.

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

// 0.000123 → "0.00012", 12.5 → "12.5": enough digits to tell ticks apart.
export function shortNumber(value) {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 1) return value.toFixed(1).replace(/\.0$/, "");
  return value.toPrecision(2);
}

function ticks(min, max, count) {
  if (max === min) return [min];
  const step = (max - min) / (count - 1);
  return Array.from({ length: count }, (_, index) => min + step * index);
}

// lineChart(container, {series: [{name, className, points: [[x, y|null], …]}], xLabel, yLabel,
// title}). Points with y null are left out (an epoch without validation). The chart is an
// <svg role="img"> whose label says what it shows; a legend names each series.
export function lineChart(container, { series, xLabel, yLabel, title, xMax }) {
  // The viewBox is the container's size, so text keeps its size in a narrow window.
  const width = Math.max(300, Math.round(container.clientWidth || 640));
  const height = width < 500 ? 220 : 260;
  const margin = { top: 12, right: 16, bottom: 40, left: 56 };
  const drawn = series.map((line) => ({ ...line, points: line.points.filter(([, y]) => y !== null && Number.isFinite(y)) }));
  const all = drawn.flatMap((line) => line.points);
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "chart line-chart",
    role: "img",
    "aria-label": title,
  });
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const xLow = 1;
  const xHigh = Math.max(xMax || 1, ...xs, 2);
  const yLow = 0;
  const yHigh = ys.length ? Math.max(...ys) * 1.1 || 1 : 1;
  const x = (value) => margin.left + ((value - xLow) / (xHigh - xLow)) * plotWidth;
  const y = (value) => margin.top + plotHeight - ((value - yLow) / (yHigh - yLow)) * plotHeight;
  const axes = svg("g", { class: "axes" });
  for (const value of ticks(yLow, yHigh, 5)) {
    axes.append(svg("line", { x1: margin.left, x2: width - margin.right, y1: y(value), y2: y(value), class: "grid" }));
    axes.append(svg("text", { x: margin.left - 6, y: y(value) + 4, "text-anchor": "end" }, shortNumber(value)));
  }
  const xTickCount = Math.min(6, Math.round(xHigh - xLow) + 1);
  for (const value of ticks(xLow, xHigh, xTickCount)) {
    axes.append(svg("text", { x: x(value), y: height - margin.bottom + 16, "text-anchor": "middle" }, String(Math.round(value))));
  }
  axes.append(svg("text", { x: margin.left + plotWidth / 2, y: height - 6, "text-anchor": "middle", class: "axis-label" }, xLabel));
  axes.append(
    svg("text", { x: 14, y: margin.top + plotHeight / 2, "text-anchor": "middle", class: "axis-label", transform: `rotate(-90 14 ${margin.top + plotHeight / 2})` }, yLabel),
  );
  root.append(axes);
  for (const line of drawn) {
    const group = svg("g", { class: `series ${line.className}` });
    if (line.points.length > 1) {
      const path = line.points.map(([px, py], index) => `${index ? "L" : "M"}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(" ");
      group.append(svg("path", { d: path }));
    }
    for (const [px, py] of line.points) {
      const dot = svg("circle", { cx: x(px).toFixed(1), cy: y(py).toFixed(1), r: 3 });
      dot.append(svg("title", {}, `${line.name}, ${xLabel.toLowerCase()} ${px}: ${shortNumber(py)}`));
      group.append(dot);
    }
    root.append(group);
  }
  const legend = document.createElement("ul");
  legend.className = "chart-legend";
  for (const line of series) {
    const item = document.createElement("li");
    item.className = line.className;
    item.textContent = line.name;
    legend.append(item);
  }
  container.replaceChildren(root, legend);
}

// barChart(container, {bars: [{label, value, className}], title, unit}): horizontal bars as HTML
// rows (label, bar, value), so that text stays readable in a narrow window. The list is labelled
// with `title`; each row reads "label: value".
export function barChart(container, { bars, title, unit = "" }) {
  const high = Math.max(0, ...bars.map((bar) => bar.value)) || 1;
  const list = document.createElement("ul");
  list.className = "bar-chart";
  list.setAttribute("aria-label", title);
  for (const bar of bars) {
    const item = document.createElement("li");
    const label = document.createElement("span");
    label.className = "bar-label";
    label.textContent = bar.label;
    const track = document.createElement("span");
    track.className = "bar-track";
    const fill = document.createElement("span");
    fill.className = `bar ${bar.className || ""}`;
    fill.style.setProperty("width", `${((100 * bar.value) / high).toFixed(1)}%`); // CSSOM: allowed by the CSP
    track.append(fill);
    const value = document.createElement("span");
    value.className = "bar-value";
    value.textContent = `${shortNumber(bar.value)}${unit}`;
    item.append(label, track, value);
    list.append(item);
  }
  container.replaceChildren(list);
}
