"""Identifiers: time-ordered run ids and friendly run names."""

from __future__ import annotations

import secrets

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
    """32 random hex digits.

    Random rather than time-ordered so that the 8-digit prefix people copy
    from tables is unique in practice (time-ordered ids share their prefix for
    every run started in the same minute).
    """
    return secrets.token_hex(16)


def new_run_name() -> str:
    """A readable name such as ``swift-otter-42`` for runs the user did not name."""
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{secrets.randbelow(100):02d}"
