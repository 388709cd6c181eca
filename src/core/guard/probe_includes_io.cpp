// Built only by the `layout_guard_io` test, which expects this to fail: the core's include root
// does not contain src/io, so an I/O shell header cannot be named from the core.
#include "transport/pool.hpp"
