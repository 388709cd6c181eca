#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

using namespace std::chrono_literals;

namespace cleanlist_cli {

progress::progress(std::string label, bool quiet, std::function<int()> budget_left)
    : label_(std::move(label)), quiet_(quiet), tty_(::isatty(STDERR_FILENO) == 1), budget_left_(std::move(budget_left)) {}

double progress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

namespace {
std::string hms(double s) {
  if (s < 0 || s > 360000) return "?";
  auto t = static_cast<long>(s + 0.5);
  char b[32];
  if (t >= 3600) std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else std::snprintf(b, sizeof b, "%ld:%02ld", t / 60, t % 60);
  return b;
}
} // namespace

std::string progress::line(bool bar) const {
  const double el = elapsed();
  const double rate = el > 0 ? static_cast<double>(done_) / el : 0;
  std::string eta = "?";
  if (total_ > 0 && done_ >= total_) eta = "0:00";
  else if (rate > 0 && total_ > done_) eta = hms(static_cast<double>(total_ - done_) / rate);
  char b[256];
  std::string s = label_;
  if (bar && total_ > 0) {
    const int width = 24;
    const int filled = static_cast<int>(width * std::min(done_, total_) / total_);
    std::string p(static_cast<std::size_t>(filled), '#');
    p.resize(width, '.');
    s += " [" + p + "]";
  }
  if (total_ > 0)
    std::snprintf(b, sizeof b, " %zu/%zu (%zu%%) %.1f/s ETA %s elapsed %s", done_, total_, 100 * std::min(done_, total_) / total_,
                  rate, eta.c_str(), hms(el).c_str());
  else
    std::snprintf(b, sizeof b, " %zu done, elapsed %s", done_, hms(el).c_str());
  s += b;
  if (budget_left_) s += " budget " + std::to_string(budget_left_()) + " req";
  if (!status_.empty()) s += " " + status_;
  return s;
}

void progress::update(std::size_t done, const std::string& status, bool force) {
  done_ = done;
  if (!status.empty()) status_ = status;
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (!force && now - last_ < 100ms && done_ != total_) return;
    last_ = now;
    std::fprintf(stderr, "\r\033[K%s", line(true).c_str());
    std::fflush(stderr);
    drawn_ = true;
    return;
  }
  const std::size_t decile = total_ ? 10 * done_ / total_ : 0;
  if (done_ == printed_done_ && !force) return;
  if (!force && decile == printed_decile_ && now - last_ < 10s && done_ != total_) return;
  printed_done_ = done_;
  printed_decile_ = decile;
  last_ = now;
  std::fprintf(stderr, "progress: %s\n", line(false).c_str());
}

void progress::tick() {
  if (tty_ && !quiet_) update(done_, {}, true);
}

void progress::finish() {
  if (drawn_ && tty_ && !quiet_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

} // namespace cleanlist_cli
