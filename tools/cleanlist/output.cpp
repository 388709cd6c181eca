#include "output.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <iostream>

namespace json = boost::json;

namespace cleanlist_cli {

namespace {
bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }
} // namespace

std::size_t text_width(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += continuation(c) ? 0 : 1;
  return n;
}

std::string fit(std::string s, std::size_t max) {
  if (text_width(s) <= max) return s;
  std::size_t chars = 0, i = 0;
  for (; i < s.size(); ++i) {
    if (!continuation(static_cast<unsigned char>(s[i])) && chars++ == max - 3) break;
  }
  s.resize(i);
  return s + "...";
}

std::string cell(const json::value* v) {
  if (!v || v->is_null()) return "-";
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_array()) {
    std::string s;
    for (const auto& x : v->as_array()) {
      if (!s.empty()) s += ",";
      s += x.is_string() ? std::string(x.as_string()) : json::serialize(x);
    }
    return s.empty() ? "-" : s;
  }
  return json::serialize(*v);
}

void output::record(const json::object& o, const std::vector<std::string>& keys) const {
  if (json_) {
    emit_json(o);
    return;
  }
  std::vector<std::string> ks = keys;
  if (ks.empty())
    for (const auto& kv : o) ks.emplace_back(kv.key());
  // A nested object (e.g. a workflow's `result`) prints as "key.member" lines, nulls left out.
  std::vector<std::pair<std::string, std::string>> lines;
  for (const auto& k : ks) {
    const json::value* v = o.if_contains(k);
    if (!v) continue;
    if (v->is_object()) {
      for (const auto& kv : v->as_object())
        if (!kv.value().is_null()) lines.emplace_back(k + "." + std::string(kv.key()), cell(&kv.value()));
    } else {
      lines.emplace_back(k, cell(v));
    }
  }
  std::size_t w = 0;
  for (const auto& l : lines) w = std::max(w, text_width(l.first));
  for (const auto& [k, v] : lines) std::cout << k << std::string(w - text_width(k) + 2, ' ') << v << "\n";
}

void output::table(const json::value& doc, const json::array& rows, const std::vector<std::string>& columns,
                   const std::string& footer) const {
  if (json_) {
    emit_json(doc);
    return;
  }
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> w;
  for (const auto& c : columns) w.push_back(c.size());
  for (const auto& r : rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      std::string s = r.is_object() ? cell(r.as_object().if_contains(columns[i])) : "-";
      s = fit(std::move(s), 48);  // whole characters: a name is never cut inside one
      w[i] = std::max(w[i], text_width(s));
      line.push_back(std::move(s));
    }
    cells.push_back(std::move(line));
  }
  auto print = [&](const std::vector<std::string>& line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      std::cout << line[i];
      if (i + 1 < line.size()) std::cout << std::string(w[i] - text_width(line[i]) + 2, ' ');
    }
    std::cout << "\n";
  };
  std::vector<std::string> header;
  for (const auto& c : columns) {
    std::string h = c;
    std::transform(h.begin(), h.end(), h.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    header.push_back(h);
  }
  print(header);
  for (const auto& line : cells) print(line);
  if (!footer.empty()) std::cout << footer << "\n";
}

void output::note(const std::string& line) const {
  if (!quiet_) std::cerr << line << "\n";
}

void output::json_value(const json::value& v) const { emit_json(v); }

void output::emit_json(const json::value& v) const {
  if (simulated_ && v.is_object()) {
    json::object o = v.as_object();
    o["simulated"] = true;
    std::cout << json::serialize(o) << "\n";
    return;
  }
  std::cout << json::serialize(v) << "\n";
}

} // namespace cleanlist_cli
