#include "conformance.h"
Suite *fut_conf_fd_suite(void){return suite_create("fd");}
