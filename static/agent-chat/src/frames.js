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

