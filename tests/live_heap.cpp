// Replaces the global operator new/delete to count the bytes, and the allocations of each size,
// live through them (live_heap.hpp). Linked only into the executables that measure memory.
#include "live_heap.hpp"

#include <malloc.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <new>

// Plain new/new[] carry a 16-byte header holding the requested size (so that delete knows it);
// over-aligned ones are counted by usable size only.

namespace {
constexpr std::size_t header = 16;  // keeps malloc's 16-byte alignment
std::atomic<long long> g_live{0};
std::array<std::atomic<long>, 4097> g_by_size{};  // live allocations of each requested size

void* counted_alloc(std::size_t n) {
  void* raw = std::malloc(n + header);
  if (!raw) return nullptr;
  *static_cast<std::size_t*>(raw) = n;
  g_live.fetch_add(static_cast<long long>(n), std::memory_order_relaxed);
  if (n < g_by_size.size()) g_by_size[n].fetch_add(1, std::memory_order_relaxed);
  return static_cast<char*>(raw) + header;
}
void counted_free(void* p) noexcept {
  if (!p) return;
  void* raw = static_cast<char*>(p) - header;
  const std::size_t n = *static_cast<std::size_t*>(raw);
  g_live.fetch_sub(static_cast<long long>(n), std::memory_order_relaxed);
  if (n < g_by_size.size()) g_by_size[n].fetch_sub(1, std::memory_order_relaxed);
  std::free(raw);
}
void* aligned_counted_alloc(std::size_t n, std::align_val_t al) {
  const auto a = static_cast<std::size_t>(al);
  void* p = std::aligned_alloc(a, (std::max<std::size_t>(n, 1) + a - 1) / a * a);
  if (p) g_live.fetch_add(static_cast<long long>(malloc_usable_size(p)), std::memory_order_relaxed);
  return p;
}
void aligned_counted_free(void* p) noexcept {
  if (!p) return;
  g_live.fetch_sub(static_cast<long long>(malloc_usable_size(p)), std::memory_order_relaxed);
  std::free(p);
}
void* checked(void* p) {
  if (!p) throw std::bad_alloc();
  return p;
}
} // namespace

namespace test_heap {
long long live_bytes() { return g_live.load(); }
long live_of_size(std::size_t n) { return g_by_size.at(n).load(); }
} // namespace test_heap

void* operator new(std::size_t n) { return checked(counted_alloc(n)); }
void* operator new[](std::size_t n) { return checked(counted_alloc(n)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new(std::size_t n, std::align_val_t a) { return checked(aligned_counted_alloc(n, a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return checked(aligned_counted_alloc(n, a)); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept { return aligned_counted_alloc(n, a); }
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept { return aligned_counted_alloc(n, a); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { aligned_counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { aligned_counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { aligned_counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { aligned_counted_free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { aligned_counted_free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { aligned_counted_free(p); }
