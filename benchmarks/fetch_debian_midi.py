"""Fetch real MIDI files from Debian packages into benchmarks/_fetched/debian_midi/ (git-ignored).

The files are never committed: they are downloaded with ``apt-get download`` (the .deb archives of
``simutrans-data``, a game's soundtrack, and ``mma``, the Musical MIDI Accompaniment pattern library
and examples) and only their ``.mid``/``.midi`` files are kept, under ``<package>/<path in the package>``.

    python benchmarks/fetch_debian_midi.py            # prints the folder and the number of files

Other scripts import :func:`fetch` to get the folder (it downloads once and reuses the cache).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGES = ("simutrans-data", "mma")
CACHE = Path(__file__).resolve().parent / "_fetched" / "debian_midi"
MIDI_SUFFIXES = (".mid", ".midi")


def _download(packages, folder: Path):
    command = ["apt-get", "download", *packages]
    if subprocess.run(command, cwd=folder, capture_output=True).returncode == 0:
        return
    # A fresh machine has no package lists yet.
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(command)}` failed: {done.stderr.strip()} "
                         "(needs a Debian/Ubuntu machine with apt and access to its mirror)")


def fetch(cache: Path = CACHE, packages=PACKAGES) -> Path:
    """The folder of fetched MIDI files, downloading the packages the first time."""
    missing = [package for package in packages if not (cache / package).is_dir()]
    if missing:
        if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
            raise SystemExit("fetching Debian's MIDI files needs apt-get and dpkg-deb")
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            _download(missing, scratch)
            for package in missing:
                (deb,) = scratch.glob(f"{package}_*.deb")
                unpacked = scratch / package
                subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
                staging = cache / f".{package}.partial"
                shutil.rmtree(staging, ignore_errors=True)
                staging.mkdir(parents=True)
                for file in sorted(unpacked.rglob("*")):
                    if file.suffix.lower() in MIDI_SUFFIXES and file.is_file():
                        target = staging / file.relative_to(unpacked)
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(file, target)
                staging.rename(cache / package)  # only a complete package counts as fetched
    return cache


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"where to put the files (default {CACHE})")
    args = parser.parse_args(argv)
    folder = fetch(args.cache)
    for package in PACKAGES:
        count = sum(1 for f in (folder / package).rglob("*") if f.suffix.lower() in MIDI_SUFFIXES)
        print(f"{package}: {count} MIDI files")
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
