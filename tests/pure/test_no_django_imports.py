"""Pure modules stay free of Django, so they can be tested and benchmarked alone."""

import subprocess
import sys

import pytest

PURE_MODULES = [
    "tenants.keys",
    "datasets.palette",
    "datasets.formats",
    "datasets.audio.pipeline",
    "datasets.audio.peaks",
    "datasets.audio.decode",
    "datasets.audio.features",
    "datasets.audio.scratch",
    "datasets.audio.stored_features",
    "datasets.audio.tiles",
    "datasets.audio.cues",
    "datasets.synthetic",
    "datasets.synthetic.__main__",
    "datasets.synthetic.workers",
    "annotations.event_matching",
    "training.ml.data",
    "training.ml.network",
    "training.ml.loop",
    "training.ml.metrics",
    "training.ml.postprocess",
    "training.ml.model_file",
    "annotations.label_formats",
    "annotations.page_anchors",
    "relay.ratelimit",
    "relay.encryption",
    "tenants.webhook_signing",
    "tenants.webhook_urls",
]


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_modules_load_without_django(module):
    code = f"import sys, {module}; print(any(m.split('.')[0] == 'django' for m in sys.modules))"

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"
