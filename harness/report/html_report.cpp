#include "report/html_report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "compare/compare_format.h"
#include "report/svg_chart.h"

namespace vm::harness {
namespace {

using json = nlohmann::json;
using svg::escape;

const char* kStyle = R"CSS(
:root{--fg:#1d2430;--muted:#667085;--line:#d0d5dd;--bg:#fff;--soft:#f5f7fa;
--red:#c62828;--red-bg:#fdecea;--green:#2e7d32;--green-bg:#e8f5e9;--amber:#a15c00;--amber-bg:#fff4e0;
--blue:#1f5fbf;--grey-bg:#eef0f3}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1280px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.muted{color:var(--muted);fill:var(--muted)}
#summary{border-radius:10px;padding:16px 20px;border:1px solid var(--line);background:var(--soft)}
#summary.v-regression{background:var(--red-bg);border-color:#f5b7b1}
#summary.v-no-regression{background:var(--green-bg);border-color:#b7dfb9}
.chips{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0 6px}
.chip{border-radius:999px;padding:2px 10px;background:var(--grey-bg);font-weight:600}
.chip.regression{background:var(--red);color:#fff}.chip.improvement{background:var(--green);color:#fff}
.chip.inconclusive{background:var(--amber-bg);color:var(--amber)}
.notes li{margin:2px 0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--soft);position:sticky;top:0;z-index:1;white-space:nowrap}
th[data-key]{cursor:pointer}th[data-key]:hover{background:#e7ebf0}
th[aria-sort=ascending]::after{content:" \25B2"}th[aria-sort=descending]::after{content:" \25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.row{cursor:pointer}tr.row:hover{background:#f0f4fa}
tr.details>td{background:#fbfcfd;padding:12px 16px}
.verdict{font-weight:600;white-space:nowrap}
.verdict.regression{color:var(--red)}.verdict.improvement{color:var(--green)}
.verdict.inconclusive{color:var(--amber)}.verdict.unchanged,.verdict.not-compared{color:var(--muted)}
.fp td.diff{background:var(--amber-bg)}
summary{cursor:pointer}.mismatches{margin:6px 0}
.controls{display:flex;gap:12px;align-items:center;margin:8px 0}
.controls input{padding:4px 8px;width:320px;border:1px solid var(--line);border-radius:6px}
.detail-grid{display:flex;flex-wrap:wrap;gap:24px}
.counters td{padding:1px 8px;font-size:12.5px}.counters tr.changed td{background:var(--red-bg)}
td.name{min-width:320px;overflow-wrap:anywhere}td.name .note{color:var(--muted);font-size:12px;margin-top:2px}
svg.chart{font-size:11px;font-family:inherit;overflow:visible}
svg.chart text{fill:var(--fg)}svg.chart text.tick,svg.chart text.muted{fill:var(--muted)}
svg.chart .axis{stroke:#98a2b3;stroke-width:1}
svg.strip circle.base{fill:#98a2b3;fill-opacity:.8}svg.strip circle.cur{fill:var(--blue);fill-opacity:.85}
svg.strip line.median{stroke-width:2.5}svg.strip line.median.base{stroke:#475467}svg.strip line.median.cur{stroke:#0b3d91}
svg.spark polyline,svg.trend polyline{fill:none;stroke:var(--blue);stroke-width:1.5}
svg.spark circle{fill:var(--blue)}svg.trend circle{fill:var(--blue)}svg.trend circle.this{fill:#f59e0b;stroke:#7c4a00}
svg.chart line.step{stroke:var(--red);stroke-width:1.5;stroke-dasharray:4 3}
svg.trend text.steplabel{fill:var(--red);font-weight:600}
svg.bars rect{fill:var(--blue);fill-opacity:.8}svg.bars line.marker{stroke:var(--fg);stroke-width:2}
svg.bars text.group{font-weight:700}
#tlb-table tr.trace-start td{border-top:2px solid #98a2b3}
#tlb-table tr.best td{background:var(--green-bg)}#tlb-table .star{color:var(--green);font-weight:700}
#tlb-table .params{color:var(--muted);font-size:12px}#tlb-table th{white-space:normal}
#tlb-table td.trace{white-space:nowrap}
#js-errors:empty{display:none}#js-errors{background:var(--red-bg);color:var(--red);padding:8px}
footer{margin-top:32px;color:var(--muted);font-size:12.5px}
)CSS";

// Records every script error before anything else runs, so that a test (and
// a reader) sees it in the page itself.
const char* kErrorCapture = R"JS(
window.vmbenchErrors=[];
window.addEventListener('error',function(e){window.vmbenchErrors.push(String(e.message||e));
var p=document.getElementById('js-errors');if(p){p.textContent=window.vmbenchErrors.join('\n');}});
)JS";

const char* kScript = R"JS(
(function(){
'use strict';
var table=document.getElementById('benchmarks');
if(!table){document.documentElement.setAttribute('data-ready','1');return;}
var heads=Array.prototype.slice.call(table.querySelectorAll('th[data-key]'));
function value(tbody,key,numeric){
  var v=tbody.getAttribute('data-'+key);
  if(!numeric){return v||'';}
  return (v===null||v==='')?null:parseFloat(v);
}
function sortBy(th){
  var key=th.getAttribute('data-key'),numeric=th.getAttribute('data-type')==='num';
  var dir=th.getAttribute('aria-sort')==='ascending'?-1:1;
  heads.forEach(function(h){h.removeAttribute('aria-sort');});
  th.setAttribute('aria-sort',dir>0?'ascending':'descending');
  var bodies=Array.prototype.slice.call(table.tBodies);
  bodies.sort(function(a,b){
    var x=value(a,key,numeric),y=value(b,key,numeric),c=0;
    if(numeric){
      if(x===null&&y===null){c=0;}else if(x===null){return 1;}else if(y===null){return -1;}else{c=(x-y)*dir;}
    }else{c=x<y?-dir:(x>y?dir:0);}
    if(c===0){var n=value(a,'name',false),m=value(b,'name',false);c=n<m?-1:(n>m?1:0);}
    return c;
  });
  var frag=document.createDocumentFragment();
  bodies.forEach(function(b){frag.appendChild(b);});
  table.appendChild(frag);
}
heads.forEach(function(th){
  th.addEventListener('click',function(){sortBy(th);});
  th.addEventListener('keydown',function(e){if(e.key==='Enter'){sortBy(th);}});
});
table.addEventListener('click',function(e){
  var row=e.target.closest?e.target.closest('tr.row'):null;
  if(!row){return;}
  var d=row.nextElementSibling;
  if(d){d.hidden=!d.hidden;row.setAttribute('aria-expanded',String(!d.hidden));}
});
var box=document.getElementById('filter'),select=document.getElementById('verdict-filter');
var shown=document.getElementById('shown');
function applyFilter(){
  var text=(box.value||'').toLowerCase(),verdict=select.value,n=0;
  Array.prototype.forEach.call(table.tBodies,function(b){
    var ok=(value(b,'name',false).toLowerCase().indexOf(text)>=0)&&(!verdict||value(b,'verdict',false)===verdict);
    b.hidden=!ok;if(ok){n++;}
  });
  shown.textContent=String(n);
}
if(box&&select&&shown){box.addEventListener('input',applyFilter);select.addEventListener('change',applyFilter);}
var expand=document.getElementById('expand-flagged');
if(expand){expand.addEventListener('click',function(){
  Array.prototype.forEach.call(table.tBodies,function(b){
    var v=value(b,'verdict',false);
    if(v==='regression'||v==='improvement'){var r=b.rows[0],d=b.rows[1];if(d){d.hidden=false;r.setAttribute('aria-expanded','true');}}
  });
});}
if(location.hash==='#time-sort'){
  var t0=performance.now();
  heads.forEach(function(th){sortBy(th);sortBy(th);});
  document.documentElement.setAttribute('data-sort-ms',String(Math.round((performance.now()-t0)/(2*heads.length))));
  if(box&&select&&shown){
    var t1=performance.now();box.value='t1';applyFilter();box.value='';applyFilter();
    document.documentElement.setAttribute('data-filter-ms',String(Math.round((performance.now()-t1)/2)));
  }
}
if(location.hash==='#open-all'){Array.prototype.forEach.call(table.tBodies,function(b){if(b.rows[1]){b.rows[1].hidden=false;}});}
document.documentElement.setAttribute('data-ready','1');
})();
)JS";

std::string str(const json& j, const char* key, const std::string& fallback = "") {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : fallback;
}
double number(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN;
}
std::string fixed(double v, int digits) {
  if (!std::isfinite(v)) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
std::string attr_number(double v) {
  if (!std::isfinite(v)) return "";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}
// A verdict as a CSS class: letters, digits and '-' only (the page is
// rendered from report.json, which a reader may have edited).
std::string css_name(const std::string& s) {
  std::string out;
  for (char c : s)
    out += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return out;
}
std::string counter_text(const json& v) {
  if (v.is_null()) return "—";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}
int verdict_rank(const std::string& v) {
  if (v == "regression") return 0;
  if (v == "inconclusive") return 1;
  if (v == "improvement") return 2;
  if (v == "unchanged") return 3;
  return 4;
}
std::string short_commit(const std::string& c) { return c.substr(0, 12); }

std::string interval_text(const json& b) {
  const double lo = number(b, "ratio_low"), hi = number(b, "ratio_high");
  if (!std::isfinite(lo) || !std::isfinite(hi)) return "-";
  return "[" + format_change_percent(lo) + ", " + format_change_percent(hi) + "]";
}

void summary_section(const json& r, std::string& out) {
  const json& s = r["summary"];
  const std::string verdict = str(s, "verdict");
  const json& cur = r["current"];
  out += "<section id=\"summary\" class=\"v-" + css_name(verdict) + "\">";
  out += "<h1>" + escape(str(s, "headline")) + "</h1>";
  out += "<div class=\"muted\">suite <b>" + escape(str(cur, "suite", "(none)")) + "</b> · run " +
         escape(str(cur, "started", "(time unknown)")) + " on <b>" +
         escape(str(cur, "machine", "(unknown machine)")) + "</b>";
  if (cur["fingerprint"].is_object())
    out += " · commit <code>" +
           escape(short_commit(str(cur["fingerprint"]["build"], "git_commit", "unknown"))) + "</code>";
  if (!r["baseline"].is_null())
    out += " · baseline <code>" + escape(str(r["baseline"], "path")) + "</code>";
  out += " · metric " + escape(str(r, "metric")) + "</div>";
  out += "<div class=\"chips\">";
  out += "<span class=\"chip\">" + std::to_string(s["benchmarks"].get<size_t>()) + " benchmarks</span>";
  for (const char* v : {"regression", "improvement", "unchanged", "inconclusive", "not compared"}) {
    const int n = s["counts"].value(v, 0);
    if (n == 0 && std::string(v) == "not compared") continue;
    out += "<span class=\"chip" + (n > 0 ? " " + css_name(v) : std::string()) + "\" data-count=\"" + css_name(v) + "\">" +
           std::to_string(n) + " " + v + "</span>";
  }
  const double g = number(s, "geomean_ratio");
  out += "<span class=\"chip\" id=\"geomean\">geometric-mean change " +
         (std::isfinite(g) ? format_change_percent(g) : std::string("-")) + "</span>";
  if (!r["history"].is_null())
    out += "<span class=\"chip\">" + std::to_string(s["recent_change_points"].get<size_t>()) +
           " change points in the last " + std::to_string(r["history"]["nights_shown"].get<size_t>()) +
           " nights</span>";
  out += "</div>";
  if (!s["notes"].empty()) {
    out += "<ul class=\"notes\">";
    for (const json& n : s["notes"]) out += "<li>" + escape(n.get<std::string>()) + "</li>";
    out += "</ul>";
  }
  out += "</section>";
}

void fingerprint_section(const json& r, std::string& out) {
  out += "<section id=\"fingerprints\"><h2>Fingerprints</h2>";
  const json& a = r["current"]["fingerprint"];
  const json none;
  const json& b = r["baseline"].is_null() ? none : r["baseline"]["fingerprint"];
  if (!a.is_object() && !b.is_object()) {
    out += "<p class=\"muted\">Neither side has a vmbench fingerprint (plain Google Benchmark "
           "JSON or a counters baseline).</p></section>";
    return;
  }
  const bool two = !r["baseline"].is_null() && b.is_object();
  const bool baseline_unprinted = !r["baseline"].is_null() && !b.is_object();
  std::string rows;
  std::vector<std::string> differing;
  auto row = [&](const std::string& label, const std::string& x, const std::string& y) {
    const bool diff = two && x != y;
    if (diff) differing.push_back(label);
    rows += "<tr><td>" + escape(label) + "</td><td" + (diff ? " class=\"diff\"" : "") + ">" +
            escape(x) + "</td>";
    if (two) rows += "<td" + std::string(diff ? " class=\"diff\"" : "") + ">" + escape(y) + "</td>";
    rows += "</tr>";
  };
  auto field = [&](const json& fp, const char* part, const char* key) -> std::string {
    if (!fp.is_object() || !fp.contains(part) || !fp[part].contains(key)) return "—";
    const json& v = fp[part][key];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_array()) return std::to_string(v.size()) + " flags";
    if (std::string(key) == "memory_bytes" && v.is_number_unsigned())
      return fixed(double(v.get<uint64_t>()) / (1024.0 * 1024 * 1024), 1) + " GiB";
    return v.dump();
  };
  const std::string this_machine = str(r["current"], "machine", "—");
  const std::string base_machine = two ? str(r["baseline"], "machine", "—") : "";
  row("machine", this_machine, base_machine);
  for (const char* k : {"cpu_model", "logical_cpus", "memory_bytes", "kernel", "governor", "thp", "cpu_flags"})
    row(k, field(a, "machine", k), field(b, "machine", k));
  for (const char* k : {"git_commit", "git_branch", "git_dirty", "compiler", "flags", "build_type",
                        "vmbench_version", "binary_hash"})
    row(k, field(a, "build", k), field(b, "build", k));

  const json& mismatches = r["fingerprint_mismatches"];
  const bool machines_differ =
      r["comparison"].is_object() && !r["comparison"].value("machines_match", true);
  std::string line = escape(this_machine);
  if (baseline_unprinted)
    line += "; the baseline has no fingerprint (" + escape(str(r["baseline"], "kind")) +
            " file), so nothing shows it ran on this machine";
  if (two)
    line += this_machine == base_machine ? " on both sides"
                                         : " (this run) vs " + escape(base_machine) + " (baseline)";
  if (two) {
    std::string fields;
    for (size_t i = 0; i < differing.size(); ++i) fields += (i ? ", " : "") + differing[i];
    line += differing.empty() ? "; every field equal"
                              : "; " + std::to_string(differing.size()) +
                                    (differing.size() == 1 ? " field differs: " : " fields differ: ") +
                                    escape(fields);
  }
  out += std::string("<details") + (machines_differ ? " open" : "") + "><summary>" + line +
         " <span class=\"muted\">(click for every field)</span></summary>";
  if (!mismatches.empty()) {
    out += "<ul class=\"mismatches\">";
    for (const json& m : mismatches) out += "<li>" + escape(m.get<std::string>()) + "</li>";
    out += "</ul>";
  }
  out += "<table class=\"fp\"><thead><tr><th>field</th><th>this run</th>";
  if (two) out += "<th>baseline</th>";
  out += "</tr></thead><tbody>" + rows + "</tbody></table></details></section>";
}

void warnings_section(const json& r, std::string& out) {
  std::vector<std::string> lines;
  for (const json& w : r["summary"]["warnings"]) lines.push_back(w.get<std::string>());
  if (r["comparison"].is_object())
    for (const json& w : r["comparison"]["warnings"]) {
      const std::string s = w.get<std::string>();
      if (s.rfind("candidate run: ", 0) == 0 || s.rfind("base run: ", 0) == 0) continue;
      lines.push_back(s);
    }
  out += "<section id=\"warnings\"><h2>System state and warnings</h2>";
  if (lines.empty()) {
    out += "<p class=\"muted\">No warning: the runs recorded no system-state problem.</p>";
  } else {
    out += "<ul>";
    for (const std::string& l : lines) out += "<li>" + escape(l) + "</li>";
    out += "</ul>";
  }
  out += "</section>";
}

std::vector<double> doubles(const json& side) {
  std::vector<double> v;
  if (side.is_object() && side["samples_ns"].is_array())
    for (const json& x : side["samples_ns"])
      if (x.is_number()) v.push_back(x.get<double>());
  return v;
}

std::string step_label(const json& ch) {
  return format_change_percent(number(ch, "ratio")) + " at " + str(ch, "started").substr(0, 10) +
         " (" + short_commit(str(ch, "previous_commit")) + ".." + short_commit(str(ch, "commit")) + ")";
}

void benchmark_rows(const json& r, std::string& out) {
  std::vector<const json*> rows;
  for (const json& b : r["benchmarks"]) rows.push_back(&b);
  // What got slower first: by verdict, then by the size of the change.
  std::stable_sort(rows.begin(), rows.end(), [](const json* a, const json* b) {
    const int ra = verdict_rank(str(*a, "verdict")), rb = verdict_rank(str(*b, "verdict"));
    if (ra != rb) return ra < rb;
    const double ca = number(*a, "ratio"), cb = number(*b, "ratio");
    const double da = std::isfinite(ca) ? std::fabs(std::log(ca)) : -1;
    const double db = std::isfinite(cb) ? std::fabs(std::log(cb)) : -1;
    return da > db;
  });
  const bool has_trend = !r["history"].is_null();
  const int columns = has_trend ? 10 : 9;
  for (const json* bp : rows) {
    const json& b = *bp;
    const std::string verdict = str(b, "verdict");
    const double cur = number(b["current"], "median_ns"), base = number(b["baseline"], "median_ns");
    out += "<tbody class=\"bench\" data-name=\"" + escape(str(b, "name")) + "\" data-verdict=\"" +
           escape(verdict) + "\" data-rank=\"" + std::to_string(verdict_rank(verdict)) +
           "\" data-current=\"" + attr_number(cur) + "\" data-baseline=\"" + attr_number(base) +
           "\" data-change=\"" + attr_number(number(b, "ratio")) + "\" data-low=\"" +
           attr_number(number(b, "ratio_low")) + "\" data-p=\"" +
           attr_number(number(b, "p_value")) + "\" data-q=\"" + attr_number(number(b, "q_value")) +
           "\" data-threshold=\"" + attr_number(number(b, "min_effect")) + "\">";
    const std::string note = str(b, "note");
    out += "<tr class=\"row\" aria-expanded=\"false\"><td class=\"name\"><span class=\"mono\">" +
           escape(str(b, "name")) + "</span>" +
           (note.empty() ? std::string() : "<div class=\"note\">" + escape(note) + "</div>") +
           "</td><td class=\"verdict " + css_name(verdict) + "\">" + escape(verdict) + "</td>";
    out += "<td class=\"num\">" + format_duration_ns(cur) + "</td><td class=\"num\">" +
           format_duration_ns(base) + "</td>";
    const double ratio = number(b, "ratio");
    out += "<td class=\"num\">" + (std::isfinite(ratio) ? format_change_percent(ratio) : "-") + "</td>";
    out += "<td class=\"num\">" + interval_text(b) + "</td>";
    out += "<td class=\"num\">" + format_probability(number(b, "p_value")) + "</td>";
    out += "<td class=\"num\">" + format_probability(number(b, "q_value")) + "</td>";
    out += "<td class=\"num\">±" + fixed(100 * number(b, "min_effect"), 1) + "%</td>";
    std::vector<double> trend_values;
    std::vector<size_t> trend_steps;
    if (has_trend) {
      if (b["trend"].is_object()) {
        for (const json& p : b["trend"]["points"]) trend_values.push_back(number(p, "median_ns"));
        for (const json& ch : b["trend"]["changes"])
          if (ch["shown_index"].is_number()) trend_steps.push_back(ch["shown_index"].get<size_t>());
      }
      out += "<td>" + (trend_values.empty() ? std::string("<span class=\"muted\">—</span>")
                                            : svg::sparkline(trend_values, trend_steps)) +
             "</td>";
    }
    out += "</tr>";
    // Details, closed until the row is clicked.
    out += "<tr class=\"details\" hidden><td colspan=\"" + std::to_string(columns) +
           "\"><div class=\"detail-grid\"><div><b>Repetitions</b><br>";
    out += svg::strip_plot(doubles(b["baseline"]), doubles(b["current"]),
                           "repetitions of " + str(b, "name"));
    out += "<div class=\"muted\">threshold rule <code>" + escape(str(b, "rule")) + "</code>";
    if (b["counters_gate_failed"].is_boolean() && b["counters_gate_failed"].get<bool>())
      out += " · <b class=\"verdict regression\">a gating counter changed</b>";
    out += "</div></div>";
    if (!b["counters"].empty()) {
      out += "<div><b>Deterministic counters</b><table class=\"counters\"><thead><tr><th>counter</th>"
             "<th>this run</th><th>baseline</th></tr></thead><tbody>";
      for (const json& c : b["counters"]) {
        const bool changed = c["changed"].get<bool>();
        out += std::string("<tr") + (changed ? " class=\"changed\"" : "") + "><td class=\"mono\">" +
               escape(str(c, "name")) + (c["gates"].get<bool>() ? " <span class=\"muted\">(gates)</span>" : "") +
               "</td><td class=\"num mono\">" + escape(counter_text(c["current"])) +
               "</td><td class=\"num mono\">" + escape(counter_text(c["baseline"])) + "</td></tr>";
      }
      out += "</tbody></table></div>";
    }
    if (b["trend"].is_object()) {
      std::vector<svg::trend_point> points;
      for (const json& p : b["trend"]["points"])
        points.push_back({str(p, "started") + " " + short_commit(str(p, "commit")) +
                              (p.value("dirty", false) ? " (dirty)" : ""),
                          number(p, "median_ns"), p.value("this_run", false)});
      std::vector<svg::trend_step> steps;
      for (const json& ch : b["trend"]["changes"])
        if (ch["shown_index"].is_number()) steps.push_back({ch["shown_index"].get<size_t>(), step_label(ch)});
      const size_t from_history = points.size() - (b["trend"].value("this_run_appended", false) ? 1 : 0);
      out += "<div><b>Trend</b> <span class=\"muted\">(" + std::to_string(from_history) + " of " +
             std::to_string(b["trend"]["nights"].get<size_t>()) + " nights" +
             (from_history < points.size() ? ", then this run" : "") + ")</span><br>" +
             svg::trend_chart(points, steps, "trend of " + str(b, "name"));
      if (!b["trend"]["changes"].empty()) {
        out += "<ul>";
        for (const json& ch : b["trend"]["changes"])
          out += "<li>step " + escape(step_label(ch)) + ", " + format_duration_ns(number(ch, "before_ns")) +
                 " → " + format_duration_ns(number(ch, "after_ns")) + ", p " +
                 format_probability(number(ch, "p_value")) + "</li>";
        out += "</ul>";
      }
      out += "</div>";
    }
    out += "</div></td></tr></tbody>";
  }
}

void benchmarks_section(const json& r, std::string& out) {
  const size_t n = r["benchmarks"].size();
  out += "<section id=\"benchmarks-section\"><h2>Benchmarks</h2>";
  if (n == 0) {
    out += "<p>There is no benchmark to show: the results file has none.</p>"
           "<table id=\"benchmarks\"><tbody></tbody></table></section>";
    return;
  }
  out += "<div class=\"controls\"><input id=\"filter\" type=\"search\" placeholder=\"filter by name\" "
         "aria-label=\"filter by name\"><select id=\"verdict-filter\" aria-label=\"verdict\">"
         "<option value=\"\">every verdict</option><option>regression</option><option>improvement"
         "</option><option>inconclusive</option><option>unchanged</option><option>not compared</option>"
         "</select><button id=\"expand-flagged\" type=\"button\">open regressions and improvements"
         "</button><span class=\"muted\"><span id=\"shown\">" +
         std::to_string(n) + "</span> of " + std::to_string(n) +
         " shown · click a header to sort, a row for details</span></div>";
  out += "<table id=\"benchmarks\"><thead><tr>"
         "<th data-key=\"name\" tabindex=\"0\">benchmark</th>"
         "<th data-key=\"rank\" data-type=\"num\" tabindex=\"0\">verdict</th>"
         "<th data-key=\"current\" data-type=\"num\" tabindex=\"0\">this run</th>"
         "<th data-key=\"baseline\" data-type=\"num\" tabindex=\"0\">baseline</th>"
         "<th data-key=\"change\" data-type=\"num\" tabindex=\"0\">change</th>"
         "<th data-key=\"low\" data-type=\"num\" tabindex=\"0\" title=\"sorted by its lower end\">95% interval</th>"
         "<th data-key=\"p\" data-type=\"num\" tabindex=\"0\">p</th>"
         "<th data-key=\"q\" data-type=\"num\" tabindex=\"0\">q</th>"
         "<th data-key=\"threshold\" data-type=\"num\" tabindex=\"0\">threshold</th>";
  if (!r["history"].is_null()) out += "<th>trend</th>";
  out += "</tr></thead>";
  benchmark_rows(r, out);
  out += "</table></section>";
}

// A design string ("l1=64x4,l2=1024x8,prefetch=markov") may wrap after
// each comma, and nowhere else.
std::string breakable(const std::string& escaped) {
  std::string out;
  for (char c : escaped) out += c == ',' ? std::string(",<wbr>") : std::string(1, c);
  return out;
}

std::string percent(double v, int digits) { return std::isfinite(v) ? fixed(100 * v, digits) + "%" : "-"; }

// The designs side by side: one row per benchmark with TLB figures, `rows`
// grouped by trace as the charts are. Per trace, the rows with the fewest
// walks per 1000 accesses are marked best (class "best", a star) when some
// other row of the trace has more: a lone design, or designs that all tie,
// win nothing. Parameters other than the design (`tlb`) and the engine are
// shown only where they differ between rows, to tell such rows apart.
void tlb_table(const std::vector<const json*>& rows, std::string& out) {
  auto parameter = [](const json& b, const std::string& key) -> std::string {
    if (!b.contains("parameters") || !b["parameters"].is_object() || !b["parameters"].contains(key)) return "—";
    const json& v = b["parameters"][key];
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  std::set<std::string> level_names, keys;
  for (const json* bp : rows) {
    for (const json& level : (*bp)["tlb"]["levels"]) level_names.insert(str(level, "level"));
    if ((*bp).contains("parameters") && (*bp)["parameters"].is_object())
      for (const auto& [k, v] : (*bp)["parameters"].items())
        if (k != "tlb") keys.insert(k);
  }
  std::set<std::string> engines;
  std::vector<std::string> varying;  // parameters whose value differs between rows
  for (const json* bp : rows) engines.insert(str(*bp, "engine"));
  for (const std::string& k : keys) {
    std::set<std::string> seen;
    for (const json* bp : rows) seen.insert(parameter(*bp, k));
    if (seen.size() > 1) varying.push_back(k);
  }
  std::map<std::string, std::pair<double, double>> walks_range;  // trace -> fewest, most
  for (const json* bp : rows) {
    const double w = number((*bp)["tlb"], "walks_per_1k");
    if (!std::isfinite(w)) continue;
    auto [it, fresh] = walks_range.try_emplace(str(*bp, "trace"), w, w);
    if (!fresh) it->second = {std::min(it->second.first, w), std::max(it->second.second, w)};
  }

  out += "<h3>Designs per trace</h3><p class=\"muted\">Miss rate is misses / lookups of each level; "
         "prefetch accuracy (useful + late) / issued, coverage (useful + late) / (useful + late + "
         "demand walks); ns per access is the median time of one replay (the report's metric) over its "
         "accesses. "
         "<span class=\"star\">★</span> marks the design with the fewest walks on its trace.</p>";
  out += "<table id=\"tlb-table\" class=\"tlb-table\"><thead><tr><th>trace</th><th>design</th>";
  for (const std::string& level : level_names) out += "<th>" + escape(level) + " miss rate</th>";
  out += "<th>walks / 1k accesses</th><th>prefetch accuracy</th><th>prefetch coverage</th>"
         "<th>ns / access</th></tr></thead><tbody>";
  std::string previous_trace;
  for (size_t i = 0; i < rows.size(); ++i) {
    const json& b = *rows[i];
    const json& t = b["tlb"];
    const std::string trace = str(b, "trace");
    const double w = number(t, "walks_per_1k");
    auto range = walks_range.find(trace);
    const bool best = std::isfinite(w) && range != walks_range.end() && w == range->second.first &&
                      range->second.first < range->second.second;
    std::string classes;
    if (i == 0 || trace != previous_trace) classes += " trace-start";
    if (best) classes += " best";
    previous_trace = trace;
    const std::string design = parameter(b, "tlb");
    std::string others = engines.size() > 1 ? str(b, "engine") : "";
    for (const std::string& k : varying) others += (others.empty() ? "" : " ") + k + ":" + parameter(b, k);
    out += "<tr" + (classes.empty() ? std::string() : " class=\"" + classes.substr(1) + "\"") +
           " data-name=\"" + escape(str(b, "name")) + "\" data-trace=\"" + escape(trace) +
           "\" data-walks=\"" + attr_number(w) + "\"><td class=\"mono trace\">" + escape(trace) +
           "</td><td class=\"mono design\" title=\"" + escape(str(b, "name")) + "\">" +
           (best ? "<span class=\"star\" title=\"fewest walks on this trace\">★</span>&nbsp;" : "") +
           breakable(escape(design)) +
           (others.empty() ? std::string() : " <span class=\"params\">" + escape(others) + "</span>") +
           "</td>";
    for (const std::string& name : level_names) {
      double rate = NAN;
      for (const json& level : t["levels"])
        if (str(level, "level") == name) rate = number(level, "miss_rate");
      out += "<td class=\"num\">" + percent(rate, 3) + "</td>";
    }
    const json none;
    const json& p = t.contains("prefetch") ? t["prefetch"] : none;
    out += "<td class=\"num\">" + fixed(w, 2) + "</td><td class=\"num\">" +
           percent(number(p, "accuracy"), 1) + "</td><td class=\"num\">" +
           percent(number(p, "coverage"), 1) + "</td><td class=\"num\">" +
           fixed(number(t, "ns_per_access"), 2) + "</td></tr>";
  }
  out += "</tbody></table>";
}

void tlb_section(const json& r, std::string& out) {
  std::vector<svg::bar> hit_bars, walk_bars;
  // Grouped by trace, in name order, so the designs of one trace sit together.
  std::vector<const json*> rows;
  for (const json& b : r["benchmarks"])
    if (b["tlb"].is_object()) rows.push_back(&b);
  std::stable_sort(rows.begin(), rows.end(), [](const json* a, const json* b) {
    return str(*a, "trace") < str(*b, "trace");
  });
  for (const json* bp : rows) {
    const json& b = *bp;
    std::string label = str(b, "engine");
    for (const auto& [k, v] : b["parameters"].items()) label += " " + k + ":" + (v.is_string() ? v.get<std::string>() : v.dump());
    const std::string group = str(b, "trace", str(b, "name"));
    const json& t = b["tlb"];
    const json& bt = b["baseline_tlb"];
    for (size_t i = 0; i < t["levels"].size(); ++i) {
      const json& level = t["levels"][i];
      const double rate = number(level, "hit_rate");
      double marker = -1;
      if (bt.is_object())
        for (const json& other : bt["levels"])
          if (str(other, "level") == str(level, "level")) {
            const double br = number(other, "hit_rate");
            if (std::isfinite(br) && br != rate) marker = 100 * br;
          }
      hit_bars.push_back({label + " · " + str(level, "level"), 100 * rate, marker,
                          std::isfinite(rate) ? fixed(100 * rate, 3) + "%" : "-", group});
    }
    const double w = number(t, "walks_per_1k");
    double marker = -1;
    if (bt.is_object()) {
      const double bw = number(bt, "walks_per_1k");
      if (std::isfinite(bw) && bw != w) marker = bw;
    }
    walk_bars.push_back({label, w, marker, fixed(w, 2), group});
  }
  out += "<section id=\"tlb\"><h2>TLB</h2>";
  if (rows.empty()) {
    out += "<p class=\"muted\">No benchmark has TLB counters.</p></section>";
    return;
  }
  out += "<p class=\"muted\">From the deterministic counters of this run; a black tick marks the "
         "baseline's value where it differs.</p>";
  out += "<h3>Hit rate per level</h3>" + svg::bar_chart(hit_bars, 100, "TLB hit rate per level (%)", "bars tlb-hit-rate");
  out += "<h3>Page walks per 1000 accesses</h3>" +
         svg::bar_chart(walk_bars, 0, "page walks per 1000 accesses", "bars tlb-walks");
  tlb_table(rows, out);
  out += "</section>";
}

void history_section(const json& r, std::string& out) {
  out += "<section id=\"history\"><h2>History</h2>";
  const json& h = r["history"];
  if (h.is_null()) {
    out += "<p class=\"muted\">No history given (<code>--history DIR</code>): no trends.</p></section>";
    return;
  }
  out += "<p><code>" + escape(str(h, "dir")) + "</code>: " + std::to_string(h["runs"].get<size_t>()) +
         " runs; trends use the " + std::to_string(h["runs_used"].get<size_t>()) + " runs of machine <b>" +
         escape(str(h, "machine", "—")) + "</b> and suite <b>" + escape(str(h, "suite", "—")) +
         "</b>, the last " + std::to_string(h["nights_shown"].get<size_t>()) +
         " nights shown; change points (E-divisive means) use every night.</p>";
  if (!h["other_machines"].empty()) {
    out += "<p>Other machines, not shown: ";
    bool first = true;
    for (const auto& [m, n] : h["other_machines"].items()) {
      out += (first ? "" : ", ") + escape(m) + " (" + n.dump() + " runs)";
      first = false;
    }
    out += ".</p>";
  }
  if (!h["skipped_files"].empty()) {
    out += "<p>Skipped files:</p><ul>";
    for (const json& s : h["skipped_files"]) out += "<li class=\"mono\">" + escape(s.get<std::string>()) + "</li>";
    out += "</ul>";
  }
  struct step {
    std::string name;
    const json* change;
  };
  std::vector<step> steps;
  for (const json& b : r["benchmarks"])
    if (b["trend"].is_object())
      for (const json& ch : b["trend"]["changes"]) steps.push_back({str(b, "name"), &ch});
  std::stable_sort(steps.begin(), steps.end(), [](const step& a, const step& b) {
    return str(*a.change, "started") > str(*b.change, "started");
  });
  if (steps.empty()) {
    out += "<p id=\"change-points\">No change point in the history.</p>";
  } else {
    out += "<table id=\"change-points\"><thead><tr><th>since</th><th>benchmark</th><th>change</th>"
           "<th>commit range</th><th>nights ago</th><th>p</th></tr></thead><tbody>";
    for (const step& s : steps) {
      const json& ch = *s.change;
      const double ratio = number(ch, "ratio");
      out += "<tr><td>" + escape(str(ch, "started")) + "</td><td class=\"mono\">" + escape(s.name) +
             "</td><td class=\"num verdict " + (ratio > 1 ? "regression" : "improvement") + "\">" +
             format_change_percent(ratio) + "</td><td class=\"mono\">" +
             escape(short_commit(str(ch, "previous_commit")) + ".." + short_commit(str(ch, "commit"))) +
             "</td><td class=\"num\">" + ch["nights_ago"].dump() + "</td><td class=\"num\">" +
             format_probability(number(ch, "p_value")) + "</td></tr>";
    }
    out += "</tbody></table>";
  }
  out += "</section>";
}

}  // namespace

std::string render_html_report(const json& r) {
  std::string out;
  out.reserve(64 * 1024 + r["benchmarks"].size() * 8 * 1024);
  const std::string suite = str(r["current"], "suite", "results");
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>vmbench report: " + escape(suite) + " — " + escape(str(r["summary"], "headline")) +
         "</title><style>" + kStyle + "</style><script>" + kErrorCapture + "</script></head><body><main>";
  out += "<pre id=\"js-errors\"></pre>";
  summary_section(r, out);
  fingerprint_section(r, out);
  warnings_section(r, out);
  benchmarks_section(r, out);
  tlb_section(r, out);
  history_section(r, out);
  out += "<footer>Generated by " + escape(str(r, "generated_by")) + " · report schema " +
         std::to_string(r["schema_version"].get<int>()) +
         " · every figure on this page is also in <a href=\"report.json\">report.json</a></footer>";
  out += "</main><script>" + std::string(kScript) + "</script></body></html>\n";
  return out;
}

}  // namespace vm::harness
