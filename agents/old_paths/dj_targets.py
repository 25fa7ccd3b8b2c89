"""``python -m agents.dj_targets`` of the previous release: now ``python -m agents songs``."""

import sys

from agents.__main__ import run_old_path

if __name__ == "__main__":
    sys.exit(run_old_path("agents.dj_targets", "songs", ("--agent", "dj", "--skip", "30")))
