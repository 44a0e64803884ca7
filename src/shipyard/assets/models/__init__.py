"""Models: flavors that save and load them, signatures that guard ``predict``, requirements.

Nothing here imports scikit-learn, skops, onnxruntime or pandas until a
function needs it.
"""

from shipyard.assets.models.flavors import flavor_for, get_flavor, known_flavors
from shipyard.assets.models.flavors.protocol import Flavor, Predictor, Trust
from shipyard.assets.models.loaded import LoadedModel
from shipyard.assets.models.model_folder import (
    load_model,
    model_from_metadata,
    read_model_metadata,
    save_model,
)
from shipyard.assets.models.requirements import capture_requirements
from shipyard.assets.models.signature import Column, Output, Signature, infer_signature

__all__ = [
    "Column",
    "Flavor",
    "LoadedModel",
    "Output",
    "Predictor",
    "Signature",
    "Trust",
    "capture_requirements",
    "flavor_for",
    "get_flavor",
    "infer_signature",
    "known_flavors",
    "load_model",
    "model_from_metadata",
    "read_model_metadata",
    "save_model",
]
