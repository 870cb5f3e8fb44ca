"""One clip: speech from the profile's engine, artifacts injected, exact labels, a file written.

A clip is built in three passes, each on the timeline it needs:

1. Speech at the engine's rate: sentences trimmed to their speech, joined with natural pauses
   and lead and tail silence. Long pauses go in here (a silence between two sentences, or an
   engine break inside one), and stutters (a chunk of speech repeated), because both change the
   length of the timeline.
2. The output signal: resampled to the output rate, scaled to its peak level, spread to its
   channels, and background noise added at the drawn SNR against the active speech.
3. Artifacts that change samples in place, on the output signal: clipping, dropouts, clicks.

Every event keeps `min_gap_ms` from every other one and `EDGE_MARGIN_S` from both ends of the
clip. Labels are the exact changed regions in whole ms (start rounded down, end up).
Every random draw comes from the clip's own generator, seeded by (seed, clip index).
"""

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from datasets.synthetic.engines import SpeechEngine
from datasets.synthetic.profiles import Profile
from datasets.synthetic.signal import (
    ActiveSpeech,
    coloured_noise,
    fade_edges,
    resample,
    trim_to_speech,
)
from datasets.synthetic.writing import EXTENSIONS, write_audio

EDGE_MARGIN_S = 0.2
MAX_SENTENCES = 12
MAX_REJECTED_SENTENCES = 12  # sentences too long for the clip, skipped before giving up
PLACEMENT_TRIES = 300
WITHIN_SENTENCE_MIN_WORDS = 6  # a pause inside a sentence leaves at least two words each side
MAX_CHANNEL_IMBALANCE_DB = 4.0
SAMPLE_ARTIFACTS = ("clipping", "dropout", "click")  # injected in this order, the pickiest first
CLIP_STREAM = 1  # the clips' random streams are (seed, CLIP_STREAM, index)


