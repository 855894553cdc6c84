/* text: the string rule (RFC 3629 UTF-8, no NUL, no controls), identifier classes, sanitising. */
#include "text.h"
#include "testutil.h"

#include <string.h>

static enum text_fault check(const char *s, size_t len, size_t *at)
{
	return text_check(s, len, at);
}

static void test_valid_utf8(void **state)
{
	static const char *ok[] = {
		"",
		"plain ASCII",
		"tab\tnewline\ncarriage\r",
		"caf\xc3\xa9",      /* U+00E9 */
		"\xe2\x82\xac 100", /* U+20AC */
		"\xef\xbf\xbd",     /* U+FFFD */
		"\xf0\x9f\x98\x80", /* U+1F600 */
		"\xf4\x8f\xbf\xbf", /* U+10FFFF, the last code point */
		"\xed\x9f\xbf",     /* U+D7FF, just below the surrogates */
		"\xee\x80\x80",     /* U+E000, just above them */
		"\xc2\xa0",         /* U+00A0, just above the C1 controls (refused) */
	};
	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		assert_int_equal(check(ok[i], strlen(ok[i]), NULL), TEXT_OK);
}

static void test_invalid_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t len, at;
		enum text_fault want;
	} bad[] = {
		{"ab\xff\xfe", 4, 2, TEXT_BAD_UTF8},       /* bytes that never occur */
		{"\xc0\xaf", 2, 0, TEXT_BAD_UTF8},         /* overlong '/' */
		{"\xc1\xbf", 2, 0, TEXT_BAD_UTF8},         /* overlong */
		{"\xe0\x80\xaf", 3, 0, TEXT_BAD_UTF8},     /* overlong, 3 bytes */
		{"\xf0\x80\x80\xaf", 4, 0, TEXT_BAD_UTF8}, /* overlong, 4 bytes */
		{"x\xed\xa0\x80", 4, 1, TEXT_BAD_UTF8},    /* U+D800, a surrogate */
		{"\xed\xbf\xbf", 3, 0, TEXT_BAD_UTF8},     /* U+DFFF */
		{"\xf4\x90\x80\x80", 4, 0, TEXT_BAD_UTF8}, /* U+110000 */
		{"\xf5\x80\x80\x80", 4, 0, TEXT_BAD_UTF8}, /* lead byte 0xf5 */
		{"abc\xe2\x82", 5, 3, TEXT_BAD_UTF8},      /* cut short */
		{"\x80", 1, 0, TEXT_BAD_UTF8},             /* a lone continuation byte */
		{"\xc3\x28", 2, 0, TEXT_BAD_UTF8},         /* a lead without its continuation */
		{"abc\0def", 7, 3, TEXT_NUL},              /* NUL */
		{"bell\x07", 5, 4, TEXT_CONTROL},          /* BEL */
		{"esc\x1b[0m", 7, 3, TEXT_CONTROL},        /* ESC */
		{"del\x7f", 4, 3, TEXT_CONTROL},           /* DEL */
		{"csi\xc2\x9b"
		 "0m",
		 7, 3, TEXT_CONTROL},             /* U+009B, C1's CSI */
		{"\xc2\x80", 2, 0, TEXT_CONTROL}, /* U+0080 */
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t at = 999;
		assert_int_equal(check(bad[i].s, bad[i].len, &at), bad[i].want);
		assert_int_equal(at, bad[i].at);
	}
	assert_string_equal(text_fault_code(TEXT_BAD_UTF8), "INVALID_UTF8");
	assert_string_equal(text_fault_code(TEXT_NUL), "NUL_IN_STRING");
	assert_string_equal(text_fault_code(TEXT_CONTROL), "CONTROL_CHARACTER");
}

