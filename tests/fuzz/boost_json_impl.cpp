// Boost.JSON's implementation, compiled with the fuzzing instrumentation (header-only mode).
#include <boost/json/src.hpp>
