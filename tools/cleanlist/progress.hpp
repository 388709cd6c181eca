#pragma once
// Progress of long work (enrich-csv, status --wait, bulk --wait), on stderr.
// On a terminal (isatty): one redrawn bar with rate, ETA and the request budget left.
// Elsewhere: plain "progress:" lines, at most one per 10 % or per 10 s. Nothing with --quiet.
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace cleanlist_cli {

class progress {
public:
  /// `budget_left` (optional): requests the client may still send in the current window.
  progress(std::string label, bool quiet, std::function<int()> budget_left = {});
  ~progress() { finish(); }
  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;

  void set_total(std::size_t total) { total_ = total; }
  /// `done` of `total` finished; `status` (optional) is shown next to the counts.
  void update(std::size_t done, const std::string& status = {}, bool force = false);
  /// Redraws (elapsed time, ETA, budget) while nothing finishes; terminal only.
  void tick();
  /// Ends the bar's line (terminal). Idempotent.
  void finish();
  bool tty() const { return tty_; }

private:
  std::string line(bool bar) const;
  double elapsed() const;

  std::string label_;
  bool quiet_, tty_;
  std::function<int()> budget_left_;
  std::size_t total_ = 0, done_ = 0, printed_done_ = static_cast<std::size_t>(-1), printed_decile_ = 0;
  std::string status_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

} // namespace cleanlist_cli
