/* test_plantgen.c — the generated plant of the nuisance bench
 * (bench/nuisance/plantgen.h) and its two alarm systems (nsys.h), on a small
 * set: 20 points over 2 days with high event rates.
 *
 * What a user of the bench would check: the labels say what the data do —
 * during an excursion the process value is beyond the limit on exactly the
 * labelled minutes and the readings show it, a flapping episode never takes
 * the process beyond the limit though readings cross it, a stuck sensor's
 * readings are identical, a drift walks the reading away by its amount, a
 * spike is one reading off, a dropout has no readings; outside excursions
 * the process never reaches the limit; the same seed gives the same plant;
 * and both systems run over it, see the same excursions, and worksafe's
 * catches every one of them with fewer nuisance alarms than the baseline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "nsys.h"
#include "plantgen.h"

static pg_config small_config(void)
{
    pg_config c = pg_config_default();
    c.npoints = 20;
    c.days = 2;
    c.quiet_days = 0.25;
    c.rate[PG_EXCURSION] = 40;
    c.rate[PG_FLAPPING] = 20;
    c.rate[PG_STUCK] = 15;
    c.rate[PG_DRIFT] = 15;
    c.rate[PG_SPIKE] = 60;
    c.rate[PG_DROPOUT] = 15;
    return c;
}

static bool beyond(const pg_point *pt, double v) { return pt->dir > 0 ? v >= pt->limit : v <= pt->limit; }

static void labels_match_the_data(void **state)
{
    (void)state;
    pg_config cfg = small_config();
    pg_plant pl;
    assert_int_equal(pg_plant_init(&pl, &cfg), 0);
    int seen[PG_NTYPES] = {0};
    long plateau = 0, plateau_beyond = 0, label = 0, label_beyond = 0, flap_cross = 0;
    for (int p = 0; p < pl.npoints; p++) {
        const pg_point *pt = &pl.pts[p];
        assert_true(!beyond(pt, pt->mean + pt->dir * (pt->amp + pt->amp2)));
        for (int i = 0; i < pt->nev; i++) {
            const pg_event *e = &pt->ev[i];
            seen[e->type]++;
            assert_true(e->x0 <= e->start && e->start < e->end && e->end <= e->x1);
            assert_true(e->x1 <= pl.minutes);
            assert_true(e->start >= (int32_t)(cfg.quiet_days * 1440));
            if (i > 0) assert_true(pt->ev[i - 1].x1 <= e->x0);
            double v, t, v0 = 0;
            const pg_event *cov;
            for (int32_t m = e->x0; m < e->x1; m++) {
                bool has = pg_reading(&pl, p, m, &v, &t, &cov);
                assert_ptr_equal(cov, e);
                assert_true(t == pg_truth(pt, m));
                switch (e->type) {
                case PG_EXCURSION: {
                    bool in = m >= e->start && m < e->end;
                    assert_int_equal(beyond(pt, t), in); /* the process: exactly the label */
                    if (in) {
                        label++;
                        label_beyond += beyond(pt, v);
                        if (m >= e->start + e->rise && m < e->end - e->fall) {
                            plateau++;
                            plateau_beyond += beyond(pt, v);
                        }
                    }
                    break;
                }
                case PG_FLAPPING:
                    assert_false(beyond(pt, t));
                    flap_cross += beyond(pt, v);
                    break;
                case PG_STUCK:
                    assert_true(has);
                    if (m == e->start) v0 = v;
                    assert_true(v == v0); /* identical, bit for bit */
                    break;
                case PG_DRIFT:
                    assert_true(has);
                    if (m >= e->end - (e->end - e->start) / 10) /* the last tenth: near the amount */
                        assert_true(fabs(v - t - e->amount) < 0.1 * fabs(e->amount) + 5 * pt->sigma + pt->res);
                    break;
                case PG_SPIKE:
                    assert_true(has);
                    if (v > pt->lo && v < pt->hi)
                        assert_true(fabs(v - t - e->amount) < 5 * pt->sigma + pt->res);
                    assert_true(pg_reading(&pl, p, m + 1, &v, &t, NULL));
                    assert_true(fabs(v - t) < 5 * pt->sigma + pt->res); /* back at once */
                    break;
                default:
                    assert_false(has); /* dropout */
                    break;
                }
            }
            if (e->type == PG_DROPOUT) {
                if (e->x0 > 0) assert_true(pg_reading(&pl, p, e->x0 - 1, &v, NULL, NULL));
                if (e->x1 < pl.minutes) assert_true(pg_reading(&pl, p, e->x1, &v, NULL, NULL));
            }
        }
        /* Outside the excursions' labels the process never reaches the limit. */
        for (int32_t m = 0; m < pl.minutes; m++) {
            bool in_exc = false;
            for (int i = 0; i < pt->nev; i++)
                in_exc |= pt->ev[i].type == PG_EXCURSION && m >= pt->ev[i].start && m < pt->ev[i].end;
            if (!in_exc) assert_false(beyond(pt, pg_truth(pt, m)));
        }
    }
    for (int k = 0; k < PG_NTYPES; k++)
        if (!seen[k]) fail_msg("no %s in the small set", pg_type_name(k));
    assert_true(plateau > 0 && plateau_beyond >= plateau * 99 / 100);
    assert_true(label_beyond * 10 >= label * 9);
    assert_true(flap_cross > 0); /* flapping does carry readings across */

    /* The same seed, the same plant; another seed, another. */
    pg_plant again, other;
    assert_int_equal(pg_plant_init(&again, &cfg), 0);
    cfg.seed++;
    assert_int_equal(pg_plant_init(&other, &cfg), 0);
    int diff = 0;
    for (int p = 0; p < pl.npoints; p++) {
        assert_int_equal(again.pts[p].nev, pl.pts[p].nev);
        assert_memory_equal(again.pts[p].ev, pl.pts[p].ev, (size_t)pl.pts[p].nev * sizeof(pg_event));
        for (int32_t m = 0; m < pl.minutes; m += 7) {
            double a = 0, b = 0, c = 0;
            bool ha = pg_reading(&pl, p, m, &a, NULL, NULL), hb = pg_reading(&again, p, m, &b, NULL, NULL);
            assert_int_equal(ha, hb);
            if (ha) assert_true(a == b);
            if (pg_reading(&other, p, m, &c, NULL, NULL) && ha) diff += a != c;
        }
    }
    assert_true(diff > 0);
    pg_plant_free(&again);
    pg_plant_free(&other);
    pg_plant_free(&pl);
}

