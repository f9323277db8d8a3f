// The single translation unit that compiles Boost.Asio, its SSL support and
// Boost.Beast (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION
// are set for the whole project). Every other file only sees declarations,
// which keeps each of them from re-instantiating the whole library.
#include <utility>

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
