/* SPDX-License-Identifier: MIT */
/* compat/uvapi: process (to be written by its area's owner). */
#include "internal.h"
