"""The click-gate ablation of docs/benchmarks.md ("A per-type signal gate for clicks"):

    python -m tests.bench.click_gate_ablation var/qd/model.pt 1.8 2.5

Scores a trained model on every corpus `quality_direct` made under var/qd (features cached
there), alone and with click detections added by a rule on the stored `max_jump` column at each
threshold T given: a frame whose max_jump is T times the largest one 30-100 ms either side and T
times the file's 99th percentile, grouped within 80 ms, kept only where the model's click
probability is under its threshold and no model detection lies within 50 ms. An ablation, not
the product: inference does not run this rule.
"""

import json
import sys
from pathlib import Path

import numpy as np

from datasets.audio.features import DEFAULT_RECIPE
from tests.bench import quality_direct as qd
from training.ml.model_file import load_model, predict
from training.ml.postprocess import detections_from_probabilities

JUMP = DEFAULT_RECIPE.feature_names.index("max_jump")
CORPORA = (
    "public",
    "hard",
    "generalisation",
    "heldout_conditions",
    "heldout_conditions_hard",
    "heldout_flite",
)


def rule_score(f: np.ndarray) -> np.ndarray:
    """Per frame, the smaller of max_jump over its neighbourhood's largest and over the file's
    99th percentile. f: (frames, columns) stored features -> (frames,)."""
    j = f[:, JUMP].astype(np.float64) + 1e-6
    pad = np.concatenate([np.full(10, np.inf), j, np.full(10, np.inf)])
    n = len(j)
    near = [pad[10 + k : 10 + k + n] for k in list(range(-10, -2)) + list(range(3, 11))]
    near = [np.where(np.isinf(a), 0, a) for a in near]
    ctx = np.maximum.reduce(near)
    return np.minimum(j / np.maximum(ctx, 1e-6), j / np.percentile(j, 99))


def main() -> None:
    model = load_model(Path(sys.argv[1]).read_bytes())
    thresholds = [float(t) for t in sys.argv[2:]]
    score = qd.load_score_module()
    work = Path("var/qd")
    for corpus in CORPORA:
        cdir = work / corpus
        manifest = json.loads((cdir / "manifest.json").read_text())
        feats = {
            e["filename"]: np.load(
                work / "features" / DEFAULT_RECIPE.version / corpus / (e["filename"] + ".npy")
            )
            for e in manifest["files"]
            if e["split"] == "test"
        }
        base, gated = [], {t: [] for t in thresholds}
        for name, f in feats.items():
            p = predict(model, f)
            dets = detections_from_probabilities(
                p,
                artifact_types=model.metadata.artifact_types,
                hop_ms=10,
                threshold=None,
                chosen_thresholds=model.metadata.thresholds,
                merge_window_ms=200,
                min_duration_ms=50,
            )
            base += [{"filename": name, **d.__dict__} for d in dets]
            s = rule_score(f.astype(np.float32))
            ci = list(model.metadata.artifact_types).index("click")
            thr = model.metadata.thresholds.get("click", 0.5)
            blocked = np.zeros(len(f), bool)
            for d in dets:  # near any model detection: the model has spoken there
                blocked[max(0, d.start_ms // 10 - 5) : d.end_ms // 10 + 5] = True
            for t in thresholds:
                extra = []
                frames = np.flatnonzero((s > t) & ~blocked & (p[:, ci] < thr))
                if len(frames):
                    groups = np.split(frames, np.flatnonzero(np.diff(frames) > 8) + 1)
                    for g in groups:
                        extra.append(
                            {
                                "filename": name,
                                "artifact_type": "click",
                                "start_ms": int(g[0]) * 10,
                                "end_ms": int(g[-1] + 1) * 10 + 10,
                                "confidence": float(thr),
                            }
                        )
                gated[t] += extra
        row = {"model": qd.score_detections(score, cdir, base)}
        for t in thresholds:
            row[f"gate {t}"] = qd.score_detections(score, cdir, base + gated[t])
        for label, r in row.items():
            c = r["per_type"]["click"]
            print(
                f"{corpus:<24} {label:<9} click F1 {c['f1'] or 0:.3f} P {c['precision'] or 0:.3f} "
                f"R {c['recall'] or 0:.3f}  macro {r['macro']['event_f1']:.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
