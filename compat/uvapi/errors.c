/* SPDX-License-Identifier: MIT */
/* compat/uvapi: errors (to be written by its area's owner). */
#include "internal.h"
