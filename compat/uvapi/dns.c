/* SPDX-License-Identifier: MIT */
/* compat/uvapi: dns (to be written by its area's owner). */
#include "internal.h"
