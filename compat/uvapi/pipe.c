/* SPDX-License-Identifier: MIT */
/* compat/uvapi: pipe (to be written by its area's owner). */
#include "internal.h"
