"""nginx as the websocket load balancer in front of voice-rp session servers.

Why these settings (docs/deploy.md has the full story):
- `least_conn`: a conversation holds its websocket for minutes, so round robin would pile long
  sessions onto one server while another sits idle; least_conn sends each new one to the server
  with the fewest open connections.
- Upgrade/Connection headers and HTTP/1.1 to the upstream: without them nginx speaks HTTP/1.0
  and the websocket handshake fails.
- Long read/send timeouts: a user may think for a minute without sending a frame worth noticing.
- `proxy_next_upstream error timeout http_502 http_503`: a server that is draining (or down)
  refuses the handshake with 503 (or not at all) and nginx hands the user to the next server, and
  counts the failure (`max_fails`) so it skips that server for `fail_timeout`. The open-source
  nginx has no active health checks; this passive check plus /readyz for an orchestrator is it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path


def nginx_binary() -> str:
    """The nginx executable (Debian's package puts it in /usr/sbin, often not on PATH)."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)
    if found is None:
        raise FileNotFoundError("nginx is not installed (Debian: apt-get install nginx; "
                                "scripts/setup installs it when run as root)")
    return found


def render_config(run_dir: Path, *, listen: str, upstreams: Sequence[str],
                  read_timeout_s: int = 3600, fail_timeout_s: int = 5) -> str:
    """nginx.conf for a balancer on `listen` (host:port) in front of `upstreams` (host:port)."""
    tmp = run_dir / "nginx"
    servers = "\n".join(f"        server {u} max_fails=1 fail_timeout={fail_timeout_s}s;"
                        for u in upstreams)
    return f"""# Written by scripts/cluster; see docs/deploy.md.
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {run_dir}/logs/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log {run_dir}/logs/nginx-access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream voice_rp {{
        least_conn;
{servers}
    }}
    server {{
        listen {listen};
        location / {{
            proxy_pass http://voice_rp;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            # The servers check Host and Origin (DNS rebinding): pass the browser's own.
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_connect_timeout 2s;
            proxy_read_timeout {read_timeout_s}s;
            proxy_send_timeout {read_timeout_s}s;
            proxy_buffering off;
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
}}
"""


def start_nginx(run_dir: Path, *, listen: str, upstreams: Sequence[str]
                ) -> subprocess.Popen[bytes]:
    """nginx in the foreground (a child we own), its files under `run_dir`."""
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    (run_dir / "nginx").mkdir(parents=True, exist_ok=True)
    conf = run_dir / "nginx" / "nginx.conf"
    conf.write_text(render_config(run_dir, listen=listen, upstreams=upstreams))
    binary = nginx_binary()
    check = subprocess.run([binary, "-t", "-q", "-p", str(run_dir / "nginx"), "-c", str(conf)],
                           capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx rejected its configuration: {check.stderr.strip()}")
    log = open(run_dir / "logs" / "nginx.out", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([binary, "-p", str(run_dir / "nginx"), "-c", str(conf)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_http(url: str, *, within_s: float = 10.0, proc: subprocess.Popen[bytes] | None = None
              ) -> None:
    """Until `url` answers anything over HTTP (a 503 counts: the listener is up)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {within_s:g} s")


def stop_process(proc: subprocess.Popen[bytes], *, timeout_s: float = 10.0) -> None:
    """SIGTERM (nginx: fast shutdown; voice-rp: drain), then SIGKILL after `timeout_s`."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
