"""A whole corpus: clips, labels.csv, manifest.json, train_files.txt and test_files.txt.

The layout is the bench kit's, so its scorer reads our corpora. Clips are built by a helper
process (`datasets.synthetic.workers`) that forks one fresh process per clip: espeak-ng keeps some
state between utterances within a process, and a fresh process per clip makes every clip depend
only on (profile, seed, clip index), whatever `jobs` is. The helper is a plain
`python -m` process, so the caller's own process is never forked or re-imported.
"""

import csv
import json
import logging
import os
import pickle
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from datasets.synthetic.clips import ClipBuilder
from datasets.synthetic.engines import get_engine
from datasets.synthetic.profiles import ARTIFACT_TYPES, Profile, load_profile

logger = logging.getLogger(__name__)

GENERATOR = "relay datasets.synthetic"
GENERATOR_VERSION = "1"
INDEX_FILES = ("labels.csv", "manifest.json", "train_files.txt", "test_files.txt")
SPLIT_STREAM = 0  # the split's random stream is (seed, SPLIT_STREAM)


@dataclass(frozen=True)
class ClipJob:
    profile: Profile
    sentences: list[str]
    seed: int
    index: int
    split: str
    out_dir: Path


@dataclass(frozen=True)
class BuildRequest:
    jobs: int
    clips: list[ClipJob]


def build_clip(job: ClipJob) -> tuple[dict[str, Any], dict[str, str]]:
    """Runs in a process of its own: the clip's manifest entry and the engine that spoke it."""
    engine = get_engine(job.profile.engine)
    builder = ClipBuilder(
        profile=job.profile,
        engine=engine,
        sentences=job.sentences,
        seed=job.seed,
        index=job.index,
    )
    return builder.build(job.out_dir, job.split), engine.describe()


def held_out_indices(profile: Profile, seed: int) -> set[int]:
    count = round(profile.n_clips * profile.test_fraction)
    rng = np.random.default_rng([seed, SPLIT_STREAM])
    return {int(i) for i in rng.choice(profile.n_clips, count, replace=False)}


def generate_corpus(
    out_dir: str | Path,
    *,
    profile: "str | Path | dict[str, Any] | Profile" = "tiny",
    seed: int | None = None,
    jobs: int = 1,
) -> Path:
    """Writes a labelled corpus into `out_dir` (created if missing) and returns it as a Path.

    `profile` is a shipped profile's name, a JSON file, or a dict in the profile format; `seed`
    overrides the profile's; `jobs` worker processes build clips side by side. The same
    profile, seed and library versions give byte-identical files for any `jobs`. Files of an
    earlier corpus in `out_dir` (those its manifest lists) are replaced. Raises ValueError for a
    bad profile or voice, EngineUnavailable when the profile's engine cannot run here.
    """
    profile = load_profile(profile)
    seed = profile.seed if seed is None else int(seed)
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    sentences = profile.load_sentences()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_earlier_corpus(out_dir)

    started = time.monotonic()
    tested = held_out_indices(profile, seed)
    clip_jobs = [
        ClipJob(profile, sentences, seed, index, "test" if index in tested else "train", out_dir)
        for index in range(profile.n_clips)
    ]
    built = _build_in_helper(BuildRequest(jobs=jobs, clips=clip_jobs))
    entries = [entry for entry, _ in built]
    engines = {json.dumps(description, sort_keys=True) for _, description in built}
    if len(engines) != 1:
        raise RuntimeError(f"the clips were spoken by different engines: {sorted(engines)}")

    _write_index(out_dir, profile, seed, entries, built[0][1])
    logger.info(
        "corpus %s: %d clips of profile %s, seed %d, in %.1f s",
        out_dir, len(entries), profile.name, seed, time.monotonic() - started,
    )  # fmt: skip
    return out_dir


def _build_in_helper(request: BuildRequest) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Runs `datasets.synthetic.workers` with the request on stdin; re-raises its error."""
    package_root = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join([package_root, *filter(None, [os.environ.get("PYTHONPATH")])])
    result = subprocess.run(
        [sys.executable, "-m", "datasets.synthetic.workers"],
        input=pickle.dumps(request),
        capture_output=True,
        env={**os.environ, "PYTHONPATH": path},
        check=False,
    )
    if result.returncode != 0 or not result.stdout:
        tail = result.stderr.decode(errors="replace")[-2000:]
        raise RuntimeError(f"the corpus worker failed (exit {result.returncode}): {tail}")
    outcome, value = pickle.loads(result.stdout)
    if outcome == "error":
        raise value
    return value


def _remove_earlier_corpus(out_dir: Path) -> None:
    manifest = out_dir / "manifest.json"
    if manifest.exists():
        for entry in json.loads(manifest.read_text()).get("files", []):
            (out_dir / Path(entry["filename"]).name).unlink(missing_ok=True)
    for name in INDEX_FILES:
        (out_dir / name).unlink(missing_ok=True)


def _write_index(
    out_dir: Path,
    profile: Profile,
    seed: int,
    entries: list[dict[str, Any]],
    engine: dict[str, str],
) -> None:
    with (out_dir / "labels.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["filename", "artifact_type", "start_ms", "end_ms"])
        for entry in entries:
            for event in entry["events"]:
                writer.writerow(
                    [entry["filename"], event["artifact_type"], event["start_ms"], event["end_ms"]]
                )
    for split in ("train", "test"):
        names = [entry["filename"] + "\n" for entry in entries if entry["split"] == split]
        (out_dir / f"{split}_files.txt").write_text("".join(names))
    manifest = {
        "generator": GENERATOR,
        "generator_version": GENERATOR_VERSION,
        "profile": profile.name,
        "profile_settings": profile.source,
        "seed": seed,
        "engine": engine,
        "artifact_types": list(ARTIFACT_TYPES),
        "files": entries,
    }
    # Written last: a corpus folder with a manifest is complete.
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
