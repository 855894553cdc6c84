#include "options.h"
#include "dataset.h"
#include "error.h"

#include <string.h>

void options_init(struct report_opts *o)
{
	const struct setting tab[] = {
		{"data", SET_STRING, &o->data, 0, 0, "DIR", "store directory"},
		{"registry", SET_STRING, &o->registry_path, 0, 0, "FILE", "member registry (CSV)"},
		{"questionnaires", SET_STRING, &o->qdir, 0, 0, "DIR", "questionnaire definitions"},
		{"questionnaire", SET_STRING, &o->qid, 0, 0, "ID", "questionnaire id"},
		{"version", SET_LONG, &o->version, 0, 1000000, "N",
		 "definition version to report with (default: the cycle's publication "
		 "version, the one most of its returns answered; another is confidential)"},
		{"cycle", SET_STRING, &o->cycle, 0, 0, "CYCLE", "cycle, e.g. 2025"},
		{"format", SET_STRING, &o->format, 0, 0, "FORMAT",
		 "text, json, csv, html, jsonl, xlsx, sdmx, xml"},
		{"as-of", SET_LONG, &o->as_of, 0, 2147483647L, "SEQ",
		 "the report as it was at store sequence SEQ"},
		{"min-group", SET_LONG, &o->min_group, 1, 1000, "K",
		 "disclosure: hide figures of fewer than K answering members (3; numbers "
		 "need at least 4; 1 turns disclosure control off)"},
		{"min-group-order", SET_LONG, &o->min_group_order, 1, 1000000, "N",
		 "disclosure: min, quartiles and max only with N answering (10); never in "
		 "feedback"},
		{"share-rule", SET_FLAG, &o->share_rule, 0, 0, NULL,
		 "disclosure: hide shares where one option holds all or all but one (of a "
		 "multiple choice: or none or one) (on; --share-rule=false turns it off)"},
		{"equal-rule", SET_FLAG, &o->equal_rule, 0, 0, NULL,
		 "disclosure: hide numbers where all answers, or all but one, are equal (on)"},
		{"link-rule", SET_FLAG, &o->link_rule, 0, 0, NULL,
		 "disclosure: hide a section or overall score in a group where a question it "
		 "is computed from is hidden (on)"},
		{"special-rule", SET_FLAG, &o->special_rule, 0, 0, NULL,
		 "disclosure: hide n/a and don't-know counts of fewer than K, or where one kind "
		 "holds all or all but one of those without a value (on)"},
		{"publish", SET_STRING, &o->publish, 0, 0, "VIEW",
		 "the one view of a cycle that may be published: all (every return, the "
		 "default) or approved (--approved-only); the other is marked confidential"},
		{"suppressed-as", SET_STRING, &o->suppressed_as, 0, 0, "TEXT",
		 "what a hidden figure shows in text, CSV and HTML (x)"},
		{"member", SET_STRING, &o->member, 0, 0, "CODE", "member (member, trend, html)"},
		{"feedback", SET_FLAG, &o->feedback, 0, 0, NULL,
		 "member: the version for the member itself"},
		{"section", SET_STRING, &o->section, 0, 0, "ID",
		 "ranking: by this section's score"},
		{"cycles", SET_STRING, &o->cycles_list, 0, 0, "LIST",
		 "trend: cycles, comma-separated (all in the store)"},
		{"previous-cycle", SET_STRING, &o->previous_cycle, 0, 0, "CYCLE",
		 "quality: the cycle changes are measured from (the store's cycle before "
		 "--cycle; \"none\": no change check)"},
		{"special-rate", SET_STRING, &o->special_rate_text, 0, 0, "SHARE",
		 "quality: report questions whose share of don't know / not applicable "
		 "answers is at least SHARE, 0-1 (0.25)"},
		{"out", SET_STRING, &o->out_dir, 0, 0, "DIR",
		 "feedback-pack: the directory the pages go to (created 0700)"},
		{"pdf", SET_FLAG, &o->pdf, 0, 0, NULL,
		 "feedback-pack: a PDF of every page too, printed by headless Chromium"},
		{"approved-only", SET_FLAG, &o->approved_only, 0, 0, NULL,
		 "compare, member, ranking, trend, export, feedback-pack: only the returns "
		 "approved at the position (docs/review.md)"},
		{"all-returns", SET_FLAG, &o->all_returns, 0, 0, NULL,
		 "digest: every return, approved or not (a draft for the Secretariat, marked "
		 "confidential); default: the approved returns only"},
		{"full-decode", SET_FLAG, &o->full_decode, 0, 0, NULL,
		 "read every submission with protobuf-c, not in place (the reference "
		 "path: the same output, slower)"},
		{"threads", SET_LONG, &o->threads, 0, DS_MAX_THREADS, "N",
		 "compare without member rows reads the store with N threads (default 0: one "
		 "per core, at most 8); the same output whatever N"},
		{"members", SET_FLAG, &o->members, 0, 0, NULL,
		 "compare: add member-level rows and the heatmap (Secretariat only)"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	_Static_assert(sizeof tab == sizeof o->tab, "options: the table's size");
	memset(o, 0, sizeof *o);
	o->special_rate = 0.25;
	o->min_group = 3;
	o->min_group_order = 10;
	o->share_rule = true;
	o->equal_rule = true;
	o->link_rule = true;
	o->special_rule = true;
	memcpy(o->tab, tab, sizeof tab);
}
