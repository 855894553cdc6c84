#include "render.h"

#include <string.h>

int render_format(const char *s)
{
	static const char *const names[] = {"text", "json", "csv", "html",    "jsonl",
					    "xlsx", "sdmx", "xml", "markdown"};
	for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}
