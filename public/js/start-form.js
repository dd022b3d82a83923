// Starting a run (POST /runs) from the form: message, mode, approval policy, max tool calls and an
// optional JSON context. The API validates; its error message is shown as it is.

export function startForm({ api, form, status, onStarted }) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { message: String(data.get("message") ?? ""), mode: String(data.get("mode")) };
    const options = { approval: String(data.get("approval")) };
    const max = String(data.get("max_tool_calls") ?? "").trim();
    if (max !== "") options.max_tool_calls = Number(max);
    body.options = options;
    const context = String(data.get("context") ?? "").trim();
    if (context !== "") {
      try {
        body.context = JSON.parse(context);
      } catch {
        status.textContent = "The context is not valid JSON.";
        form.elements.namedItem("context")?.focus();
        return;
      }
    }
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    status.textContent = "Starting…";
    try {
      // One key per submission: a retried request cannot start a second run.
      const started = await api.post("/runs", body, { idempotencyKey: randomKey() });
      status.textContent = `Started ${started.run_id}.`;
      onStarted(started);
    } catch (error) {
      status.textContent = `${error.code}: ${error.message}`;
    } finally {
      submit.disabled = false;
    }
  });
}

/** 128 random bits, hex (crypto.randomUUID exists only in secure contexts). */
function randomKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}
