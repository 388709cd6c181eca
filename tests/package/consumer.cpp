// Uses the installed library: an embedded simulator and one call through the client.
#include <cleanlist/client.hpp>
#include <cleanlist/testing/simulator.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>

int main() {
  cleanlist::testing::simulator sim;
  boost::asio::io_context ioc;
  cleanlist::client_params p;
  p.api_key = sim.default_api_key();
  p.base_url = sim.base_url("/api/v2");
  p.tls.ca_pem = sim.ca_pem();
  cleanlist::client c(ioc.get_executor(), p);
  auto f = c.async_whoami(boost::asio::use_future);
  ioc.run();
  auto who = f.get();
  std::cout << "consumer: whoami ok, organisation " << who.organization_id << "\n";
  return who.organization_id == sim.default_org_id() ? 0 : 1;
}
