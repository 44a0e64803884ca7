"""The optional libraries behind models, and the error that names the extra to install.

pandas carries every model input (signatures, validation), so every flavor
needs it; scikit-learn and skops serve the ``sklearn`` flavor, onnxruntime the
``onnx`` flavor. None of them is imported by ``import shipyard``.
"""

from __future__ import annotations

import importlib

EXTRAS = {
    "pandas": "pandas",
    "sklearn": "sklearn",
    "skops": "sklearn",
    "onnxruntime": "onnx",
}


def require(module: str, purpose: str) -> None:
    """Import ``module`` or raise an ``ImportError`` that says which extra to install."""
    try:
        importlib.import_module(module)
    except ImportError:
        extra = EXTRAS.get(module, "all")
        raise ImportError(
            f"{purpose} needs {module}, which is not installed. "
            f"Install it with: pip install 'shipyard[{extra}]'"
        ) from None
