"""scripts/stack.py without starting anything: ports from the environment, a clear refusal when a
port is taken, and `stop` without a stack. (tests/stack/ starts real ones.)"""

import socket

import pytest

from scripts import stack


def test_ports_come_from_the_environment_with_defaults(monkeypatch):
    monkeypatch.setenv("RELAY_STACK_PG_PORT", "55001")
    monkeypatch.setenv("RELAY_STACK_WEB_PORT", "8099")
    monkeypatch.delenv("RELAY_STACK_REDIS_PORT", raising=False)
    monkeypatch.delenv("RELAY_STACK_S3_PORT", raising=False)

    assert stack.Ports.from_env() == stack.Ports(postgres=55001, redis=63720, s3=54520, web=8099)


def test_a_port_that_is_not_a_number_is_refused(monkeypatch):
    monkeypatch.setenv("RELAY_STACK_REDIS_PORT", "redis")

    with pytest.raises(stack.StackError, match="RELAY_STACK_REDIS_PORT must be a port number"):
        stack.Ports.from_env()


def test_a_taken_port_stops_the_start_before_anything_runs(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = stack.Stack(root=tmp_path, ports=stack.Ports(web=port, postgres=1, redis=2, s3=3))

        with pytest.raises(stack.StackError, match=f"web {port}"):
            started.start()

    assert started.pids == {}


def test_stop_without_a_stack_says_so(tmp_path, capsys):
    assert stack.main(["stop", "--state", str(tmp_path / "state.json")]) == 0

    assert "No stack is running" in capsys.readouterr().out
