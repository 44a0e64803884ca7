"""Identifiers: time-ordered run ids and friendly run names."""

from __future__ import annotations

import secrets
import time

_ADJECTIVES = [
    "amber",
    "brave",
    "calm",
    "clever",
    "crisp",
    "daring",
    "eager",
    "fair",
    "gentle",
    "golden",
    "happy",
    "keen",
    "lively",
    "lucky",
    "mellow",
    "nimble",
    "noble",
    "polite",
    "proud",
    "quick",
    "quiet",
    "rapid",
    "shiny",
    "silent",
    "sleek",
    "steady",
    "sunny",
    "swift",
    "tidy",
    "vivid",
    "warm",
    "witty",
]
_NOUNS = [
    "anchor",
    "beacon",
    "breeze",
    "canoe",
    "cargo",
    "comet",
    "coral",
    "dinghy",
    "dolphin",
    "ferry",
    "gull",
    "harbor",
    "heron",
    "keel",
    "kelp",
    "lantern",
    "marlin",
    "mast",
    "orca",
    "otter",
    "pier",
    "puffin",
    "reef",
    "sail",
    "schooner",
    "seal",
    "skiff",
    "tide",
    "walrus",
    "whale",
]


def new_run_id() -> str:
    """A 32-hex-digit id whose first 12 digits are the creation time in ms.

    Time-ordered ids keep index inserts local and sort runs by creation.
    """
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def new_run_name() -> str:
    """A readable name such as ``swift-otter-42`` for runs the user did not name."""
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{secrets.randbelow(100):02d}"
