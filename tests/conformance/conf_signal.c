#include "conformance.h"
Suite *fut_conf_signal_suite(void){return suite_create("signal");}
