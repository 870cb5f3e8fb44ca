"""Real speech for upload tests: espeak-ng (a Debian package CI installs) speaking to a WAV."""

import shutil
import subprocess
from pathlib import Path

import pytest


def speak_to_wav(path: Path, text: str, *, voice: str = "en", words_per_minute: int = 160) -> Path:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        pytest.fail("espeak-ng is missing (apt-get install espeak-ng; .ci/run installs it)")
    subprocess.run(
        [espeak, "-v", voice, "-s", str(words_per_minute), "-w", str(path), text],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return path
