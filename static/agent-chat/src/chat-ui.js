  // chat-ui.js: InfraZen's ChatUI surface (a part of agent-chat.js, see scripts/widget_build.py)

  /* ---------- ChatUI: InfraZen's chat-ui.js surface, plus the service's frames ---------- */

  const TEMPLATE = `
<div class="chat-container agent-chat">
  <div class="chat-status" id="chat-status" role="status" style="display: none;">
    <span class="chat-status-dot" aria-hidden="true"></span>
    <span class="chat-status-text" id="chat-status-text">Подключение...</span>
  </div>
  <div class="ac-bar"><label><input type="checkbox" class="ac-cost-toggle"> Токены и стоимость</label></div>
  <div class="chat-messages" id="chat-messages" role="log" aria-live="off" aria-label="Сообщения чата" tabindex="0">
    <div class="chat-empty">
      <div class="chat-empty-icon" aria-hidden="true">💬</div>
      <div class="chat-empty-text">Задайте вопрос о рекомендации<br>Я помогу разобраться в деталях и рисках</div>
    </div>
  </div>
  <button type="button" class="ac-pill" hidden>↓ к последнему</button>
  <div class="ac-sr ac-live" role="status" aria-live="polite"></div>
  <div class="chat-input-area">
    <div class="ac-preview" hidden>
      <img alt="Прикреплённое изображение">
      <button type="button" aria-label="Убрать изображение">×</button>
    </div>
    <div class="chat-input-wrapper">
      <button type="button" class="ac-attach" aria-label="Прикрепить изображение">📎</button>
      <input type="file" class="ac-file ac-sr" accept="image/*" tabindex="-1" aria-label="Файл изображения">
      <textarea class="chat-input" id="chat-input" placeholder="Напишите сообщение..." rows="1"
        aria-label="Сообщение" aria-describedby="ac-hint"></textarea>
      <button type="button" class="chat-send-btn" id="chat-send-btn" disabled>Отправить</button>
      <button type="button" class="ac-stop" hidden>Стоп</button>
    </div>
    <div class="chat-input-hint" id="ac-hint">Enter: отправить, Shift+Enter: новая строка. Изображение можно вставить или перетащить.</div>
  </div>
</div>`;

  const storage = {
    get(key) { try { return localStorage.getItem(key); } catch (e) { return null; } },
    set(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* private mode */ } },
  };

  class ChatUI {
    constructor(container) {
      this.container = container;
      this.messages = [];
      this.isTyping = false;
      this.wsClient = null;
      this.answers = new Map(); // answer message id → its view
      this.shown = new Set(); // ids of questions and answers shown complete
      this.pending = new Map(); // client_id → a question not yet echoed
      this.tools = new Map(); // call_id → its chip
      this.live = null; // the answer being streamed
      this.dirty = new Set();
      this.paintRequest = 0;
      this.follow = true;
      this.autoTop = 0;
      this.image = null;
      this.init();
    }

    init() {
      this.container.innerHTML = TEMPLATE;
      const $ = (selector) => this.container.querySelector(selector);
      Object.assign(this, {
        root: $(".agent-chat"), messagesContainer: $(".chat-messages"), input: $(".chat-input"),
        sendBtn: $(".chat-send-btn"), stopBtn: $(".ac-stop"), statusBar: $(".chat-status"),
        statusText: $(".chat-status-text"), pill: $(".ac-pill"), announcer: $(".ac-live"),
        fileInput: $(".ac-file"), preview: $(".ac-preview"), costToggle: $(".ac-cost-toggle"),
      });
      this.costToggle.checked = storage.get(COST_KEY) === "1";
      this.root.classList.toggle("ac-show-cost", this.costToggle.checked);
      this.bindEvents();
    }

    bindEvents() {
      const on = (node, type, handler) => node.addEventListener(type, handler);
      on(this.sendBtn, "click", () => this.sendMessage());
      on(this.stopBtn, "click", () => this.stop());
      on(this.input, "keydown", (e) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.sendMessage();
        }
      });
      on(this.input, "input", () => this.inputChanged());
      on(this.input, "paste", (e) => this.takeFiles(e.clipboardData && e.clipboardData.files, e));
      on(this.root, "dragover", (e) => {
        if (!e.dataTransfer || ![...e.dataTransfer.types].includes("Files")) return;
        e.preventDefault();
        this.root.classList.add("ac-drop");
      });
      on(this.root, "dragleave", () => this.root.classList.remove("ac-drop"));
      on(this.root, "drop", (e) => this.takeFiles(e.dataTransfer && e.dataTransfer.files, e));
      on(this.container.querySelector(".ac-attach"), "click", () => this.fileInput.click());
      on(this.fileInput, "change", () => this.takeFiles(this.fileInput.files));
      on(this.preview.querySelector("button"), "click", () => this.imageClear());
      this.messagesContainer.addEventListener("scroll", () => this.scrolled(), { passive: true });
      on(this.pill, "click", () => {
        this.follow = true;
        this.stickToBottom();
        this.input.focus();
      });
      on(this.costToggle, "change", () => {
        storage.set(COST_KEY, this.costToggle.checked ? "1" : "0");
        this.root.classList.toggle("ac-show-cost", this.costToggle.checked);
      });
    }

    setWebSocketClient(wsClient) {
      this.wsClient = wsClient;
    }

    inputChanged() {
      this.input.style.height = "auto";
      this.input.style.height = this.input.scrollHeight + "px";
      this.sendBtn.disabled = this.sending || !(this.input.value.trim() || this.image);
    }

    takeFiles(files, event) {
      const file = files && [...files].find((f) => f.type.startsWith("image/"));
      this.root.classList.remove("ac-drop");
      if (!file) return;
      if (event) event.preventDefault();
      this.imageSet(file).finally(() => { this.fileInput.value = ""; });
    }

    async imageSet(file) {
      let prepared;
      try {
        prepared = await imagePrepare(file);
      } catch (error) {
        this.notice("upload", error.message);
        return;
      }
      this.imageClear();
      this.image = prepared;
      const img = this.preview.querySelector("img");
      img.src = URL.createObjectURL(prepared.file);
      Object.assign(this.preview.dataset, {
        width: prepared.width, height: prepared.height, bytes: prepared.file.size,
      });
      this.preview.hidden = false;
      this.inputChanged();
    }

    imageClear() {
      const img = this.preview.querySelector("img");
      if (img.src) URL.revokeObjectURL(img.src);
      img.removeAttribute("src");
      this.image = null;
      this.preview.hidden = true;
      this.inputChanged();
    }

    async sendMessage() {
      let text = this.input.value.trim();
      const image = this.image;
      if ((!text && !image) || this.sending) return;
      this.sending = true;
      this.sendBtn.disabled = true;
      try {
        if (image) {
          try {
            const id = await imageUpload(image.file, this.wsClient && this.wsClient.token);
            text = `[image:${id}] ${text || IMAGE_QUESTION}`;
          } catch (error) {
            this.notice("upload", error.message);
            return;
          }
          this.imageClear();
        }
        const clientId = "w" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
        const bubble = this.addMessage({ role: "user", content: text, timestamp: new Date() });
        this.pending.set(clientId, { bubble, text });
        this.input.value = "";
        this.follow = true;
        this.showTyping();
        this.setRunning(true);
        if (this.wsClient) this.wsClient.send(text, clientId);
      } finally {
        this.sending = false;
        this.inputChanged();
      }
    }

    stop() {
      if (this.wsClient && this.wsClient.stop) this.wsClient.stop();
      this.stopBtn.disabled = true;
    }

    setRunning(running) {
      this.stopBtn.hidden = !running;
      this.stopBtn.disabled = false;
      if (!running) this.hideTyping();
    }

    bubble(role, timestamp) {
      const empty = this.messagesContainer.querySelector(".chat-empty");
      if (empty) empty.remove();
      const node = el("div", `chat-message ${role}`);
      const content = node.appendChild(el("div", "chat-message-content"));
      if (timestamp !== undefined) node.append(el("div", "chat-message-timestamp", this.formatTimestamp(parseTime(timestamp))));
      this.messagesContainer.insertBefore(node, this.typingEl && this.typingEl.isConnected ? this.typingEl : null);
      return { node, content };
    }

    addMessage(message) {
      this.messages.push(message);
      const { node, content } = this.bubble(message.role, message.timestamp || new Date());
      const text = plain(message.content);
      if (message.role === "assistant") paintMarkdown(content, { sources: [], nodes: [] }, text);
      else {
        text.split(/(\[image:[^\]\s]+\]\s?)/).forEach((part, i) => {
          content.append(i % 2 ? el("span", "ac-image-tag", "🖼 изображение ") : part);
        });
      }
      this.scrollToBottom();
      return node;
    }

    showTyping() {
      if (this.isTyping) return;
      this.isTyping = true;
      this.typingEl = el("div", "chat-typing");
      this.typingEl.id = "chat-typing-indicator";
      const dots = this.typingEl.appendChild(el("div", "chat-typing-dots"));
      dots.setAttribute("aria-hidden", "true");
      for (let i = 0; i < 3; i++) dots.append(el("span", "chat-typing-dot"));
      this.typingEl.append(el("span", "chat-typing-text", "FinOps думает..."));
      this.messagesContainer.append(this.typingEl);
      this.scrollToBottom();
    }

    hideTyping() {
      if (this.typingEl) this.typingEl.remove();
      this.typingEl = null;
      this.isTyping = false;
    }

    // A whole answer at once (InfraZen's mock client, or a stock-style caller).
    receiveMessage(text) {
      this.setRunning(false);
      this.addMessage({ role: "assistant", content: text, timestamp: new Date() });
    }

    addSystemMessage(text) {
      // A reconnect greets again: one greeting, updated, not a second bubble.
      if (!this.systemEl || !this.systemEl.isConnected) {
        this.systemEl = this.bubble("system").content;
        this.scrollToBottom();
      }
      this.systemEl.textContent = plain(text);
    }

    showStatus(status, text) {
      clearTimeout(this.statusTimer);
      this.statusBar.style.display = "flex";
      this.statusBar.className = `chat-status ${status}`;
      this.statusText.textContent = text;
      if (status === "connected") this.statusTimer = setTimeout(() => this.hideStatus(), 3000);
    }

    hideStatus() {
      this.statusBar.style.display = "none";
    }

    announce(text) {
      this.announcer.textContent = text.length > 300 ? text.slice(0, 300) + "…" : text;
    }

    notice(code, message) {
      const { node, content } = this.bubble("system ac-error");
      node.setAttribute("role", "alert");
      content.append(el("strong", null, ERROR_TITLES[code] || ERROR_TITLES.internal_error));
      content.append(el("div", null, plain(message) || ERROR_DEFAULT));
      this.scrollToBottom();
    }

    /* scrolling: follow the end only until the user scrolls up */
    scrolled() {
      const box = this.messagesContainer;
      if (box.scrollHeight - box.scrollTop - box.clientHeight < FOLLOW_SLACK_PX) {
        this.follow = true;
        this.pill.hidden = true;
      } else if (box.scrollTop < this.autoTop - 4) this.follow = false;
      this.autoTop = box.scrollTop;
    }

    stickToBottom() {
      const box = this.messagesContainer;
      box.scrollTop = box.scrollHeight;
      this.autoTop = box.scrollTop;
      this.pill.hidden = true;
    }

    scrollToBottom() {
      if (!this.follow) {
        this.pill.hidden = false;
        return;
      }
      requestAnimationFrame(() => this.follow && this.stickToBottom());
    }

    formatTimestamp(date) {
      const diff = Math.floor((Date.now() - date) / 1000);
      if (diff < 60) return "только что";
      if (diff < 3600) return `${Math.floor(diff / 60)} мин назад`;
      if (diff < 86400) return `${Math.floor(diff / 3600)} ч назад`;
      const pad = (n) => String(n).padStart(2, "0");
      return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
    }

    escapeHtml(text) {
      const div = el("div", null, text);
      return div.innerHTML;
    }

    clear() {
      this.messages = [];
      this.answers.clear();
      this.shown.clear();
      this.hideTyping();
      this.messagesContainer.replaceChildren();
    }

    loadHistory(messages) {
      this.clear();
      messages.forEach((message) => this.addMessage(message));
    }
  }
