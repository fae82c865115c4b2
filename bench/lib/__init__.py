"""The benchmarks' shared library: the scripts in bench/ are thin on top of it.

- `results`: figures (percentiles, summaries) and the results files.
- `django_env`: Django on a throwaway database with the demo data, cloned recommendations.
- `fake_models`: the fake model in its own process, for the text endpoint and for the chat.
- `processes`: the service under daphne, its processes' CPU and memory (Linux /proc).
- `profiling`: py-spy on the service.
- `http`: a minimal HTTP/1.1 client and the text endpoint's request.
- `chat`: chat sessions and their tokens, the WebSocket client, event-loop lag.
- `chat_load`: the chat load generator (sessions asking in sequence, each turn timed).
- `flood`: replay_flood.py's flooder sockets, in their own process, and their chats.
- `upload_payloads`: upload_exhaustion.py's hostile images.

A script imports it as `lib` (bench/ is on its path: it runs as `python bench/<name>.py`);
the processes it starts run as `python -m bench.lib.<module>` from the project root.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
