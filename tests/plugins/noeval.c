/* tests/plugins/noeval.c - a plugin that forgot its eval symbol. */
#include <ringsweep/objective.h>

RSW_OBJECTIVE_PLUGIN;
