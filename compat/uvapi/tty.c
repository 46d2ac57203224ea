/* SPDX-License-Identifier: MIT */
/* compat/uvapi: tty (to be written by its area's owner). */
#include "internal.h"
