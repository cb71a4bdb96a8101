cmake_minimum_required(VERSION 3.21)
# Compiles one translation unit and checks the outcome its first line asks for:
#   // expect: success
#   // expect: <text the compiler's diagnostics must contain>
# Usage: cmake -DCXX=<compiler> -DSOURCE=<file> -DINCLUDES=<dir|dir...> [-DDEFINES=<macro|macro...>] -P check.cmake
file(STRINGS "${SOURCE}" expect LIMIT_COUNT 1 REGEX "^// expect: ")
string(REGEX REPLACE "^// expect: " "" expect "${expect}")
if(expect STREQUAL "")
    message(FATAL_ERROR "${SOURCE}: first line must be '// expect: ...'")
endif()

string(REPLACE "|" ";" include_dirs "${INCLUDES}")
set(args -std=c++17 -fsyntax-only)
foreach(dir IN LISTS include_dirs)
    list(APPEND args "-I${dir}")
endforeach()
string(REPLACE "|" ";" defines "${DEFINES}")
foreach(macro IN LISTS defines)
    list(APPEND args "-D${macro}")
endforeach()
execute_process(COMMAND "${CXX}" ${args} "${SOURCE}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)

if(expect STREQUAL "success")
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "${SOURCE} should compile but failed:\n${err}")
    endif()
    return()
endif()
if(rc EQUAL 0)
    message(FATAL_ERROR "${SOURCE} compiled, but it must fail with: ${expect}")
endif()
string(FIND "${out}${err}" "${expect}" at)
if(at EQUAL -1)
    message(FATAL_ERROR "${SOURCE} failed, but without the message '${expect}':\n${err}")
endif()
message(STATUS "${SOURCE}: failed as expected with '${expect}'")
