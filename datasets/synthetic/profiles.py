"""Corpus profiles: JSON files in the bench kit's format, read into a checked `Profile`.

A profile gives ranges ([low, high], drawn uniformly per clip) and weighted choices (an object of
value → weight, or a list for equal weights). The keys the bench kit reads mean the same here;
`engine`, `sentences`, `lead_ms`, `tail_ms` and `description` are ours, and `artifact_params`
overrides any of `DEFAULT_ARTIFACT_PARAMS` per type. Shipped profiles live in `profiles/` beside
this module and are named without `.json` (`load_profile("tiny")`); any other JSON file can be
given by path.
"""

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

PACKAGE_DIR = Path(__file__).resolve().parent
PROFILES_DIR = PACKAGE_DIR / "profiles"
DEFAULT_SENTENCES = PACKAGE_DIR / "sentences.txt"

ARTIFACT_TYPES = ("click", "dropout", "clipping", "long_pause", "stutter")
FORMATS = ("wav_pcm16", "wav_float", "flac")
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 8_000, 48_000
MAX_CHANNELS = 2

DEFAULT_ARTIFACT_PARAMS: dict[str, dict[str, Any]] = {
    # A train of `count` impulses `interval_ms` apart, each `width_ms` long, at `rel_amp` times
    # the local peak; `in_speech` keeps them inside active speech. Short trains are labelled
    # `min_label_ms` wide.
    "click": {
        "count": [1, 4],
        "width_ms": [0.2, 5.0],
        "interval_ms": [5, 60],
        "rel_amp": [0.6, 2.0],
        "in_speech": False,
        "min_label_ms": 20,
    },
    # Speech set to digital zero, or (with `attenuated_prob`) lowered by `attenuation_db`.
    "dropout": {"dur_ms": [20, 250], "attenuated_prob": 0.3, "attenuation_db": -60},
    # Speech amplified to 1/clip_level over `ramp_ms` and cut flat at its own former peak.
    "clipping": {"dur_ms": [100, 800], "clip_level": [0.3, 0.7], "ramp_ms": 5.0},
    # Silence (background noise only) between sentences or, with `within_sentence_prob`, inside
    # one at a word boundary.
    "long_pause": {"dur_ms": [700, 2500], "within_sentence_prob": 0.5},
    # A chunk of speech played `plays` times in a row, with crossfades at the joins.
    "stutter": {"chunk_ms": [40, 150], "plays": [2, 4], "crossfade_ms": 2.0},
}

T = TypeVar("T")


@dataclass(frozen=True)
class Choices(Generic[T]):
    """Weighted values, drawn with one `rng.choice` in the order the profile lists them."""

    values: tuple[T, ...]
    weights: tuple[float, ...]

    def draw(self, rng: np.random.Generator) -> T:
        probabilities = np.asarray(self.weights) / sum(self.weights)
        return self.values[int(rng.choice(len(self.values), p=probabilities))]

    def to_json(self) -> dict[str, float]:
        return {str(value): weight for value, weight in zip(self.values, self.weights, strict=True)}


@dataclass(frozen=True)
class Profile:
    name: str
    seed: int
    n_clips: int
    test_fraction: float
    filename_prefix: str
    duration_s: tuple[float, float]
    voices: Choices[str]
    speed_wpm: tuple[int, int]
    pitch: tuple[int, int]
    pause_ms: tuple[float, float]
    snr_db: tuple[float, float]
    peak_dbfs: tuple[float, float]
    noise_alpha: tuple[float, float]
    sample_rates: Choices[int]
    channels: Choices[int]
    formats: Choices[str]
    events_per_clip: Choices[int]
    artifact_types: Choices[str]
    min_gap_ms: int
    artifact_params: dict[str, dict[str, Any]]
    engine: str = "espeak-ng"
    sentences: Path = DEFAULT_SENTENCES
    lead_ms: tuple[float, float] = (250.0, 600.0)
    tail_ms: tuple[float, float] = (300.0, 700.0)
    description: str = ""
    source: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def load_sentences(self) -> list[str]:
        lines = self.sentences.read_text(encoding="utf-8").splitlines()
        sentences = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        if len(sentences) < 10:
            raise ValueError(f"{self.sentences} holds {len(sentences)} sentences; give at least 10")
        return sentences


