# SPDX-License-Identifier: MIT
# fuzz_audit: the ELF reader of cowlink audit, with libelf.
if(NOT LIBELF_LIB OR NOT LIBELF_INCLUDE)
  message(FATAL_ERROR "COWLINK_FUZZ: fuzz_audit needs libelf (apt-get install libelf-dev)")
endif()
target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tools/cowlink/audit.c)
target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/lib)
target_link_libraries(${name} PRIVATE ${LIBELF_LIB})

# The ELF seeds are made from the project's own source at build time (no
# third-party binary in the tree): a dynamic executable, its 64-byte header
# alone and its first 2000 bytes. fuzz.cmake passes the seed directory to
# the test after the checked-in corpus (script, 32-bit stub).
add_executable(fuzz_audit_seed ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/audit_seed.c)
set(seeds ${CMAKE_CURRENT_BINARY_DIR}/fuzz-audit/seeds)
add_custom_command(OUTPUT ${seeds}/dyn ${seeds}/header-only ${seeds}/truncated
  COMMAND ${CMAKE_COMMAND} -E make_directory ${seeds}
  COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:fuzz_audit_seed> ${seeds}/dyn
  COMMAND head -c 64 $<TARGET_FILE:fuzz_audit_seed> > ${seeds}/header-only
  COMMAND head -c 2000 $<TARGET_FILE:fuzz_audit_seed> > ${seeds}/truncated
  DEPENDS fuzz_audit_seed
  COMMENT "Making fuzz_audit's ELF seeds")
add_custom_target(fuzz_audit_seeds ALL
  DEPENDS ${seeds}/dyn ${seeds}/header-only ${seeds}/truncated)
add_dependencies(${name} fuzz_audit_seeds)
set(extra_corpus ${seeds})
