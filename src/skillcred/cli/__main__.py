"""``python -m skillcred.cli``: the same as the ``skillcred`` command."""

from skillcred.cli import main

raise SystemExit(main())
