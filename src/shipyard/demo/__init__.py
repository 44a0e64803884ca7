"""The demo: real models on real data, tracked as runs, so the UI opens on something worth seeing."""

from shipyard.demo.credit import run_credit_pipeline
from shipyard.demo.gateway import run_gateway_demo
from shipyard.demo.sentiment import run_sentiment_demo
from shipyard.demo.tracking import run_demo

__all__ = ["run_credit_pipeline", "run_demo", "run_gateway_demo", "run_sentiment_demo"]
