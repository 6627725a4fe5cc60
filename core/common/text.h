// text.h - small text helpers shared by the readers of plain-text inputs
// (/proc files, the workload list).
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace vm {

// The whitespace-separated words of `s`, in order; none for blank text.
inline std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

}  // namespace vm
