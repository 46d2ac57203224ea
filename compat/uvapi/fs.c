/* SPDX-License-Identifier: MIT */
/* compat/uvapi: fs (to be written by its area's owner). */
#include "internal.h"
