/* canvassctl: operator tool; dispatches to one subcommand. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "settings.h"
#include "util.h"

int ctl_usage(const char *cmd, int rc, const char *err, const struct setting *tab,
	      const char *usage)
{
	FILE *out = rc == SETTINGS_HELP ? stdout : stderr;
	if (rc != 0 && rc != SETTINGS_HELP)
		fprintf(stderr, "canvassctl %s: %s\n", cmd, err);
	fputs(usage, out);
	settings_usage(tab, out);
	return rc == SETTINGS_HELP ? 0 : 2;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{"keygen", ctl_keygen, "write a new CURVE key pair (NAME.key, NAME.pub)"},
	{"member-key", ctl_member_key, "set, rotate or revoke a member's key in the registry"},
	{"check", ctl_check, "check a registry, questionnaires, cycles and keys without starting"},
	{"verify", ctl_verify, "walk the history's hash chain; report the first broken link"},
	{"history", ctl_history, "the history entries (no answer values) as JSON Lines"},
	{"backup", ctl_backup, "a compacted, verified copy of the live store"},
	{"tail", ctl_tail, "the aggregator's event feed, live"},
	{"review", ctl_review, "list, show, query, approve, reopen returns (the review loop)"},
	{"status", ctl_status, "every process: up or down, throughput, queue, store, last commit"},
	{"questionnaire", ctl_questionnaire,
	 "XLSForm workbooks of a questionnaire and back; diff of versions"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: canvassctl COMMAND [options]\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		cv_print_version(argv[0]);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (cv_crypto_init() != 0) {
		fprintf(stderr, "canvassctl: libsodium failed to initialise\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "canvassctl: unknown command %s\n", argv[1]);
	usage(stderr);
	return 2;
}
