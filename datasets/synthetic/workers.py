"""The helper process of `generate_corpus`: `python -m datasets.synthetic.workers`.

It reads a pickled `BuildRequest` from stdin, opens the profile's engine and checks its voices,
then forks one process per clip, at most `jobs` at a time, and writes the pickled outcome to
stdout: ("ok", [(manifest entry, engine description), …]) in clip order, or ("error", exception).
Each clip process starts from the same engine state (the helper's, after the same voice checks),
so a clip does not depend on which clips were built before it or beside it.
"""

import multiprocessing
import os
import pickle
import sys

from datasets.synthetic.corpus import BuildRequest, build_clip
from datasets.synthetic.engines import get_engine


def check_voices(engine_name: str, voices: tuple[str, ...]) -> None:
    """Raises ValueError for a voice the engine lacks, EngineUnavailable without the engine."""
    engine = get_engine(engine_name)
    for voice in voices:
        engine.speak("test", voice=voice, speed_wpm=175, pitch=50)


def run(request: BuildRequest) -> list:
    if not request.clips:
        return []
    profile = request.clips[0].profile
    check_voices(profile.engine, profile.voices.values)
    context = multiprocessing.get_context("fork")  # this process is single-threaded: safe
    with context.Pool(request.jobs, maxtasksperchild=1) as pool:
        return pool.map(build_clip, request.clips, chunksize=1)


def main() -> int:
    # The outcome goes to a private copy of stdout; anything else printed (by Python or by a
    # C library) lands on stderr instead of corrupting it.
    result_fd = os.dup(1)
    os.dup2(2, 1)
    request = pickle.loads(sys.stdin.buffer.read())
    try:
        outcome = ("ok", run(request))
    except Exception as error:  # handed to the caller, which re-raises it
        outcome = ("error", error)
    with os.fdopen(result_fd, "wb") as result:
        result.write(pickle.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
