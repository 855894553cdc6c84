/* registry: the member list, from the shipped WCO file and from bad files. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "registry.h"

static void test_shipped(void **state)
{
	struct registry *reg;
	char err[512];
	const struct member *m;
	(void)state;

	if (registry_load(tu_src("data/members.csv"), &reg, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(reg->n, 187);
	assert_int_equal(reg->n_regions, 6);
	m = registry_find(reg, "KE");
	assert_non_null(m);
	assert_string_equal(m->name, "Kenya");
	assert_string_equal(m->region, "East and Southern Africa");
	assert_string_equal(reg->regions[m->region_index], "East and Southern Africa");
	/* The quoted region with a comma survives the CSV reader. */
	m = registry_find(reg, "EG");
	assert_string_equal(m->region, "North of Africa, Near and Middle East");
	assert_null(registry_find(reg, "ZZ"));
	assert_null(m->public_key);
	registry_free(&reg);
	assert_null(reg);
}

static void expect_bad(const char *dir, const char *text, const char *fragment)
{
	struct registry *reg = (void *)1;
	char err[512] = "";
	assert_int_equal(registry_load(tu_write(dir, "r.csv", text), &reg, err, sizeof err),
			 CV_ECONFIG);
	assert_null(reg);
	if (strstr(err, fragment) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err, fragment);
}

static void test_bad(void **state)
{
	char *dir = tu_tempdir();
	(void)state;
	expect_bad(dir, "id,name,region\nKE,Kenya,ESA\n", "line 1: header");
	expect_bad(dir, "code,name,region\n", "no members");
	expect_bad(dir, "code,name,region\nKE,Kenya\n", "line 2: expected 3 fields");
	expect_bad(dir, "code,name,region\nke,Kenya,ESA\n", "line 2: code");
	expect_bad(dir, "code,name,region\nKE,Kenya,ESA\nKE,Kenya again,ESA\n", "KE listed twice");
	expect_bad(dir, "code,name,region\nKE,,ESA\n", "line 2: name and region");
	expect_bad(dir, "code,name,region\nKE,\"Kenya,ESA\n", "r.csv");
	expect_bad(dir, "code,name,region,public_key\nKE,Kenya,ESA,short\n", "public_key");
	/* One key for two members; of two such pairs, the first member's code names it. */
	expect_bad(dir,
		   "code,name,region,public_key\n"
		   "ZA,South Africa,ESA,Bq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n"
		   "UG,Uganda,ESA,rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n"
		   "TZ,Tanzania,ESA,\n"
		   "KE,Kenya,ESA,rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n"
		   "FR,France,Europe,Bq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n"
		   "RW,Rwanda,ESA,rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n",
		   "members FR and ZA share a public key");
	expect_bad(dir,
		   "code,name,region,public_key\n"
		   "UG,Uganda,ESA,rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n"
		   "KE,Kenya,ESA,rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n",
		   "members KE and UG share a public key");
	tu_rmtree(dir);
	free(dir);
}

static void test_keys(void **state)
{
	char *dir = tu_tempdir();
	struct registry *reg;
	char err[512];
	(void)state;
	assert_int_equal(
		registry_load(tu_write(dir, "r.csv",
				       "code,name,region,public_key\n"
				       "KE,Kenya,ESA,rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n"
				       "UG,Uganda,ESA,\n"),
			      &reg, err, sizeof err),
		0);
	assert_string_equal(
		registry_find_key(reg, "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7")->code, "KE");
	assert_null(registry_find(reg, "UG")->public_key);
	registry_free(&reg);
	tu_rmtree(dir);
	free(dir);
}

/* What registry_write writes, registry_load reads back the same: quotes, commas, keys. */
static void test_write_round_trip(void **state)
{
	char *dir = tu_tempdir(), path[4200], err[512];
	const char *src = tu_write(dir, "in.csv",
				   "code,name,region,public_key\n"
				   "KE,Kenya,\"East and Southern Africa\",\n"
				   "XX,\"The \"\"Quoted\"\", Name\",\"North, South\","
				   "rq:qBX#!^6o0.VMlz)H8Cg6>5)dZZ.@Gy[*o6&zZ\n");
	struct registry *a, *b;
	FILE *f;
	(void)state;

	assert_int_equal(registry_load(src, &a, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/out.csv", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(registry_write(a, f), 0);
	assert_int_equal(fclose(f), 0);
	if (registry_load(path, &b, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(b->n, a->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_string_equal(b->members[i].code, a->members[i].code);
		assert_string_equal(b->members[i].name, a->members[i].name);
		assert_string_equal(b->members[i].region, a->members[i].region);
		if (a->members[i].public_key == NULL)
			assert_null(b->members[i].public_key);
		else
			assert_string_equal(b->members[i].public_key, a->members[i].public_key);
	}
	assert_string_equal(registry_find(b, "XX")->name, "The \"Quoted\", Name");
	registry_free(&a);
	registry_free(&b);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_write_round_trip),
	};
	return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
