// The grading packet's only script: marks kept in localStorage, rubric items, keyboard, names switch,
// the CSV download and the loading of a CSV back in.
//
// Every page loads sheet.js first, which sets window.HW3_SHEET = {id, header, legacy_header, columns, rows}:
// columns [{name, comment, applied, adjust, answer, points, label, part, items: [{id, points}]}],
// rows [{submission, student_number, full_name, pseudonym, answers: {column: hash}}].
// A gradable unit (a question's card, a theory item) is an element .unit with data-row (a submission),
// data-col (a score column) and data-hash (the answer's hash now). Its mark is stored under
// "hw3-packet:<id>:" + JSON [row, col] as JSON {a: [item ids], x: "adjustment as typed", c: "comment",
// h: "hash of the answer it was given to"}: one key per unit, so two open pages never overwrite each
// other. The score is the items' points plus the adjustment; blank (no item, no adjustment) is not
// graded. Nothing here reads student content: it only moves focus and copies what the TA gave.
(function () {
  "use strict";
  var sheet = window.HW3_SHEET;
  var prefix = "hw3-packet:" + sheet.id + ":";
  var columns = {}, rows = {};
  sheet.columns.forEach(function (c) { columns[c.name] = c; });
  sheet.rows.forEach(function (r) { rows[r.submission] = r; });
  var EPSILON = 1e-9;

  // ---- numbers: the rule of hw3/grading/hand/numbers.py, kept the same (a test runs both on one table)
  var LOCAL = "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫−", ASCII = "01234567890123456789.-";
  var DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$/;
  function number(text) {
    text = String(text).trim();
    if (text === "") { return {value: null, why: ""}; }
    var plain = text.replace(/[۰-۹٠-٩٫−]/g, function (ch) { return ASCII.charAt(LOCAL.indexOf(ch)); });
    if (!DECIMAL.test(plain)) { return {value: null, why: JSON.stringify(text) + " is not a number: write a plain decimal like 0.5"}; }
    return {value: parseFloat(plain), why: ""};
  }
  function shown(value) { return String(Math.round(value * 1e6) / 1e6); }

  // ---- marks
  function key(row, col) { return prefix + JSON.stringify([row, col]); }
  function load(row, col) {
    var raw = localStorage.getItem(key(row, col));
    if (raw === null) { return null; }
    var mark;
    try { mark = JSON.parse(raw); } catch (e) { mark = null; }
    if (!mark || typeof mark !== "object") {  // a packet of before rubrics kept the bare score text
      mark = {a: [], x: raw, c: localStorage.getItem(key(row, columns[col].comment)) || "", h: ""};
    }
    return {a: Array.isArray(mark.a) ? mark.a.map(String) : [], x: String(mark.x || ""),
            c: String(mark.c || ""), h: String(mark.h || "")};
  }
  function store(row, col, mark) {
    if (!mark.a.length && !mark.x.trim() && !mark.c.trim()) { localStorage.removeItem(key(row, col)); }
    else { localStorage.setItem(key(row, col), JSON.stringify(mark)); }
  }
  function graded(mark) { return !!mark && (mark.a.length > 0 || mark.x.trim() !== ""); }
  function current(row, col, mark) { return !mark || !mark.h || mark.h === (rows[row].answers[col] || ""); }
  // {value, why}: the score of a mark under the rubric as it is now
  function scoreOf(col, mark) {
    var c = columns[col], sum = 0;
    mark.a.forEach(function (id) { c.items.forEach(function (item) { if (item.id === id) { sum += item.points; } }); });
    var adjust = number(mark.x);
    if (adjust.why) { return {value: null, why: adjust.why}; }
    var value = sum + (adjust.value || 0);
    if (value < -EPSILON || value > c.points + EPSILON) {
      return {value: value, why: shown(value) + " is out of range: a score is from 0 to " + shown(c.points)};
    }
    return {value: value, why: ""};
  }
  // "" (not graded), "ok", "stale" (given to another answer) or "invalid"
  function status(row, col, mark) {
    if (mark === undefined) { mark = load(row, col); }
    if (!graded(mark)) { return ""; }
    if (scoreOf(col, mark).why) { return "invalid"; }
    return current(row, col, mark) ? "ok" : "stale";
  }

  // ---- units on the page
  function units() { return Array.prototype.slice.call(document.querySelectorAll(".unit")); }
  function unitOf(node) { return node && node.closest ? node.closest(".unit") : null; }
  function field(unit, name) { return unit.querySelector("[data-field=" + name + "]"); }

  function render(unit) {
    var row = unit.dataset.row, col = unit.dataset.col, mark = load(row, col);
    var given = mark || {a: [], x: "", c: "", h: ""};
    unit.querySelectorAll(".rubric-item").forEach(function (b) {
      b.setAttribute("aria-pressed", given.a.indexOf(b.dataset.item) >= 0 ? "true" : "false");
    });
    ["adjust", "comment"].forEach(function (name) {
      var f = field(unit, name), value = name === "adjust" ? given.x : given.c;
      if (f && document.activeElement !== f && f.value !== value) { f.value = value; }
    });
    var state = status(row, col, mark), total = unit.querySelector(".total"), score = graded(mark) ? scoreOf(col, given) : null;
    total.textContent = (score && score.value !== null ? shown(score.value) : "–") + " / " + shown(columns[col].points);
    total.title = score && score.why ? score.why : "";
    var adjust = field(unit, "adjust");
    adjust.classList.toggle("invalid", state === "invalid");
    adjust.title = state === "invalid" ? score.why : "";
    unit.classList.toggle("scored", state === "ok");
    unit.classList.toggle("stale", state === "stale");
    unit.querySelector(".stale").hidden = state !== "stale";
  }

  // change the mark of a unit: `edit(mark)` alters it; the mark is then tied to the answer shown
  function change(unit, edit) {
    var row = unit.dataset.row, col = unit.dataset.col;
    var mark = load(row, col) || {a: [], x: "", c: "", h: ""};
    edit(mark);
    mark.h = unit.dataset.hash;
    store(row, col, mark);
    render(unit);
    progress();
  }

  function toggleItem(unit, id) {
    change(unit, function (mark) {
      var at = mark.a.indexOf(id);
      if (at >= 0) { mark.a.splice(at, 1); } else { mark.a.push(id); }
    });
  }
  function zero(unit) { change(unit, function (mark) { mark.a = []; mark.x = "0"; }); }

  function progress() {
    document.querySelectorAll("[data-progress-col], [data-progress-row]").forEach(function (span) {
      var col = span.dataset.progressCol, row = span.dataset.progressRow, done = 0, all = 0, stale = 0;
      sheet.rows.forEach(function (r) {
        sheet.columns.forEach(function (c) {
          if ((col && c.name === col) || (row && r.submission === row && (!span.dataset.part || c.part === span.dataset.part))) {
            all += 1;
            var s = status(r.submission, c.name);
            if (s === "ok") { done += 1; } else if (s === "stale") { stale += 1; }
          }
        });
      });
      span.textContent = done + " / " + all + (stale ? " (" + stale + " changed since scored)" : "");
      span.classList.toggle("done", done === all);
    });
    filter();
  }

  function restore() { units().forEach(render); names(); progress(); }

  // ---- names: pseudonyms unless the switch is on
  function names() {
    var box = document.getElementById("show-names"), on = localStorage.getItem(prefix + "show-names") === "1";
    if (box) { box.checked = on; }
    document.querySelectorAll("[data-who]").forEach(function (span) {
      var r = rows[span.dataset.who];
      if (!r) { return; }
      span.textContent = on ? r.pseudonym + " · " + [r.student_number, r.full_name].filter(Boolean).join(" · ") : r.pseudonym;
    });
  }

  // ---- moving
  var lastUnit = null;
  function go(link) {
    var a = document.querySelector(link);
    if (a) { window.location.href = a.href; }
  }
  function visible() { return units().filter(function (u) { return !u.hidden && u.offsetParent !== null; }); }
  // Focus a unit and bring it into view: a card from its top, a theory item only as far as needed.
  function focusUnit(unit) {
    lastUnit = unit;
    unit.focus({preventScroll: true});
    unit.scrollIntoView({block: unit.classList.contains("card") ? "start" : "nearest"});
  }
  // the unit to move from: the focused one, else the last one used, else none (start at the first in view)
  function origin() { return unitOf(document.activeElement) || (lastUnit && document.contains(lastUnit) ? lastUnit : null); }
  function firstInView(list) {
    for (var i = 0; i < list.length; i += 1) { if (list[i].getBoundingClientRect().bottom > 60) { return list[i]; } }
    return list[0];
  }
  function move(step) {
    var list = visible(), from = origin(), at;
    if (!from || list.indexOf(from) < 0) {
      var start = firstInView(list);
      if (start) { focusUnit(start); }
      return;
    }
    at = list.indexOf(from) + step;
    if (at >= 0 && at < list.length) { focusUnit(list[at]); }
    else if (at >= list.length) { go("a[rel=next]"); }
    else { go("a[rel=prev]"); }
  }

  function typing(target) { return target.matches && target.matches("input[type=text], input:not([type]), textarea"); }

  function onKey(event) {
    var t = event.target, unit = unitOf(t);
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (typing(t)) {
      if (event.key === "Escape" && unit) { event.preventDefault(); focusUnit(unit); }
      else if (event.key === "Enter" && t.dataset.field === "adjust") { event.preventDefault(); move(event.shiftKey ? -1 : 1); }
      return;
    }
    var target = unit || origin(), handled = true;
    if (event.key === "j" || (event.key === "Enter" && !event.shiftKey && unit)) { move(1); }
    else if (event.key === "k" || (event.key === "Enter" && event.shiftKey && unit)) { move(-1); }
    else if (event.key === "n") { go("a[rel=next]"); }
    else if (event.key === "p") { go("a[rel=prev]"); }
    else if (event.key === "u") {
      var box = document.getElementById("unscored");
      if (box) { box.checked = !box.checked; filter(); } else { handled = false; }
    } else if (target && /^[0-9.]$/.test(event.key) && !columns[target.dataset.col].items.length) {
      var box_ = field(target, "adjust");  // no rubric: the digit starts the score
      box_.focus();
      box_.value = event.key;
      change(target, function (mark) { mark.x = event.key; });
    } else if (target && /^[1-9]$/.test(event.key)) {
      var item = columns[target.dataset.col].items[Number(event.key) - 1];
      if (item) { toggleItem(target, item.id); focusUnit(target); } else { handled = false; }
    } else if (target && event.key === "0") { zero(target); focusUnit(target); }
    else if (target && event.key === "a") { field(target, "adjust").focus(); }
    else if (target && event.key === "c") { field(target, "comment").focus(); }
    else if (target && event.key === "K" && target.classList.contains("stale")) { change(target, function () {}); }
    else { handled = false; }
    if (handled) { event.preventDefault(); }  // a key that did something never also types
  }

  function filter() {
    var box = document.getElementById("unscored");
    if (!box) { return; }
    document.querySelectorAll(".card").forEach(function (card) {
      card.hidden = box.checked && card.classList.contains("scored") && !card.contains(document.activeElement);
    });
  }

  // ---- the CSV out
  function csvCell(text) {
    return /[",\r\n]|^\s|\s$/.test(text) ? "\"" + text.replace(/"/g, "\"\"") + "\"" : text;
  }
  function csv() {
    var lines = [sheet.header.map(csvCell).join(",")], problems = [];
    sheet.rows.forEach(function (r, n) {
      var cells = {submission: r.submission, student_number: r.student_number, full_name: r.full_name};
      sheet.columns.forEach(function (c) {
        var mark = load(r.submission, c.name);
        cells[c.answer] = mark && mark.h ? mark.h : r.answers[c.name] || "";
        if (!mark) { return; }
        var score = graded(mark) ? scoreOf(c.name, mark) : {value: null, why: ""};
        if (score.why) { problems.push("row " + (n + 2) + " (" + r.pseudonym + "), " + c.label + ": " + score.why); }
        cells[c.name] = score.value === null ? "" : shown(score.value);
        cells[c.comment] = mark.c.trim();
        cells[c.applied] = mark.a.join(" ");
        cells[c.adjust] = mark.x.trim() === "" ? "" : shown(number(mark.x).value || 0);
      });
      lines.push(sheet.header.map(function (name) { return csvCell(cells[name] || ""); }).join(","));
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

  // ---- a CSV in: RFC 4180 records (quotes, doubled quotes, line breaks inside quotes)
  function parseCsv(text) {
    var records = [], record = [], cell = "", quoted = false, i, ch;
    text = text.replace(/^\uFEFF/, "");
    for (i = 0; i < text.length; i += 1) {
      ch = text.charAt(i);
      if (quoted) {
        if (ch === "\"" && text.charAt(i + 1) === "\"") { cell += "\""; i += 1; }
        else if (ch === "\"") { quoted = false; }
        else { cell += ch; }
      } else if (ch === "\"") { quoted = true; }
      else if (ch === ",") { record.push(cell); cell = ""; }
      else if (ch === "\n" || ch === "\r") {
        if (ch === "\r" && text.charAt(i + 1) === "\n") { i += 1; }
        record.push(cell); records.push(record); record = []; cell = "";
      } else { cell += ch; }
    }
    if (cell !== "" || record.length) { record.push(cell); records.push(record); }
    return records;
  }

  // {marks: [[row, col, mark]], problems: [...]}: every cell checked as `hw3 grade --manual` checks it
  function marksIn(records) {
    var header = records[0] || [], problems = [], found = [];
    var legacy = JSON.stringify(header) === JSON.stringify(sheet.legacy_header);
    if (!legacy && JSON.stringify(header) !== JSON.stringify(sheet.header)) {
      return {marks: [], problems: ["the header is not the one of this packet's manual_scores.csv"]};
    }
    records.slice(1).forEach(function (record, n) {
      if (!record.some(function (cell) { return cell.trim(); })) { return; }
      var cells = {};
      header.forEach(function (name, i) { cells[name] = record[i] || ""; });
      var r = rows[cells.submission], where = "row " + (n + 2);
      if (!r) { problems.push(where + ": " + JSON.stringify(cells.submission) + " is not a submission of this packet"); return; }
      sheet.columns.forEach(function (c) {
        var applied = (cells[c.applied] || "").split(/\s+/).filter(Boolean);
        var known = c.items.map(function (item) { return item.id; });
        applied.forEach(function (id) { if (known.indexOf(id) < 0) { problems.push(where + ", " + c.applied + ": " + JSON.stringify(id) + " is not an item of " + c.label); } });
        var x = (cells[c.adjust] || "").trim();
        if (!applied.length && !x) { x = cells[c.name].trim(); }
        var mark = {a: applied, x: x, c: cells[c.comment].trim(), h: (cells[c.answer] || "").trim() || r.answers[c.name] || ""};
        if (!graded(mark) && !mark.c) { return; }
        var score = graded(mark) ? scoreOf(c.name, mark) : {why: ""};
        if (score.why) { problems.push(where + ", " + c.name + ": " + score.why); return; }
        found.push([r.submission, c.name, mark]);
      });
    });
    return {marks: found, problems: problems};
  }

  function same(x, y) { return JSON.stringify([x.a.slice().sort(), x.x, x.c, x.h]) === JSON.stringify([y.a.slice().sort(), y.x, y.c, y.h]); }

  function loadFile(file) {
    var reader = new FileReader();
    reader.onload = function () {
      var got = marksIn(parseCsv(String(reader.result)));
      if (got.problems.length) {
        say([file.name + ": nothing was loaded, fix these first:"].concat(got.problems.slice(0, 20)));
        return;
      }
      var added = 0, kept = [];
      got.marks.forEach(function (entry) {
        var have = load(entry[0], entry[1]);
        if (!have) { store(entry[0], entry[1], entry[2]); added += 1; }
        else if (!same(have, entry[2])) { kept.push(rows[entry[0]].pseudonym + ", " + columns[entry[1]].label); }
      });
      say([file.name + ": loaded " + added + " mark(s) into this browser" +
           (kept.length ? "; " + kept.length + " cell(s) already held a different mark here and were kept:" : ".")].concat(kept.slice(0, 20)));
      restore();
    };
    reader.readAsText(file, "utf-8");
  }

  // ---- wiring
  var justFocused = null;
  document.addEventListener("DOMContentLoaded", function () {
    restore();
    document.addEventListener("click", function (e) {
      var unit = unitOf(e.target), button = e.target.closest && e.target.closest("button");
      if (!unit || !button) { return; }
      if (button.dataset.item) { toggleItem(unit, button.dataset.item); }
      else if (button.dataset.action === "zero") { zero(unit); }
      else if (button.dataset.action === "keep") { change(unit, function () {}); }
      lastUnit = unit;
    });
    document.addEventListener("input", function (e) {
      var unit = unitOf(e.target), name = e.target.dataset && e.target.dataset.field;
      if (!unit || !name) { return; }
      change(unit, function (mark) { if (name === "adjust") { mark.x = e.target.value; } else { mark.c = e.target.value; } });
    });
    document.addEventListener("keydown", onKey);
    document.addEventListener("focusin", function (e) {
      var unit = unitOf(e.target);
      if (unit) { lastUnit = unit; }
      if (e.target.dataset && e.target.dataset.field === "adjust") { e.target.select(); justFocused = e.target; }  // typing replaces
      var frame = document.getElementById("rubric");
      if (frame && unit && unit.dataset.anchor) { frame.src = frame.dataset.page + "#" + unit.dataset.anchor; }
    });
    // a click into a score box selects its value, focused or not, so typing replaces it (a click's
    // mouseup would otherwise place the caret: 0.5, click, 1 gave 0.51)
    document.addEventListener("mouseup", function (e) {
      if (e.target.dataset && e.target.dataset.field === "adjust") { e.preventDefault(); e.target.select(); }
      justFocused = null;
    });
    window.addEventListener("storage", function (e) { if (e.key && e.key.indexOf(prefix) === 0) { restore(); } });
    document.querySelectorAll("button.download").forEach(function (b) { b.addEventListener("click", download); });
    var box = document.getElementById("unscored");
    if (box) { box.addEventListener("change", filter); }
    var switcher = document.getElementById("show-names");
    if (switcher) { switcher.addEventListener("change", function () { localStorage.setItem(prefix + "show-names", switcher.checked ? "1" : "0"); names(); }); }
    var loader = document.getElementById("load");
    if (loader) { loader.addEventListener("change", function () { if (loader.files[0]) { loadFile(loader.files[0]); } loader.value = ""; }); }
    var first = document.querySelector("[data-autofocus]");
    if (first) { lastUnit = first; first.focus({preventScroll: true}); window.scrollTo(0, 0); }
  });
  window.HW3 = {number: number, parseCsv: parseCsv};  // for the tests that compare it with numbers.py
}());
