# fuzz_audit: the ELF reader of cowlink audit, with libelf.
target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tools/cowlink/audit.c)
target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/lib/preload)
target_link_libraries(${name} PRIVATE elf)
