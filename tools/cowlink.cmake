# The cowlink admin tool (target cowlink_tool, installed as "cowlink"), with
# its man pages and the bash completion. The shim, the header and the C API
# archive are installed by lib/preload and lib/core, next to their targets.
find_library(LIBELF_LIB elf REQUIRED)
find_path(LIBELF_INCLUDE gelf.h REQUIRED)

file(GLOB COWLINK_TOOL_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cowlink/*.c)
add_executable(cowlink_tool ${COWLINK_TOOL_SOURCES})
set_target_properties(cowlink_tool PROPERTIES OUTPUT_NAME cowlink
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tools)
# libelf only here: cowlink audit reads programs' ELF files.
target_include_directories(cowlink_tool PRIVATE ${LIBELF_INCLUDE}
  ${CMAKE_CURRENT_SOURCE_DIR}/cowlink ${PROJECT_SOURCE_DIR}/lib/preload)
target_link_libraries(cowlink_tool PRIVATE cowlink_core ${LIBELF_LIB})

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
