#pragma once
// Bytes allocated with the global operator new and not yet deleted, counted by live_heap.cpp
// (which replaces the global operator new/delete: linked only into executables that ask for it).
#include <cstddef>

namespace test_heap {
std::size_t live_bytes();
}
