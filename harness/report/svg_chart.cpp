#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "compare/compare_format.h"
#include "compare/statistics.h"

namespace vm::harness::svg {
namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::isfinite(v) ? v : 0.0);
  return buf;
}

struct range {
  double low = 0, high = 1;
  double at(double v, double x0, double x1) const {
    return high > low ? x0 + (v - low) / (high - low) * (x1 - x0) : (x0 + x1) / 2;
  }
};

// The range of the finite values, padded by `pad` of its width (or +-1 %
// of the value when all are equal).
range range_of(const std::vector<double>& values, double pad) {
  range r{INFINITY, -INFINITY};
  for (double v : values)
    if (std::isfinite(v)) {
      r.low = std::min(r.low, v);
      r.high = std::max(r.high, v);
    }
  if (!(r.low <= r.high)) return {0, 1};
  if (r.high == r.low) {
    const double d = std::max(std::fabs(r.low) * 0.01, 1e-9);
    return {r.low - d, r.high + d};
  }
  const double d = (r.high - r.low) * pad;
  return {r.low - d, r.high + d};
}

std::string open_svg(double width, double height, const std::string& css_class,
                     const std::string& title) {
  return "<svg class=\"chart " + css_class + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
         num(width) + "\" height=\"" + num(height) + "\" viewBox=\"0 0 " + num(width) + " " +
         num(height) + "\" role=\"img\"><title>" + escape(title) + "</title>";
}

std::string text(double x, double y, const std::string& s, const char* anchor = "start",
                 const char* css = "") {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" + anchor + "\"" +
         (*css ? std::string(" class=\"") + css + "\"" : std::string()) + ">" + escape(s) +
         "</text>";
}

}  // namespace

std::string escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (c < 0x20 && ch != '\n' && ch != '\t') break;  // not allowed in XML 1.0
        out += ch;
    }
  }
  return out;
}

std::string strip_plot(const std::vector<double>& baseline_ns, const std::vector<double>& current_ns,
                       const std::string& title) {
  const double width = 420, label_w = 70, x0 = label_w, x1 = width - 12, row_h = 28;
  const double height = 2 * row_h + 26;
  std::vector<double> all = baseline_ns;
  all.insert(all.end(), current_ns.begin(), current_ns.end());
  const range r = range_of(all, 0.05);
  std::string out = open_svg(width, height, "strip", title);
  out += "<line class=\"axis\" x1=\"" + num(x0) + "\" y1=\"" + num(2 * row_h + 4) + "\" x2=\"" +
         num(x1) + "\" y2=\"" + num(2 * row_h + 4) + "\"/>";
  const std::vector<double>* sides[] = {&baseline_ns, &current_ns};
  const char* names[] = {"baseline", "this run"};
  const char* classes[] = {"base", "cur"};
  for (int s = 0; s < 2; ++s) {
    const double cy = row_h * s + row_h / 2 + 2;
    out += text(4, cy + 4, names[s]);
    const std::vector<double>& v = *sides[s];
    if (v.empty()) {
      out += text(x0 + 4, cy + 4, "no samples", "start", "muted");
      continue;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      if (!std::isfinite(v[i])) continue;
      const double jitter = double(int((i * 7) % 9) - 4) * 2.0;  // fixed pattern, -8..+8
      out += "<circle class=\"" + std::string(classes[s]) + "\" cx=\"" + num(r.at(v[i], x0, x1)) +
             "\" cy=\"" + num(cy + jitter) + "\" r=\"3\"><title>" + escape(format_duration_ns(v[i])) +
             "</title></circle>";
    }
    const double m = stats::median(v);
    const double mx = r.at(m, x0, x1);
    out += "<line class=\"median " + std::string(classes[s]) + "\" x1=\"" + num(mx) + "\" y1=\"" +
           num(cy - 11) + "\" x2=\"" + num(mx) + "\" y2=\"" + num(cy + 11) + "\"><title>median " +
           escape(format_duration_ns(m)) + "</title></line>";
  }
  if (!all.empty()) {
    out += text(x0, height - 6, format_duration_ns(r.low), "start", "tick");
    out += text(x1, height - 6, format_duration_ns(r.high), "end", "tick");
  }
  return out + "</svg>";
}

std::string sparkline(const std::vector<double>& values, const std::vector<size_t>& changes) {
  const double width = 110, height = 22, pad = 2;
  std::string out = open_svg(width, height, "spark", "trend over the last nights");
  if (values.empty()) return out + "</svg>";
  const range r = range_of(values, 0.05);
  auto x = [&](size_t i) {
    return values.size() > 1 ? pad + double(i) / double(values.size() - 1) * (width - 2 * pad)
                             : width / 2;
  };
  auto y = [&](double v) { return height - pad - (r.at(v, 0, height - 2 * pad)); };
  for (size_t c : changes)
    if (c < values.size())
      out += "<line class=\"step\" x1=\"" + num(x(c)) + "\" y1=\"0\" x2=\"" + num(x(c)) +
             "\" y2=\"" + num(height) + "\"/>";
  std::string pts;
  for (size_t i = 0; i < values.size(); ++i)
    if (std::isfinite(values[i])) pts += num(x(i)) + "," + num(y(values[i])) + " ";
  out += "<polyline points=\"" + pts + "\"/>";
  out += "<circle cx=\"" + num(x(values.size() - 1)) + "\" cy=\"" + num(y(values.back())) +
         "\" r=\"2\"/>";
  return out + "</svg>";
}

