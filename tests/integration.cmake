# tests/integration: shell scripts that run real programs, one ctest each.
# Small C programs under integration/progs/*.c are built for them; scripts
# find everything through the environment set here. Exit 77 means skipped.
file(GLOB INTEG_PROGS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/integration/progs/*.c)
set(INTEG_PROG_TARGETS)
foreach(src ${INTEG_PROGS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(prog_${name} ${src})
  set_target_properties(prog_${name} PROPERTIES OUTPUT_NAME ${name}
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/progs)
  target_link_libraries(prog_${name} PRIVATE cowlink_core)
  list(APPEND INTEG_PROG_TARGETS prog_${name})
endforeach()

set(INTEG_ENV
  "COWLINK_BUILD=${CMAKE_BINARY_DIR}"
  "COWLINK_SRC=${PROJECT_SOURCE_DIR}"
  "COWLINK_PROGS=${CMAKE_BINARY_DIR}/tests/progs")
if(TARGET cowln)
  list(APPEND INTEG_ENV "COWLN=$<TARGET_FILE:cowln>")
endif()
if(TARGET cowlink_tool)
  list(APPEND INTEG_ENV "COWLINK_TOOL=$<TARGET_FILE:cowlink_tool>")
endif()
if(TARGET cowlink)
  list(APPEND INTEG_ENV "LIBCOWLINK=$<TARGET_FILE:cowlink>")
endif()

file(GLOB INTEG_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/integration/*.sh)
foreach(script ${INTEG_TESTS})
  get_filename_component(name ${script} NAME_WE)
  if(name STREQUAL "lib")
    continue()
  endif()
  add_test(NAME integration/${name} COMMAND bash ${script})
  set_tests_properties(integration/${name} PROPERTIES
    ENVIRONMENT "${INTEG_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