static void both_systems_run_and_worksafe_catches_every_excursion(void **state)
{
    (void)state;
    pg_config cfg = small_config();
    pg_plant pl;
    assert_int_equal(pg_plant_init(&pl, &cfg), 0);
    ns_options o = ns_options_default();
    o.points_per_operator = 10;
    ns_result b, w;
    assert_int_equal(ns_run(&pl, &o, &b, &w), 0);
    assert_true(w.excursions >= 10);
    assert_int_equal(b.excursions, w.excursions);
    assert_int_equal(w.caught + w.missed, w.excursions);
    assert_int_equal(w.missed, 0);
    assert_int_equal(b.missed, 0);
    /* Plain thresholds alarm on the spikes and the flapping; worksafe's
     * deadband and on-delay do not. Its on-delay costs time: never more
     * than the two confirming readings on the median. */
    assert_true(b.nuisance_alarms > 0);
    assert_true(w.nuisance_alarms < b.nuisance_alarms);
    assert_true(w.catch_median_min <= b.catch_median_min + 2);
    assert_int_equal(w.operators, 2);
    assert_true(w.per10_max >= 1 && b.per10_max >= w.per10_max);
    /* Sensor faults reach maintenance: every stuck sensor and dropout. */
    assert_int_equal(w.faults_found[PG_STUCK], w.faults[PG_STUCK]);
    assert_int_equal(w.faults_found[PG_DROPOUT], w.faults[PG_DROPOUT]);
    assert_true(w.maint > 0 && w.maint_matched > 0);
    pg_plant_free(&pl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(labels_match_the_data),
        cmocka_unit_test(both_systems_run_and_worksafe_catches_every_excursion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
