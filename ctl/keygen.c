/* canvassctl keygen: a new CURVE key pair on disk. */
#include "ctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "keys.h"
#include "settings.h"

int ctl_keygen(int argc, char **argv)
{
	char *dir = NULL, err[512];
	const struct setting tab[] = {
		{"dir", SET_STRING, &dir, 0, 0, "DIR",
		 "where to write NAME.key and NAME.pub (.; made, mode 0700, if missing)"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct keypair kp;
	int next, rc;

	rc = settings_parse(tab, "canvassctl", argc, argv, &next, err, sizeof err);
	if (rc == SETTINGS_HELP || rc != 0 || next != argc - 1) {
		rc = ctl_usage("keygen", rc, err, tab,
			       "usage: canvassctl keygen [--dir DIR] NAME\n"
			       "Writes DIR/NAME.key (mode 0600: the key pair, keep it secret) and "
			       "DIR/NAME.pub,\nand prints the public key (Z85).\n");
		settings_free(tab);
		return rc;
	}
	/* A missing directory is made, for the owner only (it holds a secret). */
	if (dir != NULL && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "canvassctl keygen: %s: %s\n", dir, strerror(errno));
		settings_free(tab);
		return 1;
	}
	if (keys_generate(&kp) != 0 ||
	    keys_save(dir ? dir : ".", argv[next], &kp, err, sizeof err) != 0) {
		fprintf(stderr, "canvassctl keygen: %s\n", err);
		keys_wipe(&kp);
		settings_free(tab);
		return 1;
	}
	printf("%s\n", kp.public_z85);
	keys_wipe(&kp);
	settings_free(tab);
	return 0;
}
