/*
 * time.c: FAT's date and time fields and nanoseconds since 1970 UTC.
 *
 * Date: bits 15-9 years since 1980, 8-5 month (1-12), 4-0 day (1-31).
 * Time: bits 15-11 hours, 10-5 minutes, 4-0 seconds / 2. Tenth (creation
 * time only): 10 ms units, 0-199, so it carries the odd second too. The
 * range is 1980-01-01 00:00:00 to 2107-12-31 23:59:59.99; times outside it
 * are clamped. Fields that no valid time holds (month 0 or 13, day 0 or
 * February 30, hour 24, minute 60, second 60) come from a corrupt or an
 * unset entry and are clamped into range (to the nearest valid value)
 * rather than failing: a bad time is no reason to refuse a file, nor to
 * show one that rolled over into another day.
 */
#include "fat_int.h"

#define NS_PER_SECOND   1000000000ll
#define SECONDS_PER_DAY 86400ll

static const uint16_t days_before_month[12] = {0,   31,  59,  90,  120, 151,
                                               181, 212, 243, 273, 304, 334};

static int64_t leaps_before(int64_t year)
{
	int64_t y = year - 1;
	return y / 4 - y / 100 + y / 400;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to the first day of year. */
static int64_t days_before_year(int64_t year)
{
	return 365 * (year - 1970) + leaps_before(year) - leaps_before(1970);
}

static int64_t days_of(int64_t year, uint32_t month, uint32_t day)
{
	int64_t d = days_before_year(year) + days_before_month[month - 1] + (day - 1);
	if (month > 2 && is_leap(year))
		d++;
	return d;
}

static uint32_t clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static uint32_t days_in_month(int64_t year, uint32_t month)
{
	static const uint8_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return days[month - 1] + (month == 2 && is_leap(year));
}

int64_t fat_time_to_ns(uint16_t date, uint16_t time, uint8_t tenth)
{
	int64_t year = 1980 + (date >> 9);
	uint32_t month = clamp(date >> 5 & 0xfu, 1, 12);
	uint32_t day = clamp(date & 0x1fu, 1, days_in_month(year, month));
	int64_t days = days_of(year, month, day);
	uint32_t hours = clamp(time >> 11, 0, 23), minutes = clamp(time >> 5 & 0x3f, 0, 59);
	uint32_t halves = clamp(time & 0x1f, 0, 29); /* seconds / 2 */
	int64_t secs = (int64_t)hours * 3600 + minutes * 60 + halves * 2;
	if (tenth > 199)
		tenth = 199;
	return (days * SECONDS_PER_DAY + secs) * NS_PER_SECOND + (int64_t)tenth * 10000000ll;
}

void fat_time_from_ns(int64_t ns, uint16_t *date, uint16_t *time, uint8_t *tenth)
{
	const int64_t min = days_before_year(1980) * SECONDS_PER_DAY * NS_PER_SECOND;
	const int64_t max =
	    (days_before_year(2108) * SECONDS_PER_DAY - 1) * NS_PER_SECOND + (NS_PER_SECOND - 1);
	if (ns < min)
		ns = min;
	if (ns > max)
		ns = max;
	int64_t secs = ns / NS_PER_SECOND, sub = ns % NS_PER_SECOND;
	int64_t days = secs / SECONDS_PER_DAY, rest = secs % SECONDS_PER_DAY;
	int64_t year = 1980;
	while (days_before_year(year + 1) <= days)
		year++;
	int64_t yday = days - days_before_year(year);
	uint32_t month = 12;
	while (month > 1) {
		int64_t start = days_before_month[month - 1] + (month > 2 && is_leap(year));
		if (yday >= start)
			break;
		month--;
	}
	int64_t mday = yday - days_before_month[month - 1] - (month > 2 && is_leap(year)) + 1;
	*date = (uint16_t)((year - 1980) << 9 | month << 5 | mday);
	*time = (uint16_t)(rest / 3600 << 11 | (rest / 60 % 60) << 5 | (rest % 60) / 2);
	*tenth = (uint8_t)((rest % 2) * 100 + sub / 10000000);
}
