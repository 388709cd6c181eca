#pragma once
// Heap bytes and allocations live through the global operator new, counted by live_heap.cpp
// (which replaces operator new/delete: linked only into executables that ask for it).
#include <cstddef>

namespace test_heap {
long long live_bytes();
/// Live allocations of exactly `n` bytes (n <= 4096).
long live_of_size(std::size_t n);
} // namespace test_heap
