# SPDX-License-Identifier: MIT
# ThreadSanitizer checks, built in the ordinary build as executables of
# their own with -fsanitize=thread (they cannot share the ASan build's
# flags): the shim's lock-free fd table, and the break lock (test_break's
# concurrent case: threads and processes breaking one name at once, with the
# core compiled under TSan too).
include(CheckCSourceCompiles)
if(NOT COWLINK_SANITIZE AND NOT COWLINK_TSAN)
  set(CMAKE_REQUIRED_FLAGS -fsanitize=thread)
  set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=thread)
  check_c_source_compiles("int main(void) { return 0; }" COWLINK_HAVE_TSAN)
  unset(CMAKE_REQUIRED_FLAGS)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
endif()
if(COWLINK_HAVE_TSAN OR COWLINK_TSAN)
  add_executable(tsan_fdtab ${CMAKE_CURRENT_SOURCE_DIR}/tsan/fdtab_stress.c
    ${PROJECT_SOURCE_DIR}/lib/preload/fdtab.c ${PROJECT_SOURCE_DIR}/lib/core/sys.c)
  target_include_directories(tsan_fdtab PRIVATE ${PROJECT_SOURCE_DIR}/lib/preload
    ${PROJECT_SOURCE_DIR}/lib/core)
  target_compile_options(tsan_fdtab PRIVATE -fsanitize=thread -O1 -g)
  target_link_options(tsan_fdtab PRIVATE -fsanitize=thread)
  target_link_libraries(tsan_fdtab PRIVATE Threads::Threads)
  add_test(NAME tsan/fdtab COMMAND tsan_fdtab)
  set_tests_properties(tsan/fdtab PROPERTIES TIMEOUT 120
    ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1 exitcode=66")

  find_library(CMOCKA_LIB cmocka)
endif()
if((COWLINK_HAVE_TSAN OR COWLINK_TSAN) AND CMOCKA_LIB)
  file(GLOB TSAN_CORE CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/lib/core/*.c
    ${PROJECT_SOURCE_DIR}/lib/link/*.c ${PROJECT_SOURCE_DIR}/lib/run/*.c)
  add_executable(tsan_break ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_break.c
    ${CMAKE_CURRENT_SOURCE_DIR}/unit/fixture.c ${TSAN_CORE})
  add_dependencies(tsan_break cowlink_banned)
  target_include_directories(tsan_break PRIVATE ${PROJECT_SOURCE_DIR}/include
    ${PROJECT_SOURCE_DIR}/lib/core ${PROJECT_BINARY_DIR}/lib/core
    ${PROJECT_SOURCE_DIR}/lib/link ${PROJECT_SOURCE_DIR}/lib/run
    ${CMAKE_CURRENT_SOURCE_DIR}/unit)
  target_compile_options(tsan_break PRIVATE -fsanitize=thread -O1 -g)
  target_link_options(tsan_break PRIVATE -fsanitize=thread)
  target_link_libraries(tsan_break PRIVATE ${CMOCKA_LIB} Threads::Threads)
  add_test(NAME tsan/break-lock COMMAND tsan_break)
  set_tests_properties(tsan/break-lock PROPERTIES TIMEOUT 300
    ENVIRONMENT "COWLINK_TEST_FILTER=concurrent;TSAN_OPTIONS=halt_on_error=1 exitcode=66")
endif()