static void test_identifier_classes(void **state)
{
	(void)state;
	assert_true(text_id_ok(ID_MEMBER, "KE"));
	assert_true(text_id_ok(ID_MEMBER, "M00042"));
	assert_false(text_id_ok(ID_MEMBER, "K"));
	assert_false(text_id_ok(ID_MEMBER, "ke"));
	assert_false(text_id_ok(ID_MEMBER, "K E"));
	assert_false(text_id_ok(ID_MEMBER, "ABCDEFGHIJKLMNOPQ")); /* 17 */
	assert_true(text_id_ok(ID_NAME, "integrity-self-assessment"));
	assert_true(text_id_ok(ID_NAME, "lc_strategy.v2"));
	assert_false(text_id_ok(ID_NAME, ""));
	assert_false(text_id_ok(ID_NAME, "caf\xc3\xa9"));
	assert_false(text_id_ok(ID_NAME, "a/b"));
	assert_true(text_id_ok(ID_CYCLE, "2025"));
	assert_true(text_id_ok(ID_CYCLE, "2025-H1/Q2"));
	assert_false(text_id_ok(ID_CYCLE, "20 25"));
	assert_false(text_id_ok(ID_CYCLE, "2025\xc3\xa9"));
	assert_true(text_id_ok(ID_KEY, "batch/1"));
	assert_false(text_id_ok(ID_KEY, "has space"));
	assert_false(text_id_ok(ID_KEY, NULL));
	{
		char k[130];
		memset(k, 'k', 128);
		k[128] = '\0';
		assert_true(text_id_ok(ID_KEY, k));
		k[128] = 'k', k[129] = '\0';
		assert_false(text_id_ok(ID_KEY, k));
	}
}

static void test_sanitize(void **state)
{
	char a[] = "ok \xff\xfe end", b[] = "caf\xc3", c[] = "bell\x07 tab\t", d[] = "\xe2\x82\xac";
	char e[] = "x\xed\xa0\x80y", out[6];
	(void)state;
	assert_string_equal(text_sanitize(a), "ok ?? end");
	assert_string_equal(text_sanitize(b), "caf"); /* a sequence cut short is dropped */
	assert_string_equal(text_sanitize(c), "bell? tab\t");
	assert_string_equal(text_sanitize(d), "\xe2\x82\xac");
	assert_string_equal(text_sanitize(e), "x???y");
	/* A copy cut at 5 bytes does not end mid-character. */
	assert_string_equal(text_copy(out, sizeof out, "ab\xe2\x82\xac\xe2\x82\xac"),
			    "ab\xe2\x82\xac");
	assert_string_equal(text_copy(out, sizeof out, "abcd\xc3\xa9"), "abcd");
	assert_int_equal(text_check(out, strlen(out), NULL), TEXT_OK);
}

/* Bidirectional overrides are text (right-to-left scripts use them); a terminal sees them escaped.
 */
static void test_terminal(void **state)
{
	char buf[64];
	(void)state;
	assert_int_equal(check("\xe2\x80\xae"
			       "abc",
			       6, NULL),
			 TEXT_OK); /* U+202E */
	assert_string_equal(text_terminal_copy(buf, sizeof buf,
					       "a\xe2\x80\xae"
					       "b\xe2\x81\xa6"
					       "c"),
			    "a<U+202E>b<U+2066>c");
	assert_string_equal(text_terminal_copy(buf, sizeof buf, "esc\x1b[0m"), "esc\\x1b[0m");
	assert_string_equal(text_terminal_copy(buf, sizeof buf, "csi\xc2\x9b"), "csi<U+009B>");
	assert_string_equal(text_terminal_copy(buf, sizeof buf, "caf\xc3\xa9\tok\n"),
			    "caf\xc3\xa9\tok\n");
	assert_string_equal(text_terminal_copy(buf, sizeof buf, "x\xff"), "x?");
	/* Cut before a piece that does not fit: never half an escape or a character. */
	assert_string_equal(text_terminal_copy(buf, 6, "abc\xe2\x80\xae"), "abc");
	assert_string_equal(text_terminal_copy(buf, 5, "ab\xc3\xa9x"), "ab\xc3\xa9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_utf8),         cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_identifier_classes), cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_terminal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
