"""Scores the average of several trained models, as an ensemble would: `python -m
tests.bench.quality_ensemble --work $PWD/var/qd var/qd/s0.pt var/qd/s1.pt var/qd/s2.pt`.

Each model's probabilities are centred at 0.5 by training, so their mean is scored at 0.5 with
the inference post-processing (merge 200 ms, minimum 50 ms) on every corpus `quality_direct`
has made under --work (features cached there), with ../shared/bench/score.py. A measurement of
what ensembling would give; inference runs one model.
"""

import argparse
from pathlib import Path

import numpy as np

from tests.bench import quality_direct


def main() -> None:
    from datasets.audio.features import DEFAULT_RECIPE
    from training.ml.model_file import load_model, predict

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
        features = quality_direct.features_of(corpus, features_root / corpus.name)
        detections = quality_direct.split_detections(
            corpus,
            features,
            lambda frames: np.mean([predict(model, frames) for model in models], axis=0),
            models[0].metadata,
            threshold=0.5,
        )
        scores = quality_direct.score_detections(score, corpus, detections)
        per_type = " ".join(
            f"{name} {scores['per_type'][name]['f1'] or 0:.3f}" for name in quality_direct.TYPES
        )
        print(f"{corpus.name:<24} macro {scores['macro']['event_f1']:.3f}  {per_type}", flush=True)


if __name__ == "__main__":
    main()
