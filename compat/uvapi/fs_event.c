/* SPDX-License-Identifier: MIT */
/* compat/uvapi: fs_event (to be written by its area's owner). */
#include "internal.h"
