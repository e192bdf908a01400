// Hỏi đáp về hồ sơ: gửi câu hỏi, rồi theo dõi trả lời trực tiếp (Server-Sent Events).
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let source = null;

  function say(text) {
    const box = $("s-message");
    box.textContent = text;
    box.hidden = !text;
  }

  function show(state) {
    const list = $("s-answers");
    list.replaceChildren();
    say(state.answers.length ? "" : `Đã chuyển tới ${state.agency_name}; hạn trả lời `
      + new Date(state.respond_by).toLocaleString("vi-VN") + ".");
    for (const a of state.answers) {
      const item = document.createElement("li");
      const who = document.createElement("strong");
      who.textContent = `${a.agency_name} (${new Date(a.answered_at).toLocaleString("vi-VN")}): `;
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
    if (!body.question || !body.contact_name) { say("Vui lòng nhập họ tên và câu hỏi."); return; }
    const answer = await fetch("/v1/support/requests", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
    });
    const data = await answer.json();
    if (!answer.ok) { say(data.detail || "Không gửi được câu hỏi, vui lòng thử lại sau."); return; }
    say(`Đã gửi. Mã yêu cầu ${data.request_id}, mã tra cứu ${data.lookup_token}.`);
    follow(data.request_id, data.lookup_token);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("support-form").addEventListener("submit", submit);
  });
})();
