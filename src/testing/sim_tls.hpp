#pragma once
// Throw-away PKI for the simulator: an EC P-256 CA and a server certificate for
// localhost / 127.0.0.1 / ::1 signed by it, generated with OpenSSL 3 at start.
#include <string>

namespace cleanlist::testing::detail {

struct tls_material {
  std::string ca_pem;   ///< CA certificate (give it to clients)
  std::string cert_pem; ///< server certificate
  std::string key_pem;  ///< server private key (PKCS#8)
};

/// Throws std::runtime_error on failure.
tls_material generate_tls_material();

} // namespace cleanlist::testing::detail
