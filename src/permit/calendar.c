/* calendar.c — the national holiday calendar of the permit rules: which local
 * dates are statutory holidays (法定节假日), which weekends are 调休 working
 * days, parsed from data/permit/calendar-cn.json (one document per year, from
 * the State Council's yearly notice). The compliance engine (rules.c) asks it
 * whether a hot-work window touches a holiday or a rest day, which upgrades
 * the work one grade. Years the data lacks fall back to weekends only and say
 * so (known = false), so a verdict never silently pretends to know a year. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "permit/permit_rules.h"

#define CAL_MAX_YEARS 32
#define CAL_MAX_HOL 256
#define CAL_MAX_WD 256

typedef struct cal_hol {
    long from, to; /* days since 1970-01-01, inclusive */
    char name[48];
} cal_hol;

struct pr_calendar {
    int years[CAL_MAX_YEARS];
    int nyears;
    cal_hol hol[CAL_MAX_HOL];
    int nhol;
    long wd[CAL_MAX_WD];
    int nwd;
};

/* "YYYY-MM-DD" -> days; -1 when malformed or not a date. */
static long parse_date(const char *s, int *year)
{
    int y, m, d;
    char tail;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return -1;
    if (s[4] != '-' || s[7] != '-' || m < 1 || m > 12 || d < 1) return -1;
    static const int md[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > md[m - 1] || (m == 2 && d == 29 && !leap)) return -1;
    if (year) *year = y;
    return clock_days_from_civil(y, m, d);
}

static ws_err bad(const char *path, const char *msg)
{
    return ws_fail(WS_EINVAL, path, "%s: %s", path, msg);
}

/* One year's object; base prefixes the members' paths in errors ("" for
 * the API's body, "[i]" for a file's list). */
static ws_err parse_year(pr_calendar *c, const json_t *o, const char *base)
{
    char path[96];
    const char *sep = base[0] ? "." : "";
    if (!json_is_object(o)) return bad(base, "must be an object");
    static const char *const members[] = {"year", "source", "holidays", "workdays", NULL};
    ws_err rc = json_known_keys(o, base[0] ? base : NULL, members);
    if (rc) return rc;
    json_t *jy = json_object_get(o, "year");
    snprintf(path, sizeof path, "%s%syear", base, sep);
    if (!json_is_integer(jy) || json_integer_value(jy) < 2000 || json_integer_value(jy) > 2100)
        return bad(path, "must be a year from 2000 to 2100");
    int year = (int)json_integer_value(jy);
    for (int i = 0; i < c->nyears; i++)
        if (c->years[i] == year) return bad(path, "year listed twice");
    if (c->nyears >= CAL_MAX_YEARS) return bad(path, "too many years");
    json_t *src = json_object_get(o, "source");
    snprintf(path, sizeof path, "%s%ssource", base, sep);
    if (!json_is_string(src) || !json_string_length(src) || json_string_length(src) > 300)
        return bad(path, "must name the notice (1 to 300 bytes)");
    json_t *hs = json_object_get(o, "holidays");
    snprintf(path, sizeof path, "%s%sholidays", base, sep);
    if (!json_is_array(hs)) return bad(path, "must be an array");
    size_t i;
    json_t *h;
    json_array_foreach(hs, i, h) {
        snprintf(path, sizeof path, "%s%sholidays[%zu]", base, sep, i);
        if (!json_is_object(h) || json_object_size(h) != 3) return bad(path, "must be {from, to, name}");
        if (c->nhol >= CAL_MAX_HOL) return bad(path, "too many holidays");
        int y1 = 0, y2 = 0;
        long from = parse_date(json_string_value(json_object_get(h, "from")), &y1);
        long to = parse_date(json_string_value(json_object_get(h, "to")), &y2);
        const char *name = json_string_value(json_object_get(h, "name"));
        if (from < 0 || y1 != year) {
            snprintf(path, sizeof path, "%s%sholidays[%zu].from", base, sep, i);
            return bad(path, "must be a date YYYY-MM-DD in the document's year");
        }
        if (to < from || to - from > 31 || y2 != year) {
            snprintf(path, sizeof path, "%s%sholidays[%zu].to", base, sep, i);
            return bad(path, "must be a date of the same year, not before from");
        }
        if (!name || !*name || strlen(name) >= sizeof c->hol[0].name) {
            snprintf(path, sizeof path, "%s%sholidays[%zu].name", base, sep, i);
            return bad(path, "must be a name of 1 to 47 bytes");
        }
        cal_hol *ch = &c->hol[c->nhol++];
        ch->from = from;
        ch->to = to;
        snprintf(ch->name, sizeof ch->name, "%s", name);
    }
    json_t *ws = json_object_get(o, "workdays");
    snprintf(path, sizeof path, "%s%sworkdays", base, sep);
    if (ws && !json_is_array(ws)) return bad(path, "must be an array of dates");
    json_array_foreach(ws, i, h) {
        snprintf(path, sizeof path, "%s%sworkdays[%zu]", base, sep, i);
        int y = 0;
        long d = parse_date(json_string_value(h), &y);
        if (d < 0 || y != year) return bad(path, "must be a date YYYY-MM-DD in the document's year");
        if (c->nwd >= CAL_MAX_WD) return bad(path, "too many working days");
        c->wd[c->nwd++] = d;
    }
    c->years[c->nyears++] = year;
    return WS_OK;
}

ws_err pr_calendar_parse(const json_t *doc, pr_calendar **out)
{
    *out = NULL;
    pr_calendar *c = calloc(1, sizeof *c);
    if (!c) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    ws_err rc = WS_OK;
    if (json_is_array(doc)) {
        size_t i;
        json_t *o;
        char base[32];
        json_array_foreach(doc, i, o) {
            snprintf(base, sizeof base, "[%zu]", i);
            rc = parse_year(c, o, base);
            if (rc) goto fail;
        }
    } else {
        rc = parse_year(c, doc, "");
        if (rc) goto fail;
    }
    *out = c;
    return WS_OK;
fail:
    free(c);
    return rc;
}

void pr_calendar_free(pr_calendar *c)
{
    free(c);
}

int pr_calendar_day(const pr_calendar *c, int y, int m, int d, const char **name, bool *known)
{
    long day = clock_days_from_civil(y, m, d);
    if (name) *name = NULL;
    bool k = false;
    if (c) {
        for (int i = 0; i < c->nyears; i++)
            if (c->years[i] == y) k = true;
        for (int i = 0; i < c->nhol; i++)
            if (day >= c->hol[i].from && day <= c->hol[i].to) {
                if (name) *name = c->hol[i].name;
                if (known) *known = true;
                return 2;
            }
        for (int i = 0; i < c->nwd; i++)
            if (c->wd[i] == day) {
                if (known) *known = true;
                return 0;
            }
    }
    if (known) *known = k;
    long wday = ((day % 7) + 7 + 4) % 7; /* 1970-01-01 was a Thursday (4); 0 = Sunday */
    return (wday == 0 || wday == 6) ? 1 : 0;
}
