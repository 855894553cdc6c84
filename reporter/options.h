/*
 * options.h - canvass-reporter's settings: the table read from the
 * [reporter] section of -c FILE and the command line, and the checks of
 * what a report needs (report.h says which report takes which).
 *
 * Strings point into the settings (settings_free(o->tab) frees them).
 */
#ifndef CANVASS_REPORTER_OPTIONS_H
#define CANVASS_REPORTER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "disclosure.h"
#include "settings.h"

struct report_opts {
	char *data, *registry_path, *qdir, *qid, *cycle, *format, *member, *section;
	char *cycles_list, *previous_cycle, *special_rate_text, *out_dir, *suppressed_as;
	char *publish;
	long version, as_of, min_group, min_group_order, threads;
	bool pdf, feedback, members, share_rule, equal_rule, approved_only, full_decode;
	bool link_rule, special_rule, all_returns;
	bool publish_approved;         /* from publish, checked */
	double special_rate;           /* from special_rate_text, checked */
	int fmt;                       /* enum format, from format or the report's default */
	struct disclosure_rules rules; /* from the disclosure settings */
	struct setting tab[30];        /* the rows of options_init, with the NULL row */
};

/* The defaults and the settings table over them. */
void options_init(struct report_opts *o);

#endif
