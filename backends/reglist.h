/* SPDX-License-Identifier: MIT */
/* An intrusive list of registrations, for backends that set some aside. */
#ifndef FUT_BACKENDS_REGLIST_H
#define FUT_BACKENDS_REGLIST_H

#include <stddef.h>

/*
 * The libuv and libev backends keep the registrations whose watcher
 * watches more than io->interest on a "dirty" list, narrowed right before
 * the loop may block. A registration embeds one link; O(1) insertion and
 * removal, and removal of an unlinked link is a no-op (io_stop removes
 * unconditionally). Single-threaded: the runtime's thread only.
 */
struct fut_reglink {
    struct fut_reglink *next;
    struct fut_reglink **pprev; /* NULL: not on a list */
};

static inline void
fut_reglink_init(struct fut_reglink *l)
{
    l->next = NULL;
    l->pprev = NULL;
}

/* Put @l at the head of @head's list, unless it is on a list already. */
static inline void
fut_reglink_push(struct fut_reglink **head, struct fut_reglink *l)
{
    if (l->pprev != NULL)
        return;
    l->next = *head;
    if (*head != NULL)
        (*head)->pprev = &l->next;
    *head = l;
    l->pprev = head;
}

/* Take @l off its list, if it is on one. */
static inline void
fut_reglink_remove(struct fut_reglink *l)
{
    if (l->pprev == NULL)
        return;
    *l->pprev = l->next;
    if (l->next != NULL)
        l->next->pprev = l->pprev;
    fut_reglink_init(l);
}

/* The structure of type @type that holds link @l as member @member. */
#define FUT_REGLINK_OWNER(l, type, member)                                  \
    ((type *)(void *)((char *)(l) - offsetof(type, member)))

#endif /* FUT_BACKENDS_REGLIST_H */
