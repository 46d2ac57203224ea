/* SPDX-License-Identifier: MIT */
/* compat/uvapi: os (to be written by its area's owner). */
#include "internal.h"
