"""Register a folder of 10,000 small text files, download it back, read one file.

The folder is made before the clock in the run's temporary folder: ``--files``
text files (random lowercase words and newlines from a fixed seed, each
1,024-4,096 bytes, all different) spread evenly over ``--dirs`` subfolders,
about 25 MB in all. Throughputs are files/s and MB/s (1 MB = 10^6 bytes) of
that folder; every copy that comes back is compared with it, file by file
(outside the clock).

shipyard, in one process with ``SHIPYARD_HOME`` a fresh folder (store opened
before the clock, reported as ``first_use_s``):

- register: ``sy.datasets.register(folder, name)`` (packs the small files into
  ~64 MiB pack blobs, one row per file);
- register again, unchanged: must return the same version (dedupe);
- download: ``shipyard.assets.download.download_version(ref, dst)`` into an
  empty folder;
- one file: ``sy.datasets.open_file(ref, path).read()``, median over
  ``--reads`` different files.

DVC, through its command line from its own venv, in a fresh ``git init`` +
``dvc init`` repository whose default remote is a local folder:

- register: ``dvc add data/docs`` + ``dvc push``;
- register again, unchanged: ``dvc add data/docs`` + ``dvc push``;
- download: delete the workspace folder and the cache, ``dvc pull``;
- one file: delete the workspace folder and the cache, ``dvc pull
  data/docs/<dir>/<file>`` (a granular pull of one file of the tracked folder);
  median of ``--dvc-reads`` (each is a new process).

    python benchmarks/registry/registry_folder.py --tool dvc [--files 10000] [--dirs 100]
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _common as c

SEED = 20261123
MB = 1e6
NAME = "bench-folder"


def make_folder(root: Path, files: int, dirs: int, seed: int = SEED) -> list[str]:
    """Write the files; return their relative paths (sorted).

    Each file is a slice of a 1 MB text of random words, at a random offset,
    so no two files are the same (the chance of a repeat is negligible).
    """
    rng = random.Random(seed)
    words = [
        "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(1, 10)))
        for _ in range(2000)
    ]
    lines = (" ".join(rng.choices(words, k=12)) for _ in iter(int, 1))
    text = bytearray()
    while len(text) < 1 << 20:
        text += next(lines).encode() + b"\n"
    paths = []
    for i in range(files):
        rel = f"d{i % dirs:03d}/f{i:05d}.txt"
        size = rng.randint(1024, 4096)
        start = rng.randrange(len(text) - size)
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text[start : start + size])
        paths.append(rel)
    return sorted(paths)


def bench_shipyard(home: Path, src: Path, reads: list[str], _dvc_reads: int) -> dict[str, Any]:
    c.use_shipyard_home(home / "shipyard")
    t0 = time.perf_counter()
    import shipyard as sy
    from shipyard.assets.download import download_version
    from shipyard.workspace import current_workspace

    ws = current_workspace()
    ws.store.assets.list()  # creates the schema
    first_use_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    v1 = sy.datasets.register(src, NAME)
    register_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    v2 = sy.datasets.register(src, NAME)
    dedupe_s = time.perf_counter() - t0
    if (v2.version, v2.digest) != (v1.version, v1.digest):
        raise SystemExit(f"shipyard: the unchanged folder became {v2.ref}, not {v1.ref}")

    dst = home / "download"
    t0 = time.perf_counter()
    download_version(v1.ref, dst)
    download_s = time.perf_counter() - t0

    one_s = []
    for rel in reads:
        t0 = time.perf_counter()
        with sy.datasets.open_file(v1.ref, rel) as fh:
            data = fh.read()
        one_s.append(time.perf_counter() - t0)
        if data != (src / rel).read_bytes():
            raise SystemExit(f"shipyard: open_file({rel!r}) returned other bytes")

    packs = {f.pack_digest for f in ws.store.assets.files(v1.ref)}
    return {
        "first_use_s": first_use_s,
        "register_s": register_s,
        "dedupe_s": dedupe_s,
        "download_s": download_s,
        "downloaded": dst,
        "one_file_each_s": one_s,
        "blobs": len(packs),
        "dataset_version": v1.ref,
    }


def bench_dvc(home: Path, src: Path, reads: list[str], dvc_reads: int) -> dict[str, Any]:
    repo, remote, env = c.dvc_repo(home)
    data = repo / "data"
    data.mkdir()
    src.rename(data / "docs")  # same folder, same files, now inside the repository
    folder = data / "docs"

    add_s = c.run_dvc(repo, "add", "-q", "data/docs", env=env)
    push_s = c.run_dvc(repo, "push", "-q", env=env)
    again_add_s = c.run_dvc(repo, "add", "-q", "data/docs", env=env)
    again_push_s = c.run_dvc(repo, "push", "-q", env=env)

    # the way back: keep the original aside (for the comparison), clear the cache
    original = home / "original"
    folder.rename(original)
    shutil.rmtree(repo / ".dvc" / "cache")
    pull_s = c.run_dvc(repo, "pull", "-q", env=env)
    downloaded = home / "downloaded"
    folder.rename(downloaded)

    one_s = []
    for rel in reads[:dvc_reads]:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(repo / ".dvc" / "cache", ignore_errors=True)
        one_s.append(c.run_dvc(repo, "pull", "-q", f"data/docs/{rel}", env=env))
        got = sorted(
            os.path.relpath(os.path.join(d, n), folder) for d, _, ns in os.walk(folder) for n in ns
        )
        if got != [rel] or (folder / rel).read_bytes() != (original / rel).read_bytes():
            raise SystemExit(f"dvc: pulling {rel} gave {got[:3]}... instead of that one file")
    original.rename(src)  # back where the caller made it
    remote_files = sum(len(ns) for _, _, ns in os.walk(remote))
    return {
        "register_s": add_s + push_s,
        "add_s": add_s,
        "push_s": push_s,
        "dedupe_s": again_add_s + again_push_s,
        "dedupe_add_s": again_add_s,
        "dedupe_push_s": again_push_s,
        "download_s": pull_s,
        "downloaded": downloaded,
        "one_file_each_s": one_s,
        "blobs": remote_files,
        **c.dvc_overhead(repo, env),
    }


def main() -> None:
    p = c.parser(__doc__.splitlines()[0], tools=("shipyard", "dvc"))
    p.add_argument("--files", type=int, default=10_000)
    p.add_argument("--dirs", type=int, default=100)
    p.add_argument("--reads", type=int, default=20, help="single-file reads (shipyard)")
    p.add_argument("--dvc-reads", type=int, default=3, help="single-file pulls (DVC)")
    args = p.parse_args()
    with c.temp_store("registry_folder", args.keep) as home:
        src = home / "docs"
        t0 = time.perf_counter()
        paths = make_folder(src, args.files, args.dirs)
        make_s = time.perf_counter() - t0
        files, total, digest = c.tree_digest(src)
        reads = random.Random(SEED).sample(paths, min(args.reads, len(paths)))
        fn = bench_shipyard if args.tool == "shipyard" else bench_dvc
        r = fn(home, src, reads, args.dvc_reads)
        if c.tree_digest(r.pop("downloaded")) != (files, total, digest):
            raise SystemExit(f"{args.tool}: the downloaded folder differs from the registered one")
    mb = total / MB
    register_s, download_s = r.pop("register_s"), r.pop("download_s")
    one_s = c.median(r["one_file_each_s"])
    c.emit(
        "registry_folder",
        args.tool,
        "register_files_per_s",
        files / register_s,
        "files/s",
        files=files,
        dirs=args.dirs,
        folder_mb=round(mb, 3),
        make_folder_s=round(make_s, 3),
        register_s=register_s,
        register_mb_per_s=mb / register_s,
        dedupe_s=r.pop("dedupe_s"),
        download_s=download_s,
        download_files_per_s=files / download_s,
        download_mb_per_s=mb / download_s,
        one_file_ms=one_s * 1e3,
        **r,
    )


if __name__ == "__main__":
    main()
