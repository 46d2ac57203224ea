/* SPDX-License-Identifier: MIT */
/* compat/uvapi: work (to be written by its area's owner). */
#include "internal.h"
