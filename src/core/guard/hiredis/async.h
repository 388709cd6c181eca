// Layout guard (see src/core/CMakeLists.txt): this stand-in is first on the core's include path.
#error "sans-io core (src/core) includes an I/O header: Asio, Beast, OpenSSL, hiredis and sockets belong in src/io, src/redis or src/testing"
