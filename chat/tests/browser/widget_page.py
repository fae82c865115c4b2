"""The chat widget (static/agent-chat/) in a stand-in InfraZen page, for test_widget.py and
bench/widget.py.

The page (infrazen_drawer.html) is InfraZen's recommendations page with its drawer scripts,
written from their behaviour, and the widget loaded from the live agent's /static/ in place
of the two stock scripts. axe-core comes from npm on first use and is cached under var/.
"""

from __future__ import annotations

import sqlite3
import subprocess
import tarfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from chat.tests.browser.live import INFRAZEN_ORIGIN, ROOT, LiveAgent

PAGE = Path(__file__).with_name("infrazen_drawer.html").read_text()
AXE_VERSION = "4.10.3"
AXE_DIR = ROOT / "var" / "axe-core" / AXE_VERSION
NPM_TIMEOUT_S = 180


def axe_source() -> str:
    """axe.min.js from npm (`npm pack axe-core@AXE_VERSION`), fetched once into var/."""
    script = AXE_DIR / "axe.min.js"
    if not script.exists():
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        packed = subprocess.run(
            ["npm", "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", str(AXE_DIR)],
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_S,
            check=True,
        )
        tarball = AXE_DIR / packed.stdout.strip().splitlines()[-1]
        with tarfile.open(tarball) as archive:
            for name in ("axe.min.js", "LICENSE"):
                member = archive.getmember(f"package/{name}")
                (AXE_DIR / name).write_bytes(archive.extractfile(member).read())
        tarball.unlink()
    return script.read_text()


AXE_RUN = """async (selector) => {
    const result = await axe.run(document.querySelector(selector), {
        resultTypes: ["violations"],
        // Not the CSSOM preload: it re-fetches the agent's stylesheet by XHR, without CORS.
        preload: false,
    });
    return result.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.html).slice(0, 3)}));
}"""


def page_html(agent: LiveAgent, recommendation_id: int) -> str:
    return PAGE.replace("{{AGENT}}", agent.base_url).replace("{{REC}}", str(recommendation_id))


def drawer_page(page: Any, agent: LiveAgent, *, rec: int, reconnect_ms: int = 300) -> None:
    """Serve the stand-in page on InfraZen's origin, open it, and open the chat drawer."""
    html = page_html(agent, rec)
    page.route(
        f"{INFRAZEN_ORIGIN}/recommendations**",
        lambda route: route.fulfill(body=html, content_type="text/html"),
    )
    page.goto(f"{INFRAZEN_ORIGIN}/recommendations?reconnect_ms={reconnect_ms}")
    page.click(".chat-with-finops-btn")
    page.wait_for_selector(".chat-drawer.active .chat-message.system")


def sql_execute(agent: LiveAgent, statement: str, params: tuple) -> None:
    """One statement on the live agent's InfraZen database (SQLite file or MariaDB)."""
    url = agent.env["DATABASE_URL"]
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            connection.execute(statement, params)
        return
    import pymysql  # the service's own driver (requirements.txt)

    parts = urlsplit(url)
    connection = pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        database=parts.path.lstrip("/"),
        autocommit=True,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement.replace("?", "%s"), params)
    finally:
        connection.close()
