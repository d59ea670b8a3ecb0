/*
 * timeutil.c - UTC timestamps as text (meta.h): dla_time_now,
 * dla_time_parse, dla_time_add, and sortable run ids (dla_run_id_new).
 *
 * The canonical form is "YYYY-MM-DD HH:MM:SS" followed by '.' and the
 * fraction's digits (at most six, without trailing zeros) when it is not
 * zero: what PostgreSQL prints too.  One spelling per instant means text
 * comparison is exact (SQLite stores timestamps as text) and text order is
 * time order (a fraction without trailing zeros compares digit by digit).  Calendar arithmetic is done here (proleptic
 * Gregorian, years 1..9999) rather than with timegm/mktime, so the result
 * does not depend on the process time zone.
 */
#include "meta.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A moment as seconds since 1970-01-01 00:00:00 UTC plus microseconds. */
struct moment {
	int64_t seconds;
	long micros;      /* 0..999999 */
};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Formats m canonically; false when its year is outside 1..9999. */
static bool format_moment(const struct moment *mo, char out[32])
{
	int64_t days = mo->seconds / 86400, rest = mo->seconds % 86400, y;
	int m, d;

	if (rest < 0) {
		rest += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999)
		return false;
	snprintf(out, 32, "%04d-%02d-%02d %02d:%02d:%02d", (int)y, m, d,
		 (int)(rest / 3600), (int)(rest / 60 % 60), (int)(rest % 60));
	if (mo->micros) {
		size_t len;

		snprintf(out + 19, 32 - 19, ".%06ld", mo->micros);
		for (len = strlen(out); out[len - 1] == '0'; len--)
			out[len - 1] = '\0';   /* trailing zeros: one spelling */
	}
	return true;
}

/* Reads exactly n digits at *p (advancing it); -1 when they are not. */
static long digits(const char **p, int n)
{
	long v = 0;

	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)(*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	return v;
}

static bool parse_moment(const char *text, struct moment *out)
{
	const char *p = text;
	long y, mon, d, h = 0, mi = 0, s = 0, micros = 0, offset = 0;

	if (!text)
		return false;
	y = digits(&p, 4);
	if (y < 1 || *p++ != '-' || (mon = digits(&p, 2)) < 1 || mon > 12 ||
	    *p++ != '-' || (d = digits(&p, 2)) < 1 || d > days_in_month(y, (int)mon))
		return false;
	if (*p == ' ' || *p == 'T') {
		p++;
		if ((h = digits(&p, 2)) < 0 || h > 23 || *p++ != ':' ||
		    (mi = digits(&p, 2)) < 0 || mi > 59 || *p++ != ':' ||
		    (s = digits(&p, 2)) < 0 || s > 59)
			return false;
		if (*p == '.') {
			int n = 0;

			p++;
			while (p[n] >= '0' && p[n] <= '9')
				n++;
			if (n < 1 || n > 6)
				return false;
			micros = digits(&p, n);
			for (int i = n; i < 6; i++)
				micros *= 10;
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1;
			long oh = digits(&p, 2), om = 0;

			if (oh < 0 || oh > 23)
				return false;
			if (*p) {   /* +HH:MM or +HHMM (or +HH alone) */
				if (*p == ':')
					p++;
				if ((om = digits(&p, 2)) < 0 || om > 59)
					return false;
			}
			offset = sign * (oh * 3600 + om * 60);
		}
	}
	if (*p)
		return false;
	/* local time = UTC + offset */
	out->seconds = days_from_civil(y, (int)mon, (int)d) * 86400 +
		       h * 3600 + mi * 60 + s - offset;
	out->micros = micros;
	return true;
}

bool dla_time_parse(const char *text, char out[32])
{
	struct moment mo;

	return parse_moment(text, &mo) && format_moment(&mo, out);
}

bool dla_time_add(const char *ts, long seconds, char out[32])
{
	struct moment mo;

	if (!parse_moment(ts, &mo))
		return false;
	/* |seconds| beyond the 1..9999 range fails in format_moment */
	if (seconds > 400000000000L || seconds < -400000000000L)
		return false;
	mo.seconds += seconds;
	return format_moment(&mo, out);
}

static struct moment now_moment(void)
{
	struct timespec ts;
	struct moment mo;

	clock_gettime(CLOCK_REALTIME, &ts);
	mo.seconds = (int64_t)ts.tv_sec;
	mo.micros = ts.tv_nsec / 1000;
	return mo;
}

void dla_time_now(char out[32])
{
	struct moment mo = now_moment();

	if (!format_moment(&mo, out))
		snprintf(out, 32, "1970-01-01 00:00:00");
}

void dla_run_id_new(char out[64])
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct moment last;
	struct moment mo = now_moment();
	char ts[32];

	/* strictly increasing within this process, even within a microsecond
	 * or when the clock steps back */
	pthread_mutex_lock(&lock);
	if (mo.seconds < last.seconds ||
	    (mo.seconds == last.seconds && mo.micros <= last.micros)) {
		mo = last;
		if (++mo.micros == 1000000) {
			mo.micros = 0;
			mo.seconds++;
		}
	}
	last = mo;
	pthread_mutex_unlock(&lock);

	if (!format_moment(&mo, ts))
		snprintf(ts, sizeof(ts), "1970-01-01 00:00:00");
	/* "YYYY-MM-DD HH:MM:SS" -> "YYYYMMDDTHHMMSS" + micros + "Z-pid" */
	snprintf(out, 64, "%.4s%.2s%.2sT%.2s%.2s%.2s%06ldZ-%ld", ts, ts + 5, ts + 8,
		 ts + 11, ts + 14, ts + 17, mo.micros, (long)getpid());
}
