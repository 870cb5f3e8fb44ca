"""`python -m datasets.synthetic --profile tiny --out DIR [--seed N] [--jobs N]`, or
`python -m datasets.synthetic --verify DIR` to measure each artifact where its label says."""

import argparse
import sys
import time

from datasets.synthetic.corpus import generate_corpus
from datasets.synthetic.engines import EngineUnavailable
from datasets.synthetic.profiles import available_profiles
from datasets.synthetic.verify import describe_corpus, summarize_measurements


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m datasets.synthetic",
        description="Generate labelled synthetic speech with injected audio artifacts.",
    )
    parser.add_argument(
        "--profile",
        default="tiny",
        help=f"a shipped profile ({', '.join(available_profiles())}) or a profile JSON file",
    )
    parser.add_argument("--out", help="the corpus folder to write")
    parser.add_argument("--seed", type=int, help="overrides the profile's seed")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--verify", metavar="DIR", help="measure the artifacts of a corpus")
    args = parser.parse_args(argv)
    if args.verify:
        print(summarize_measurements(args.verify))
        return 0
    if not args.out:
        parser.error("--out is required (or --verify DIR)")
    started = time.monotonic()
    try:
        out = generate_corpus(args.out, profile=args.profile, seed=args.seed, jobs=args.jobs)
    except (EngineUnavailable, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(describe_corpus(out, seconds=time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
