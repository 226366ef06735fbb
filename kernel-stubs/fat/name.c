/*
 * name.c: names. The API speaks UTF-8; long names on the disk are UTF-16
 * (surrogate pairs allowed, unpaired surrogates are corruption); short
 * names are 8.3 bytes, whose bytes above 0x7f are taken as Latin-1 (the
 * OEM code page is unknowable; this library never writes such bytes).
 *
 * A name to be created: valid UTF-8, at most FAT_NAME_MAX bytes and 255
 * UTF-16 units, no control characters or DEL, none of  " * / : < > ? \ |,
 * not "." or "..", not ending in a space or a period (Windows would strip
 * those, so they could not be looked up again there). A name read from the
 * disk is refused (FAT_E_IO) only for what would break a path or a client:
 * control characters, '/', unpaired surrogates.
 *
 * Names compare with ASCII letters folded to one case and every other
 * character exact: FAT is case-insensitive, and folding beyond ASCII would
 * need Unicode's tables.
 */
#include "fat_int.h"

static bool forbidden_to_create(uint32_t c)
{
	if (c < 0x20 || c == 0x7f)
		return true;
	switch (c) {
	case '"':
	case '*':
	case '/':
	case ':':
	case '<':
	case '>':
	case '?':
	case '\\':
	case '|':
		return true;
	default:
		return false;
	}
}

static bool forbidden_on_disk(uint32_t c)
{
	return c < 0x20 || c == '/';
}

/* Decodes one UTF-8 character at s[*i]; 0 at an invalid sequence
 * (overlong, surrogate, beyond U+10FFFF, truncated). */
