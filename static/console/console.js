/* console.js: the console's chat drawer. Does what InfraZen's chat-drawer.js and
 * chat-integration.js do around the widget (static/agent-chat/agent-chat.js): a button opens a
 * drawer, a ChatUI goes into it with a RealWebSocketClient for that recommendation (or for the
 * analytics), and closing it disconnects. Framework-free, no inline script (CSP).
 *
 * The widget fetches its token from InfraZen's `POST /api/chat/token`; on the console that
 * request goes to the console's own endpoint (data-token-url, console/chat_token.py), with
 * the page's CSRF token. Nothing else the widget sends is touched.
 */
(function () {
  "use strict";

  const drawer = document.getElementById("chat-drawer");
  if (!drawer) return;
  const overlay = document.querySelector(".drawer-overlay");
  const body = drawer.querySelector(".drawer-body");
  const subtitle = drawer.querySelector(".drawer-subtitle");
  const closeButton = drawer.querySelector(".drawer-close");
  const TOKEN_PATH = "/api/chat/token";

  window.INFRAZEN_DATA = Object.assign({}, window.INFRAZEN_DATA, {
    agentServiceUrl: drawer.dataset.agentUrl,
    enableAgentChat: true,
  });

  const nativeFetch = window.fetch.bind(window);
  window.fetch = function (resource, init) {
    if (resource === TOKEN_PATH) {
      const headers = Object.assign({}, init && init.headers, { "X-CSRFToken": drawer.dataset.csrf });
      return nativeFetch(drawer.dataset.tokenUrl, Object.assign({}, init, { headers, credentials: "same-origin" }));
    }
    return nativeFetch(resource, init);
  };

  let client = null;
  let opener = null;

  function open(button) {
    close();
    opener = button;
    const scenario = button.dataset.scenario || "recommendation";
    const config = { scenario, recommendationId: button.dataset.recommendationId || null, context: {} };
    if (scenario === "analytics") config.context.time_range_days = Number(button.dataset.timeRangeDays || 30);
    subtitle.textContent = button.dataset.subtitle || "";
    overlay.hidden = false;
    drawer.hidden = false;
    const ui = new window.ChatUI(body);
    if (scenario === "analytics") {
      const empty = body.querySelector(".chat-empty-text");
      if (empty) empty.textContent = "Задайте вопрос об аналитике: расходы, тренды, аномалии";
      body.querySelector("#chat-input")?.setAttribute("placeholder", "Спросите про расходы, тренды и аномалии...");
    }
    client = new window.RealWebSocketClient(config);
    client.setChatUI(ui);
    ui.setWebSocketClient(client);
    client.connect();
    body.querySelector("#chat-input")?.focus();
  }

  function close() {
    if (client) client.disconnect();
    client = null;
    if (drawer.hidden) return;
    drawer.hidden = true;
    overlay.hidden = true;
    body.replaceChildren();
    if (opener) opener.focus();
    opener = null;
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.discuss");
    if (button) open(button);
  });
  closeButton.addEventListener("click", close);
  overlay.addEventListener("click", close);
  document.addEventListener("keydown", (event) => {
    if (drawer.hidden) return;
    if (event.key === "Escape") close();
    else if (event.key === "Tab") keepFocusInside(event);
  });

  // A modal drawer: Tab and Shift+Tab go round its own controls, not the page behind it.
  function keepFocusInside(event) {
    const focusable = [...drawer.querySelectorAll("button, textarea, input, summary, [tabindex='0']")]
      .filter((node) => !node.disabled && !node.hidden && node.offsetParent !== null);
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    const inside = drawer.contains(document.activeElement);
    if (event.shiftKey && (document.activeElement === first || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  }
  window.consoleChat = { getClient: () => client };
})();
