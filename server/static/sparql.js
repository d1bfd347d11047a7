// Query page: a small SPARQL highlighter under a transparent textarea, example queries, and a results table.
(function () {
  "use strict";
  var KEYWORDS = ("BASE PREFIX SELECT CONSTRUCT DESCRIBE ASK WHERE FROM NAMED GRAPH OPTIONAL UNION MINUS FILTER " +
    "BIND VALUES AS DISTINCT REDUCED ORDER BY ASC DESC LIMIT OFFSET GROUP HAVING SERVICE SILENT NOT EXISTS IN " +
    "INSERT DELETE DATA WITH USING CLEAR DROP CREATE LOAD ADD MOVE COPY DEFAULT ALL INTO TO UNDEF A COUNT SUM " +
    "MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL " +
    "FLOOR ROUND CONCAT STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR " +
    "MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF " +
    "STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE TRUE FALSE").split(" ");
  var KW = {};
  KEYWORDS.forEach(function (k) { KW[k] = true; });
  var TOKEN = new RegExp([
    "(#[^\\n]*)",                                                    // 1 comment
    "(\"\"\"[\\s\\S]*?(?:\"\"\"|$)|'''[\\s\\S]*?(?:'''|$)|\"(?:[^\"\\\\\\n]|\\\\.)*\"?|'(?:[^'\\\\\\n]|\\\\.)*'?)", // 2 string
    "(<[^<>\"{}|^`\\\\\\s]*>)",                                      // 3 IRI
    "([?$][A-Za-z0-9_\\u00C0-\\uFFFF]+)",                            // 4 variable
    "([A-Za-z_][\\w.-]*:[\\w.:%-]*|:[\\w.:%-]*)",                    // 5 prefixed name
    "([A-Za-z_][A-Za-z0-9_]*)",                                      // 6 word
    "([+-]?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)"                      // 7 number
  ].join("|"), "g");

  function esc(s) { return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); }

  function highlight(text) {
    var out = "", last = 0, m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text)) !== null) {
      if (m[0] === "") { TOKEN.lastIndex++; continue; }
      out += esc(text.slice(last, m.index));
      var cls = m[1] ? "cmt" : m[2] ? "str" : m[3] ? "iri" : m[4] ? "var" : m[5] ? "pn" :
        m[6] ? (KW[m[6].toUpperCase()] ? "kw" : null) : m[7] ? "num" : null;
      out += cls ? '<span class="tok-' + cls + '">' + esc(m[0]) + "</span>" : esc(m[0]);
      last = m.index + m[0].length;
    }
    return out + esc(text.slice(last)) + "\n";
  }
  window.highlightSparql = highlight;

  // configuration from the page as JSON data (the Content-Security-Policy allows no inline script)
  var config = document.getElementById("kg-config");
  var KG = window.KG = config ? JSON.parse(config.textContent) : {};
  var ta = document.getElementById("query");
  var code = document.getElementById("highlight");
  var status = document.getElementById("status");
  var results = document.getElementById("results");
  if (!ta) { return; }
  function sync() { code.innerHTML = highlight(ta.value); code.parentNode.scrollTop = ta.scrollTop; }
  ta.addEventListener("input", sync);
  ta.addEventListener("scroll", sync);
  sync();

  Array.prototype.forEach.call(document.querySelectorAll("button.example"), function (b) {
    b.addEventListener("click", function () { ta.value = b.getAttribute("data-query"); sync(); run(); });
  });

  // IRIs minted under the dataset's base IRI have pages here (the base may name another host or port)
  function localLink(iri) {
    var base = KG.base || (window.location.origin + "/");
    if (iri.indexOf(base) !== 0 || iri.indexOf("#") >= 0) { return iri; }
    var rest = iri.slice(base.length);
    return /^(entity|doc|event|statement)\/./.test(rest) ? "/" + rest : iri;
  }

  function cell(term) {
    var td = document.createElement("td");
    if (!term) { return td; }
    if (term.type === "uri" && /^https?:/i.test(term.value)) {
      var a = document.createElement("a");
      a.href = localLink(term.value);
      a.textContent = term.value;
      td.appendChild(a);
    } else if (term.type === "uri") {
      td.textContent = term.value;  // only http(s) IRIs become links: never javascript:, data:, ...
    } else if (term.type === "bnode") {
      td.textContent = "_:" + term.value;
    } else if (term.type === "triple") {
      td.textContent = "<< " + JSON.stringify(term.value) + " >>";
    } else {
      td.appendChild(document.createTextNode(term.value));
      var meta = term["xml:lang"] ? "@" + term["xml:lang"] : term.datatype ?
        "^^" + term.datatype.replace("http://www.w3.org/2001/XMLSchema#", "xsd:") : "";
      if (meta) {
        var s = document.createElement("span");
        s.className = "lit-meta";
        s.textContent = " " + meta;
        td.appendChild(s);
      }
    }
    return td;
  }

  function renderJson(data) {
    results.innerHTML = "";
    if (typeof data.boolean === "boolean") {
      var p = document.createElement("p");
      p.className = "boolean";
      p.textContent = "ASK → " + data.boolean;
      results.appendChild(p);
      return 1;
    }
    var vars = data.head.vars, rows = data.results.bindings;
    var table = document.createElement("table");
    table.id = "results-table";
    var tr = document.createElement("tr");
    vars.forEach(function (v) { var th = document.createElement("th"); th.textContent = "?" + v; tr.appendChild(th); });
    table.appendChild(tr);
    rows.forEach(function (row) {
      var r = document.createElement("tr");
      vars.forEach(function (v) { r.appendChild(cell(row[v])); });
      table.appendChild(r);
    });
    results.appendChild(table);
    return rows.length;
  }

  function renderText(text) {
    results.innerHTML = "";
    var pre = document.createElement("pre");
    pre.textContent = text;
    results.appendChild(pre);
  }

  function run(ev) {
    if (ev) { ev.preventDefault(); }
    var fmt = document.getElementById("download-format").value;
    var query = ta.value;
    if (fmt) {
      window.location = KG.endpoint + "?format=" + fmt + "&query=" + encodeURIComponent(query);
      return;
    }
    status.className = "";
    status.textContent = "running…";
    var started = performance.now();
    fetch(KG.endpoint, {
      method: "POST",
      headers: {"Content-Type": "application/sparql-query",
                "Accept": "application/sparql-results+json, text/turtle;q=0.9"},
      body: query
    }).then(function (resp) {
      return resp.text().then(function (body) { return {resp: resp, body: body}; });
    }).then(function (r) {
      var ms = Math.round(performance.now() - started);
      if (!r.resp.ok) {
        status.className = "error";
        status.textContent = "Error " + r.resp.status + ": " + r.body;
        results.innerHTML = "";
        return;
      }
      var type = r.resp.headers.get("Content-Type") || "";
      var n = r.resp.headers.get("X-KG-Rows");
      if (type.indexOf("sparql-results+json") >= 0) { n = renderJson(JSON.parse(r.body)); } else { renderText(r.body); }
      var truncated = r.resp.headers.get("X-KG-Truncated") ? " (truncated by the server's row limit)" : "";
      status.textContent = n + (String(n) === "1" ? " result" : " results") + " in " + ms + " ms" + truncated;
    }).catch(function (e) {
      status.className = "error";
      status.textContent = "Request failed: " + e;
    });
  }
  document.getElementById("query-form").addEventListener("submit", run);
  ta.addEventListener("keydown", function (e) { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { run(e); } });
  if (KG.autorun) { run(); }
})();
