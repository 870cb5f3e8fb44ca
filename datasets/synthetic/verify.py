"""Measurements that show each artifact of a corpus where its label says, on the written files.

One number per event, read from the file's first channel:

- click: the largest sample-to-sample jump inside the label over the 99.9th percentile of the
  jumps outside every label (above 1: it stands out of the speech);
- dropout: the level inside (1 ms in from each edge, since labels are rounded outward) relative
  to the 50 ms before it, in dB (digital zero reads as -240 dB);
- clipping: the share of flat tops (a loud sample equal to the one before) inside the label over
  the share outside every label;
- long_pause: the loudest 10 ms frame inside, in dB relative to the file's peak;
- stutter: the correlation of the region with itself one repeat period later (1: exact repeats).
"""

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from datasets.synthetic.profiles import ARTIFACT_TYPES

STATISTICS = {
    "click": "largest jump inside / 99.9th percentile of jumps outside labels",
    "dropout": "level inside vs the 50 ms before, dB",
    "clipping": "flat tops inside / flat tops outside labels",
    "long_pause": "loudest 10 ms frame inside, dB re file peak",
    "stutter": "correlation with itself one period later",
}
SILENCE_DB = -240.0
LOUD_SHARE_OF_PEAK = 0.05  # a flat top counts only above 5 % of the file's peak


@dataclass(frozen=True)
class Measurement:
    filename: str
    artifact_type: str
    start_ms: int
    end_ms: int
    value: float
    params: dict[str, Any]


def _decibels(ratio: float) -> float:
    return max(SILENCE_DB, 20 * float(np.log10(max(ratio, 1e-12))))


def measure_clip(
    samples: np.ndarray, sample_rate: int, events: list[dict[str, Any]]
) -> list[float]:
    """One value per event (see the module's docstring); `samples` is one channel."""

    def index(ms: int) -> int:
        return ms * sample_rate // 1000

    outside = np.ones(len(samples), bool)
    for event in events:
        outside[index(event["start_ms"]) : index(event["end_ms"])] = False
    jumps = np.abs(np.diff(samples, prepend=samples[:1]))
    peak = float(np.abs(samples).max())
    flat = np.concatenate([[False], samples[1:] == samples[:-1]])
    flat &= np.abs(samples) > LOUD_SHARE_OF_PEAK * peak
    values = []
    for event in events:
        start, end = index(event["start_ms"]), index(event["end_ms"])
        kind = event["artifact_type"]
        if kind == "click":
            typical = np.percentile(jumps[outside], 99.9) if outside.any() else 0.0
            values.append(float(jumps[start:end].max()) / max(float(typical), 1e-12))
        elif kind == "dropout":
            edge = sample_rate // 1000 + 1
            inside = samples[start + edge : end - edge]
            before = samples[max(0, start - sample_rate // 20) : start]
            values.append(_decibels(_rms(inside) / max(_rms(before), 1e-12)))
        elif kind == "clipping":
            elsewhere = flat[outside].mean() if outside.any() else 0.0
            values.append(float(flat[start:end].mean()) / max(float(elsewhere), 1e-5))
        elif kind == "long_pause":
            frame = sample_rate // 100
            region = samples[start:end]
            frames = region[: len(region) // frame * frame].reshape(-1, frame)
            loudest = float(np.sqrt(np.mean(frames**2, axis=1)).max())
            values.append(_decibels(loudest / max(peak, 1e-12)))
        elif kind == "stutter":
            lag = round(event["params"]["period_ms"] * sample_rate / 1000)
            region = samples[start:end]
            first, later = region[:-lag], region[lag:]
            norm = float(np.linalg.norm(first) * np.linalg.norm(later))
            values.append(float(np.dot(first, later)) / max(norm, 1e-12))
        else:
            raise ValueError(f"unknown artifact type {kind!r}")
    return values


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


def read_manifest(folder: str | Path) -> dict[str, Any]:
    return json.loads((Path(folder) / "manifest.json").read_text())


def measure_corpus(folder: str | Path) -> list[Measurement]:
    folder = Path(folder)
    measurements = []
    for entry in read_manifest(folder)["files"]:
        if not entry["events"]:
            continue
        samples, sample_rate = sf.read(folder / entry["filename"], always_2d=True)
        values = measure_clip(samples[:, 0], sample_rate, entry["events"])
        measurements += [
            Measurement(
                entry["filename"],
                event["artifact_type"],
                event["start_ms"],
                event["end_ms"],
                value,
                event["params"],
            )
            for event, value in zip(entry["events"], values, strict=True)
        ]
    return measurements


def summarize_measurements(folder: str | Path) -> str:
    """Per type: how many events, and the median, 10th and 90th percentile of its statistic."""
    by_type: dict[str, list[float]] = {kind: [] for kind in ARTIFACT_TYPES}
    for measurement in measure_corpus(folder):
        by_type[measurement.artifact_type].append(measurement.value)
    lines = [f"{'type':<11} {'n':>4} {'median':>9} {'p10':>9} {'p90':>9}  statistic"]
    for kind, values in by_type.items():
        if values:
            median, p10, p90 = np.percentile(values, [50, 10, 90])
            lines.append(
                f"{kind:<11} {len(values):4d} {median:9.2f} {p10:9.2f} {p90:9.2f}  "
                f"{STATISTICS[kind]}"
            )
    return "\n".join(lines)


def describe_corpus(folder: str | Path, *, seconds: float | None = None) -> str:
    """A few lines on what a corpus holds: clips, minutes, size, events per type and split."""
    folder = Path(folder)
    files = read_manifest(folder)["files"]
    size_mib = sum((folder / entry["filename"]).stat().st_size for entry in files) / 2**20
    minutes = sum(entry["duration_ms"] for entry in files) / 60_000
    tested = sum(entry["split"] == "test" for entry in files)
    counts = Counter(
        (event["artifact_type"], entry["split"]) for entry in files for event in entry["events"]
    )
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    lines = [
        f"{folder}: {len(files)} clips ({tested} test), {minutes:.1f} min of audio, "
        f"{size_mib:.1f} MiB{took}; {sum(not entry['events'] for entry in files)} clean",
    ]
    lines += [
        f"  {kind:<11} train {counts[(kind, 'train')]:4d}  test {counts[(kind, 'test')]:4d}"
        for kind in ARTIFACT_TYPES
    ]
    return "\n".join(lines)
