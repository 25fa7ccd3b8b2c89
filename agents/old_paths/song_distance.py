"""``python -m agents.song_distance`` of the previous release: now ``python -m agents songs``."""

import sys

from agents.__main__ import run_old_path

if __name__ == "__main__":
    sys.exit(run_old_path("agents.song_distance", "songs"))
