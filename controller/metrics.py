"""Prometheus metrics of the controller. The API's /metrics serves this registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

RECONCILES = Counter(
    "dockform_reconciles_total",
    "Reconciles by kind and result (ok, requeue, error, terminal, deleted).",
    ["kind", "result"],
    registry=REGISTRY,
)
RECONCILE_SECONDS = Histogram(
    "dockform_reconcile_duration_seconds",
    "Time one reconcile took, by kind.",
    ["kind"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge("dockform_queue_depth", "Keys waiting in the work queue.", registry=REGISTRY)
ENGINE_ERRORS = Counter(
    "dockform_docker_api_errors_total",
    "Docker Engine API failures seen by reconcilers, by kind.",
    ["kind"],
    registry=REGISTRY,
)
EVENTS_SEEN = Counter(
    "dockform_runtime_events_total",
    "Docker events that queued a reconcile, by object type.",
    ["type"],
    registry=REGISTRY,
)
