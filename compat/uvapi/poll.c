/* SPDX-License-Identifier: MIT */
/* compat/uvapi: poll (to be written by its area's owner). */
#include "internal.h"
