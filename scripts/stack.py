"""`make stack`: Relay's production shape on 127.0.0.1, from the repository alone.

PostgreSQL and Redis (Debian's programs) and moto's S3 server, all in a temporary folder;
gunicorn with 2 workers; one Dramatiq worker process (`manage.py run_workers`) per queue. Every
pid goes into a state file, and `make stack-stop` ends exactly those processes, by pid.

    python scripts/stack.py start [--demo-data]    # prints the URL, a login and an API key
    python scripts/stack.py stop
    python scripts/stack.py status

Ports come from RELAY_STACK_PG_PORT, RELAY_STACK_REDIS_PORT, RELAY_STACK_S3_PORT and
RELAY_STACK_WEB_PORT (defaults below), the state file from RELAY_STACK_STATE. tests/stack/ and
tests/bench/bench_stack.py drive the same `Stack` class on free ports of their own.

Only the standard library and what Relay already depends on (redis, boto3, requests).
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STATE = ROOT / "var" / "stack" / "state.json"
# relay.queue.QUEUES, without importing Django (tests/api/test_health.py checks that they agree)
QUEUES = ("processing", "training", "inference", "webhooks")
# Worker threads per queue: training and inference use every core for torch already.
# Webhook deliveries mostly wait on the network: a few threads keep one slow endpoint from
# holding up the rest.
WORKER_THREADS = {"processing": 2, "training": 1, "inference": 1, "webhooks": 4}
PG_USER = PG_PASSWORD = PG_DATABASE = "relay"
BUCKET = "relay"
START_DEADLINE_S = 90
STOP_DEADLINE_S = 30


class StackError(RuntimeError):
    """A service did not come up (or go down); the message says which and shows its log."""


@dataclass
class Ports:
    postgres: int = 54320
    redis: int = 63720
    s3: int = 54520
    web: int = 8030

    @classmethod
    def from_env(cls) -> "Ports":
        defaults = cls()
        return cls(
            postgres=_env_port("RELAY_STACK_PG_PORT", defaults.postgres),
            redis=_env_port("RELAY_STACK_REDIS_PORT", defaults.redis),
            s3=_env_port("RELAY_STACK_S3_PORT", defaults.s3),
            web=_env_port("RELAY_STACK_WEB_PORT", defaults.web),
        )


def _env_port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise StackError(f"{name} must be a port number, got {raw!r}")
    return int(raw)


def postgres_bin() -> Path:
    """The newest PostgreSQL server Debian installed: /usr/lib/postgresql/<version>/bin."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: [int(part) for part in path.parts[-3].split(".") if part.isdigit()],
    )
    if not found:
        raise StackError(
            "no PostgreSQL server under /usr/lib/postgresql/*/bin: apt-get install postgresql"
        )
    return found[-1].parent


def missing_programs() -> list[str]:
    """What the stack needs and this machine lacks, as Debian package names."""
    missing = []
    try:
        postgres_bin()
    except StackError:
        missing.append("postgresql")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    return missing


