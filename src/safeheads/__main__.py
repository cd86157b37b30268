"""``python -m safeheads``: see `safeheads._cli`."""

from safeheads._cli import main

raise SystemExit(main())
