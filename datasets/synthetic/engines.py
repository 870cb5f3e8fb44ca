"""Text-to-speech engines behind one small interface, so a profile can pick the engine by name.

An engine turns text into mono samples at its own native rate (`Speech`). The corpus generator
needs two calls from it: `speak` and `speak_with_pause` (a sentence with a silence at a word
boundary, for the long pauses inside a sentence). A new engine subclasses `SpeechEngine`, writes
`speak` (and `speak_with_pause` where the engine can pause mid-sentence with natural prosody) and
adds an opener to `ENGINE_OPENERS`; profiles then name it in `"engine"`.

espeak-ng is the engine Relay's corpora are made with. It is used through the shared library that
the PyPI package `espeakng-loader` ships (called with ctypes, no process per sentence), and through
the `espeak-ng` program (Debian package `espeak-ng`) when that library cannot be loaded.

Flite (CMU's small engine, Debian package `flite`) is a second engine, a different synthesis method
(diphone and clustergen voices, not formants): held-out test corpora are spoken by it to measure
how a detector trained on espeak-ng generalises, and it speaks the own-engine corpus
(tests/bench/profile_own_flite.json) that a model is trained and tested on (docs/benchmarks.md).

Festival (Edinburgh's engine, Debian package `festival` plus `festvox-*` voices) is a third engine,
with diphone and HTS (statistical parametric) voices. It is kept for testing only: no model is
trained on it, so its corpus (tests/bench/profile_heldout_festival.json) measures an engine the
detector has never heard.
"""

import ctypes
import functools
import re
import shutil
import subprocess
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import soundfile as sf

from datasets.synthetic.signal import fade_edges, longest_quiet_run, trim_to_speech

INSTALL_HINT = (
    "install the Python package espeakng-loader (pip install espeakng-loader; Relay's "
    "pyproject lists it) or the espeak-ng program (apt-get install espeak-ng)"
)


class EngineUnavailable(RuntimeError):
    """No implementation of the requested engine can run here; the message says what to install."""


@dataclass(frozen=True)
class Speech:
    samples: np.ndarray  # (samples,) float64 in [-1, 1)
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