def venv_program(name: str) -> str:
    """A program of this Python's environment (gunicorn, moto_server), not whatever PATH finds."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise StackError(f"{name} is not installed in {sys.prefix}: run make install")
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped by its parent) is gone for our purposes
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log was written)"


@dataclass
class Stack:
    """The processes of one stack, their ports and the folder they write to."""

    root: Path
    ports: Ports = field(default_factory=Ports)
    pids: dict[str, int] = field(default_factory=dict)
    credentials: str = ""  # bootstrap_demo's output: the URLs, a login and an API key
    web_threads: int = 4  # per gunicorn worker (1: the sync worker class)
    as_postgres_user: bool = field(default_factory=lambda: os.geteuid() == 0)

    # --- where things are
    @property
    def pg_data(self) -> Path:
        return self.root / "pg" / "data"

    @property
    def data_dir(self) -> Path:
        return self.root / "relay-data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.web}"

    @property
    def database_url(self) -> str:
        return f"postgres://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{self.ports.postgres}/{PG_DATABASE}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports.redis}/0"

    @property
    def s3_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports.s3}"

    def env(self) -> dict[str, str]:
        """The environment of every Relay process of the stack: this one's, without any other
        Relay setting, plus the stack's services."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("RELAY_", "AWS_")) and key not in {"DATABASE_URL", "REDIS_URL"}
        }
        env.update(
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            RELAY_DATA_DIR=str(self.data_dir),
            RELAY_PUBLIC_URL=self.base_url,
            RELAY_STORAGE="s3",
            RELAY_S3_BUCKET=BUCKET,
            RELAY_S3_ENDPOINT_URL=self.s3_endpoint,
            RELAY_S3_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="stack",
            AWS_SECRET_ACCESS_KEY="stack",
            AWS_DEFAULT_REGION="us-east-1",
            PYTHONUNBUFFERED="1",
        )
        # Settings the caller passes on explicitly (RELAY_STACK_ENV_*: a test's short sweep).
        for key, value in os.environ.items():
            if key.startswith("RELAY_STACK_ENV_"):
                env[key.removeprefix("RELAY_STACK_ENV_")] = value
        return env

    # --- the whole stack
    @classmethod
    def create(cls, ports: Ports, parent: Path | None = None) -> "Stack":
        # Under /tmp by default: the postgres user must reach it, and socket paths stay short.
        root = Path(tempfile.mkdtemp(prefix="relay-stack-", dir=parent or "/tmp"))
        root.chmod(0o755)
        return cls(root=root, ports=ports)

    def start(self, *, demo_data: bool = False) -> str:
        """Starts every service, waiting for each; returns bootstrap_demo's output (the URL, a
        login and an API key). On a failure stops what it started and raises StackError."""
        busy = [
            f"{name} {port}" for name, port in asdict(self.ports).items() if not _port_free(port)
        ]
        if busy:
            raise StackError(
                f"port(s) in use on 127.0.0.1: {', '.join(busy)}; stop what holds them or set "
                "RELAY_STACK_PG_PORT / RELAY_STACK_REDIS_PORT / RELAY_STACK_S3_PORT / "
                "RELAY_STACK_WEB_PORT"
            )
        self.logs.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.init_postgres()
            self.start_postgres()
            self.create_database()
            self.start_redis()
            self.start_s3()
            self.manage("migrate", "--noinput")
            bootstrap = ["bootstrap_demo", "--base-url", self.base_url]
            if demo_data:
                bootstrap += ["--with-data", "--background"]
            credentials = self.credentials = self.manage(*bootstrap)
            self.start_web()
            for queue_name in QUEUES:
                self.start_worker(queue_name)
        except BaseException:
            self.stop()
            raise
        return credentials

    def stop(self) -> list[str]:
        """Ends every process of the stack by its pid, web first and PostgreSQL last; returns
        what it stopped."""
        stopped = []
        order = ["web", *(f"worker-{name}" for name in QUEUES), "s3", "redis", "postgres"]
        for name in order + [name for name in self.pids if name not in order]:
            if name in self.pids and self.stop_process(name):
                stopped.append(name)
        return stopped

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    # --- one process
    def stop_process(self, name: str, sig: int = signal.SIGTERM) -> bool:
        """Signals the process `name` (SIGTERM; PostgreSQL gets SIGINT, its fast shutdown), waits
        for it to end, and kills it if it does not within STOP_DEADLINE_S."""
        pid = self.pids.pop(name, None)
        if pid is None or not alive(pid):
            return False
        if name == "postgres" and sig == signal.SIGTERM:
            sig = signal.SIGINT
        os.kill(pid, sig)
        if not self._wait_gone(pid, STOP_DEADLINE_S):
            os.kill(pid, signal.SIGKILL)
            self._wait_gone(pid, 10)
        return True

    def kill(self, name: str) -> int:
        """kill -9 the process `name`, as a crash would; returns its pid."""
        pid = self.pids.pop(name)
        os.kill(pid, signal.SIGKILL)
        self._wait_gone(pid, 10)
        return pid

    @staticmethod
    def _wait_gone(pid: int, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it when it is our child
            if not alive(pid):
                return True
            time.sleep(0.05)
        return False

    def _spawn(self, name: str, command: list[str], **kwargs) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        with log:
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # survives `make stack` returning; Ctrl-C does not reach it
                **kwargs,
            )
        self.pids[name] = process.pid
        return process

    def _wait_for(self, name: str, ready, what: str) -> None:
        deadline = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < deadline:
            pid = self.pids.get(name)
            if pid is not None and not alive(pid):
                break
            with contextlib.suppress(Exception):
                if ready():
                    return
            time.sleep(0.2)
        log = self.logs / f"{name}.log"
        state = "exited" if not alive(self.pids.get(name, 0) or 0) else "is not answering"
        raise StackError(f"{what} {state}. Its log ({log}):\n{_tail(log)}")

    # --- PostgreSQL
    def _as_postgres(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if self.as_postgres_user else command

    def init_postgres(self) -> None:
        pg_home = self.pg_data.parent
        (pg_home / "sockets").mkdir(parents=True, exist_ok=True)
        if self.as_postgres_user:
            shutil.chown(pg_home, "postgres", "postgres")
            shutil.chown(pg_home / "sockets", "postgres", "postgres")
        password_file = pg_home / "password"
        password_file.write_text(PG_PASSWORD + "\n")
        if self.as_postgres_user:
            shutil.chown(password_file, "postgres", "postgres")
        result = subprocess.run(
            self._as_postgres(
                [
                    str(postgres_bin() / "initdb"),
                    "-D",
                    str(self.pg_data),
                    "-U",
                    PG_USER,
                    f"--pwfile={password_file}",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--no-sync",
                ]
            ),
            cwd="/",
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise StackError(f"initdb failed:\n{result.stdout}{result.stderr}")

    def start_postgres(self) -> None:
        """Starts (or restarts, on the same data) PostgreSQL; its pid is the postmaster's."""
        log = self.logs / "postgres.log"
        if self.as_postgres_user and log.exists():
            shutil.chown(log, "postgres", "postgres")
        elif self.as_postgres_user:
            log.touch()
            shutil.chown(log, "postgres", "postgres")
        options = (
            f"-h 127.0.0.1 -p {self.ports.postgres} -k {self.pg_data.parent / 'sockets'} "
            "-c max_connections=200"
        )
        result = subprocess.run(
            self._as_postgres(
                [
                    str(postgres_bin() / "pg_ctl"),
                    "start",
                    "-D",
                    str(self.pg_data),
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    str(START_DEADLINE_S),
                    "-o",
                    options,
                ]
            ),
            cwd="/",
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise StackError(
                f"PostgreSQL did not start on 127.0.0.1:{self.ports.postgres}:\n"
                f"{result.stdout}{result.stderr}\nIts log ({log}):\n{_tail(log)}"
            )
        self.pids["postgres"] = int((self.pg_data / "postmaster.pid").read_text().split()[0])
        self._wait_for("postgres", self.postgres_answers, "PostgreSQL")

    def _pg_connect(self, database: str = PG_DATABASE):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1",
            port=self.ports.postgres,
            user=PG_USER,
            password=PG_PASSWORD,
            dbname=database,
            connect_timeout=2,
            autocommit=True,
        )

    def postgres_answers(self) -> bool:
        with self._pg_connect("postgres") as connection:
            return connection.execute("SELECT 1").fetchone() == (1,)

    def create_database(self) -> None:
        with self._pg_connect("postgres") as connection:
            connection.execute(f"CREATE DATABASE {PG_DATABASE}")

    # --- Redis
    def start_redis(self) -> None:
        """Redis with an append-only file, so that a restart keeps the queued messages."""
        redis_dir = self.root / "redis"
        redis_dir.mkdir(exist_ok=True)
        self._spawn(
            "redis",
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.ports.redis),
                "--dir",
                str(redis_dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--daemonize",
                "no",
            ],
        )
        self._wait_for("redis", self.redis_answers, f"Redis on 127.0.0.1:{self.ports.redis}")

    def redis_answers(self) -> bool:
        import redis

        client = redis.Redis.from_url(self.redis_url, socket_timeout=2)
        try:
            info = client.info("server")
            # A Redis already on that port would answer too: it must be this one.
            return int(info["process_id"]) == self.pids["redis"] and client.ping()
        finally:
            client.close()

    # --- S3
    def start_s3(self) -> None:
        self._spawn(
            "s3", [venv_program("moto_server"), "-H", "127.0.0.1", "-p", str(self.ports.s3)]
        )
        self._wait_for("s3", self._create_bucket, f"moto's S3 server on {self.s3_endpoint}")

    def _s3_client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id="stack",
            aws_secret_access_key="stack",
        )

    def _create_bucket(self) -> bool:
        client = self._s3_client()
        client.create_bucket(Bucket=BUCKET)
        return True

    def s3_answers(self) -> bool:
        self._s3_client().head_bucket(Bucket=BUCKET)
        return True

    # --- Relay
    def manage(self, *args: str, timeout: float = 600) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise StackError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def start_web(self) -> None:
        """gunicorn with 2 worker processes of `web_threads` threads each (requests wait on the
        database more than on the CPU)."""
        worker_class = ["--worker-class", "gthread"] if self.web_threads > 1 else []
        self._spawn(
            "web",
            [
                venv_program("gunicorn"),
                "relay.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.ports.web}",
                "--workers",
                "2",
                *worker_class,
                "--threads",
                str(self.web_threads),
                "--graceful-timeout",
                "10",
                # Longer than a client's pause between requests on a busy machine: a kept-alive
                # connection the server closes as the client reuses it fails that request.
                "--keep-alive",
                "75",
                # No access log, as in docs/operations.md: Relay logs every request itself (with
                # its request id and tenant), and gunicorn's line cost 4 % of a worker's CPU.
            ],
            cwd=ROOT,
            env=self.env(),
        )
        self._wait_for("web", self.web_answers, f"gunicorn on {self.base_url}")

    def web_answers(self) -> bool:
        import requests

        return requests.get(f"{self.base_url}/readyz", timeout=5).status_code == 200

    def start_worker(self, queue_name: str) -> int:
        """`manage.py run_workers` for one queue; waits until it consumes. Returns its pid."""
        name = f"worker-{queue_name}"
        log = self.logs / f"{name}.log"
        offset = log.stat().st_size if log.exists() else 0
        self._spawn(
            name,
            [
                sys.executable,
                "manage.py",
                "run_workers",
                "--queues",
                queue_name,
                "--threads",
                str(WORKER_THREADS[queue_name]),
            ],
            cwd=ROOT,
            env=self.env(),
        )

        def consuming() -> bool:
            with log.open("rb") as handle:
                handle.seek(offset)
                return b"Workers running on" in handle.read()

        self._wait_for(name, consuming, f"the {queue_name} worker")
        return self.pids[name]

    # --- the state file
    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {"root": str(self.root), "ports": asdict(self.ports), "pids": self.pids}
        path.write_text(json.dumps(state, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> "Stack":
        state = json.loads(path.read_text())
        return cls(root=Path(state["root"]), ports=Ports(**state["ports"]), pids=state["pids"])


@contextlib.contextmanager
def running_stack(ports: Ports, *, web_threads: int = 4) -> Iterator[Stack]:
    """A started stack, stopped and removed on exit (tests and benchmarks)."""
    stack = Stack.create(ports)
    stack.web_threads = web_threads
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        stack.remove()


def _start(state_path: Path, demo_data: bool) -> int:
    if state_path.exists():
        running = Stack.load(state_path)
        alive = [name for name, pid in running.pids.items() if alive(pid)]
        if alive:
            print(
                f"A stack is already running ({', '.join(alive)}; state in {state_path}): "
                "make stack-stop first.",
                file=sys.stderr,
            )
            return 1
        running.remove()
    missing = missing_programs()
    if missing:
        print(f"make stack needs: apt-get install {' '.join(missing)}", file=sys.stderr)
        return 1
    stack = Stack.create(Ports.from_env())
    print(f"Starting the stack in {stack.root} …")
    try:
        credentials = stack.start(demo_data=demo_data)
    except StackError as error:
        stack.remove()
        print(f"make stack failed: {error}", file=sys.stderr)
        return 1
    stack.save(state_path)
    print(credentials.rstrip())
    print(
        f"PostgreSQL {stack.database_url}\nRedis {stack.redis_url}\n"
        f"S3 {stack.s3_endpoint} (bucket {BUCKET})\n"
        f"gunicorn {stack.base_url} (2 workers); workers: {', '.join(QUEUES)}\n"
        f"Logs in {stack.logs}; `make stack-stop` ends it (pids in {state_path})."
    )
    return 0


def _stop(state_path: Path) -> int:
    if not state_path.exists():
        print(f"No stack is running (no {state_path}).")
        return 0
    stack = Stack.load(state_path)
    stopped = stack.stop()
    stack.remove()
    state_path.unlink()
    print(f"Stopped: {', '.join(stopped) or 'nothing was still running'}.")
    return 0


def _status(state_path: Path) -> int:
    if not state_path.exists():
        print(f"No stack is running (no {state_path}).")
        return 1
    stack = Stack.load(state_path)
    for name, pid in stack.pids.items():
        print(f"{name:20} pid {pid:<8} {'running' if alive(pid) else 'GONE'}")
    print(f"{stack.base_url}  (logs in {stack.logs})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument(
        "--state",
        type=Path,
        default=Path(os.environ.get("RELAY_STACK_STATE", DEFAULT_STATE)),
        help=f"the state file with the pids (default: {DEFAULT_STATE})",
    )
    parser.add_argument(
        "--demo-data", action="store_true", help="also make the demo datasets (start)"
    )
    args = parser.parse_args(argv)
    if args.command == "start":
        return _start(args.state, args.demo_data)
    if args.command == "stop":
        return _stop(args.state)
    return _status(args.state)


if __name__ == "__main__":
    sys.exit(main())
