/* SPDX-License-Identifier: MIT */
/* compat/uvapi: tcp (to be written by its area's owner). */
#include "internal.h"
