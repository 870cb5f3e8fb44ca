"""Does labeling in the "label next" order help? A simulation with the project's own generated
speech (datasets.synthetic), so it needs neither ../shared nor a running Relay:
`python -m tests.bench.bench_label_next [--work var/bench-label-next] [--repeats 2]`.

A corpus of short clips with exact labels is split into a pool and a test set. Both strategies
start from the same few labelled pool files and a model trained on them. Each round then
"labels" `--step` more files (their true labels are taken from the corpus) and trains a fresh
model on everything labelled so far:
- uncertainty: the files the current model was most unsure about, by the measure inference stores
  (`inference.detection.unsure_frames_per_minute`: (frame, type) pairs with probability in
  0.3-0.7 per minute of audio), which is what `GET /datasets/{id}/audio?order=uncertainty` ranks;
- random: files drawn at random from the rest of the pool.
After every round both models are scored on the same test files: macro event F1 at the 200 ms
collar with the thresholds each model chose on its validation files (training.ml.metrics, as a
training job reports it). `--repeats` runs the whole thing with other seeds (other seed files,
other random picks, other training seeds) and averages, since a few files make noisy models.
Prints a table and, with --json, writes every number.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

TYPES = ("click", "dropout", "clipping", "long_pause", "stutter")
PROFILE = {
    "name": "label-next",
    "description": "Short clips with every artifact type, for the label-next simulation.",
    "seed": 31,
    "n_clips": 60,
    "test_fraction": 0.3,
    "filename_prefix": "ln",
    "duration_s": [5, 8],
    "voices": ["en", "en-us", "en-gb-x-rp", "en+f3", "en-us+m3"],
    "speed_wpm": [140, 190],
    "pitch": [35, 65],
    "pause_ms": [100, 350],
    "snr_db": [25, 50],
    "peak_dbfs": [-12, -1],
    "noise_alpha": [0.0, 1.5],
    "sample_rates": {"16000": 1, "22050": 1, "44100": 1},
    "channels": {"1": 1},
    "formats": {"wav_pcm16": 1},
    "events_per_clip": {"0": 0.2, "1": 0.4, "2": 0.3, "3": 0.1},
    "artifact_types": {name: 1 for name in TYPES},
    "min_gap_ms": 300,
}


def corpus_files(work: Path) -> tuple[list, list]:
    """(pool, test) LabelledFiles of the generated corpus, features computed by the product's
    pipeline (both cached under `work`)."""
    from datasets.audio.pipeline import process_audio
    from datasets.synthetic.corpus import generate_corpus
    from training.ml.data import LabelledFile

    corpus = work / "corpus"
    if not (corpus / "manifest.json").exists():
        started = time.perf_counter()
        generate_corpus(corpus, profile=PROFILE, jobs=2)
        print(f"corpus generated in {time.perf_counter() - started:.0f} s", flush=True)
    manifest = json.loads((corpus / "manifest.json").read_text())
    cache = work / "features"
    cache.mkdir(parents=True, exist_ok=True)
    pool, test = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for entry in manifest["files"]:
            path = cache / f"{entry['filename']}.npy"
            if not path.exists():
                process_audio(
                    corpus / entry["filename"],
                    normalized_path=Path(scratch) / "normalized.wav",
                    features_path=path,
                    peaks_path=Path(scratch) / "peaks.npz",
                    max_duration_ms=3_600_000,
                )
            events = [
                (e["artifact_type"], float(e["start_ms"]), float(e["end_ms"]))
                for e in entry["events"]
            ]
            labelled = LabelledFile(entry["filename"], np.load(path), events)
            (test if entry["split"] == "test" else pool).append(labelled)
    return pool, test


def train_on(files: list, *, seed: int, epochs: int) -> Any:
    from training.ml.loop import TrainingConfig, train

    config = TrainingConfig(epochs=epochs, validation_split=0.2, batch_size=16, seed=seed)
    return train(files, artifact_types=TYPES, config=config, device="cpu").model


def test_f1(model: Any, test: list) -> float:
    from annotations.event_matching import Event
    from training.ml import metrics
    from training.ml.data import HOP_MS
    from training.ml.model_file import predict

    probabilities = {file.name: predict(model, file.features) for file in test}
    reference = [Event(file.name, *event) for file in test for event in file.events]
    result = metrics.evaluate(
        reference,
        probabilities,
        artifact_types=TYPES,
        hop_ms=HOP_MS,
        thresholds=model.metadata.thresholds,
    )
    return float(result["macro"]["f1"] or 0.0)


def most_unsure(model: Any, candidates: list, count: int) -> list:
    from inference.detection import unsure_frames_per_minute
    from training.ml.data import HOP_MS
    from training.ml.model_file import predict

    scored = [
        (unsure_frames_per_minute(predict(model, file.features), hop_ms=HOP_MS), index)
        for index, file in enumerate(candidates)
    ]
    chosen = sorted(scored, key=lambda pair: (-pair[0], pair[1]))[:count]
    return [candidates[index] for _, index in chosen]


def simulate(
    pool: list, test: list, *, seed: int, start: int, step: int, rounds: int, epochs: int
) -> dict:
    """F1 after each round for both strategies, from the same seed files and seed model."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pool))
    seed_files = [pool[index] for index in order[:start]]
    seed_model = train_on(seed_files, seed=seed, epochs=epochs)
    seed_f1 = test_f1(seed_model, test)
    curves: dict[str, list[dict]] = {}
    for strategy in ("uncertainty", "random"):
        labelled = list(seed_files)
        model = seed_model
        curve = [{"labelled": len(labelled), "f1": seed_f1}]
        pick_rng = np.random.default_rng(seed + 1000)
        for _ in range(rounds):
            rest = [file for file in pool if all(file is not chosen for chosen in labelled)]
            if strategy == "uncertainty":
                picked = most_unsure(model, rest, step)
            else:
                picked = [
                    rest[index] for index in pick_rng.choice(len(rest), size=step, replace=False)
                ]
            labelled += picked
            model = train_on(labelled, seed=seed, epochs=epochs)
            curve.append(
                {
                    "labelled": len(labelled),
                    "f1": test_f1(model, test),
                    "events_labelled": sum(len(file.events) for file in labelled),
                }
            )
            print(
                f"  seed {seed} {strategy:<11} {len(labelled):3d} files: F1 {curve[-1]['f1']:.3f}",
                flush=True,
            )
        curves[strategy] = curve
    return curves


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, default=Path("var/bench-label-next"))
    parser.add_argument(
        "--start", type=int, default=6, help="files labelled before the first round"
    )
    parser.add_argument("--step", type=int, default=6, help="files labelled per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    pool, test = corpus_files(args.work)
    print(
        f"pool {len(pool)} files ({sum(len(f.events) for f in pool)} events), "
        f"test {len(test)} files ({sum(len(f.events) for f in test)} events)",
        flush=True,
    )
    runs = [
        simulate(
            pool,
            test,
            seed=seed,
            start=args.start,
            step=args.step,
            rounds=args.rounds,
            epochs=args.epochs,
        )
        for seed in range(args.repeats)
    ]
    rows = []
    for point in range(args.rounds + 1):
        row = {"labelled": runs[0]["uncertainty"][point]["labelled"]}
        for strategy in ("uncertainty", "random"):
            row[strategy] = float(np.mean([run[strategy][point]["f1"] for run in runs]))
            row[f"{strategy}_events"] = float(
                np.mean([run[strategy][point].get("events_labelled", 0) for run in runs])
            )
        rows.append(row)
    elapsed = time.perf_counter() - started
    print(f"\nmean test macro F1 over {args.repeats} seeds ({elapsed:.0f} s in all):")
    print("| files labelled | uncertainty order | random order |")
    print("|---:|---:|---:|")
    for row in rows:
        print(f"| {row['labelled']} | {row['uncertainty']:.3f} | {row['random']:.3f} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"args": {k: str(v) for k, v in vars(args).items()}, "runs": runs, "mean": rows},
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
