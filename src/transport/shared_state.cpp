#include "transport/shared_state.hpp"

#include <boost/asio/dispatch.hpp>

#include <openssl/ssl.h>


namespace cleanlist {

http_transport::state::state(boost::asio::any_io_executor ex, const std::string& base_url, const tls_params& tls,
                        std::size_t max_connections)
    : strand(boost::asio::make_strand(ex)),
      url(protocol::parse_base_url_or_throw(base_url)),
      ssl(boost::asio::ssl::context::tls_client),
      pool(strand, max_connections) {
  // TLS >= 1.2, peer verification always on (host name checks are set per connection).
  SSL_CTX_set_min_proto_version(ssl.native_handle(), TLS1_2_VERSION);
  ssl.set_verify_mode(boost::asio::ssl::verify_peer);
  if (tls.use_system_ca) ssl.set_default_verify_paths();
  if (!tls.ca_file.empty()) {
    boost::system::error_code ec;
    ssl.load_verify_file(tls.ca_file, ec);
    if (ec) throw std::invalid_argument("cleanlist: cannot load CA file " + tls.ca_file + ": " + ec.message());
  }
  if (!tls.ca_pem.empty()) {
    boost::system::error_code ec;
    ssl.add_certificate_authority(boost::asio::buffer(tls.ca_pem), ec);
    if (ec) throw std::invalid_argument("cleanlist: invalid tls.ca_pem: " + ec.message());
  }
}

http_transport::http_transport(boost::asio::any_io_executor ex, transport_params p)
    : state_(std::make_shared<state>(std::move(ex), p.base_url, p.tls, p.max_connections)) {}

http_transport::~http_transport() { shutdown(); }

void http_transport::shutdown() {
  boost::asio::dispatch(state_->strand, [s = state_] { s->pool.shutdown(); });
}

std::size_t http_transport::open_connections() const { return state_->pool.open_connections(); }

} // namespace cleanlist
