"""``python -m bot``: start Still Here."""

from __future__ import annotations

import sys

from bot.main import main

sys.exit(main())