_REQUIRED = (
    "name", "n_clips", "duration_s", "voices", "speed_wpm", "pitch", "snr_db", "peak_dbfs",
    "sample_rates", "channels", "formats", "events_per_clip", "artifact_types",
)  # fmt: skip
_OPTIONAL = (
    "seed", "test_fraction", "filename_prefix", "pause_ms", "noise_alpha", "min_gap_ms",
    "artifact_params", "engine", "sentences", "lead_ms", "tail_ms", "description",
)  # fmt: skip


def available_profiles() -> list[str]:
    return sorted(path.stem for path in PROFILES_DIR.glob("*.json"))


def load_profile(profile: "str | Path | Mapping[str, Any] | Profile") -> Profile:
    """A shipped profile by name ("tiny"), a JSON file by path, or a dict in the same format.
    Raises ValueError naming the first bad key (or FileNotFoundError for a missing file)."""
    if isinstance(profile, Profile):
        return profile
    if isinstance(profile, Mapping):
        return parse_profile(profile, base_dir=PACKAGE_DIR)
    path = Path(profile)
    if path.suffix != ".json" and not path.exists():
        path = PROFILES_DIR / f"{profile}.json"
        if not path.exists():
            raise ValueError(
                f"no profile named {str(profile)!r}; shipped: {', '.join(available_profiles())} "
                "(or give the path of a JSON file)"
            )
    return parse_profile(json.loads(path.read_text(encoding="utf-8")), base_dir=path.parent)


def parse_profile(raw: Mapping[str, Any], *, base_dir: Path) -> Profile:
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ValueError(f"unknown profile keys {unknown}; known: {sorted(_REQUIRED + _OPTIONAL)}")
    missing = [key for key in _REQUIRED if key not in raw]
    if missing:
        raise ValueError(f"the profile lacks {missing}")
    name = str(raw["name"])
    n_clips = _whole(raw, "n_clips", minimum=1)
    test_fraction = float(raw.get("test_fraction", 0.2))
    if not 0 <= test_fraction <= 1:
        raise ValueError(f"test_fraction must be within [0, 1], got {test_fraction}")
    return Profile(
        name=name,
        seed=_whole(raw, "seed", default=0, minimum=0),
        n_clips=n_clips,
        test_fraction=test_fraction,
        filename_prefix=_prefix(raw.get("filename_prefix", name)),
        duration_s=_range(raw, "duration_s", minimum=1.0),
        voices=_choices(raw, "voices", str),
        speed_wpm=_int_range(raw, "speed_wpm"),
        pitch=_int_range(raw, "pitch"),
        pause_ms=_range(raw, "pause_ms", default=(100.0, 350.0), minimum=0.0),
        snr_db=_range(raw, "snr_db"),
        peak_dbfs=_range(raw, "peak_dbfs", maximum=-0.5),
        noise_alpha=_range(raw, "noise_alpha", default=(0.0, 1.5), minimum=0.0),
        sample_rates=_choices(
            raw, "sample_rates", int, allowed=range(MIN_SAMPLE_RATE, MAX_SAMPLE_RATE + 1)
        ),
        channels=_choices(raw, "channels", int, allowed=range(1, MAX_CHANNELS + 1)),
        formats=_choices(raw, "formats", str, allowed=FORMATS),
        events_per_clip=_choices(raw, "events_per_clip", int, allowed=range(0, 11)),
        artifact_types=_choices(raw, "artifact_types", str, allowed=ARTIFACT_TYPES),
        min_gap_ms=_whole(raw, "min_gap_ms", default=300, minimum=0),
        artifact_params=_artifact_params(raw.get("artifact_params", {})),
        engine=str(raw.get("engine", "espeak-ng")),
        sentences=_sentences_path(raw.get("sentences"), base_dir),
        lead_ms=_range(raw, "lead_ms", default=(250.0, 600.0), minimum=210.0),
        tail_ms=_range(raw, "tail_ms", default=(300.0, 700.0), minimum=210.0),
        description=str(raw.get("description", "")),
        source=copy.deepcopy(dict(raw)),
    )


