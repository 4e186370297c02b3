# SPDX-License-Identifier: MIT
# cowln: make copy-on-write links (tools/cowln.c), a thin layer on lib/link.
add_executable(cowln ${CMAKE_CURRENT_LIST_DIR}/cowln.c)
target_link_libraries(cowln PRIVATE cowlink_link)
install(TARGETS cowln RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_CURRENT_LIST_DIR}/man/cowln.1
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
