cmake_minimum_required(VERSION 3.21)
# Builds and runs a consumer program as a user would consume asynchat, for
# one Asio flavour (ASIO=standalone: main.cpp, written against ::asio;
# ASIO=boost: boost_main.cpp, written against boost::asio):
#   MODE=install: asynchat configured with -DASYNCHAT_ASIO=<flavour> and
#                 installed to a fresh prefix, then find_package(asynchat): the
#                 consumer sets nothing, the package carries the choice
#   MODE=subdir:  add_subdirectory() of the source tree, -DASYNCHAT_ASIO=<flavour>
# Usage: cmake -DMODE=... -DASIO=... -DSOURCE_DIR=... -DWORK_DIR=... -DCXX=... -DGENERATOR=... -P check.cmake
file(REMOVE_RECURSE "${WORK_DIR}")

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "failed: ${ARGN}\n${out}\n${err}")
    endif()
    set(last_output "${out}" PARENT_SCOPE)
endfunction()

if(ASIO STREQUAL "boost")
    set(consumer_source boost_main.cpp)
else()
    set(consumer_source main.cpp)
endif()
if(MODE STREQUAL "install")
    run("${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${WORK_DIR}/asynchat" -G "${GENERATOR}"
        "-DCMAKE_CXX_COMPILER=${CXX}" "-DASYNCHAT_ASIO=${ASIO}" -DASYNCHAT_INSTALL=ON
        -DASYNCHAT_BUILD_TESTS=OFF -DASYNCHAT_BUILD_EXAMPLES=OFF)
    run("${CMAKE_COMMAND}" --install "${WORK_DIR}/asynchat" --prefix "${WORK_DIR}/prefix")
    run("${CMAKE_COMMAND}" -S "${SOURCE_DIR}/tests/package/consumer" -B "${WORK_DIR}/build"
        -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix"
        "-DCONSUMER_SOURCE=${consumer_source}")
else()
    run("${CMAKE_COMMAND}" -S "${SOURCE_DIR}/tests/package/subdir" -B "${WORK_DIR}/build"
        -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX}" "-DASYNCHAT_SOURCE_DIR=${SOURCE_DIR}"
        "-DASYNCHAT_ASIO=${ASIO}" "-DCONSUMER_SOURCE=${consumer_source}")
endif()
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
run("${WORK_DIR}/build/consumer")
if(NOT last_output MATCHES "consumer works")
    message(FATAL_ERROR "the consumer ran but did not echo: ${last_output}")
endif()
message(STATUS "consumer (${MODE}, ${ASIO} Asio) built and ran: ${last_output}")
