# SPDX-License-Identifier: MIT
# tests/abi: the shim's binary interface (STYLE.md "Tests"). symbols.sh
# checks the exports against wrap.def and libc; core.sh that the core calls
# none of them by name; two small programs check
# variadic argument promotion and a call from another library's constructor
# made before the shim's constructor ran. They are plain libc programs (not
# linked with the core), built without _FILE_OFFSET_BITS and fortify so that
# they call open, not open64 or a fortify twin, unless they say so.
if(NOT TARGET cowlink)
  return()
endif()

set(ABI_DIR ${CMAKE_CURRENT_SOURCE_DIR}/abi)
set(ABI_FLAGS -U_FILE_OFFSET_BITS -U_FORTIFY_SOURCE)

add_executable(abi_variadic ${ABI_DIR}/variadic.c)
target_compile_options(abi_variadic PRIVATE ${ABI_FLAGS})

add_library(abi_ctor SHARED ${ABI_DIR}/ctor_lib.c)
target_compile_options(abi_ctor PRIVATE ${ABI_FLAGS})
add_executable(abi_ctor_main ${ABI_DIR}/ctor_main.c)
target_compile_options(abi_ctor_main PRIVATE ${ABI_FLAGS})
target_link_libraries(abi_ctor_main PRIVATE abi_ctor)

set(ABI_ENV
  "LIBCOWLINK=$<TARGET_FILE:cowlink>"
  "COWLINK_EXPORTS=$<TARGET_FILE_DIR:cowlink>/exports.txt"
  # lib/core, lib/link and lib/run in one object: all that banned.h guards.
  "COWLINK_CORE=${PROJECT_BINARY_DIR}/lib/libcowlink-api.a"
  "ABI_VARIADIC=$<TARGET_FILE:abi_variadic>"
  "ABI_CTOR_MAIN=$<TARGET_FILE:abi_ctor_main>"
  "COWLINK_BUILD=${CMAKE_BINARY_DIR}"
  "COWLINK_SRC=${PROJECT_SOURCE_DIR}"
  "COWLINK_PROGS=${CMAKE_BINARY_DIR}/tests/progs")
if(TARGET cowln)
  list(APPEND ABI_ENV "COWLN=$<TARGET_FILE:cowln>")
endif()

foreach(t symbols programs core)
  add_test(NAME abi/${t} COMMAND bash ${ABI_DIR}/${t}.sh)
  set_tests_properties(abi/${t} PROPERTIES ENVIRONMENT "${ABI_ENV}"
    SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS quick)
endforeach()
