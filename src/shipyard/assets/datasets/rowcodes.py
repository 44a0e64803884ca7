"""Integer codes that make two tables' values and rows comparable with NumPy alone.

Both versions' values of a column are dictionary-encoded *together*, so one
code means one value across old and new (nulls get a code, NaN equals NaN).
A row's code combines its columns' codes exactly (mixed-radix, re-densified
before it could overflow), so equal codes mean equal rows with no hash
collisions. Everything runs in Arrow's hash kernels and NumPy vector
operations; only columns Arrow cannot hash (lists, structs, maps) fall back to
encoding each value's ``repr`` in Python.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from shipyard.assets.datasets.optional import missing_dependency

try:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.compute as pc  # type: ignore[import-untyped]
except ImportError as exc:  # pragma: no cover - exercised only without pyarrow
    raise missing_dependency("pyarrow", "shipyard datasets") from exc

Codes = npt.NDArray[np.int64]
_LIMIT = 1 << 62


def joint_codes(old: pa.ChunkedArray, new: pa.ChunkedArray) -> tuple[Codes, Codes, int]:
    """Codes of ``old`` and ``new`` values in one numbering, and how many codes there are.

    A column whose type changed is compared after casting old to new (or new
    to old, or both to text); when no cast works, no value is equal.
    """
    old, new = _decoded(old), _decoded(new)
    unified = _unify(old, new)
    if unified is None:
        old_codes, k_old = _codes(old)
        new_codes, k_new = _codes(new)
        return old_codes, new_codes + k_old, k_old + k_new
    old, new = unified
    both, k = _codes(pa.chunked_array(old.chunks + new.chunks, type=old.type))
    return both[: len(old)], both[len(old) :], k


def row_codes(old: pa.Table, new: pa.Table, columns: Sequence[str]) -> tuple[Codes, Codes, int]:
    """Codes of whole rows (over ``columns``) in one numbering: equal code, equal row."""
    n_old = old.num_rows
    acc = np.zeros(n_old + new.num_rows, dtype=np.int64)
    card = 1
    for name in columns:
        old_codes, new_codes, k = joint_codes(old.column(name), new.column(name))
        k = max(k, 1)
        if card * k >= _LIMIT:
            acc, card = densify(acc)
        acc = acc * k + np.concatenate([old_codes, new_codes])
        card *= k
    acc, card = densify(acc)
    return acc[:n_old], acc[n_old:], card


def densify(codes: Codes) -> tuple[Codes, int]:
    """Renumber ``codes`` as 0..k-1 (first-seen order); return them and k."""
    encoded = pc.dictionary_encode(pa.array(codes, type=pa.int64()))
    dense = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return dense, len(encoded.dictionary)


def _codes(column: pa.ChunkedArray) -> tuple[Codes, int]:
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if len(array) == 0:
        return np.zeros(0, dtype=np.int64), 0
    try:
        encoded = pc.dictionary_encode(array, null_encoding="encode")
    except pa.ArrowNotImplementedError:
        text = pa.array([repr(v) for v in array.to_pylist()], type=pa.large_string())
        encoded = pc.dictionary_encode(text, null_encoding="encode")
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, len(encoded.dictionary)


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


def _unify(
    old: pa.ChunkedArray, new: pa.ChunkedArray
) -> tuple[pa.ChunkedArray, pa.ChunkedArray] | None:
    if old.type.equals(new.type):
        return old, new
    attempts = ((new.type, new.type), (old.type, old.type), (pa.large_string(), pa.large_string()))
    for old_to, new_to in attempts:
        try:
            return old.cast(old_to), new.cast(new_to)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            continue
    return None