static uint32_t utf8_next(const uint8_t *s, size_t len, size_t *i)
{
	uint32_t c = s[*i], need, min;
	if (c < 0x80) {
		*i += 1;
		return c;
	} else if (c >= 0xc2 && c <= 0xdf) {
		need = 1, min = 0x80, c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2, min = 0x800, c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (len - *i <= need)
		return 0;
	for (uint32_t k = 1; k <= need; k++) {
		uint8_t b = s[*i + k];
		if ((b & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (b & 0x3fu);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*i += need + 1;
	return c;
}

int fat_name_to_units(const char *name, size_t len, uint16_t *units, uint32_t *nunits)
{
	if (len == 0)
		return FAT_E_INVALID;
	if (len > FAT_NAME_MAX)
		return FAT_E_NAME_TOO_LONG;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return FAT_E_INVALID;
	if (name[len - 1] == ' ' || name[len - 1] == '.')
		return FAT_E_INVALID;
	const uint8_t *s = (const uint8_t *)name;
	uint32_t n = 0;
	for (size_t i = 0; i < len;) {
		uint32_t c = utf8_next(s, len, &i);
		if (c == 0 || forbidden_to_create(c))
			return FAT_E_INVALID;
		if (n + (c >= 0x10000 ? 2u : 1u) > FAT_LFN_MAX_UNITS)
			return FAT_E_NAME_TOO_LONG;
		if (c >= 0x10000) {
			c -= 0x10000;
			units[n++] = (uint16_t)(0xd800 | c >> 10);
			units[n++] = (uint16_t)(0xdc00 | (c & 0x3ff));
		} else {
			units[n++] = (uint16_t)c;
		}
	}
	*nunits = n;
	return FAT_OK;
}

/* Appends c as UTF-8 to out (FAT_NAME_MAX bytes at most). */
static int put_utf8(char *out, uint32_t *len, uint32_t c)
{
	uint8_t b[4];
	uint32_t n;
	if (c < 0x80) {
		b[0] = (uint8_t)c, n = 1;
	} else if (c < 0x800) {
		b[0] = (uint8_t)(0xc0 | c >> 6), b[1] = (uint8_t)(0x80 | (c & 0x3f)), n = 2;
	} else if (c < 0x10000) {
		b[0] = (uint8_t)(0xe0 | c >> 12), b[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
		b[2] = (uint8_t)(0x80 | (c & 0x3f)), n = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | c >> 18), b[1] = (uint8_t)(0x80 | (c >> 12 & 0x3f));
		b[2] = (uint8_t)(0x80 | (c >> 6 & 0x3f)), b[3] = (uint8_t)(0x80 | (c & 0x3f));
		n = 4;
	}
	if (*len + n > FAT_NAME_MAX)
		return FAT_E_NAME_TOO_LONG;
	memcpy(out + *len, b, n);
	*len += n;
	return FAT_OK;
}

int fat_name_from_units(const uint16_t *units, uint32_t nunits, char *out, uint8_t *len)
{
	if (nunits == 0 || nunits > FAT_LFN_MAX_UNITS)
		return FAT_E_IO;
	uint32_t n = 0;
	int too_long = FAT_OK;
	for (uint32_t i = 0; i < nunits; i++) {
		uint32_t c = units[i];
		if (c >= 0xdc00 && c <= 0xdfff)
			return FAT_E_IO;
		if (c >= 0xd800 && c <= 0xdbff) {
			if (i + 1 >= nunits || units[i + 1] < 0xdc00 || units[i + 1] > 0xdfff)
				return FAT_E_IO;
			c = 0x10000 + ((c - 0xd800) << 10) + (units[i + 1] - 0xdc00u);
			i++;
		}
		if (forbidden_on_disk(c))
			return FAT_E_IO;
		/* Keep checking the rest: a bad unit later is still corruption. */
		if (too_long == FAT_OK)
			too_long = put_utf8(out, &n, c);
	}
	if (too_long != FAT_OK)
		return too_long;
	if ((n == 1 && out[0] == '.') || (n == 2 && out[0] == '.' && out[1] == '.'))
		return FAT_E_IO;
	out[n] = 0;
	*len = (uint8_t)n;
	return FAT_OK;
}

static uint32_t short_byte(uint8_t b, bool lower)
{
	if (lower && b >= 'A' && b <= 'Z')
		return b + ('a' - 'A');
	return b;
}

int fat_name_from_short(const uint8_t *raw, uint8_t ntres, char *out, uint8_t *len)
{
	uint32_t base = 8, ext = 3, n = 0;
	while (base > 0 && raw[base - 1] == ' ')
		base--;
	while (ext > 0 && raw[8 + ext - 1] == ' ')
		ext--;
	if (raw[0] == ' ')
		return FAT_E_IO; /* the specification forbids it; nothing writes it */
	for (uint32_t i = 0; i < base + ext; i++) {
		uint32_t at = i < base ? i : 8 + i - base;
		uint32_t b = raw[at];
		if (at == 0 && b == FAT_SLOT_KANJI_E5)
			b = 0xe5;
		if (forbidden_on_disk(b))
			return FAT_E_IO;
		if (i == base) /* cannot overflow: 8 + 1 + 3 characters, 2 bytes each */
			out[n++] = '.';
		b = short_byte((uint8_t)b, (ntres & (i < base ? FAT_NTRES_LOWER_BASE
		                                              : FAT_NTRES_LOWER_EXT)) != 0);
		put_utf8(out, &n, b);
	}
	out[n] = 0;
	*len = (uint8_t)n;
	return FAT_OK;
}

static uint8_t fold(uint8_t c)
{
	return c >= 'a' && c <= 'z' ? (uint8_t)(c - ('a' - 'A')) : c;
}

bool fat_name_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (fold((uint8_t)a[i]) != fold((uint8_t)b[i]))
			return false;
	return true;
}

/* A character as it goes into a short name: upper case, or '_' with
 * *lossy set for what a short name cannot hold. */
static uint8_t short_char(uint16_t u, bool *lossy)
{
	if (u >= 'a' && u <= 'z')
		return (uint8_t)(u - ('a' - 'A'));
	if ((u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9'))
		return (uint8_t)u;
	switch (u) {
	case '$':
	case '%':
	case '\'':
	case '-':
	case '_':
	case '@':
	case '~':
	case '`':
	case '!':
	case '(':
	case ')':
	case '{':
	case '}':
	case '^':
	case '#':
	case '&':
		return (uint8_t)u;
	default:
		*lossy = true;
		return '_';
	}
}

void fat_name_basis(const uint16_t *units, uint32_t nunits, uint8_t raw[11], bool *lossy)
{
	memset(raw, ' ', 11);
	*lossy = false;
	/* Leading periods start no extension; the last other one does. */
	uint32_t lead = 0;
	while (lead < nunits && (units[lead] == '.' || units[lead] == ' '))
		lead++;
	uint32_t dot = nunits;
	for (uint32_t i = nunits; i > lead; i--) {
		if (units[i - 1] == '.') {
			dot = i - 1;
			break;
		}
	}
	uint32_t n = 0;
	for (uint32_t i = lead; i < dot; i++) {
		if (units[i] == ' ' || units[i] == '.')
			continue; /* spaces and inner periods are dropped */
		if (units[i] >= 0xdc00 && units[i] <= 0xdfff)
			continue; /* the second half of a pair: one '_' for both */
		if (n == 8)
			break;
		raw[n++] = short_char(units[i], lossy);
	}
	if (n == 0)
		raw[n++] = '_';
	n = 0;
	for (uint32_t i = dot + 1; i < nunits && n < 3; i++) {
		if (units[i] == ' ' || (units[i] >= 0xdc00 && units[i] <= 0xdfff))
			continue;
		raw[8 + n++] = short_char(units[i], lossy);
	}
}

void fat_name_tail(uint8_t raw[11], const uint8_t basis[11], uint32_t n, uint32_t hash)
{
	static const char hex[] = "0123456789ABCDEF";
	char tail[8];
	uint32_t tlen = 0, keep = 0;
	memcpy(raw, basis, 11);
	if (n <= 4) {
		/* FOO~1 .. FOO~4, as Windows does first. */
		tail[tlen++] = '~';
		tail[tlen++] = (char)('0' + n);
		while (keep < 8 - tlen && basis[keep] != ' ')
			keep++;
	} else {
		/* Then two characters, four hex digits of a hash of the long
		 * name and the attempt, ~1: few collisions in big directories. */
		uint32_t h = (hash + (n - 5) * 40503u) & 0xffffu;
		for (int k = 3; k >= 0; k--)
			tail[tlen++] = hex[h >> (4 * k) & 0xfu];
		tail[tlen++] = '~';
		tail[tlen++] = '1';
		while (keep < 2 && basis[keep] != ' ')
			keep++;
	}
	memset(raw + keep, ' ', 8 - keep);
	memcpy(raw + keep, tail, tlen);
}

uint8_t fat_name_checksum(const uint8_t raw[11])
{
	uint8_t sum = 0;
	for (uint32_t i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1u) << 7) + (sum >> 1) + raw[i]);
	return sum;
}
