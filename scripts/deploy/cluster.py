"""`scripts/cluster up|down|status`: a whole voice-rp deployment on this one machine.

    scripts/cluster up [--servers N] [--port 8080] [--run-dir DIR]
    scripts/cluster status
    scripts/cluster down

`up` starts, in this order, each waiting for the one before to answer:
PostgreSQL (scripts/pg_local.py), one llama.cpp OpenAI-compatible chat server on the bundled
SmolLM2 GGUF (llama-cpp-python's server), Wyoming speech recognition and synthesis servers
(scripts/speech_servers.py), N session servers (`python -m server`, each with only remote
backends) and nginx as the websocket load balancer in front of them. Everything it writes (data,
logs, pids, configs) is under the run directory; `down` stops everything it started, session
servers first (they drain for --drain-s, then end their sessions with server_shutdown).
docs/deploy.md explains the layout and the settings.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from deploy.nginx import nginx_binary, render_config

ROOT = Path(__file__).resolve().parents[2]
STATE = "cluster.json"
LLM_ALIAS = "smollm2"


@dataclass
class Proc:
    """One process of the cluster, as recorded in cluster.json."""

    name: str
    pid: int
    port: int
    url: str


class ClusterError(RuntimeError):
    """Something the operator must fix; the message says what."""


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def answers(url: str) -> bool:
    """True if GET `url` returns 2xx."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return 200 <= resp.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wyoming_answers(port: int) -> bool:
    import socket
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b'{"type": "describe"}\n')
            stream = s.makefile("rb")
            line = stream.readline()
            header = json.loads(line) if line.strip() else {}
            # Read the whole answer: closing with it unread resets the connection (logged there).
            stream.read(int(header.get("data_length") or 0) + int(
                header.get("payload_length") or 0))
            return header.get("type") == "info"
    except (OSError, ValueError, AttributeError):
        return False


