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