class SpeechEngine(ABC):
    """Text to speech. Subclasses set `name` (what profiles select), `implementation` and
    `version` (recorded in every manifest, since audio differs between engine versions)."""

    name: str = ""
    implementation: str = ""
    version: str = ""

    @abstractmethod
    def speak(self, text: str, *, voice: str, speed_wpm: int, pitch: int) -> Speech:
        """Raises ValueError for a voice the engine lacks, RuntimeError when synthesis fails."""

    def speak_with_pause(
        self, before: str, after: str, *, pause_ms: int, voice: str, speed_wpm: int, pitch: int
    ) -> tuple[Speech, int]:
        """`before`, exactly `pause_ms` of digital silence, then `after`, trimmed to the speech;
        returns the speech and the sample where the silence starts. This default speaks the two
        halves apart, so the first ends with a sentence's intonation; engines that can put a
        break inside one utterance override it."""
        halves = []
        for text in (before, after):
            speech = self.speak(text, voice=voice, speed_wpm=speed_wpm, pitch=pitch)
            halves.append(fade_edges(trim_to_speech(speech.samples), speech.sample_rate))
        sample_rate = speech.sample_rate
        silence = np.zeros(sample_rate * pause_ms // 1000)
        return Speech(np.concatenate([halves[0], silence, halves[1]]), sample_rate), len(halves[0])

    def describe(self) -> dict[str, str]:
        return {"name": self.name, "implementation": self.implementation, "version": self.version}


# --- espeak-ng -------------------------------------------------------------------------------

ESPEAK_MIN_RATE_WPM, ESPEAK_MAX_RATE_WPM = 80, 450


def _check_espeak_settings(speed_wpm: int, pitch: int) -> None:
    if not ESPEAK_MIN_RATE_WPM <= speed_wpm <= ESPEAK_MAX_RATE_WPM:
        raise ValueError(
            f"speed_wpm must be {ESPEAK_MIN_RATE_WPM}-{ESPEAK_MAX_RATE_WPM} for espeak-ng, "
            f"got {speed_wpm}"
        )
    if not 0 <= pitch <= 99:
        raise ValueError(f"pitch must be 0-99 for espeak-ng, got {pitch}")


def _ssml_with_break(before: str, after: str, pause_ms: int) -> str:
    return f'<speak>{escape(before)} <break time="{pause_ms}ms"/> {escape(after)}</speak>'


def _cut_break_to_length(speech: Speech, pause_ms: int) -> tuple[Speech, int]:
    """espeak-ng adds its own pause around an SSML break: trim the utterance, find the silence
    (the longest quiet run) and make it exactly `pause_ms` of zeros."""
    samples = fade_edges(trim_to_speech(speech.samples), speech.sample_rate)
    start, end = longest_quiet_run(samples)
    silence = np.zeros(speech.sample_rate * pause_ms // 1000)
    joined = np.concatenate([samples[:start], silence, samples[end:]])
    return Speech(joined, speech.sample_rate), start


class _EspeakBase(SpeechEngine):
    name = "espeak-ng"

    def speak_with_pause(
        self, before: str, after: str, *, pause_ms: int, voice: str, speed_wpm: int, pitch: int
    ) -> tuple[Speech, int]:
        # The break is asked longer than wanted, so that its silence is surely the longest one.
        ssml = _ssml_with_break(before, after, pause_ms + 200)
        speech = self._speak(ssml, voice=voice, speed_wpm=speed_wpm, pitch=pitch, is_ssml=True)
        return _cut_break_to_length(speech, pause_ms)

    def speak(self, text: str, *, voice: str, speed_wpm: int, pitch: int) -> Speech:
        return self._speak(text, voice=voice, speed_wpm=speed_wpm, pitch=pitch, is_ssml=False)

    @abstractmethod
    def _speak(
        self, text: str, *, voice: str, speed_wpm: int, pitch: int, is_ssml: bool
    ) -> Speech: ...


# speak_lib.h: espeak_AUDIO_OUTPUT, espeak_PARAMETER, espeak_POSITION_TYPE and the Synth flags.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_PARAMETER_RATE, _PARAMETER_PITCH = 1, 3
_POSITION_CHARACTER = 1
_CHARS_UTF8, _SSML = 0x01, 0x10
_STATUS_OK = 0
_RANDOM_SEED = 1
_BUFFER_MS = 500  # audio handed to the callback at a time
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class EspeakLibrary(_EspeakBase):
    """espeak-ng's shared library, loaded with ctypes from `library_path` and initialised with
    the voices at `data_path` (by default both from the `espeakng_loader` package).

    espeak-ng keeps one global synthesiser per process, so calls are serialised with a lock. It
    also keeps a little state between utterances (its pitch-flutter phase and gain control), so
    the same call can differ slightly depending on what the process spoke before; the corpus
    generator builds each clip in a fresh process for that reason.
    """

    implementation = "library"

    def __init__(self, library_path: str | None = None, data_path: str | None = None) -> None:
        if library_path is None or data_path is None:
            try:
                import espeakng_loader
            except ImportError as error:
                raise EngineUnavailable(f"espeakng-loader is not installed: {error}") from None
            library_path = library_path or espeakng_loader.get_library_path()
            data_path = data_path or espeakng_loader.get_data_path()
        try:
            library = ctypes.CDLL(library_path)
        except OSError as error:
            raise EngineUnavailable(f"cannot load {library_path}: {error}") from None
        library.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p]
        library.espeak_Initialize.argtypes += [ctypes.c_int]
        library.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        library.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        library.espeak_Synth.argtypes = [
            ctypes.c_void_p,  # text
            ctypes.c_size_t,  # its size in bytes, with the terminating NUL
            ctypes.c_uint,  # position
            ctypes.c_int,  # position type
            ctypes.c_uint,  # end position
            ctypes.c_uint,  # flags
            ctypes.c_void_p,  # unique identifier (unused)
            ctypes.c_void_p,  # user data (unused)
        ]
        # Breathy voices (en+f3, …) mix in noise from espeak-ng's own generator, which it seeds
        # from the clock; each utterance reseeds it with this fixed value instead.
        library.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        library.espeak_Info.restype = ctypes.c_char_p
        library.espeak_Info.argtypes = [ctypes.c_void_p]
        sample_rate = library.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, str(data_path).encode(), 0
        )
        if sample_rate <= 0:
            raise EngineUnavailable(f"espeak-ng found no voice data at {data_path}")
        self._library = library
        self._lock = threading.Lock()
        self._blocks: list[np.ndarray] = []
        # ctypes keeps no reference to a callback it passed to C: this attribute does.
        self._callback = _SYNTH_CALLBACK(self._receive)
        library.espeak_SetSynthCallback(self._callback)
        self.sample_rate = sample_rate
        self.version = (library.espeak_Info(None) or b"").decode()

    def _receive(self, samples, count: int, events) -> int:
        if count > 0 and samples:
            self._blocks.append(np.ctypeslib.as_array(samples, shape=(count,)).copy())
        return 0  # 0: go on synthesising

    def _speak(self, text: str, *, voice: str, speed_wpm: int, pitch: int, is_ssml: bool):
        _check_espeak_settings(speed_wpm, pitch)
        encoded = text.encode() + b"\0"
        flags = _CHARS_UTF8 | (_SSML if is_ssml else 0)
        with self._lock:
            if self._library.espeak_SetVoiceByName(voice.encode()) != _STATUS_OK:
                raise ValueError(f"espeak-ng has no voice {voice!r} (see `espeak-ng --voices`)")
            self._library.espeak_SetParameter(_PARAMETER_RATE, int(speed_wpm), 0)
            self._library.espeak_SetParameter(_PARAMETER_PITCH, int(pitch), 0)
            self._library.espeak_ng_SetRandSeed(_RANDOM_SEED)
            self._blocks = []
            status = self._library.espeak_Synth(
                encoded, len(encoded), 0, _POSITION_CHARACTER, 0, flags, None, None
            )
            self._library.espeak_Synchronize()
            blocks, self._blocks = self._blocks, []
        if status != _STATUS_OK or not blocks:
            raise RuntimeError(f"espeak-ng produced no audio for {text[:40]!r} (status {status})")
        return Speech(np.concatenate(blocks).astype(np.float64) / 32768.0, self.sample_rate)


