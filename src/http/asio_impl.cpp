// Asio and Beast are header-only by default; compiling them here, once, keeps every other
// translation unit light (BOOST_ASIO_SEPARATE_COMPILATION, BOOST_BEAST_SEPARATE_COMPILATION).
#include <utility>  // Boost 1.74's asio/awaitable.hpp misses it with g++ 12

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
