// Staff console: live updates by polling server-rendered fragments, and the phone reveal.
// Every text shown comes escaped from the server templates; nothing here builds HTML from data.
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function poll(element, fetchOnce) {
  const seconds = Number(element.dataset.seconds || 5);
  let busy = false;
  setInterval(async () => {
    if (busy || document.hidden) return;
    busy = true;
    try { await fetchOnce(); } catch (error) { /* offline for a moment: try again next time */ }
    busy = false;
  }, seconds * 1000);
}

function liveQueue() {
  const table = document.querySelector("table.queue[data-poll]");
  if (!table) return;
  const body = document.getElementById("queue-rows");
  const total = document.getElementById("queue-total");
  const updated = document.getElementById("updated");
  poll(table, async () => {
    const before = new Set([...body.querySelectorAll("tr[data-number]")].map((r) => r.dataset.number));
    const response = await fetch(table.dataset.poll, { credentials: "same-origin" });
    if (response.redirected || !response.ok) return;
    body.innerHTML = await response.text();
    let fresh = 0;
    for (const row of body.querySelectorAll("tr[data-number]")) {
      if (!before.has(row.dataset.number)) { row.classList.add("fresh"); fresh += 1; }
    }
    const first = body.querySelector("tr[data-total]");
    if (first && total) total.textContent = first.dataset.total;
    if (updated) updated.textContent = "更新于 " + new Date().toLocaleTimeString("zh-CN");
    document.title = (fresh ? "(" + fresh + " 新) " : "") + "待处理队列 · 投诉受理助手";
  });
}

function liveTranscript() {
  const list = document.getElementById("transcript");
  if (!list) return;
  list.scrollTop = list.scrollHeight;
  poll(list, async () => {
    const url = list.dataset.poll + "?after=" + encodeURIComponent(list.dataset.after);
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.redirected || !response.ok) return;
    const html = (await response.text()).trim();
    list.dataset.after = response.headers.get("X-Last-Event-Id") || list.dataset.after;
    if (!html) return;
    list.insertAdjacentHTML("beforeend", html);
    const empty = document.getElementById("no-messages");
    if (empty) empty.remove();
    list.scrollTop = list.scrollHeight;
  });
}

function liveJobs() {
  const box = document.getElementById("jobs");
  if (!box) return;
  poll(box, async () => {
    if (!box.querySelector(".job-running")) return;
    const response = await fetch(box.dataset.poll, { credentials: "same-origin" });
    if (response.ok && !response.redirected) box.innerHTML = await response.text();
  });
}

function phoneReveal() {
  const button = document.getElementById("reveal-phone");
  if (!button) return;
  button.addEventListener("click", async () => {
    const response = await fetch(button.dataset.url, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken() },
    });
    if (!response.ok) { button.textContent = "无法查看"; return; }
    const data = await response.json();
    document.getElementById("phone").textContent = data.phone || "—";
    button.remove();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  liveQueue();
  liveTranscript();
  liveJobs();
  phoneReveal();
});
