# SPDX-License-Identifier: MIT
# The cowlink admin tool (target cowlink_tool, installed as "cowlink"), with
# its man pages and the bash completion. The shim, the header and the C API
# archive are installed by lib/preload and lib/CMakeLists.txt.
# libelf (libelf-dev) only for cowlink audit, which reads programs' ELF
# files: without it the tool is built without audit and says so.
find_library(LIBELF_LIB elf)
find_path(LIBELF_INCLUDE gelf.h)

file(GLOB COWLINK_TOOL_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cowlink/*.c)
if(NOT LIBELF_LIB OR NOT LIBELF_INCLUDE)
  message(STATUS "libelf not found (apt-get install libelf-dev): cowlink audit is left out")
  list(REMOVE_ITEM COWLINK_TOOL_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cowlink/audit.c)
  set(LIBELF_LIB "")
  set(LIBELF_INCLUDE "")
endif()
add_executable(cowlink_tool ${COWLINK_TOOL_SOURCES})
if(LIBELF_LIB)
  target_compile_definitions(cowlink_tool PRIVATE COWLINK_HAVE_LIBELF=1)
endif()
set_target_properties(cowlink_tool PROPERTIES OUTPUT_NAME cowlink
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tools)
target_include_directories(cowlink_tool PRIVATE ${LIBELF_INCLUDE}
  ${CMAKE_CURRENT_SOURCE_DIR}/cowlink ${PROJECT_SOURCE_DIR}/lib)
target_link_libraries(cowlink_tool PRIVATE cowlink_link cowlink_run ${LIBELF_LIB})

# cowlink run finds the shim next to the installed tool (bindir -> libdir,
# relative, so a --prefix given at install time works), else in the build
# tree, else in the libdir configured here. Distribution builds turn the
# build tree off: the installed tool must not carry, or look in, a path of
# the machine it was built on.
option(COWLINK_RUN_BUILD_SHIM "cowlink run falls back to the build tree's shim" ON)
file(RELATIVE_PATH COWLINK_REL_LIBDIR
  ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}
  ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR})
target_compile_definitions(cowlink_tool PRIVATE
  COWLINK_REL_LIBDIR="${COWLINK_REL_LIBDIR}"
  COWLINK_INSTALL_LIBDIR="${CMAKE_INSTALL_FULL_LIBDIR}")
if(TARGET cowlink AND COWLINK_RUN_BUILD_SHIM)
  target_compile_definitions(cowlink_tool PRIVATE
    COWLINK_BUILD_SHIM="$<TARGET_FILE:cowlink>")
endif()

# ---- installation ----------------------------------------------------------

install(TARGETS cowlink_tool RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/man/cowlink.1
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/completion/cowln
  ${CMAKE_CURRENT_SOURCE_DIR}/completion/cowlink
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