class EspeakProgram(_EspeakBase):
    """The `espeak-ng` program, one process per utterance, writing a WAV file."""

    implementation = "program"

    def __init__(self, program: str = "espeak-ng") -> None:
        self._program, version_text = _program_and_version(program, "")
        # "eSpeak NG text-to-speech: 1.51  Data at: …"
        words = version_text.split(":", 1)[-1].split()
        self.version = words[0] if words else ""

    def _speak(self, text: str, *, voice: str, speed_wpm: int, pitch: int, is_ssml: bool):
        _check_espeak_settings(speed_wpm, pitch)
        with tempfile.TemporaryDirectory(prefix="relay-espeak-") as folder:
            path = Path(folder) / "speech.wav"
            command = [self._program, "-v", voice, "-s", str(int(speed_wpm))]
            command += ["-p", str(int(pitch)), "-w", str(path)]
            if is_ssml:
                command.append("-m")
            # "--" ends the options, so a sentence that starts with "-" is spoken, not parsed.
            result = subprocess.run([*command, "--", text], capture_output=True, check=False)
            message = result.stderr.decode(errors="replace").strip()
            if result.returncode != 0 and "voice" in message.lower():
                raise ValueError(f"espeak-ng has no voice {voice!r}: {message}")
            return _written_speech(self.name, result, path, text)


def _program_and_version(program: str, hint: str) -> tuple[str, str]:
    """The program's path and what `program --version` prints; EngineUnavailable (ending with
    `hint`) when it is not on PATH."""
    path = shutil.which(program)
    if path is None:
        raise EngineUnavailable(f"the {program!r} program is not on PATH{hint}")
    result = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    return path, result.stdout


