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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_keys),
	};
	return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
