"""ASGI entry point: `daphne agentsite.asgi:application`.

HTTP goes to Django; WebSocket goes through the Channels router. Django is set up before
anything that imports models, as the Channels docs require.
"""

from __future__ import annotations

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentsite.settings")
# What get_asgi_application() does, with the handler that serves the InfraZen app's REST
# endpoints without a thread per request.
django.setup(set_prefix=False)

from ops.service_api import ServiceASGIHandler  # noqa: E402

django_asgi_app = ServiceASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402
from core.metrics import worker_started  # noqa: E402
from ops.daphne.accept_headers import daphne_accept_headers_install  # noqa: E402
from ops.daphne.access_log import daphne_access_log_install  # noqa: E402
from ops.daphne.close import daphne_close_install  # noqa: E402
from ops.daphne.flood import daphne_flood_install  # noqa: E402
from ops.daphne.handoff import daphne_handoff_install  # noqa: E402
from ops.daphne.hardening import daphne_hardening_install  # noqa: E402
from ops.daphne.shutdown import daphne_shutdown_install  # noqa: E402
from ops.memory import malloc_tune  # noqa: E402

daphne_access_log_install()
daphne_accept_headers_install()
daphne_close_install()
daphne_shutdown_install()
daphne_handoff_install()
daphne_hardening_install()
daphne_flood_install()
malloc_tune()
worker_started()

http_app = django_asgi_app
if settings.SERVE_STATIC:
    from ops.static_files import StaticFilesHandler

    http_app = StaticFilesHandler(django_asgi_app)

from ops.script_prefix import ScriptPrefixApp  # noqa: E402

application = ScriptPrefixApp(
    ProtocolTypeRouter(
        {
            "http": http_app,
            "websocket": URLRouter(websocket_urlpatterns),
        }
    ),
    prefix=settings.FORCE_SCRIPT_NAME,
)


def _startup_heap_freeze() -> None:
    """Keep the garbage collector's full passes off what startup loaded.

    Django, the SDKs and every view module are a few hundred thousand objects that live as
    long as the process. A full collection walked them all: 120–160 ms with the event loop
    stopped, measured under the chat bench, which every socket and request in flight waited
    out. Frozen, they are never walked again; the collector still collects everything
    created afterwards.
    """
    from django.urls import get_resolver

    from chat.selectors import text_tokens_estimate
    from recommendations_ai.services import text_generation_prepare

    get_resolver().url_patterns  # noqa: B018 (imports every view now, not on the first request)
    # The tokenizer's vocabulary (when installed) takes about a second to load: at startup,
    # not in the first question of each worker.
    text_tokens_estimate(text="")
    # Instructor's handlers, the text's tool and the SDK's HTTP modules: ≈ 70 ms of CPU,
    # at startup, not in the first text request of each worker.
    text_generation_prepare()
    gc.collect()
    gc.freeze()


_startup_heap_freeze()