std::string trend_chart(const std::vector<trend_point>& points, const std::vector<trend_step>& steps,
                        const std::string& title) {
  const double width = 640, height = 190, left = 78, right = 12, top = 14, bottom = 34;
  std::string out = open_svg(width, height, "trend", title);
  if (points.empty()) return out + text(width / 2, height / 2, "no history", "middle", "muted") + "</svg>";
  std::vector<double> values;
  for (const trend_point& p : points) values.push_back(p.value_ns);
  const range r = range_of(values, 0.08);
  auto x = [&](size_t i) {
    return points.size() > 1 ? left + double(i) / double(points.size() - 1) * (width - left - right)
                             : (left + width - right) / 2;
  };
  auto y = [&](double v) { return height - bottom - r.at(v, 0, height - top - bottom); };
  // Axes and the y range.
  out += "<line class=\"axis\" x1=\"" + num(left) + "\" y1=\"" + num(height - bottom) + "\" x2=\"" +
         num(width - right) + "\" y2=\"" + num(height - bottom) + "\"/>";
  out += "<line class=\"axis\" x1=\"" + num(left) + "\" y1=\"" + num(top) + "\" x2=\"" + num(left) +
         "\" y2=\"" + num(height - bottom) + "\"/>";
  out += text(left - 6, y(r.high) + 4, format_duration_ns(r.high), "end", "tick");
  out += text(left - 6, y(r.low) + 4, format_duration_ns(r.low), "end", "tick");
  out += text(left, height - 8, points.front().label.substr(0, 10), "start", "tick");
  if (points.size() > 1)
    out += text(width - right, height - 8, points.back().label.substr(0, 10), "end", "tick");
  for (const trend_step& s : steps) {
    if (s.index >= points.size()) continue;
    const double sx = s.index > 0 ? (x(s.index - 1) + x(s.index)) / 2 : x(0);
    out += "<line class=\"step\" x1=\"" + num(sx) + "\" y1=\"" + num(top) + "\" x2=\"" + num(sx) +
           "\" y2=\"" + num(height - bottom) + "\"><title>" + escape(s.label) + "</title></line>";
    out += text(std::min(sx + 4, width - right - 150), top + 10, s.label, "start", "steplabel");
  }
  std::string pts;
  for (size_t i = 0; i < points.size(); ++i) pts += num(x(i)) + "," + num(y(values[i])) + " ";
  out += "<polyline points=\"" + pts + "\"/>";
  for (size_t i = 0; i < points.size(); ++i)
    out += "<circle" + std::string(points[i].highlight ? " class=\"this\" r=\"4.5\"" : " r=\"2.5\"") +
           " cx=\"" + num(x(i)) + "\" cy=\"" + num(y(values[i])) + "\"><title>" +
           escape(points[i].label + ": " + format_duration_ns(values[i])) + "</title></circle>";
  return out + "</svg>";
}

std::string bar_chart(const std::vector<bar>& bars, double max_value, const std::string& title,
                      const std::string& css_class) {
  const double width = 760, label_w = 330, value_w = 90, row_h = 18;
  double rows = 0;
  std::string last_group;
  for (const bar& b : bars) {
    if (b.group != last_group) rows += 1;
    last_group = b.group;
    rows += 1;
  }
  const double height = std::max(rows, 1.0) * row_h + 8;
  std::string out = open_svg(width, height, css_class, title);
  if (bars.empty()) return out + text(8, 16, "no data", "start", "muted") + "</svg>";
  if (!(max_value > 0)) {
    max_value = 0;
    for (const bar& b : bars)
      if (std::isfinite(b.value)) max_value = std::max({max_value, b.value, b.marker});
    if (!(max_value > 0)) max_value = 1;
  }
  const double x0 = label_w, x1 = width - value_w;
  double yy = 4;
  last_group.clear();
  for (const bar& b : bars) {
    if (b.group != last_group) {
      out += text(4, yy + 13, b.group, "start", "group");
      yy += row_h;
      last_group = b.group;
    }
    std::string label = b.label;
    if (label.size() > 48) {  // keep the end, cut at a UTF-8 character boundary
      size_t from = label.size() - 47;
      while (from < label.size() && (static_cast<unsigned char>(label[from]) & 0xC0) == 0x80) ++from;
      label = "…" + label.substr(from);
    }
    out += "<g><title>" + escape(b.label + ": " + b.value_text) + "</title>";
    out += text(14, yy + 13, label, "start", "label");
    if (std::isfinite(b.value)) {
      const double w = std::clamp(b.value / max_value, 0.0, 1.0) * (x1 - x0);
      out += "<rect x=\"" + num(x0) + "\" y=\"" + num(yy + 3) + "\" width=\"" + num(std::max(w, 0.5)) +
             "\" height=\"" + num(row_h - 6) + "\"/>";
    }
    if (b.marker >= 0 && std::isfinite(b.marker)) {
      const double mx = x0 + std::clamp(b.marker / max_value, 0.0, 1.0) * (x1 - x0);
      out += "<line class=\"marker\" x1=\"" + num(mx) + "\" y1=\"" + num(yy + 1) + "\" x2=\"" +
             num(mx) + "\" y2=\"" + num(yy + row_h - 1) + "\"/>";
    }
    out += text(x1 + 6, yy + 13, b.value_text, "start", "value") + "</g>";
    yy += row_h;
  }
  return out + "</svg>";
}

}  // namespace vm::harness::svg
