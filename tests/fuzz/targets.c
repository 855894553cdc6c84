#include "canon.h"
#include "targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "store.h"
#include "subjson.h"
#include "wire.h"

static struct registry *reg;
static struct qset *qs;
static struct cycles *cycles;
static struct intake in;
static struct intake_result *result;

void fuzz_init(const char *srcdir)
{
	char path[4096], err[512];

	if (reg != NULL)
		return;
	cv_crypto_init();
	snprintf(path, sizeof path, "%s/data/members.csv", srcdir);
	if (registry_load(path, &reg, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
	snprintf(path, sizeof path, "%s/data/questionnaires", srcdir);
	if (qset_load_dir(path, &qs, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
	{
		static const char sched[] =
			"{\"cycles\": [{\"questionnaire\": \"integrity-self-assessment\", "
			"\"cycle\": \"2025\", \"opens\": \"2000-01-01\", \"due\": \"2099-12-31\", "
			"\"closes\": \"2099-12-31\"}]}";
		if (cycles_load_text("fuzz", sched, sizeof sched - 1, &cycles, err, sizeof err) !=
		    0)
			abort();
	}
	in.reg = reg;
	in.qs = qs;
	in.cycles = cycles;
	in.limits = wire_default_limits;
	result = malloc(sizeof *result);
	intake_result_init(result);
}

int fuzz_request(const uint8_t *data, size_t size)
{
	/* Insecure path: the payload's member claim, then full validation. */
	intake_check(&in, data, size, NULL, NULL, 0, result);
	/* And as an authenticated member whose key matches nobody. */
	intake_check(&in, data, size, "KE", "0000000000000000000000000000000000000000", 0, result);
	intake_result_clear(result);
	return 0;
}

int fuzz_json(const uint8_t *data, size_t size)
{
	Canvass__Submission *s;
	char err[256];

	if (subjson_parse((const char *)data, size, &s, err, sizeof err) == 0) {
		const struct questionnaire *q = qset_latest(qs, "integrity-self-assessment");
		struct verdict *v = malloc(sizeof *v);
		uint8_t *buf, hash[CV_HASH_LEN];
		size_t len;

		verdict_init(v);
		validate_submission(q, s, v);
		if (canon_pack(s, &buf, &len, hash) == 0)
			free(buf);
		free(v);
		WIRE_FREE(s);
	}
	return 0;
}

int fuzz_store_request(const uint8_t *data, size_t size)
{
	Canvass__StoreRequest *r;

	if (wire_decode_store_request(data, size, 512 * 1024, &r) == 0) {
		struct store_put p = {0};
		p.member = r->member;
		p.questionnaire = r->questionnaire;
		p.cycle = r->cycle;
		p.key = r->idempotency_key;
		(void)store_put_check(&p);
		WIRE_FREE(r);
	}
	return 0;
}
