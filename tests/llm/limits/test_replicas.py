"""Two gateway processes sharing one Redis respect one limit together.

Each process builds its own request path (auth, limits, route to ``echo``)
from a config naming the Redis, over the same keys database, and sends 30
requests with one key allowed 25 a minute: 25 are admitted in all.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from shipyard.core.clock import now_ms
from shipyard.core.settings import Settings
from shipyard.llm.config import GatewayConfig
from shipyard.llm.keys import create_key, key_usage
from shipyard.workspace import Workspace

_REPLICA = """
import sys
from shipyard.core.errors import RateLimited
from shipyard.llm.config import GatewayConfig
from shipyard.llm.path import RequestPath
from shipyard.llm.types import LLMRequest

config = GatewayConfig.from_dict(
    {"stages": ["auth", "limits", "route"], "limits": {"redis_url": sys.argv[2]}}
)
path = RequestPath(config)
admitted = 0
for i in range(30):
    try:
        path.run(LLMRequest.completion("echo/x", f"n {i}"), credential=sys.argv[1])
        admitted += 1
    except RateLimited:
        pass
print(admitted)
"""


def test_two_processes_share_the_limit(tmp_path: Path, redis_url: str) -> None:
    home = tmp_path / "gw-home"
    ws = Workspace.open(Settings.load(home=str(home)))
    key, secret = create_key("p", name="shared", rpm=25, workspace=ws)
    if 60_000 - now_ms() % 60_000 < 15_000:  # both replicas must run in one minute
        time.sleep((60_000 - now_ms() % 60_000) / 1000 + 0.1)
    env = {**os.environ, "SHIPYARD_HOME": str(home)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _REPLICA, secret, redis_url],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        counts = [int(p.communicate(timeout=120)[0].strip().splitlines()[-1]) for p in procs]
        assert sum(counts) == 25, counts
        assert all(p.returncode == 0 for p in procs)
        config = GatewayConfig.from_dict({"limits": {"redis_url": redis_url}})
        assert key_usage(key, config=config, workspace=ws).requests_this_minute == 25
        sql = key_usage(key, workspace=ws)  # nothing went to the SQL counters
        assert sql.requests_this_minute == 0
    finally:
        import redis

        client = redis.Redis.from_url(redis_url)
        names = list(client.scan_iter(match=f"shipyard:limits:key:{key.id}:*"))
        if names:
            client.delete(*names)
        client.close()
        from shipyard.llm.limits import close_counters

        close_counters()
        ws.close()
