"""The model server's metrics, written in the Prometheus text exposition format by hand.

A handful of counters and histograms kept in dicts keyed by label values: far
cheaper per request than a metrics library, and enough for ``/metrics``.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Callable, Iterable, Sequence

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)

Labels = tuple[str, ...]


class Counter:
    """A monotonically growing number per combination of label values (thread-safe)."""

    kind = "counter"

    def __init__(self, name: str, help: str, labels: Sequence[str] = ()) -> None:
        self.name, self.help, self.labels = name, help, tuple(labels)
        self.values: dict[Labels, float] = {}
        self._lock = threading.Lock()

    def inc(self, labels: Labels = (), amount: float = 1.0) -> None:
        with self._lock:
            self.values[labels] = self.values.get(labels, 0.0) + amount

    def get(self, labels: Labels = ()) -> float:
        return self.values.get(labels, 0.0)

    def total(self) -> float:
        return sum(self.values.values())

    def samples(self) -> Iterable[tuple[str, Labels, Labels, float]]:
        with self._lock:
            items = sorted(self.values.items())
        if not items and not self.labels:
            items = [((), 0.0)]
        for values, number in items:
            yield self.name, self.labels, values, number


class Histogram:
    """Counts of observations per bucket, their sum and count, per combination of labels."""

    kind = "histogram"

    def __init__(
        self, name: str, help: str, labels: Sequence[str] = (), buckets: Sequence[float] = ()
    ) -> None:
        self.name, self.help, self.labels = name, help, tuple(labels)
        self.buckets = tuple(buckets)
        self.series: dict[Labels, list[float]] = {}  # per-bucket counts, then +Inf, sum, count
        self._lock = threading.Lock()

    def observe(self, value: float, labels: Labels = ()) -> None:
        index = bisect.bisect_left(self.buckets, value)
        with self._lock:
            series = self.series.get(labels)
            if series is None:
                series = self.series[labels] = [0.0] * (len(self.buckets) + 3)
            series[index] += 1
            series[-2] += value
            series[-1] += 1

    def count(self, labels: Labels = ()) -> float:
        series = self.series.get(labels)
        return 0.0 if series is None else series[-1]

    def samples(self) -> Iterable[tuple[str, Labels, Labels, float]]:
        with self._lock:
            items = sorted((k, list(v)) for k, v in self.series.items())
        for values, series in items:
            running = 0.0
            for bound, count in zip((*self.buckets, math.inf), series, strict=False):
                running += count
                yield (
                    f"{self.name}_bucket",
                    (*self.labels, "le"),
                    (*values, _number(bound)),
                    running,
                )
            yield f"{self.name}_sum", self.labels, values, series[-2]
            yield f"{self.name}_count", self.labels, values, series[-1]


class Gauge:
    """A value read when ``/metrics`` is rendered: ``read()`` gives (label values, number) pairs."""

    kind = "gauge"

    def __init__(
        self,
        name: str,
        help: str,
        labels: Sequence[str],
        read: Callable[[], Iterable[tuple[Labels, float]]],
    ) -> None:
        self.name, self.help, self.labels, self.read = name, help, tuple(labels), read

    def samples(self) -> Iterable[tuple[str, Labels, Labels, float]]:
        for values, number in self.read():
            yield self.name, self.labels, values, number


Metric = Counter | Histogram | Gauge


class ServingMetrics:
    """Everything ``/metrics`` reports about one model server."""

    def __init__(self) -> None:
        self.requests = Counter(
            "shipyard_requests_total",
            "Prediction requests by HTTP status and the route that served them.",
            ("status", "alias", "version"),
        )
        self.latency = Histogram(
            "shipyard_request_latency_seconds",
            "Time from receiving a prediction request to having its answer.",
            ("alias", "version"),
            LATENCY_BUCKETS,
        )
        self.errors = Counter(
            "shipyard_errors_total", "Failed prediction requests by error type.", ("type",)
        )
        self.batch_size = Histogram(
            "shipyard_batch_size_rows",
            "Rows per predict call (micro-batches of concurrent requests).",
            ("version",),
            BATCH_BUCKETS,
        )
        self.rows = Counter(
            "shipyard_predicted_rows_total", "Rows predicted.", ("alias", "version")
        )
        self.shadow = Counter(
            "shipyard_shadow_requests_total",
            "Copies of requests sent to the shadow alias, by outcome.",
            ("outcome", "alias", "version"),
        )
        self.reloads = Counter(
            "shipyard_model_reloads_total", "Alias moves picked up without a restart.", ("alias",)
        )
        self.reload_errors = Counter(
            "shipyard_model_reload_errors_total",
            "Failed checks or loads of a moved alias (the previous version kept serving).",
            ("alias",),
        )
        self.log_written = Counter(
            "shipyard_prediction_log_written_total", "Predictions written to the prediction log."
        )
        self.log_dropped = Counter(
            "shipyard_prediction_log_dropped_total",
            "Predictions not logged: queue full, store error, or still queued at shutdown.",
            ("reason",),
        )
        self.gauges: list[Gauge] = []

    def add_gauge(
        self,
        name: str,
        help: str,
        labels: Sequence[str],
        read: Callable[[], Iterable[tuple[Labels, float]]],
    ) -> None:
        self.gauges.append(Gauge(name, help, labels, read))

    def render(self) -> str:
        """The exposition text (``text/plain; version=0.0.4``)."""
        metrics: list[Metric] = [
            self.requests,
            self.latency,
            self.errors,
            self.batch_size,
            self.rows,
            self.shadow,
            self.reloads,
            self.reload_errors,
            self.log_written,
            self.log_dropped,
            *self.gauges,
        ]
        lines: list[str] = []
        for metric in metrics:
            lines.append(f"# HELP {metric.name} {metric.help}")
            lines.append(f"# TYPE {metric.name} {metric.kind}")
            for name, labels, values, number in metric.samples():
                lines.append(f"{name}{_labels(labels, values)} {_number(number)}")
        return "\n".join(lines) + "\n"


def _labels(names: Labels, values: Labels) -> str:
    if not names:
        return ""
    pairs = ",".join(f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True))
    return "{" + pairs + "}"


def _escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))
