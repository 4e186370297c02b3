# tests/unit: one cmocka program per core module, tests/unit/test_<module>.c.
# fixture.c (helpers shared by them) is linked into each when present.
find_library(CMOCKA_LIB cmocka REQUIRED)
file(GLOB UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_*.c)
file(GLOB UNIT_FIXTURES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/unit/fixture*.c)
foreach(src ${UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src} ${UNIT_FIXTURES})
  target_link_libraries(${name} PRIVATE cowlink_core ${CMOCKA_LIB})
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit)
  add_test(NAME unit/${name} COMMAND ${name})
  # 77: the test cannot run here (no root, no loop device...) and says why.
  set_tests_properties(unit/${name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
