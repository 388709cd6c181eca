// Boost.JSON's implementation, compiled into the core in the TSan build only
// (src/core/CMakeLists.txt): header-only mode, instrumented like the rest.
#include <boost/json/src.hpp>
