#include "conformance.h"
Suite *fut_conf_process_suite(void){return suite_create("process");}
