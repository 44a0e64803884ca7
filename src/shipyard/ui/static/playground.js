/* Prompt playground: run a prompt version (or an unsaved edit of it) and save edits.
 *
 * Everything goes through the REST API under /api/v1/prompts/NAME (run, check,
 * versions), which answers JSON errors as {"error": {"type", "message"}};
 * those are shown inline as one line.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-playground]");
  var dataNode = document.getElementById("playground-data");
  if (!root || !dataNode) return;
  var data = JSON.parse(dataNode.textContent);
  var api = "/api/v1/prompts/" + encodeURIComponent(data.name);
  var page = "/ui/prompts/" + encodeURIComponent(data.name) + "/playground";

  var messagesBox = root.querySelector("[data-messages]");
  var messageTemplate = root.querySelector("[data-message-template]");
  var variablesBox = root.querySelector("[data-variables]");
  var noVariables = root.querySelector("[data-no-variables]");
  var editedBadge = root.querySelector("[data-edited]");
  var templateError = root.querySelector("[data-template-error]");
  var runForm = root.querySelector("[data-run-form]");
  var runButton = root.querySelector("[data-run]");
  var running = root.querySelector("[data-running]");
  var runError = root.querySelector("[data-run-error]");
  var result = root.querySelector("[data-result]");
  var saveButton = root.querySelector("[data-save]");
  var saveResult = root.querySelector("[data-save-result]");
  var saveError = root.querySelector("[data-save-error]");
  var saveSettings = root.querySelector("[data-save-settings]");

  /* ---- talking to the API ------------------------------------------------------ */

  function post(path, body) {
    return fetch(api + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.text().then(function (text) {
        var json = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch (e) {
          json = null;
        }
        if (!response.ok) {
          var message = json && json.error && json.error.message;
          throw new Error(message || "the server answered HTTP " + response.status);
        }
        return json;
      });
    });
  }

  function showError(node, error) {
    var text = error && error.message ? error.message : String(error);
    if (error instanceof TypeError) text = "cannot reach the server: " + text;
    node.textContent = text;
    node.hidden = false;
  }

  function hide(node) {
    node.hidden = true;
    node.textContent = "";
  }

  /* ---- the prompt editor ------------------------------------------------------- */

  function messages() {
    var out = [];
    var blocks = messagesBox.querySelectorAll("[data-message]");
    for (var i = 0; i < blocks.length; i++) {
      out.push({
        role: blocks[i].querySelector("[data-role]").value,
        content: blocks[i].querySelector("[data-content]").value,
      });
    }
    return out;
  }

  function edited() {
    var saved = data.spec.messages;
    var now = messages();
    if (now.length !== saved.length) return true;
    for (var i = 0; i < now.length; i++) {
      if (now[i].role !== saved[i].role || now[i].content !== saved[i].content) return true;
    }
    return false;
  }

  function renumber() {
    var blocks = messagesBox.querySelectorAll("[data-message]");
    for (var i = 0; i < blocks.length; i++) {
      blocks[i].querySelector("[data-role]").setAttribute("aria-label", "Role of message " + (i + 1));
      blocks[i].querySelector("[data-content]").setAttribute("aria-label", "Message " + (i + 1) + " template");
      blocks[i].querySelector("[data-remove-message]").disabled = blocks.length < 2;
    }
  }

  var checkTimer = null;
  var checkSeq = 0;

  function changed() {
    editedBadge.hidden = !edited();
    saveResult.textContent = "";
    clearTimeout(checkTimer);
    checkTimer = setTimeout(checkTemplate, 350);
  }

  /* Ask the server which variables the edit reads; keep the values already typed. */
  function checkTemplate() {
    var seq = ++checkSeq;
    post("/check", { messages: messages() }).then(
      function (body) {
        if (seq !== checkSeq) return;
        hide(templateError);
        syncVariables(body.variables);
      },
      function (error) {
        if (seq !== checkSeq) return;
        showError(templateError, error);
      }
    );
  }

  function syncVariables(names) {
    var fields = variablesBox.querySelectorAll("[data-variable-field]");
    var existing = {};
    for (var i = 0; i < fields.length; i++) {
      var name = fields[i].getAttribute("data-variable-field");
      if (names.indexOf(name) < 0) fields[i].remove();
      else existing[name] = true;
    }
    for (var j = 0; j < names.length; j++) {
      if (existing[names[j]]) continue;
      var label = document.createElement("label");
      label.className = "pg-field";
      label.setAttribute("data-variable-field", names[j]);
      var code = document.createElement("code");
      code.textContent = names[j];
      var area = document.createElement("textarea");
      area.rows = 2;
      area.setAttribute("data-variable", names[j]);
      label.appendChild(code);
      label.appendChild(area);
      variablesBox.insertBefore(label, noVariables);
    }
    noVariables.hidden = names.length > 0;
  }

  messagesBox.addEventListener("input", changed);
  messagesBox.addEventListener("change", changed);
  messagesBox.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-message]");
    if (!button || messagesBox.querySelectorAll("[data-message]").length < 2) return;
    button.closest("[data-message]").remove();
    renumber();
    changed();
  });
  root.querySelector("[data-add-message]").addEventListener("click", function () {
    messagesBox.appendChild(messageTemplate.content.cloneNode(true));
    renumber();
    changed();
    var areas = messagesBox.querySelectorAll("[data-content]");
    areas[areas.length - 1].focus();
  });
  renumber();

  var versionSelect = document.querySelector("[data-version-select]");
  if (versionSelect) {
    versionSelect.addEventListener("change", function () {
      window.location.href = page + "?version=" + encodeURIComponent(versionSelect.value);
    });
  }

  /* ---- running ----------------------------------------------------------------- */

  function value(selector) {
    var node = root.querySelector(selector);
    return node ? node.value.trim() : "";
  }

  function number(selector) {
    var text = value(selector);
    return text === "" ? null : Number(text);
  }

  function variables() {
    var out = {};
    var areas = variablesBox.querySelectorAll("[data-variable]");
    for (var i = 0; i < areas.length; i++) out[areas[i].getAttribute("data-variable")] = areas[i].value;
    return out;
  }

  function usd(v) {
    if (v === null || v === undefined) return "—";
    if (v === 0) return "$0";
    if (Math.abs(v) < 0.01) return "$" + v.toFixed(6).replace(/0+$/, "");
    return "$" + v.toFixed(4).replace(/0+$/, "").replace(/\.$/, "");
  }

  function ms(v) {
    if (v < 1) return v.toFixed(2) + " ms";
    if (v < 100) return v.toFixed(1) + " ms";
    if (v < 1000) return Math.round(v) + " ms";
    return (v / 1000).toFixed(2) + " s";
  }

  function badge(text, kind) {
    var span = document.createElement("span");
    span.className = "badge " + (kind || "");
    span.textContent = text;
    return span;
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function stat(name) {
    return result.querySelector('[data-stat="' + name + '"]');
  }

  function showResult(body) {
    result.querySelector("[data-output]").textContent = body.text;
    var badges = result.querySelector("[data-result-badges]");
    badges.textContent = "";
    if (body.draft) badges.appendChild(badge("unsaved edit", "warn"));
    if (body.cache) badges.appendChild(badge("cache hit: " + body.cache, "ok"));
    if (body.finish_reason && body.finish_reason !== "stop") badges.appendChild(badge("finish: " + body.finish_reason, "warn"));
    var u = body.usage;
    stat("tokens").textContent =
      u.prompt_tokens + " / " + u.completion_tokens + (u.estimated ? " (estimated)" : "");
    stat("cost").textContent = usd(body.cost_usd);
    stat("latency").textContent = ms(body.latency_ms);
    stat("model").textContent = body.model + (body.model !== body.requested_model ? " (asked: " + body.requested_model + ")" : "");
    stat("prompt").textContent = body.prompt_ref || "unsaved edit of " + body.base_ref;
    var trace = stat("trace");
    trace.textContent = "";
    if (body.trace_url) trace.appendChild(link(body.trace_url, body.trace_id.slice(0, 12)));
    else trace.textContent = "tracing is off";
    var sent = body.sent;
    result.querySelector("[data-sent]").textContent =
      typeof sent === "string"
        ? sent
        : sent.map(function (m) { return m.role + ": " + m.content; }).join("\n\n");
    result.hidden = false;
  }

  runForm.addEventListener("submit", function (event) {
    event.preventDefault();
    hide(runError);
    var body = {
      version: data.version,
      variables: variables(),
      model: value("[data-model]") || null,
      mode: value("[data-mode]") || null,
      temperature: number("[data-temperature]"),
      max_tokens: number("[data-max-tokens]"),
    };
    if (edited()) body.messages = messages();
    var key = value("[data-key]");
    if (key) body.key = key;
    runButton.disabled = true;
    running.hidden = false;
    post("/run", body)
      .then(showResult, function (error) {
        result.hidden = true;
        showError(runError, error);
      })
      .then(function () {
        runButton.disabled = false;
        running.hidden = true;
      });
  });

  /* ---- saving ------------------------------------------------------------------ */

  function settings() {
    var model = value("[data-model]");
    var slash = model.indexOf("/");
    var old = data.spec.model || {};
    return {
      provider: slash > 0 ? model.slice(0, slash) : null,
      model: model ? (slash > 0 ? model.slice(slash + 1) : model) : null,
      temperature: number("[data-temperature]"),
      max_tokens: number("[data-max-tokens]"),
      extra: old.extra || {},
    };
  }

  /* What was saved is now the version the page runs: later runs name it, not a draft. */
  function adopt(answer, body) {
    data.version = answer.version.version;
    data.ref = answer.ref;
    data.spec.messages = body.messages;
    if (body.model) data.spec.model = body.model;
    editedBadge.hidden = true;
    var heading = document.querySelector("[data-ref]");
    if (heading) heading.textContent = answer.ref;
    if (!versionSelect) return;
    var found = null;
    for (var i = 0; i < versionSelect.options.length; i++) {
      if (versionSelect.options[i].value === String(data.version)) found = versionSelect.options[i];
    }
    if (!found) {
      for (var j = 0; j < versionSelect.options.length; j++) {
        var option = versionSelect.options[j];
        option.textContent = option.textContent.replace(", latest)", ")").replace(" (latest)", "");
      }
      found = document.createElement("option");
      found.value = String(data.version);
      found.textContent = data.version + " (latest)";
      versionSelect.insertBefore(found, versionSelect.firstChild);
    }
    found.selected = true;
  }

  saveButton.addEventListener("click", function () {
    hide(saveError);
    saveResult.textContent = "";
    var body = { messages: messages(), base: data.version };
    if (saveSettings && saveSettings.checked) body.model = settings();
    saveButton.disabled = true;
    post("/versions", body)
      .then(
        function (answer) {
          var number = answer.version.version;
          saveResult.textContent = "";
          if (answer.created) {
            saveResult.appendChild(document.createTextNode("Saved as "));
          } else {
            saveResult.appendChild(
              document.createTextNode("Identical to the latest version, so no new version was made: ")
            );
          }
          var a = link(page + "?version=" + number, answer.ref);
          a.setAttribute("data-saved-ref", answer.ref);
          saveResult.appendChild(a);
          saveResult.setAttribute("data-created", answer.created ? "true" : "false");
          adopt(answer, body);
        },
        function (error) {
          showError(saveError, error);
        }
      )
      .then(function () {
        saveButton.disabled = false;
      });
  });
})();
