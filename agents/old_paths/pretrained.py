"""``python -m agents.pretrained`` of the previous release: now ``python -m agents export``."""

import sys

from agents.__main__ import run_old_path

if __name__ == "__main__":
    sys.exit(run_old_path("agents.pretrained", "export"))
