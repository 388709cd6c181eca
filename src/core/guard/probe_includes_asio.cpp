// Built only by the `layout_guard` test, which expects this to fail with the guard's message:
// a source compiled as part of the sans-io core that includes Asio.
#include <boost/asio/io_context.hpp>
