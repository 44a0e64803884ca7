"""The auth stage: turn the caller's virtual key into a ``VirtualKey``, or refuse the call.

With no key presented the call goes on unattributed, unless the config says
``auth.require_key``. A presented key is verified on every call (one indexed
lookup, no cache), so a revoked key is refused at once by every replica. A key
limited to some models may call only those: names as the caller writes them
(an alias, or ``provider/model``), with ``*`` as a wildcard (``openai/*``).
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from shipyard.core.errors import Forbidden, Unauthorized
from shipyard.llm.key_records import VirtualKey
from shipyard.llm.keys import verify_key
from shipyard.llm.stages.base import Call, Next
from shipyard.llm.types import Outcome
from shipyard.tracing import span
from shipyard.tracing.genai import KEY_ID, PROJECT

if TYPE_CHECKING:
    from shipyard.llm.config import GatewayConfig
    from shipyard.workspace import Workspace


class AuthStage:
    """Verifies ``call.credential`` and sets ``call.key`` and ``call.project``."""

    name = "auth"

    def __init__(self, config: GatewayConfig, workspace: Workspace) -> None:
        self.config = config
        self.workspace = workspace

    def handle(self, call: Call, next: Next) -> Outcome:
        with span("auth", kind="stage", workspace=self.workspace) as s:
            if call.credential is None:
                if self.config.auth.require_key:
                    raise Unauthorized(
                        "this gateway needs a virtual key: send 'Authorization: Bearer sk-sy-…' "
                        "(create one with `shipyard keys create`)"
                    )
                s.set_attribute("shipyard.auth", "none")
            else:
                key = verify_key(call.credential, workspace=self.workspace)
                attributes = {KEY_ID: key.id, PROJECT: key.project}
                s.set_attributes(attributes)
                call.key = key
                call.project = key.project
                call.attributes.update(attributes)
                check_model(key, call.request.model)
        return next(call)


def check_model(key: VirtualKey, model: str) -> None:
    """``Forbidden`` unless ``key`` may call ``model`` (every model when ``key.models`` is empty)."""
    if not key.models or any(fnmatchcase(model, allowed) for allowed in key.models):
        return
    raise Forbidden(
        f"key {key.name!r} may not call {model!r}; it may call only: {', '.join(key.models)}"
    )
