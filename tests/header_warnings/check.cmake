cmake_minimum_required(VERSION 3.21)
# Compiles one translation unit that includes every public header with the
# warnings users turn on, as errors.
# Usage: cmake -DCXX=<compiler> -DSOURCE=<file> -DINCLUDES=<dir|dir...> [-DDEFINES=<macro|macro...>] -P check.cmake
string(REPLACE "|" ";" include_dirs "${INCLUDES}")
set(args -std=c++17 -fsyntax-only -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror)
foreach(dir IN LISTS include_dirs)
    list(APPEND args "-I${dir}")
endforeach()
string(REPLACE "|" ";" defines "${DEFINES}")
foreach(macro IN LISTS defines)
    list(APPEND args "-D${macro}")
endforeach()
execute_process(COMMAND "${CXX}" ${args} "${SOURCE}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${CXX}: the public headers warn under ${args}:\n${out}${err}")
endif()
message(STATUS "${CXX}: every public header compiles cleanly with ${args}")
