// The grading packet's only script: scores kept in localStorage, keyboard moves, the CSV download.
//
// Every page loads sheet.js first, which sets window.HW3_SHEET = {id, header, columns, rows}:
// columns [{name, comment, points, label}], rows [{submission, student_number, full_name}].
// A field is an <input>/<textarea> with data-row (a submission) and data-col (a score column, or
// its comment column); its value is stored under "hw3-packet:<id>:" + JSON [row, col], so two
// open pages never overwrite each other's fields. Nothing here reads student content: it only
// moves focus and copies what the TA typed.
(function () {
  "use strict";
  var sheet = window.HW3_SHEET;
  var prefix = "hw3-packet:" + sheet.id + ":";
  var pointsOf = {};
  sheet.columns.forEach(function (c) { pointsOf[c.name] = c.points; });

  function key(row, col) { return prefix + JSON.stringify([row, col]); }
  function stored(row, col) { return localStorage.getItem(key(row, col)) || ""; }
  function fields() { return Array.prototype.slice.call(document.querySelectorAll("[data-row][data-col]")); }
  function scoreFields() { return fields().filter(function (f) { return f.dataset.col in pointsOf; }); }

  // "" when blank, "ok" when a number in 0..points, else a short reason.
  function verdict(col, text) {
    text = text.trim();
    if (text === "") { return ""; }
    if (!/^[0-9]*\.?[0-9]+$/.test(text)) { return "not a number"; }
    var value = parseFloat(text);
    return value <= pointsOf[col] ? "ok" : "more than " + pointsOf[col];
  }

  function mark(field) {
    if (!(field.dataset.col in pointsOf)) { return; }
    var v = verdict(field.dataset.col, field.value);
    field.classList.toggle("invalid", v !== "" && v !== "ok");
    field.title = v === "" || v === "ok" ? "" : v;
    var card = field.closest(".card, .item");
    if (card) { card.classList.toggle("scored", v === "ok"); }
  }

  function progress() {
    document.querySelectorAll("[data-progress-col], [data-progress-row]").forEach(function (span) {
      var col = span.dataset.progressCol, row = span.dataset.progressRow, done = 0, all = 0;
      sheet.rows.forEach(function (r) {
        sheet.columns.forEach(function (c) {
          if ((col && c.name === col) || (row && r.submission === row && (!span.dataset.part || c.part === span.dataset.part))) {
            all += 1;
            if (verdict(c.name, stored(r.submission, c.name)) === "ok") { done += 1; }
          }
        });
      });
      span.textContent = done + " / " + all;
      span.classList.toggle("done", done === all);
    });
  }

  function restore() {
    fields().forEach(function (f) { f.value = stored(f.dataset.row, f.dataset.col); mark(f); });
    progress();
  }

  function save(field) {
    var k = key(field.dataset.row, field.dataset.col);
    if (field.value === "") { localStorage.removeItem(k); } else { localStorage.setItem(k, field.value); }
    mark(field);
    progress();
    filter();
  }

  function go(link) {
    var a = document.querySelector(link);
    if (a) { window.location.href = a.href; }
  }

  function move(from, step) {
    var all = scoreFields(), at = all.indexOf(from) + step;
    if (at >= 0 && at < all.length) {
      show(all[at]);
    } else if (at >= all.length) {
      go("a[rel=next]");
    } else {
      go("a[rel=prev]");
    }
  }

  // Focus a score box and bring its answer into view: a card from its top, an item only as far as needed.
  function show(field) {
    field.focus({preventScroll: true});
    var card = field.closest(".card");
    (card || field.closest(".item")).scrollIntoView({block: card ? "start" : "nearest"});
  }

  function typing(target) { return target.matches && target.matches("input, textarea"); }

  function onKey(event) {
    var t = event.target;
    if (t.dataset && t.dataset.col in pointsOf && event.key === "Enter") {
      event.preventDefault();
      move(t, event.shiftKey ? -1 : 1);
      return;
    }
    if (typing(t) && event.key === "Escape") { t.blur(); return; }
    if (typing(t) || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var all = scoreFields(), current = all.indexOf(document.activeElement);
    if (event.key === "j" || event.key === "k") {
      var visible = all.filter(function (f) { return f.closest(".card, .item").offsetParent !== null; });
      var at = event.key === "j" ? 0 : visible.length - 1;
      if (current >= 0) { at = visible.indexOf(all[current]) + (event.key === "j" ? 1 : -1); }
      if (visible[at]) { show(visible[at]); }
    } else if (event.key === "n") { go("a[rel=next]"); }
    else if (event.key === "p") { go("a[rel=prev]"); }
    else if (event.key === "u") {
      var box = document.getElementById("unscored");
      if (box) { box.checked = !box.checked; filter(); }
    }
  }

  function filter() {
    var box = document.getElementById("unscored");
    if (!box) { return; }
    document.querySelectorAll(".card").forEach(function (card) {
      card.hidden = box.checked && card.classList.contains("scored") && !card.contains(document.activeElement);
    });
  }

  function csvCell(text) {
    return /[",\r\n]|^\s|\s$/.test(text) ? "\"" + text.replace(/"/g, "\"\"") + "\"" : text;
  }

  function csv() {
    var lines = [sheet.header.map(csvCell).join(",")], problems = [];
    sheet.rows.forEach(function (r, n) {
      var cells = [r.submission, r.student_number, r.full_name];
      sheet.columns.forEach(function (c) {
        var score = stored(r.submission, c.name).trim(), v = verdict(c.name, score);
        if (v !== "" && v !== "ok") {
          problems.push("row " + (n + 2) + " (" + r.submission + "), " + c.label + ": " + JSON.stringify(score) + " is " + v);
        }
        cells.push(score, stored(r.submission, c.comment).trim());
      });
      lines.push(cells.map(csvCell).join(","));
    });
    return {text: lines.join("\n") + "\n", problems: problems};
  }

  function say(lines) {
    var box = document.getElementById("message");
    box.textContent = "";
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.textContent = line;
      box.appendChild(p);
    });
    box.hidden = lines.length === 0;
  }

  function download() {
    var built = csv();
    if (built.problems.length) {
      say(["Fix these scores first (nothing was downloaded):"].concat(built.problems.slice(0, 20)));
      return;
    }
    say([]);
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([built.text], {type: "text/csv;charset=utf-8"}));
    link.download = "manual_scores.csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  document.addEventListener("DOMContentLoaded", function () {
    restore();
    document.addEventListener("input", function (e) { if (e.target.dataset && e.target.dataset.col) { save(e.target); } });
    document.addEventListener("keydown", onKey);
    document.addEventListener("focusin", function (e) {
      if (e.target.dataset && e.target.dataset.col in pointsOf) { e.target.select(); }  // typing replaces a score
      var frame = document.getElementById("rubric");
      if (frame && e.target.dataset && e.target.dataset.anchor) {
        frame.src = frame.dataset.page + "#" + e.target.dataset.anchor;
      }
    });
    window.addEventListener("storage", function (e) { if (e.key && e.key.indexOf(prefix) === 0) { restore(); } });
    document.querySelectorAll("button.download").forEach(function (b) { b.addEventListener("click", download); });
    var box = document.getElementById("unscored");
    if (box) { box.addEventListener("change", filter); }
    var first = document.querySelector("[data-autofocus]");
    if (first) { first.focus(); }
  });
}());
