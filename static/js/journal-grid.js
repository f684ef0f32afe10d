/* The journal grid's keyboard entry (R-J03, R-J07).
 *
 * The table is rendered once on the server; this script only moves the cursor and saves each
 * cell through the API (PUT/DELETE …/journal/marks/ and …/journal/attendance/), one request per
 * cell, with the cell's version so that a concurrent change is a conflict, not a silent
 * overwrite. Keys: arrows move, 1–5 type a mark, «н» absent, «о» late, Delete/Backspace clear,
 * Enter saves and moves down, Escape cancels what was typed. Every rule is checked by the
 * server: its Russian message (e.g. the 7-day lock) is shown as the cell's error.
 */
(function () {
  "use strict";
  var table = document.querySelector("table.jgrid");
  if (!table || !table.tBodies.length) return;
  var body = table.tBodies[0];
  var statusBox = document.querySelector("[data-testid=grid-status]");
  var editable = table.dataset.editable === "1";
  var csrf = table.dataset.csrf;
  var marksUrl = table.dataset.marksUrl;
  var attendanceUrl = table.dataset.attendanceUrl;
  var roundUp = parseFloat((table.dataset.round || "0.6").replace(",", "."));
  var useWeighted = table.dataset.weighted === "1";
  var FIRST = 1; // column 0 holds the student's name
  var meta = Array.prototype.map.call(table.tHead.rows[1].cells, function (th) {
    return {
      work: th.dataset.w ? Number(th.dataset.w) : null,
      lesson: Number(th.dataset.l),
      weight: th.dataset.wt ? parseFloat(th.dataset.wt.replace(",", ".")) : 1
    };
  });
  var LAST = FIRST + meta.length - 1;
  var cur = null;

  function isCell(td) {
    return td && td.tagName === "TD" && td.parentElement.parentElement === body && td.cellIndex >= FIRST && td.cellIndex <= LAST;
  }

  function select(td) {
    if (!isCell(td)) return;
    if (cur && cur !== td) {
      cur.classList.remove("cur");
      cur.removeAttribute("tabindex");
    }
    cur = td;
    td.classList.add("cur");
    td.tabIndex = 0;
    if (document.activeElement !== td) td.focus();
  }

  function go(dr, dc) {
    var r = Math.min(Math.max(cur.parentElement.sectionRowIndex + dr, 0), body.rows.length - 1);
    var c = Math.min(Math.max(cur.cellIndex + dc, FIRST), LAST);
    select(body.rows[r].cells[c]);
  }

  function say(text, kind) {
    if (!statusBox) return;
    statusBox.textContent = "";
    statusBox.className = "jstatus " + (kind || "");
    var p = document.createElement("span");
    p.textContent = text;
    statusBox.appendChild(p);
    if (kind === "conflict") {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = "Обновить страницу";
      b.addEventListener("click", function () { window.location.reload(); });
      statusBox.appendChild(document.createTextNode(" "));
      statusBox.appendChild(b);
    }
  }

  function who(td) {
    var name = td.parentElement.cells[0].textContent.replace(/^\d+\.\s*/, "");
    var date = dateOf(td.cellIndex);
    return name + (date ? ", " + date : "");
  }

  function dateOf(cellIndex) {
    var n = 0;
    var top = table.tHead.rows[0].cells;
    for (var i = 1; i < top.length; i++) {
      n += top[i].colSpan;
      if (n >= cellIndex) return top[i].textContent.trim();
    }
    return "";
  }

  function letter(td) {
    return td.classList.contains("abs") ? "н" : (td.classList.contains("late") ? "о" : "");
  }

  function version(td) {
    return Number(td.dataset.v || 0);
  }

  // --- typing ---------------------------------------------------------------------------------

  function typed(td, value) {
    if (td.dataset.p === undefined) td.dataset.o = td.textContent;
    td.dataset.p = value;
    td.textContent = value;
    td.classList.remove("saved", "error", "conflict");
    td.classList.add("pending");
  }

  function cancel(td) {
    if (!td || td.dataset.p === undefined) return;
    td.textContent = td.dataset.o;
    delete td.dataset.p;
    td.classList.remove("pending");
  }

  function commit(td) {
    if (!td || td.dataset.p === undefined) return;
    var value = td.dataset.p;
    delete td.dataset.p;
    save(td, value);
  }

  // --- saving ---------------------------------------------------------------------------------

  function save(td, value) {
    var col = meta[td.cellIndex - FIRST];
    var student = Number(td.parentElement.dataset.s);
    var original = td.dataset.o !== undefined ? td.dataset.o : td.textContent;
    var req;
    if (value === "н" || value === "о") {
      req = {url: attendanceUrl, method: "PUT", kind: "attendance",
        body: function () { return {lesson: col.lesson, student: student, status: value === "н" ? "absent" : "late"}; }};
    } else if (value === "") {
      if (version(td) > 0) {
        req = {url: marksUrl, method: "DELETE", kind: "mark",
          body: function () { return {work: col.work, student: student, version: version(td)}; }};
      } else if (letter(td)) {
        req = {url: attendanceUrl, method: "DELETE", kind: "attendance",
          body: function () { return {lesson: col.lesson, student: student}; }};
      } else {
        return;
      }
    } else {
      if (!col.work) {
        td.textContent = original;
        td.classList.remove("pending");
        fail(td, "В этом уроке нет работы: добавьте её на странице урока, чтобы ставить отметки.");
        return;
      }
      req = {url: marksUrl, method: "PUT", kind: "mark",
        body: function () { return {work: col.work, student: student, value: value, version: version(td)}; }};
    }
    td.classList.remove("pending", "saved", "error", "conflict");
    td.classList.add("saving");
    td.removeAttribute("title");
    // One request at a time per cell: the next one reads the version the previous one returned.
    td._chain = (td._chain || Promise.resolve()).then(function () { return send(td, req, original); });
  }

  function send(td, req, original) {
    return fetch(req.url, {
      method: req.method,
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(req.body())
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        td.classList.remove("saving");
        delete td.dataset.o;
        if (resp.ok) {
          if (req.kind === "mark") applyMark(td, data); else applyAttendance(td, data);
          td.classList.add("saved");
          say("Сохранено: " + who(td) + ".", "ok");
          return;
        }
        var error = data.error || {};
        if (resp.status === 409 && error.code === "stale_version") {
          conflict(td, error);
          return;
        }
        td.textContent = original;
        fail(td, error.message || ("Не сохранено (ошибка " + resp.status + ")."));
      });
    }, function () {
      td.classList.remove("saving");
      td.textContent = original;
      delete td.dataset.o;
      fail(td, "Нет связи с сервером: не сохранено.");
    });
  }

  function fail(td, message) {
    td.classList.add("error");
    td.title = message;
    say(who(td) + ": " + message, "err");
  }

  function conflict(td, error) {
    var current = error.current || {};
    setMark(td, current.value || "", current.version || 0);
    td.classList.add("conflict");
    td.title = error.message;
    say(who(td) + ": " + error.message + (current.value ? " Сейчас в журнале: «" + current.value + "»." : " Сейчас отметки нет."), "conflict");
    averages(td.parentElement);
  }

  function setMark(td, display, v) {
    if (v > 0) td.dataset.v = String(v); else delete td.dataset.v;
    td.textContent = v > 0 ? display : letter(td);
  }

  function applyMark(td, data) {
    var mark = data.mark;
    setMark(td, mark ? mark.display : "", mark ? data.version : 0);
    averages(td.parentElement);
  }

  function applyAttendance(td, data) {
    var status = data.attendance ? data.attendance.status : "";
    var lesson = meta[td.cellIndex - FIRST].lesson;
    var cells = td.parentElement.cells;
    for (var c = FIRST; c <= LAST; c++) {
      if (meta[c - FIRST].lesson !== lesson) continue;
      var cell = cells[c];
      cell.classList.toggle("abs", status === "absent");
      cell.classList.toggle("late", status === "late");
      if (!version(cell)) cell.textContent = letter(cell);
    }
  }

  // --- averages: plain, weighted, proposed (the school's rounding rule) -------------------------

  function fmt(x) {
    return x === null ? "" : (Math.round(x * 100) / 100).toFixed(2).replace(".", ",");
  }

  function averages(tr) {
    var sum = 0, n = 0, wsum = 0, wtotal = 0;
    for (var c = FIRST; c <= LAST; c++) {
      var cell = tr.cells[c];
      if (!version(cell) || !/^[1-5]$/.test(cell.textContent)) continue;
      var v = Number(cell.textContent), w = meta[c - FIRST].weight;
      sum += v; n += 1; wsum += v * w; wtotal += w;
    }
    var plain = n ? sum / n : null;
    var weighted = n ? (wtotal ? wsum / wtotal : plain) : null;
    var basis = useWeighted ? weighted : plain;
    var proposed = "";
    if (basis !== null) {
      basis = Math.round(basis * 100) / 100;
      var whole = Math.floor(basis);
      proposed = String(Math.min(5, whole + (basis - whole >= roundUp - 1e-9 ? 1 : 0)));
    }
    tr.cells[LAST + 1].textContent = fmt(plain);
    tr.cells[LAST + 2].textContent = fmt(weighted);
    tr.cells[LAST + 3].textContent = proposed;
  }

  // --- events ---------------------------------------------------------------------------------

  function keyValue(e) {
    if (/^[1-5]$/.test(e.key)) return e.key;
    var k = (e.key || "").toLowerCase();
    if (k === "н" || e.code === "KeyY") return "н"; // the «Н» key, whatever the layout
    if (k === "о" || e.code === "KeyJ") return "о";
    return null;
  }

  table.addEventListener("keydown", function (e) {
    if (!cur || e.altKey || e.ctrlKey || e.metaKey) return;
    var moves = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1], Enter: [1, 0]};
    if (moves[e.key]) {
      e.preventDefault();
      commit(cur);
      go(moves[e.key][0], moves[e.key][1]);
      return;
    }
    if (e.key === "Escape") {
      cancel(cur);
      return;
    }
    if (!editable || cur.classList.contains("na")) return; // another subgroup's lesson
    if (e.key === "Delete" || e.key === "Backspace") {
      e.preventDefault();
      cancel(cur);
      save(cur, "");
      return;
    }
    var value = keyValue(e);
    if (value) {
      e.preventDefault();
      typed(cur, value);
    }
  });

  table.addEventListener("click", function (e) {
    var td = e.target.closest("td");
    if (!isCell(td) || td === cur) return;
    commit(cur);
    select(td);
  });

  table.addEventListener("focusin", function (e) {
    if (isCell(e.target) && e.target !== cur) {
      commit(cur);
      select(e.target);
    }
  });

  table.addEventListener("focusout", function (e) {
    if (cur && !table.contains(e.relatedTarget)) commit(cur);
  });

  // Tab reaches the grid at its first cell.
  if (body.rows.length && body.rows[0].cells.length > FIRST && LAST >= FIRST) {
    body.rows[0].cells[FIRST].tabIndex = 0;
  }
  table.classList.add("ready");
})();
