/*
 * canvassctl check: loads a configuration the way the collector would
 * (registry, questionnaires, cycles, keys) and says what it found or the
 * first thing that is wrong, without starting anything.
 */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

#include "cycles.h"
#include "daemon.h"
#include "keys.h"
#include "qdef.h"
#include "registry.h"
#include "settings.h"
#include "util.h"

int ctl_check(int argc, char **argv)
{
	char *registry_path = NULL, *qdir = NULL, *cycles_path = NULL, *key = NULL;
	char *agg_key = NULL, err[1024];
	const struct setting tab[] = {
		{"registry", SET_STRING, &registry_path, 0, 0, "FILE", "member registry (CSV)"},
		{"questionnaires", SET_STRING, &qdir, 0, 0, "DIR", "questionnaire definitions"},
		{"cycles", SET_STRING, &cycles_path, 0, 0, "FILE", "cycle schedule (JSON)"},
		{"key", SET_STRING, &key, 0, 0, "FILE", "the collector's key pair"},
		{"aggregator-key", SET_STRING, &agg_key, 0, 0, "FILE",
		 "the aggregator's public key"},
		{"*", SET_OTHERS, NULL, 0, 0, NULL, NULL},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct registry *reg = NULL;
	struct qset *qs = NULL;
	struct cycles *cy = NULL;
	size_t with_keys = 0;
	int next, rc, status = 1;

	rc = settings_parse(tab, "collector", argc, argv, &next, err, sizeof err);
	if (rc == SETTINGS_HELP || rc != 0 || next != argc ||
	    (!registry_path && !qdir && !cycles_path)) {
		rc = ctl_usage("check", rc, err, tab,
			       "usage: canvassctl check [-c FILE] [--registry FILE] "
			       "[--questionnaires DIR] [--cycles FILE] [--key FILE] "
			       "[--aggregator-key FILE]\n"
			       "Loads what is given (with -c, the [collector] section) as the "
			       "collector would.\nExit status: 0 valid, 1 invalid, 2 usage.\n");
		settings_free(tab);
		return rc;
	}
	if (registry_path != NULL) {
		if (registry_load(registry_path, &reg, err, sizeof err) != 0)
			goto bad;
		for (size_t i = 0; i < reg->n; i++)
			with_keys += reg->members[i].public_key != NULL;
		printf("registry %s: %zu members in %zu regions, %zu with a public key\n",
		       registry_path, reg->n, reg->n_regions, with_keys);
		if (with_keys < reg->n)
			printf("WARNING: %zu members have no public key: a collector refuses them "
			       "at the handshake until `canvassctl member-key` sets one\n",
			       reg->n - with_keys);
	}
	if (qdir != NULL) {
		if (qset_load_dir(qdir, &qs, err, sizeof err) != 0)
			goto bad;
		for (size_t i = 0; i < qs->n; i++) {
			const struct questionnaire *q = qs->items[i];
			size_t conditions = 0, checked = 0;
			for (size_t k = 0; k < q->n_questions; k++) {
				const struct qcheck *c = &q->questions[k].check;
				conditions += q->questions[k].when != NULL;
				checked += c->has_warn_below || c->has_warn_above || c->change ||
					   c->outlier_z > 0;
			}
			printf("questionnaire %s version %u: %zu sections, %zu questions, %zu "
			       "conditions, %zu rules, %zu questions with quality checks\n",
			       q->id, q->version, q->n_sections, q->n_questions, conditions,
			       q->n_rules, checked);
		}
	}
	if (cycles_path != NULL) {
		if (cycles_load(cycles_path, &cy, err, sizeof err) != 0)
			goto bad;
		for (size_t i = 0; i < cy->n; i++) {
			char o[32], d[32], c[32];
			if (qs != NULL && qset_latest(qs, cy->items[i].questionnaire) == NULL) {
				snprintf(err, sizeof err,
					 "%s: cycle %s names an unknown questionnaire %s",
					 cycles_path, cy->items[i].cycle,
					 cy->items[i].questionnaire);
				goto bad;
			}
			printf("cycle %s of %s: opens %s, due %s, closes %s\n", cy->items[i].cycle,
			       cy->items[i].questionnaire,
			       cv_utc_time(cy->items[i].opens_ms, o, sizeof o),
			       cv_utc_time(cy->items[i].due_ms, d, sizeof d),
			       cv_utc_time(cy->items[i].closes_ms, c, sizeof c));
		}
	}
	if (key != NULL) {
		struct keypair kp;
		rc = keys_load_pair(key, &kp, err, sizeof err);
		keys_wipe(&kp);
		if (rc != 0)
			goto bad;
		printf("key pair %s: public key %s\n", key, kp.public_z85);
	}
	if (agg_key != NULL) {
		char pub[KEY_Z85_LEN + 1];
		if (keys_load_public(agg_key, pub, err, sizeof err) != 0)
			goto bad;
		printf("public key %s: %s\n", agg_key, pub);
	}
	/* With -c, the [aggregator] section too: its keys and endpoints. */
	for (int i = 1; i + 1 < argc; i++) {
		char *own_key = NULL, *listen = NULL, *http = NULL, *events = NULL;
		struct strlist collector_keys = {0};
		bool insecure = false;
		const struct setting atab[] = {
			{"key", SET_STRING, &own_key, 0, 0, NULL, NULL},
			{"collector-key", SET_LIST, &collector_keys, 0, 0, NULL, NULL},
			{"listen", SET_STRING, &listen, 0, 0, NULL, NULL},
			{"http", SET_STRING, &http, 0, 0, NULL, NULL},
			{"events", SET_STRING, &events, 0, 0, NULL, NULL},
			{"insecure", SET_FLAG, &insecure, 0, 0, NULL, NULL},
			{"*", SET_OTHERS, NULL, 0, 0, NULL, NULL},
			{NULL, 0, NULL, 0, 0, NULL, NULL},
		};
		char *args[] = {"check", "-c", argv[i + 1], NULL};
		int k, bad = 0;

		if (strcmp(argv[i], "-c") != 0 && strcmp(argv[i], "--config") != 0)
			continue;
		if (settings_parse(atab, "aggregator", 3, args, &k, err, sizeof err) != 0)
			bad = 1;
		if (!bad && listen != NULL &&
		    daemon_endpoint_allowed(listen, insecure, err, sizeof err) != 0)
			bad = 1;
		if (!bad && !insecure && listen != NULL &&
		    (own_key == NULL || collector_keys.n == 0)) {
			snprintf(err, sizeof err,
				 "[aggregator]: key and collector-key are required");
			bad = 1;
		}
		if (!bad && own_key != NULL) {
			struct keypair kp;
			bad = keys_load_pair(own_key, &kp, err, sizeof err) != 0;
			keys_wipe(&kp);
		}
		for (size_t c = 0; !bad && c < collector_keys.n; c++) {
			char pub[KEY_Z85_LEN + 1];
			bad = keys_load_public(collector_keys.items[c], pub, err, sizeof err) != 0;
		}
		if (!bad && events != NULL && strncmp(events, "ipc://", 6) != 0 &&
		    strncmp(events, "tcp://127.", 10) != 0) {
			snprintf(err, sizeof err,
				 "[aggregator] events: ipc:// or tcp://127.x only");
			bad = 1;
		}
		if (!bad && http != NULL && strncmp(http, "127.", 4) != 0 &&
		    strncmp(http, "localhost:", 10) != 0) {
			snprintf(err, sizeof err, "[aggregator] http: a loopback address only");
			bad = 1;
		}
		if (!bad && listen != NULL)
			printf("aggregator: listen %s, %zu collector keys, curve %s\n", listen,
			       collector_keys.n, insecure ? "off" : "on");
		settings_free(atab);
		if (bad)
			goto bad;
		break;
	}
	printf("OK\n");
	status = 0;
	goto out;
bad:
	fprintf(stderr, "canvassctl check: %s\n", err);
out:
	registry_free(&reg);
	qset_free(&qs);
	cycles_free(&cy);
	settings_free(tab);
	return status;
}
