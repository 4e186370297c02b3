# The cowlink admin tool (target cowlink_tool, installed as "cowlink") and
# the install rules for what users get: tools, shim, header, the C API as a
# static library with its pkg-config file, man pages, bash completion.
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
install(FILES ${PROJECT_SOURCE_DIR}/include/cowlink.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The C API as a static archive. Not libcowlink.a: -lcowlink would find the
# preload shim libcowlink.so first.
install(FILES $<TARGET_FILE:cowlink_core>
  DESTINATION ${CMAKE_INSTALL_LIBDIR} RENAME libcowlink-api.a)
file(RELATIVE_PATH COWLINK_PC_TO_PREFIX
  ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" COWLINK_PC_TO_PREFIX "${COWLINK_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/cowlink.pc.in
  ${CMAKE_BINARY_DIR}/cowlink.pc.tmp @ONLY)
# The prefix is known only at install time (cmake --install --prefix):
# the .pc file computes its paths from its own location instead.
install(FILES ${CMAKE_BINARY_DIR}/cowlink.pc.tmp
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig RENAME cowlink.pc)

# cowln.1 is installed with cowln (tools/cowln.cmake).
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/man/cowlink.1
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/man/libcowlink.7
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man7)
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/completion/cowln
  ${CMAKE_CURRENT_SOURCE_DIR}/completion/cowlink
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# The shim (lib/preload, added before the tools). cowln installs itself.
if(TARGET cowlink)
  install(TARGETS cowlink LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()
