"""The labeling page's speed in Chromium: `make bench-ui` (or `python -m tests.bench.bench_ui`).

Starts a live Relay (`make run`'s path: migrate, bootstrap_demo, `serve` on 127.0.0.1, SQLite,
local storage, its in-process workers), uploads one 60-minute file (8 kHz mono PCM16 speech-like
bursts, 58 MB; processed to the 16 kHz normalized audio, features and peaks as any upload) and
puts 2 000 regions on it in one draft set. Then, with Debian's Chromium driven by Playwright,
every figure comes from the `performance.mark`s the page sets (static/js/pages/labeling.js):

- open: navigation start to `labeling:waveform` (the waveform drawn from the stored peaks) and to
  `labeling:first-tile` (the first spectrogram tile loaded), over several page loads;
- zoom: `labeling:zoom` (from the zoom request to the waveform redrawn from peaks fine enough for
  2 ms per pixel), zooming from 20 ms/px to 2 ms/px at positions spread over the hour;
- drag: the 95th percentile of requestAnimationFrame intervals while a region is dragged among
  the 2 000 (at 100 ms/px, where the ~130 regions in and around the view are all elements, and
  at 20 ms/px; zoomed further out they are marks, see static/js/lib/region_layer.js);
- server: the server's share of every peaks and spectrogram request the page made (Resource
  Timing's requestStart to responseStart, on 127.0.0.1).

Targets (issue 17): open < 1 s, zoom < 300 ms, drag p95 < 20 ms, server < 50 ms. Not a timed
test: it prints the figures and writes them as JSON.
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench.bench_processing import machine, write_long_wav
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.live import LiveRelay, embedded_env, running_relay

HOUR_S = 3600
REGIONS = 2000
TYPES = [
    {"name": "click", "color": "#E69F00"},
    {"name": "dropout", "color": "#56B4E9"},
    {"name": "long_pause", "color": "#009E73"},
]
TARGETS_MS = {"open": 1000, "zoom": 300, "drag_p95": 20, "server": 50}
MARKS = """() => Object.fromEntries(performance.getEntriesByType('mark')
    .map((mark) => [mark.name, mark.startTime]))"""
# The view's own time from its Server-Timing header (datasets/server_timing.py), and the wait the
# browser saw from sending the request to the first byte (queueing behind other requests too).
SERVER_TIMES = """() => performance.getEntriesByType('resource')
    .filter((entry) => /\\/(peaks|spectrogram)\\?/.test(entry.name))
    .map((entry) => ({kind: entry.name.includes('/peaks?') ? 'peaks' : 'spectrogram',
                      ms: (entry.serverTiming.find((item) => item.name === 'app') || {}).duration,
                      waited: entry.responseStart - entry.requestStart}))"""
RECORD_FRAMES = """() => { window.frameTimes = []; let last = performance.now();
    const tick = (now) => { window.frameTimes.push(now - last); last = now;
      if (!window.stopFrames) requestAnimationFrame(tick); };
    window.stopFrames = false; requestAnimationFrame(tick); }"""
STOP_FRAMES = "() => { window.stopFrames = true; return window.frameTimes.slice(1); }"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(app_ms: list[float], waited_ms: list[float]) -> dict[str, Any]:
    if not app_ms:
        return {"requests": 0}
    return {
        "requests": len(app_ms),
        "median": round(statistics.median(app_ms), 1),
        "p95": round(percentile(app_ms, 0.95), 1),
        "max": round(max(app_ms), 1),
        "waited_median": round(statistics.median(waited_ms), 1),
    }


def prepare(relay: LiveRelay, folder: Path) -> dict[str, Any]:
    """The hour-long file, ready, with REGIONS regions of every type spread over it."""
    client = relay.client()
    dataset = client.post(
        "/datasets", {"name": "Bench: one hour", "artifact_types": TYPES}, expect=201
    )
    path = folder / "hour.wav"
    write_long_wav(path, seconds=HOUR_S, sample_rate=8000, channels=1)
    started = time.monotonic()
    audio_id = client.upload_audio(dataset["id"], path, content_type="audio/wav")
    client.wait_until(
        f"/datasets/{dataset['id']}/audio/{audio_id}",
        "processing_status",
        {"ready"},
        timeout_s=1800,
        poll_s=2,
    )
    processing_s = time.monotonic() - started
    sets = f"/datasets/{dataset['id']}/annotation-sets"
    draft = client.post(sets, {"name": "Bench regions"}, expect=201)
    spacing = HOUR_S * 1000 // REGIONS
    rows = [
        {
            "audio_file_id": audio_id,
            "artifact_type": TYPES[index % 3]["name"],
            "start_ms": index * spacing + 100,
            "end_ms": index * spacing + 100 + (5 if index % 3 == 0 else 400 + index % 700),
        }
        for index in range(REGIONS)
    ]
    client.post(f"{sets}/{draft['id']}/annotations/bulk", {"annotations": rows}, expect=201)
    url = f"/datasets/{dataset['id']}/annotation-sets/{draft['id']}/label?audio={audio_id}"
    return {"url": url, "processing_s": processing_s}


def open_page(page: Any, url: str) -> dict[str, float]:
    page.goto(url)
    page.wait_for_function(
        "() => performance.getEntriesByName('labeling:first-tile').length"
        " && performance.getEntriesByName('labeling:waveform').length",
        timeout=60_000,
    )
    marks = page.evaluate(MARKS)
    return {"waveform": marks["labeling:waveform"], "first_tile": marks["labeling:first-tile"]}


def zoom_to_finest(page: Any, url: str, at_ms: int) -> float:
    open_page(page, f"{url}&t={at_ms}")  # deep links open at 20 ms per pixel around t
    page.evaluate("() => performance.clearMeasures('labeling:zoom')")
    page.get_by_test_id("zoom-level").fill("2")
    page.get_by_test_id("zoom-level").press("Enter")
    page.wait_for_function(
        "() => performance.getEntriesByName('labeling:zoom').length", timeout=60_000
    )
    return page.evaluate("() => performance.getEntriesByName('labeling:zoom')[0].duration")


def drag_frames(page: Any, url: str, ms_per_px: float) -> list[float]:
    """Frame intervals while a region in the middle of the hour is dragged 300 px right in 90
    steps, at `ms_per_px` (100: the ~130 regions of 4 minutes are all draggable elements)."""
    open_page(page, f"{url}&t={HOUR_S * 1000 // 2}")
    page.get_by_test_id("zoom-level").fill(str(ms_per_px))
    page.get_by_test_id("zoom-level").press("Enter")
    page.wait_for_timeout(1500)  # finer peaks and tiles arrive
    region = page.get_by_test_id("waveform").locator("[data-testid=region]").nth(3)
    box = region.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + 30
    page.mouse.move(x, y)
    page.evaluate(RECORD_FRAMES)
    page.mouse.down()
    for step in range(1, 91):
        page.mouse.move(x + step * 300 / 90, y)
    page.mouse.up()
    return page.evaluate(STOP_FRAMES)


def measure(relay: LiveRelay, url: str, *, loads: int, zooms: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import sign_in

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(
            base_url=relay.base_url, viewport={"width": 1280, "height": 800}
        )
        page = context.new_page()
        sign_in(page, login=relay.login, password=relay.password)
        server: list[dict[str, Any]] = []
        opens = []
        for _ in range(loads):
            opens.append(open_page(page, url))
            server += page.evaluate(SERVER_TIMES)
        zoom_ms = []
        for index in range(zooms):
            zoom_ms.append(zoom_to_finest(page, url, (index + 1) * HOUR_S * 1000 // (zooms + 1)))
            server += page.evaluate(SERVER_TIMES)
        wide = drag_frames(page, url, 100)
        zoomed = drag_frames(page, url, 20)
        server += page.evaluate(SERVER_TIMES)
        browser.close()
    by_kind = {  # requests the server answered (not those the browser's cache did)
        kind: [item for item in server if item["kind"] == kind and item["ms"] is not None]
        for kind in ("peaks", "spectrogram")
    }
    return {
        "open_waveform_ms": [round(item["waveform"]) for item in opens],
        "open_first_tile_ms": [round(item["first_tile"]) for item in opens],
        "zoom_to_2ms_per_px_ms": [round(value) for value in zoom_ms],
        "drag_p95_frame_ms": {
            "at_100_ms_per_px": round(percentile(wide, 0.95), 1),
            "at_20_ms_per_px": round(percentile(zoomed, 0.95), 1),
            "frames": [len(wide), len(zoomed)],
        },
        "server_ms": {
            kind: summary([item["ms"] for item in items], [item["waited"] for item in items])
            for kind, items in by_kind.items()
        },
    }


def verdicts(results: dict[str, Any]) -> list[str]:
    open_ms = max(max(results["open_waveform_ms"]), max(results["open_first_tile_ms"]))
    zoom_ms = max(results["zoom_to_2ms_per_px_ms"])
    drag_ms = max(
        results["drag_p95_frame_ms"]["at_100_ms_per_px"],
        results["drag_p95_frame_ms"]["at_20_ms_per_px"],
    )
    server_ms = max(item.get("p95", 0) for item in results["server_ms"].values())
    checks = [
        ("open (waveform and first tile, slowest load)", open_ms, TARGETS_MS["open"]),
        ("zoom to 2 ms/px (slowest)", zoom_ms, TARGETS_MS["zoom"]),
        ("drag p95 frame (worse view)", drag_ms, TARGETS_MS["drag_p95"]),
        ("server p95 (peaks, spectrogram)", server_ms, TARGETS_MS["server"]),
    ]
    return [
        f"{name}: {value:.0f} ms < {target} ms {'met' if value < target else 'NOT MET'}"
        for name, value, target in checks
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--loads", type=int, default=5, help="page loads timed (default 5)")
    parser.add_argument("--zooms", type=int, default=5, help="positions zoomed at (default 5)")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="relay-bench-ui-") as folder,
        running_relay(embedded_env(Path(folder) / "relay")) as relay,
    ):
        prepared = prepare(relay, Path(folder))
        results = measure(relay, prepared["url"], loads=args.loads, zooms=args.zooms)
    results = {"machine": machine(), "processing_s": round(prepared["processing_s"]), **results}
    print(json.dumps(results, indent=2))
    for line in verdicts(results):
        print(line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