def _written_speech(
    engine: str, result: subprocess.CompletedProcess, path: Path, text: str
) -> Speech:
    """The 16-bit WAV an engine's program wrote to `path` for `text`; RuntimeError, with what
    the program said (its stderr, or its stdout where stderr went there), when it failed or wrote
    no audio."""
    message = (result.stderr or result.stdout or b"").decode(errors="replace").strip()
    if result.returncode != 0 or not path.exists():
        raise RuntimeError(f"{engine} failed (exit {result.returncode}): {message}")
    samples, sample_rate = sf.read(path, dtype="int16")
    if samples.size == 0:
        raise RuntimeError(f"{engine} produced no audio for {text[:40]!r}: {message}")
    return Speech(samples.astype(np.float64) / 32768.0, int(sample_rate))


def open_espeak() -> SpeechEngine:
    """The library when it loads, else the program; EngineUnavailable naming both otherwise."""
    reasons = []
    for opener in (EspeakLibrary, EspeakProgram):
        try:
            return opener()
        except EngineUnavailable as error:
            reasons.append(str(error))
    raise EngineUnavailable(f"espeak-ng is not available ({'; '.join(reasons)}): {INSTALL_HINT}")


# --- flite -----------------------------------------------------------------------------------

FLITE_INSTALL_HINT = "apt-get install flite"
FLITE_DEFAULT_WPM = 175  # about the pace of flite's voices at duration_stretch 1


class FliteProgram(SpeechEngine):
    """The `flite` program, one process per utterance, writing a WAV file. Voices are flite's
    built-in ones (`flite -lv`: kal at 8 kHz; kal16, awb, rms and slt at 16 kHz). The speed sets
    `duration_stretch` (175 wpm is 1.0); flite's voices keep their own pitch, so `pitch` is only
    checked (0-99). Pauses inside a sentence use the default: the two halves spoken apart."""

    name = "flite"
    implementation = "program"

    def __init__(self, program: str = "flite") -> None:
        self._program, version_text = _program_and_version(program, f": {FLITE_INSTALL_HINT}")
        # "  version: flite-2.2-current Sep 2018 (http://cmuflite.org)"
        words = version_text.split()
        self.version = next((word for word in words if word.startswith("flite-")), "")
        listed = subprocess.run([self._program, "-lv"], capture_output=True, text=True, check=False)
        self.voices = frozenset(listed.stdout.split(":", 1)[-1].split())

    def speak(self, text: str, *, voice: str, speed_wpm: int, pitch: int) -> Speech:
        _check_espeak_settings(speed_wpm, pitch)  # the same ranges, so profiles carry over
        if voice not in self.voices:
            raise ValueError(
                f"flite has no voice {voice!r}; it has {', '.join(sorted(self.voices))}"
            )
        stretch = FLITE_DEFAULT_WPM / speed_wpm
        with tempfile.TemporaryDirectory(prefix="relay-flite-") as folder:
            path = Path(folder) / "speech.wav"
            command = [self._program, "-voice", voice, "--setf", f"duration_stretch={stretch:.3f}"]
            result = subprocess.run(
                [*command, "-t", text, "-o", str(path)], capture_output=True, check=False
            )
            return _written_speech(self.name, result, path, text)


# --- festival --------------------------------------------------------------------------------

FESTIVAL_INSTALL_HINT = (
    "apt-get install festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts "
    "festvox-italp16k festvox-ca-ona-hts"
)
FESTIVAL_DEFAULT_WPM = 175  # the pace taken as each voice's own (its Duration_Stretch as it is)
FESTIVAL_SEMITONES_PER_PITCH = 0.12  # pitch 50 is the voice's own; 0 and 99 are about -6 and +6

# One utterance, spoken by festival reading this Scheme program from standard input. The speed
# scales the voice's own Duration_Stretch (diphone voices) and sets hts_engine's "-r" (HTS
# voices). The pitch scales the F0 targets that Int_Targets computes, which only the diphone
# voices use; an HTS voice makes its own F0, and festival's hts_engine 1.07 ignores "-fm".
_FESTIVAL_SCRIPT = """\
(voice_{voice})
(Parameter.set 'Duration_Stretch (* {stretch} (Parameter.get 'Duration_Stretch)))
(if (boundp 'hts_engine_params)
    (set! hts_engine_params (cons (list "-r" {rate}) hts_engine_params)))
(set! relay_int_targets Int_Targets)
(define (Int_Targets utt)
  (relay_int_targets utt)
  (mapcar
   (lambda (target)
     (item.set_feat target "f0" (* {f0_factor} (item.feat target "f0"))))
   (utt.relation.items utt 'Target))
  utt)
(set! relay_utt (Utterance Text "{text}"))
(utt.synth relay_utt)
(utt.save.wave relay_utt "{path}" 'riff)
"""