class Cluster:
    """The processes under one run directory."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir.resolve()
        self.logs = self.run_dir / "logs"
        self.procs: list[Proc] = []
        self.postgres_dir: str | None = None

    # -- state --------------------------------------------------------------------------------

    def load(self) -> bool:
        path = self.run_dir / STATE
        if not path.is_file():
            return False
        state = json.loads(path.read_text())
        self.procs = [Proc(**p) for p in state.get("procs", [])]
        self.postgres_dir = state.get("postgres_dir")
        return True

    def save(self) -> None:
        path = self.run_dir / STATE
        path.write_text(json.dumps({"procs": [asdict(p) for p in self.procs],
                                    "postgres_dir": self.postgres_dir}, indent=2))

    # -- starting -----------------------------------------------------------------------------

    def spawn(self, name: str, argv: Sequence[str], port: int, url: str, *,
              env: Mapping[str, str] | None = None) -> Proc:
        """Start `argv` in its own process group with its output in logs/<name>.log."""
        self.logs.mkdir(parents=True, exist_ok=True)
        full = {**os.environ, "HF_HUB_OFFLINE": "1",
                "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        full.update(env or {})
        with open(self.logs / f"{name}.log", "ab") as log:
            popen = subprocess.Popen(list(argv), cwd=ROOT, env=full, stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        proc = Proc(name, popen.pid, port, url)
        self.procs.append(proc)
        self.save()
        (self.run_dir / "pids").mkdir(exist_ok=True)
        (self.run_dir / "pids" / f"{name}.pid").write_text(f"{popen.pid}\n")
        return proc

    def wait(self, proc: Proc, ready: Callable[[], bool], within_s: float) -> None:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if not alive(proc.pid) or _reaped(proc.pid):
                raise ClusterError(f"{proc.name} exited while starting; its log:\n"
                                   f"{self.tail(proc.name)}")
            if ready():
                return
            time.sleep(0.3)
        raise ClusterError(f"{proc.name} did not become ready within {within_s:g} s; its log:\n"
                           f"{self.tail(proc.name)}")

    def tail(self, name: str, lines: int = 15) -> str:
        path = self.logs / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else "(no log)"
        return "\n".join("    " + line for line in text.splitlines()[-lines:])

    def up(self, args: argparse.Namespace) -> None:
        if self.load() and any(alive(p.pid) for p in self.procs):
            raise ClusterError(f"a cluster is already running from {self.run_dir}; run "
                               "`scripts/cluster down` first")
        # Traversable, not listable: PostgreSQL runs as its own user (as root) and must reach its
        # directory inside; the data and logs below keep their own modes.
        self.run_dir.mkdir(parents=True, exist_ok=True, mode=0o711)
        self.run_dir.chmod(0o711)
        self.procs = []
        env: dict[str, str] = {}
        say = _progress
        if args.store == "postgres":
            say("PostgreSQL")
            env["VOICE_RP_DATABASE_URL"] = self.start_postgres()
        say("llama.cpp chat server (bundled SmolLM2)")
        llm = self.start_llm(args.llm_threads)
        env.update(OPENAI_BASE_URL=llm.url, OPENAI_API_KEY="local",
                   VOICE_RP_LLM_MODEL=LLM_ALIAS,
                   # A 135M model needs the engine's structure, not free-form instructions.
                   VOICE_RP_LLM_CAPABLE="0")
        if args.speech == "wyoming":
            for kind, var in (("stt", "VOICE_RP_STT_URL"), ("tts", "VOICE_RP_TTS_URL")):
                say(f"Wyoming {kind.upper()} server")
                env[var] = self.start_wyoming(kind).url
        ports = []
        for i in range(args.servers):
            say(f"session server {i + 1} of {args.servers}")
            ports.append(self.start_server(i, env, args))
        say(f"nginx on {args.listen}:{args.port}")
        self.start_nginx(args.listen, args.port, ports)
        print(f"voice-rp cluster up: http://{args.listen}:{args.port}/ (websocket "
              f"ws://{args.listen}:{args.port}/ws); run dir {self.run_dir}", flush=True)

    def start_postgres(self) -> str:
        pg_local = _import_script("pg_local")
        directory = self.run_dir / "postgres"
        url: str = pg_local.start(directory, free_port())
        self.postgres_dir = str(directory)
        self.save()
        return url

    def start_llm(self, threads: int | None) -> Proc:
        from voice_rp.llm_embedded import bundled_gguf_path
        port = free_port()
        argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_gguf_path()),
                "--model_alias", LLM_ALIAS, "--host", "127.0.0.1", "--port", str(port),
                "--n_ctx", "4096"]
        if threads:
            argv += ["--n_threads", str(threads)]
        proc = self.spawn("llm", argv, port, f"http://127.0.0.1:{port}/v1")
        self.wait(proc, lambda: answers(f"{proc.url}/models"), 120)
        return proc

    def start_wyoming(self, kind: str) -> Proc:
        script = ROOT / "scripts" / "speech_servers.py"
        if not script.is_file():
            raise ClusterError(f"{script} is missing: this checkout has no Wyoming speech "
                               "servers; use --speech embedded")
        port = free_port()
        proc = self.spawn(kind, [sys.executable, str(script), f"wyoming-{kind}", "--port",
                                 str(port)], port, f"wyoming://127.0.0.1:{port}")
        self.wait(proc, lambda: wyoming_answers(port), 180)
        return proc

    def start_server(self, i: int, env: Mapping[str, str], args: argparse.Namespace) -> int:
        port = free_port()
        argv = [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(port),
                "--data-dir", str(self.run_dir / "data"), "--drain-s", str(args.drain_s)]
        if args.max_sessions:
            argv += ["--max-sessions", str(args.max_sessions)]
        for extra in args.server_arg:
            argv.append(extra)
        proc = self.spawn(f"server-{i + 1}", argv, port, f"http://127.0.0.1:{port}", env=env)
        self.wait(proc, lambda: answers(f"{proc.url}/readyz"), 300)
        return port

    def start_nginx(self, listen: str, port: int, upstreams: Sequence[int]) -> None:
        conf_dir = self.run_dir / "nginx"
        conf_dir.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        conf = conf_dir / "nginx.conf"
        conf.write_text(render_config(self.run_dir, listen=f"{listen}:{port}",
                                      upstreams=[f"127.0.0.1:{p}" for p in upstreams]))
        binary = nginx_binary()
        check = subprocess.run([binary, "-t", "-q", "-p", str(conf_dir), "-c", str(conf)],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise ClusterError(f"nginx rejected {conf}: {check.stderr.strip()}")
        proc = self.spawn("nginx", [binary, "-p", str(conf_dir), "-c", str(conf)], port,
                          f"http://{listen}:{port}")
        self.wait(proc, lambda: answers(f"http://127.0.0.1:{port}/readyz"), 20)

    # -- stopping -----------------------------------------------------------------------------

    def down(self, *, drain_s: float) -> list[str]:
        """Stop everything recorded; returns what was stopped."""
        self.load()
        stopped = []
        # Balancer last: it keeps serving the sessions the session servers are draining.
        servers = [p for p in self.procs if p.name.startswith("server-")]
        others = [p for p in reversed(self.procs) if p not in servers]
        nginx = [p for p in others if p.name == "nginx"]
        rest = [p for p in others if p.name != "nginx"]
        for group, grace in ((servers, drain_s + 15.0), (nginx, 10.0), (rest, 15.0)):
            for p in group:
                _signal(p.pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            for p in group:
                while alive(p.pid) and not _reaped(p.pid) and time.monotonic() < deadline:
                    time.sleep(0.2)
                if alive(p.pid) and not _reaped(p.pid):
                    _signal(p.pid, signal.SIGKILL)
                stopped.append(p.name)
                (self.run_dir / "pids" / f"{p.name}.pid").unlink(missing_ok=True)
        if self.postgres_dir:
            _import_script("pg_local").stop(Path(self.postgres_dir))
            stopped.append("postgres")
        self.procs, self.postgres_dir = [], None
        if self.run_dir.is_dir():
            self.save()
        return stopped

    def status(self) -> list[str]:
        self.load()
        lines = []
        for p in self.procs:
            state = "running" if alive(p.pid) else "stopped"
            if state == "running" and p.name.startswith("server-"):
                state = "ready" if answers(f"{p.url}/readyz") else "not ready"
            lines.append(f"{p.name:10} pid {p.pid:<7} {p.url:32} {state}")
        if self.postgres_dir:
            lines.append(f"postgres   {self.postgres_dir}")
        return lines


def _signal(pid: int, sig: int) -> None:
    """The whole process group: the speech servers run helper processes of their own."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _reaped(pid: int) -> bool:
    """True if `pid` is our child and has exited (a zombie counts as alive to kill(0))."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid


def _import_script(name: str):  # type: ignore[no-untyped-def]
    path = ROOT / "scripts" / f"{name}.py"
    if not path.is_file():
        raise ClusterError(f"{path} is missing: this checkout cannot run that part; use "
                           "--store sqlite")
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _progress(what: str) -> None:
    print(f"cluster: starting {what}...", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/cluster", description=__doc__.split("\n\n")[0])
    p.add_argument("command", choices=["up", "down", "status"])
    p.add_argument("--run-dir", type=Path, default=Path(os.environ.get(
        "VOICE_RP_CLUSTER_DIR", ROOT / ".cluster")),
        help="where data, logs, pids and configs go (default .cluster in the checkout)")
    p.add_argument("--servers", type=int, default=2, help="session servers (default 2)")
    p.add_argument("--listen", default="127.0.0.1",
                   help="nginx address (default 127.0.0.1; anything else: set VOICE_RP_TOKEN)")
    p.add_argument("--port", type=int, default=8080, help="nginx port (default 8080)")
    p.add_argument("--store", choices=["postgres", "sqlite"], default="postgres",
                   help="postgres (default): one PostgreSQL for all servers; sqlite: one SQLite "
                        "file under the run dir shared by the servers (this machine only)")
    p.add_argument("--speech", choices=["wyoming", "embedded"], default="wyoming",
                   help="wyoming (default): shared Wyoming STT and TTS servers; embedded: "
                        "each session server loads its own speech models")
    p.add_argument("--drain-s", type=float, default=30.0,
                   help="on `down`, running sessions may go on this long (default 30)")
    p.add_argument("--max-sessions", type=int, default=None,
                   help="each session server's --max-sessions (default: its own)")
    p.add_argument("--llm-threads", type=int, default=None,
                   help="llama.cpp threads (default: its own)")
    p.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                   help="extra argument for every session server (repeatable)")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cluster = Cluster(args.run_dir)
    try:
        if args.command == "up":
            try:
                cluster.up(args)
            except BaseException:
                print("cluster: start failed; stopping what was started", file=sys.stderr)
                cluster.down(drain_s=0)
                raise
        elif args.command == "down":
            stopped = cluster.down(drain_s=args.drain_s)
            print(f"voice-rp cluster down: stopped {', '.join(stopped) or 'nothing'}")
        else:
            print("\n".join(cluster.status()) or "no cluster running")
    except (ClusterError, FileNotFoundError, RuntimeError) as exc:
        print(f"cluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
