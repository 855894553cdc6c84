/*
 * ctl.h - canvassctl, the operator tool: one function per subcommand,
 * each taking its own argv (argv[0] is the subcommand) and returning the
 * exit status: 0 success, 1 failure, 2 usage error.
 */
#ifndef CANVASS_CTL_H
#define CANVASS_CTL_H

struct setting;

/*
 * A subcommand's usage answer: the parse error (rc neither 0 nor
 * SETTINGS_HELP) on stderr, then usage and the options, on stdout for
 * --help and stderr otherwise. Returns the exit status: 0 for --help, 2.
 */
int ctl_usage(const char *cmd, int rc, const char *err, const struct setting *tab,
	      const char *usage);

int ctl_keygen(int argc, char **argv);
int ctl_check(int argc, char **argv);
int ctl_member_key(int argc, char **argv);
int ctl_verify(int argc, char **argv);
int ctl_history(int argc, char **argv);
int ctl_backup(int argc, char **argv);
int ctl_tail(int argc, char **argv);
int ctl_status(int argc, char **argv);
int ctl_review(int argc, char **argv);
int ctl_questionnaire(int argc, char **argv);

#endif
