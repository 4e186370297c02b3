# SPDX-License-Identifier: MIT
# tests/integration: shell scripts that run real programs, one ctest each.
# Small C programs under integration/progs/*.c are built for them; scripts
# find everything through the environment set here. Exit 77 means skipped.
file(GLOB INTEG_PROGS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/integration/progs/*.c)
set(INTEG_PROG_TARGETS)
# They are built without _FILE_OFFSET_BITS and _FORTIFY_SOURCE, so that a
# call to open() in api_open.c reaches the symbol "open" (the 64 and
# fortified names have programs of their own). fort_*.c are built twice with
# -O2 -D_FORTIFY_SOURCE=2: <name> plain (__open_2...) and <name>64 with
# _FILE_OFFSET_BITS=64 (__open64_2...).
find_package(Threads)
function(cowlink_integ_prog target out src)
  add_executable(${target} ${src})
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${out}
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/progs)
  target_compile_options(${target} PRIVATE -U_FILE_OFFSET_BITS -U_FORTIFY_SOURCE ${ARGN})
  target_link_libraries(${target} PRIVATE cowlink_link cowlink_run)
  if(TARGET Threads::Threads)
    target_link_libraries(${target} PRIVATE Threads::Threads)
  endif()
endfunction()
foreach(src ${INTEG_PROGS})
  get_filename_component(name ${src} NAME_WE)
  file(STRINGS ${src} twin REGEX "API64\\(")
  if(twin)
    # The call and its 64 twin from one source (prog.h, API64).
    cowlink_integ_prog(prog_${name} ${name} ${src})
    cowlink_integ_prog(prog_${name}64 ${name}64 ${src} -DAPI64_BUILD)
    list(APPEND INTEG_PROG_TARGETS prog_${name} prog_${name}64)
  elseif(name MATCHES "^fort_")
    cowlink_integ_prog(prog_${name} ${name} ${src} -O2 -D_FORTIFY_SOURCE=2)
    cowlink_integ_prog(prog_${name}64 ${name}64 ${src} -O2 -D_FORTIFY_SOURCE=2 -D_FILE_OFFSET_BITS=64)
    list(APPEND INTEG_PROG_TARGETS prog_${name} prog_${name}64)
  elseif(name STREQUAL "snap")
    # The scripts' own stat-and-hash, not a program under test: built
    # without the sanitizers, whose runtime's start-up made a run cost
    # 10 ms instead of 1.5, some thousands of runs a build. It uses
    # nothing of ours.
    add_executable(prog_snap ${src})
    set_target_properties(prog_snap PROPERTIES OUTPUT_NAME snap
      RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/progs)
    foreach(p COMPILE_OPTIONS LINK_OPTIONS)
      get_target_property(v prog_snap ${p})
      if(v)
        list(FILTER v EXCLUDE REGEX "^-f(no-)?sanitize")
        set_target_properties(prog_snap PROPERTIES ${p} "${v}")
      endif()
    endforeach()
    list(APPEND INTEG_PROG_TARGETS prog_snap)
  else()
    cowlink_integ_prog(prog_${name} ${name} ${src})
    list(APPEND INTEG_PROG_TARGETS prog_${name})
  endif()
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
  # A "# cases: A B..." line: the script runs once per case instead, with
  # the case as its argument, so that a case whose precondition is missing
  # (a program not installed, not root) reports itself skipped on its own.
  file(STRINGS ${script} case_line REGEX "^# cases: ")
  # A "# ctest: PROPERTY VALUE..." line: more test properties for it (each
  # case), after the defaults below. The heavy tests use it to take the
  # "heavy" RESOURCE_LOCK, so that the package build, pjdfstest and the long
  # races never run at the same time as each other, and to set a TIMEOUT
  # sized from their measured times.
  file(STRINGS ${script} prop_line REGEX "^# ctest: ")
  string(REGEX REPLACE "^# ctest: *" "" props "${prop_line}")
  separate_arguments(props)
  # A "# modes: A B..." line: the writer tests, run once per way of putting
  # the program under test under cowlink (lib.sh, MODE: preload, run,
  # run-noshim), with COWLINK_TEST_MODE set. The first mode's test keeps the
  # script's name; the others are NAME/MODE, labelled "run" instead of
  # "quick" (the quick loop is one writer test per family, under the preload).
  file(STRINGS ${script} mode_line REGEX "^# modes: ")
  set(modes "")
  if(mode_line)
    string(REGEX REPLACE "^# modes: *" "" modes "${mode_line}")
    separate_arguments(modes)
  endif()
  set(cases "")
  if(case_line)
    string(REGEX REPLACE "^# cases: *" "" cases "${case_line}")
    separate_arguments(cases)
  else()
    set(cases "-")
  endif()
  foreach(c ${cases})
    set(base integration/${name})
    set(arg)
    if(NOT c STREQUAL "-")
      set(base ${base}/${c})
      set(arg ${c})
    endif()
    if(NOT modes)
      add_test(NAME ${base} COMMAND bash ${script} ${arg})
      set_tests_properties(${base} PROPERTIES
        ENVIRONMENT "${INTEG_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 300 ${props})
      continue()
    endif()
    list(GET modes 0 first)
    foreach(m ${modes})
      set(t ${base})
      if(NOT m STREQUAL first)
        set(t ${base}/${m})
      endif()
      add_test(NAME ${t} COMMAND bash ${script} ${arg})
      set_tests_properties(${t} PROPERTIES
        ENVIRONMENT "${INTEG_ENV};COWLINK_TEST_MODE=${m}" SKIP_RETURN_CODE 77 TIMEOUT 300 ${props})
      if(NOT m STREQUAL first)
        get_test_property(${t} LABELS labels)
        if(NOT labels)
          set(labels "")
        endif()
        list(REMOVE_ITEM labels quick)
        list(APPEND labels run mode-${m})
        set_tests_properties(${t} PROPERTIES LABELS "${labels}")
      endif()
    endforeach()
  endforeach()
endforeach()
