# SPDX-License-Identifier: MIT
# tests/unit: one cmocka program per module of lib/core, lib/link and
# lib/run, tests/unit/test_<module>.c.
# fixture.c (helpers shared by them) is linked into each when present.
# Without cmocka (libcmocka-dev) a plain build still configures: one test
# stands for the unit tests and reports itself skipped, with the reason.
find_library(CMOCKA_LIB cmocka)
find_path(CMOCKA_INCLUDE cmocka.h)
if(NOT CMOCKA_LIB OR NOT CMOCKA_INCLUDE)
  message(STATUS "cmocka not found (apt-get install libcmocka-dev): the unit tests are not built")
  add_test(NAME unit/cmocka-missing COMMAND sh -c
    "echo 'SKIP: cmocka (libcmocka-dev) was not found when this build was configured: no unit tests' >&2; exit 77")
  set_tests_properties(unit/cmocka-missing PROPERTIES SKIP_RETURN_CODE 77)
  return()
endif()
file(GLOB UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_*.c)
file(GLOB UNIT_FIXTURES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/unit/fixture*.c)
foreach(src ${UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src} ${UNIT_FIXTURES})
  target_link_libraries(${name} PRIVATE cowlink_link cowlink_run ${CMOCKA_LIB})
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit)
  add_test(NAME unit/${name} COMMAND ${name})
  # 77: the test cannot run here (no root, no loop device...) and says why.
  set_tests_properties(unit/${name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
    LABELS quick)
endforeach()
