"""The semantic cache's embedder: a configured embedding model, called through the provider registry.

``cache.embedder`` names a ``provider/model`` (default the bundled
``local/all-minilm-l6-v2``) or an alias of the gateway config; the first target
of the alias is used. Vectors come back normalized to length one (float32), so
a dot product is the cosine similarity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shipyard.core.errors import ProviderError
from shipyard.llm.providers.base import get_provider
from shipyard.llm.types import LLMRequest

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from shipyard.llm.config import GatewayConfig


class Embedder:
    def __init__(self, config: GatewayConfig) -> None:
        self.name = config.cache.embedder
        self.target = config.route_for(self.name).targets[0]
        self.timeout = self.target.timeout_s or config.routing.timeout_s

    def __call__(self, text: str) -> npt.NDArray[np.float32]:
        """The unit vector of ``text``; ``ProviderError`` when the embedder fails."""
        import numpy as np

        provider = get_provider(self.target.provider, self.target.provider_config())
        response = provider.call(
            LLMRequest.embedding(model=self.name, texts=[text]),
            self.target.model,
            timeout=self.timeout,
        )
        if not response.embeddings:
            raise ProviderError(
                f"the cache embedder {self.name} returned no vector; "
                "set cache.embedder to an embedding model",
                provider=self.target.provider,
            )
        vector = np.asarray(response.embeddings[0], dtype=np.float32)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector
