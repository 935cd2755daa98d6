/*
 * 投诉受理助手 — web chat widget for Rasa's socket.io channel.
 *
 * Embed with one tag (see README):
 *   <script src="https://console.example.com/chat/static/widget.js"
 *           data-server="https://bot.example.com" defer></script>
 * Options (data-* attributes): server (Rasa's URL, required), title, open ("true" opens the
 * panel on load), socket-path (default /socket.io).
 *
 * The session token comes from the server (session_confirm) and is kept in localStorage, so
 * a reload resumes the same conversation; the transcript is kept there too. Messages are
 * shown with textContent only: nothing the bot or a customer writes is parsed as HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var base = script.src.replace(/[^/]*$/, "");
  var config = {
    server: script.getAttribute("data-server") || window.location.origin,
    title: script.getAttribute("data-title") || "投诉受理助手",
    open: script.getAttribute("data-open") === "true",
    path: script.getAttribute("data-socket-path") || "/socket.io",
  };
  var TOKEN_KEY = "cbw-session";
  var HISTORY_KEY = "cbw-history";
  var HISTORY_LIMIT = 100;
  var TYPING_TIMEOUT_MS = 20000;
  var WELCOME = "您好，我是投诉受理助手。遇到了什么问题？直接告诉我，我会认真记录并尽快帮您处理。";

  var state = { socket: null, token: null, ready: false, queue: [], typingTimer: null };
  var el = {};

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function store(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* private mode or full storage: the widget still works without it */ }
  }

  function load(key) {
    try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function build() {
    var css = make("link");
    css.rel = "stylesheet";
    css.href = base + "widget.css";
    document.head.appendChild(css);

    el.root = make("div", "cbw-root");
    el.launcher = make("button", "cbw-launcher", "💬 在线客服");
    el.launcher.type = "button";
    el.panel = make("section", "cbw-panel");
    el.panel.setAttribute("aria-label", config.title);
    var header = make("header", "cbw-header");
    header.appendChild(make("span", "cbw-header-title", config.title));
    el.status = make("span", "cbw-header-status", "连接中…");
    header.appendChild(el.status);
    var close = make("button", "cbw-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "收起");
    header.appendChild(close);
    el.log = make("div", "cbw-log");
    el.log.setAttribute("aria-live", "polite");
    el.typing = make("div", "cbw-typing");
    el.typing.setAttribute("aria-label", "对方正在输入");
    for (var i = 0; i < 3; i++) el.typing.appendChild(make("span"));
    var form = make("form", "cbw-form");
    el.input = make("input", "cbw-input");
    el.input.placeholder = "请输入您想反馈的问题…";
    el.input.maxLength = 1000;
    el.input.setAttribute("aria-label", "消息");
    el.send = make("button", "cbw-send", "发送");
    el.send.type = "submit";
    form.appendChild(el.input);
    form.appendChild(el.send);
    el.panel.appendChild(header);
    el.panel.appendChild(el.log);
    el.panel.appendChild(form);
    el.root.appendChild(el.launcher);
    el.root.appendChild(el.panel);
    document.body.appendChild(el.root);

    el.launcher.addEventListener("click", function () { toggle(true); });
    close.addEventListener("click", function () { toggle(false); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = el.input.value.trim();
      if (!text) return;
      el.input.value = "";
      say(text, text);
    });
    if (config.open) toggle(true);
  }

  function toggle(open) {
    el.root.classList.toggle("cbw-open", open);
    if (open) el.input.focus();
  }

  function scroll() { el.log.scrollTop = el.log.scrollHeight; }

  function typing(on) {
    clearTimeout(state.typingTimer);
    el.typing.classList.toggle("cbw-on", on);
    if (on) {
      el.log.appendChild(el.typing); // always below the last message
      state.typingTimer = setTimeout(function () { typing(false); }, TYPING_TIMEOUT_MS);
    }
    scroll();
  }

  function render(entry) {
    if (entry.quick) {
      var row = make("div", "cbw-quick");
      entry.quick.forEach(function (reply) {
        var button = make("button", "", reply.title);
        button.type = "button";
        button.addEventListener("click", function () {
          say(reply.title, reply.payload);
        });
        row.appendChild(button);
      });
      el.log.appendChild(row);
      return;
    }
    var bubble = make("div", "cbw-msg cbw-" + entry.who);
    if (entry.who === "staff") {
      bubble.appendChild(make("span", "cbw-label", entry.agent ? "人工客服 · " + entry.agent : "人工客服"));
    }
    if (entry.image) {
      var img = make("img");
      img.src = entry.image;
      img.alt = "图片";
      bubble.appendChild(img);
    }
    if (entry.text) bubble.appendChild(document.createTextNode(entry.text));
    el.log.appendChild(bubble);
  }

  function add(entry) {
    // Quick replies answer the latest question only: remove older ones.
    var old = el.log.querySelectorAll(".cbw-quick");
    for (var i = 0; i < old.length; i++) old[i].remove();
    render(entry);
    var history = (load(HISTORY_KEY) || []).filter(function (e) { return !e.quick; });
    history.push(entry);
    store(HISTORY_KEY, history.slice(-HISTORY_LIMIT));
    if (el.typing.classList.contains("cbw-on")) el.log.appendChild(el.typing);
    scroll();
  }

  function say(shown, payload) {
    add({ who: "user", text: shown });
    state.queue.push(payload);
    flush();
    typing(true);
  }

  function flush() {
    // Only after session_confirm: a message sent before the server knows our session would
    // be dropped (socket.io would replay buffered packets before our session_request).
    while (state.ready && state.queue.length) {
      state.socket.emit("user_uttered", { message: state.queue.shift(), session_id: state.token });
    }
  }

  function onBotMessage(message) {
    if (!message || typeof message !== "object") return;
    typing(false);
    var image = message.attachment && message.attachment.payload && message.attachment.payload.src;
    if (message.text || image) {
      var entry = { who: message.staff ? "staff" : "bot", text: message.text || "" };
      if (message.staff) entry.agent = message.staff.agent || "";
      if (image) entry.image = image;
      add(entry);
    }
    var replies = message.quick_replies || message.buttons;
    if (replies && replies.length) {
      add({ quick: replies.map(function (r) { return { title: r.title, payload: r.payload }; }) });
    }
  }

  function connect() {
    var socket = window.io(config.server, { path: config.path, transports: ["websocket", "polling"] });
    state.socket = socket;
    socket.on("connect", function () {
      el.status.textContent = "连接中…";
      socket.emit("session_request", { session_id: state.token });
    });
    socket.on("session_confirm", function (token) {
      var id = typeof token === "string" ? token : token && token.session_id;
      if (id !== state.token) {
        // A new conversation (first visit, or the old session was not accepted).
        state.token = id;
        store(TOKEN_KEY, id);
        store(HISTORY_KEY, []);
        el.log.textContent = "";
        add({ who: "bot", text: WELCOME });
      }
      state.ready = true;
      el.status.textContent = "在线";
      flush();
    });
    socket.on("bot_uttered", onBotMessage);
    socket.on("disconnect", function () {
      state.ready = false;
      el.status.textContent = "已断开，正在重连…";
    });
    socket.on("connect_error", function () {
      el.status.textContent = "暂时连不上，正在重试…";
    });
  }

  function start() {
    build();
    state.token = load(TOKEN_KEY);
    (load(HISTORY_KEY) || []).forEach(render);
    scroll();
    if (window.io) return connect();
    var client = make("script");
    client.src = base + "socket.io.min.js";
    client.onload = connect;
    document.head.appendChild(client);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
