/*
 * submit.h - what the modes of canvass-submit share: how to reach a
 * collector and as whom (the same settings and [submit] section in every
 * mode), and the exit statuses.
 */
#ifndef CANVASS_CLIENT_SUBMIT_H
#define CANVASS_CLIENT_SUBMIT_H

#include "settings.h"

/* Exit statuses of canvass-submit (its --help and man page list them). */
enum { EXIT_STORED = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNDELIVERED = 3, EXIT_AUTH = 4 };

/* How to reach a collector and as whom: every mode's first three settings. */
#define LINK_SETTINGS(connect, key_path, server_key_path)                                          \
	{"connect",                                                                                \
	 SET_LIST,                                                                                 \
	 &(connect),                                                                               \
	 0,                                                                                        \
	 0,                                                                                        \
	 "ENDPOINT",                                                                               \
	 "collector endpoint (repeat for failover)"},                                              \
		{"key",                                                                            \
		 SET_STRING,                                                                       \
		 &(key_path),                                                                      \
		 0,                                                                                \
		 0,                                                                                \
		 "FILE",                                                                           \
		 "this member's CURVE key pair (.key)"},                                           \
	{                                                                                          \
		"server-key", SET_STRING, &(server_key_path), 0, 0, "FILE",                        \
			"the collectors' public key (.pub)"                                        \
	}

/* canvass-submit serve: the member's portal (client/portal/serve.c). */
int serve_main(int argc, char **argv);

#endif
