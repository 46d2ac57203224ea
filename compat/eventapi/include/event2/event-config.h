/* SPDX-License-Identifier: MIT */
/*
 * event2/event-config.h - the configuration macros programs test, for the
 * libfutures libevent 2.1 API shim on Linux. Only what is true here is
 * defined.
 */
#ifndef EVENT2_EVENT_CONFIG_H_INCLUDED_
#define EVENT2_EVENT_CONFIG_H_INCLUDED_

/* The libevent release whose API the shim implements. */
#define EVENT__VERSION "2.1.12-stable"
#define EVENT__NUMERIC_VERSION 0x02010c00
#define EVENT__PACKAGE "libevent"

#define EVENT__HAVE_EPOLL 1
#define EVENT__HAVE_STDINT_H 1
#define EVENT__HAVE_SYS_TIME_H 1
#define EVENT__HAVE_SYS_TYPES_H 1
#define EVENT__HAVE_SYS_SOCKET_H 1
#define EVENT__HAVE_NETDB_H 1
#define EVENT__HAVE_UNISTD_H 1
#define EVENT__HAVE_FCNTL_H 1
#define EVENT__HAVE_STRUCT_ADDRINFO 1
#define EVENT__HAVE_STRUCT_SOCKADDR_STORAGE 1
#define EVENT__HAVE_STRUCT_IN6_ADDR 1
#define EVENT__HAVE_STRUCT_SOCKADDR_IN6 1
#define EVENT__HAVE_GETADDRINFO 1
#define EVENT__HAVE_GETRANDOM 1
#define EVENT__SIZEOF_INT 4
#define EVENT__SIZEOF_LONG_LONG 8
#define EVENT__SIZEOF_SHORT 2

#endif /* EVENT2_EVENT_CONFIG_H_INCLUDED_ */
