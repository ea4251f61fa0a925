// The file editor: line numbers follow the text; problems and the flow graph are checked on the
// server as the admin types (POST .../check, debounced), exactly as a save would check them.
(function () {
  "use strict";
  const form = document.getElementById("file-form");
  const text = document.getElementById("file-text");
  const gutter = document.getElementById("gutter");
  const problems = document.getElementById("problems");
  const graph = document.getElementById("graph");
  const csrf = form.querySelector('input[name="csrf_token"]').value;
  let timer = null;

  function numberLines() {
    const count = text.value.split("\n").length;
    gutter.textContent = Array.from({length: count}, (_, i) => i + 1).join("\n");
    gutter.scrollTop = text.scrollTop;
  }

  function showProblems(list) {
    problems.textContent = "";
    problems.className = list.length ? "error" : "ok";
    (list.length ? list : ["none"]).forEach((p) => {
      const li = document.createElement("li");
      li.textContent = p;
      problems.appendChild(li);
    });
  }

  async function check() {
    const body = new URLSearchParams({text: text.value, csrf_token: csrf});
    const res = await fetch(form.dataset.checkUrl, {method: "POST", body, credentials: "same-origin",
                                                     headers: {"X-CSRFToken": csrf}});
    if (!res.ok) return;
    const data = await res.json();
    showProblems(data.problems);
    if (graph) {
      // the server renders the SVG from the checked flow with the same template as the page
      const doc = new DOMParser().parseFromString(data.graph, "text/html");
      if (doc.body.childNodes.length && data.graph.trim()) {
        graph.replaceChildren(...doc.body.childNodes);
      } else {
        const hint = document.createElement("p");
        hint.className = "hint";
        hint.textContent = graph.dataset.empty;
        graph.replaceChildren(hint);
      }
    }
  }

  const test = document.getElementById("test-form");
  if (test) {
    test.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = new URLSearchParams({text: text.value, csrf_token: csrf,
                                        keys: document.getElementById("test-keys").value,
                                        caller: document.getElementById("test-caller").value});
      const res = await fetch(test.dataset.testUrl, {method: "POST", body, credentials: "same-origin",
                                                     headers: {"X-CSRFToken": csrf}});
      const data = await res.json();
      const list = document.getElementById("test-steps");
      list.textContent = "";
      (data.steps || data.problems || []).forEach((s) => {
        const li = document.createElement("li");
        li.textContent = s;
        list.appendChild(li);
      });
      document.getElementById("test-outcome").textContent =
        data.error ? data.error : "→ " + (data.queue ? "queue " + data.queue : data.outcome) + " · " + (data.path || []).join(" · ");
    });
  }

  text.addEventListener("input", () => { numberLines(); clearTimeout(timer); timer = setTimeout(check, 400); });
  text.addEventListener("scroll", () => { gutter.scrollTop = text.scrollTop; });
  numberLines();
})();
