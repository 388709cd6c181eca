// The consumer that compiles Asio itself, once: BOOST_ASIO_SEPARATE_COMPILATION on every unit
// of the program and Asio's own src.hpp here, with the definitions cleanlist passes on.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
