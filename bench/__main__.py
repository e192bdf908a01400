"""``python -m bench``: the same as ``hub bench``."""

from bench.cli import main

raise SystemExit(main())
