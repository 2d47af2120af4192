/* Small enhancements for the pages; every form also works without them. */
(function () {
  "use strict";

  function fold(text) {
    return text.replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function toNumber(text) {
    var clean = String(text || "").trim();
    if (/^\d{1,3}([.,\s\u00a0]\d{3})+$/.test(clean)) clean = clean.replace(/\D/g, "");
    return /^\d+$/.test(clean) ? parseInt(clean, 10) : null;
  }

  function grouped(n) {
    return new Intl.NumberFormat(document.documentElement.lang || "vi").format(n);
  }

  /* Budget lines: the amount of each line and the total, as the user types. */
  function updateBudget(fieldset) {
    var total = 0, complete = true;
    var currency = document.documentElement.lang === "en" ? " VND" : " đ"; // as money() writes it
    fieldset.querySelectorAll("[data-row-list] > [data-row]").forEach(function (row) {
      var q = row.querySelector('[data-field="quantity"]');
      var a = row.querySelector('[data-field="unit_amount"]');
      var out = row.querySelector("[data-line-amount]");
      var qn = q ? toNumber(q.value) : null, an = a ? toNumber(a.value) : null;
      if (qn === null || an === null) {
        complete = false;
        if (out) out.textContent = "—";
        return;
      }
      total += qn * an;
      if (out) out.textContent = grouped(qn * an) + currency;
    });
    var totalOut = fieldset.querySelector("[data-budget-total]");
    if (totalOut) totalOut.textContent = complete ? grouped(total) + currency : "—";
  }

  function renumber(fieldset) {
    var rows = fieldset.querySelectorAll("[data-row-list] > [data-row]");
    rows.forEach(function (row, i) {
      row.querySelectorAll("[data-row-number]").forEach(function (el) { el.textContent = i + 1; });
    });
    var count = fieldset.querySelector("[data-row-count]");
    if (count) count.textContent = "(" + rows.length + ")";
    if (fieldset.hasAttribute("data-budget")) updateBudget(fieldset);
  }

  function nextIndex(fieldset) {
    var path = fieldset.getAttribute("data-rows") + ".";
    var max = -1;
    fieldset.querySelectorAll("[data-row-list] [name]").forEach(function (el) {
      var rest = el.name.slice(path.length).split(".")[0];
      if (el.name.indexOf(path) === 0 && /^\d+$/.test(rest)) max = Math.max(max, parseInt(rest, 10));
    });
    return max + 1;
  }

  function addRow(fieldset) {
    var template = fieldset.querySelector("template[data-row-template]");
    var list = fieldset.querySelector("[data-row-list]");
    var index = String(nextIndex(fieldset));
    var html = template.innerHTML.split("__index__").join(index);
    var holder = document.createElement("ol");
    holder.innerHTML = html;
    var row = holder.firstElementChild;
    list.appendChild(row);
    row.querySelectorAll("[data-filter-select]").forEach(function (input) { input.hidden = false; });
    renumber(fieldset);
    var first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row], [data-remove-row]");
    if (!button) return;
    var fieldset = button.closest("[data-rows]");
    if (!fieldset) return;
    event.preventDefault();
    if (button.hasAttribute("data-add-row")) {
      addRow(fieldset);
    } else {
      var row = button.closest("[data-row]");
      var focusTarget = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber(fieldset);
      var target = focusTarget ? focusTarget.querySelector("input, select, textarea") : fieldset.querySelector("[data-add-row]");
      if (target) target.focus();
    }
  });

  document.addEventListener("input", function (event) {
    var fieldset = event.target.closest("[data-budget]");
    if (fieldset) updateBudget(fieldset);
    if (event.target.matches("[data-filter-select]")) {
      var wanted = fold(event.target.value.trim());
      var select = document.getElementById(event.target.getAttribute("data-filter-select"));
      Array.prototype.forEach.call(select.options, function (option) {
        option.hidden = option.value !== "" && !option.selected && wanted !== "" &&
          fold(option.textContent).indexOf(wanted) === -1;
      });
    }
    if (event.target.matches("[data-filter]")) {
      var needle = fold(event.target.value.trim());
      var list = document.getElementById(event.target.getAttribute("data-filter"));
      list.querySelectorAll("label").forEach(function (label) {
        label.hidden = needle !== "" && fold(label.textContent).indexOf(needle) === -1;
      });
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches('.checklist input[type="checkbox"]')) {
      var fieldset = event.target.closest("fieldset");
      var count = fieldset && fieldset.querySelector("[data-checked-count]");
      if (count) count.textContent = "(" + fieldset.querySelectorAll(".checklist input:checked").length + ")";
    }
  });

  /* Money fields read 1.000.000 once the user leaves them. */
  document.addEventListener("focusout", function (event) {
    if (event.target.matches("[data-money]")) {
      var n = toNumber(event.target.value);
      if (n !== null) event.target.value = grouped(n);
    }
  });

  /* Drafts: while the task form changes, it is saved on the server every few seconds. */
  function autosave(form) {
    var url = form.getAttribute("data-autosave");
    var seconds = parseInt(form.getAttribute("data-autosave-seconds"), 10) || 30;
    var status = form.querySelector("[data-draft-status]");
    var dirty = false, busy = false, stopped = false;
    function touched() { dirty = true; }
    form.addEventListener("input", touched);
    form.addEventListener("change", touched);
    form.addEventListener("submit", function () { stopped = true; });
    /* Another form of the page (a comment, a file) leaves it: what was typed is saved first,
       by a request that outlives the page (keepalive). */
    document.addEventListener("submit", function (event) {
      if (event.target === form || !dirty || stopped) return;
      dirty = false;
      fetch(url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
        keepalive: true
      }).catch(function () {});
    });
    function save() {
      if (!dirty || busy || stopped) return;
      dirty = false;
      busy = true;
      fetch(url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.json().then(function (answer) {
          if (response.ok) {
            status.textContent = answer.message;
          } else if (answer.expired) {
            stopped = true;  /* the server kept this form; a login brings it back */
            status.textContent = form.getAttribute("data-expired-text") + " ";
            var link = document.createElement("a");
            link.href = answer.login;
            link.textContent = form.getAttribute("data-login-text");
            status.appendChild(link);
          } else {
            dirty = true;
          }
        });
      }).catch(touched).then(function () { busy = false; });
    }
    window.setInterval(save, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-autosave]").forEach(autosave);
    document.querySelectorAll("[data-filter], [data-filter-select]").forEach(function (input) { input.hidden = false; });
    document.querySelectorAll("[data-budget]").forEach(updateBudget);
    var errors = document.getElementById("form-errors");
    var form = document.querySelector("[data-focus]");
    if (errors) {
      errors.focus();
    } else if (form) {
      var list = document.querySelector('[data-rows="' + form.getAttribute("data-focus") + '"]');
      var rows = list ? list.querySelectorAll("[data-row-list] > [data-row]") : [];
      var last = rows.length ? rows[rows.length - 1].querySelector("input, select, textarea") : null;
      if (last) last.focus();
    }
    var done = document.querySelectorAll(".diagram-scroll .bpmn-done");
    var current = document.querySelector(".diagram-scroll .bpmn-open") || done[done.length - 1];
    var scroller = document.querySelector(".diagram-scroll");
    if (current && scroller && current.getBoundingClientRect) {
      var box = current.getBoundingClientRect(), outer = scroller.getBoundingClientRect();
      scroller.scrollLeft += box.left - outer.left - outer.width / 2 + box.width / 2;
    }
  });
})();
