# Provides the imported target asio::asio for standalone Asio and sets
# ASYNCHAT_ASIO_FOUND. Used by the project and by the installed package config.
#
# Asio's own CMake package is used when one is installed; Debian's libasio-dev
# ships none, so otherwise asio.hpp is looked for (hint: ASYNCHAT_ASIO_INCLUDE_DIR).

set(ASYNCHAT_ASIO_FOUND TRUE)
if(TARGET asio::asio)
    return()
endif()

find_package(asio CONFIG QUIET)
if(TARGET asio::asio)
    return()
endif()

find_path(ASYNCHAT_ASIO_INCLUDE_DIR asio.hpp
    DOC "Directory holding standalone Asio's asio.hpp")
if(NOT ASYNCHAT_ASIO_INCLUDE_DIR)
    set(ASYNCHAT_ASIO_FOUND FALSE)
    return()
endif()

# GLOBAL: visible to a parent project that add_subdirectory()s asynchat.
add_library(asio::asio INTERFACE IMPORTED GLOBAL)
set_target_properties(asio::asio PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${ASYNCHAT_ASIO_INCLUDE_DIR}")
