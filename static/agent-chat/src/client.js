  // client.js: RealWebSocketClient and the exports (a part of agent-chat.js)

  /* ---------- RealWebSocketClient: InfraZen's chat-websocket.js surface ---------- */

  class RealWebSocketClient {
    constructor(options) {
      const given = typeof options === "object" && options !== null ? options : { recommendationId: options };
      this.scenario = given.scenario || "recommendation";
      this.recommendationId = given.recommendationId || null;
      this.context = given.context || {};
      this.chatUI = null;
      this.ws = null;
      this.connected = false;
      this.reconnectAttempts = 0;
      this.maxReconnectAttempts = 5;
      this.reconnectDelay = Number(config().agentChatReconnectMs) || 2000;
      this.token = null;
      this.tokenContext = null;
      this.lastMessageId = null; // the newest stored message seen: `after` on reconnect
      this.outbox = [];
      this.closedByUser = false;
    }

    tokenPayload() {
      const payload = { scenario: this.scenario };
      if (this.scenario === "recommendation") payload.recommendation_id = this.recommendationId;
      else if (this.scenario === "analytics") {
        const days = parseInt(this.context.time_range_days ?? 30, 10);
        if (!Number.isNaN(days)) payload.time_range_days = days;
        if (this.context.filters) payload.filters = this.context.filters;
      }
      return payload;
    }

    endpoint() {
      const base = agentUrl().replace(/^http/, "ws");
      let url;
      if (this.scenario === "recommendation") {
        if (!this.recommendationId) throw new Error("recommendationId is required for recommendation chat");
        url = `${base}/v1/chat/rec/${encodeURIComponent(this.recommendationId)}?token=${this.token}`;
      } else if (this.scenario === "analytics") url = `${base}/v1/chat/analytics?token=${this.token}`;
      else throw new Error(`Unsupported chat scenario: ${this.scenario}`);
      return this.lastMessageId == null ? url : `${url}&after=${this.lastMessageId}`;
    }

    async connect() {
      if (this.closedByUser) return;
      try {
        this.chatUI?.showStatus("connecting", "Подключение...");
        const response = await fetch("/api/chat/token", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(this.tokenPayload()),
        });
        if (!response.ok) throw new Error(`Failed to get token: ${response.statusText || response.status}`);
        const data = await response.json();
        this.token = data.token;
        this.tokenContext = data.context || {};
        const ws = (this.ws = new WebSocket(this.endpoint()));
        ws.onopen = () => ws === this.ws && this.handleOpen();
        ws.onmessage = (event) => ws === this.ws && this.handleMessage(event);
        ws.onerror = (error) => ws === this.ws && this.handleError(error);
        ws.onclose = () => ws === this.ws && this.handleClose();
      } catch (error) {
        this.chatUI?.showStatus("error", `Ошибка подключения: ${error.message}`);
        this.handleReconnect();
      }
    }

    handleOpen() {
      this.connected = true;
      this.reconnectAttempts = 0;
      this.chatUI?.showStatus("connected", this.scenario === "analytics" ? "Подключено к FinOps (аналитика)" : "Подключено к FinOps");
      for (const payload of this.outbox.splice(0)) this.ws.send(payload);
    }

    handleMessage(event) {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      this.remember(data);
      const ui = this.chatUI;
      if (!ui) return;
      if (ui.handleFrame) ui.handleFrame(data);
      else if (data.type === "system") ui.addSystemMessage(data.content);
      else if (data.type === "assistant") ui.receiveMessage(data.content);
      else if (data.type === "user" && data.content) ui.addMessage({ role: "user", content: data.content, timestamp: parseTime(data.timestamp) });
      else if (data.type === "typing") ui.showTyping();
    }

    // Questions and finished answers are stored messages; a running answer's id is not
    // (the server leaves it out of a replay and streams it live instead).
    remember(data) {
      let id = null;
      if (data.type === "system") id = this.lastMessageId == null ? data.last_message_id : null;
      else if (data.type === "user" || data.type === "assistant") id = data.message_id;
      if (typeof id === "number" && (this.lastMessageId == null || id > this.lastMessageId)) this.lastMessageId = id;
    }

    handleError() {
      this.chatUI?.showStatus("error", "Ошибка соединения");
    }

    handleClose() {
      this.connected = false;
      if (this.closedByUser) return;
      if (this.reconnectAttempts < this.maxReconnectAttempts) this.handleReconnect();
      else this.chatUI?.showStatus("error", "Соединение потеряно. Обновите страницу.");
    }

    handleReconnect() {
      if (this.closedByUser) return;
      this.reconnectAttempts++;
      this.chatUI?.showStatus("connecting", `Переподключение (${this.reconnectAttempts}/${this.maxReconnectAttempts})...`);
      // The first retry is quick: a dropped socket mid-answer should resume at once.
      const delay = this.reconnectAttempts === 1 ? Math.min(500, this.reconnectDelay) : this.reconnectDelay * this.reconnectAttempts;
      setTimeout(() => {
        if (!this.connected && this.reconnectAttempts <= this.maxReconnectAttempts) this.connect();
      }, delay);
    }

    sendFrame(frame) {
      const payload = JSON.stringify(frame);
      if (this.connected && this.ws && this.ws.readyState === WebSocket.OPEN) {
        this.ws.send(payload);
        return true;
      }
      return false;
    }

    send(message, clientId) {
      const frame = { type: "message", content: message, client_id: clientId || "w" + Date.now().toString(36) };
      if (this.sendFrame(frame)) return true;
      // Kept until the socket is back, rather than dropped as the stock client does.
      this.outbox.push(JSON.stringify(frame));
      this.chatUI?.showStatus("error", "Нет соединения: сообщение уйдёт после переподключения");
      return false;
    }

    stop() {
      return this.sendFrame({ type: "stop" });
    }

    disconnect() {
      this.closedByUser = true;
      if (this.ws) {
        this.ws.close();
        this.ws = null;
      }
      this.connected = false;
      this.reconnectAttempts = this.maxReconnectAttempts;
    }

    setChatUI(chatUI) {
      this.chatUI = chatUI;
    }
  }

  window.ChatUI = ChatUI;
  window.RealWebSocketClient = RealWebSocketClient;
  window.AgentChat = { splitBlocks, renderBlock, version: 1 };
})();
