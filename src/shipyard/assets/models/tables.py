"""Model input as a pandas DataFrame, and the column type rules a signature applies.

Every function imports pandas when called, so ``import shipyard`` stays light.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

from shipyard.assets.models.optional import require
from shipyard.core.errors import InvalidInput

_ACCEPTED = "a DataFrame, a dict of columns, a list of row dicts, or a 2-D array"


def as_frame(data: Any, positional_names: list[str] | None = None) -> Any:
    """Turn model input into a DataFrame.

    Positional input (a 2-D array, a list of lists) takes ``positional_names``
    when given (a signature's columns) and ``f0`` … ``fN`` otherwise.
    """
    require("pandas", "model input")
    import numpy as np
    import pandas as pd  # type: ignore[import-untyped]

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        if data.name is None:
            raise InvalidInput("a Series given as model input needs a name (its column name)")
        return data.to_frame()
    if isinstance(data, Mapping):
        if data and not any(_is_sequence(v) for v in data.values()):
            return pd.DataFrame([dict(data)])  # one row given as {column: value}
        try:
            return pd.DataFrame(dict(data))
        except ValueError as exc:
            raise InvalidInput(f"cannot read the dict as columns of a table: {exc}") from exc
    if isinstance(data, list | tuple) and data and all(isinstance(r, Mapping) for r in data):
        return pd.DataFrame.from_records([dict(r) for r in data])
    rows = data
    if isinstance(data, list | tuple) and data and all(isinstance(r, list | tuple) for r in data):
        rows = pd.DataFrame(list(data))  # a list of lists: rows of positional values
    elif isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise InvalidInput(
                f"a {data.ndim}-D array cannot be model input; pass a 2-D array "
                "(reshape(-1, 1) for one column, reshape(1, -1) for one row)"
            )
        rows = pd.DataFrame(data)
    if rows is not data:
        width = rows.shape[1]
        names = positional_names or [f"f{i}" for i in range(width)]
        if len(names) != width:
            raise InvalidInput(
                f"the input has {width} columns but the model expects {len(names)}: "
                f"{', '.join(names)}"
            )
        rows.columns = names
        return rows
    if isinstance(data, list | tuple) and not data:
        raise InvalidInput(f"the model input is empty; pass {_ACCEPTED}")
    raise InvalidInput(f"cannot read a {type(data).__name__} as model input; pass {_ACCEPTED}")


def column_type(series: Any, name: str) -> str:
    """The signature type of a column: integer, float, string, boolean or datetime."""
    import pandas as pd
    from pandas.api import types  # type: ignore[import-untyped]

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return column_type(pd.Series(dtype.categories), name)
    if types.is_bool_dtype(dtype):
        return "boolean"
    if types.is_integer_dtype(dtype):
        return "integer"
    if types.is_float_dtype(dtype):
        return "float"
    if types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.StringDtype):
        return "string"
    inferred = (
        types.infer_dtype(series, skipna=True) if types.is_object_dtype(dtype) else str(dtype)
    )
    kind = _INFERRED.get(inferred)
    if kind is not None:
        return kind
    if inferred == "empty":
        raise InvalidInput(
            f"column {name!r} has only nulls in the sample, so its type is unknown; "
            "give a sample with values or build the Signature by hand"
        )
    raise InvalidInput(
        f"column {name!r} holds {inferred} values, which a signature cannot describe; "
        "cast it to integer, float, string, boolean or datetime first"
    )


_INFERRED = {
    "string": "string",
    "boolean": "boolean",
    "integer": "integer",
    "floating": "float",
    "mixed-integer-float": "float",
    "datetime": "datetime",
    "datetime64": "datetime",
    "date": "datetime",
}


def coerce_column(series: Any, kind: str) -> Any:
    """Return ``series`` cast losslessly to ``kind``, or a message naming the first bad value."""
    return _COERCERS[kind](series)


def _to_float(series: Any) -> Any:
    import numpy as np
    import pandas as pd
    from pandas.api import types

    dtype = series.dtype
    if types.is_object_dtype(dtype):
        bad = _first_bad(series, _is_number, "is not a number")
        if bad:
            return bad
    elif not (types.is_integer_dtype(dtype) or types.is_float_dtype(dtype)):
        return _first_bad(series, _never, "is not a number") or _nulls(series, "float64")
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(values, index=series.index, name=series.name)


def _to_integer(series: Any) -> Any:
    from pandas.api import types

    dtype = series.dtype
    if types.is_object_dtype(dtype) or types.is_float_dtype(dtype):
        bad = _first_bad(series, _is_number, "is not an integer") or _first_bad(
            series, _is_whole, "is not a whole number"
        )
        if bad:
            return bad
    elif not types.is_integer_dtype(dtype):
        return _first_bad(series, _never, "is not an integer") or _nulls(series, "Int64")
    try:
        return series.astype("Int64" if series.isna().any() else "int64")
    except (OverflowError, TypeError, ValueError) as exc:
        return f"cannot be read as 64-bit integers ({exc})"


def _to_string(series: Any) -> Any:
    import pandas as pd
    from pandas.api import types

    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        return series
    if types.is_object_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return _first_bad(series, lambda v: isinstance(v, str), "is not a string") or series
    return _first_bad(series, _never, "is not a string") or _nulls(series, object)


def _to_boolean(series: Any) -> Any:
    from pandas.api import types

    dtype = series.dtype
    if types.is_object_dtype(dtype):
        bad = _first_bad(series, lambda v: isinstance(v, bool), "is not true/false")
        if bad:
            return bad
    elif not types.is_bool_dtype(dtype):
        return _first_bad(series, _never, "is not true/false") or _nulls(series, "boolean")
    return series.astype("boolean" if series.isna().any() else "bool")


def _to_datetime(series: Any) -> Any:
    import pandas as pd
    from pandas.api import types

    dtype = series.dtype
    if types.is_datetime64_any_dtype(dtype):
        return series
    if not (types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype)):
        return _first_bad(series, _never, "is not a datetime") or _nulls(series, "datetime64[ns]")
    problem = "is not a datetime (ISO 8601 text)"
    bad = _first_bad(series, lambda v: isinstance(v, str | dt.date), problem)
    if bad:
        return bad
    try:
        parsed = pd.to_datetime(series, format="ISO8601", errors="coerce")
    except (ValueError, TypeError) as exc:
        return f"mixes time zones or kinds of dates ({exc})"
    unparsed = series[parsed.isna() & series.notna()]
    return _first_bad(unparsed, _never, problem) or parsed


_COERCERS: dict[str, Callable[[Any], Any]] = {
    "float": _to_float,
    "integer": _to_integer,
    "string": _to_string,
    "boolean": _to_boolean,
    "datetime": _to_datetime,
}


def _first_bad(series: Any, ok: Callable[[object], bool], problem: str) -> str | None:
    present = series[series.notna()]
    for label, value in zip(present.index, present.tolist(), strict=True):
        if not ok(value):
            shown = repr(value)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            return f"{shown} ({type(value).__name__}) at row {label!r} {problem}"
    return None


def _nulls(series: Any, dtype: object) -> Any:
    """A column of the right type for a wrong-typed column that holds only nulls."""
    import pandas as pd

    return pd.Series([None] * len(series), index=series.index, name=series.name, dtype=dtype)


def _never(value: object) -> bool:
    return False


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_whole(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer()
    return _is_number(value)


def _is_sequence(value: object) -> bool:
    import numpy as np
    import pandas as pd

    return isinstance(value, list | tuple | np.ndarray | pd.Series | pd.Index)
