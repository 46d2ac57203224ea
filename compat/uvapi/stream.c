/* SPDX-License-Identifier: MIT */
/* compat/uvapi: stream (to be written by its area's owner). */
#include "internal.h"
