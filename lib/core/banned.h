/* SPDX-License-Identifier: MIT */
/* Included last by every source of lib/core, lib/link and lib/run: a
 * by-name call there of a symbol the preload shim wraps would go through
 * the shim's own wrapper (and may recurse). Use cl_* (sys.h). Every row of
 * wrap.def is banned: the list is made from it (banned.in), and
 * tests/abi/core.sh checks the built archives' undefined symbols against
 * the shim's exports. Modelled on git's banned.h. */
#ifndef CL_BANNED_H
#define CL_BANNED_H

#define BANNED(f) sorry_##f##_is_banned_in_lib_core_use_cl_sys

#include "banned_wrapped.h"

#endif
