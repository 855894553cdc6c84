#include "text.h"

#include <stdio.h>

#include <stdint.h>
#include <string.h>

/*
 * Length of the valid UTF-8 sequence at p (n bytes available), or 0 when
 * the bytes there are not one (RFC 3629, section 4: the well-formed byte
 * sequences table, which excludes overlong forms and surrogates).
 */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char b = p[0];
	size_t len;
	uint32_t c, min;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		len = 2, c = b & 0x1f, min = 0x80;
	} else if (b >= 0xe0 && b <= 0xef) {
		len = 3, c = b & 0x0f, min = 0x800;
	} else if (b >= 0xf0 && b <= 0xf4) {
		len = 4, c = b & 0x07, min = 0x10000;
	} else {
		return 0; /* a continuation byte, 0xc0/0xc1 (always overlong) or 0xf5.. */
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* C0 but TAB, LF, CR; DEL; and the C1 controls U+0080..U+009F (never text). */
static bool control(uint32_t c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7f && c <= 0x9f);
}

/* The bidirectional formatting characters: text, but they reorder a terminal's line. */
static bool bidi_control(uint32_t c)
{
	return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069);
}

/* Where text_fputs_terminal and text_terminal_copy write: a stream, or a buffer. */
struct sink {
	FILE *out;
	char *buf;
	size_t len, used; /* buf: its size and the bytes written, a NUL kept room for */
};

static void put(struct sink *k, const void *p, size_t n)
{
	if (k->out != NULL) {
		fwrite(p, 1, n, k->out);
	} else if (k->used + n < k->len) { /* whole pieces only: never half a character */
		memcpy(k->buf + k->used, p, n);
		k->used += n;
	} else {
		k->len = k->used + 1; /* full: nothing after a piece that did not fit */
	}
}

static void terminal(struct sink *k, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0;

	while (i < len) {
		uint32_t c = p[i];
		size_t n = c < 0x80 ? 1 : utf8_seq(p + i, len - i, &c);
		char esc[16];
		if (n == 0) {
			put(k, "?", 1);
			n = 1;
		} else if (control(c) && c != '\t' && c != '\n') {
			snprintf(esc, sizeof esc, c < 0x80 ? "\\x%02x" : "<U+%04X>", (unsigned)c);
			put(k, esc, strlen(esc));
		} else if (bidi_control(c)) {
			snprintf(esc, sizeof esc, "<U+%04X>", (unsigned)c);
			put(k, esc, strlen(esc));
		} else {
			put(k, p + i, n);
		}
		i += n;
	}
}

void text_fputs_terminal(FILE *out, const char *s)
{
	struct sink k = {.out = out};
	terminal(&k, s);
}

char *text_terminal_copy(char *dst, size_t len, const char *src)
{
	struct sink k = {.buf = dst, .len = len};
	terminal(&k, src);
	dst[k.used] = '\0';
	return dst;
}

enum text_fault text_check(const char *s, size_t len, size_t *at)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		uint32_t c;
		size_t k;

		/* Printable ASCII, most of what members send: one compare a byte. */
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		k = utf8_seq(p + i, len - i, &c);
		enum text_fault f = k == 0       ? TEXT_BAD_UTF8
				    : c == 0     ? TEXT_NUL
				    : control(c) ? TEXT_CONTROL
						 : TEXT_OK;
		if (f != TEXT_OK) {
			if (at != NULL)
				*at = i;
			return f;
		}
		i += k;
	}
	return TEXT_OK;
}

const char *text_fault_code(enum text_fault f)
{
	switch (f) {
	case TEXT_OK: return "OK";
	case TEXT_BAD_UTF8: return "INVALID_UTF8";
	case TEXT_NUL: return "NUL_IN_STRING";
	case TEXT_CONTROL: return "CONTROL_CHARACTER";
	}
	return "INVALID_UTF8";
}

const char *text_fault_words(enum text_fault f)
{
	switch (f) {
	case TEXT_OK: return "is valid";
	case TEXT_BAD_UTF8: return "is not valid UTF-8";
	case TEXT_NUL: return "holds a NUL byte";
	case TEXT_CONTROL: return "holds a control character (only TAB, LF and CR are allowed)";
	}
	return "is not valid UTF-8";
}

static bool name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || ch == '.';
}

bool text_id_ok(enum text_id kind, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0, lo = 1, hi;

	switch (kind) {
	case ID_MEMBER: lo = 2, hi = TEXT_MAX_MEMBER; break;
	case ID_NAME: hi = TEXT_MAX_NAME; break;
	case ID_CYCLE: hi = TEXT_MAX_CYCLE; break;
	case ID_KEY: hi = TEXT_MAX_KEY; break;
	default: return false;
	}
	if (n < lo || n > hi)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool ok;
		switch (kind) {
		case ID_MEMBER: ok = (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'); break;
		case ID_NAME: ok = name_char(ch); break;
		default: ok = ch > 0x20 && ch < 0x7f; break;
		}
		if (!ok)
			return false;
	}
	return true;
}

const char *text_id_rule(enum text_id kind)
{
	switch (kind) {
	case ID_MEMBER: return "2-16 of A-Z 0-9";
	case ID_NAME: return "1-64 of A-Z a-z 0-9 _ . -";
	case ID_CYCLE: return "1-32 printable ASCII characters without spaces";
	case ID_KEY: return "1-128 printable ASCII characters without spaces";
	}
	return "?";
}

char *text_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t len = strlen(s), i = 0;

	while (i < len) {
		uint32_t c;
		size_t k;

		/* Printable ASCII, most of what members send: one compare a byte. */
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		k = utf8_seq(p + i, len - i, &c);
		if (k == 0 && i + 4 >= len && p[i] >= 0xc2 && p[i] <= 0xf4) {
			/* Possibly a sequence cut short by truncation: drop the tail. */
			size_t j = i + 1;
			while (j < len && (p[j] & 0xc0) == 0x80)
				j++;
			if (j == len) {
				p[i] = '\0';
				break;
			}
		}
		if (k == 0 || control(c)) {
			p[i++] = '?';
			continue;
		}
		i += k;
	}
	return s;
}

char *text_copy(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return text_sanitize(dst);
}
