/* engine.c: engine configuration, creation and destruction. */
#include "engine.h"

const char *eng_version(void) { return ENG_VERSION_STRING; }
