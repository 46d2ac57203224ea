/* SPDX-License-Identifier: MIT */
/* compat/uvapi: thread (to be written by its area's owner). */
#include "internal.h"
