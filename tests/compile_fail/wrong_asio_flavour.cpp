// expect: is included too
// A program written for the other Asio than the one asynchat is built for:
// a clear error naming the switch, not hundreds from inside Asio's headers.
#if defined(ASYNCHAT_USE_BOOST_ASIO)
#include <asio/version.hpp>  // standalone Asio, in a Boost.Asio build
#else
#include <boost/asio/version.hpp>  // Boost.Asio, in a standalone build
#endif
#include <asynchat/asynchat.hpp>

int main() {}
