// Hỏi đáp về hồ sơ: gửi câu hỏi, rồi theo dõi trả lời trực tiếp (Server-Sent Events).
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let source = null;
  // English text for the language switch of app.js (it sets <html lang>).
  const EN = {
    routed: (agency, by) => `Sent to ${agency}; an answer is due by ${by}.`,
    answeredBy: (agency, at) => `${agency} (${at}): `,
    missing: "Please enter your name and your question.",
    failed: "The question could not be sent, please try again later.",
    sent: (id, token) => `Sent. Request ${id}, lookup token ${token}.`,
  };
  const english = () => document.documentElement.lang === "en";
  const when = (text) => new Date(text).toLocaleString(english() ? "en-GB" : "vi-VN");

  function say(text, id = "s-message") {
    const box = $(id);
    box.textContent = text;
    box.hidden = !text;
  }

  function show(state) {
    const list = $("s-answers");
    list.replaceChildren();
    const routed = english() ? EN.routed(state.agency_name, when(state.respond_by))
      : `Đã chuyển tới ${state.agency_name}; hạn trả lời ` + when(state.respond_by) + ".";
    say(state.answers.length ? "" : routed);
    for (const a of state.answers) {
      const item = document.createElement("li");
      const who = document.createElement("strong");
      who.textContent = english() ? EN.answeredBy(a.agency_name, when(a.answered_at))
        : `${a.agency_name} (${when(a.answered_at)}): `;
      item.append(who, document.createTextNode(a.answer));
      list.append(item);
    }
  }

  function follow(id, token) {
    if (source) source.close();
    const url = `/v1/support/requests/${encodeURIComponent(id)}/live?token=${encodeURIComponent(token)}`;
    source = new EventSource(url);
    source.addEventListener("state", (e) => show(JSON.parse(e.data)));
  }

  async function submit(event) {
    event.preventDefault();
    const code = ($("code") && $("code").value.trim()) || null;
    const body = {
      question: $("s-question").value.trim(),
      contact_name: $("s-name").value.trim(),
      contact_email: $("s-email").value.trim() || null,
      dossier_code: code,
    };
    if (!body.question || !body.contact_name) {
      say(english() ? EN.missing : "Vui lòng nhập họ tên và câu hỏi.");
      return;
    }
    const failed = english() ? EN.failed : "Không gửi được câu hỏi, vui lòng thử lại sau.";
    let answer, data;
    try {
      answer = await fetch("/v1/support/requests", {
        method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
      });
      data = await answer.json().catch(() => ({}));
    } catch (_) {
      say(failed);  // no network: nothing was sent
      return;
    }
    if (!answer.ok) {
      say(data.detail || failed);
      return;
    }
    // The receipt stays on the page: the citizen needs the lookup token to come back later.
    say(english() ? EN.sent(data.request_id, data.lookup_token)
      : `Đã gửi. Mã yêu cầu ${data.request_id}, mã tra cứu ${data.lookup_token}.`, "s-receipt");
    say("");
    follow(data.request_id, data.lookup_token);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("support-form").addEventListener("submit", submit);
  });
})();
