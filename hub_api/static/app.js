"use strict";
// Trang tra cứu hồ sơ: tra cứu theo mã hồ sơ + mã tra cứu, cập nhật trực tiếp qua SSE.
(function () {
  const TEXT = {
    vi: {
      skip: "Bỏ qua, tới nội dung chính", org: "Trục liên thông tỉnh Thanh Hóa",
      title: "Tra cứu hồ sơ", hint: "Nhập mã hồ sơ và mã tra cứu in trên giấy tiếp nhận.",
      codeLabel: "Mã hồ sơ", codeHelp: "Ví dụ: 000.00.06.H56-260302-0001",
      tokenLabel: "Mã tra cứu", submit: "Tra cứu", dossier: "Hồ sơ",
      overdue: "Quá hạn", waiting: "Chờ công dân bổ sung", live: "Đang cập nhật trực tiếp",
      agency: "Cơ quan giải quyết", submitted: "Ngày nộp", due: "Hạn giải quyết",
      remaining: "Thời gian còn lại", steps: "Các bước liên thông", timeline: "Quá trình xử lý",
      footer: "Ủy ban nhân dân tỉnh Thanh Hóa", langButton: "English",
      supportTitle: "Hỏi đáp, phản ánh về hồ sơ",
      supportHint: "Câu hỏi gửi tới cơ quan đang giải quyết hồ sơ (mã hồ sơ ở trên, nếu có).",
      supportName: "Họ và tên", supportEmail: "Thư điện tử nhận trả lời", supportQuestion: "Câu hỏi",
      supportSubmit: "Gửi câu hỏi",
      notFound: "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này.",
      missing: "Vui lòng nhập mã hồ sơ và mã tra cứu.", busy: "Quá nhiều yêu cầu, vui lòng thử lại sau.",
      failed: "Không tra cứu được lúc này, vui lòng thử lại.", none: "—",
      hours: (h) => `${h} giờ làm việc`, late: (h) => `Quá hạn ${h} giờ làm việc`,
      stepState: { pending: "Chưa thực hiện", active: "Đang thực hiện", done: "Đã xong" },
      status: (d) => d.status_vi,
    },
    en: {
      skip: "Skip to main content", org: "Thanh Hoa provincial integration hub",
      title: "Dossier lookup", hint: "Enter the dossier code and the lookup token printed on your receipt.",
      codeLabel: "Dossier code", codeHelp: "Example: 000.00.06.H56-260302-0001",
      tokenLabel: "Lookup token", submit: "Look up", dossier: "Dossier",
      overdue: "Overdue", waiting: "Waiting for the applicant", live: "Live updates on",
      agency: "Responsible agency", submitted: "Submitted", due: "Due",
      remaining: "Time left", steps: "Linked-procedure steps", timeline: "Processing history",
      footer: "Thanh Hoa Provincial People's Committee", langButton: "Tiếng Việt",
      supportTitle: "Questions and feedback about a dossier",
      supportHint: "Your question goes to the agency handling the dossier (the dossier code above, if any).",
      supportName: "Full name", supportEmail: "Email for the answer", supportQuestion: "Question",
      supportSubmit: "Send question",
      notFound: "No dossier found with this code and lookup token.",
      missing: "Please enter the dossier code and the lookup token.", busy: "Too many requests, please try again later.",
      failed: "The lookup failed, please try again.", none: "—",
      hours: (h) => `${h} working hours`, late: (h) => `${h} working hours late`,
      stepState: { pending: "Pending", active: "In progress", done: "Done" },
      status: (d) => d.status_en,
    },
  };
  let lang = "vi";
  let current = null;
  let source = null;
  const $ = (id) => document.getElementById(id);

  function t(key) { return TEXT[lang][key]; }

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    const button = $("lang");
    button.textContent = t("langButton");
    button.lang = lang === "vi" ? "en" : "vi";
    button.setAttribute("aria-pressed", String(lang === "en"));
    document.title = `${t("title")} – Thanh Hóa`;
    if (current) render(current);
  }

  function when(text) {
    if (!text) return t("none");
    return new Date(text).toLocaleString(lang === "vi" ? "vi-VN" : "en-GB",
      { timeZone: "Asia/Ho_Chi_Minh", dateStyle: "medium", timeStyle: "short" });
  }

  function remaining(seconds) {
    if (seconds === null || seconds === undefined) return t("none");
    const hours = Math.round(Math.abs(seconds) / 360) / 10;
    return seconds >= 0 ? TEXT[lang].hours(hours) : TEXT[lang].late(hours);
  }

  function show(message) {
    const box = $("message");
    box.textContent = message;
    box.hidden = false;
  }

  function render(d) {
    current = d;
    $("message").hidden = true;
    $("result").hidden = false;
    $("r-code").textContent = d.code;
    $("r-procedure").textContent = d.procedure_name ? `${d.procedure_name} (${d.procedure})` : d.procedure;
    $("r-status").textContent = TEXT[lang].status(d);
    $("r-overdue").hidden = !d.overdue;
    $("r-waiting").hidden = !d.waiting_for_applicant;
    $("r-agency").textContent = d.agency_name || t("none");
    $("r-submitted").textContent = when(d.submitted_at);
    $("r-due").textContent = when(d.due_at);
    $("r-remaining").textContent = d.finished_at ? t("none") : remaining(d.remaining_working_seconds);
    const steps = $("r-steps");
    steps.replaceChildren(...d.steps.map((s) => {
      const li = document.createElement("li");
      li.className = `state-${s.state}`;
      li.textContent = `${s.agency_name}: ${TEXT[lang].stepState[s.state] || s.state}`;
      return li;
    }));
    $("steps-box").hidden = d.steps.length === 0;
    const timeline = $("r-timeline");
    timeline.replaceChildren(...d.timeline.map((e) => {
      const li = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = TEXT[lang].status(e) + (e.by ? ` – ${e.by}` : "");
      const time = document.createElement("time");
      time.dateTime = e.time;
      time.textContent = when(e.time);
      li.append(label, time);
      return li;
    }));
  }

  function follow(code, token) {
    if (source) source.close();
    const url = `/v1/citizen/dossiers/${encodeURIComponent(code)}/live?token=${encodeURIComponent(token)}`;
    source = new EventSource(url);
    source.addEventListener("state", (event) => {
      render(JSON.parse(event.data));
      $("r-live").hidden = false;
    });
    source.onerror = () => { $("r-live").hidden = true; };
  }

  async function lookup(code, token) {
    if (!code || !token) { show(t("missing")); return; }
    let response;
    try {
      response = await fetch(`/v1/citizen/dossiers/${encodeURIComponent(code)}?token=${encodeURIComponent(token)}`,
        { headers: { Accept: "application/json" } });
    } catch (err) { show(t("failed")); return; }
    if (response.status === 404 || response.status === 401) { $("result").hidden = true; show(t("notFound")); return; }
    if (response.status === 429) { show(t("busy")); return; }
    if (!response.ok) { show(t("failed")); return; }
    render(await response.json());
    $("result-title").focus();
    follow(code, token);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("result-title").tabIndex = -1;
    const params = new URLSearchParams(window.location.search);
    if (params.get("lang") === "en") lang = "en";
    applyLanguage();
    $("lang").addEventListener("click", () => { lang = lang === "vi" ? "en" : "vi"; applyLanguage(); });
    $("lookup").addEventListener("submit", (event) => {
      event.preventDefault();
      lookup($("code").value.trim(), $("token").value.trim());
    });
    if (params.get("code")) {
      $("code").value = params.get("code");
      $("token").value = params.get("token") || "";
      lookup($("code").value.trim(), $("token").value.trim());
    }
  });
})();
