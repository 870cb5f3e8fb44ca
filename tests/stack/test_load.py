"""A short, bounded version of `make bench-stack` on the test stack: 50 clients for 10 s of the
4-way mix, then 5 s of the bare JSON view. Zero 5xx, nothing failed, every 201 counted back.
(The figures of the full 60 s run are in docs/benchmarks.md; this one is too short and shares
the machine with the test run, so it records its figures but does not judge them.)"""

import json

from tests.bench import bench_stack
from tests.live import ROOT

CLIENTS = 50


def test_fifty_clients_get_no_5xx_and_every_201_is_counted_back(relay_stack, tmp_path):
    target = bench_stack.seed(relay_stack.stack.base_url, relay_stack.api_key, CLIENTS, tmp_path)

    mix = bench_stack.drive(target, phase="mix", clients=CLIENTS, seconds=10, processes=5)
    counted = bench_stack.counted_back(target, relay_stack.api_key)
    ceiling = bench_stack.drive(target, phase="ceiling", clients=CLIENTS, seconds=5, processes=5)

    path = ROOT / "var" / "stack" / "load.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"mix": mix, "ceiling": ceiling}, indent=2) + "\n")
    assert mix["server_errors"] == mix["failed_requests"] == 0, mix["statuses"]
    assert set(mix["statuses"]) == {"200", "201"}, mix["statuses"]
    assert set(mix["by_operation"]) == set(bench_stack.MIX)
    assert mix["created"] > 0
    assert counted == mix["created"]
    assert set(ceiling["statuses"]) == {"200"}, ceiling["statuses"]