@dataclass
class Event:
    """[start, end) in samples at `sample_rate`, the rate of the timeline it was made on."""

    artifact_type: str
    start: int
    end: int
    sample_rate: int
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def start_s(self) -> float:
        return self.start / self.sample_rate

    @property
    def end_s(self) -> float:
        return self.end / self.sample_rate

    def label(self) -> dict[str, Any]:
        return {
            "artifact_type": self.artifact_type,
            "start_ms": self.start * 1000 // self.sample_rate,
            "end_ms": -(-self.end * 1000 // self.sample_rate),
            "params": self.params,
        }


class Timeline:
    """The events placed so far, and whether a new one would keep its distance from them."""

    def __init__(self, *, min_gap_s: float) -> None:
        self.events: list[Event] = []
        self.min_gap_s = min_gap_s

    def is_free(self, start_s: float, end_s: float) -> bool:
        gap = self.min_gap_s
        return all(
            end_s + gap <= event.start_s or event.end_s + gap <= start_s for event in self.events
        )

    def add(self, event: Event) -> None:
        self.events.append(event)

    def shift_after(self, sample: int, by: int) -> None:
        """Move the events at or after `sample` (same timeline) later by `by` samples."""
        for event in self.events:
            if event.start >= sample:
                event.start += by
                event.end += by


@dataclass(frozen=True)
class ClipSettings:
    voice: str
    speed_wpm: int
    pitch: int
    duration_s: float
    artifact_types: tuple[str, ...]
    sample_rate: int
    channels: int
    audio_format: str
    snr_db: float
    peak_dbfs: float
    noise_alpha: float
    lead_s: float
    tail_s: float


def uniform(rng: np.random.Generator, bounds: tuple[float, float] | list[float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def whole(rng: np.random.Generator, bounds: tuple[int, int] | list[int]) -> int:
    return int(rng.integers(int(bounds[0]), int(bounds[1]) + 1))


def draw_settings(rng: np.random.Generator, profile: Profile) -> ClipSettings:
    voice = profile.voices.draw(rng)
    speed_wpm = whole(rng, profile.speed_wpm)
    pitch = whole(rng, profile.pitch)
    duration_s = uniform(rng, profile.duration_s)
    count = profile.events_per_clip.draw(rng)
    artifact_types = tuple(profile.artifact_types.draw(rng) for _ in range(count))
    return ClipSettings(
        voice=voice,
        speed_wpm=speed_wpm,
        pitch=pitch,
        duration_s=duration_s,
        artifact_types=artifact_types,
        sample_rate=profile.sample_rates.draw(rng),
        channels=profile.channels.draw(rng),
        audio_format=profile.formats.draw(rng),
        snr_db=uniform(rng, profile.snr_db),
        peak_dbfs=uniform(rng, profile.peak_dbfs),
        noise_alpha=uniform(rng, profile.noise_alpha),
        lead_s=uniform(rng, profile.lead_ms) / 1000,
        tail_s=uniform(rng, profile.tail_ms) / 1000,
    )


@dataclass(frozen=True)
class PausePlan:
    duration_ms: int
    is_within_sentence: bool


@dataclass(frozen=True)
class StutterPlan:
    chunk_ms: float
    plays: int


class ClipBuilder:
    def __init__(
        self,
        *,
        profile: Profile,
        engine: SpeechEngine,
        sentences: list[str],
        seed: int,
        index: int,
    ) -> None:
        self.profile = profile
        self.engine = engine
        self.sentences = sentences
        self.index = index
        self.rng = np.random.default_rng([seed, CLIP_STREAM, index])
        self.params = profile.artifact_params
        self.timeline = Timeline(min_gap_s=profile.min_gap_ms / 1000)

    # --- 1. speech, long pauses and stutters at the engine's rate -----------------------------

    def build(self, out_dir: Path, split: str) -> dict[str, Any]:
        settings = draw_settings(self.rng, self.profile)
        pauses = [
            PausePlan(
                duration_ms=round(uniform(self.rng, self.params["long_pause"]["dur_ms"])),
                is_within_sentence=bool(
                    self.rng.random() < self.params["long_pause"]["within_sentence_prob"]
                ),
            )
            for kind in settings.artifact_types
            if kind == "long_pause"
        ]
        stutters = [
            StutterPlan(
                chunk_ms=uniform(self.rng, self.params["stutter"]["chunk_ms"]),
                plays=whole(self.rng, self.params["stutter"]["plays"]),
            )
            for kind in settings.artifact_types
            if kind == "stutter"
        ]
        # The time that is not sentences, known before any is chosen.
        reserved_s = settings.lead_s + settings.tail_s + sum(p.duration_ms for p in pauses) / 1000
        reserved_s += sum(s.chunk_ms * (s.plays - 1) for s in stutters) / 1000
        texts, speeches, speech_rate = self._choose_sentences(
            settings,
            target_s=settings.duration_s - reserved_s,
            limit_s=self.profile.duration_s[1] - reserved_s,
        )
        gaps_ms = [uniform(self.rng, self.profile.pause_ms) for _ in range(len(texts) - 1)]
        samples = self._assemble(settings, texts, speeches, gaps_ms, pauses, speech_rate)
        for stutter in stutters:
            samples = self._insert_stutter(samples, speech_rate, stutter)

        # --- 2. the output signal ---------------------------------------------------------------
        rate = settings.sample_rate
        mono = resample(samples, speech_rate, rate)
        mono *= 10 ** (settings.peak_dbfs / 20) / max(float(np.abs(mono).max()), 1e-12)
        active = ActiveSpeech(mono, rate)
        gains = [1.0] + [
            10 ** (-uniform(self.rng, (0.0, MAX_CHANNEL_IMBALANCE_DB)) / 20)
            for _ in range(settings.channels - 1)
        ]
        output = np.stack([mono * gain for gain in gains], axis=1)  # (frames, channels)
        noise_rms = active.speech_rms() / 10 ** (settings.snr_db / 20)
        for channel, gain in enumerate(gains):
            noise = coloured_noise(
                self.rng, len(mono), alpha=settings.noise_alpha, sample_rate=rate
            )
            output[:, channel] += noise * noise_rms * gain

        # --- 3. artifacts on the output samples -------------------------------------------------
        for kind in SAMPLE_ARTIFACTS:
            for _ in range(settings.artifact_types.count(kind)):
                inject = getattr(self, f"_inject_{kind}")
                inject(output, rate, active, gains)
        loudest = float(np.abs(output).max())
        if loudest > 0.999:  # noise on a loud peak: scale down rather than clip by accident
            output *= 0.999 / loudest

        filename = f"{self.profile.filename_prefix}_{self.index:04d}"
        filename += EXTENSIONS[settings.audio_format]
        write_audio(out_dir / filename, output, rate, settings.audio_format)
        duration_ms = len(output) * 1000 // rate
        labels = self._labels(filename, duration_ms)
        return {
            "filename": filename,
            "split": split,
            "duration_ms": duration_ms,
            "sample_rate": rate,
            "channels": settings.channels,
            "format": settings.audio_format,
            "voice": settings.voice,
            "speed_wpm": settings.speed_wpm,
            "pitch": settings.pitch,
            "snr_db": round(settings.snr_db, 2),
            "peak_dbfs": round(settings.peak_dbfs, 2),
            "noise_alpha": round(settings.noise_alpha, 3),
            "text": " ".join(texts),
            "events": labels,
        }

    def _speak(self, text: str, settings: ClipSettings):
        return self.engine.speak(
            text, voice=settings.voice, speed_wpm=settings.speed_wpm, pitch=settings.pitch
        )

    def _choose_sentences(
        self, settings: ClipSettings, *, target_s: float, limit_s: float
    ) -> tuple[list[str], list[np.ndarray], int]:
        """Sentences in a random order until their speech (with typical pauses) reaches
        `target_s`; one that would pass `limit_s` is skipped for a shorter one."""
        typical_gap_s = sum(self.profile.pause_ms) / 2000
        texts, speeches, total_s, rejected = [], [], 0.0, 0
        speech_rate = 0
        for position in self.rng.permutation(len(self.sentences)):
            text = self.sentences[int(position)]
            speech = self._speak(text, settings)
            if speech_rate and speech.sample_rate != speech_rate:
                raise RuntimeError(f"{self.engine.name} changed its sample rate mid-clip")
            speech_rate = speech.sample_rate
            samples = fade_edges(trim_to_speech(speech.samples), speech_rate)
            length_s = len(samples) / speech_rate
            if texts and total_s + length_s > limit_s:
                rejected += 1
                if rejected >= MAX_REJECTED_SENTENCES:
                    break
                continue
            texts.append(text)
            speeches.append(samples)
            total_s += length_s + typical_gap_s
            if total_s >= target_s or len(texts) >= MAX_SENTENCES:
                break
        return texts, speeches, speech_rate

    def _assemble(
        self,
        settings: ClipSettings,
        texts: list[str],
        speeches: list[np.ndarray],
        gaps_ms: list[float],
        pauses: list[PausePlan],
        rate: int,
    ) -> np.ndarray:
        """Lead, sentences and gaps, tail; long pauses replace a gap or split a sentence."""
        # Slots: sentence i is slot 2i, the gap after it 2i + 1. Two pauses sit at least two
        # slots apart, so a whole sentence or two words each side lie between them.
        used_slots: list[int] = []
        gap_pauses: dict[int, int] = {}  # gap index -> pause ms
        split_at: dict[int, tuple[int, int]] = {}  # sentence index -> (pause start, pause ms)
        for pause in pauses:
            within = [
                ("within", i)
                for i, text in enumerate(texts)
                if len(text.split()) >= WITHIN_SENTENCE_MIN_WORDS
            ]
            between = [("between", i) for i in range(len(texts) - 1)]
            preferred, other = (within, between) if pause.is_within_sentence else (between, within)
            for candidates in (preferred, other):
                candidates = [
                    (mode, i)
                    for mode, i in candidates
                    if all(abs(_slot(mode, i) - used) >= 2 for used in used_slots)
                ]
                if candidates:
                    break
            if not candidates:
                continue  # one short sentence: no room for this pause
            mode, i = candidates[int(self.rng.integers(len(candidates)))]
            used_slots.append(_slot(mode, i))
            if mode == "between":
                gap_pauses[i] = pause.duration_ms
                continue
            words = texts[i].split()
            cut = int(self.rng.integers(2, len(words) - 1))
            speech, pause_start = self.engine.speak_with_pause(
                " ".join(words[:cut]),
                " ".join(words[cut:]),
                pause_ms=pause.duration_ms,
                voice=settings.voice,
                speed_wpm=settings.speed_wpm,
                pitch=settings.pitch,
            )
            if speech.sample_rate != rate:
                raise RuntimeError(f"{self.engine.name} changed its sample rate mid-clip")
            speeches[i] = speech.samples
            split_at[i] = (pause_start, pause.duration_ms)

        pieces = [np.zeros(round(settings.lead_s * rate))]
        position = len(pieces[0])
        for i, speech in enumerate(speeches):
            if i in split_at:
                pause_start, pause_ms = split_at[i]
                start = position + pause_start
                length = rate * pause_ms // 1000
                params = {"placement": "within_sentence", "duration_ms": pause_ms}
                self.timeline.add(Event("long_pause", start, start + length, rate, params))
            pieces.append(speech)
            position += len(speech)
            if i < len(speeches) - 1:
                if i in gap_pauses:
                    length = rate * gap_pauses[i] // 1000
                    params = {"placement": "between_sentences", "duration_ms": gap_pauses[i]}
                    self.timeline.add(
                        Event("long_pause", position, position + length, rate, params)
                    )
                else:
                    length = round(gaps_ms[i] * rate / 1000)
                pieces.append(np.zeros(length))
                position += length
        pieces.append(np.zeros(round(settings.tail_s * rate)))
        return np.concatenate(pieces)

    def _insert_stutter(self, samples: np.ndarray, rate: int, plan: StutterPlan) -> np.ndarray:
        """Repeat a chunk of loud speech `plays` times, crossfading each join."""
        chunk = round(plan.chunk_ms * rate / 1000)
        overlap = max(1, round(self.params["stutter"]["crossfade_ms"] * rate / 1000))
        active = ActiveSpeech(samples, rate)
        duration_s = len(samples) / rate
        for _ in range(PLACEMENT_TRIES):
            start_s = uniform(self.rng, (EDGE_MARGIN_S, duration_s - EDGE_MARGIN_S - chunk / rate))
            end_s = start_s + chunk / rate
            if active.share(start_s, end_s) == 1.0 and self.timeline.is_free(start_s, end_s):
                break
        else:
            return samples  # no stretch of loud speech is free: the clip goes without
        start = round(start_s * rate)
        piece = samples[start : start + chunk]
        ramp = np.arange(overlap) / overlap
        repeated = [samples[: start + chunk]]
        for _ in range(plan.plays - 1):
            head = repeated[-1]
            crossfaded = head[-overlap:] * (1 - ramp) + piece[:overlap] * ramp
            repeated[-1] = head[:-overlap]
            repeated += [crossfaded, piece[overlap:]]
        period = chunk - overlap
        inserted = (plan.plays - 1) * period
        self.timeline.shift_after(start + chunk, inserted)
        self.timeline.add(
            Event(
                "stutter",
                start,
                start + chunk + inserted,
                rate,
                {
                    "chunk_ms": round(chunk * 1000 / rate, 2),
                    "plays": plan.plays,
                    "period_ms": round(period * 1000 / rate, 3),
                },
            )
        )
        return np.concatenate([*repeated, samples[start + chunk :]])

    # --- 3. artifacts on the output samples ----------------------------------------------------

    def _place(
        self, active: ActiveSpeech, duration_s: float, length_s: float, min_active: float
    ) -> float | None:
        """A start time for a stretch of `length_s` in speech at least `min_active` active and
        clear of the other events, or None after PLACEMENT_TRIES draws."""
        latest = duration_s - EDGE_MARGIN_S - length_s
        if latest <= EDGE_MARGIN_S:
            return None
        for _ in range(PLACEMENT_TRIES):
            start_s = uniform(self.rng, (EDGE_MARGIN_S, latest))
            end_s = start_s + length_s
            if active.share(start_s, end_s) >= min_active and self.timeline.is_free(start_s, end_s):
                return start_s
        return None

    def _inject_clipping(self, output, rate, active, gains) -> None:
        params = self.params["clipping"]
        length_s = uniform(self.rng, params["dur_ms"]) / 1000
        level = uniform(self.rng, params["clip_level"])
        start_s = self._place(active, len(output) / rate, length_s, 0.7)
        if start_s is None:
            return
        start, end = round(start_s * rate), round((start_s + length_s) * rate)
        # The gain rises to 1/level over the ramp and falls back at the end, so the stretch has
        # no step at its edges; the tops are then cut flat at the stretch's own former peak.
        ramp = min((end - start) // 4, round(params["ramp_ms"] * rate / 1000))
        gain = np.full(end - start, 1 / level)
        gain[:ramp] = np.linspace(1.0, 1 / level, ramp)
        gain[len(gain) - ramp :] = np.linspace(1 / level, 1.0, ramp)
        for channel in range(output.shape[1]):
            stretch = output[start:end, channel]
            peak = float(np.abs(stretch).max())
            output[start:end, channel] = np.clip(stretch * gain, -peak, peak)
        self.timeline.add(Event("clipping", start, end, rate, {"clip_level": round(level, 3)}))

    def _inject_dropout(self, output, rate, active, gains) -> None:
        params = self.params["dropout"]
        length_s = uniform(self.rng, params["dur_ms"]) / 1000
        is_attenuated = bool(self.rng.random() < params["attenuated_prob"])
        start_s = self._place(active, len(output) / rate, length_s, 0.8)
        if start_s is None:
            return
        start, end = round(start_s * rate), round((start_s + length_s) * rate)
        attenuation_db = params["attenuation_db"]
        output[start:end] *= 10 ** (attenuation_db / 20) if is_attenuated else 0.0
        mode = f"attenuated_{-attenuation_db:g}db" if is_attenuated else "digital_zero"
        self.timeline.add(Event("dropout", start, end, rate, {"mode": mode}))

    def _inject_click(self, output, rate, active, gains) -> None:
        params = self.params["click"]
        count = whole(self.rng, params["count"])
        widths_s = [uniform(self.rng, params["width_ms"]) / 1000 for _ in range(count)]
        intervals_s = [uniform(self.rng, params["interval_ms"]) / 1000 for _ in range(count - 1)]
        span_s = sum(intervals_s) + widths_s[-1]
        # Room on each side for the label's widening to min_label_ms.
        margin_s = params["min_label_ms"] / 2000
        min_active = 0.5 if params["in_speech"] else 0.0
        found = self._place(active, len(output) / rate, span_s + 2 * margin_s, min_active)
        if found is None:
            return
        first_s = found + margin_s
        clip_peak = float(np.abs(output[:, 0]).max())
        shapes, onset_s = [], first_s
        for number, width_s in enumerate(widths_s):
            start = round(onset_s * rate)
            width = max(1, round(width_s * rate))
            around = output[max(0, start - rate // 4) : start + rate // 4, 0]
            reference = max(float(np.abs(around).max()), 0.5 * clip_peak)
            amplitude = min(uniform(self.rng, params["rel_amp"]) * reference, 0.95)
            sign = 1.0 if self.rng.random() < 0.5 else -1.0
            shape = ("step", "ringing", "bipolar")[int(self.rng.integers(3))]
            pulse = self._pulse(shape, width, rate)
            # Below full scale, or the click would bring flat tops (clipping) with it.
            headroom = 0.97 - float(np.abs(output[start : start + width, 0]).max())
            amplitude = sign * min(amplitude, max(0.05, headroom))
            for channel, gain in enumerate(gains):
                output[start : start + width, channel] += amplitude * gain * pulse
            shapes.append(shape)
            end = start + width
            if number < count - 1:
                onset_s += intervals_s[number]
        start = round(first_s * rate)
        minimum = round(params["min_label_ms"] * rate / 1000)
        if end - start < minimum:  # too short to label usefully: widen around its middle
            start = (start + end - minimum) // 2
            end = start + minimum
        self.timeline.add(
            Event(
                "click",
                start,
                end,
                rate,
                {
                    "count": count,
                    "shapes": shapes,
                    "widths_ms": [round(width_s * 1000, 2) for width_s in widths_s],
                },
            )
        )

    def _pulse(self, shape: str, width: int, rate: int) -> np.ndarray:
        if shape == "step":
            return np.ones(width)
        if shape == "bipolar":
            return np.where(np.arange(width) < max(1, width // 2), 1.0, -0.8)
        # "ringing": a decaying 1.5-7 kHz oscillation that starts at full height.
        frequency = uniform(self.rng, (1500.0, min(7000.0, 0.4 * rate)))
        times = np.arange(width) / rate
        decay_s = max(width / rate / 4, 1 / rate)
        return np.exp(-times / decay_s) * np.cos(2 * np.pi * frequency * times)

    # --- labels --------------------------------------------------------------------------------

    def _labels(self, filename: str, duration_ms: int) -> list[dict[str, Any]]:
        labels = [event.label() for event in sorted(self.timeline.events, key=lambda e: e.start_s)]
        for label in labels:
            if not 0 <= label["start_ms"] < label["end_ms"] <= duration_ms:
                raise RuntimeError(f"{filename}: an event lies outside the file: {label}")
        # Rounding to whole ms can take up to 1 ms off each side of a gap.
        for before, after in itertools.pairwise(labels):
            if after["start_ms"] - before["end_ms"] < self.profile.min_gap_ms - 2:
                raise RuntimeError(f"{filename}: events closer than min_gap_ms: {before} {after}")
        return labels


def _slot(mode: str, index: int) -> int:
    return 2 * index if mode == "within" else 2 * index + 1
