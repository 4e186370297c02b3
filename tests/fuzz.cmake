# SPDX-License-Identifier: MIT
# libFuzzer targets (clang only, -DCOWLINK_FUZZ=ON). Each runs as a ctest
# for a short fixed time over its checked-in seed corpus (tests/fuzz/corpus/
# <name>) and the seeds its <name>.cmake makes at build time (extra_corpus);
# a crash fails the test and leaves the input in the build dir.
option(COWLINK_FUZZ "Build the libFuzzer targets (clang)" OFF)
set(COWLINK_FUZZ_SECONDS 20 CACHE STRING "Seconds each fuzz target runs in ctest")
if(COWLINK_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "COWLINK_FUZZ needs clang")
  endif()
  set(FUZZ_CORE ${PROJECT_SOURCE_DIR}/lib/core/record.c
                ${PROJECT_SOURCE_DIR}/lib/core/sys.c
                ${PROJECT_SOURCE_DIR}/lib/core/config.c
                ${PROJECT_SOURCE_DIR}/lib/core/path.c)
  file(GLOB FUZZ_TARGETS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_*.c)
  foreach(src ${FUZZ_TARGETS})
    get_filename_component(name ${src} NAME_WE)
    string(REGEX REPLACE "^fuzz_" "" short ${name})
    add_executable(${name} ${src} ${FUZZ_CORE})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/include
      ${PROJECT_SOURCE_DIR}/lib/core ${PROJECT_BINARY_DIR}/lib/core
      ${PROJECT_SOURCE_DIR}/tools/cowlink)
    add_dependencies(${name} cowlink_banned)
    set(extra_corpus)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined -g -O1)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/${short}.cmake)
      include(${CMAKE_CURRENT_SOURCE_DIR}/fuzz/${short}.cmake)
    endif()
    set(work ${CMAKE_CURRENT_BINARY_DIR}/fuzz-${short})
    file(MAKE_DIRECTORY ${work}/corpus)
    add_test(NAME fuzz/${short}
      COMMAND ${name} -max_total_time=${COWLINK_FUZZ_SECONDS} -timeout=10
              -artifact_prefix=${work}/ ${work}/corpus
              ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${short} ${extra_corpus})
    set_tests_properties(fuzz/${short} PROPERTIES LABELS fuzz
      TIMEOUT 300)
  endforeach()
endif()
