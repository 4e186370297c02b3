# fuzz_audit: the ELF reader of cowlink audit, with libelf.
if(NOT LIBELF_LIB OR NOT LIBELF_INCLUDE)
  message(FATAL_ERROR "COWLINK_FUZZ: fuzz_audit needs libelf (apt-get install libelf-dev)")
endif()
target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tools/cowlink/audit.c)
target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/lib)
target_link_libraries(${name} PRIVATE ${LIBELF_LIB})
