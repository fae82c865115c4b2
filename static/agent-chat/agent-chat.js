/*! agent-chat.js: the InfraZen Agent chat widget. Framework-free, no request to another origin.
 *
 * A drop-in for InfraZen's chat-ui.js and chat-websocket.js: it defines window.ChatUI and
 * window.RealWebSocketClient with every method InfraZen's chat-integration.js (and the mock
 * client) calls, fetches the token the same way (POST /api/chat/token) and reads the same
 * window.INFRAZEN_DATA keys. Beyond them it speaks the service's streaming protocol
 * (chat/frames.py): deltas, tool events, stop, `after` on reconnect, error codes, cost.
 *
 * Model text is never parsed as HTML: the markdown renderer below builds DOM nodes and sets
 * only textContent, so `<script>` or `<img onerror>` in an answer is shown as written.
 */
(function () {
  "use strict";

  // base.js: constants, helpers, the markdown renderer and images (a part of agent-chat.js;
  // scripts/widget_build.py joins the parts in static/agent-chat/src/)

  const DEFAULT_AGENT_URL = "http://127.0.0.1:8001";
  const IMAGE_TYPES = ["image/jpeg", "image/jpg", "image/png", "image/webp", "image/gif"];
  const IMAGE_MAX_BYTES = 5 * 1024 * 1024;
  const IMAGE_MAX_SIDE = 2000;
  const IMAGE_QUESTION = "Проанализируй это изображение";
  const FOLLOW_SLACK_PX = 48;
  const COST_KEY = "agent-chat-cost";
  const ERROR_TITLES = {
    busy: "Ассистент ещё отвечает",
    quota_exceeded: "Дневной лимит исчерпан",
    rate_limited: "Слишком много вопросов подряд",
    model_error: "Модель не ответила",
    model_timeout: "Модель отвечала слишком долго",
    service_restart: "Сервис перезапускается",
    internal_error: "Ошибка сервиса",
    forbidden: "Нет доступа",
    message_too_long: "Слишком длинное сообщение",
    empty_message: "Пустое сообщение",
    bad_frame: "Сообщение не принято",
    upload: "Изображение не загружено",
    connection: "Нет соединения",
  };
  const ERROR_DEFAULT = "Попробуйте ещё раз через минуту.";

  const config = () => window.INFRAZEN_DATA || {};
  const agentUrl = () => (config().agentServiceUrl || DEFAULT_AGENT_URL).replace(/\/+$/, "");

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  // The service puts U+200B after every `<` (chat/neutralise.py); text nodes need no such guard.
  const plain = (text) => String(text == null ? "" : text).replace(/<\u200b/g, "<");

  function plural(n, one, few, many) {
    const d10 = n % 10, d100 = n % 100;
    if (d10 === 1 && d100 !== 11) return one;
    return d10 >= 2 && d10 <= 4 && (d100 < 12 || d100 > 14) ? few : many;
  }

  // Naive UTC ISO (InfraZen's format, no `Z`) is read as UTC, not as local time.
  function parseTime(value) {
    if (value instanceof Date) return value;
    if (!value) return new Date();
    const text = String(value);
    return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : text + "Z");
  }

  /* ---------- markdown: block by block, DOM nodes only ---------- */

  const INLINE =
    /(`+)([^`]+?)\1|\*\*(.+?)\*\*|__(.+?)__|(?<![\w*])\*(?![\s*])([^*\n]+?)\*(?!\w)|\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g;
  const FENCE = /^\s*(```|~~~)/;

  function inline(parent, text) {
    const pattern = new RegExp(INLINE.source, "g");
    let last = 0;
    let m;
    while ((m = pattern.exec(text))) {
      if (m.index > last) parent.append(text.slice(last, m.index));
      if (m[2] != null) parent.append(el("code", null, m[2]));
      else if (m[3] != null || m[4] != null) inline(parent.appendChild(el("strong")), m[3] ?? m[4]);
      else if (m[5] != null) inline(parent.appendChild(el("em")), m[5]);
      else {
        const link = el("a", null, m[6]);
        link.href = m[7];
        link.target = "_blank";
        link.rel = "noopener noreferrer nofollow";
        parent.append(link);
      }
      last = pattern.lastIndex;
    }
    if (last < text.length) parent.append(text.slice(last));
  }

  // Blocks end at a blank line outside a code fence; only the last one grows while streaming.
  function splitBlocks(text) {
    const blocks = [];
    let current = [];
    let fenced = false;
    const flush = () => {
      if (current.length) blocks.push(current.join("\n"));
      current = [];
    };
    for (const line of text.split("\n")) {
      if (FENCE.test(line)) {
        if (!fenced) flush();
        current.push(line);
        fenced = !fenced;
        if (!fenced) flush();
      } else if (!fenced && !line.trim()) flush();
      else current.push(line);
    }
    flush();
    return blocks;
  }

  function tableRow(table, cells) {
    const head = !table.rows.length;
    const row = table.insertRow();
    for (const cell of cells) {
      const node = row.appendChild(el(head ? "th" : "td"));
      if (head) node.scope = "col";
      inline(node, cell);
    }
  }

  function renderBlock(source) {
    const box = el("div", "ac-block");
    const lines = source.split("\n");
    if (FENCE.test(lines[0])) {
      const closed = lines.length > 1 && FENCE.test(lines[lines.length - 1]);
      box.appendChild(el("pre")).append(el("code", null, lines.slice(1, closed ? -1 : undefined).join("\n")));
      return box;
    }
    let list = null, para = null, table = null, m;
    for (const line of lines) {
      if ((m = /^\s*#{1,6}\s+(.*)$/.exec(line))) {
        list = para = table = null;
        inline(box.appendChild(el("h4", "ac-h")), m[1]);
      } else if ((m = /^\s*([-*+•]|\d{1,3}[.)])\s+(.*)$/.exec(line))) {
        const tag = /\d/.test(m[1]) ? "OL" : "UL";
        if (!list || list.tagName !== tag) {
          list = box.appendChild(el(tag));
          if (tag === "OL") list.start = parseInt(m[1], 10);
        }
        para = table = null;
        inline(list.appendChild(el("li")), m[2]);
      } else if (/^\s*\|.*\|\s*$/.test(line)) {
        list = para = null;
        const cells = line.trim().slice(1, -1).split("|").map((cell) => cell.trim());
        if (cells.every((cell) => /^:?-{2,}:?$/.test(cell))) continue;
        if (!table) table = box.appendChild(el("div", "ac-table")).appendChild(el("table"));
        tableRow(table, cells);
      } else if (/^\s*(---+|\*\*\*+|___+)\s*$/.test(line)) {
        list = para = table = null;
        box.append(el("hr"));
      } else if (list && /^\s{2,}\S/.test(line)) {
        const item = list.lastElementChild;
        item.append(el("br"));
        inline(item, line.trim());
      } else {
        list = table = null;
        if (para) para.append(el("br"));
        else para = box.appendChild(el(/^\s*>/.test(line) ? "blockquote" : "p"));
        inline(para, line.replace(/^\s*>\s?/, "").trim());
      }
    }
    return box;
  }

  // Re-renders only the blocks whose source changed since the last paint.
  function paintMarkdown(target, state, text) {
    const blocks = splitBlocks(text);
    for (let i = 0; i < blocks.length; i++) {
      if (state.sources[i] === blocks[i]) continue;
      const node = renderBlock(blocks[i]);
      if (state.nodes[i]) state.nodes[i].replaceWith(node);
      else target.append(node);
      state.nodes[i] = node;
      state.sources[i] = blocks[i];
    }
    for (const stale of state.nodes.splice(blocks.length)) stale.remove();
    state.sources.length = blocks.length;
  }

  /* ---------- images: check, downscale, upload ---------- */

  async function imagePrepare(file) {
    if (!IMAGE_TYPES.includes(file.type)) throw new Error("Можно прикрепить JPEG, PNG, WebP или GIF.");
    if (file.type === "image/gif") {
      if (file.size > IMAGE_MAX_BYTES) throw new Error("Файл больше 5 МБ.");
      return { file, width: 0, height: 0 };
    }
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, IMAGE_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.round(bitmap.width * scale), height = Math.round(bitmap.height * scale);
    if (scale === 1 && file.size <= IMAGE_MAX_BYTES / 2) {
      bitmap.close();
      return { file, width, height };
    }
    const canvas = el("canvas");
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
    bitmap.close();
    const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.88));
    if (!blob || blob.size > IMAGE_MAX_BYTES) throw new Error("Файл больше 5 МБ.");
    return { file: new File([blob], "screenshot.jpg", { type: "image/jpeg" }), width, height };
  }

  // With the chat token the image is the user's own at once (README: Screenshots in the chat).
  async function imageUpload(file, token) {
    const form = new FormData();
    form.append("file", file);
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const response = await fetch(`${agentUrl()}/v1/chat/upload`, { method: "POST", body: form, headers });
    const data = await response.json().catch(() => ({}));
    if (!response.ok || !data.image_id) throw new Error(data.detail || "Попробуйте другой файл.");
    return data.image_id;
  }

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

  // frames.js: the frames only this service sends (a part of agent-chat.js)

  /* ---------- the service's frames (chat/frames.py): more of ChatUI's methods ---------- */

  Object.assign(ChatUI.prototype, {
    handleFrame(frame) {
      const handler = FRAME_HANDLERS[frame.type];
      if (handler) handler.call(this, frame);
      return Boolean(handler);
    },

    // The view of a streaming answer: by id, else the one being streamed, else a new one.
    answerView(id) {
      if (id != null && this.answers.has(id)) return this.answers.get(id);
      if (this.live && (this.live.id == null || id == null)) {
        if (id != null) this.answers.set((this.live.id = id), this.live);
        return this.live;
      }
      return (this.live = this.answerNew(id));
    },

    answerNew(id) {
      this.hideTyping();
      const { node, content } = this.bubble("assistant", new Date());
      node.setAttribute("aria-busy", "true");
      const view = { id, node, body: content, tools: null, text: "", md: { sources: [], nodes: [] } };
      if (id != null) this.answers.set(id, view);
      return view;
    },

    paintSoon(view) {
      this.dirty.add(view);
      if (!this.paintRequest) this.paintRequest = requestAnimationFrame(() => this.paint());
    },

    paint() {
      this.paintRequest = 0;
      for (const view of this.dirty) paintMarkdown(view.body, view.md, view.text);
      this.dirty.clear();
      if (this.follow) this.stickToBottom();
      else this.pill.hidden = false;
    },

    onTyping() {
      this.showTyping();
      this.setRunning(true);
    },

    onDelta(frame) {
      const view = this.answerView(frame.message_id);
      view.text += plain(frame.content);
      this.paintSoon(view);
    },

    onToolCall(frame) {
      const view = this.answerView(frame.message_id);
      if (!view.tools) view.body.before((view.tools = el("div", "ac-tools")));
      const chip = view.tools.appendChild(el("details", "ac-tool ac-running"));
      const summary = chip.appendChild(el("summary"));
      summary.append(el("span", "ac-tool-label", plain(frame.label || frame.name)));
      chip.state = summary.appendChild(el("span", "ac-tool-state", "выполняется…"));
      chip.append(el("div", "ac-tool-head", "Аргументы"));
      chip.append(el("pre", "ac-tool-args", plain(JSON.stringify(frame.arguments || {}, null, 2))));
      this.tools.set(frame.call_id, chip);
      this.scrollToBottom();
    },

    onToolResult(frame) {
      const chip = this.tools.get(frame.call_id);
      if (!chip) return;
      chip.classList.remove("ac-running");
      chip.classList.add(frame.ok ? "ac-ok" : "ac-failed");
      const summary = plain(frame.summary);
      chip.state.textContent = (frame.ok ? "готово" : "ошибка") + (summary ? ": " + summary : "");
      chip.append(el("div", "ac-tool-head", "Результат"), el("div", "ac-tool-result", summary || "—"));
    },

    onUser(frame) {
      const mine = frame.client_id != null && this.pending.get(frame.client_id);
      if (mine) {
        this.pending.delete(frame.client_id);
        mine.bubble.dataset.messageId = frame.message_id;
      } else if (!this.shown.has(frame.message_id) && frame.content) {
        this.addMessage({ role: "user", content: frame.content, timestamp: frame.timestamp });
      }
      this.shown.add(frame.message_id);
    },

    onAssistant(frame) {
      const id = frame.message_id;
      if (id != null && this.shown.has(id)) return;
      this.shown.add(id);
      const live = Boolean(frame.status);
      const view = live ? this.answerView(id) : this.answers.get(id) || this.answerNew(id);
      // The final text is whole (deltas missed while reconnecting included); painting it
      // re-renders only the blocks that differ from what was streamed.
      view.text = plain(frame.content);
      this.dirty.delete(view);
      paintMarkdown(view.body, view.md, view.text);
      view.node.removeAttribute("aria-busy");
      if (frame.status === "stopped" || frame.status === "failed") {
        view.node.classList.add("ac-" + frame.status);
        view.node.append(el("div", "ac-note", frame.status === "stopped" ? "Ответ остановлен" : "Ответ прерван"));
      }
      this.sources(view, frame);
      if (frame.tokens != null || frame.cost_usd != null) view.node.append(this.meta(frame));
      if (view === this.live || live) {
        this.live = null;
        this.setRunning(false);
        this.announce("Ответ получен. " + view.text);
      }
      this.scrollToBottom();
    },

    // Where the answer's figures come from (chat/citations.py): an [n] chip per source that
    // opens its summary, and the figures that matched no data.
    sources(view, frame) {
      const cites = Array.isArray(frame.citations) ? frame.citations : [];
      const unverified = Array.isArray(frame.unverified) ? frame.unverified : [];
      if (!cites.length && !unverified.length) return;
      const row = view.node.appendChild(el("div", "ac-cites"));
      for (const cite of cites) {
        const chip = row.appendChild(el("details", "ac-cite"));
        const label = plain(cite.label);
        const head = chip.appendChild(el("summary", null, `[${Number(cite.n)}]`));
        head.setAttribute("aria-label", `Источник ${Number(cite.n)}: ${label}`);
        chip.append(
          el("div", "ac-cite-body", `${label}: ${plain(cite.summary)}`),
          el("div", "ac-cite-figures", "Цифры: " + (cite.figures || []).map(plain).join(", "))
        );
      }
      if (unverified.length) {
        row.append(el("div", "ac-unverified", "Не найдено в данных: " + unverified.map(plain).join(", ")));
      }
    },

    meta(frame) {
      const tokens = Number(frame.tokens || 0);
      // Not toLocaleString: its first call loads locale data, a long task at a stream's end.
      const grouped = String(tokens).replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0");
      const parts = [`${grouped} ${plural(tokens, "токен", "токена", "токенов")}`];
      if (frame.cost_usd != null) parts.push("$" + Number(frame.cost_usd).toFixed(4));
      if (frame.model) parts.push(plain(frame.model));
      return el("div", "ac-meta", parts.join(" · "));
    },

    onError(frame) {
      const mine = frame.client_id != null && this.pending.get(frame.client_id);
      if (mine) {
        this.pending.delete(frame.client_id);
        mine.bubble.classList.add("ac-unsent");
        mine.bubble.append(el("div", "ac-note", "Не отправлено"));
        if (!this.input.value.trim()) {
          this.input.value = mine.text;
          this.inputChanged();
        }
      }
      if (!this.live && !this.pending.size) this.setRunning(false);
      this.notice(frame.code, frame.message);
      this.announce((ERROR_TITLES[frame.code] || ERROR_TITLES.internal_error) + ". " + plain(frame.message));
    },
  });

  const FRAME_HANDLERS = {
    system(frame) { this.addSystemMessage(frame.content || frame.message); },
    user: ChatUI.prototype.onUser,
    typing: ChatUI.prototype.onTyping,
    assistant_delta: ChatUI.prototype.onDelta,
    tool_call: ChatUI.prototype.onToolCall,
    tool_result: ChatUI.prototype.onToolResult,
    assistant: ChatUI.prototype.onAssistant,
    error: ChatUI.prototype.onError,
  };

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
