// Replaces the global operator new/delete to count live heap bytes (live_heap.hpp). Each block
// carries its size in a header of max_align_t's size, so any alignment new promises is kept.
#include "live_heap.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

namespace {
std::atomic<std::size_t> g_live{0};
constexpr std::size_t header = alignof(std::max_align_t);

void* counted_new(std::size_t n) {
  auto* p = static_cast<unsigned char*>(std::malloc(n + header));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, &n, sizeof n);
  g_live += n;
  return p + header;
}
void counted_delete(void* q) noexcept {
  if (!q) return;
  auto* p = static_cast<unsigned char*>(q) - header;
  std::size_t n;
  std::memcpy(&n, p, sizeof n);
  g_live -= n;
  std::free(p);
}
}  // namespace

namespace test_heap {
std::size_t live_bytes() { return g_live.load(); }
}

void* operator new(std::size_t n) { return counted_new(n); }
void* operator new[](std::size_t n) { return counted_new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try { return counted_new(n); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try { return counted_new(n); } catch (...) { return nullptr; }
}
void operator delete(void* p) noexcept { counted_delete(p); }
void operator delete[](void* p) noexcept { counted_delete(p); }
void operator delete(void* p, std::size_t) noexcept { counted_delete(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_delete(p); }