def _scheme_string(text: str) -> str:
    """`text` as the inside of a Scheme string literal (festival's SIOD reader)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


class FestivalProgram(SpeechEngine):
    """The `festival` program, one process per utterance, writing a WAV file. Voices are the
    installed ones (`(voice.list)`), by festival's names: kal_diphone and ked_diphone (US English
    men, 16 kHz), cmu_us_slt_arctic_hts (a US English woman, HTS, 32 kHz), lp_diphone (an Italian
    woman, 16 kHz) and upc_ca_ona_hts (a Catalan woman, HTS, 16 kHz); the last two read English
    text with their own language's rules. The speed scales the voice's own Duration_Stretch for
    diphone voices and sets hts_engine's rate for HTS ones (175 wpm is the voice's own pace). The
    pitch shifts the diphone voices' F0 targets by 0.12 semitone a step from 50; HTS voices keep
    their own pitch, so there `pitch` is only checked (0-99). Pauses inside a sentence use the
    default: the two halves spoken apart."""

    name = "festival"
    implementation = "program"

    def __init__(self, program: str = "festival") -> None:
        self._program, version_text = _program_and_version(program, f": {FESTIVAL_INSTALL_HINT}")
        # "festival: Festival Speech Synthesis System: 2.5.0:release December 2017"
        found = re.search(r"System:\s*([0-9][0-9.]*)", version_text)
        self.version = found.group(1) if found else ""
        listed = subprocess.run(
            [self._program, "--pipe"],
            input="(print (voice.list))\n",
            capture_output=True,
            text=True,
            check=False,
        )
        self.voices = frozenset(re.findall(r"[\w-]+", listed.stdout))
        if not self.voices:
            raise EngineUnavailable(
                f"festival lists no voices ({listed.stderr.strip()}): {FESTIVAL_INSTALL_HINT}"
            )

    def speak(self, text: str, *, voice: str, speed_wpm: int, pitch: int) -> Speech:
        _check_espeak_settings(speed_wpm, pitch)  # the same ranges, so profiles carry over
        if voice not in self.voices:
            raise ValueError(
                f"festival has no voice {voice!r}; it has {', '.join(sorted(self.voices))}"
            )
        semitones = (pitch - 50) * FESTIVAL_SEMITONES_PER_PITCH
        with tempfile.TemporaryDirectory(prefix="relay-festival-") as folder:
            path = Path(folder) / "speech.wav"
            script = _FESTIVAL_SCRIPT.format(
                voice=voice,
                stretch=f"{FESTIVAL_DEFAULT_WPM / speed_wpm:.4f}",
                rate=f"{speed_wpm / FESTIVAL_DEFAULT_WPM:.4f}",
                f0_factor=f"{2 ** (semitones / 12):.4f}",
                text=_scheme_string(text),
                path=_scheme_string(str(path)),
            )
            # festival reports Scheme errors on standard output and still exits 0: both
            # streams go into the message, and a missing file is the failure.
            result = subprocess.run(
                [self._program, "--pipe"],
                input=script.encode(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                check=False,
            )
            return _written_speech(self.name, result, path, text)


# "espeak-ng" takes whichever implementation runs; the other two insist on one.
ENGINE_OPENERS: dict[str, Callable[[], SpeechEngine]] = {
    "espeak-ng": open_espeak,
    "espeak-ng-library": EspeakLibrary,
    "espeak-ng-program": EspeakProgram,
    "flite": FliteProgram,
    "festival": FestivalProgram,
}


@functools.cache
def get_engine(name: str = "espeak-ng") -> SpeechEngine:
    """The engine a profile names, opened once per process. Raises ValueError for an unknown
    name, EngineUnavailable when it cannot run here."""
    try:
        opener = ENGINE_OPENERS[name]
    except KeyError:
        raise ValueError(
            f"unknown speech engine {name!r}; known: {', '.join(sorted(ENGINE_OPENERS))}"
        ) from None
    return opener()
