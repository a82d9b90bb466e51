/* main.c: the `engine` program. */
#include <stdio.h>
#include "engine.h"
int main(void) { puts(eng_version()); return 0; }
