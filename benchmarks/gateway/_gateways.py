"""The processes of the gateway benchmarks: the fixed-latency upstream, shipyard's gateway, LiteLLM.

Each is a ``Server`` from ``serving/_servers.py`` (its own process group,
pinned to a CPU set, health-checked, stopped with the group). Runs in the
shipyard venv; LiteLLM runs from its own venv (``$LITELLM_PYTHON``, else
``benchmarks/.venv-litellm``, which ``run.sh`` creates) and is only ever a
command, never imported here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "serving"))
sys.path.insert(0, str(HERE.parent))

import _servers as s  # noqa: E402

LITELLM_VERSION = "1.106.2"
UPSTREAM_KEY_ENV = "BENCH_UPSTREAM_KEY"
UPSTREAM_KEY = "sk-bench-upstream-not-a-secret"
MODEL = "bench"
CONTENT = "Hello from the benchmark upstream."  # what upstream.py answers
CHAT_BODY = {
    "model": MODEL,
    "messages": [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "Say hello to the benchmark."},
    ],
    "max_tokens": 16,
}


def litellm_python() -> Path:
    """``$LITELLM_PYTHON``, else the venv ``run.sh`` makes (``benchmarks/.venv-litellm``)."""
    python = os.environ.get("LITELLM_PYTHON")
    path = Path(python) if python else HERE.parent / ".venv-litellm" / "bin" / "python"
    if not path.exists():
        raise SystemExit(
            f"no LiteLLM interpreter at {path}: run `bash benchmarks/run.sh gateway` once (it "
            f"creates the venv) or set LITELLM_PYTHON to one with litellm[proxy]=={LITELLM_VERSION}"
        )
    return path


def litellm_version() -> str:
    out = subprocess.run(
        [
            str(litellm_python()),
            "-c",
            "import importlib.metadata as m; print(m.version('litellm'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def upstream(base: Path, name: str, delay_ms: float, cpus: set[int] | None) -> s.Server:
    port = s.free_port()
    return s.Server(
        name,
        [
            sys.executable,
            str(HERE / "upstream.py"),
            "--port",
            str(port),
            "--delay-ms",
            f"{delay_ms:g}",
        ],
        env=dict(os.environ),
        cwd=base,
        health=f"http://127.0.0.1:{port}/health",
        log=base / f"{name}.log",
        cpus=cpus,
    )


def root(server: s.Server) -> str:
    """``http://127.0.0.1:PORT`` of a server (its health URL without the path)."""
    return server.health.split("/", 3)[0] + "//" + server.health.split("/", 3)[2]


def shipyard_gateway(
    base: Path,
    upstream_url: str,
    cpus: set[int] | None,
    *,
    cache: bool = False,
    name: str = "shipyard",
    extra: dict[str, Any] | None = None,
) -> s.Server:
    """``shipyard gateway --config F --port P``: one alias ``bench`` on the upstream.

    Default stages (trace, auth, limits, guards, cache, route); tracing on (spans
    recorded in the SQLite store of a fresh ``SHIPYARD_HOME``), no keys required,
    the exact cache only when ``cache``.
    """
    import yaml

    port = s.free_port()
    home = base / f"{name}-home"
    config: dict[str, Any] = {
        "default_model": MODEL,
        "models": {
            MODEL: {
                "targets": [
                    {
                        "provider": "openai",
                        "model": MODEL,
                        "base_url": f"{upstream_url}/v1",
                        "api_key_env": UPSTREAM_KEY_ENV,
                    }
                ]
            }
        },
        "tracing": {"enabled": True},
        "cache": {"exact": cache, "semantic": False},
        **(extra or {}),
    }
    path = base / f"{name}-gateway.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    env = dict(os.environ)
    for key in ("SHIPYARD_DB", "SHIPYARD_BLOBS", "SHIPYARD_URI", "SHIPYARD_TOKEN"):
        env.pop(key, None)
    env.update(SHIPYARD_HOME=str(home), **{UPSTREAM_KEY_ENV: UPSTREAM_KEY})
    return s.Server(
        name,
        [
            str(Path(sys.executable).parent / "shipyard"),
            "gateway",
            "--config",
            str(path),
            "--port",
            str(port),
        ],
        env=env,
        cwd=base,
        health=f"http://127.0.0.1:{port}/health",
        log=base / f"{name}.log",
        cpus=cpus,
    )


def litellm_proxy(
    base: Path,
    upstream_url: str,
    cpus: set[int] | None,
    *,
    cache: bool = False,
    name: str = "litellm",
) -> s.Server:
    """``litellm --config F --port P --num_workers 1``: the same alias on the same upstream.

    No database (no ``DATABASE_URL``), no master key (LiteLLM 1.106 refuses to
    start without one unless told it is local development, which this is), the
    cost map read from the package instead of the network. With ``cache``,
    LiteLLM's in-memory response cache (``cache: true``, type ``local``).
    """
    import yaml

    port = s.free_port()
    config: dict[str, Any] = {
        "model_list": [
            {
                "model_name": MODEL,
                "litellm_params": {
                    "model": f"openai/{MODEL}",
                    "api_base": f"{upstream_url}/v1",
                    "api_key": f"os.environ/{UPSTREAM_KEY_ENV}",
                },
            }
        ],
    }
    if cache:
        config["litellm_settings"] = {"cache": True, "cache_params": {"type": "local"}}
    path = base / f"{name}-config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    bin_dir = litellm_python().parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LITELLM_", "DATABASE_URL"))}
    env.update(
        {
            UPSTREAM_KEY_ENV: UPSTREAM_KEY,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY": "true",
            "LITELLM_TELEMETRY": "False",
            "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    return s.Server(
        name,
        [
            str(bin_dir / "litellm"),
            "--config",
            str(path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--num_workers",
            "1",
        ],
        env=env,
        cwd=base,
        health=f"http://127.0.0.1:{port}/health/liveliness",
        log=base / f"{name}.log",
        cpus=cpus,
    )


def post(
    url: str, body: Any, headers: dict[str, str] | None = None, timeout: float = 60.0
) -> tuple[int, dict[str, str], Any]:
    """POST JSON; ``(status, headers, parsed body)`` even for an error status."""
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as exc:
        raw = exc.read().decode(errors="replace")
        return exc.code, dict(exc.headers), raw


def completions_served(upstream_server: s.Server) -> int:
    """How many completions the upstream has answered so far (its ``/stats``)."""
    return int(s.get_json(root(upstream_server) + "/stats")["completions"])


def check_chat(tool: str, url: str) -> dict[str, Any]:
    """One chat call must come back 200 with the upstream's text and usage."""
    status, headers, answer = post(url, CHAT_BODY)
    if status != 200:
        raise SystemExit(f"{tool}: POST {url} gave {status}: {str(answer)[:800]}")
    text = answer["choices"][0]["message"]["content"]
    usage = answer.get("usage") or {}
    if text != CONTENT or usage.get("completion_tokens") != 8:
        raise SystemExit(f"{tool}: unexpected answer {json.dumps(answer)[:800]}")
    return {"headers": {k.lower(): v for k, v in headers.items()}, "body": answer}
