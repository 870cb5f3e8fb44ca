"""Scores the average of several trained models, as an ensemble would: `python -m
tests.bench.quality_ensemble --work $PWD/var/qd var/qd/s0.pt var/qd/s1.pt var/qd/s2.pt`.

Each model's probabilities are centred at 0.5 by training, so their mean is scored at 0.5 with
the inference post-processing (merge 200 ms, minimum 50 ms) on every corpus `quality_direct`
has made under --work (features cached there), with ../shared/bench/score.py. A measurement of
what ensembling would give; inference runs one model.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from tests.bench import quality_direct


def averaged_detections(models: list, corpus: Path, features_dir: Path) -> list[dict]:
    from training.ml.model_file import predict
    from training.ml.postprocess import detections_from_probabilities

    manifest = json.loads((corpus / "manifest.json").read_text())
    found = []
    for entry in manifest["files"]:
        if entry["split"] != "test":
            continue
        features = np.load(features_dir / (entry["filename"] + ".npy"))
        probabilities = np.mean([predict(model, features) for model in models], axis=0)
        for detection in detections_from_probabilities(
            probabilities,
            artifact_types=models[0].metadata.artifact_types,
            hop_ms=models[0].metadata.hop_ms,
            threshold=0.5,
            merge_window_ms=200,
            min_duration_ms=50,
        ):
            found.append({"filename": entry["filename"], **detection.__dict__})
    return found


def main() -> None:
    from datasets.audio.features import DEFAULT_RECIPE
    from training.ml.model_file import load_model

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=Path("var/qd"))
    parser.add_argument("models", nargs="+", type=Path)
    args = parser.parse_args()
    models = [load_model(path.read_bytes()) for path in args.models]
    score = quality_direct.load_score_module()
    features_root = args.work / "features" / DEFAULT_RECIPE.version
    for corpus in sorted(path.parent for path in args.work.glob("*/manifest.json")):
        if not (features_root / corpus.name).is_dir():
            continue
        detections = averaged_detections(models, corpus, features_root / corpus.name)
        scores = quality_direct.score_detections(score, corpus, detections)
        per_type = " ".join(
            f"{name} {scores['per_type'][name]['f1'] or 0:.3f}" for name in quality_direct.TYPES
        )
        print(f"{corpus.name:<24} macro {scores['macro']['event_f1']:.3f}  {per_type}", flush=True)


if __name__ == "__main__":
    main()
