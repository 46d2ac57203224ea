/* SPDX-License-Identifier: MIT */
/* compat/uvapi: udp (to be written by its area's owner). */
#include "internal.h"
