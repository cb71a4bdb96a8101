cmake_minimum_required(VERSION 3.21)
# Builds and runs tests/package/main.cpp as a user would consume asynchat:
#   MODE=install: cmake --install to a fresh prefix, then find_package(asynchat)
#   MODE=subdir:  add_subdirectory() of the source tree
# Usage: cmake -DMODE=... -DSOURCE_DIR=... -DBUILD_DIR=... -DWORK_DIR=... -DCXX=... -DGENERATOR=... -P check.cmake
file(REMOVE_RECURSE "${WORK_DIR}")

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "failed: ${ARGN}\n${out}\n${err}")
    endif()
    set(last_output "${out}" PARENT_SCOPE)
endfunction()

if(MODE STREQUAL "install")
    run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix")
    run("${CMAKE_COMMAND}" -S "${SOURCE_DIR}/tests/package/consumer" -B "${WORK_DIR}/build"
        -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix")
else()
    run("${CMAKE_COMMAND}" -S "${SOURCE_DIR}/tests/package/subdir" -B "${WORK_DIR}/build"
        -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX}" "-DASYNCHAT_SOURCE_DIR=${SOURCE_DIR}")
endif()
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
run("${WORK_DIR}/build/consumer")
if(NOT last_output MATCHES "consumer works")
    message(FATAL_ERROR "the consumer ran but did not echo: ${last_output}")
endif()
message(STATUS "consumer (${MODE}) built and ran: ${last_output}")
