"""Settings for the InfraZen Agent Service, one module per concern.

Everything comes from the environment (django-environ); `.env.example` documents every key.
With nothing set the service runs on its embedded defaults: a SQLite file, the in-memory
channel layer and an offline LLM, which is what `make demo` and `make test` rely on.

The sections are read in this order, and a configuration that cannot work stops the start in
the section that finds it (an unknown AGENT_ENV in `base`, an unworkable model in
`language_model`, production on development defaults in `production`, last).
"""

# In this order, not sorted: see above.
from .base import *  # noqa: F403, I001
from .security import *  # noqa: F403
from .databases import *  # noqa: F403
from .channel_layers import *  # noqa: F403
from .language_model import *  # noqa: F403
from .governance import *  # noqa: F403
from .scenarios import *  # noqa: F403
from .uploads import *  # noqa: F403
from .plumbing import *  # noqa: F403
from .logs import *  # noqa: F403
from . import production  # noqa: F401  (refuses prod on development defaults when imported)
