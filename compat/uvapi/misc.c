/* SPDX-License-Identifier: MIT */
/* compat/uvapi: misc (to be written by its area's owner). */
#include "internal.h"
