/* SPDX-License-Identifier: MIT */
/* compat/uvapi: fs_poll (to be written by its area's owner). */
#include "internal.h"
