"""``python -m agents.explorer``: see :mod:`agents.explorer.train`."""

import sys

from agents.explorer.train import main

if __name__ == "__main__":
    sys.exit(main())
