#include "util.h"

#include <stdio.h>
#include <string.h>

#ifndef CANVASS_VERSION
#define CANVASS_VERSION "0"
#endif
#ifndef CANVASS_COMMIT
#define CANVASS_COMMIT "unknown"
#endif

const char *cv_version(void)
{
	return CANVASS_VERSION;
}

const char *cv_commit(void)
{
	return CANVASS_COMMIT[0] != '\0' ? CANVASS_COMMIT : "unknown";
}

void cv_print_version(const char *argv0)
{
	const char *name = argv0 != NULL ? strrchr(argv0, '/') : NULL;
	printf("%s (canvass) %s, commit %s\n", name != NULL ? name + 1 : argv0, cv_version(),
	       cv_commit());
}