def _whole(raw: Mapping[str, Any], key: str, *, default: int | None = None, minimum: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{key} must be a whole number of at least {minimum}, got {value!r}")
    return value


def _prefix(value: object) -> str:
    text = str(value)
    if not text or not all(character.isalnum() or character in "-_" for character in text):
        raise ValueError(f"filename_prefix must be letters, digits, - or _, got {text!r}")
    return text


def _range(
    raw: Mapping[str, Any],
    key: str,
    *,
    default: tuple[float, float] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> tuple[float, float]:
    value = raw.get(key, default)
    if not isinstance(value, Sequence) or len(value) != 2:
        raise ValueError(f"{key} must be [low, high], got {value!r}")
    low, high = float(value[0]), float(value[1])
    if low > high:
        raise ValueError(f"{key}: low {low} is above high {high}")
    if minimum is not None and low < minimum:
        raise ValueError(f"{key} must not go below {minimum}, got {low}")
    if maximum is not None and high > maximum:
        raise ValueError(f"{key} must not go above {maximum}, got {high}")
    return low, high


def _int_range(raw: Mapping[str, Any], key: str) -> tuple[int, int]:
    low, high = _range(raw, key)
    if low != int(low) or high != int(high):
        raise ValueError(f"{key} must be whole numbers, got {raw[key]!r}")
    return int(low), int(high)


def _choices(
    raw: Mapping[str, Any], key: str, kind: type, *, allowed: Sequence[Any] | None = None
) -> Choices:
    table = raw[key]
    if isinstance(table, Mapping):
        pairs = [(value, float(weight)) for value, weight in table.items()]
    elif isinstance(table, Sequence) and not isinstance(table, str):
        pairs = [(value, 1.0) for value in table]
    else:
        raise ValueError(f"{key} must be an object of value → weight or a list, got {table!r}")
    try:
        pairs = [(kind(value), weight) for value, weight in pairs]
    except ValueError:
        raise ValueError(f"{key} holds a value that is not {kind.__name__}: {table!r}") from None
    if not pairs or any(weight < 0 for _, weight in pairs) or sum(w for _, w in pairs) <= 0:
        raise ValueError(f"{key} needs at least one value and weights >= 0 that add up above 0")
    if allowed is not None:
        bad = [value for value, _ in pairs if value not in allowed]
        if bad:
            shown = allowed if len(allowed) < 20 else f"{allowed[0]} to {allowed[-1]}"
            raise ValueError(f"{key}: {bad} not allowed; choose from {shown}")
    values, weights = zip(*pairs, strict=True)
    return Choices(tuple(values), tuple(weights))


def _artifact_params(overrides: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    params = copy.deepcopy(DEFAULT_ARTIFACT_PARAMS)
    for artifact_type, values in overrides.items():
        if artifact_type not in params:
            raise ValueError(f"artifact_params: unknown artifact type {artifact_type!r}")
        unknown = sorted(set(values) - set(params[artifact_type]))
        if unknown:
            raise ValueError(
                f"artifact_params.{artifact_type}: unknown keys {unknown}; "
                f"known: {sorted(params[artifact_type])}"
            )
        params[artifact_type].update(copy.deepcopy(dict(values)))
    return params


def _sentences_path(value: object, base_dir: Path) -> Path:
    if value is None:
        return DEFAULT_SENTENCES
    for folder in (base_dir, PACKAGE_DIR):
        candidate = folder / str(value)
        if candidate.is_file():
            return candidate
    raise ValueError(f"sentences file {value!r} not found beside the profile or in {PACKAGE_DIR}")
