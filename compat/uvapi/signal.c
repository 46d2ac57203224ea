/* SPDX-License-Identifier: MIT */
/* compat/uvapi: signal (to be written by its area's owner). */
#include "internal.h"
